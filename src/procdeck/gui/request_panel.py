"""Everything in an execute request besides the inputs, and the request as JSON.

- :class:`RequestOptions` (view-model): which outputs to ask for, value or
  reference, the format where an output offers several, and the execution mode
  when a process allows both. ``parts()`` gives the request members it decides;
  ``apply()`` takes them back from a saved request.
- :class:`RequestOptionsView`: its widgets.
- :class:`RequestPreview`: the live JSON request with *Copy*, *Save request*
  (a download made in the browser) and *Load request* (a file picker whose text
  comes back to Python in :attr:`RequestPreview.loaded_text`). JSON is put into
  the page with ``textContent``, never parsed as HTML.
"""

from __future__ import annotations

import json
from typing import Any

import panel as pn
import param

from procdeck.gui.forms.components import NativeInput
from procdeck.gui.theme import stylesheets
from procdeck.ogc.models import OutputDescription, ProcessDescription, Schema

__all__ = [
    "ASYNC",
    "SYNC",
    "OutputChoice",
    "RequestOptions",
    "RequestOptionsView",
    "RequestPreview",
    "output_formats",
]

ASYNC = "async"
SYNC = "sync"


def output_formats(output: OutputDescription) -> list[str]:
    """The media types an output offers (from ``contentMediaType`` of its schema or branches)."""
    found: list[str] = []

    def visit(schema: Schema | None) -> None:
        if schema is None:
            return
        if schema.contentMediaType and schema.contentMediaType not in found:
            found.append(schema.contentMediaType)
        for branch in (schema.oneOf or []) + (schema.anyOf or []):
            visit(branch)

    visit(output.schema_)
    return found


class OutputChoice(param.Parameterized):
    """How one output is asked for."""

    output_id = param.String(constant=True)
    title = param.String()
    include = param.Boolean(default=True, doc="Ask for this output")
    transmission = param.Selector(default="", objects=["", "value", "reference"],
                                  doc="value or reference; '' leaves it to the server")
    media_type = param.String(default="", doc="Requested format; '' leaves it to the server")
    formats = param.List(default=[], doc="Media types offered")


class RequestOptions(param.Parameterized):
    """Outputs and execution mode of a process's execute request."""

    mode = param.Selector(default=ASYNC, objects=[ASYNC, SYNC], doc="Execution mode")
    changed = param.Event(doc="Fires when any choice changes")

    def __init__(self, description: ProcessDescription, **params: Any) -> None:
        super().__init__(**params)
        self.description = description
        offered = description.outputTransmission or []
        both = "value" in offered and "reference" in offered
        # a choice only when the process offers both ways of returning outputs
        self.transmissions: list[str] = ["value", "reference"] if both else []
        controls = description.jobControlOptions or []
        self.mode_choice = "sync-execute" in controls and "async-execute" in controls
        if "async-execute" not in controls and "sync-execute" in controls:
            self.mode = SYNC
        self.outputs: dict[str, OutputChoice] = {}
        for output_id, output in description.outputs.items():
            choice = OutputChoice(
                output_id=output_id,
                title=output.title or output_id,
                formats=output_formats(output),
            )
            choice.param.watch(self._trigger, ["include", "transmission", "media_type"])
            self.outputs[output_id] = choice
        self.param.watch(self._trigger, "mode")

    def _trigger(self, *_: object) -> None:
        self.param.trigger("changed")

    def parts(self) -> dict[str, Any]:
        """The request members besides ``inputs`` (``outputs``), only when they say something.

        Without ``outputs`` a server returns every output in its default way, so
        ``outputs`` is sent only when the person deselected an output or chose a
        transmission or a format.
        """
        chosen = {k: c for k, c in self.outputs.items() if c.include}
        customised = len(chosen) != len(self.outputs) or any(
            c.transmission or c.media_type for c in chosen.values()
        )
        if not customised:
            return {}
        outputs: dict[str, Any] = {}
        for output_id, choice in chosen.items():
            entry: dict[str, Any] = {}
            if choice.transmission:
                entry["transmissionMode"] = choice.transmission
            if choice.media_type:
                entry["format"] = {"mediaType": choice.media_type}
            outputs[output_id] = entry
        return {"outputs": outputs}

    def apply(self, request: dict[str, Any]) -> None:
        """Take outputs (and nothing else) back from a saved request."""
        outputs = request.get("outputs")
        for output_id, choice in self.outputs.items():
            if not isinstance(outputs, dict) or not outputs:
                choice.param.update(include=True, transmission="", media_type="")
                continue
            entry = outputs.get(output_id)
            if not isinstance(entry, dict):
                choice.param.update(include=output_id in outputs, transmission="",
                                    media_type="")
                continue
            transmission = entry.get("transmissionMode")
            fmt = entry.get("format") if isinstance(entry.get("format"), dict) else {}
            choice.param.update(
                include=True,
                transmission=transmission if transmission in ("value", "reference") else "",
                media_type=fmt.get("mediaType") or "",
            )

    @property
    def has_choices(self) -> bool:
        """True when there is anything for the person to choose."""
        return bool(self.outputs) and (
            len(self.outputs) > 1
            or bool(self.transmissions)
            or any(c.formats for c in self.outputs.values())
            or self.mode_choice
        )


class RequestOptionsView(pn.viewable.Viewer):
    """Checkboxes for outputs, value/reference and format selects, the execution mode."""

    def __init__(self, options: RequestOptions, **params: Any) -> None:
        super().__init__(**params)
        self.options = options
        rows: list[Any] = [pn.pane.HTML('<div class="pd-hint">Outputs to return</div>',
                                        margin=(0, 5), stylesheets=stylesheets())]
        for choice in options.outputs.values():
            rows.append(self._output_row(choice))
        if options.mode_choice:
            mode = pn.widgets.RadioButtonGroup(
                label="Execution mode",
                options={"Asynchronous (job)": ASYNC, "Synchronous (wait)": SYNC},
                value=options.mode,
                color="default",
            )
            mode.link(options, value="mode", bidirectional=True)
            rows.append(pn.Column(pn.pane.HTML(
                '<div class="pd-hint">Execution mode</div>', margin=(0, 5),
                stylesheets=stylesheets()), mode, margin=0))
        self._layout = pn.Card(
            *rows,
            title="Outputs and execution",
            collapsed=True,
            sizing_mode="stretch_width",
            margin=(4, 0),
        )

    def _output_row(self, choice: OutputChoice) -> pn.viewable.Viewable:
        # A native checkbox with a bound <label> (Panel's Checkbox leaves its text unbound).
        include = NativeInput(input_type="checkbox", label=choice.title, value=choice.include,
                              width=180)
        include.param.watch(lambda event: setattr(choice, "include", bool(event.new)), "value")
        choice.param.watch(lambda event: setattr(include, "value", event.new), "include")
        widgets: list[Any] = [include]
        if self.options.transmissions:
            transmission = pn.widgets.Select(
                label=f"{choice.title}: returned as",
                options={"server default": "", **{t: t for t in self.options.transmissions}},
                value=choice.transmission,
                width=170,
            )
            transmission.link(choice, value="transmission", bidirectional=True)
            widgets.append(transmission)
        if len(choice.formats) > 1:
            media_type = pn.widgets.Select(
                label=f"{choice.title}: format",
                options={"server default": "", **{f: f for f in choice.formats}},
                value=choice.media_type,
                width=200,
            )
            media_type.link(choice, value="media_type", bidirectional=True)
            widgets.append(media_type)
        return pn.Row(*widgets, margin=0)

    def __panel__(self) -> pn.viewable.Viewable:
        return self._layout


_PREVIEW_RENDER = """
pre.textContent = data.shown.text;
"""

_PREVIEW_COPY = """
const text = data.shown.text;
const done = () => {
  copy.textContent = 'Copied';
  setTimeout(() => { copy.textContent = 'Copy JSON'; }, 1500);
};
if (navigator.clipboard && window.isSecureContext) {
  navigator.clipboard.writeText(text).then(done, () => {});
} else {
  const area = document.createElement('textarea');
  area.value = text;
  area.style.position = 'fixed';
  area.style.opacity = '0';
  document.body.appendChild(area);
  area.select();
  document.execCommand('copy');
  area.remove();
  done();
}
"""

_PREVIEW_SAVE = """
const blob = new Blob([data.shown.text + '\\n'], {type: 'application/json'});
const url = URL.createObjectURL(blob);
const link = document.createElement('a');
link.href = url;
link.download = data.filename || 'request.json';
document.body.appendChild(link);
link.click();
link.remove();
setTimeout(() => URL.revokeObjectURL(url), 1000);
"""

_PREVIEW_PICK = """
file.value = '';
file.click();
"""

_PREVIEW_READ = """
const chosen = file.files && file.files[0];
if (!chosen) { return; }
chosen.text().then((text) => {
  data.loaded_name = chosen.name;
  data.loaded_text = text;
  data.loads = data.loads + 1;
});
"""


class RequestPreview(pn.reactive.ReactiveHTML):
    """The live request JSON with Copy, Save request and Load request.

    ``text`` is shown and saved; a loaded file's text arrives in
    ``loaded_text`` (and ``loads`` counts loads, so loading the same file twice
    is seen twice).
    """

    text = param.String(default="{}", precedence=-1, doc="The request as pretty JSON")
    # What the browser gets: Panel cleans every *string* parameter of a ReactiveHTML as
    # HTML on its way to the page (``&`` -> ``&amp;``, ``<b>`` dropped), which would corrupt
    # the JSON shown, copied and saved; a value inside a dict travels untouched.
    shown = param.Dict(default={"text": "{}"}, doc="``text`` as sent to the browser")
    filename = param.String(default="request.json", doc="Name of the saved file")
    loaded_text = param.String(default="", doc="Text of the last file loaded")
    loaded_name = param.String(default="", doc="Name of the last file loaded")
    loads = param.Integer(default=0, doc="How many files were loaded")

    _template = """
<div class="pd-preview">
  <div class="pd-toolbar">
    <button id="save" type="button" class="pd-btn" onclick="${script('save')}">Save request</button>
    <button id="pick" type="button" class="pd-btn" onclick="${script('pick')}">Load request</button>
    <input id="file" type="file" accept=".json,application/json" hidden
           aria-hidden="true" tabindex="-1" onchange="${script('read')}"/>
    <span class="pd-spacer"></span>
    <button id="copy" type="button" class="pd-btn pd-btn-quiet"
            onclick="${script('copy')}">Copy JSON</button>
  </div>
  <details id="box" class="pd-json-box" open>
    <summary>Request JSON</summary>
    <pre id="pre" class="pd-json" aria-label="Request JSON"></pre>
  </details>
</div>
"""
    _scripts = {  # noqa: RUF012 - Panel's declared class attribute
        "render": _PREVIEW_RENDER,
        "shown": _PREVIEW_RENDER,
        "copy": _PREVIEW_COPY,
        "save": _PREVIEW_SAVE,
        "pick": _PREVIEW_PICK,
        "read": _PREVIEW_READ,
    }

    def __init__(self, **params: Any) -> None:
        super().__init__(**params)
        self._send_text()
        self.param.watch(self._send_text, "text")

    def _send_text(self, *_: object) -> None:
        self.shown = {"text": self.text}

    def show(self, request: dict[str, Any]) -> None:
        """Display ``request`` (a JSON-able dict)."""
        self.text = json.dumps(request, indent=2, ensure_ascii=False, default=str)

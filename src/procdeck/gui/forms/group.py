"""``FieldGroup``: many simple inputs rendered by one light component.

A Bokeh widget costs a few hundred microseconds to create in Python and
several milliseconds to render in the browser, and a 200-input form needs
hundreds of them. Simple fields (text, dates, numbers, checkboxes, choices,
rows of numbers) are therefore drawn as plain native form controls inside one
``JSComponent`` per run of consecutive simple fields. Each control has a real
``<label for>``, help text as plain text, its error messages (``role=alert``)
right below it, and a "No value" checkbox when the field is nullable.

State lives in three dict parameters keyed by field id: ``values`` (what the
controls show; the browser writes it), ``nulls`` (the "No value" boxes) and
``errors`` (Python writes it). :class:`GroupBinding` keeps them in step with
the field view-models through each field's :class:`InlineSpec`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import param
from panel.custom import JSComponent

from procdeck._util.reentry import Reentry
from procdeck.forms import Field

__all__ = ["FieldGroup", "GroupBinding", "InlineSpec"]


@dataclass
class InlineSpec:
    """How one field appears in a :class:`FieldGroup`.

    ``control`` is one of ``text``, ``password``, ``textarea``, ``date``, ``time``,
    ``number``, ``checkbox``, ``select``, ``radio``, ``checkboxes``, ``numbers``,
    ``static``. ``to_shown`` turns the field value into what the control shows
    (JSON: text, number, bool, option index, list); ``from_shown`` the reverse.
    ``attrs`` are extra settings for the control (options, min, max, step,
    placeholder, labels of a number row ...).
    """

    control: str
    to_shown: Callable[[Any], Any]
    from_shown: Callable[[Any], Any]
    attrs: dict[str, Any] = field(default_factory=dict)
    #: apply ``from_shown`` result by calling this instead of setting ``field.value``
    apply: Callable[[Any], None] | None = None


_CSS = """
:host { display: block; }
.pd-f { display: flex; flex-direction: column; gap: 3px; margin: 5px 10px 7px 10px; }
.pd-head { display: flex; align-items: center; gap: 5px; font-size: 0.9em; }
.pd-inline { flex-direction: row; align-items: center; gap: 6px; }
.pd-help { font-size: 0.8em; opacity: 0.75; cursor: help; border: 1px solid currentColor;
  border-radius: 50%; width: 1.25em; height: 1.25em; display: inline-flex;
  align-items: center; justify-content: center; }
.pd-sr { position: absolute; width: 1px; height: 1px; overflow: hidden;
  clip: rect(0 0 0 0); white-space: nowrap; }
.pd-c, select.pd-c, textarea.pd-c {
  font: inherit; min-height: 31px; padding: 0 10px; box-sizing: border-box; width: 100%;
  border: 1px solid var(--pd-border, #ccc); border-radius: 4px;
  background: var(--pd-input-bg, Field); color: var(--pd-input-fg, FieldText);
}
textarea.pd-c { padding: 6px 10px; resize: vertical; }
.pd-c:focus-visible, input[type=checkbox]:focus-visible, input[type=radio]:focus-visible {
  outline: 2px solid var(--pd-focus, #2b6cb0); outline-offset: 1px; }
.pd-c:disabled { opacity: 0.6; }
.pd-c[aria-invalid=true] { border-color: var(--pd-error, #b3261e); }
input[type=checkbox], input[type=radio] { width: 16px; height: 16px; margin: 0; }
fieldset { border: 0; margin: 0; padding: 0; min-width: 0; }
legend { padding: 0; font-size: 0.9em; display: flex; align-items: center; gap: 5px; }
.pd-row { display: flex; flex-wrap: wrap; gap: 6px; }
.pd-cell { display: flex; flex-direction: column; gap: 2px; flex: 1 1 70px; min-width: 60px; }
.pd-cell label { font-size: 0.8em; opacity: 0.85; }
.pd-options { display: flex; flex-wrap: wrap; gap: 4px 14px; }
.pd-opt { display: inline-flex; align-items: center; gap: 5px; }
.pd-null { display: inline-flex; align-items: center; gap: 5px; font-size: 0.85em; }
.pd-err { color: var(--pd-error, #b3261e); font-size: 0.85em; }
.pd-err:empty { display: none; }
.pd-static { font-family: ui-monospace, monospace; font-size: 0.9em; }
"""

_ESM = """
function el(tag, props, ...children) {
  const node = document.createElement(tag);
  Object.assign(node, props || {});
  node.append(...children.filter((c) => c != null));
  return node;
}

function control(spec, id, send) {
  const a = spec.attrs || {};
  const label = el("label", {htmlFor: id, textContent: spec.label});
  const kind = spec.control;
  if (kind === "checkbox") {
    const box = el("input", {type: "checkbox", id});
    box.addEventListener("change", () => send(box.checked));
    return {label, node: box, inline: true, inputs: [box],
            show: (v) => { box.checked = !!v; }};
  }
  if (kind === "select") {
    const sel = el("select", {id, className: "pd-c"});
    a.options.forEach((text, i) => sel.append(el("option", {value: String(i), textContent: text})));
    sel.addEventListener("change", () => send(Number(sel.value)));
    return {label, node: sel, inputs: [sel],
            show: (v) => { sel.value = v == null ? "" : String(v); }};
  }
  if (kind === "radio" || kind === "checkboxes") {
    const set = el("fieldset", {id});
    const legend = el("legend", {textContent: spec.label});
    const list = el("div", {className: "pd-options"});
    const multi = kind === "checkboxes";
    const inputs = a.options.map((text, i) => {
      const input = el("input", {type: multi ? "checkbox" : "radio", name: id});
      input.addEventListener("change", () => {
        const on = inputs.flatMap((inp, j) => inp.checked ? [j] : []);
        send(multi ? on : (on.length ? on[0] : null));
      });
      list.append(el("label", {className: "pd-opt"}, input, el("span", {textContent: text})));
      return input;
    });
    set.append(legend, list);
    return {label: null, legend, node: set, inputs,
            show: (v) => inputs.forEach((inp, j) => {
              inp.checked = multi ? (v || []).includes(j) : v === j; })};
  }
  if (kind === "numbers") {
    const set = el("fieldset", {id});
    const legend = el("legend", {textContent: spec.label});
    const row = el("div", {className: "pd-row"});
    const inputs = a.labels.map((text, i) => {
      const input = el("input", {type: "number", id: id + "-" + i, className: "pd-c",
                                 step: a.integer ? "1" : "any"});
      input.setAttribute("aria-label", spec.label + " " + text);
      input.addEventListener("change", () => send(inputs.map(
        (inp) => inp.value === "" ? null : Number(inp.value))));
      row.append(el("div", {className: "pd-cell"},
                    el("label", {htmlFor: input.id, textContent: text}), input));
      return input;
    });
    set.append(legend, row);
    return {label: null, legend, node: set, inputs,
            show: (v) => inputs.forEach((inp, i) => {
              const x = (v || [])[i];
              const text = x == null ? "" : String(x);
              if (inp.value !== text) inp.value = text; })};
  }
  if (kind === "static") {
    const out = el("output", {id, className: "pd-static"});
    return {label, node: out, inputs: [],
            show: (v) => { out.textContent = v == null ? "" : String(v); }};
  }
  const tag = kind === "textarea" ? "textarea" : "input";
  const input = el(tag, {id, className: "pd-c"});
  if (tag === "input") input.type = kind === "number" ? "number" : kind;
  if (kind === "textarea") input.rows = 3;
  if (kind === "time") input.step = "1";
  if (a.placeholder) input.placeholder = a.placeholder;
  for (const key of ["min", "max", "step"]) if (a[key] != null) input[key] = String(a[key]);
  const read = () => kind === "number" ? (input.value === "" ? null : Number(input.value))
                                       : input.value;
  // text is sent while typing (validated as you go); other inputs when changed
  const live = kind === "text" || kind === "password" || kind === "textarea";
  input.addEventListener(live ? "input" : "change", () => send(read()));
  if (live) input.addEventListener("change", () => send(read()));
  return {label, node: input, inputs: [input],
          show: (v) => { const text = v == null ? "" : String(v);
                         if (input.value !== text) input.value = text; }};
}

export function render({ model, el: root }) {
  const views = {};
  const box = el("div");
  model.fields.forEach((spec) => {
    const id = spec.id;
    const send = (v) => { model.values = Object.assign({}, model.values, {[id]: v}); };
    const c = control(spec, id, send);
    const err = el("div", {className: "pd-err", id: id + "-err", role: "alert"});
    let helpMark = null, helpText = null;
    if (spec.help) {
      helpMark = el("span", {className: "pd-help", textContent: "?", title: spec.help});
      helpMark.setAttribute("aria-hidden", "true");
      helpText = el("span", {className: "pd-sr", id: id + "-help", textContent: spec.help});
    }
    const described = [helpText ? id + "-help" : null, id + "-err"].filter(Boolean).join(" ");
    c.inputs.forEach((inp) => inp.setAttribute("aria-describedby", described));
    const wrap = el("div", {className: "pd-f"});
    if (c.legend) {
      c.legend.append(" ", helpMark || "", helpText || "");
      wrap.append(c.node);
    } else if (c.inline) {
      wrap.append(el("div", {className: "pd-head"}, c.node, c.label, helpMark, helpText));
    } else {
      wrap.append(el("div", {className: "pd-head"}, c.label, helpMark, helpText), c.node);
    }
    let nullBox = null;
    if (spec.nullable) {
      nullBox = el("input", {type: "checkbox", id: id + "-null"});
      nullBox.addEventListener("change", () => {
        model.nulls = Object.assign({}, model.nulls, {[id]: nullBox.checked});
      });
      wrap.append(el("label", {className: "pd-null"}, nullBox,
                     el("span", {textContent: "No value"})));
    }
    wrap.append(err);
    box.append(wrap);
    views[id] = {c, err, nullBox, spec};
  });
  const show = () => {
    for (const [id, view] of Object.entries(views)) {
      const isNull = !!(model.nulls || {})[id];
      view.c.show((model.values || {})[id]);
      if (view.nullBox) view.nullBox.checked = isNull;
      const messages = (model.errors || {})[id] || [];
      view.err.textContent = messages.join(" ");
      const off = view.spec.disabled || isNull;
      view.c.inputs.forEach((inp) => {
        inp.disabled = off;
        inp.setAttribute("aria-invalid", messages.length ? "true" : "false");
      });
    }
  };
  show();
  model.on("values", show);
  model.on("nulls", show);
  model.on("errors", show);
  root.append(box);
}
"""


class FieldGroup(JSComponent):
    """Consecutive simple fields drawn as native controls in one component."""

    fields = param.List(default=[], doc="One spec per field: id, control, label, help ...")
    values = param.Dict(default={}, doc="Field id -> what its control shows.")
    nulls = param.Dict(default={}, doc="Field id -> True when 'No value' is checked.")
    errors = param.Dict(default={}, doc="Field id -> error messages.")

    _stylesheets = [_CSS]  # noqa: RUF012 - Panel reads this class attribute
    _esm = _ESM

    def __init__(self, **params: Any) -> None:
        super().__init__(sizing_mode="stretch_width", margin=0, **params)
        self.binding: GroupBinding | None = None

    def field_id(self, label: str) -> str:
        """The id of the (single) field labelled ``label`` (handy in tests)."""
        ids = [s["id"] for s in self.fields if s["label"] == label]
        if len(ids) != 1:
            raise LookupError(f"{len(ids)} fields labelled {label!r}")
        return ids[0]

    def enter(self, label: str, shown: Any) -> None:
        """Do what the browser does when the user sets the control labelled ``label``."""
        self.values = {**self.values, self.field_id(label): shown}

    def set_null(self, label: str, null: bool) -> None:
        """Do what the browser does when "No value" is (un)checked."""
        self.nulls = {**self.nulls, self.field_id(label): null}


def _same(a: Any, b: Any) -> bool:
    """Equal, telling True from 1 (a checkbox from a number)."""
    return type(a) is type(b) and a == b


class GroupBinding:
    """Keeps a :class:`FieldGroup` and its fields' view-models in step.

    ``_own_change`` is held while the binding writes one side from the other: a value
    the browser sent is not pushed back to it, and the binding's own push to the
    browser is not taken for an edit.
    """

    def __init__(self, entries: list[tuple[Field, InlineSpec, str]]) -> None:
        self.entries = {fid: (field_, spec) for field_, spec, fid in entries}
        specs = [self._describe(f, s, fid) for f, s, fid in entries]
        self.group = FieldGroup(
            fields=specs,
            values={fid: s.to_shown(f.value) for f, s, fid in entries},
            nulls={fid: f.value is None for f, s, fid in entries if f.nullable},
            errors={fid: list(f.errors) for f, s, fid in entries if f.errors},
        )
        self.group.binding = self
        self._own_change = Reentry()
        # field id -> (shown before, shown after) of a push the browser may not have yet
        self._in_flight: dict[str, tuple[Any, Any]] = {}
        # one watcher for both: a message of the browser may carry an unchecked
        # "No value" together with the first character typed into that field
        self.group.param.watch(self._on_browser, ["values", "nulls"])
        for field_, spec, fid in entries:
            field_.param.watch(self._field_watcher(field_, spec, fid), "value")
            field_.param.watch(self._errors_watcher(field_, fid), "errors")

    @staticmethod
    def _describe(field_: Field, spec: InlineSpec, fid: str) -> dict[str, Any]:
        return {"id": fid, "control": spec.control, "label": field_.title,
                "help": field_.help_text, "nullable": field_.nullable,
                "disabled": field_.read_only, "attrs": spec.attrs}

    def _on_browser(self, *events: Any) -> None:
        by_name = {event.name: event for event in events}
        values, nulls = by_name.get("values"), by_name.get("nulls")
        typed: set[str] = set()
        if values is not None:
            old = values.old or {}
            typed = {fid for fid, shown in values.new.items()
                     if fid not in old or not _same(old[fid], shown)}
        # nulls first: a field switched on and typed into in one message takes the
        # typed text, not its draft (whose push would wipe what is being typed)
        if nulls is not None:
            self._on_nulls(nulls, typed)
        if values is not None:
            self._on_values(values)

    def _on_values(self, event: Any) -> None:
        if self._own_change:
            return
        old = event.old or {}
        for fid, shown in event.new.items():
            if fid in self._in_flight:
                before, after = self._in_flight[fid]
                if _same(shown, before) and not _same(before, after):
                    # the browser wrote other fields before our push of this one
                    # reached it: its copy of this field is stale, keep ours
                    continue
                del self._in_flight[fid]
            if fid in self.entries and (fid not in old or not _same(old[fid], shown)):
                field_, spec = self.entries[fid]
                with self._own_change:
                    value = spec.from_shown(shown)
                    if spec.apply is not None:
                        spec.apply(value)
                    else:
                        field_.value = value

    def _on_nulls(self, event: Any, typed: set[str]) -> None:
        old = event.old or {}
        for fid, null in event.new.items():
            if fid in self.entries and bool(old.get(fid)) != bool(null):
                field_, _ = self.entries[fid]
                if bool(null) == (field_.value is None):
                    continue
                if not null and fid in typed:
                    with self._own_change:  # the typed value follows; push nothing
                        field_.set_null(False)
                else:
                    field_.set_null(bool(null))

    def _field_watcher(self, field_: Field, spec: InlineSpec, fid: str) -> Callable[[Any], None]:
        def on_value(event: Any) -> None:
            updates: dict[str, Any] = {}
            shown = spec.to_shown(event.new)
            before = self.group.values.get(fid)
            if not self._own_change and not _same(before, shown):
                updates["values"] = {**self.group.values, fid: shown}
                self._in_flight[fid] = (before, shown)
            if field_.nullable and bool(self.group.nulls.get(fid)) != (event.new is None):
                updates["nulls"] = {**self.group.nulls, fid: event.new is None}
            if updates:
                with self._own_change:
                    self.group.param.update(updates)
        return on_value

    def _errors_watcher(self, field_: Field, fid: str) -> Callable[[Any], None]:
        def on_errors(event: Any) -> None:
            errors = dict(self.group.errors)
            if event.new:
                errors[fid] = list(event.new)
            else:
                errors.pop(fid, None)
            self.group.errors = errors
        return on_errors

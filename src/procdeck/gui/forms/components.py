"""Light custom widgets (Panel ``JSComponent``) for inputs Bokeh lacks or makes heavy.

- :class:`NativeInput`: one native ``<input>`` (date, time, checkbox, ...) with a
  real ``<label for>``, so the browser's own date picker and keyboard handling
  apply and Playwright's ``fill`` works (Bokeh's flatpickr date picker is read-only).
- :class:`NumberRow`: several numbers in one row (fixed-length arrays, bounding
  boxes) as one model instead of a Row of separate widgets.

Both render plain DOM in their shadow root, need no outside resource and cost
less to create than a Bokeh input widget.
"""

from __future__ import annotations

import param
from panel.custom import JSComponent

__all__ = ["NativeInput", "NumberRow"]

_CSS = """
:host { display: block; }
.pd-field { display: flex; flex-direction: column; gap: 4px; margin: 5px 10px; }
.pd-field.pd-inline { flex-direction: row; align-items: center; gap: 6px; }
label, legend { font-size: 0.9em; }
legend { padding: 0; margin-bottom: 4px; }
fieldset { border: 0; margin: 0; padding: 0; min-width: 0; }
.pd-row { display: flex; flex-wrap: wrap; gap: 6px; }
.pd-cell { display: flex; flex-direction: column; gap: 2px; flex: 1 1 70px; min-width: 60px; }
.pd-cell label { font-size: 0.8em; opacity: 0.85; }
input[type=number], input[type=date], input[type=time], input[type=text] {
  font: inherit; height: 31px; padding: 0 10px; box-sizing: border-box; width: 100%;
  border: 1px solid var(--pd-border, #ccc); border-radius: 4px;
  background: var(--pd-input-bg, Field); color: var(--pd-input-fg, FieldText);
}
input[type=checkbox], input[type=radio] { width: 16px; height: 16px; margin: 0; }
input:focus-visible { outline: 2px solid var(--pd-focus, #2b6cb0); outline-offset: 1px; }
input:disabled { opacity: 0.6; }
.pd-help { font-size: 0.85em; opacity: 0.75; cursor: help; border: 1px solid currentColor;
  border-radius: 50%; width: 1.2em; height: 1.2em; display: inline-flex;
  align-items: center; justify-content: center; margin-left: 4px; }
.pd-sr { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); }
"""

# Help text goes in as text (never HTML): a visible "?" with a tooltip, and the same
# words as the input's accessible description for screen readers.
_HELPERS = """
function helpEls(text, id) {
  if (!text) return [];
  const mark = document.createElement("span");
  mark.className = "pd-help"; mark.textContent = "?"; mark.title = text;
  mark.setAttribute("aria-hidden", "true");
  const sr = document.createElement("span");
  sr.className = "pd-sr"; sr.id = id; sr.textContent = text;
  return [mark, sr];
}
"""


class NativeInput(JSComponent):
    """A labelled native ``<input>``; ``value`` is its text ('' when empty) or bool for
    checkboxes."""

    value = param.Parameter(default="", doc="Text of the input, or a bool for a checkbox.")
    label = param.String(default="", doc="Visible label, bound to the input.")
    input_type = param.Selector(default="date", objects=["date", "time", "checkbox", "text"])
    help = param.String(default="", doc="Help text (plain text).")
    placeholder = param.String(default="")
    disabled = param.Boolean(default=False)
    step = param.String(default="", doc="The input's step attribute (e.g. '1' for seconds).")

    _stylesheets = [_CSS]  # noqa: RUF012 - Panel reads this class attribute
    _esm = _HELPERS + """
export function render({ model, el }) {
  const box = document.createElement("div");
  const isCheck = model.input_type === "checkbox";
  box.className = isCheck ? "pd-field pd-inline" : "pd-field";
  const input = document.createElement("input");
  input.type = model.input_type;
  input.id = "pd-input";
  const label = document.createElement("label");
  label.htmlFor = "pd-input";
  label.textContent = model.label;
  const help = helpEls(model.help, "pd-help");
  if (help.length) input.setAttribute("aria-describedby", "pd-help");
  const show = () => {
    if (isCheck) input.checked = !!model.value;
    else input.value = model.value == null ? "" : String(model.value);
    input.disabled = model.disabled;
    input.placeholder = model.placeholder;
    if (model.step) input.step = model.step;
  };
  show();
  input.addEventListener("change", () => {
    model.value = isCheck ? input.checked : input.value;
  });
  model.on("value", show);
  model.on("disabled", show);
  if (isCheck) box.append(input, label, ...help);
  else {
    const head = document.createElement("div");
    head.append(label, ...help);
    box.append(head, input);
  }
  el.append(box);
}
"""


class NumberRow(JSComponent):
    """Several labelled number inputs in one row; ``values`` holds numbers or ``None``."""

    values = param.List(default=[], doc="One number (or None when empty) per input.")
    labels = param.List(default=[], doc="Label of each input.")
    title = param.String(default="", doc="Legend of the whole row.")
    help = param.String(default="", doc="Help text (plain text).")
    integer = param.Boolean(default=False)
    disabled = param.Boolean(default=False)

    _stylesheets = [_CSS]  # noqa: RUF012 - Panel reads this class attribute
    _esm = _HELPERS + """
export function render({ model, el }) {
  const set = document.createElement("fieldset");
  set.className = "pd-field";
  const legend = document.createElement("legend");
  legend.textContent = model.title;
  legend.append(...helpEls(model.help, "pd-help"));
  const row = document.createElement("div");
  row.className = "pd-row";
  const inputs = model.labels.map((text, i) => {
    const cell = document.createElement("div");
    cell.className = "pd-cell";
    const input = document.createElement("input");
    input.type = "number";
    input.id = "pd-n" + i;
    input.step = model.integer ? "1" : "any";
    const label = document.createElement("label");
    label.htmlFor = input.id;
    label.textContent = text;
    // the accessible name says which row the number belongs to
    input.setAttribute("aria-label", model.title + " " + text);
    input.addEventListener("change", () => {
      const values = inputs.map((inp) => inp.value === "" ? null : Number(inp.value));
      model.values = values;
    });
    cell.append(label, input);
    row.append(cell);
    return input;
  });
  const show = () => {
    inputs.forEach((input, i) => {
      const v = model.values[i];
      const text = v == null ? "" : String(v);
      if (input.value !== text) input.value = text;
      input.disabled = model.disabled;
    });
  };
  show();
  model.on("values", show);
  model.on("disabled", show);
  set.append(legend, row);
  el.append(set);
}
"""


"""Field view-models: one per schema node, holding its value, errors and UI hints.

A field's ``value`` is the JSON value it produces, or :data:`MISSING` when
nothing is entered (a missing optional input is not sent). Composite fields
(objects, arrays, choices) derive their value from their children and push a
loaded value down into them; every change bubbles up to the form, which
validates the input it belongs to.
"""

from __future__ import annotations

import base64
import copy
import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar

import param

from procdeck._util.reentry import Reentry
from procdeck.forms.validation import FORMAT_EXAMPLES, join_path

if TYPE_CHECKING:
    from procdeck.forms.builder import BuildContext

__all__ = [
    "MISSING",
    "BBoxField",
    "BinaryField",
    "BooleanField",
    "ConstField",
    "EnumField",
    "Field",
    "JsonField",
    "MultiChoiceField",
    "NumberField",
    "NumberRowField",
    "StringField",
]


class _Missing:
    """The value of a field where nothing is entered (distinct from JSON ``null``)."""

    _instance: ClassVar[_Missing | None] = None

    def __new__(cls) -> _Missing:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "MISSING"

    def __bool__(self) -> bool:
        return False

    def __copy__(self) -> _Missing:
        return self

    def __deepcopy__(self, memo: Any) -> _Missing:
        return self


MISSING: Any = _Missing()


class Field(param.Parameterized):
    """Base of all field view-models.

    Parameters are declared ``per_instance=False``: a form has hundreds of
    fields, and copying every Parameter object per field would dominate the
    time to build it (values and watchers stay per field).

    Plain attributes (not params, to keep construction cheap) describe the
    field: ``schema`` (translated JSON schema), ``title``, ``description``,
    ``required``, ``nullable``, ``read_only``, ``deprecated``, ``advanced``,
    ``widget`` (the ``x-ui-widget`` hint), ``placeholder``, ``default``.

    A value set from outside is absorbed (composites push it into their children, a
    JSON field rewrites its text) and announced to the parent or the form. A value the
    field derives itself (from its children, from its text) is set while
    ``_own_change`` is held, so its own watcher lets it pass; every other watcher (the
    page) sees it as usual.
    """

    value = param.Parameter(
        per_instance=False, default=MISSING,
        doc="The JSON value, or MISSING when not entered.",
    )
    errors = param.List(
        per_instance=False, default=[],
        doc="Messages about this field, shown next to it.",
    )

    kind: ClassVar[str] = "field"

    def __init__(
        self,
        schema: dict[str, Any],
        *,
        key: str | int | None,
        title: str,
        required: bool,
        nullable: bool = False,
        context: BuildContext,
        parent: Field | None = None,
        description: str | None = None,
    ) -> None:
        super().__init__(name=str(key) if key is not None else "value")
        # Plain attributes go straight into __dict__: Parameterized.__setattr__ is
        # slow, and a 200-input form sets thousands of them.
        self.__dict__.update(
            schema=schema,
            key=key,
            title=title,
            description=description if description is not None else schema.get("description"),
            required=required,
            nullable=nullable,
            context=context,
            parent=parent,
            read_only=bool(schema.get("readOnly")),
            deprecated=bool(schema.get("deprecated")),
            advanced=bool(schema.get("x-ui-advanced")),
            widget=schema.get("x-ui-widget"),
            default=copy.deepcopy(schema["default"]) if "default" in schema else MISSING,
            placeholder=_placeholder(schema),
            listener=None,
            _own_change=Reentry(),
            _null_draft=MISSING,
        )
        self.widget: str | None
        self.listener: Callable[[Field], None] | None
        self.param.watch(self._on_value, "value")

    # -- identity ---------------------------------------------------------------------
    @property
    def path(self) -> str:
        """Where this field sits in the inputs, e.g. ``scene_spec.threshold`` or ``bbox[2]``."""
        if self.parent is None:
            return str(self.key)
        if self.key is None:
            return self.parent.path
        return join_path(self.parent.path, self.key)

    @property
    def help_text(self) -> str:
        """The description, plus a note when deprecated (plain text / Markdown, never HTML)."""
        text = self.description or ""
        if self.deprecated:
            text = (text + "\n\n" if text else "") + "Deprecated."
        return text

    # -- value plumbing ---------------------------------------------------------------
    def initial_value(self) -> Any:
        """The value this field starts with: its default, else null if it must be sent
        and may be null, else MISSING."""
        if self.default is not MISSING:
            return copy.deepcopy(self.default)
        if "const" in self.schema and self.required:
            return copy.deepcopy(self.schema["const"])
        if self.required and self.nullable:
            return None
        return MISSING

    @property
    def is_null(self) -> bool:
        """True when the field holds null (``None``), as a nullable field may."""
        return self.value is None

    def set_null(self, null: bool) -> None:
        """Make the field null (keeping what it held as a draft), or bring the draft back.

        The "No value" switch of a nullable field: switching it off again restores the
        value entered before (MISSING when there was none).
        """
        if null:
            if self.value is not None:
                self._null_draft = self.value
            self.value = None
        else:
            self.value = self._null_draft

    def reset(self) -> None:
        """Go back to the initial value."""
        self.value = self.initial_value()

    def clear(self) -> None:
        """Enter nothing (MISSING)."""
        self.value = MISSING

    def _on_value(self, event: param.parameterized.Event) -> None:
        if self._own_change:
            return
        with self._own_change:
            self._absorb(event.new)
        self._notify()

    def _absorb(self, value: Any) -> None:
        """Bring internal state in line with a value set from outside (composites push down).

        Runs while ``_own_change`` is held: the field's watchers of what it rewrites here
        (children, text, branch) let those writes pass.
        """

    def _set_own_value(self, value: Any) -> None:
        """Set a value the field derived itself: announced to watchers, not absorbed again."""
        with self._own_change:
            self.value = value

    def _notify(self) -> None:
        if self.parent is not None:
            self.parent._child_changed(self)
        elif self.listener is not None:
            self.listener(self)

    def _child_changed(self, child: Field) -> None:  # pragma: no cover - leaves have no children
        raise NotImplementedError

    # -- errors -----------------------------------------------------------------------
    def own_errors(self) -> list[str]:
        """Checks JSON schema cannot express (bbox order, unparsable JSON ...)."""
        return []

    def collect_own_errors(self) -> list[tuple[str, str]]:
        """(path, message) of every own-error check in this subtree (built parts only)."""
        path = self.path
        records = [(path, m) for m in self.own_errors()]
        for child in self.built_children():
            records.extend(child.collect_own_errors())
        return records

    def built_children(self) -> list[Field]:
        """Child fields that exist now (lazy parts that were never opened are skipped)."""
        return []

    def child_for(self, part: str | int) -> Field | None:
        """The built child at one path step, if any."""
        return None

    def show_errors(self, records: list[tuple[str, str]]) -> None:
        """Display (path, message) records of this subtree; children take theirs."""
        mine = self._route_to_children(records)
        own = self.path
        messages = []
        for path, message in mine:
            if path == own:
                messages.append(message)
            else:
                rel = path[len(own):].lstrip(".")
                messages.append(f"{rel}: {message}")
        if messages != self.errors:
            self.errors = messages

    def _route_to_children(self, records: list[tuple[str, str]]) -> list[tuple[str, str]]:
        return records


def _placeholder(schema: dict[str, Any]) -> str:
    hint = schema.get("x-ui-placeholder")
    if isinstance(hint, str):
        return hint
    examples = schema.get("examples")
    if isinstance(examples, list) and examples and examples[0] is not None:
        first = examples[0]
        return first if isinstance(first, str) else json.dumps(first)
    fmt = schema.get("format")
    if isinstance(fmt, str) and fmt in FORMAT_EXAMPLES:
        return FORMAT_EXAMPLES[fmt]
    # shown when the field is emptied: what the process uses when nothing is sent
    default = schema.get("default")
    if default is not None and isinstance(default, str | int | float | bool):
        return f"default: {json.dumps(default) if not isinstance(default, str) else default}"
    return ""


class StringField(Field):
    """Text; ``format`` (date, date-time, time, uri, email, password) picks the widget."""

    kind: ClassVar[str] = "string"

    @property
    def format(self) -> str | None:
        """The ``format`` keyword, if any."""
        fmt = self.schema.get("format")
        return fmt if isinstance(fmt, str) else None

    @property
    def is_secret(self) -> bool:
        """True for passwords and write-only values (shown masked)."""
        return self.format == "password" or bool(self.schema.get("writeOnly"))

    @property
    def is_long_text(self) -> bool:
        """True when the text deserves a multi-line box."""
        return self.widget == "textarea" or self.format in ("wkt", "textarea")


class BinaryField(Field):
    """Binary content sent as a base64 string (uploaded from a file)."""

    kind: ClassVar[str] = "binary"
    filename = param.String(
        per_instance=False, default=None, allow_None=True,
        doc="Name of the uploaded file.",
    )

    def set_bytes(self, data: bytes, filename: str | None = None) -> None:
        """Take a file's content: the value becomes its base64 text."""
        self.filename = filename
        self.value = base64.b64encode(data).decode("ascii")

    @property
    def media_type(self) -> str | None:
        """The ``contentMediaType``, used to filter the file chooser."""
        return self.schema.get("contentMediaType")


class NumberField(Field):
    """A number or integer with bounds (``minimum``, exclusive bounds, ``multipleOf``)."""

    kind: ClassVar[str] = "number"

    @property
    def integer(self) -> bool:
        """True for ``type: integer``."""
        kind = self.schema.get("type")
        return kind == "integer" or (isinstance(kind, list) and "integer" in kind
                                     and "number" not in kind)

    @property
    def bounds(self) -> tuple[float | None, float | None]:
        """(lowest, highest) allowed, inclusive or exclusive."""
        lo = self.schema.get("minimum", self.schema.get("exclusiveMinimum"))
        hi = self.schema.get("maximum", self.schema.get("exclusiveMaximum"))
        return (lo if _is_number(lo) else None, hi if _is_number(hi) else None)

    @property
    def step(self) -> float | None:
        """The ``multipleOf``, used as the widget step."""
        step = self.schema.get("multipleOf")
        return step if _is_number(step) else None


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


class BooleanField(Field):
    """True or false; a required one without default starts unchecked (false)."""

    kind: ClassVar[str] = "boolean"

    def initial_value(self) -> Any:
        """The default; else false when it must be sent (what an unchecked box shows)."""
        start = super().initial_value()
        if start is MISSING and self.required and not self.nullable:
            return False
        return start


class EnumField(Field):
    """One of a fixed list of values (select, or radio buttons for a few)."""

    kind: ClassVar[str] = "enum"

    def __init__(self, schema: dict[str, Any], *, options: list[Any],
                 labels: list[str] | None = None, **kwargs: Any) -> None:
        super().__init__(schema, **kwargs)
        self.options = [o for o in options if o is not None]
        self.labels = labels or [_option_label(o) for o in self.options]

    @property
    def as_radio(self) -> bool:
        """Radio buttons for a few options or when asked (``x-ui-widget: radio``)."""
        return self.widget == "radio" or (self.widget is None and len(self.options) <= 3)


def _option_label(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


class ConstField(Field):
    """A value that cannot be changed (``const``); shown read-only, always sent if required."""

    kind: ClassVar[str] = "const"

    @property
    def const(self) -> Any:
        """The one allowed value."""
        return self.schema.get("const")


class MultiChoiceField(Field):
    """A set of distinct values picked from an enum (``uniqueItems`` array of enum items)."""

    kind: ClassVar[str] = "multichoice"

    def __init__(self, schema: dict[str, Any], *, options: list[Any], **kwargs: Any) -> None:
        super().__init__(schema, **kwargs)
        self.options = options
        self.labels = [_option_label(o) for o in options]


class NumberRowField(Field):
    """A short fixed-length list of numbers edited in one row (value: list of numbers)."""

    kind: ClassVar[str] = "numbers"

    def __init__(self, schema: dict[str, Any], *, size: int, integer: bool = False,
                 labels: list[str] | None = None, **kwargs: Any) -> None:
        super().__init__(schema, **kwargs)
        self.size = size
        self.integer = integer
        self.labels = labels or [str(i + 1) for i in range(size)]

    @property
    def coordinates(self) -> list[Any]:
        """The numbers of the current value (empty when there is none)."""
        return list(self.value) if isinstance(self.value, list) else []

    def set_item(self, index: int, number: float | None) -> None:
        """Change one number (``None`` leaves it empty)."""
        items = self.coordinates + [None] * (self.size - len(self.coordinates))
        items[index] = number
        self.set_numbers(items)

    def set_numbers(self, numbers: list[float | None]) -> None:
        """Set all numbers at once; all empty means no value."""
        items = [_whole(n) if self.integer else n for n in numbers]
        empty = not any(v is not None for v in items)
        self.value = MISSING if empty else items


BBOX_LABELS_2D = ["West", "South", "East", "North"]
BBOX_LABELS_3D = ["West", "South", "Bottom", "East", "North", "Top"]


class BBoxField(NumberRowField):
    """A bounding box: 4 (2D) or 6 (3D) numbers, or the OGC ``{bbox, crs}`` object.

    Checks west <= east and south <= north (and bottom <= top) besides the schema.
    """

    kind: ClassVar[str] = "bbox"
    crs = param.String(
        per_instance=False, default=None, allow_None=True,
        doc="CRS of the OGC bbox object form.",
    )

    def __init__(self, schema: dict[str, Any], *, size: int = 4, object_form: bool = False,
                 **kwargs: Any) -> None:
        labels = BBOX_LABELS_3D if size == 6 else BBOX_LABELS_2D
        super().__init__(schema, size=size, labels=labels, **kwargs)
        self.object_form = object_form
        self.param.watch(self._on_crs, "crs")

    @property
    def coordinates(self) -> list[Any]:
        """The numbers, whichever form the value has."""
        value = self.value
        if self.object_form and isinstance(value, dict):
            value = value.get("bbox")
        return list(value) if isinstance(value, list) else []

    def set_numbers(self, numbers: list[float | None]) -> None:
        """Set all coordinates at once; all empty means no value."""
        items = list(numbers)
        empty = not any(v is not None for v in items)
        if self.object_form:
            if empty:
                self.value = MISSING
                return
            value = {"bbox": items}
            if self.crs:
                value["crs"] = self.crs
            self.value = value
        else:
            self.value = MISSING if empty else items

    def _absorb(self, value: Any) -> None:
        if self.object_form and isinstance(value, dict):
            self.crs = _crs_of(value)

    def _on_crs(self, event: param.parameterized.Event) -> None:
        if not self.object_form:
            return
        value = self.value
        if isinstance(value, dict) and _crs_of(value) == event.new:
            return  # taken from the value (see _absorb): the two agree already
        value = dict(value) if isinstance(value, dict) else {"bbox": []}
        if event.new:
            value["crs"] = event.new
        else:
            value.pop("crs", None)
        self.value = value

    def own_errors(self) -> list[str]:
        """West must not lie east of east, south not north of north."""
        coords = self.coordinates
        if len(coords) not in (4, 6) or not all(_is_number(c) for c in coords):
            return []
        half = len(coords) // 2
        problems = []
        names = BBOX_LABELS_3D if half == 3 else BBOX_LABELS_2D
        for axis in range(half):
            if coords[axis] > coords[axis + half]:
                lo, hi = names[axis], names[axis + half]
                problems.append(f"{lo} ({_num(coords[axis])}) must not be greater than "
                                f"{hi} ({_num(coords[axis + half])}).")
        return problems


def _crs_of(value: dict[str, Any]) -> str | None:
    """The CRS an OGC bbox object names (None when it names none, or not as text)."""
    crs = value.get("crs")
    return crs if isinstance(crs, str) else None


def _whole(value: float | None) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _num(value: float) -> str:
    return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)


class JsonField(Field):
    """Any JSON value edited as text (untyped schemas, free objects, schemas not understood)."""

    kind: ClassVar[str] = "json"
    text = param.String(per_instance=False, default="", doc="The value as JSON text.")

    def __init__(self, schema: dict[str, Any], *, reason: str | None = None,
                 **kwargs: Any) -> None:
        super().__init__(schema, **kwargs)
        self.reason = reason
        self._parse_error: str | None = None
        self.param.watch(self._on_text, "text")

    def _absorb(self, value: Any) -> None:
        self._parse_error = None
        self.text = "" if value is MISSING else json.dumps(value, indent=2, ensure_ascii=False)

    def _on_text(self, event: param.parameterized.Event) -> None:
        if self._own_change:
            return  # the text was written from the value (see _absorb)
        text = event.new.strip()
        if not text:
            self._parse_error = None
            value = MISSING
        else:
            try:
                value = json.loads(text)
                self._parse_error = None
            except ValueError as exc:
                self._parse_error = f"Not valid JSON: {exc}."
                value = MISSING
        self._set_own_value(value)
        self._notify()

    def own_errors(self) -> list[str]:
        """The JSON syntax error of the text, if any."""
        return [self._parse_error] if self._parse_error else []

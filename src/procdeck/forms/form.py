"""``InputForm``: a process description's inputs as one validated, editable value."""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

import param

from procdeck._util.reentry import Reentry
from procdeck.forms.builder import BuildContext
from procdeck.forms.containers import ArrayField, ChoiceField
from procdeck.forms.fields import MISSING, Field, JsonField
from procdeck.forms.schema import SchemaError, translate
from procdeck.forms.validation import (
    REQUIRED_MESSAGE,
    compile_validator,
    describe_error,
    error_path,
    join_path,
)
from procdeck.ogc.models import InputDescription, ProcessDescription

if TYPE_CHECKING:
    from jsonschema import ValidationError
    from jsonschema.protocols import Validator

__all__ = ["InputForm"]


class _Input:
    """One process input: its description, field, validator and latest errors."""

    def __init__(self, name: str, description: InputDescription) -> None:
        self.name = name
        self.description = description
        raw = description.full_schema()  # with hints a server kept aside
        self.validator: Validator | None = None
        self.problem: str | None = None
        try:
            schema = translate(raw)
            self.validator = compile_validator(schema)
        except SchemaError as exc:
            schema = raw
            self.problem = str(exc)
        self.schema = schema
        self.context = BuildContext(schema, self.validator)
        self.field = self._build()
        self.errors: dict[str, list[str]] = {}

    def _build(self) -> Field:
        desc = self.description
        title = desc.title or (self.schema.get("title") if isinstance(self.schema, dict)
                               else None) or self.name
        text = desc.description
        if self.problem is not None:
            field: Field = JsonField(
                self.schema if isinstance(self.schema, dict) else {}, reason=self.problem,
                key=self.name, title=title, required=not desc.is_optional,
                context=self.context, description=text,
            )
        elif desc.is_array:
            max_occurs = desc.maxOccurs if isinstance(desc.maxOccurs, int) else None
            field = ArrayField(
                {"type": "array", **_hints(self.schema)}, item_schema=self.schema,
                min_items=desc.minOccurs, max_items=max_occurs, occurrences=True,
                key=self.name, title=title, required=not desc.is_optional,
                context=self.context, description=text,
            )
        else:
            field = self.context.build(self.schema, key=self.name, parent=None,
                                       required=not desc.is_optional, title=title,
                                       description=text)
        extra = desc.model_extra or {}
        if extra.get("x-ui-advanced"):
            field.advanced = True
        return field

    @property
    def order(self) -> float | None:
        hint = (self.description.model_extra or {}).get("x-ui-order")
        if hint is None and isinstance(self.schema, dict):
            hint = self.schema.get("x-ui-order")
        return float(hint) if isinstance(hint, int | float) and not isinstance(hint, bool) \
            else None

    def validate(self) -> dict[str, list[str]]:
        """Validate the field's value; returns input path -> messages (also shown on fields)."""
        field = self.field
        value = field.value
        records = field.collect_own_errors()
        if value is MISSING:
            # an unparsable JSON text already says why there is no value
            if field.required and not any(path == self.name for path, _ in records):
                records.append((self.name, REQUIRED_MESSAGE))
        elif self.validator is not None:
            records.extend(self._schema_errors(value))
        field.show_errors(records)
        errors: dict[str, list[str]] = {}
        for path, message in records:
            bucket = errors.setdefault(path, [])
            if message not in bucket:
                bucket.append(message)
        self.errors = errors
        return errors

    def _schema_errors(self, value: Any) -> list[tuple[str, str]]:
        assert self.validator is not None
        field = self.field
        try:
            if isinstance(field, ArrayField) and field.occurrences:
                return self._occurrence_errors(value)
            errors = list(self.validator.iter_errors(value))
        except Exception as exc:  # e.g. a pattern Python's re cannot compile
            return [(self.name, f"Cannot check this value against its schema: {exc}")]
        return _flatten(self.name, errors, self.field)

    def _occurrence_errors(self, value: Any) -> list[tuple[str, str]]:
        field = self.field
        assert isinstance(field, ArrayField) and self.validator is not None
        if not isinstance(value, list):
            return [(self.name, "Must be a list.")]
        records = []
        if len(value) < field.min_items:
            records.append((self.name, f"Needs at least {field.min_items} item(s)."))
        if field.max_items is not None and len(value) > field.max_items:
            records.append((self.name, f"Allows at most {field.max_items} item(s)."))
        for index, item in enumerate(value):
            prefix = join_path(self.name, index)
            records.extend(_flatten(prefix, list(self.validator.iter_errors(item)),
                                    field.child_for(index)))
        return records


def _hints(schema: Any) -> dict[str, Any]:
    if not isinstance(schema, dict):
        return {}
    return {k: v for k, v in schema.items() if k.startswith("x-ui-")}


def _flatten(prefix: str, errors: list[ValidationError], root: Field | None
             ) -> list[tuple[str, str]]:
    """(path, message) records; oneOf/anyOf failures are explained by the branch in use."""
    records: list[tuple[str, str]] = []
    for error in errors:
        if error.validator in ("oneOf", "anyOf") and error.context:
            branch = _selected_branch(root, error)
            chosen = [e for e in error.context if e.relative_schema_path
                      and e.relative_schema_path[0] == branch]
            if chosen:
                records.extend(_flatten(prefix, chosen, root))
                continue
        records.append((error_path(prefix, error), describe_error(error)))
    return records


def _selected_branch(root: Field | None, error: ValidationError) -> int:
    """Position of the branch to explain: the one the user picked, else the closest one."""
    field = root
    for part in error.absolute_path:
        field = field.child_for(part) if field is not None else None
    if isinstance(field, ChoiceField) and not field.is_null:
        return field.positions[field.branch]
    # Nullable fields built from ``anyOf [X, null]`` and unopened parts: the branch
    # with the fewest complaints is the one the value was meant for.
    counts: dict[int, int] = {}
    for sub in error.context:
        if sub.relative_schema_path:
            position = sub.relative_schema_path[0]
            counts[position] = counts.get(position, 0) + 1
    null_positions = {i for i, s in enumerate(error.validator_value or [])
                      if isinstance(s, dict) and s.get("type") == "null"}
    candidates = {p: c for p, c in counts.items() if p not in null_positions} or counts
    return min(candidates, key=lambda p: (candidates[p], p))


class InputForm(param.Parameterized):
    """The inputs of a process as a form view-model (no widgets; see ``procdeck.gui``).

    ``value`` is the ``inputs`` member of an execute request; set it to load a
    saved request. Every field starts at its schema default (what you see is
    what is sent); inputs with nothing entered are left out.

    The form writes its own state (fields loaded from ``value``, ``value`` collected
    from the fields) while ``_own_change`` is held: its watchers let those writes pass,
    and the form refreshes once for all of them.
    """

    value = param.Dict(default={}, doc="The execute request's inputs (settable).")
    is_valid = param.Boolean(default=True, constant=True, doc="True when value can be sent.")
    errors = param.Dict(default={}, constant=True,
                        doc="Input path (e.g. 'scene_spec.threshold', 'bbox[2]') -> messages.")

    def __init__(self, description: ProcessDescription | dict[str, Any], **params: Any) -> None:
        if not isinstance(description, ProcessDescription):
            description = ProcessDescription.model_validate(description)
        super().__init__(name=description.id, **params)
        self.description = description
        self._inputs: dict[str, _Input] = {
            name: _Input(name, desc) for name, desc in description.inputs.items()
        }
        ranked = sorted(
            enumerate(self._inputs.values()),
            key=lambda item: (item[1].order is None, item[1].order or 0.0, item[0]),
        )
        self._ordered = [entry for _, entry in ranked]
        self._own_change = Reentry()
        for entry in self._ordered:
            entry.field.listener = self._on_field
        self.param.watch(self._on_value, "value")
        self.reset()

    # -- structure ------------------------------------------------------------------
    @property
    def fields(self) -> list[Field]:
        """Top-level fields, one per input, in display order (``x-ui-order``)."""
        return [entry.field for entry in self._ordered]

    @property
    def basic_fields(self) -> list[Field]:
        """Top-level fields that are not advanced."""
        return [f for f in self.fields if not f.advanced]

    @property
    def advanced_fields(self) -> list[Field]:
        """Top-level fields marked ``x-ui-advanced`` (shown in a collapsed section)."""
        return [f for f in self.fields if f.advanced]

    def field(self, name: str) -> Field:
        """The top-level field of input ``name``."""
        return self._inputs[name].field

    def find(self, path: str) -> Field | None:
        """The built field at an input path like ``scene_spec.threshold`` or ``bbox[2]``."""
        parts = _split_path(path)
        if not parts or parts[0] not in self._inputs:
            return None
        field: Field | None = self._inputs[str(parts[0])].field
        for part in parts[1:]:
            field = field.child_for(part) if field is not None else None
        return field

    # -- value ------------------------------------------------------------------------
    def reset(self) -> None:
        """Every input back to its default (inputs without one are left empty)."""
        with self._own_change:
            for entry in self._ordered:
                entry.field.reset()
        self._refresh(list(self._inputs))

    def _on_value(self, event: param.parameterized.Event) -> None:
        if self._own_change:
            return
        given = event.new or {}
        with self._own_change:
            for name, entry in self._inputs.items():
                entry.field.value = copy.deepcopy(given.get(name, MISSING))
        self._refresh(list(self._inputs))

    def _on_field(self, field: Field) -> None:
        if self._own_change:
            return
        self._refresh([str(field.key)])

    def _refresh(self, names: list[str]) -> None:
        value = dict(self.value) if len(names) < len(self._inputs) else {}
        for name in names:
            entry = self._inputs[name]
            current = entry.field.value
            if current is MISSING:
                value.pop(name, None)
            else:
                value[name] = current
            entry.validate()
        # keep input order stable (description order) for a readable request
        value = {name: value[name] for name in self._inputs if name in value}
        errors: dict[str, list[str]] = {}
        for entry in self._inputs.values():
            errors.update(entry.errors)
        with self._own_change, param.edit_constant(self):
            self.param.update(value=value, errors=errors, is_valid=not errors)

    def validate(self) -> bool:
        """Validate every input again; returns ``is_valid``."""
        self._refresh(list(self._inputs))
        return self.is_valid


def _split_path(path: str) -> list[str | int]:
    parts: list[str | int] = []
    for chunk in path.split("."):
        name, _, rest = chunk.partition("[")
        if name:
            parts.append(name)
        while rest:
            index, _, rest = rest.partition("]")
            parts.append(int(index))
            rest = rest.lstrip("[")
    return parts

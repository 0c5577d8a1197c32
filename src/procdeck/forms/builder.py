"""From a (translated) schema node to the field view-model that edits it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from procdeck.forms.containers import ArrayField, ChoiceField, MapField, ObjectField
from procdeck.forms.fields import (
    BBoxField,
    BinaryField,
    BooleanField,
    ConstField,
    EnumField,
    Field,
    JsonField,
    MultiChoiceField,
    NumberField,
    NumberRowField,
    StringField,
)
from procdeck.forms.schema import SchemaError, merge_all_of, resolve_pointer

if TYPE_CHECKING:
    from jsonschema.protocols import Validator

__all__ = ["MAX_DEPTH", "BuildContext"]

MAX_DEPTH = 48
_PRIMITIVES = (str, int, float, bool, type(None))
_NUMERIC = ("number", "integer")
_BBOX_FORMATS = ("ogc-bbox", "bbox")
_BBOX_WIDGETS = ("map", "bbox")


class BuildContext:
    """What every field of one input shares: the schema root (for ``$ref``) and its validator."""

    def __init__(self, root: Any, validator: Validator | None) -> None:
        self.root = root
        self.validator = validator

    # -- schema resolution ----------------------------------------------------------------
    def resolve(self, schema: Any) -> dict[str, Any]:
        """Follow ``$ref`` chains and merge ``allOf`` (siblings of ``$ref`` are kept)."""
        if schema is True or schema is None:
            return {}
        if schema is False:
            raise SchemaError("this schema allows no value")
        if not isinstance(schema, dict):
            raise SchemaError("a schema must be an object")
        seen: set[str] = set()
        while "$ref" in schema:
            ref = schema["$ref"]
            if ref in seen:
                raise SchemaError(f"circular reference {ref!r}")
            seen.add(ref)
            target = resolve_pointer(self.root, ref)
            if target is True:
                target = {}
            if not isinstance(target, dict):
                raise SchemaError(f"reference {ref!r} is not a schema object")
            siblings = {k: v for k, v in schema.items() if k != "$ref"}
            schema = {**target, **siblings} if siblings else target
        if isinstance(schema.get("allOf"), list):
            rest = {k: v for k, v in schema.items() if k != "allOf"}
            schema = merge_all_of([rest, *(self.resolve(p) for p in schema["allOf"])])
        return schema

    # -- building ---------------------------------------------------------------------------
    def build(
        self,
        schema: Any,
        *,
        key: str | int | None,
        parent: Field | None,
        required: bool,
        title: str | None = None,
        description: str | None = None,
    ) -> Field:
        """The field for ``schema``; anything not understood becomes a JSON editor."""
        depth = _depth(parent)
        raw = schema if isinstance(schema, dict) else {}
        try:
            if depth > MAX_DEPTH:
                raise SchemaError("nested too deeply")
            resolved = self.resolve(schema)
            field_title = title or resolved.get("title") or (str(key) if key is not None else "")
            common = {"key": key, "title": field_title, "required": required,
                      "context": self, "parent": parent, "description": description}
            return self._classify(resolved, common)
        except (SchemaError, RecursionError, TypeError, ValueError, KeyError) as exc:
            return JsonField(
                raw, reason=str(exc), key=key, required=required, context=self, parent=parent,
                title=title or raw.get("title") or (str(key) if key is not None else ""),
                description=description,
            )

    def _classify(self, schema: dict[str, Any], common: dict[str, Any]) -> Field:
        schema, nullable = _split_null(schema)
        common["nullable"] = nullable
        if "const" in schema:
            return ConstField(schema, **common)
        enum = schema.get("enum")
        if isinstance(enum, list) and enum and all(isinstance(v, _PRIMITIVES) for v in enum):
            common["nullable"] = nullable or None in enum
            return EnumField(schema, options=enum, **common)
        for keyword in ("oneOf", "anyOf"):
            if isinstance(schema.get(keyword), list):
                return self._choice(schema, keyword, common)
        types = _types(schema)
        if len(types) > 1:
            return self._type_choice(schema, types, common)
        kind = types[0] if types else _infer_type(schema)
        if kind == "string":
            if _is_binary(schema):
                return BinaryField(schema, **common)
            return StringField(schema, **common)
        if kind in _NUMERIC:
            return NumberField(schema, **common)
        if kind == "boolean":
            return BooleanField(schema, **common)
        if kind == "array":
            return self._array(schema, common)
        if kind == "object":
            return self._object(schema, common)
        if kind == "null":
            return ConstField({**schema, "const": None}, **common)
        return JsonField(schema, reason=None, **common)

    def _choice(self, schema: dict[str, Any], keyword: str, common: dict[str, Any]) -> Field:
        outer = {k: v for k, v in schema.items() if k not in (keyword, "discriminator")}
        originals: list[Any] = []
        branches: list[dict[str, Any]] = []
        positions: list[int] = []
        for position, original in enumerate(schema[keyword]):
            resolved = self.resolve(original)
            if _types(resolved) == ["null"] and not resolved.get("properties"):
                common["nullable"] = True
                continue
            originals.append(original)
            branches.append(merge_all_of([resolved, _inheritable(outer)]))
            positions.append(position)
        if not branches:
            return ConstField({**outer, "const": None}, **common)
        consts = [b.get("const", MISSING_CONST) for b in branches]
        if all(c is not MISSING_CONST and isinstance(c, _PRIMITIVES) for c in consts):
            labels = [str(b.get("title") or _label_of(c)) for b, c in zip(branches, consts,
                                                                          strict=True)]
            return EnumField(outer, options=consts, labels=labels, **common)
        if len(branches) == 1:
            merged = merge_all_of([outer, branches[0]])
            return self._classify(merged, common) if not common["nullable"] else \
                self._nullable(merged, common)
        labels = _branch_labels(branches, originals)
        return ChoiceField(schema, branches=branches, labels=labels, originals=originals,
                           positions=positions, **common)

    def _nullable(self, schema: dict[str, Any], common: dict[str, Any]) -> Field:
        field = self._classify(schema, dict(common))
        field.nullable = True
        return field

    def _type_choice(self, schema: dict[str, Any], types: list[str],
                     common: dict[str, Any]) -> Field:
        branches = [{**schema, "type": kind} for kind in types]
        labels = [_TYPE_LABELS.get(kind, kind) for kind in types]
        return ChoiceField(schema, branches=branches, labels=labels, originals=branches,
                           positions=list(range(len(types))), **common)

    def _array(self, schema: dict[str, Any], common: dict[str, Any]) -> Field:
        if "prefixItems" in schema:
            return JsonField(schema, reason="tuple arrays are edited as JSON", **common)
        item_schema = self.resolve(schema.get("items", {}))
        item_types = _types(item_schema)
        numeric = len(item_types) == 1 and item_types[0] in _NUMERIC and "enum" not in item_schema
        lo, hi = schema.get("minItems"), schema.get("maxItems")
        fixed = lo if isinstance(lo, int) and lo == hi else None
        item_enum = item_schema.get("enum")
        if schema.get("uniqueItems") and isinstance(item_enum, list) and all(
            isinstance(v, _PRIMITIVES) for v in item_enum
        ):
            return MultiChoiceField(schema, options=list(item_enum), **common)
        wants_bbox = schema.get("format") in _BBOX_FORMATS or schema.get("x-ui-widget") in \
            _BBOX_WIDGETS
        if numeric and wants_bbox and fixed in (4, 6, None):
            return BBoxField(schema, size=fixed or 4, **common)
        if numeric and fixed is not None and 1 < fixed <= 6:
            return NumberRowField(schema, size=fixed, integer=item_types[0] == "integer",
                                  **common)
        return ArrayField(schema, item_schema=schema.get("items", {}),
                          min_items=lo if isinstance(lo, int) else 0,
                          max_items=hi if isinstance(hi, int) else None, **common)

    def _object(self, schema: dict[str, Any], common: dict[str, Any]) -> Field:
        props = schema.get("properties")
        if isinstance(props, dict) and props:
            if _is_bbox_object(self, props):
                bbox = self.resolve(props["bbox"])
                size = bbox.get("minItems") if bbox.get("minItems") in (4, 6) else 4
                return BBoxField(schema, size=size, object_form=True, **common)
            return ObjectField(schema, **common)
        extra = schema.get("additionalProperties")
        if isinstance(extra, dict) and extra:
            return MapField(schema, **common)
        return JsonField(schema, reason=None, **common)


class _NoConst:
    pass


MISSING_CONST: Any = _NoConst()

_TYPE_LABELS = {"string": "Text", "number": "Number", "integer": "Whole number",
                "boolean": "Yes/No", "array": "List", "object": "Object"}


def _depth(parent: Field | None) -> int:
    depth = 0
    while parent is not None:
        depth += 1
        parent = parent.parent
    return depth


def _types(schema: dict[str, Any]) -> list[str]:
    kind = schema.get("type")
    if isinstance(kind, str):
        return [kind]
    if isinstance(kind, list):
        return [k for k in kind if isinstance(k, str)]
    return []


def _split_null(schema: dict[str, Any]) -> tuple[dict[str, Any], bool]:
    types = _types(schema)
    if "null" in types and len(types) > 1:
        rest = [k for k in types if k != "null"]
        return {**schema, "type": rest[0] if len(rest) == 1 else rest}, True
    return schema, False


def _infer_type(schema: dict[str, Any]) -> str | None:
    if any(k in schema for k in ("properties", "additionalProperties", "required")):
        return "object"
    if any(k in schema for k in ("items", "prefixItems", "minItems", "maxItems")):
        return "array"
    if any(k in schema for k in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum",
                                 "multipleOf")):
        return "number"
    if any(k in schema for k in ("minLength", "maxLength", "pattern", "format")):
        return "string"
    return None


def _is_binary(schema: dict[str, Any]) -> bool:
    return schema.get("format") in ("binary", "byte") or schema.get("contentEncoding") in (
        "base64", "binary")


def _is_bbox_object(ctx: BuildContext, props: dict[str, Any]) -> bool:
    if "bbox" not in props or not set(props) <= {"bbox", "crs"}:
        return False
    bbox = ctx.resolve(props["bbox"])
    items = ctx.resolve(bbox.get("items", {})) if isinstance(bbox, dict) else {}
    return _types(bbox) == ["array"] and _types(items)[:1] in (["number"], ["integer"])


_INHERITED = ("title", "description", "x-ui-widget", "x-ui-advanced", "x-ui-order",
              "readOnly", "deprecated")


def _inheritable(outer: dict[str, Any]) -> dict[str, Any]:
    # Keywords of the choice itself that also constrain every branch (e.g. the
    # properties shared by all variants); titles stay with the choice.
    return {k: v for k, v in outer.items() if k not in _INHERITED and k != "default"}


def _label_of(value: Any) -> str:
    return value if isinstance(value, str) else str(value)


def _branch_labels(branches: list[dict[str, Any]], originals: list[Any]) -> list[str]:
    labels = []
    for index, (branch, original) in enumerate(zip(branches, originals, strict=True)):
        ref = original.get("$ref") if isinstance(original, dict) else None
        kind = _types(branch)
        label = (
            branch.get("title")
            or (ref.rsplit("/", 1)[-1] if isinstance(ref, str) else None)
            or (_TYPE_LABELS.get(kind[0]) if len(kind) == 1 else None)
            or f"Option {index + 1}"
        )
        labels.append(str(label))
    seen: dict[str, int] = {}
    unique = []
    for label in labels:
        seen[label] = seen.get(label, 0) + 1
        unique.append(label if seen[label] == 1 else f"{label} ({seen[label]})")
    return unique

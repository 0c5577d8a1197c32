"""Schema preparation: OpenAPI 3.0 flavour -> JSON Schema 2020-12, ``$ref`` and ``allOf``.

OGC API - Processes descriptions carry OpenAPI 3.0 schemas (``nullable``,
boolean ``exclusiveMinimum``, ``example``). jsonschema speaks JSON Schema, so
every input schema is translated once (:func:`translate`) and both the field
tree and the validator work on the translated copy. UI hints (``x-ui-*``) and
other unknown keys survive the translation untouched.
"""

from __future__ import annotations

import copy
from typing import Any

__all__ = [
    "SchemaError",
    "json_type",
    "merge_all_of",
    "resolve_pointer",
    "translate",
]

_SUBSCHEMA_KEYS = ("items", "additionalProperties", "not", "contains", "propertyNames",
                   "additionalItems", "unevaluatedItems", "unevaluatedProperties", "if",
                   "then", "else", "contentSchema")
_SUBSCHEMA_LIST_KEYS = ("oneOf", "anyOf", "allOf", "prefixItems")
_SUBSCHEMA_MAP_KEYS = ("properties", "patternProperties", "$defs", "definitions",
                       "dependentSchemas")


class SchemaError(ValueError):
    """A schema the form engine cannot understand (its input falls back to a JSON editor)."""


def translate(schema: Any) -> Any:
    """A JSON Schema 2020-12 copy of an OpenAPI 3.0 flavoured ``schema``.

    - ``nullable: true`` allows ``null`` (type list, enum member, or an ``anyOf``
      with a null branch when there is no ``type``);
    - boolean ``exclusiveMinimum``/``exclusiveMaximum`` become the numeric form;
    - ``example`` becomes ``examples``; a list-form ``items`` becomes ``prefixItems``;
    - OpenAPI ``$ref`` targets under ``#/components/schemas/`` are kept as written
      (they resolve if the schema carries them).
    """
    if isinstance(schema, bool):
        return schema
    if not isinstance(schema, dict):
        raise SchemaError(f"a schema must be an object or a boolean, not {type(schema).__name__}")
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key in _SUBSCHEMA_KEYS and isinstance(value, dict | bool):
            out[key] = translate(value)
        elif key in _SUBSCHEMA_LIST_KEYS and isinstance(value, list):
            out[key] = [translate(v) for v in value]
        elif key in _SUBSCHEMA_MAP_KEYS and isinstance(value, dict):
            out[key] = {k: translate(v) for k, v in value.items()}
        elif key == "components" and isinstance(value, dict):
            out[key] = {k: _translate_components(k, v) for k, v in value.items()}
        else:
            out[key] = value
    if isinstance(out.get("items"), list):
        out["prefixItems"] = out.pop("items")
        if "additionalItems" in out:
            out["items"] = out.pop("additionalItems")
    _translate_exclusive(out, "exclusiveMinimum", "minimum")
    _translate_exclusive(out, "exclusiveMaximum", "maximum")
    if "example" in out:
        example = out.pop("example")
        out.setdefault("examples", [example])
    if out.pop("nullable", False) is True:
        out = _allow_null(out)
    return out


def _translate_components(kind: str, value: Any) -> Any:
    if kind == "schemas" and isinstance(value, dict):
        return {name: translate(schema) for name, schema in value.items()}
    return copy.deepcopy(value)


def _translate_exclusive(schema: dict[str, Any], exclusive: str, inclusive: str) -> None:
    flag = schema.get(exclusive)
    if not isinstance(flag, bool):
        return
    del schema[exclusive]
    if flag and inclusive in schema:
        schema[exclusive] = schema.pop(inclusive)


def _allow_null(schema: dict[str, Any]) -> dict[str, Any]:
    kind = schema.get("type")
    if "enum" in schema and None not in schema["enum"]:
        schema["enum"] = [*schema["enum"], None]
    if isinstance(kind, str):
        if kind != "null":
            schema["type"] = [kind, "null"]
        return schema
    if isinstance(kind, list):
        if "null" not in kind:
            schema["type"] = [*kind, "null"]
        return schema
    if "enum" in schema:
        return schema
    # No type to extend: say "this, or null" with keywords that describe the
    # whole value (title, default, hints) kept outside the branches.
    outer = {k: schema.pop(k) for k in list(schema) if k in _ANNOTATIONS or k.startswith("x-")}
    defs = {k: schema.pop(k) for k in ("$defs", "definitions", "components") if k in schema}
    return {**outer, **defs, "anyOf": [schema, {"type": "null"}]}


_ANNOTATIONS = frozenset({"title", "description", "default", "examples", "readOnly",
                          "writeOnly", "deprecated", "$comment"})


def resolve_pointer(root: Any, ref: str) -> Any:
    """The sub-schema a local ``$ref`` (``#/...`` JSON pointer) points to in ``root``."""
    if not isinstance(ref, str) or not ref.startswith("#"):
        raise SchemaError(f"only local references are supported, not {ref!r}")
    node = root
    pointer = ref[1:]
    if not pointer:
        return root
    if not pointer.startswith("/"):
        raise SchemaError(f"unsupported reference {ref!r}")
    for raw in pointer[1:].split("/"):
        part = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            raise SchemaError(f"reference {ref!r} does not resolve")
    return node


def merge_all_of(parts: list[dict[str, Any]]) -> dict[str, Any]:
    """One schema that describes what all ``parts`` describe (for building fields).

    Properties are united (a property in several parts is merged too),
    ``required`` lists joined, bounds tightened; for other keywords the first
    part that has them wins. Validation still uses the original ``allOf``.
    """
    merged: dict[str, Any] = {}
    for part in parts:
        for key, value in part.items():
            if key == "properties" and isinstance(value, dict):
                props = merged.setdefault("properties", {})
                for name, sub in value.items():
                    if name in props and isinstance(props[name], dict) and isinstance(sub, dict):
                        props[name] = merge_all_of([props[name], sub])
                    else:
                        props[name] = sub
            elif key == "required" and isinstance(value, list):
                req = merged.setdefault("required", [])
                req.extend(v for v in value if v not in req)
            elif key in ("minimum", "exclusiveMinimum", "minLength", "minItems") and key in merged:
                merged[key] = max(merged[key], value)
            elif key in ("maximum", "exclusiveMaximum", "maxLength", "maxItems") and key in merged:
                merged[key] = min(merged[key], value)
            else:
                merged.setdefault(key, value)
    return merged


def json_type(value: Any) -> str:
    """The JSON type name of a Python value (``integer`` for whole floats too)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "integer" if value.is_integer() else "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list | tuple):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__

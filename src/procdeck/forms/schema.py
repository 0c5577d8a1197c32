"""Schema helpers of the form engine: ``$ref`` pointers, ``allOf`` merging, JSON types.

Input schemas are translated from the OpenAPI 3.0 flavour once, by the translation the
server validates with (:func:`procdeck.ogc.jsonschema.to_json_schema`, also named
:func:`translate` here); the field tree and the validator both work on the translated
copy. UI hints (``x-ui-*``) and other unknown keys survive the translation untouched.
"""

from __future__ import annotations

from typing import Any

from procdeck.ogc.jsonschema import SchemaError, to_json_schema

__all__ = [
    "SchemaError",
    "json_type",
    "merge_all_of",
    "resolve_pointer",
    "translate",
]

translate = to_json_schema
"""The form engine's name for :func:`procdeck.ogc.jsonschema.to_json_schema`."""


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

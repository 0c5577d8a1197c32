"""JSON schema conversions between pydantic, OpenAPI 3.0 and validation.

Process descriptions carry schemas in the OpenAPI 3.0 flavour the standard
uses (``nullable``, boolean ``exclusiveMinimum``, no ``const``). pydantic emits
JSON Schema 2020-12, and ``jsonschema`` validates 2020-12. Two pure functions
bridge the gap:

- :func:`to_openapi_schema`: pydantic's schema -> OpenAPI 3.0 flavour, with
  ``$defs`` references inlined (kept only for recursive models);
- :func:`to_validation_schema`: an OpenAPI 3.0 flavoured schema -> JSON Schema
  2020-12 that means the same, for ``jsonschema``.
"""

from __future__ import annotations

import copy
from typing import Any

__all__ = ["to_openapi_schema", "to_validation_schema"]

_DEFS_PREFIXES = ("#/$defs/", "#/definitions/")
_NULL = {"type": "null"}
# Keys whose value is a schema / a list of schemas / a mapping of schemas.
_SCHEMA_KEYS = ("items", "additionalProperties", "not", "contains", "propertyNames")
_SCHEMA_LIST_KEYS = ("oneOf", "anyOf", "allOf", "prefixItems")
_SCHEMA_MAP_KEYS = ("properties", "patternProperties", "$defs", "definitions")


def to_openapi_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """Convert a pydantic (JSON Schema 2020-12) schema to the OpenAPI 3.0 flavour.

    - ``$ref`` to ``$defs`` are inlined (a recursive model keeps its ``$defs``);
    - ``anyOf``/``oneOf`` with a ``{"type": "null"}`` branch and ``type: [..., "null"]``
      become ``nullable: true`` (a ``default: null`` then goes: it is implied);
    - ``const`` becomes a one-value ``enum``, numeric ``exclusiveMinimum``/``Maximum``
      the boolean form with ``minimum``/``maximum``;
    - ``prefixItems`` (tuples) become ``items`` (the common item schema);
    - ``format: base64`` becomes ``format: byte`` with ``contentEncoding: base64``;
    - ``additionalProperties: true`` becomes ``{}``; discriminator mappings (which
      point into ``$defs``) are dropped, ``propertyName`` stays.
    """
    schema = copy.deepcopy(schema)
    defs: dict[str, Any] = {**schema.pop("definitions", {}), **schema.pop("$defs", {})}
    recursive: set[str] = set()
    result = _convert(schema, defs, (), recursive)
    if recursive:
        result["$defs"] = {
            name: _convert(defs[name], defs, (name,), set()) for name in sorted(recursive)
        }
    return result


def _ref_name(ref: str) -> str | None:
    for prefix in _DEFS_PREFIXES:
        if ref.startswith(prefix):
            return ref[len(prefix):]
    return None


def _convert(
    node: Any, defs: dict[str, Any], stack: tuple[str, ...], recursive: set[str]
) -> Any:
    if isinstance(node, list):
        return [_convert(item, defs, stack, recursive) for item in node]
    if not isinstance(node, dict):
        return node
    ref = node.get("$ref")
    name = _ref_name(ref) if isinstance(ref, str) else None
    if name is not None and name in defs:
        if name in stack:  # recursion: keep the reference, emit the definition once
            recursive.add(name)
            return {**{k: v for k, v in node.items() if k != "$ref"}, "$ref": f"#/$defs/{name}"}
        siblings = {k: v for k, v in node.items() if k != "$ref"}
        resolved = _convert(defs[name], defs, (*stack, name), recursive)
        node = {**resolved, **_convert(siblings, defs, stack, recursive)}
        return _openapi_keywords(node)
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in _SCHEMA_KEYS or key in _SCHEMA_LIST_KEYS:
            out[key] = _convert(value, defs, stack, recursive)
        elif key in _SCHEMA_MAP_KEYS and isinstance(value, dict):
            out[key] = {k: _convert(v, defs, stack, recursive) for k, v in value.items()}
        else:
            out[key] = value
    return _openapi_keywords(out)


def _openapi_keywords(node: dict[str, Any]) -> dict[str, Any]:
    """Rewrite the 2020-12 keywords of one (already recursed) schema node."""
    for combinator in ("anyOf", "oneOf"):
        branches = node.get(combinator)
        if isinstance(branches, list) and _NULL in branches:
            rest = [b for b in branches if b != _NULL]
            del node[combinator]
            node["nullable"] = True
            if len(rest) == 1:
                node = {**rest[0], **node}  # the field's own title/default win
            elif rest:
                node[combinator] = rest
    types = node.get("type")
    if isinstance(types, list) and "null" in types:
        rest_types = [t for t in types if t != "null"]
        node["nullable"] = True
        if len(rest_types) == 1:
            node["type"] = rest_types[0]
        elif rest_types:
            del node["type"]
            node["anyOf"] = [{"type": t} for t in rest_types]
        else:
            del node["type"]
    if node.get("nullable") and "default" in node and node["default"] is None:
        del node["default"]
    if "const" in node:
        node.setdefault("enum", [node.pop("const")])
    for exclusive, bound in (("exclusiveMinimum", "minimum"), ("exclusiveMaximum", "maximum")):
        value = node.get(exclusive)
        if isinstance(value, int | float) and not isinstance(value, bool):
            node[bound] = value
            node[exclusive] = True
    prefix = node.pop("prefixItems", None)
    if isinstance(prefix, list) and prefix:
        unique: list[Any] = []
        for item in prefix:
            if item not in unique:
                unique.append(item)
        node.setdefault("items", unique[0] if len(unique) == 1 else {"anyOf": unique})
    if node.get("format") == "base64":
        node["format"] = "byte"
        node.setdefault("contentEncoding", "base64")
    if node.get("additionalProperties") is True:
        node["additionalProperties"] = {}
    discriminator = node.get("discriminator")
    if isinstance(discriminator, dict) and "mapping" in discriminator:
        node["discriminator"] = {k: v for k, v in discriminator.items() if k != "mapping"}
    return node


def to_validation_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """Translate an OpenAPI 3.0 flavoured schema into JSON Schema 2020-12 for validation.

    ``nullable: true`` admits ``null``; boolean ``exclusiveMinimum``/``Maximum``
    become the numeric form; ``definitions`` refs are rewritten to ``$defs``.
    Unknown keywords (``x-ui-*``, ``discriminator``, ...) are left for the
    validator to ignore. The input is not modified.
    """
    return _to_validation(schema)


def _to_validation(node: Any) -> Any:
    if isinstance(node, list):
        return [_to_validation(item) for item in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in _SCHEMA_KEYS or key in _SCHEMA_LIST_KEYS:
            out[key] = _to_validation(value)
        elif key in _SCHEMA_MAP_KEYS and isinstance(value, dict):
            out["$defs" if key == "definitions" else key] = {
                k: _to_validation(v) for k, v in value.items()
            }
        elif key == "$ref" and isinstance(value, str) and value.startswith("#/definitions/"):
            out[key] = "#/$defs/" + value[len("#/definitions/"):]
        else:
            out[key] = value
    for exclusive, bound in (("exclusiveMinimum", "minimum"), ("exclusiveMaximum", "maximum")):
        value = out.get(exclusive)
        if value is True and bound in out:
            out[exclusive] = out.pop(bound)
        elif value is False or value is True:  # true without a bound means nothing
            del out[exclusive]
    if out.pop("nullable", False) is True:
        out = _admit_null(out)
    return out


def _admit_null(node: dict[str, Any]) -> dict[str, Any]:
    types = node.get("type")
    simple = not any(k in node for k in ("$ref", "oneOf", "anyOf", "allOf", "not"))
    if isinstance(types, str) and simple:
        node["type"] = [types, "null"]
        if isinstance(node.get("enum"), list) and None not in node["enum"]:
            node["enum"] = [*node["enum"], None]
        return node
    if types is None and simple and "enum" not in node:
        return node  # no type constraint: null passes already
    return {"anyOf": [_NULL, node]}

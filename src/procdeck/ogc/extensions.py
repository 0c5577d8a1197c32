"""Schema keywords beyond OGC API - Processes 1.0, carried where the standard has room.

The 1.0 ``schema.yaml`` admits a fixed set of keywords in an input's or output's
schema (``additionalProperties: false`` there): UI hints (``x-ui-widget``,
``x-ui-order``, ``x-ui-advanced``, ...), ``discriminator``, ``examples``,
``patternProperties`` and friends are not among them. A procdeck server keeps
its descriptions valid by moving such keywords out of the schema into the
description's ``additionalParameters``, as one parameter::

    "additionalParameters": {"parameters": [{
        "name": "schema-extensions",
        "value": [{"": {"x-ui-order": 3}, "/oneOf/1/properties/text": {"x-ui-widget": "textarea"}}]
    }]}

The value holds one object mapping a JSON pointer (RFC 6901, relative to the
schema) to the keywords that belong there. :func:`split_extensions` does the
moving (server), :func:`merge_extensions` puts them back (client, form engine),
so a form looks the same whether a server puts hints in the schema (as peers
do) or here. ``examples`` also leaves its first item as the standard's
``example``, ``const`` a one-value ``enum``. A procdeck server still checks
inputs against the schema as given, moved keywords included.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

__all__ = [
    "EXTENSIONS_PARAMETER",
    "STANDARD_KEYWORDS",
    "extensions_of",
    "merge_extensions",
    "split_extensions",
    "standard_description",
]

EXTENSIONS_PARAMETER = "schema-extensions"
"""The name of the ``additionalParameters`` parameter that carries the moved keywords."""

STANDARD_KEYWORDS = frozenset({
    "title", "multipleOf", "maximum", "exclusiveMaximum", "minimum", "exclusiveMinimum",
    "maxLength", "minLength", "pattern", "maxItems", "minItems", "uniqueItems",
    "maxProperties", "minProperties", "required", "enum", "type", "not", "allOf", "oneOf",
    "anyOf", "items", "properties", "additionalProperties", "description", "format",
    "default", "nullable", "readOnly", "writeOnly", "example", "deprecated",
    "contentMediaType", "contentEncoding", "contentSchema",
})
"""The keywords of a schema object in the published 1.0 ``schema.yaml``."""

# Keywords kept as they are although schema.yaml has no room for them: ``$ref``
# (the reference branch) and ``$defs`` (what a recursive model's refs point to).
_KEPT = frozenset({"$ref", "$defs"})
_ONE_SCHEMA = ("items", "additionalProperties", "not", "contentSchema")
_SCHEMA_LISTS = ("allOf", "oneOf", "anyOf")


def _escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def _unescape(token: str) -> str:
    return token.replace("~1", "/").replace("~0", "~")


def split_extensions(schema: Any) -> tuple[Any, dict[str, dict[str, Any]]]:
    """Return ``(schema with 1.0 keywords only, {pointer: moved keywords})``.

    The input is not modified. Sub-schemas (``properties``, ``items``,
    ``oneOf``...) are cleaned too; keywords unknown to 1.0 move whole, with
    whatever they contain.
    """
    moved: dict[str, dict[str, Any]] = {}
    return _split(copy.deepcopy(schema), "", moved), moved


def _split(node: Any, pointer: str, moved: dict[str, dict[str, Any]]) -> Any:
    if not isinstance(node, dict):
        return node
    extra = {k: node.pop(k) for k in list(node) if k not in STANDARD_KEYWORDS | _KEPT}
    examples = extra.get("examples")
    if isinstance(examples, list) and examples and "example" not in node:
        node["example"] = examples[0]
    if "const" in extra and "enum" not in node:
        node["enum"] = [extra["const"]]  # what 1.0 says for one allowed value
    if extra:
        moved[pointer] = extra
    for key in _ONE_SCHEMA:
        if isinstance(node.get(key), dict):
            node[key] = _split(node[key], f"{pointer}/{key}", moved)
    for key in _SCHEMA_LISTS:
        if isinstance(node.get(key), list):
            node[key] = [_split(sub, f"{pointer}/{key}/{i}", moved)
                         for i, sub in enumerate(node[key])]
    if isinstance(node.get("properties"), dict):
        node["properties"] = {
            name: _split(sub, f"{pointer}/properties/{_escape(name)}", moved)
            for name, sub in node["properties"].items()
        }
    return node


def merge_extensions(schema: Any, additional_parameters: Any) -> Any:
    """The schema with the keywords an ``additionalParameters`` block moved out put back.

    Keywords already in the schema win. Pointers that lead nowhere are ignored
    (the schema is what it is); the input is not modified.
    """
    moved = extensions_of(additional_parameters)
    if not moved or not isinstance(schema, dict):
        return schema
    merged = copy.deepcopy(schema)
    for pointer, keywords in moved.items():
        node = _resolve(merged, pointer)
        if isinstance(node, dict) and isinstance(keywords, Mapping):
            for key, value in keywords.items():
                node.setdefault(key, copy.deepcopy(value))
    return merged


def extensions_of(additional_parameters: Any) -> dict[str, Any]:
    """The ``{pointer: keywords}`` map in an ``additionalParameters`` block (empty if none)."""
    if hasattr(additional_parameters, "model_dump"):
        additional_parameters = additional_parameters.model_dump(mode="json")
    if not isinstance(additional_parameters, Mapping):
        return {}
    found: dict[str, Any] = {}
    for parameter in additional_parameters.get("parameters") or ():
        if not isinstance(parameter, Mapping) or parameter.get("name") != EXTENSIONS_PARAMETER:
            continue
        for value in parameter.get("value") or ():
            if isinstance(value, Mapping):
                found.update({str(k): v for k, v in value.items()})
    return found


def _resolve(node: Any, pointer: str) -> Any:
    if pointer == "":
        return node
    if not pointer.startswith("/"):
        return None
    for token in pointer[1:].split("/"):
        token = _unescape(token)
        if isinstance(node, dict):
            node = node.get(token)
        elif isinstance(node, list) and token.isdigit() and int(token) < len(node):
            node = node[int(token)]
        else:
            return None
    return node


def standard_description(description: Mapping[str, Any]) -> dict[str, Any]:
    """An input or output description whose schema holds 1.0 keywords only.

    Moved keywords go to the description's ``additionalParameters`` (joining
    any parameters already there); a description with nothing to move comes
    back equal to the one given.
    """
    out = dict(description)
    schema = out.get("schema")
    if not isinstance(schema, dict):
        return out
    clean, moved = split_extensions(schema)
    out["schema"] = clean
    if moved:
        block = dict(out.get("additionalParameters") or {})
        parameters = [p for p in block.get("parameters") or ()
                      if not (isinstance(p, Mapping) and p.get("name") == EXTENSIONS_PARAMETER)]
        parameters.append({"name": EXTENSIONS_PARAMETER, "value": [moved]})
        block["parameters"] = parameters
        out["additionalParameters"] = block
    return out

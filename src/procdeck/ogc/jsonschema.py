"""The standard's schemas as JSON Schema: one translation, one format checker, one validator.

Process descriptions carry OpenAPI 3.0 flavoured schemas (``nullable``, boolean
``exclusiveMinimum``, ``example``, draft-4 tuples as a list-form ``items``,
``definitions``); ``jsonschema`` validates JSON Schema 2020-12. The form engine
and the server both validate through this module, so a value the form calls
valid is a value the server accepts, and the other way round:

- :func:`to_json_schema`: OpenAPI 3.0 flavour -> JSON Schema 2020-12 that means the same;
- :func:`format_checker`: the formats checked (``date``, ``date-time``, ``time``,
  ``email``, ``uri``, ``ipv4``, ``ipv6``, ``uuid``, ``regex``);
- :func:`compile_validator` / :func:`validator_for`: a checked, cached validator;
- :func:`to_openapi_schema`: the way back, pydantic's 2020-12 -> OpenAPI 3.0 flavour
  (for descriptions made from typed functions).

jsonschema is imported when the first validator or checker is built, not with this
module: next to Jupyter it brings rfc3987-syntax, whose grammar takes ~1.4 s to build.
"""

from __future__ import annotations

import copy
import json
import re
from datetime import date
from functools import lru_cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from jsonschema import FormatChecker
    from jsonschema.protocols import Validator

__all__ = [
    "SchemaError",
    "compile_validator",
    "format_checker",
    "to_json_schema",
    "to_openapi_schema",
    "validator_for",
]


class SchemaError(ValueError):
    """A schema that cannot be understood or is not a valid JSON schema."""


# Keys whose value is a schema / a list of schemas / a mapping of names to schemas.
_SCHEMA_KEYS = frozenset({
    "items", "additionalItems", "additionalProperties", "not", "contains", "propertyNames",
    "unevaluatedItems", "unevaluatedProperties", "if", "then", "else", "contentSchema",
})
_SCHEMA_LIST_KEYS = frozenset({"oneOf", "anyOf", "allOf", "prefixItems"})
_SCHEMA_MAP_KEYS = frozenset({
    "properties", "patternProperties", "$defs", "definitions", "dependentSchemas",
})
# Keywords that can refuse null although no type is given: a nullable schema with any of
# them becomes "this, or null" (anyOf), since adding null to a type list is not enough.
_NULL_REFUSERS = frozenset({"$ref", "$dynamicRef", "allOf", "anyOf", "oneOf", "not", "if",
                            "const"})
# What describes the whole value, kept outside the branches of "this, or null".
_ANNOTATIONS = frozenset({"title", "description", "default", "examples", "example",
                          "readOnly", "writeOnly", "deprecated", "$comment"})
_DEFINITION_KEYS = ("$defs", "definitions", "components")
_NULL = {"type": "null"}


# -- OpenAPI 3.0 -> JSON Schema 2020-12 ---------------------------------------------------

def to_json_schema(schema: Any) -> Any:
    """A JSON Schema 2020-12 copy of an OpenAPI 3.0 flavoured ``schema`` (not modified).

    - ``nullable: true`` admits ``null``: added to ``type`` (and ``enum``), or, when
      ``$ref``, ``oneOf``/``anyOf``/``allOf``, ``not``, ``if`` or ``const`` could refuse
      it or there is no ``type`` to extend, the schema becomes
      ``anyOf: [schema, {"type": "null"}]`` (title, default, ``x-*`` hints and
      definitions stay outside);
    - boolean ``exclusiveMinimum``/``exclusiveMaximum`` become the numeric form;
    - ``example`` becomes ``examples``;
    - a list-form ``items`` (draft-4 tuple) becomes ``prefixItems`` and its
      ``additionalItems`` the ``items``; ``additionalItems`` beside a single ``items``
      means nothing and goes;
    - ``definitions`` become ``$defs``; ``components/schemas`` are translated in place;
      local ``$ref`` pointers are rewritten to where their target now is.

    Unknown keywords (``x-ui-*``, ``discriminator``, ...) are kept for the validator to
    ignore. Raises :class:`SchemaError` when ``schema`` is neither an object nor a boolean.
    """
    if isinstance(schema, bool):
        return schema
    if not isinstance(schema, dict):
        raise SchemaError(f"a schema must be an object or a boolean, not {type(schema).__name__}")
    return _Translation(schema).schema(schema)


class _Translation:
    """One translation: the original root, for rewriting ``$ref`` pointers into it."""

    def __init__(self, root: dict[str, Any]) -> None:
        self.root = root

    def schema(self, node: Any) -> Any:
        if not isinstance(node, dict):
            return copy.deepcopy(node)  # booleans, and invalid nodes for check_schema to name
        tuple_items = isinstance(node.get("items"), list)
        out: dict[str, Any] = {}
        for key, value in node.items():
            if key == "items" and tuple_items:
                out["prefixItems"] = [self.schema(v) for v in value]
            elif key == "additionalItems":
                if tuple_items:
                    out["items"] = self.schema(value)
            elif key in _SCHEMA_KEYS:
                out[key] = self.schema(value)
            elif key in _SCHEMA_LIST_KEYS and isinstance(value, list):
                out[key] = [self.schema(v) for v in value]
            elif key in _SCHEMA_MAP_KEYS and isinstance(value, dict):
                translated = {k: self.schema(v) for k, v in value.items()}
                if key == "definitions":  # beside $defs too: $defs wins a name both have
                    out["$defs"] = {**translated, **out.get("$defs", {})}
                else:
                    out[key] = {**out.get(key, {}), **translated}
            elif key == "components" and isinstance(value, dict):
                out[key] = {kind: ({k: self.schema(v) for k, v in group.items()}
                                   if kind == "schemas" and isinstance(group, dict)
                                   else copy.deepcopy(group))
                            for kind, group in value.items()}
            elif key == "$ref" and isinstance(value, str) and value.startswith("#/"):
                out[key] = self.pointer(value)
            elif key == "example":
                out.setdefault("examples", [copy.deepcopy(value)])
            elif key == "examples":
                out[key] = copy.deepcopy(value)  # wins over a translated example
            else:
                out[key] = copy.deepcopy(value)
        _numeric_exclusive(out, "exclusiveMinimum", "minimum")
        _numeric_exclusive(out, "exclusiveMaximum", "maximum")
        if out.pop("nullable", False) is True:
            out = _admit_null(out)
        return out

    def pointer(self, ref: str) -> str:
        """``ref`` (a ``#/...`` pointer into the original root) as a pointer into the copy."""
        tokens = [t.replace("~1", "/").replace("~0", "~") for t in ref[2:].split("/")]
        out: list[str] = []
        node: Any = self.root
        rest = 0
        while rest < len(tokens):
            token = tokens[rest]
            if not isinstance(node, dict):
                break
            if _wrapped(node) and not _stays_outside(token):
                out += ["anyOf", "0"]
            step = _step(node, token, tokens[rest + 1:])
            if step is None:
                break
            names, node, used = step
            out += names
            rest += used
        out += tokens[rest:]
        return "#/" + "/".join(t.replace("~", "~0").replace("/", "~1") for t in out)


def _step(node: dict[str, Any], token: str, after: list[str]
          ) -> tuple[list[str], Any, int] | None:
    """Where one step of a pointer from schema ``node`` leads: new tokens, node, tokens used."""
    value = node.get(token)
    if value is None:
        return None
    if token == "items" and isinstance(value, list):
        return _indexed(["prefixItems"], value, after)
    if token == "additionalItems" and isinstance(node.get("items"), list):
        return ["items"], value, 1
    if token in _SCHEMA_KEYS:
        return [token], value, 1
    if token in _SCHEMA_LIST_KEYS and isinstance(value, list):
        return _indexed([token], value, after)
    if token in _SCHEMA_MAP_KEYS and isinstance(value, dict) and after and after[0] in value:
        return ["$defs" if token == "definitions" else token, after[0]], value[after[0]], 2
    if (token == "components" and isinstance(value, dict) and len(after) > 1
            and after[0] == "schemas" and isinstance(value.get("schemas"), dict)
            and after[1] in value["schemas"]):
        return [token, *after[:2]], value["schemas"][after[1]], 3
    return None


def _indexed(names: list[str], value: list[Any], after: list[str]
             ) -> tuple[list[str], Any, int] | None:
    if after and after[0].isdigit() and int(after[0]) < len(value):
        return [*names, after[0]], value[int(after[0])], 2
    return None


def _numeric_exclusive(schema: dict[str, Any], exclusive: str, inclusive: str) -> None:
    flag = schema.get(exclusive)
    if not isinstance(flag, bool):
        return  # absent, or already numeric (2020-12 style)
    del schema[exclusive]
    if flag and inclusive in schema:  # true without a bound means nothing
        schema[exclusive] = schema.pop(inclusive)


def _wrapped(original: dict[str, Any]) -> bool:
    """True when the translation of ``original`` is ``anyOf: [it, null]``."""
    return original.get("nullable") is True and _needs_null_branch(original)


def _needs_null_branch(schema: dict[str, Any]) -> bool:
    # Without a type or enum to extend, null would pass already; the explicit branch
    # still tells the form engine the value may be null (it offers "empty").
    if any(k in schema for k in _NULL_REFUSERS):
        return True
    return not isinstance(schema.get("type"), str | list) and not isinstance(
        schema.get("enum"), list)


def _stays_outside(key: str) -> bool:
    return key in _ANNOTATIONS or key in _DEFINITION_KEYS or key.startswith("x-")


def _admit_null(schema: dict[str, Any]) -> dict[str, Any]:
    if _needs_null_branch(schema):
        outer = {k: schema.pop(k) for k in list(schema) if _stays_outside(k)}
        return {**outer, "anyOf": [schema, dict(_NULL)]}
    kind = schema.get("type")
    if isinstance(kind, str) and kind != "null":
        schema["type"] = [kind, "null"]
    elif isinstance(kind, list) and "null" not in kind:
        schema["type"] = [*kind, "null"]
    if isinstance(schema.get("enum"), list) and None not in schema["enum"]:
        schema["enum"] = [*schema["enum"], None]
    return schema


# -- formats --------------------------------------------------------------------------------

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DATE_TIME = re.compile(
    r"^(\d{4}-\d{2}-\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$"
)
_TIME = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)(:([0-5]\d|60)(\.\d+)?)?([Zz]|[+-]\d{2}:\d{2})?$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")
_URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:\S*$")
_FROM_JSONSCHEMA = ("ipv4", "ipv6", "uuid", "regex")
"""Formats jsonschema checks with the standard library alone (the same everywhere)."""


def _is_date(value: object) -> bool:
    if not isinstance(value, str):
        return True
    if not _DATE.match(value):
        return False
    date.fromisoformat(value)  # ValueError: no such day
    return True


def _is_date_time(value: object) -> bool:
    if not isinstance(value, str):
        return True
    match = _DATE_TIME.match(value)
    if not match:
        return False
    day, hour, minute, second = match.group(1), *map(int, match.group(2, 3, 4))
    date.fromisoformat(day)
    # RFC 3339 allows a leap second (:60), which datetime cannot represent.
    return hour < 24 and minute < 60 and second <= 60


def _matches(pattern: re.Pattern[str]) -> Any:
    return lambda value: not isinstance(value, str) or bool(pattern.match(value))


@lru_cache(maxsize=1)
def format_checker() -> FormatChecker:
    """The one format checker (built once): forms and the server check the same formats.

    ``date``, ``date-time``, ``time``, ``email`` and ``uri`` are checked here, without the
    optional libraries jsonschema would use (whose presence changes what it checks);
    ``ipv4``, ``ipv6``, ``uuid`` and ``regex`` by jsonschema. Other formats (``ogc-bbox``,
    ``binary``, ...) are annotations.
    """
    from jsonschema import FormatChecker

    checker = FormatChecker(formats=_FROM_JSONSCHEMA)
    checker.checks("date", raises=ValueError)(_is_date)
    checker.checks("date-time", raises=ValueError)(_is_date_time)
    checker.checks("time")(_matches(_TIME))
    checker.checks("email")(_matches(_EMAIL))
    checker.checks("uri")(_matches(_URI))
    return checker


# -- validators -----------------------------------------------------------------------------

def validator_for(schema: Any) -> Validator:
    """A ready validator for an OpenAPI 3.0 flavoured ``schema`` (translated, checked, cached).

    Raises :class:`SchemaError` when the schema is not a valid schema.
    """
    return compile_validator(to_json_schema(schema))


def compile_validator(schema: Any) -> Validator:
    """A ready validator for a JSON Schema 2020-12 ``schema``; equal schemas share one.

    The validator uses :func:`format_checker`; do not modify what it holds. Raises
    :class:`SchemaError` when the schema itself is invalid.
    """
    try:
        key = json.dumps(schema, sort_keys=True, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise SchemaError(f"schema is not plain JSON: {exc}") from exc
    return _compile(key)


@lru_cache(maxsize=1024)
def _compile(key: str) -> Validator:
    from jsonschema.exceptions import SchemaError as JsonSchemaError
    from jsonschema.validators import Draft202012Validator, validator_for

    schema = json.loads(key)
    cls = validator_for(schema, default=Draft202012Validator)
    try:
        cls.check_schema(schema)
    except JsonSchemaError as exc:
        raise SchemaError(f"invalid schema: {exc.message}") from exc
    return cls(schema, format_checker=format_checker())


# -- pydantic (JSON Schema 2020-12) -> OpenAPI 3.0 ------------------------------------------

_DEFS_PREFIXES = ("#/$defs/", "#/definitions/")
_OPENAPI_SCHEMA_KEYS = ("items", "additionalProperties", "not", "contains", "propertyNames")
_OPENAPI_LIST_KEYS = ("oneOf", "anyOf", "allOf", "prefixItems")
_OPENAPI_MAP_KEYS = ("properties", "patternProperties", "$defs", "definitions")


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
    result = _to_openapi(schema, defs, (), recursive)
    if recursive:
        result["$defs"] = {
            name: _to_openapi(defs[name], defs, (name,), set()) for name in sorted(recursive)
        }
    return result


def _ref_name(ref: str) -> str | None:
    for prefix in _DEFS_PREFIXES:
        if ref.startswith(prefix):
            return ref[len(prefix):]
    return None


def _to_openapi(
    node: Any, defs: dict[str, Any], stack: tuple[str, ...], recursive: set[str]
) -> Any:
    if isinstance(node, list):
        return [_to_openapi(item, defs, stack, recursive) for item in node]
    if not isinstance(node, dict):
        return node
    ref = node.get("$ref")
    name = _ref_name(ref) if isinstance(ref, str) else None
    if name is not None and name in defs:
        if name in stack:  # recursion: keep the reference, emit the definition once
            recursive.add(name)
            return {**{k: v for k, v in node.items() if k != "$ref"}, "$ref": f"#/$defs/{name}"}
        siblings = {k: v for k, v in node.items() if k != "$ref"}
        resolved = _to_openapi(defs[name], defs, (*stack, name), recursive)
        node = {**resolved, **_to_openapi(siblings, defs, stack, recursive)}
        return _openapi_keywords(node)
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in _OPENAPI_SCHEMA_KEYS or key in _OPENAPI_LIST_KEYS:
            out[key] = _to_openapi(value, defs, stack, recursive)
        elif key in _OPENAPI_MAP_KEYS and isinstance(value, dict):
            out[key] = {k: _to_openapi(v, defs, stack, recursive) for k, v in value.items()}
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

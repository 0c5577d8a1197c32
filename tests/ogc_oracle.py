"""The official OGC API - Processes 1.0 schemas as a test oracle.

``validate(document, "statusInfo.yaml")`` raises an AssertionError naming every
violation; ``problems(document, "statusInfo.yaml")`` returns them as
``"$.path: message"`` strings. ``value_problems(value, schema)`` checks a value
against a schema a server sent (an OpenAPI 3.0 schema object, e.g. an output's
``schema`` in a process description).

The schemas are ``tests/data/ogc-schemas-1.0/*.yaml``, vendored unmodified
(see the README there). Each file is registered in a ``referencing`` Registry
under its published URI (:data:`BASE_URI` + file name), so the relative
``$ref``s between the files resolve as they do for the abstract test suite.

How the OpenAPI 3.0 schema objects are read as JSON Schema 2020-12
-----------------------------------------------------------------

The files are OpenAPI 3.0 schema objects, not JSON Schema. Each is converted
once, at load, walking only the places that hold schemas (``properties``
values, ``items``, ``allOf``/``anyOf``/``oneOf`` members, ``not``,
``additionalProperties``...), never the data under ``properties`` names,
``default`` or ``enum`` (schema.yaml has *properties* called
``exclusiveMinimum``, ``nullable`` and ``example``: those stay). The same
conversion is applied to the schemas a server sends (:func:`value_problems`).

- ``nullable: true``: null is allowed. With a ``type``, ``"null"`` joins the
  type (and ``None`` joins an ``enum``, if there is one); without a ``type`` the
  schema becomes ``anyOf: [{type: null}, <the rest>]``. This is OpenAPI
  3.0.0-3.0.2's "allows sending a null value" (3.0.3 narrowed it to schemas with
  a ``type``; none of the vendored files depends on the difference).
  ``nullable: false`` is dropped (it is the default).
- ``exclusiveMinimum``/``exclusiveMaximum`` booleans (3.0): ``true`` with a
  ``minimum``/``maximum`` becomes the 2020-12 number (``minimum: 0,
  exclusiveMinimum: true`` -> ``exclusiveMinimum: 0``); ``false``, or ``true``
  without a bound (meaningless in 3.0), is dropped. Numbers stay as they are.
- ``example`` (3.0's annotation) is dropped; ``discriminator``, ``xml``,
  ``externalDocs``, ``readOnly``, ``writeOnly`` and ``deprecated`` are left in
  place: JSON Schema ignores them as unknown keywords or annotations, as
  OpenAPI 3.0 does for validation.
- A schema with ``$ref`` keeps only the ``$ref``: 3.0 says siblings of
  ``$ref`` are ignored. (No vendored file has any.)
- ``format`` is asserted where jsonschema knows the format (``date-time``,
  ``date``, ``uri``, ``uri-reference``, ``regex``, ...); OpenAPI-only formats
  (``byte``, ``url``, ``ogc-bbox``) are not checked.
- ``oneOf`` stays ``oneOf`` (exactly one branch) except where the standard's
  branches overlap, so that a valid document would match two of them and fail
  for that alone. Those, and only those, are read as ``anyOf``
  (:data:`ONEOF_READ_AS_ANYOF`):

  - ``inputValueNoObject.yaml``: an integer is also a ``number``; a string is
    also a ``binaryInputValue`` (``type: string, format: byte``).
  - ``inputValue.yaml``: a ``bbox`` object is also ``type: object``.
  - ``additionalParameter.yaml`` ``value`` items: an integer is also a number.
  - ``execute.yaml`` input values: an array is ``inlineOrRefData`` (through
    ``inputValueNoObject``'s ``type: array``) and also the array branch.
  - ``schema.yaml``: the seven ``oneOf: [schema.yaml, reference.yaml, ...]``
    inside the schema object (``not``, ``allOf``/``oneOf``/``anyOf`` items,
    ``items``, ``properties`` values, ``additionalProperties``):
    ``reference.yaml`` is itself a branch of ``schema.yaml``, so every nested
    ``$ref`` would match both.

  Kept strict (:data:`ONEOF_KEPT_STRICT`), because their branches exclude one
  another for any document: ``schema.yaml`` at the top (a reference needs
  ``$ref``, the schema-object branch forbids it: ``additionalProperties:
  false``); ``inlineOrRefData.yaml`` (a bare value or bbox, a qualified value
  needing ``value``, a link needing ``href``: only an object with two of
  ``bbox``/``value``/``href`` matches twice, and such an object is ambiguous,
  so invalid); ``bbox.yaml`` (4 or 6 numbers); ``inputDescription.yaml``
  ``maxOccurs`` (integer or ``"unbounded"``); ``format.yaml`` ``schema``
  (string or object). So a result that is a bare JSON object is still invalid
  in ``results.yaml`` (no branch matches it) unless it has an ``href`` (then it
  reads as a link).

Nothing else is changed: in particular ``schema.yaml``'s
``additionalProperties: false`` stays, so a schema object with keys the
standard does not list (``x-ui-*``, ``examples``, ``const``, ``$defs``...) is
a violation. ``subscriber.yaml`` is read as published too (it requires
``successUrl``, a known erratum for ``successUri``); it only concerns execute
requests, which a server receives rather than sends.
"""

from __future__ import annotations

import copy
import functools
from collections import defaultdict
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import yaml
from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import ValidationError
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

__all__ = [
    "BASE_URI",
    "ONEOF_KEPT_STRICT",
    "ONEOF_READ_AS_ANYOF",
    "SCHEMA_DIR",
    "as_json_schema",
    "oneof_locations",
    "problems",
    "raw_schema",
    "validate",
    "validate_value",
    "value_problems",
]

SCHEMA_DIR = Path(__file__).parent / "data" / "ogc-schemas-1.0"
BASE_URI = "http://schemas.opengis.net/ogcapi/processes/part1/1.0/openapi/schemas/"

_SCHEMA_OBJECT = "/oneOf/1/properties"

ONEOF_READ_AS_ANYOF: frozenset[tuple[str, str]] = frozenset({
    ("inputValueNoObject.yaml", ""),
    ("inputValue.yaml", ""),
    ("additionalParameter.yaml", "/properties/value/items"),
    ("execute.yaml", "/properties/inputs/additionalProperties"),
    ("schema.yaml", f"{_SCHEMA_OBJECT}/not"),
    ("schema.yaml", f"{_SCHEMA_OBJECT}/allOf/items"),
    ("schema.yaml", f"{_SCHEMA_OBJECT}/oneOf/items"),
    ("schema.yaml", f"{_SCHEMA_OBJECT}/anyOf/items"),
    ("schema.yaml", f"{_SCHEMA_OBJECT}/items"),
    ("schema.yaml", f"{_SCHEMA_OBJECT}/properties/additionalProperties"),
    ("schema.yaml", f"{_SCHEMA_OBJECT}/additionalProperties"),
})
"""(file, JSON pointer) of every ``oneOf`` read as ``anyOf``: branches overlap."""

ONEOF_KEPT_STRICT: frozenset[tuple[str, str]] = frozenset({
    ("schema.yaml", ""),
    ("inlineOrRefData.yaml", ""),
    ("bbox.yaml", "/properties/bbox"),
    ("inputDescription.yaml", "/allOf/1/properties/maxOccurs"),
    ("format.yaml", "/properties/schema"),
})
"""(file, JSON pointer) of every ``oneOf`` kept as ``oneOf``: branches are disjoint."""

# Keywords whose value is one schema, a list of schemas, or a map name -> schema.
_ONE_SCHEMA = frozenset({
    "not", "items", "additionalProperties", "additionalItems", "contains", "if", "then",
    "else", "propertyNames", "unevaluatedItems", "unevaluatedProperties", "contentSchema",
})
_SCHEMA_LIST = frozenset({"allOf", "anyOf", "oneOf", "prefixItems"})
_SCHEMA_MAP = frozenset({
    "properties", "patternProperties", "$defs", "definitions", "dependentSchemas",
})
_DROPPED = frozenset({"example"})
_BOUNDS = (("exclusiveMinimum", "minimum"), ("exclusiveMaximum", "maximum"))
_MESSAGE_LIMIT = 400
_SHAPE = frozenset({"type", "required", "enum", "const"})


def as_json_schema(
    schema: Any, *, anyof_at: Iterable[str] = (), pointer: str = ""
) -> Any:
    """An OpenAPI 3.0 schema object as JSON Schema 2020-12 (see the module docstring).

    ``anyof_at`` holds the JSON pointers (within ``schema``) whose ``oneOf`` is
    read as ``anyOf``. ``schema`` is not changed.
    """
    return _convert(schema, frozenset(anyof_at), pointer)


def _convert(schema: Any, anyof_at: frozenset[str], pointer: str) -> Any:
    if not isinstance(schema, dict):
        return schema  # a boolean schema, or not a schema at all (left for the validator)
    if "$ref" in schema:
        return {"$ref": schema["$ref"]}
    out: dict[str, Any] = {}
    for key, value in schema.items():
        here = f"{pointer}/{_escape(key)}"
        if key in _DROPPED:
            continue
        if key in _ONE_SCHEMA:
            out[key] = _convert(value, anyof_at, here)
        elif key in _SCHEMA_LIST and isinstance(value, list):
            converted = [_convert(item, anyof_at, f"{here}/{i}") for i, item in enumerate(value)]
            out["anyOf" if key == "oneOf" and pointer in anyof_at else key] = converted
        elif key in _SCHEMA_MAP and isinstance(value, dict):
            out[key] = {
                name: _convert(sub, anyof_at, f"{here}/{_escape(name)}")
                for name, sub in value.items()
            }
        else:
            out[key] = copy.deepcopy(value)
    for exclusive, bound in _BOUNDS:
        flag = out.get(exclusive)
        if isinstance(flag, bool):
            del out[exclusive]
            if flag and bound in out:
                out[exclusive] = out.pop(bound)
    return _nullable(out)


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    nullable = schema.pop("nullable", False)
    if nullable is not True:
        return schema
    kind = schema.get("type")
    if kind is None:
        return {"anyOf": [{"type": "null"}, schema]}
    kinds = list(kind) if isinstance(kind, list) else [kind]
    schema["type"] = [*kinds, "null"] if "null" not in kinds else kinds
    if isinstance(schema.get("enum"), list) and None not in schema["enum"]:
        schema["enum"] = [*schema["enum"], None]
    return schema


def _escape(key: str) -> str:
    return key.replace("~", "~0").replace("/", "~1")


def raw_schema(name: str) -> Any:
    """The vendored file ``name`` (e.g. ``"statusInfo.yaml"``) as published, parsed."""
    return _raw_schemas()[name]


@functools.cache
def _raw_schemas() -> dict[str, Any]:
    schemas = {
        path.name: yaml.safe_load(path.read_text(encoding="utf-8"))
        for path in sorted(SCHEMA_DIR.glob("*.yaml"))
    }
    if not schemas:
        raise FileNotFoundError(f"no schemas in {SCHEMA_DIR}")
    return schemas


def oneof_locations(schema: Any, pointer: str = "") -> Iterator[str]:
    """The JSON pointers of every ``oneOf`` keyword in ``schema`` (schema places only)."""
    if not isinstance(schema, dict) or "$ref" in schema:
        return
    if isinstance(schema.get("oneOf"), list):
        yield pointer
    for key, value in schema.items():
        here = f"{pointer}/{_escape(key)}"
        if key in _ONE_SCHEMA:
            yield from oneof_locations(value, here)
        elif key in _SCHEMA_LIST and isinstance(value, list):
            for index, item in enumerate(value):
                yield from oneof_locations(item, f"{here}/{index}")
        elif key in _SCHEMA_MAP and isinstance(value, dict):
            for name, sub in value.items():
                yield from oneof_locations(sub, f"{here}/{_escape(name)}")


@functools.cache
def _registry() -> Registry:
    raw = _raw_schemas()
    anyof: dict[str, set[str]] = defaultdict(set)
    for name, pointer in ONEOF_READ_AS_ANYOF | ONEOF_KEPT_STRICT:
        if name not in raw or pointer not in set(oneof_locations(raw[name])):
            raise LookupError(f"{name} has no oneOf at {pointer!r}: the oracle's lists are stale")
    for name, pointer in ONEOF_READ_AS_ANYOF:
        anyof[name].add(pointer)
    resources = [
        (BASE_URI + name, Resource(as_json_schema(schema, anyof_at=anyof[name]), DRAFT202012))
        for name, schema in raw.items()
    ]
    return Registry().with_resources(resources)


def _format_checker() -> FormatChecker:
    checker = Draft202012Validator.FORMAT_CHECKER
    missing = {"date-time", "uri", "uri-reference"} - set(checker.checkers)
    if missing:  # jsonschema skips formats whose checker library is absent, silently
        raise RuntimeError(f"jsonschema cannot check the formats {sorted(missing)}: "
                           "install rfc3339-validator and rfc3986-validator")
    return checker


@functools.cache
def _validator(name: str) -> Draft202012Validator:
    if name not in _raw_schemas():
        raise KeyError(f"no schema {name!r} in {SCHEMA_DIR}")
    return Draft202012Validator(
        {"$ref": BASE_URI + name},
        registry=_registry(),
        format_checker=_format_checker(),
    )


def problems(document: Any, name: str) -> list[str]:
    """Every violation of the vendored schema ``name`` by ``document``, as ``path: message``."""
    return _report(_validator(name).iter_errors(document))


def validate(document: Any, name: str) -> None:
    """Raise an AssertionError listing every violation of schema ``name`` by ``document``."""
    found = problems(document, name)
    if found:
        raise AssertionError(f"{len(found)} violation(s) of {name}:\n  " + "\n  ".join(found))


def value_problems(value: Any, schema: Any) -> list[str]:
    """Every violation of an OpenAPI 3.0 ``schema`` (as a server sent it) by ``value``."""
    validator = Draft202012Validator(
        as_json_schema(schema), format_checker=_format_checker()
    )
    return _report(validator.iter_errors(value))


def validate_value(value: Any, schema: Any, what: str = "value") -> None:
    """Raise an AssertionError listing every violation of ``schema`` by ``value``."""
    found = value_problems(value, schema)
    if found:
        raise AssertionError(f"{len(found)} violation(s) of the {what}'s schema:\n  "
                             + "\n  ".join(found))


def _report(errors: Iterable[ValidationError]) -> list[str]:
    lines: list[str] = []
    for error in sorted(errors, key=lambda e: (list(map(str, e.absolute_path)), e.message)):
        for leaf in _explain(error)[0]:
            line = f"{leaf.json_path}: {_short(leaf.message)}"
            if leaf is not error:
                line += f" (in the {error.validator} at {error.json_path})"
            if line not in lines:
                lines.append(line)
    return lines


def _explain(error: ValidationError) -> tuple[list[ValidationError], bool]:
    """The errors that say what is wrong, and whether they concern only the shape.

    A failed ``oneOf``/``anyOf`` holds one group of errors per branch. A branch
    whose every error is about the instance's shape (its ``type``,
    ``required``, ``enum`` or ``const`` right at the instance) is one the
    instance was not meant for; the other branches' errors are reported, all of
    them (so every unexpected key shows). When every branch fails on shape
    alone, the failed ``oneOf``/``anyOf`` itself is the report ("... is not
    valid under any of the given schemas").
    """
    if not error.context:
        return [error], error.validator in _SHAPE
    branches: dict[Any, list[tuple[list[ValidationError], bool]]] = defaultdict(list)
    for sub in error.context:
        key = sub.relative_schema_path[0] if sub.relative_schema_path else None
        branches[key].append(_explain(sub))
    meant = [
        leaf
        for explained in branches.values()
        if not all(
            shape_only and all(leaf.absolute_path == error.absolute_path for leaf in leaves)
            for leaves, shape_only in explained
        )
        for leaves, _ in explained
        for leaf in leaves
    ]
    if meant:
        return meant, False
    return [error], True


def _short(text: str) -> str:
    return text if len(text) <= _MESSAGE_LIMIT else text[:_MESSAGE_LIMIT] + "..."

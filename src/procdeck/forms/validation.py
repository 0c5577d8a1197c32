"""Validation with jsonschema: compiled validators (cached) and messages people understand."""

from __future__ import annotations

import json
import re
from datetime import date
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from procdeck._util.lazy import lazy_exports
from procdeck.forms.schema import SchemaError

if TYPE_CHECKING:
    from jsonschema import FormatChecker, ValidationError
    from jsonschema.protocols import Validator

# jsonschema is imported when the first validator is compiled, not with this module: with
# Jupyter in the environment it brings rfc3987-syntax, whose grammar takes ~1.4 s to build

__all__ = [
    "compile_validator", "describe_error", "error_path", "format_checker", "join_path", "warm_up",
]

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DATE_TIME = re.compile(
    r"^(\d{4}-\d{2}-\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$"
)
_TIME = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)(:([0-5]\d|60)(\.\d+)?)?([Zz]|[+-]\d{2}:\d{2})?$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")
_URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:\S*$")


def _is_date(value: object) -> bool:
    if not isinstance(value, str):
        return True
    if not _DATE.match(value):
        return False
    date.fromisoformat(value)
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


def _is_time(value: object) -> bool:
    return not isinstance(value, str) or bool(_TIME.match(value))


def _is_email(value: object) -> bool:
    return not isinstance(value, str) or bool(_EMAIL.match(value))


def _is_uri(value: object) -> bool:
    return not isinstance(value, str) or bool(_URI.match(value))


@lru_cache(maxsize=1)
def format_checker() -> FormatChecker:
    """The format checker forms use: date, date-time, time, email and uri, checked here."""
    from jsonschema import FormatChecker

    checker = FormatChecker(formats=())
    checker.checks("date", raises=ValueError)(_is_date)
    checker.checks("date-time", raises=ValueError)(_is_date_time)
    checker.checks("time")(_is_time)
    checker.checks("email")(_is_email)
    checker.checks("uri")(_is_uri)
    return checker


_warming: list[Any] = []


def warm_up() -> None:
    """Import jsonschema soon (once), so the first form need not wait for it.

    With an event loop running (a notebook kernel) the import runs on it right after
    the current cell, while the browser loads the app's scripts; a thread would fight
    the kernel's own work for the GIL and slow it. Without a loop: at once.
    """
    import asyncio
    import sys

    if _warming or "jsonschema.validators" in sys.modules:
        return
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        format_checker()
        return
    _warming.append(loop.call_later(0.05, format_checker))


# FORMAT_CHECKER: the checker, built on first use
__getattr__, __dir__ = lazy_exports(__name__, {"FORMAT_CHECKER": format_checker})


FORMAT_EXAMPLES = {
    "date": "2025-01-31",
    "date-time": "2025-01-31T12:00:00Z",
    "time": "12:00:00",
    "email": "name@example.org",
    "uri": "https://example.org/data",
}


def compile_validator(schema: Any) -> Validator:
    """A ready validator for a (translated) schema; equal schemas share one.

    Raises :class:`~procdeck.forms.schema.SchemaError` when the schema itself is invalid.
    """
    try:
        key = json.dumps(schema, sort_keys=True, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise SchemaError(f"schema is not plain JSON: {exc}") from exc
    return _compile(key)


@lru_cache(maxsize=512)
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


def join_path(prefix: str, part: str | int) -> str:
    """``scene_spec`` + ``threshold`` -> ``scene_spec.threshold``; ``bbox`` + 2 -> ``bbox[2]``."""
    if isinstance(part, int):
        return f"{prefix}[{part}]"
    return f"{prefix}.{part}" if prefix else part


def error_path(prefix: str, error: ValidationError) -> str:
    """The input path an error belongs to (a missing required property is its own path)."""
    path = prefix
    for part in error.absolute_path:
        path = join_path(path, part)
    if error.validator == "required":
        missing = _missing_property(error)
        if missing is not None:
            path = join_path(path, missing)
    return path


def _missing_property(error: ValidationError) -> str | None:
    match = re.match(r"^'(.*)' is a required property$", error.message, re.S)
    return match.group(1) if match else None


_TYPE_WORDS = {
    "string": "text",
    "number": "a number",
    "integer": "a whole number",
    "boolean": "true or false",
    "array": "a list",
    "object": "an object",
    "null": "empty (null)",
}

REQUIRED_MESSAGE = "A value is required."


def _fmt(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, str):
        return value
    return json.dumps(value)


def describe_error(error: ValidationError) -> str:
    """A sentence for one validation error, e.g. ``Must be at most 100.``."""
    kind = error.validator
    arg = error.validator_value
    instance = error.instance
    if kind == "required":
        return REQUIRED_MESSAGE
    if kind == "type":
        if instance is None:
            return REQUIRED_MESSAGE
        kinds = [arg] if isinstance(arg, str) else list(arg)
        words = " or ".join(_TYPE_WORDS.get(k, k) for k in kinds)
        return f"Must be {words}."
    simple = {
        "minimum": "Must be at least {}.",
        "maximum": "Must be at most {}.",
        "exclusiveMinimum": "Must be greater than {}.",
        "exclusiveMaximum": "Must be less than {}.",
        "multipleOf": "Must be a multiple of {}.",
        "minLength": "Must have at least {} character(s).",
        "maxLength": "Must have at most {} character(s).",
        "pattern": "Must match the pattern {}.",
        "minItems": "Needs at least {} item(s).",
        "maxItems": "Allows at most {} item(s).",
        "minProperties": "Needs at least {} entr(y/ies).",
        "maxProperties": "Allows at most {} entr(y/ies).",
    }
    if kind in simple:
        return simple[kind].format(_fmt(arg))
    if kind == "format":
        example = FORMAT_EXAMPLES.get(arg)
        hint = f" (for example {example})" if example else ""
        return f"Must be a valid {arg}{hint}."
    if kind == "enum":
        return "Must be one of: " + ", ".join(_fmt(v) for v in arg) + "."
    if kind == "const":
        return f"Must be {_fmt(arg)}."
    if kind == "uniqueItems":
        return "Items must be unique."
    if kind in ("additionalProperties", "unevaluatedProperties"):
        extra = sorted(set(instance) - set(error.schema.get("properties", {})))
        if extra:
            return "Unexpected entr(y/ies): " + ", ".join(extra) + "."
        return "Has entries that are not allowed."
    if kind in ("oneOf", "anyOf"):
        if kind == "oneOf" and not error.context:
            return "Matches more than one of the options."
        return "Does not match any of the options."
    if kind == "not":
        return "This value is not allowed."
    return error.message[:1].upper() + error.message[1:]

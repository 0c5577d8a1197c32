"""Validation messages people understand, and warming up jsonschema.

The validators and the format checker are the server's (:mod:`procdeck.ogc.jsonschema`),
so the form and the server agree on what is valid.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

from procdeck._util.lazy import lazy_exports
from procdeck.ogc.jsonschema import compile_validator, format_checker

if TYPE_CHECKING:
    from jsonschema import ValidationError

__all__ = [
    "compile_validator", "describe_error", "error_path", "format_checker", "join_path", "warm_up",
]

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

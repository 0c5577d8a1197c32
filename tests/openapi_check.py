"""Is a document valid OpenAPI 3.0 (or 3.1)? ``openapi-spec-validator``'s answer, as a list.

The validator checks the document against the OpenAPI JSON schema of its
version and more (each ``default`` against its schema, references resolve,
path parameters declared). A document it cannot even read, e.g. a 3.1
``type: "null"`` given to the 3.0 validator, which raises ``UnknownType``,
is a problem too, not a crash of the test.
"""

from __future__ import annotations

from typing import Any

from jsonschema_path import SchemaPath
from openapi_spec_validator import OpenAPIV30SpecValidator, OpenAPIV31SpecValidator

__all__ = ["openapi30_problems", "openapi31_problems"]

MAX_PROBLEMS = 20


def _problems(validator_class: Any, document: dict[str, Any]) -> list[str]:
    found: list[str] = []
    errors = validator_class(SchemaPath.from_dict(document)).iter_errors()
    try:
        for error in errors:
            path = "/".join(str(part) for part in getattr(error, "absolute_path", ()))
            found.append(f"{path or '(document)'}: {getattr(error, 'message', error)}")
            if len(found) >= MAX_PROBLEMS:
                break
    except Exception as exc:  # the validator could not read the document: say why
        found.append(f"unreadable: {type(exc).__name__}: {str(exc).splitlines()[0]}")
    return found


def openapi30_problems(document: dict[str, Any]) -> list[str]:
    """Why ``document`` is not a valid OpenAPI 3.0 document (empty: it is)."""
    return _problems(OpenAPIV30SpecValidator, document)


def openapi31_problems(document: dict[str, Any]) -> list[str]:
    """Why ``document`` is not a valid OpenAPI 3.1 document (empty: it is)."""
    return _problems(OpenAPIV31SpecValidator, document)

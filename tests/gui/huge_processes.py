"""A server with a lot to show: 500 small processes and one with 240 inputs whose
descriptions are long. Served with ``procdeck serve --processes huge_processes`` (this
folder on ``PYTHONPATH``); the app must load it without freezing the page.
"""

from __future__ import annotations

from typing import Any

from procdeck.server.registry import ProcessRegistry

registry = ProcessRegistry()

BULK = 500
WIDE_INPUTS = 240
LONG_TEXT = (
    "A long description with **Markdown**, `code` and a [link](https://example.org/docs). "
    * 24
)  # about 2 kB per input, 0.5 MB for the whole description

_KINDS: list[dict[str, Any]] = [
    {"type": "number", "minimum": 0, "maximum": 10, "default": 1.5},
    {"type": "integer", "minimum": 1, "maximum": 100, "default": 3},
    {"type": "boolean", "default": False},
    {"type": "string", "default": "abc"},
    {"type": "string", "enum": ["a", "b", "c", "d", "e"], "default": "b"},
    {"type": "string", "format": "date", "default": "2025-01-01"},
]


def _count(**inputs: Any) -> int:
    return len(inputs)


for number in range(BULK):
    registry.add(
        {
            "id": f"bulk_{number:04d}",
            "title": f"Bulk {number:04d}",
            "description": f"Bulk process number {number}. " + LONG_TEXT[:400],
            "version": "1.0.0",
            "keywords": ["bulk", f"group-{number % 10}"],
            "inputs": {"x": {"title": "X", "minOccurs": 0,
                             "schema": {"type": "number", "default": 1}}},
            "outputs": {"count": {"schema": {"type": "integer"}}},
        },
        _count,
    )

registry.add(
    {
        "id": "wide_form",
        "title": "Wide form",
        "description": "Many inputs. " + LONG_TEXT,
        "version": "1.0.0",
        "inputs": {
            f"in_{index:03d}": {
                "title": f"Input {index:03d}",
                "description": f"Input {index}. {LONG_TEXT}",
                "minOccurs": 0,
                "schema": dict(_KINDS[index % len(_KINDS)]),
            }
            for index in range(WIDE_INPUTS)
        },
        "outputs": {"count": {"schema": {"type": "integer"}}},
    },
    _count,
)

"""Processes for GUI tests that need another server than the demo one.

``echo_text`` has a hostile description (raw HTML, script, an image from another
host, a javascript: link): the app must show it as text and load nothing.
Served with ``procdeck serve --processes alt_processes`` (this folder on PYTHONPATH).
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from procdeck.server.registry import ProcessRegistry

registry = ProcessRegistry()

HOSTILE_DESCRIPTION = (
    "Echoes **text**. <script>window.__pwned = 1</script>"
    '<img src="https://tracker.example.com/pixel.png" onerror="window.__pwned = 2">'
    " [click me](javascript:window.__pwned=3) ![remote](https://images.example.com/x.png)"
)


@registry.process(id="echo_text", title="Echo", description=HOSTILE_DESCRIPTION,
                  keywords=["<b>bold keyword</b>"])
def echo_text(text: Annotated[str, Field(title="Text")] = "hello") -> str:
    """Return the text."""
    return text


def _two_outputs(scale: float = 1.0) -> dict[str, object]:
    return {"stats": {"mean": 1.5 * scale}, "label": f"scaled by {scale}"}


registry.add(
    {
        "id": "two_outputs",
        "title": "Two outputs",
        "description": "Returns statistics and a label; each by value or by reference.",
        "version": "1.0.0",
        "outputTransmission": ["value", "reference"],
        "inputs": {"scale": {"title": "Scale", "minOccurs": 0,
                             "schema": {"type": "number", "default": 1.0}}},
        "outputs": {
            "stats": {"title": "Statistics", "schema": {"type": "object"}},
            "label": {"title": "Label", "schema": {"type": "string"}},
        },
    },
    _two_outputs,
)

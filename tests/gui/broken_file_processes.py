"""A process whose result links to a file that is not there, for the result cards' failure case.

Served next to the demo processes (``procdeck serve --processes procdeck.demo
--processes broken_file_processes``, this folder on ``PYTHONPATH``). ``missing_table``
links, through ``ctx.file_link``, to ``gone.csv`` below its own job directory without
writing it: the server answers 404 for the link, so the card can neither preview nor
download it.
"""

from __future__ import annotations

from typing import Any

from procdeck.server.context import JobContext
from procdeck.server.registry import ProcessRegistry

registry = ProcessRegistry()

MISSING_FILE = "gone.csv"


@registry.process(
    id="missing_table",
    title="Missing table",
    description="Returns a link to a CSV file in the job's directory that was never written.",
    outputs={"table": {"title": "Table", "description": "A link to a file that is not there.",
                       "schema": {"type": "string", "contentMediaType": "text/csv"}}},
)
def missing_table(ctx: JobContext) -> Any:
    """Link to ``gone.csv`` without writing it."""
    return ctx.file_link(MISSING_FILE, "text/csv", title="A table that is not there")

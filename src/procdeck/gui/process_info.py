"""The selected process as safe HTML: title, id, version, description, keywords, links, I/O.

Everything from the server is escaped; the description goes through
:func:`procdeck.gui.markdown.render_markdown` (no raw HTML, safe links only).
"""

from __future__ import annotations

from typing import Any

from procdeck.gui.markdown import escape, render_markdown, safe_href
from procdeck.gui.theme import icon
from procdeck.ogc.models import InputDescription, OutputDescription, ProcessDescription, Schema

__all__ = ["placeholder_html", "process_header_html", "process_io_html", "schema_summary"]


def schema_summary(schema: Schema | None) -> str:
    """A short human description of a schema: ``number (0.01 … 1)``, ``date``, ``one of 3``."""
    if schema is None:
        return "any"
    if schema.enum:
        return "one of " + ", ".join(str(v) for v in schema.enum[:4]) + (
            " …" if len(schema.enum) > 4 else ""
        )
    if schema.oneOf or schema.anyOf:
        branches = schema.oneOf or schema.anyOf or []
        return f"one of {len(branches)} kinds"
    if schema.ref:
        return schema.ref.rsplit("/", 1)[-1]
    kind = schema.type if isinstance(schema.type, str) else "/".join(schema.type or []) or "any"
    if schema.format:
        kind = f"{kind}, {schema.format}"
    if kind.startswith("array") and isinstance(schema.items, Schema):
        kind = f"array of {schema_summary(schema.items)}"
    bounds = [b for b in (schema.minimum, schema.maximum) if b is not None]
    if len(bounds) == 2:
        kind += f" ({schema.minimum:g} … {schema.maximum:g})"
    elif schema.minimum is not None:
        kind += f" (≥ {schema.minimum:g})"
    elif schema.maximum is not None:
        kind += f" (≤ {schema.maximum:g})"
    if schema.nullable:
        kind += ", nullable"
    return kind


def _keywords(keywords: list[str] | None) -> str:
    if not keywords:
        return ""
    chips = "".join(f'<span class="pd-badge accent">{escape(k)}</span> ' for k in keywords)
    return f'<div class="pd-sub" aria-label="Keywords">{chips}</div>'


def _links(links: list[Any] | None) -> str:
    items = []
    for link in links or []:
        href = safe_href(getattr(link, "href", None))
        if href is None:
            continue
        label = getattr(link, "title", None) or getattr(link, "rel", None) or href
        items.append(
            f'<a href="{escape(href)}" target="_blank" rel="noopener noreferrer nofollow">'
            f"{escape(label)} ↗</a>"
        )
    if not items:
        return ""
    return f'<nav class="pd-links" aria-label="Process links">{"".join(items)}</nav>'


def process_header_html(process: ProcessDescription) -> str:
    """Title, id and version, keywords, description (safe Markdown) and links."""
    title = escape(process.title or process.id)
    version = (
        f'<span class="pd-badge">v{escape(process.version)}</span>' if process.version else ""
    )
    modes = ", ".join(process.jobControlOptions or [])
    modes_html = f'<span class="pd-badge">{escape(modes)}</span>' if modes else ""
    description = render_markdown(process.description)
    return (
        '<div class="pd-detail">'
        f"<h2>{title}</h2>"
        f'<div class="pd-sub"><code>{escape(process.id)}</code>{version}{modes_html}</div>'
        f'<div class="pd-md">{description}</div>'
        f"{_keywords(process.keywords)}{_links(process.links)}"
        "</div>"
    )


def _input_row(name: str, item: InputDescription) -> str:
    required = '<span class="pd-badge warn">required</span>' if not item.is_optional else ""
    occurs = ""
    if item.is_array:
        upper = "∞" if item.maxOccurs == "unbounded" else item.maxOccurs
        occurs = f" ×{item.minOccurs}…{upper}"
    return (
        f"<tr><td><code>{escape(name)}</code></td><td>{escape(item.title or '')}</td>"
        f"<td>{escape(schema_summary(item.schema_))}{escape(occurs)}</td><td>{required}</td></tr>"
    )


def _output_row(name: str, item: OutputDescription) -> str:
    return (
        f"<tr><td><code>{escape(name)}</code></td><td>{escape(item.title or '')}</td>"
        f"<td>{escape(schema_summary(item.schema_))}</td></tr>"
    )


def process_io_html(process: ProcessDescription) -> str:
    """Inputs and outputs as two small collapsible tables."""
    inputs = "".join(_input_row(k, v) for k, v in process.inputs.items())
    outputs = "".join(_output_row(k, v) for k, v in process.outputs.items())
    return (
        '<div class="pd-io">'
        f"<details><summary>Inputs ({len(process.inputs)})</summary>"
        "<table><thead><tr><th>Id</th><th>Title</th><th>Kind</th><th></th></tr></thead>"
        f"<tbody>{inputs}</tbody></table></details>"
        f"<details><summary>Outputs ({len(process.outputs)})</summary>"
        "<table><thead><tr><th>Id</th><th>Title</th><th>Kind</th></tr></thead>"
        f"<tbody>{outputs}</tbody></table></details>"
        "</div>"
    )


def placeholder_html(message: str, *, icon_name: str = "form") -> str:
    """A friendly empty state for the middle pane."""
    return f'<div class="pd-placeholder">{icon(icon_name)}{escape(message)}</div>'

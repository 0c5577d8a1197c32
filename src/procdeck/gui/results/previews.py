"""Previews of result files: a CSV as a table, an image, GeoJSON on lon/lat axes. Panel-free.

Everything here works on bytes already in hand (an inline value, or a link the
caller fetched through the client with a size cap) and returns escaped HTML
with nothing to load: images become ``data:`` URIs of checked image bytes, the
CSV is parsed with the :mod:`csv` module (no pandas), GeoJSON is drawn as SVG.
"""

from __future__ import annotations

import base64
import csv
import io
import json
from dataclasses import dataclass
from html import escape

from procdeck.gui.results.html import render_geojson_svg

__all__ = [
    "CSV_PREVIEW_ROWS",
    "CsvPreview",
    "PreviewError",
    "image_media_type",
    "parse_csv",
    "render_csv_preview",
    "render_preview",
]

CSV_PREVIEW_ROWS = 100

_MAGIC = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
)


class PreviewError(Exception):
    """The bytes are not what the preview needs (not an image, not GeoJSON, ...)."""


@dataclass(frozen=True, slots=True)
class CsvPreview:
    """The head of a CSV file: column names, the first rows, how many rows it has."""

    columns: list[str]
    rows: list[list[str]]
    total_rows: int

    @property
    def truncated(self) -> bool:
        return self.total_rows > len(self.rows)


def _text(data: bytes | str) -> str:
    return data if isinstance(data, str) else data.decode("utf-8-sig", errors="replace")


def parse_csv(data: bytes | str, limit: int = CSV_PREVIEW_ROWS) -> CsvPreview:
    """The header and first ``limit`` rows of a CSV (quotes handled, ragged rows padded).

    A row longer than the header adds columns (``column 4``, ...); shorter rows
    are padded with empty cells. Blank lines are skipped; all rows are counted.
    """
    reader = csv.reader(io.StringIO(_text(data), newline=""))
    header: list[str] | None = None
    rows: list[list[str]] = []
    total = 0
    width = 0
    try:
        for row in reader:
            if not row or all(cell == "" for cell in row):
                continue
            if header is None:
                header = row
                width = len(row)
                continue
            total += 1
            if len(rows) < limit:
                rows.append(row)
                width = max(width, len(row))
    except csv.Error as exc:  # e.g. a NUL byte: show what was read, say why it stopped
        if header is None:
            raise PreviewError(f"not CSV: {exc}") from exc
    if header is None:
        return CsvPreview([], [], 0)
    columns = [name if name else f"column {i + 1}" for i, name in enumerate(header)]
    columns += [f"column {i + 1}" for i in range(len(columns), width)]
    return CsvPreview(columns, [row + [""] * (width - len(row)) for row in rows], total)


def render_csv_preview(data: bytes | str, limit: int = CSV_PREVIEW_ROWS) -> str:
    """An HTML table of the CSV's first ``limit`` rows, with a note of how many there are."""
    table = parse_csv(data, limit)
    if not table.columns:
        return '<div class="pdr-muted">The CSV file is empty.</div>'
    head = "".join(f"<th>{escape(c)}</th>" for c in table.columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{escape(cell)}</td>" for cell in row) + "</tr>"
        for row in table.rows
    )
    size = f"{table.total_rows} rows × {len(table.columns)} columns"
    if table.truncated:
        size += f" (the first {len(table.rows)} shown)"
    return (
        f'<div class="pdr-muted">{size}</div>'
        f'<div class="pdr-scroll"><table class="pdr-table pdr-csv"><thead><tr>{head}</tr></thead>'
        f"<tbody>{body}</tbody></table></div>"
    )


def image_media_type(data: bytes) -> str | None:
    """The image type the bytes really are (PNG, JPEG, GIF, WebP), whatever the link said."""
    for magic, media in _MAGIC:
        if data.startswith(magic):
            return media
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def render_image(data: bytes, alt: str) -> str:
    """An ``<img>`` of image bytes as a ``data:`` URI (checked by their magic number)."""
    media = image_media_type(data)
    if media is None:
        raise PreviewError("the file is not a PNG, JPEG, GIF or WebP image")
    source = f"data:{media};base64,{base64.b64encode(data).decode()}"
    return f'<img class="pdr-img" alt="{escape(alt, quote=True)}" src="{source}">'


def render_geojson(data: bytes | str) -> str:
    """The lon/lat plot of a GeoJSON file."""
    try:
        value = json.loads(_text(data))
    except ValueError as exc:
        raise PreviewError(f"not JSON: {exc}") from exc
    svg = render_geojson_svg(value)
    if svg is None:
        raise PreviewError("the GeoJSON has no geometry to draw")
    return svg


def render_preview(kind: str, data: bytes | str, alt: str = "result") -> str:
    """The preview of ``kind`` (``csv``, ``image``, ``geojson``) of a file's bytes.

    Raises :class:`PreviewError` when the bytes do not fit the kind.
    """
    if kind == "csv":
        return render_csv_preview(data)
    if kind == "image":
        if isinstance(data, str):
            raise PreviewError("an image preview needs bytes")
        return render_image(data, alt)
    if kind == "geojson":
        return render_geojson(data)
    raise PreviewError(f"no preview for {kind}")

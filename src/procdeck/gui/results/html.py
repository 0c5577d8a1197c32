"""Static HTML for results: used by the notebook display and inside the app's viewers.

Everything a server sent is escaped (:func:`html.escape`); links are only
emitted for http(s) URLs, images only from checked base64 or http(s) URLs.
Panel-free: the same markup shows in any notebook front end, with or without
Panel.
"""

from __future__ import annotations

import base64
import json
import math
from collections.abc import Iterator, Mapping
from html import escape
from typing import Any
from urllib.parse import quote

from procdeck.gui.results.kinds import ResultItem, image_source, local_path, safe_href

__all__ = [
    "RESULTS_CSS",
    "download_filename",
    "download_json_link",
    "render_geojson_svg",
    "render_item_body",
    "render_json_tree",
    "render_link",
    "render_python_line",
    "render_table",
    "result_json",
    "table_columns",
]

MAX_TREE_ITEMS = 200
MAX_TABLE_ROWS = 200
MAX_INLINE_DOWNLOAD = 5_000_000  # bytes; bigger results are not embedded as data: links
_MAX_SHAPE_POINTS = 20_000

RESULTS_CSS = """
.pdr { font-family: var(--pd-font, system-ui, sans-serif); color: var(--pd-text, inherit);
  font-size: 13px; line-height: 1.45; }
.pdr-card { border: 1px solid var(--pd-border, #e2e6ec); border-radius: 8px; padding: 8px 10px;
  margin: 0 0 10px 0; background: var(--pd-surface, transparent); }
.pdr-head { display: flex; gap: 8px; align-items: baseline; flex-wrap: wrap; margin-bottom: 6px; }
.pdr-key { font-weight: 600; font-family: var(--pd-mono, monospace); }
.pdr-chip { font-size: 11px; padding: 1px 7px; border-radius: 999px;
  background: var(--pd-idle-soft, #eef2f6); color: var(--pd-muted, #5b6470); }
.pdr-scalar { font-size: 20px; font-weight: 600; font-family: var(--pd-mono, monospace);
  word-break: break-all; }
.pdr-text, .pdr-pre { white-space: pre-wrap; word-break: break-word; margin: 0;
  font-family: var(--pd-mono, monospace); font-size: 12px; max-height: 320px; overflow: auto;
  background: var(--pd-surface-2, #f8fafc); padding: 6px 8px; border-radius: 6px; }
.pdr-python { margin: 6px 0 0 0; font-family: var(--pd-mono, monospace); font-size: 12px;
  color: var(--pd-muted, #5b6470); white-space: pre-wrap; word-break: break-all; }
.pdr-python::before { content: ">>> "; opacity: 0.6; }
.pdr-tree, .pdr-tree ul { list-style: none; margin: 0; padding-left: 14px;
  font-family: var(--pd-mono, monospace); font-size: 12px; }
.pdr-tree { padding-left: 0; }
.pdr-tree summary { cursor: pointer; }
.pdr-tkey { color: var(--pd-accent, #2563eb); }
.pdr-tnote { color: var(--pd-muted, #5b6470); }
.pdr-table { border-collapse: collapse; font-size: 12px; }
.pdr-table th, .pdr-table td { border-bottom: 1px solid var(--pd-border, #e2e6ec);
  padding: 2px 8px; text-align: left; font-family: var(--pd-mono, monospace); }
.pdr-table th { font-weight: 600; }
.pdr-img { max-width: 100%; max-height: 360px; border-radius: 6px; }
.pdr-links a { margin-right: 12px; }
.pdr-muted { color: var(--pd-muted, #5b6470); }
.pdr-error { color: var(--pd-bad, #c81e1e); }
.pdr-svg { background: var(--pd-surface-2, #f8fafc); border-radius: 6px; }
"""


def _json_text(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, allow_nan=True)


def render_python_line(item: ResultItem) -> str:
    """The Python line that fetches the result, as a code block."""
    return f'<pre class="pdr-python"><code>{escape(item.python)}</code></pre>'


def render_json_tree(value: Any, *, open_levels: int = 1, _level: int = 0) -> str:
    """A collapsible tree (``<details>``) of a JSON value; long levels are cut with a note."""
    if isinstance(value, Mapping):
        entries: Iterator[tuple[str, Any]] = ((str(k), v) for k, v in value.items())
        size, brackets = len(value), ("{", "}")
    elif isinstance(value, list | tuple):
        entries = ((str(i), v) for i, v in enumerate(value))
        size, brackets = len(value), ("[", "]")
    else:
        return f"<span>{escape(_json_text(value))}</span>"
    if size == 0:
        return f"<span>{brackets[0]}{brackets[1]}</span>"
    lines = []
    for index, (key, child) in enumerate(entries):
        if index >= MAX_TREE_ITEMS:
            lines.append(f'<li class="pdr-tnote">… {size - MAX_TREE_ITEMS} more</li>')
            break
        rendered = render_json_tree(child, open_levels=open_levels, _level=_level + 1)
        lines.append(f'<li><span class="pdr-tkey">{escape(key)}</span>: {rendered}</li>')
    noun = "keys" if brackets[0] == "{" else "items"
    is_open = " open" if _level < open_levels else ""
    tree_class = ' class="pdr-tree"' if _level == 0 else ""
    return (
        f"<details{is_open}><summary>{brackets[0]} <span class=\"pdr-tnote\">{size} {noun}"
        f"</span> {brackets[1]}</summary><ul{tree_class}>{''.join(lines)}</ul></details>"
    )


def table_columns(value: list[Any]) -> tuple[list[str], list[list[Any]]]:
    """Column names and rows of a list of records, of scalars or of rows."""
    if all(isinstance(item, Mapping) for item in value):
        columns: list[str] = []
        for record in value:
            for key in record:
                if str(key) not in columns:
                    columns.append(str(key))
        rows = [[record.get(c) for c in columns] for record in value]
        return columns, rows
    if all(isinstance(item, list) for item in value):
        width = max((len(row) for row in value), default=0)
        return [str(i) for i in range(width)], [
            list(row) + [None] * (width - len(row)) for row in value
        ]
    return ["value"], [[item] for item in value]


def render_table(value: list[Any], *, limit: int = MAX_TABLE_ROWS) -> str:
    """An HTML table of records or an array (first ``limit`` rows, then a note)."""
    columns, rows = table_columns(value)
    head = "".join(f"<th>{escape(c)}</th>" for c in ["#", *columns])
    body = []
    for index, row in enumerate(rows[:limit]):
        cells = "".join(
            f"<td>{escape(v if isinstance(v, str) else _json_text(v))}</td>" for v in row
        )
        body.append(f"<tr><td class=\"pdr-muted\">{index}</td>{cells}</tr>")
    note = ""
    if len(rows) > limit:
        note = f'<div class="pdr-muted">… {len(rows) - limit} more rows</div>'
    return (
        f'<div class="pdr-muted">{len(rows)} rows × {len(columns)} columns</div>'
        f'<table class="pdr-table"><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table>{note}"
    )


def _positions(geometry: Any) -> Iterator[tuple[str, list[list[tuple[float, float]]]]]:
    """(shape kind, rings/lines of (x, y)) for every geometry in a GeoJSON object."""
    if not isinstance(geometry, Mapping):
        return
    kind = geometry.get("type")
    if kind == "FeatureCollection":
        for feature in geometry.get("features") or []:
            yield from _positions(feature)
    elif kind == "Feature":
        yield from _positions(geometry.get("geometry"))
    elif kind == "GeometryCollection":
        for child in geometry.get("geometries") or []:
            yield from _positions(child)
    else:
        coords = geometry.get("coordinates")
        try:
            if kind == "Point":
                yield "point", [[(float(coords[0]), float(coords[1]))]]
            elif kind == "MultiPoint":
                yield "point", [[(float(c[0]), float(c[1]))] for c in coords]
            elif kind == "LineString":
                yield "line", [[(float(c[0]), float(c[1])) for c in coords]]
            elif kind == "MultiLineString":
                yield "line", [[(float(c[0]), float(c[1])) for c in line] for line in coords]
            elif kind == "Polygon":
                yield "polygon", [[(float(c[0]), float(c[1])) for c in ring] for ring in coords]
            elif kind == "MultiPolygon":
                for polygon in coords:
                    yield "polygon", [
                        [(float(c[0]), float(c[1])) for c in ring] for ring in polygon
                    ]
        except (TypeError, ValueError, IndexError):
            return  # malformed coordinates: leave this geometry out of the sketch


def render_geojson_svg(value: Any, width: int = 320, height: int = 200) -> str | None:
    """A small SVG sketch of a GeoJSON object (lon/lat as x/y), or None if it has no shape."""
    shapes = list(_positions(value))
    points = [p for _, parts in shapes for part in parts for p in part][:_MAX_SHAPE_POINTS]
    points = [p for p in points if math.isfinite(p[0]) and math.isfinite(p[1])]
    if not points:
        return None
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    x0, x1, y0, y1 = min(xs), max(xs), min(ys), max(ys)
    span = max(x1 - x0, y1 - y0) or 1.0
    pad = 8
    scale = min((width - 2 * pad) / span, (height - 2 * pad) / span)

    def xy(p: tuple[float, float]) -> str:
        return f"{pad + (p[0] - x0) * scale:.1f},{height - pad - (p[1] - y0) * scale:.1f}"

    marks = []
    for kind, parts in shapes:
        for part in parts:
            if kind == "point":
                x, y = xy(part[0]).split(",")
                marks.append(f'<circle cx="{x}" cy="{y}" r="3" fill="currentColor"/>')
            elif kind == "line":
                marks.append(
                    f'<polyline points="{" ".join(xy(p) for p in part)}" fill="none" '
                    'stroke="currentColor" stroke-width="1.5"/>'
                )
            else:
                marks.append(
                    f'<polygon points="{" ".join(xy(p) for p in part)}" fill="currentColor" '
                    'fill-opacity="0.25" stroke="currentColor" stroke-width="1"/>'
                )
    return (
        f'<svg class="pdr-svg" role="img" aria-label="GeoJSON sketch" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}" style="color: var(--pd-accent, '
        f'#2563eb)">{"".join(marks)}</svg>'
    )


def render_link(item: ResultItem) -> str:
    """Title, media type and open/download actions of a link (http(s) only), or the path."""
    href = item.href or ""
    parts = []
    if item.title:
        parts.append(f"<div>{escape(item.title)}</div>")
    target = safe_href(href)
    if target is not None:
        quoted = escape(target, quote=True)
        parts.append(
            f'<div class="pdr-links"><a href="{quoted}" target="_blank" '
            f'rel="noopener noreferrer">Open</a><a href="{quoted}" download>Download</a>'
            f'<span class="pdr-muted">{escape(target)}</span></div>'
        )
    else:
        path = local_path(href)
        where = "a file on the server's machine" if path else "a link this page cannot open"
        parts.append(
            f'<div><code>{escape(href)}</code> <span class="pdr-muted">({where})</span></div>'
        )
    return "".join(parts)


def render_item_body(item: ResultItem, *, dataset_summary: str | None = None,
                     dataset_error: str | None = None) -> str:
    """The body of one result's viewer (without the header, Python line and download)."""
    if item.kind == "scalar":
        return f'<div class="pdr-scalar">{escape(_json_text(item.value))}</div>'
    if item.kind == "text":
        return f'<pre class="pdr-text">{escape(str(item.value))}</pre>'
    if item.kind == "table":
        return render_table(item.value)
    if item.kind == "image":
        source = image_source(item)
        if source is None:
            return render_link(item) if item.href else render_json_tree(item.raw)
        return (
            f'<img class="pdr-img" alt="{escape(item.title or item.key, quote=True)}" '
            f'src="{escape(source, quote=True)}">'
            + (render_link(item) if item.href else "")
        )
    if item.kind == "geojson":
        value = item.value
        if isinstance(value, str):
            value = json.loads(value)
        sketch = render_geojson_svg(value) or ""
        return sketch + render_json_tree(value, open_levels=0)
    if item.kind == "dataset":
        body = render_link(item)
        if dataset_summary is not None:
            body += f'<pre class="pdr-pre">{escape(dataset_summary)}</pre>'
        elif dataset_error is not None:
            body += f'<div class="pdr-error">{escape(dataset_error)}</div>'
        return body
    if item.kind == "link":
        return render_link(item)
    return render_json_tree(item.value)


def result_json(value: Any) -> str:
    """A result as pretty JSON text (what every download gives)."""
    return json.dumps(value, ensure_ascii=False, indent=2, default=str)


def download_json_link(value: Any, filename: str, label: str) -> str:
    """A ``data:`` download link of ``value`` as JSON (empty for very large values)."""
    text = result_json(value)
    if len(text) > MAX_INLINE_DOWNLOAD:
        return ""
    data = base64.b64encode(text.encode()).decode()
    return (
        f'<a download="{escape(filename, quote=True)}" '
        f'href="data:application/json;base64,{data}">{escape(label)}</a>'
    )


def download_filename(job_id: str, key: str | None = None) -> str:
    """``job_3-results.json`` or ``job_3-return_value.json``, safe as a file name."""
    stem = f"{job_id}-{key}" if key is not None else f"{job_id}-results"
    return quote(stem, safe="-_.") + ".json"

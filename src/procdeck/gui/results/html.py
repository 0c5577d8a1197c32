"""Static HTML for results: used by the notebook display and inside the app's viewers.

Everything a server sent is escaped (:func:`html.escape`); links are only
emitted for http(s) URLs, images only from checked base64 or http(s) URLs.
Panel-free: the same markup shows in any notebook front end, with or without
Panel.
"""

from __future__ import annotations

import base64
import contextlib
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
    "geojson_bounds",
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
.pdr-python + .pdr-python { margin-top: 2px; opacity: 0.8; }
.pdr-scroll { max-height: 320px; overflow: auto; }
.pdr-csv td, .pdr-csv th { white-space: nowrap; }  /* timestamps stay on one line */
.pdr-note { margin: 4px 0; }
.pdr-svg { background: var(--pd-surface-2, #f8fafc); border-radius: 6px; }
"""


def _json_text(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, allow_nan=True)


def render_python_line(item: ResultItem) -> str:
    """The Python lines of a result, as a code block: the line that opens it
    (``client.open_job_result(job, output)``: xarray, pandas, PIL, ...) when the job
    is known, then the line that fetches it as the server sent it."""
    lines = []
    if item.open_python:
        lines.append(f'<code class="pdr-open">{escape(item.open_python)}</code>')
    lines.append(f'<code class="pdr-fetch">{escape(item.python)}</code>')
    return "".join(f'<pre class="pdr-python">{line}</pre>' for line in lines)


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


def _tick(value: float) -> str:
    text = f"{value:.4f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def geojson_bounds(value: Any) -> tuple[float, float, float, float] | None:
    """(min lon, min lat, max lon, max lat) of every position in a GeoJSON object, or None."""
    points = [p for _, parts in _positions(value) for part in parts for p in part]
    points = [p for p in points[:_MAX_SHAPE_POINTS] if math.isfinite(p[0]) and math.isfinite(p[1])]
    if not points:
        return None
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    return min(xs), min(ys), max(xs), max(ys)


def render_geojson_svg(value: Any, width: int = 360, height: int = 240) -> str | None:
    """A plot of a GeoJSON object on plain lon/lat axes (no map tiles), or None if no shape.

    Points are dots, lines polylines, polygons filled rings; one degree is as long
    on both axes; the axes are labelled ``lon`` and ``lat`` with the bounds as ticks.
    """
    shapes = list(_positions(value))
    bounds = geojson_bounds(value)
    if bounds is None:
        return None
    description = (f"GeoJSON plot: lon {_tick(bounds[0])} to {_tick(bounds[2])}, "
                   f"lat {_tick(bounds[1])} to {_tick(bounds[3])}")
    x0, y0, x1, y1 = bounds
    if x1 - x0 == 0:  # one point, or a north-south line: draw a square around it
        half = max((y1 - y0) / 2, 0.5)
        x0, x1 = x0 - half, x1 + half
    if y1 - y0 == 0:
        half = max((x1 - x0) / 2, 0.5)
        y0, y1 = y0 - half, y1 + half
    left, right, top, bottom = 50, 12, 10, 34  # room for tick labels and axis names
    plot_w, plot_h = width - left - right, height - top - bottom
    span_x, span_y = x1 - x0, y1 - y0
    scale = min(plot_w / span_x, plot_h / span_y)
    # centre the (equal-scale) drawing in the plot area
    off_x = left + (plot_w - span_x * scale) / 2
    off_y = top + (plot_h - span_y * scale) / 2

    def px(x: float) -> float:
        return off_x + (x - x0) * scale

    def py(y: float) -> float:
        return off_y + (y1 - y) * scale

    def xy(p: tuple[float, float]) -> str:
        return f"{px(p[0]):.1f},{py(p[1]):.1f}"

    marks = []
    count = 0
    for kind, parts in shapes:
        for part in parts:
            part = [p for p in part if math.isfinite(p[0]) and math.isfinite(p[1])]
            count += len(part)
            if not part or count > _MAX_SHAPE_POINTS:
                continue
            if kind == "point":
                marks.append(f'<circle cx="{px(part[0][0]):.1f}" cy="{py(part[0][1]):.1f}" '
                             'r="3.5" fill="currentColor"/>')
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
    axis = 'stroke="var(--pd-muted, #5b6470)" stroke-width="1"'
    label = 'fill="var(--pd-muted, #5b6470)" font-size="10" font-family="system-ui, sans-serif"'
    base_y, base_x = top + plot_h, left
    axes = (
        f'<rect x="{left}" y="{top}" width="{plot_w}" height="{plot_h}" fill="none" '
        f'stroke="var(--pd-border, #e2e6ec)"/>'
        f'<line x1="{left}" y1="{base_y}" x2="{left + plot_w}" y2="{base_y}" {axis}/>'
        f'<line x1="{base_x}" y1="{top}" x2="{base_x}" y2="{base_y}" {axis}/>'
        f'<text class="pdr-tick-x" x="{px(x0):.1f}" y="{base_y + 12}" text-anchor="middle" '
        f'{label}>{_tick(x0)}</text>'
        f'<text class="pdr-tick-x" x="{px(x1):.1f}" y="{base_y + 12}" text-anchor="middle" '
        f'{label}>{_tick(x1)}</text>'
        f'<text class="pdr-tick-y" x="{base_x - 4}" y="{py(y0) + 3:.1f}" text-anchor="end" '
        f'{label}>{_tick(y0)}</text>'
        f'<text class="pdr-tick-y" x="{base_x - 4}" y="{py(y1) + 3:.1f}" text-anchor="end" '
        f'{label}>{_tick(y1)}</text>'
        f'<text class="pdr-axis-x" x="{left + plot_w / 2:.1f}" y="{height - 6}" '
        f'text-anchor="middle" {label}>lon</text>'
        f'<text class="pdr-axis-y" x="12" y="{top + plot_h / 2:.1f}" text-anchor="middle" '
        f'transform="rotate(-90 12 {top + plot_h / 2:.1f})" {label}>lat</text>'
    )
    return (
        f'<svg class="pdr-svg" role="img" aria-label="{description}" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}" style="color: var(--pd-accent, '
        f'#2563eb)">{axes}{"".join(marks)}</svg>'
    )


def render_link(item: ResultItem, *, actions: bool = True) -> str:
    """Title, media type and open/download actions of a link (http(s) only), or the path.

    ``actions=False`` leaves out the Open/Download anchors (the app downloads through
    the client, which holds the server's credentials; the page may not).
    """
    href = item.href or ""
    parts = []
    if item.title:
        parts.append(f"<div>{escape(item.title)}</div>")
    target = safe_href(href)
    if target is not None:
        quoted = escape(target, quote=True)
        anchors = (
            f'<a href="{quoted}" target="_blank" rel="noopener noreferrer">Open</a>'
            f'<a href="{quoted}" download>Download</a>' if actions else ""
        )
        parts.append(
            f'<div class="pdr-links">{anchors}<span class="pdr-muted">{escape(target)}</span></div>'
        )
    else:
        path = local_path(href)
        where = "a file on the server's machine" if path else "a link this page cannot open"
        parts.append(
            f'<div><code>{escape(href)}</code> <span class="pdr-muted">({where})</span></div>'
        )
    return "".join(parts)


def render_item_body(item: ResultItem, *, dataset_summary: str | None = None,
                     dataset_error: str | None = None, preview: str | None = None,
                     link_actions: bool = True, remote_images: bool = True) -> str:
    """The body of one result's viewer (without the header, Python line and download).

    ``preview`` is ready markup of a link's content (a fetched CSV, image, GeoJSON or
    dataset summary), shown under the link. ``remote_images=False`` shows an image
    link without an ``<img>`` that the browser would load itself.
    """
    if item.kind == "scalar":
        return f'<div class="pdr-scalar">{escape(_json_text(item.value))}</div>'
    if item.kind == "text":
        if item.preview == "csv":
            from procdeck.gui.results.previews import PreviewError, render_csv_preview

            # a text that is no CSV after all is shown as the text it is
            with contextlib.suppress(PreviewError):
                return render_csv_preview(str(item.value))
        return f'<pre class="pdr-text">{escape(str(item.value))}</pre>'
    if item.kind == "table":
        return render_table(item.value)
    if item.href is not None:
        body = render_link(item, actions=link_actions)
        if preview is not None:
            return body + preview
        if item.kind == "image" and remote_images:
            source = image_source(item)
            if source is not None:
                return (
                    f'<img class="pdr-img" alt="{escape(item.title or item.key, quote=True)}" '
                    f'src="{escape(source, quote=True)}">' + body
                )
        if item.kind == "dataset":
            if dataset_summary is not None:
                body += f'<pre class="pdr-pre">{escape(dataset_summary)}</pre>'
            elif dataset_error is not None:
                body += f'<div class="pdr-error">{escape(dataset_error)}</div>'
        return body
    if item.kind == "image":
        source = image_source(item)
        if source is None:
            return render_json_tree(item.raw)
        return (
            f'<img class="pdr-img" alt="{escape(item.title or item.key, quote=True)}" '
            f'src="{escape(source, quote=True)}">'
        )
    if item.kind == "geojson":
        value = item.value
        if isinstance(value, str):
            value = json.loads(value)
        sketch = render_geojson_svg(value) or ""
        return sketch + render_json_tree(value, open_levels=0)
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

"""What kind of result an output is, and the Python line that fetches it. Panel-free.

A job's results map output ids to inline values, qualified values
(``{"value": ..., "mediaType": ...}``) or links (``{"href": ..., "type": ...}``).
:func:`classify` decides how each one is best shown:

======== ==============================================================
scalar   a number, boolean or null
text     a string
json     an object or list that is neither records nor an array
table    a list of records (objects) or an array (of scalars or rows)
image    an inline base64 image (qualified value or data URI) or an image link
link     any other link (media type, open/download)
dataset  a link to Zarr or NetCDF data that xarray may open
geojson  a GeoJSON object (inline or qualified)
======== ==============================================================
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

from procdeck._util.urls import safe_href

__all__ = [
    "KINDS",
    "ResultItem",
    "classify",
    "classify_results",
    "image_source",
    "local_path",
    "python_literal",
    "safe_href",
]

KINDS = ("scalar", "text", "json", "table", "image", "link", "dataset", "geojson")

_GEOJSON_TYPES = frozenset({
    "FeatureCollection", "Feature", "Point", "MultiPoint", "LineString", "MultiLineString",
    "Polygon", "MultiPolygon", "GeometryCollection",
})
_IMAGE_TYPES = re.compile(r"^image/(png|jpeg|jpg|gif|webp|svg\+xml|bmp)$")
_DATA_URI = re.compile(r"^data:(image/[a-z0-9.+-]+);base64,([A-Za-z0-9+/=\s]+)$")
_PREVIEW_IMAGES = re.compile(r"^image/(png|jpeg|jpg|gif|webp)$")
_CSV_TYPES = re.compile(r"^(text/csv|application/csv)(;.*)?$")
_BASE64 = re.compile(r"^[A-Za-z0-9+/=\s]+$")
_DATASET_TYPES = ("zarr", "netcdf", "x-netcdf", "x-hdf5", "x-zarr")
_DATASET_SUFFIXES = (".zarr", ".zarr/", ".nc", ".nc4", ".netcdf")


@dataclass(frozen=True, slots=True)
class ResultItem:
    """One output of a job, ready to show.

    ``raw`` is what the server sent, ``value`` the content (a qualified value
    unwrapped), ``python`` the line that fetches it with the client,
    ``open_python`` the line that opens it (xarray, pandas, PIL, ...) with
    ``Client.open_job_result`` (None when the job is unknown), ``length`` the
    size in bytes a link announces, ``preview`` what a preview shows
    (``csv``, ``image``, ``geojson``, ``dataset`` or None).
    """

    key: str
    raw: Any
    value: Any
    kind: str
    media_type: str | None
    python: str
    href: str | None = None
    title: str | None = None
    open_python: str | None = None
    length: int | None = None
    preview: str | None = None


def python_literal(text: str) -> str:
    """``text`` as a double-quoted Python string literal."""
    return json.dumps(text, ensure_ascii=False)


def _is_link(raw: Any) -> bool:
    return isinstance(raw, Mapping) and isinstance(raw.get("href"), str)


def _is_qualified(raw: Any) -> bool:
    return isinstance(raw, Mapping) and "value" in raw and "href" not in raw and (
        set(raw) <= {"value", "mediaType", "encoding", "schema"}
    )


def _is_geojson(value: Any) -> bool:
    return (
        isinstance(value, Mapping)
        and value.get("type") in _GEOJSON_TYPES
        and any(k in value for k in ("coordinates", "features", "geometry", "geometries"))
    )


def _is_scalar(value: Any) -> bool:
    return value is None or isinstance(value, bool | int | float | str)


def _is_table(value: Any) -> bool:
    if not isinstance(value, list) or not value:
        return False
    if all(isinstance(item, Mapping) for item in value):
        return all(all(_is_scalar(v) for v in item.values()) for item in value)
    if all(_is_scalar(item) for item in value):
        return True
    return all(
        isinstance(item, list) and all(_is_scalar(v) for v in item) for item in value
    )


def _looks_like_dataset(href: str, media_type: str | None) -> bool:
    media = (media_type or "").lower()
    if any(media.endswith("/" + name) or media == name for name in _DATASET_TYPES):
        return True
    path = urlsplit(href).path.lower()
    return path.endswith(_DATASET_SUFFIXES)


def classify(key: str, raw: Any, job_id: str | None, client_name: str = "client") -> ResultItem:
    """How output ``key`` of job ``job_id`` is best shown, and the line that fetches it.

    Without a job id the line reads the output from a ``results`` variable.
    """
    fetch = (
        f"{client_name}.get_job_results({python_literal(job_id)})"
        if job_id is not None else "results"
    )
    item = f"{fetch}[{python_literal(key)}]"
    opened = (
        f"{client_name}.open_job_result({python_literal(job_id)}, {python_literal(key)})"
        if job_id is not None else None
    )
    if _is_link(raw):
        href = raw["href"]
        media = raw.get("type")
        media = media if isinstance(media, str) else None
        title = raw.get("title") if isinstance(raw.get("title"), str) else None
        if media and _IMAGE_TYPES.match(media.lower()):
            kind = "image"
        elif _looks_like_dataset(href, media):
            kind = "dataset"
        else:
            kind = "link"
        python = f'{item}["href"]'
        if kind == "dataset":
            engine = ', engine="zarr"' if "zarr" in (media or href).lower() else ""
            python = f"xarray.open_dataset({python}{engine})"
        length = raw.get("length")
        length = length if isinstance(length, int) and not isinstance(length, bool) else None
        return ResultItem(key, raw, raw, kind, media, python, href=href, title=title,
                          open_python=opened, length=length,
                          preview=_link_preview(href, media, kind))
    media = None
    value = raw
    python = item
    if _is_qualified(raw):
        value = raw["value"]
        media = raw.get("mediaType") if isinstance(raw.get("mediaType"), str) else None
        python = f"{fetch}.value({python_literal(key)})"
    kind = _kind_of_value(value, media)
    preview = None
    if kind == "text" and _CSV_TYPES.match((media or "").lower()):
        preview = "csv"
    elif kind in ("image", "geojson"):
        preview = kind
    return ResultItem(key, raw, value, kind, media, python, open_python=opened,
                      preview=preview)


def _link_preview(href: str, media: str | None, kind: str) -> str | None:
    if kind == "dataset":
        return "dataset"
    media_lower = (media or "").lower()
    path = urlsplit(href).path.lower()
    if _CSV_TYPES.match(media_lower) or (not media and path.endswith(".csv")):
        return "csv"
    if _PREVIEW_IMAGES.match(media_lower) or (
            not media and path.endswith((".png", ".jpg", ".jpeg"))):
        return "image"
    if "geo+json" in media_lower or (not media and path.endswith(".geojson")):
        return "geojson"
    return None


def _kind_of_value(value: Any, media: str | None) -> str:
    media_lower = (media or "").lower()
    if isinstance(value, str):
        if media_lower and _IMAGE_TYPES.match(media_lower) and _BASE64.match(value):
            return "image"
        if _DATA_URI.match(value):
            return "image"
        if "geo+json" in media_lower:
            try:
                return "geojson" if _is_geojson(json.loads(value)) else "text"
            except ValueError:
                return "text"
        return "text"
    if _is_scalar(value):
        return "scalar"
    if _is_geojson(value):
        return "geojson"
    if _is_table(value):
        return "table"
    return "json"


def classify_results(
    results: Mapping[str, Any], job_id: str | None, client_name: str = "client"
) -> list[ResultItem]:
    """Every output of a job's results, classified (in the server's order)."""
    return [classify(str(key), raw, job_id, client_name) for key, raw in results.items()]


def image_source(item: ResultItem) -> str | None:
    """The ``src`` of an image result: a data URI of checked base64, or an http(s) link."""
    if item.kind != "image":
        return None
    if item.href is not None:
        return safe_href(item.href)
    value = item.value
    if isinstance(value, str):
        match = _DATA_URI.match(value)
        if match:
            return f"data:{match.group(1)};base64,{''.join(match.group(2).split())}"
        if item.media_type and _BASE64.match(value):
            return f"data:{item.media_type.lower()};base64,{''.join(value.split())}"
    return None


def local_path(href: str | None) -> str | None:
    """The local file system path of a ``file:`` link (or a bare path), else None."""
    if not href:
        return None
    parts = urlsplit(href)
    if parts.scheme == "file":
        return unquote(parts.path)
    if not parts.scheme and href.startswith("/"):
        return href
    return None

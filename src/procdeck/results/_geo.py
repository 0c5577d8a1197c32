"""geopandas openers: GeoJSON, GeoPackage, GeoParquet. geopandas is imported on open."""

from __future__ import annotations

from typing import Any

from procdeck.results._read import file_or_buffer, json_content
from procdeck.results._tables import PARQUET_MEDIA_TYPES, is_parquet
from procdeck.results.opener import Opener
from procdeck.results.source import Source

__all__ = ["geo_openers"]

_GEOMETRY_TYPES = frozenset({"Point", "MultiPoint", "LineString", "MultiLineString", "Polygon",
                             "MultiPolygon", "GeometryCollection"})


def _features(content: Any) -> list[Any]:
    kind = content.get("type") if isinstance(content, dict) else None
    if kind == "FeatureCollection" and isinstance(content.get("features"), list):
        return content["features"]
    if kind == "Feature":
        return [content]
    if kind in _GEOMETRY_TYPES:
        return [{"type": "Feature", "geometry": content, "properties": {}}]
    if isinstance(content, list) and all(
            isinstance(item, dict) and item.get("type") == "Feature" for item in content):
        return content
    raise ValueError("not a GeoJSON FeatureCollection, Feature or geometry")


def _geojson(source: Source) -> Any:
    import geopandas

    # GeoJSON (RFC 7946) is always WGS 84 longitude/latitude
    return geopandas.GeoDataFrame.from_features(_features(json_content(source)), crs="EPSG:4326")


def _geopackage(source: Source) -> Any:
    import geopandas

    return geopandas.read_file(file_or_buffer(source))


def _geoparquet(source: Source) -> Any:
    import geopandas

    return geopandas.read_parquet(file_or_buffer(source))


def _is_geopackage(source: Source) -> bool:
    head = source.head(72)
    return head.startswith(b"SQLite format 3\x00") and head[68:72] == b"GPKG"


def geo_openers() -> list[Opener]:
    common: dict[str, Any] = {"kind": "geopandas", "extra": "geo"}
    return [
        Opener("geopandas.geojson", open=_geojson,
               media_types=("application/geo+json", "application/vnd.geo+json"),
               extensions=(".geojson",), modules=("geopandas",), accepts_value=True, **common),
        Opener("geopandas.geopackage", open=_geopackage,
               media_types=("application/geopackage+sqlite3",), extensions=(".gpkg",),
               sniff=_is_geopackage, modules=("geopandas", "pyogrio"), **common),
        # a Parquet file opens with pandas unless as_="geopandas" asks for its geometry
        Opener("geopandas.parquet", open=_geoparquet, media_types=PARQUET_MEDIA_TYPES,
               extensions=(".parquet", ".geoparquet"), sniff=is_parquet,
               modules=("geopandas", "pyarrow"), priority=-10, **common),
    ]

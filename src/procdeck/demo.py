"""The demo processes ``procdeck serve`` offers by default.

``sleep_a_while``, ``primes_between``, ``simulate_scene`` and
``return_base_model`` match the seed walkthrough (ids, titles, descriptions and
input schemas); ``showcase_inputs`` uses every input kind the form engine
supports so the app can be shown off. ``sample_table``, ``sample_features``,
``sample_quicklook``, ``sample_netcdf`` and ``sample_zarr`` write a file of each
kind a result viewer shows (CSV, GeoJSON, PNG, NetCDF, Zarr) into the job's
directory and link to it (served at ``/jobs/{jobId}/files/...``). Serve them
with ``procdeck serve`` or ``create_app()``; ``registry`` is the
:class:`~procdeck.server.ProcessRegistry`.
"""

from __future__ import annotations

import base64
import csv
import json
import math
import random
import struct
import time
import warnings
import zlib
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from procdeck.server.context import JobContext
from procdeck.server.registry import ProcessRegistry

__all__ = ["Link", "SceneSpec", "registry"]

registry = ProcessRegistry()

SYNC_OR_ASYNC = ("sync-execute", "async-execute", "dismiss")
"""Quick demo processes run synchronously when the client does not ask for a job."""


@registry.process(
    id="sleep_a_while",
    title="Sleep Processor",
    description="Sleeps for `duration` seconds. Fails on purpose if `fail` is `True`. "
    "Returns the effective amount of sleep in seconds.",
)
def sleep_a_while(ctx: JobContext, duration: float = 10.0, fail: bool = False) -> float:
    """Sleep in small steps, reporting progress 0..100 and stopping when dismissed."""
    steps = max(1, min(100, math.ceil(duration / 0.02)))
    step = duration / steps
    start = time.monotonic()
    ctx.report(0, f"Sleeping {duration:g} s")
    for index in range(1, steps + 1):
        time.sleep(step)
        if fail and index >= steps / 2:
            raise RuntimeError(f"Failed on purpose after {time.monotonic() - start:.2f} s")
        ctx.report(100 * index / steps)
    return time.monotonic() - start


@registry.process(
    id="primes_between",
    title="Prime Processor",
    description="Returns the list of prime numbers between a `min_val` and `max_val`.",
    job_control_options=SYNC_OR_ASYNC,
)
def primes_between(
    min_val: Annotated[int, Field(ge=0)] = 0,
    max_val: Annotated[int, Field(le=100)] = 100,
) -> list[int]:
    """The primes p with min_val <= p <= max_val."""
    if max_val < min_val:
        raise ValueError(f"min_val ({min_val}) must not be greater than max_val ({max_val})")
    return [n for n in range(max(2, min_val), max_val + 1)
            if all(n % d for d in range(2, math.isqrt(n) + 1))]


class Link(BaseModel):
    """A link."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)

    href: str
    rel: Annotated[str | None, Field(examples=["service"])] = None
    type: Annotated[str | None, Field(examples=["application/json"])] = None
    hreflang: Annotated[str | None, Field(examples=["en"])] = None
    title: str | None = None
    x_options: Annotated[dict[str, Any] | None, Field(alias="x-options", title="X-Options")] = None


@registry.process(
    id="simulate_scene",
    title="Generate scene for testing",
    description="Simulate a set scene images slices for testing. Creates an xarray dataset with "
    "`periodicity` time slices and writes it as Zarr into a temporary location. "
    "Requires installed `dask`, `xarray`, and `zarr` packages.",
)
def simulate_scene(
    ctx: JobContext,
    var_names: Annotated[
        str, Field(title="Variable names", description="Comma-separated list of variable names.")
    ] = "a, b, c",
    bbox: Annotated[
        list[float],
        Field(
            title="Bounding box",
            description="Bounding box in geographical coordinates.",
            min_length=4,
            max_length=4,
            json_schema_extra={"x-ui-widget": "map"},
        ),
    ] = (-180, -90, 180, 90),  # type: ignore[assignment]
    resolution: Annotated[
        float,
        Field(
            title="Spatial resolution",
            description="Spatial resolution in degree.",
            ge=0.01,
            le=1.0,
            json_schema_extra={"x-ui-advanced": True},
        ),
    ] = 0.5,
    start_date: Annotated[date, Field(title="Start date")] = date(2025, 1, 1),
    end_date: Annotated[date, Field(title="End date")] = date(2025, 2, 1),
    periodicity: Annotated[
        int,
        Field(
            title="Periodicity",
            description="Size of time steps in days.",
            ge=1,
            le=10,
            json_schema_extra={"x-ui-advanced": True},
        ),
    ] = 1,
    output_path: Annotated[
        Annotated[str, Field(min_length=1)] | None,
        Field(title="Output path", description="Local output path or URI."),
    ] = None,
) -> Link:
    """Write a random dataset (time x lat x lon per variable) as Zarr; return a link to it."""
    try:
        import dask.array as da
        import numpy as np
        import pandas as pd
        import xarray as xr
        import zarr  # noqa: F401 - xarray needs it to write Zarr
    except ImportError as exc:
        raise RuntimeError(
            f"simulate_scene needs the packages dask, xarray and zarr "
            f"(pip install 'procdeck[demo]'); missing: {exc.name}"
        ) from exc
    names = [name.strip() for name in var_names.split(",") if name.strip()]
    if not names:
        raise ValueError("var_names names no variable")
    if end_date < start_date:
        raise ValueError("end_date is before start_date")
    # Confined to the server's data directory (and --allow-path directories): a client
    # must not make the server write, or overwrite with mode="w", anywhere else.
    target = ctx.writable_path(output_path or f"{ctx.job_id}/scene.zarr")
    x1, y1, x2, y2 = bbox
    ctx.report(5, "Building the dataset")
    lon = np.arange(x1 + resolution / 2, x2, resolution)
    lat = np.arange(y1 + resolution / 2, y2, resolution)
    times = pd.date_range(start_date, end_date, freq=f"{periodicity}D")
    shape = (len(times), len(lat), len(lon))
    chunks = (1, min(len(lat), 512), min(len(lon), 512))
    dataset = xr.Dataset(
        {name: (("time", "lat", "lon"), da.random.random(shape, chunks=chunks).astype("float32"))
         for name in names},
        coords={"time": times, "lat": lat, "lon": lon},
        attrs={"title": "Simulated scene", "source": "procdeck simulate_scene"},
    )
    target.parent.mkdir(parents=True, exist_ok=True)
    ctx.report(20, f"Writing {target.name}")
    dataset.to_zarr(target, mode="w")
    ctx.report(100, "Written")
    return Link(
        href=target.resolve().as_uri(),
        rel="result",
        type="application/zarr",
        title=f"Simulated scene ({', '.join(names)}; {len(times)} time steps)",
    )


def _without_description(schema: dict[str, Any]) -> None:
    # The seed's schema has no description; pydantic would take the docstring.
    schema.pop("description", None)


class SceneSpec(BaseModel):
    """A scene specification (threshold and factor)."""

    model_config = ConfigDict(json_schema_extra=_without_description)

    threshold: float
    factor: float


@registry.process(id="return_base_model", title="BaseModel Test", description="",
                  job_control_options=SYNC_OR_ASYNC)
def return_base_model(scene_spec: SceneSpec) -> SceneSpec:
    """Return the given scene specification unchanged (a pydantic model in and out)."""
    return scene_spec


# --- showcase: every input kind -------------------------------------------------------


class Color(StrEnum):
    """A colour for the plot."""

    RED = "red"
    GREEN = "green"
    BLUE = "blue"


class BoundingBox(BaseModel):
    """A bounding box in OGC form: 4 (2D) numbers and a CRS."""

    model_config = ConfigDict(json_schema_extra={"format": "ogc-bbox", "x-ui-widget": "map"})

    bbox: Annotated[list[float], Field(min_length=4, max_length=4, title="Corners")]
    crs: Annotated[str, Field(title="CRS")] = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"


class Range(BaseModel):
    """A value range."""

    low: Annotated[float, Field(title="Low")] = 0.0
    high: Annotated[float, Field(title="High")] = 1.0


class Settings(BaseModel):
    """Nested settings."""

    name: Annotated[str, Field(title="Name", min_length=1)] = "run"
    verbose: Annotated[bool, Field(title="Verbose")] = False
    scale: Annotated[Range, Field(title="Scale")] = Range()


class Station(BaseModel):
    """A measuring station."""

    name: Annotated[str, Field(title="Name", min_length=1)]
    lon: Annotated[float, Field(title="Longitude", ge=-180, le=180)]
    lat: Annotated[float, Field(title="Latitude", ge=-90, le=90)]


class UrlSource(BaseModel):
    """Data read from a URL."""

    kind: Literal["url"] = "url"
    url: Annotated[str, Field(title="URL", json_schema_extra={"format": "uri"})]


class InlineSource(BaseModel):
    """Data given inline as text."""

    kind: Literal["inline"] = "inline"
    text: Annotated[str, Field(title="Text", json_schema_extra={"x-ui-widget": "textarea"})]


_DEFAULT_AREA = BoundingBox(bbox=[5.0, 45.0, 15.0, 55.0])
_DEFAULT_SETTINGS = Settings()
_DEFAULT_SOURCE = InlineSource(text="hello")


def _ui(order: int, **hints: Any) -> dict[str, Any]:
    return {"x-ui-order": order, **hints}


@registry.process(
    id="showcase_inputs",
    title="Every input kind",
    description="Takes one input of every kind the procdeck form engine supports (numbers with "
    "bounds, enums, dates, a bounding box, nested objects, arrays of objects, a choice of "
    "object kinds, nullable values, binary data) and returns a summary of what it got.",
    keywords=["demo", "forms"],
    job_control_options=SYNC_OR_ASYNC,
)
def showcase_inputs(
    title: Annotated[
        str, Field(title="Title", description="A required text.", min_length=1,
                   json_schema_extra=_ui(1))
    ],
    count: Annotated[
        int, Field(title="Count", description="An integer from 1 to 10.", ge=1, le=10,
                   json_schema_extra=_ui(2))
    ] = 3,
    ratio: Annotated[
        float, Field(title="Ratio", description="A number above 0 and at most 1.", gt=0, le=1,
                     json_schema_extra=_ui(3, **{"x-ui-widget": "slider"}))
    ] = 0.5,
    enabled: Annotated[bool, Field(title="Enabled", json_schema_extra=_ui(4))] = True,
    mode: Annotated[
        Literal["fast", "balanced", "thorough"],
        Field(title="Mode", description="A choice of strings.",
              json_schema_extra=_ui(5, **{"x-ui-widget": "radio"})),
    ] = "balanced",
    color: Annotated[Color, Field(title="Color", json_schema_extra=_ui(6))] = Color.BLUE,
    day: Annotated[date, Field(title="Day", json_schema_extra=_ui(7))] = date(2025, 1, 1),
    moment: Annotated[
        datetime | None, Field(title="Moment", description="A date and time, or nothing.",
                               json_schema_extra=_ui(8))
    ] = None,
    area: Annotated[
        BoundingBox, Field(title="Area", description="A bounding box (OGC bbox).",
                           json_schema_extra=_ui(9))
    ] = _DEFAULT_AREA,
    tags: Annotated[
        list[str], Field(title="Tags", description="A list of strings.", max_length=5,
                         json_schema_extra=_ui(10))
    ] = ("demo",),  # type: ignore[assignment]
    settings: Annotated[
        Settings, Field(title="Settings", description="A nested object.",
                        json_schema_extra=_ui(11))
    ] = _DEFAULT_SETTINGS,
    stations: Annotated[
        list[Station], Field(title="Stations", description="An array of objects.",
                             json_schema_extra=_ui(12))
    ] = (),  # type: ignore[assignment]
    source: Annotated[
        UrlSource | InlineSource,
        Field(title="Source", description="One of two object kinds.", discriminator="kind",
              json_schema_extra=_ui(13)),
    ] = _DEFAULT_SOURCE,
    label: Annotated[
        str | None, Field(title="Label", description="A nullable text.",
                          json_schema_extra=_ui(14))
    ] = None,
    attachment: Annotated[
        str | None,
        Field(title="Attachment", description="Binary data, base64-encoded.",
              json_schema_extra=_ui(15, format="byte", contentEncoding="base64",
                                    contentMediaType="application/octet-stream")),
    ] = None,
    seed: Annotated[
        int, Field(title="Random seed", description="An advanced option.",
                   json_schema_extra=_ui(16, **{"x-ui-advanced": True}))
    ] = 42,
) -> dict[str, Any]:
    """Summarise the inputs (what a form sent, typed as the function sees it)."""
    payload = base64.b64decode(attachment, validate=True) if attachment else b""
    return {
        "title": title,
        "count": count,
        "ratio": ratio,
        "enabled": enabled,
        "mode": mode,
        "color": color.value,
        "day": day.isoformat(),
        "moment": moment.isoformat() if moment else None,
        "area": area.model_dump(),
        "tags": list(tags),
        "settings": settings.model_dump(),
        "stations": [station.model_dump() for station in stations],
        "source": source.model_dump(),
        "label": label,
        "attachment_bytes": len(payload),
        "seed": seed,
    }


# --- files of every kind a result viewer shows ----------------------------------------------
#
# Each writes into the job's own directory (``ctx.job_dir``) and returns a link to the
# file (``ctx.file_link``): the server serves it at ``/jobs/{jobId}/files/<name>`` and
# removes it with the job. The outputs' schemas name the media types.

_STATIONS = ("Bergen", "Lyon", "Graz", "Turku", "Porto", "Split", "Cork", "Brno")
_FILE_PROCESS_KEYWORDS = ["demo", "files"]


def _needs(process_id: str, *packages: str) -> None:
    """Fail the job with a clear message when a package the process needs is missing."""
    import importlib

    for package in packages:
        try:
            importlib.import_module(package)
        except ImportError as exc:
            raise RuntimeError(
                f"{process_id} needs the packages {', '.join(packages)} "
                f"(pip install 'procdeck[demo]'); missing: {exc.name or package}"
            ) from exc


@registry.process(
    id="sample_table",
    title="Sample station table (CSV)",
    description="Writes a table of `rows` simulated temperature readings (columns `station`, "
    "`time`, `temperature`, `lon`, `lat`) as CSV into the job's directory and returns a link "
    "to it (`text/csv`).",
    keywords=_FILE_PROCESS_KEYWORDS,
    job_control_options=SYNC_OR_ASYNC,
    outputs={"table": {"title": "Table", "description": "A link to the CSV file.",
                       "schema": {"type": "string", "contentMediaType": "text/csv"}}},
)
def sample_table(
    ctx: JobContext,
    rows: Annotated[int, Field(title="Rows", description="Number of data rows.",
                               ge=1, le=1_000_000)] = 100,
) -> Any:  # a link object; the output's schema says what it links to
    """Write ``table.csv`` (header and ``rows`` readings); return a link to it."""
    rng = random.Random(rows)
    start = datetime(2025, 1, 1)
    ctx.report(0, f"Writing {rows} rows")
    with open(ctx.job_dir / "table.csv", "w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(["station", "time", "temperature", "lon", "lat"])
        for index in range(rows):
            station = index % len(_STATIONS)
            writer.writerow([
                _STATIONS[station],
                (start + timedelta(hours=index // len(_STATIONS))).isoformat() + "Z",
                f"{5 + 10 * math.sin(index / 10) + rng.gauss(0, 1):.2f}",
                f"{-8 + 3.5 * station:.4f}",
                f"{40 + 2.5 * station:.4f}",
            ])
    ctx.report(100, "Written")
    return ctx.file_link("table.csv", "text/csv", title=f"Station readings ({rows} rows)")


@registry.process(
    id="sample_features",
    title="Sample features (GeoJSON)",
    description="Makes a GeoJSON FeatureCollection of `count` points (simulated stations "
    "with a `name` and a `value`) and two polygons (areas around them), in longitude and "
    "latitude. Returns it inline (`features`) and as a file in the job's directory "
    "(`features_file`, a link to `features.geojson`).",
    keywords=_FILE_PROCESS_KEYWORDS,
    job_control_options=SYNC_OR_ASYNC,
    outputs={
        "features": {
            "title": "Features",
            "description": "The FeatureCollection itself.",
            "schema": {"type": "object", "contentMediaType": "application/geo+json",
                       "format": "geojson-feature-collection"},
        },
        "features_file": {
            "title": "Features file",
            "description": "A link to the same FeatureCollection as a `.geojson` file.",
            "schema": {"type": "string", "contentMediaType": "application/geo+json"},
        },
    },
)
def sample_features(
    ctx: JobContext,
    count: Annotated[int, Field(title="Points", description="Number of point features.",
                                ge=1, le=10_000)] = 12,
) -> dict[str, Any]:
    """A FeatureCollection of ``count`` points and two polygons; also written to a file."""
    rng = random.Random(count)
    points = [
        {"type": "Feature", "id": f"station-{index}",
         "geometry": {"type": "Point",
                      "coordinates": [round(rng.uniform(-10, 30), 5),
                                      round(rng.uniform(35, 65), 5)]},
         "properties": {"name": f"Station {index}", "value": round(rng.uniform(0, 100), 2)}}
        for index in range(count)
    ]
    polygons = [
        {"type": "Feature", "id": area,
         "geometry": {"type": "Polygon", "coordinates": [ring]},
         "properties": {"name": area.title(), "kind": "area"}}
        for area, ring in (
            ("west", [[-10.0, 35.0], [10.0, 35.0], [10.0, 65.0], [-10.0, 65.0], [-10.0, 35.0]]),
            ("east", [[10.0, 35.0], [30.0, 35.0], [30.0, 65.0], [10.0, 65.0], [10.0, 35.0]]),
        )
    ]
    collection = {"type": "FeatureCollection", "features": points + polygons}
    (ctx.job_dir / "features.geojson").write_text(json.dumps(collection), encoding="utf-8")
    return {
        "features": collection,
        "features_file": ctx.file_link("features.geojson", "application/geo+json",
                                       title=f"{count} points and 2 polygons"),
    }


def png_bytes(width: int, height: int, rows: list[bytes]) -> bytes:
    """An 8-bit RGB PNG of ``rows`` (each ``3 * width`` bytes), with the standard library only."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8 bit, RGB
    raw = b"".join(b"\x00" + row for row in rows)  # filter type 0 for every row
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(raw, 6)) + chunk(b"IEND", b""))


@registry.process(
    id="sample_quicklook",
    title="Sample quicklook (PNG)",
    description="Draws a `width` x `height` colour gradient with a checkerboard pattern as "
    "a PNG image into the job's directory and returns a link to it (`image/png`).",
    keywords=_FILE_PROCESS_KEYWORDS,
    job_control_options=SYNC_OR_ASYNC,
    outputs={"quicklook": {"title": "Quicklook", "description": "A link to the PNG image.",
                           "schema": {"type": "string", "contentEncoding": "binary",
                                      "contentMediaType": "image/png"}}},
)
def sample_quicklook(
    ctx: JobContext,
    width: Annotated[int, Field(title="Width", description="Width in pixels.",
                                ge=1, le=4096)] = 256,
    height: Annotated[int, Field(title="Height", description="Height in pixels.",
                                 ge=1, le=4096)] = 128,
) -> Any:  # a link object; the output's schema says what it links to
    """Write ``quicklook.png``; return a link to it."""
    red = bytes(255 * x // max(1, width - 1) for x in range(width))
    rows = []
    for y in range(height):
        green = 255 * y // max(1, height - 1)
        pixels = bytearray(3 * width)
        pixels[0::3] = red
        pixels[1::3] = bytes([green]) * width
        pixels[2::3] = bytes(200 if (x // 16 + y // 16) % 2 else 60 for x in range(width))
        rows.append(bytes(pixels))
        if y % 256 == 255:
            ctx.report(100 * y / height)
    (ctx.job_dir / "quicklook.png").write_bytes(png_bytes(width, height, rows))
    return ctx.file_link("quicklook.png", "image/png", title=f"Quicklook {width}x{height}")


@registry.process(
    id="sample_netcdf",
    title="Sample data cube (NetCDF)",
    description="Writes a small simulated air temperature cube (`time` x `lat` x `lon`, "
    "global, at `resolution` degrees) as a NetCDF4 file into the job's directory and returns "
    "a link to it (`application/x-netcdf`). Requires installed `xarray` and `h5netcdf` "
    "packages.",
    keywords=_FILE_PROCESS_KEYWORDS,
    job_control_options=SYNC_OR_ASYNC,
    outputs={"cube": {"title": "Cube", "description": "A link to the NetCDF file.",
                      "schema": {"type": "string", "contentEncoding": "binary",
                                 "contentMediaType": "application/x-netcdf"}}},
)
def sample_netcdf(
    ctx: JobContext,
    time_steps: Annotated[int, Field(title="Time steps", description="Number of days.",
                                     ge=1, le=100)] = 4,
    resolution: Annotated[
        float, Field(title="Resolution", description="Grid spacing in degrees.", ge=0.5, le=30)
    ] = 10.0,
) -> Any:  # a link object; the output's schema says what it links to
    """Write ``cube.nc`` (variable ``temperature``, CF attributes); return a link to it."""
    _needs("sample_netcdf", "numpy", "pandas", "xarray", "h5netcdf", "h5py")
    import numpy as np
    import pandas as pd
    import xarray as xr

    lat = np.arange(-90 + resolution / 2, 90, resolution)
    lon = np.arange(-180 + resolution / 2, 180, resolution)
    times = pd.date_range("2025-01-01", periods=time_steps, freq="D")
    ctx.report(10, f"Building a {time_steps} x {lat.size} x {lon.size} cube")
    rng = np.random.default_rng(time_steps)
    base = 288 - 40 * np.sin(np.deg2rad(np.abs(lat)))[:, None] * np.ones(lon.size)
    temperature = (base[None] + rng.normal(0, 2, (time_steps, lat.size, lon.size)))
    dataset = xr.Dataset(
        {"temperature": (("time", "lat", "lon"), temperature.astype("float32"),
                         {"units": "K", "standard_name": "air_temperature",
                          "long_name": "Air temperature"})},
        coords={"time": times,
                "lat": ("lat", lat, {"units": "degrees_north", "standard_name": "latitude"}),
                "lon": ("lon", lon, {"units": "degrees_east", "standard_name": "longitude"})},
        attrs={"title": "Sample data cube", "source": "procdeck sample_netcdf",
               "Conventions": "CF-1.8"},
    )
    ctx.report(50, "Writing cube.nc")
    dataset.to_netcdf(ctx.job_dir / "cube.nc", engine="h5netcdf")
    ctx.report(100, "Written")
    return ctx.file_link("cube.nc", "application/x-netcdf",
                         title=f"Temperature cube ({time_steps} x {lat.size} x {lon.size})")


_ZARR_SLICE = (256, 512)
"""One time step of ``sample_zarr``: 256 x 512 float32 values, 512 KiB."""
_ZARR_CHUNK_STEPS = 2
"""Time steps per chunk: 1 MiB chunks."""
_ZARR_WRITE_STEPS = 32
"""Time steps written at a time (16 MiB; a multiple of the chunk): progress in between."""


@registry.process(
    id="sample_zarr",
    title="Sample data cube (Zarr)",
    description="Writes a cube of `megabytes` MB of random float32 values (`time` x `lat` x "
    "`lon`, 512 KiB per time step, 1 MiB chunks) as a Zarr store with consolidated metadata "
    "into the job's directory and returns a link to the store (`application/zarr`). The "
    "store's files are served below the link, for lazy reading. Requires installed `xarray` "
    "and `zarr` packages.",
    keywords=_FILE_PROCESS_KEYWORDS,
    outputs={"cube": {"title": "Cube", "description": "A link to the Zarr store (a directory).",
                      "schema": {"type": "string", "contentMediaType": "application/zarr"}}},
)
def sample_zarr(
    ctx: JobContext,
    megabytes: Annotated[
        float, Field(title="Size (MB)", description="Size of the data in MiB.", gt=0, le=1024)
    ] = 1.0,
) -> Any:  # a link object; the output's schema says what it links to
    """Write ``cube.zarr`` (variable ``data``), in steps with progress; return a link to it."""
    _needs("sample_zarr", "numpy", "pandas", "xarray", "zarr")
    import numpy as np
    import pandas as pd
    import xarray as xr

    slice_bytes = _ZARR_SLICE[0] * _ZARR_SLICE[1] * 4
    steps = max(1, math.ceil(megabytes * 2**20 / slice_bytes))
    lat = np.linspace(-89.5, 89.5, _ZARR_SLICE[0])
    lon = np.linspace(-179.5, 179.5, _ZARR_SLICE[1])
    times = pd.date_range("2025-01-01", periods=steps, freq="h")
    rng = np.random.default_rng(steps)
    target = ctx.job_dir / "cube.zarr"
    chunks = (_ZARR_CHUNK_STEPS, *_ZARR_SLICE)
    ctx.report(0, f"Writing {steps * slice_bytes / 2**20:g} MiB to cube.zarr")
    for first in range(0, steps, _ZARR_WRITE_STEPS):
        block = times[first:first + _ZARR_WRITE_STEPS]
        data = rng.random((len(block), *_ZARR_SLICE), dtype=np.float32)
        dataset = xr.Dataset(
            {"data": (("time", "lat", "lon"), data, {"units": "1", "long_name": "Random data"})},
            coords={"time": block, "lat": lat, "lon": lon},
            attrs={"title": "Sample data cube", "source": "procdeck sample_zarr"},
        )
        with warnings.catch_warnings():
            # zarr 3: "consolidated metadata is not part of the Zarr format 3 specification"
            warnings.filterwarnings("ignore", message=".*[Cc]onsolidated metadata.*")
            if first == 0:
                dataset.to_zarr(target, mode="w", consolidated=True,
                                encoding={"data": {"chunks": chunks}})
            else:
                dataset.to_zarr(target, append_dim="time", consolidated=True)
        ctx.report(100 * min(steps, first + _ZARR_WRITE_STEPS) / steps)
    return ctx.file_link("cube.zarr", "application/zarr",
                         title=f"Random cube ({steps} x {_ZARR_SLICE[0]} x {_ZARR_SLICE[1]})")

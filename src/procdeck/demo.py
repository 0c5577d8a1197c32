"""The demo processes ``procdeck serve`` offers by default.

``sleep_a_while``, ``primes_between``, ``simulate_scene`` and
``return_base_model`` match the seed walkthrough (ids, titles, descriptions and
input schemas); ``showcase_inputs`` uses every input kind the form engine
supports so the app can be shown off. Serve them with ``procdeck serve`` or
``create_app()``; ``registry`` is the :class:`~procdeck.server.ProcessRegistry`.
"""

from __future__ import annotations

import base64
import math
import time
from datetime import date, datetime
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

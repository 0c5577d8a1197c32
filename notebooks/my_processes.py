"""Your own processes, as a module that ``procdeck serve`` can serve.

Serve them (from this folder, or with it on ``PYTHONPATH``)::

    procdeck serve --processes my_processes --port 8009

``procdeck serve`` imports the module and serves its ``registry`` (use
``--processes my_processes:other_name`` for a registry with another name; repeat
``--processes`` to serve several modules at once). ``custom-processes.ipynb``
walks through writing, serving and running processes like these.
"""

from __future__ import annotations

import math
import time
from typing import Annotated

from pydantic import Field

from procdeck.server import JobContext, ProcessRegistry

registry = ProcessRegistry()

EARTH_RADIUS_KM = 6371.0088


@registry.process(
    id="bbox_area",
    title="Bounding box area",
    keywords=["geometry"],
    outputs={"return_value": {"title": "Area in km²"}},
)
def bbox_area(
    bbox: Annotated[
        list[float],
        Field(
            title="Bounding box",
            description="West, south, east, north in degrees.",
            min_length=4,
            max_length=4,
        ),
    ] = (5.9, 45.8, 10.5, 47.8),  # type: ignore[assignment]
) -> float:
    """The area of a longitude/latitude box on a spherical Earth, in square kilometres."""
    west, south, east, north = bbox
    if not (-90 <= south < north <= 90):
        raise ValueError(f"south ({south}) must be below north ({north}), both within ±90")
    width = math.radians((east - west) % 360 or 360)
    band = math.sin(math.radians(north)) - math.sin(math.radians(south))
    return EARTH_RADIUS_KM**2 * width * band


@registry.process(id="moving_average", title="Moving average", keywords=["time series"])
def moving_average(
    ctx: JobContext,
    values: Annotated[list[float], Field(title="Values", min_length=1)],
    window: Annotated[int, Field(title="Window", description="Values per mean.", ge=1)] = 3,
    delay: Annotated[
        float,
        Field(title="Delay", description="Seconds to wait per value (to watch progress).",
              ge=0, le=1, json_schema_extra={"x-ui-advanced": True}),
    ] = 0.0,
) -> list[float]:
    """The mean of every `window` consecutive values, reporting progress as it goes."""
    if window > len(values):
        raise ValueError(f"window ({window}) is longer than the series ({len(values)} values)")
    means = []
    count = len(values) - window + 1
    for start in range(count):
        time.sleep(delay)
        means.append(sum(values[start:start + window]) / window)
        # report() also stops the job (raises JobDismissed) once it is dismissed
        ctx.report(100 * (start + 1) / count, f"{start + 1} of {count} means")
    return means

"""pandas openers: CSV, Parquet, JSON records. pandas is imported when one opens."""

from __future__ import annotations

import io
from typing import Any

from procdeck.results._read import file_or_buffer, json_content
from procdeck.results.opener import Opener
from procdeck.results.source import Source

__all__ = ["PARQUET_MEDIA_TYPES", "is_parquet", "table_openers"]

PARQUET_MEDIA_TYPES = ("application/vnd.apache.parquet", "application/x-parquet",
                       "application/parquet")


def is_parquet(source: Source) -> bool:
    return source.head(4) == b"PAR1"


def _csv(source: Source) -> Any:
    import pandas

    if source.has_value and isinstance(source.value, str):
        return pandas.read_csv(io.StringIO(source.value))
    return pandas.read_csv(file_or_buffer(source))


def _parquet(source: Source) -> Any:
    import pandas

    return pandas.read_parquet(file_or_buffer(source))


def _records(source: Source) -> Any:
    import pandas

    content = json_content(source)
    if isinstance(content, dict) and isinstance(content.get("features"), list):
        return pandas.json_normalize(content["features"])  # GeoJSON, without geometry types
    if isinstance(content, list):
        return pandas.DataFrame(content)
    if isinstance(content, dict):
        if all(isinstance(column, list) for column in content.values()):
            return pandas.DataFrame(content)
        return pandas.DataFrame([content])
    raise ValueError(f"a JSON {type(content).__name__} is not a table")


def table_openers() -> list[Opener]:
    common: dict[str, Any] = {"kind": "pandas", "extra": "pandas"}
    return [
        Opener("pandas.csv", open=_csv, media_types=("text/csv", "application/csv"),
               extensions=(".csv",), modules=("pandas",), accepts_value=True, **common),
        Opener("pandas.parquet", open=_parquet, media_types=PARQUET_MEDIA_TYPES,
               extensions=(".parquet", ".pq"), sniff=is_parquet, modules=("pandas", "pyarrow"),
               **common),
        # only on as_="pandas" or a schema of an array of objects: JSON stays JSON otherwise
        Opener("pandas.json", open=_records, media_types=("application/json",),
               extensions=(".json",), modules=("pandas",), accepts_value=True, priority=-10,
               **common),
    ]

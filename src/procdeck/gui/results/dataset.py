"""The summary of a Zarr or NetCDF result that xarray can open. Panel-free.

Opening is lazy (metadata only) and happens in the caller's thread: GUI code
runs it in a worker thread so the page never waits on the file system.
"""

from __future__ import annotations

from procdeck.gui.results.kinds import ResultItem, local_path

__all__ = ["DatasetUnavailableError", "dataset_summary"]


class DatasetUnavailableError(Exception):
    """The dataset could not be opened (xarray missing, remote storage unsupported, bad data)."""


def dataset_summary(item: ResultItem) -> str:
    """xarray's text summary of the dataset the link points to (dimensions, variables, attrs)."""
    try:
        import xarray
    except ImportError as exc:
        raise DatasetUnavailableError(
            "xarray is not installed (pip install 'procdeck[demo]')"
        ) from exc
    target = local_path(item.href) or item.href
    if not target:
        raise DatasetUnavailableError("the result has no link")
    is_zarr = "zarr" in (item.media_type or "").lower() or ".zarr" in target.lower()
    try:
        dataset = xarray.open_zarr(target) if is_zarr else xarray.open_dataset(target)
    except Exception as exc:  # xarray and its backends raise many kinds; all mean "cannot open"
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DatasetUnavailableError(f"xarray cannot open {target}: {reason}") from exc
    try:
        return str(dataset)
    finally:
        dataset.close()

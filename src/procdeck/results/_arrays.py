"""xarray openers: Zarr, NetCDF, GRIB, GeoTIFF. Opening is lazy: only metadata is read."""

from __future__ import annotations

from typing import Any

from procdeck.results import _modules
from procdeck.results._read import file_or_buffer
from procdeck.results.errors import ResultOpenError
from procdeck.results.opener import Opener
from procdeck.results.source import Source

__all__ = ["array_openers"]

_ZARR_MARKERS = (".zmetadata", "zarr.json", ".zgroup", ".zarray")
_CLASSIC = (b"CDF\x01", b"CDF\x02", b"CDF\x05")
_HDF5 = b"\x89HDF\r\n\x1a\n"
# xarray engine -> the module it needs, in the order tried
_HDF5_ENGINES = (("h5netcdf", "h5netcdf"), ("netcdf4", "netCDF4"))
_CLASSIC_ENGINES = (("netcdf4", "netCDF4"), ("scipy", "scipy"))


def _is_zarr(source: Source) -> bool:
    path = source.path
    return path is not None and path.is_dir() and any(
        (path / marker).exists() for marker in _ZARR_MARKERS)


def _zarr(source: Source) -> Any:
    import xarray

    target = source.store if source.store is not None else source.path
    if target is None:
        raise ValueError("Zarr opens from a directory or a store, not from bytes")
    # chunks={} keeps every variable a lazy dask array; without dask, lazy indexing does
    chunks = {} if not _modules.missing(("dask",)) else None
    return xarray.open_zarr(target if source.store is not None else str(target),
                            consolidated=None, chunks=chunks)


def _is_netcdf(source: Source) -> bool:
    return source.head(8).startswith((*_CLASSIC, _HDF5))


def _netcdf_engine(source: Source) -> str | None:
    head = source.head(8)
    if head.startswith(_HDF5):
        engines, hint, extra = _HDF5_ENGINES, "pip install 'procdeck[xarray]'", "xarray"
    elif head.startswith(_CLASSIC):
        # NetCDF classic is not HDF5: h5netcdf (procdeck[xarray]) cannot read it
        engines, hint, extra = _CLASSIC_ENGINES, "pip install scipy (or netCDF4)", None
    else:
        return None  # let xarray guess
    for engine, module in engines:
        if not _modules.missing((module,)):
            return engine
    names = " or ".join(module for _engine, module in engines)
    raise ResultOpenError(
        f"Cannot open output {source.output!r} ({source.described_as}): reading this NetCDF "
        f"file needs {names}; {hint}", output=source.output, media_type=source.media_type,
        extra=extra, opener="xarray.netcdf")


def _netcdf(source: Source) -> Any:
    import xarray

    return xarray.open_dataset(file_or_buffer(source), engine=_netcdf_engine(source))


def _grib(source: Source) -> Any:
    import xarray

    if source.path is None:
        raise ValueError("GRIB opens from a file (cfgrib reads no bytes)")
    return xarray.open_dataset(source.path, engine="cfgrib")


def _is_tiff(source: Source) -> bool:
    return source.head(4) in (b"II*\x00", b"MM\x00*")


def _geotiff(source: Source) -> Any:
    import rioxarray

    if source.path is not None:
        return rioxarray.open_rasterio(source.path)
    from rasterio.io import MemoryFile

    return rioxarray.open_rasterio(MemoryFile(file_or_buffer(source).getvalue()).open())


def array_openers() -> list[Opener]:
    return [
        Opener("xarray.zarr", "xarray", _zarr,
               media_types=("application/zarr", "application/vnd+zarr", "application/x-zarr",
                            "application/vnd.zarr"),
               extensions=(".zarr",), sniff=_is_zarr, modules=("xarray", "zarr"),
               extra="xarray", remote=True),
        Opener("xarray.netcdf", "xarray", _netcdf,
               media_types=("application/x-netcdf", "application/netcdf",
                            "application/x-netcdf4", "application/netcdf4"),
               extensions=(".nc", ".nc4", ".netcdf", ".cdf"), sniff=_is_netcdf,
               modules=("xarray",), extra="xarray", priority=1),
        # the next two need libraries no procdeck extra ships (ecCodes, GDAL)
        Opener("xarray.grib", "xarray", _grib,
               media_types=("application/x-grib", "application/grib", "application/x-grib2"),
               extensions=(".grib", ".grib2", ".grb", ".grb2"),
               sniff=lambda source: source.head(4) == b"GRIB", modules=("xarray", "cfgrib")),
        Opener("xarray.geotiff", "xarray", _geotiff,
               media_types=("image/tiff", "image/geotiff", "image/tiff+geotiff"),
               extensions=(".tif", ".tiff"), sniff=_is_tiff, modules=("xarray", "rioxarray")),
    ]

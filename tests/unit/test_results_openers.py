"""The built-in openers on real files: each format written by its own library, read back."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from procdeck.results import ResultOpenError, Source, choose_opener, open_source

pd = pytest.importorskip("pandas")
xr = pytest.importorskip("xarray")
np = pytest.importorskip("numpy")
Image = pytest.importorskip("PIL.Image")

FEATURES = {"type": "FeatureCollection", "features": [
    {"type": "Feature", "geometry": {"type": "Point", "coordinates": [7.5, 46.9]},
     "properties": {"name": "Bern"}},
    {"type": "Feature", "geometry": {"type": "Point", "coordinates": [8.5, 47.4]},
     "properties": {"name": "Zurich"}},
]}


def _png(size: tuple[int, int] = (4, 3), fmt: str = "PNG") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 10, 10)).save(buffer, format=fmt)
    return buffer.getvalue()


def _dataset():
    return xr.Dataset({"t": (("y", "x"), np.arange(6.0).reshape(2, 3))},
                      coords={"x": [1, 2, 3], "y": [10, 20]})


def test_csv_from_a_file_and_from_bytes(tmp_path: Path) -> None:
    path = tmp_path / "table.csv"
    path.write_text("a,b\n1,x\n2,y\n")
    frame = open_source(Source("t", path=path))
    assert list(frame.columns) == ["a", "b"] and frame["a"].tolist() == [1, 2]
    again = open_source(Source("t", data=path.read_bytes(), media_type="text/csv"))
    assert again.equals(frame)


def test_parquet_from_a_file_and_from_bytes(tmp_path: Path) -> None:
    pytest.importorskip("pyarrow")
    path = tmp_path / "table.parquet"
    pd.DataFrame({"v": [1.5, 2.5]}).to_parquet(path)
    assert open_source(Source("t", path=path))["v"].tolist() == [1.5, 2.5]
    # no name, no type: the PAR1 magic bytes tell
    assert open_source(Source("t", data=path.read_bytes()))["v"].tolist() == [1.5, 2.5]


def test_json_records_open_as_pandas_only_when_asked() -> None:
    records = [{"a": 1, "b": "x"}, {"a": 2, "b": "y"}]
    assert open_source(Source("r", value=records, has_value=True)) == records
    frame = open_source(Source("r", value=records, has_value=True), as_="pandas")
    assert frame["a"].tolist() == [1, 2]
    schema = {"type": "array", "items": {"type": "object"}}
    by_schema = open_source(Source("r", value=records, has_value=True, schema=schema))
    assert isinstance(by_schema, pd.DataFrame)


def test_geojson_inline_from_bytes_and_from_a_file(tmp_path: Path) -> None:
    gpd = pytest.importorskip("geopandas")
    inline = open_source(Source("g", value=FEATURES, has_value=True,
                                media_type="application/geo+json"))
    assert isinstance(inline, gpd.GeoDataFrame)
    assert inline.crs.to_epsg() == 4326 and inline["name"].tolist() == ["Bern", "Zurich"]
    data = json.dumps(FEATURES).encode()
    by_schema = open_source(Source("g", data=data,
                                   schema={"format": "geojson-feature-collection"}))
    assert by_schema.geometry.x.tolist() == [7.5, 8.5]
    path = tmp_path / "points.geojson"
    path.write_bytes(data)
    assert len(open_source(Source("g", path=path))) == 2
    one = open_source(Source("g", value=FEATURES["features"][0], has_value=True),
                      as_="geopandas")
    assert one["name"].tolist() == ["Bern"]


def test_geopackage_and_geoparquet(tmp_path: Path) -> None:
    gpd = pytest.importorskip("geopandas")
    pytest.importorskip("pyogrio")
    frame = gpd.GeoDataFrame.from_features(FEATURES["features"], crs="EPSG:4326")
    gpkg = tmp_path / "points.gpkg"
    frame.to_file(gpkg, driver="GPKG")
    assert open_source(Source("g", path=gpkg))["name"].tolist() == ["Bern", "Zurich"]
    assert choose_opener(Source("g", data=gpkg.read_bytes())).name == "geopandas.geopackage"
    parquet = tmp_path / "points.parquet"
    frame.to_parquet(parquet)
    assert isinstance(open_source(Source("g", path=parquet), as_="geopandas"), gpd.GeoDataFrame)
    assert not isinstance(open_source(Source("g", path=parquet)), gpd.GeoDataFrame)


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "GIF", "WEBP"])
def test_images_are_loaded(tmp_path: Path, fmt: str) -> None:
    data = _png(fmt=fmt)
    path = tmp_path / f"picture.{fmt.lower()}"
    path.write_bytes(data)
    for source in (Source("i", path=path), Source("i", data=data)):
        image = open_source(source)
        assert image.size == (4, 3) and image.format == fmt


def test_an_image_holds_no_open_file(tmp_path: Path) -> None:
    path = tmp_path / "picture.png"
    path.write_bytes(_png())
    image = open_source(Source("i", path=path))
    path.unlink()  # works on every platform only when no handle is left open
    assert image.getpixel((0, 0)) == (200, 10, 10)


def test_netcdf4_from_a_file_and_from_bytes(tmp_path: Path) -> None:
    pytest.importorskip("h5netcdf")
    path = tmp_path / "grid.nc"
    _dataset().to_netcdf(path, engine="h5netcdf")
    opened = open_source(Source("d", path=path))
    assert isinstance(opened, xr.Dataset) and opened["t"].shape == (2, 3)
    assert float(opened["t"].sum()) == 15.0
    opened.close()
    data = path.read_bytes()
    from_bytes = open_source(Source("d", data=data, media_type="application/x-netcdf"))
    assert from_bytes["x"].values.tolist() == [1, 2, 3]
    # unnamed and untyped: the HDF5 signature tells
    assert choose_opener(Source("d", data=data)).name == "xarray.netcdf"


def test_zarr_directory_opens_lazily(tmp_path: Path) -> None:
    pytest.importorskip("zarr")
    path = tmp_path / "cube.zarr"
    _dataset().to_zarr(path)
    opened = open_source(Source("z", path=path))
    assert isinstance(opened, xr.Dataset)
    assert opened["t"].variable._in_memory is False  # nothing read yet
    assert float(opened["t"].sum()) == 15.0
    renamed = tmp_path / "cube_without_suffix"
    path.rename(renamed)
    assert choose_opener(Source("z", path=renamed)).name == "xarray.zarr"  # zarr.json seen


def test_remote_zarr_store_opens(tmp_path: Path) -> None:
    zarr = pytest.importorskip("zarr")
    path = tmp_path / "cube.zarr"
    _dataset().to_zarr(path)
    store = zarr.storage.LocalStore(path, read_only=True)
    source = Source("z", store=store, href="https://example.org/cube.zarr/")
    assert choose_opener(source).name == "xarray.zarr"
    assert open_source(source)["t"].shape == (2, 3)


def test_json_text_and_bytes(tmp_path: Path) -> None:
    assert open_source(Source("j", data=b'{"a": [1]}', media_type="application/json")) == {
        "a": [1]}
    assert open_source(Source("j", value="hello", has_value=True)) == "hello"
    assert open_source(Source("t", data="grüße".encode("latin-1"),
                              media_type="text/plain; charset=latin-1")) == "grüße"
    path = tmp_path / "blob.bin"
    path.write_bytes(b"\x00\x01\x02")
    assert open_source(Source("b", path=path)) == b"\x00\x01\x02"


# -- reading errors ------------------------------------------------------------------------


def test_a_truncated_png_is_an_open_error() -> None:
    data = _png((64, 64))
    with pytest.raises(ResultOpenError) as caught:
        open_source(Source("map", data=data[: len(data) // 2], media_type="image/png"))
    error = caught.value
    assert "'map'" in str(error) and "image/png" in str(error) and "image.pil" in str(error)
    assert (error.output, error.media_type, error.opener) == ("map", "image/png", "image.pil")
    assert error.__cause__ is not None


def test_a_truncated_netcdf_is_an_open_error(tmp_path: Path) -> None:
    pytest.importorskip("h5netcdf")
    path = tmp_path / "grid.nc"
    _dataset().to_netcdf(path, engine="h5netcdf")
    cut = tmp_path / "cut.nc"
    cut.write_bytes(path.read_bytes()[:400])
    with pytest.raises(ResultOpenError) as caught:
        open_source(Source("grid", path=cut, media_type="application/x-netcdf"))
    assert "'grid'" in str(caught.value) and "application/x-netcdf" in str(caught.value)


def test_csv_posing_as_parquet_is_an_open_error(tmp_path: Path) -> None:
    pytest.importorskip("pyarrow")
    path = tmp_path / "table.parquet"
    path.write_text("a,b\n1,2\n")
    with pytest.raises(ResultOpenError) as caught:
        open_source(Source("table", path=path, media_type="application/vnd.apache.parquet"))
    assert "'table'" in str(caught.value) and "application/vnd.apache.parquet" in str(
        caught.value) and caught.value.opener == "pandas.parquet"


def test_a_netcdf_classic_file_without_its_engines_names_them(monkeypatch) -> None:
    from procdeck.results import _modules

    real = _modules.find_spec
    monkeypatch.setattr(_modules, "find_spec",
                        lambda name: None if name in ("scipy", "netCDF4") else real(name))
    with pytest.raises(ResultOpenError) as caught:
        open_source(Source("grid", data=b"CDF\x01" + bytes(60)))
    assert "scipy" in str(caught.value) and caught.value.opener == "xarray.netcdf"


def test_importing_the_package_loads_no_heavy_library() -> None:
    heavy = ["pandas", "xarray", "PIL", "geopandas", "zarr", "pyarrow", "numpy"]
    code = ("import sys, procdeck.results as r; r.openers(); "
            f"print([m for m in {heavy!r} if m in sys.modules])")
    src = Path(__file__).resolve().parents[2] / "src"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True, env={"PYTHONPATH": str(src)})
    assert result.stdout.strip() == "[]"

"""``open_job_result`` against the real server: every opener, every way a result arrives.

One token-protected server per module runs the demo processes with table, vector,
image, NetCDF and Zarr outputs (by link, served by the server's files route) and
a module of this test's own with broken files; the real client (sync and async)
opens them.
"""

from __future__ import annotations

import asyncio
import importlib.util
import os
import textwrap
from pathlib import Path

import geopandas as gpd
import pandas as pd
import PIL.Image as PIL_Image
import pytest
import xarray as xr

from procdeck import AsyncClient, Client
from procdeck.client.errors import AuthenticationError, JobFailedError
from procdeck.results import ResultOpenError, ResultTooLargeError
from procdeck.server.testing import ServerProcess

TOKEN = "open-results-token-0123456789"
DOC = {"response": "document"}

BROKEN = textwrap.dedent('''
    """Processes whose files are broken (truncated PNG, NetCDF that is not, a Zarr link
    without metadata)."""
    from procdeck.server.context import JobContext
    from procdeck.server.registry import ProcessRegistry

    registry = ProcessRegistry()
    PNG_HEAD = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000100")

    @registry.process(id="truncated_png", title="Truncated PNG")
    def truncated_png(ctx: JobContext) -> dict:
        """A PNG cut off after its first bytes."""
        (ctx.job_dir / "q.png").write_bytes(PNG_HEAD)
        return ctx.file_link("q.png", "image/png")

    @registry.process(id="fake_netcdf", title="Not NetCDF")
    def fake_netcdf(ctx: JobContext) -> dict:
        """Text served as NetCDF."""
        (ctx.job_dir / "cube.nc").write_text("this is no netcdf file")
        return ctx.file_link("cube.nc", "application/x-netcdf")

    @registry.process(id="unknown_kind", title="Unknown kind")
    def unknown_kind(ctx: JobContext) -> dict:
        """Bytes of no known kind, typed as such."""
        (ctx.job_dir / "blob.xyz").write_bytes(b"\\x00\\x01\\x02 opaque")
        return ctx.file_link("blob.xyz", "application/x-procdeck-unknown")
''')


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("open-results")
    (root / "broken_files.py").write_text(BROKEN)
    token = root / "token"
    token.write_text(TOKEN + "\n")
    token.chmod(0o600)
    process = ServerProcess(
        store=root / "jobs.sqlite", data_dir=root / "data", log_path=root / "server.log",
        processes=["procdeck.demo", "broken_files"],
        env={"PYTHONPATH": os.pathsep.join(filter(None, [str(root),
                                                         os.environ.get("PYTHONPATH")]))},
        extra_args=["--token-file", str(token)],
    )
    process.start(timeout=60)
    yield process
    process.stop()


@pytest.fixture
def client(server, tmp_path, monkeypatch):
    monkeypatch.setenv("PROCDECK_CACHE_DIR", str(tmp_path / "cache"))
    with Client(server.url, access_token=TOKEN) as client:
        yield client


def run(client: Client, process: str, inputs: dict | None = None, **request) -> str:
    job = client.execute_process(process, {"inputs": inputs or {}, **DOC, **request})
    return client.wait_for_job(job.jobID, timeout=60).jobID


# -- each opener, each way --------------------------------------------------------------------


def test_a_csv_link_opens_as_a_dataframe_and_as_text_or_bytes(client):
    job_id = run(client, "sample_table", {"rows": 37})
    frame = client.open_job_result(job_id, "table")
    assert isinstance(frame, pd.DataFrame) and len(frame) == 37
    assert "temperature" in frame.columns
    text = client.open_job_result(job_id, "table", as_="text")
    assert isinstance(text, str) and text.count("\n") >= 37
    raw = client.open_job_result(job_id, "table", as_="bytes")
    assert raw.decode() == text
    # output=None on a one-output process: the object itself
    assert len(client.open_job_result(job_id)) == 37


def test_read_link_stops_at_max_bytes_with_a_typed_error(client):
    job_id = run(client, "sample_table", {"rows": 400})
    href = client.get_job_results(job_id).root["table"]["href"]
    data, media = client.read_link(href)
    assert media == "text/csv" and data.startswith(b"station,")
    with pytest.raises(ResultTooLargeError) as caught:
        client.read_link(href, max_bytes=100)
    assert caught.value.limit == 100 and caught.value.size > 100
    assert caught.value.url == href and "download it instead" in str(caught.value)
    assert client.read_link(href, max_bytes=len(data))[0] == data


def test_geojson_inline_by_reference_and_as_a_file_opens_as_a_geodataframe(client):
    job_id = run(client, "sample_features", {"count": 9})
    both = client.open_job_result(job_id)  # two outputs: a dict of both
    assert set(both) == {"features", "features_file"}
    for frame in both.values():
        assert isinstance(frame, gpd.GeoDataFrame)
        assert (frame.geom_type == "Point").sum() == 9 and frame.geom_type.nunique() > 1
        assert frame.crs is not None and frame.crs.to_epsg() == 4326
    as_dict = client.open_job_result(job_id, "features", as_="json")
    assert as_dict["type"] == "FeatureCollection"
    referenced = run(client, "sample_features", {"count": 4},
                     outputs={"features": {"transmissionMode": "reference"}})
    frame = client.open_job_result(referenced, "features")
    assert isinstance(frame, gpd.GeoDataFrame) and (frame.geom_type == "Point").sum() == 4


def test_a_png_link_opens_as_an_image(client):
    job_id = run(client, "sample_quicklook", {"width": 64, "height": 32})
    image = client.open_job_result(job_id, "quicklook")
    assert isinstance(image, PIL_Image.Image) and image.size == (64, 32)
    assert image.format == "PNG"


def test_a_netcdf_link_opens_as_a_dataset(client):
    job_id = run(client, "sample_netcdf")
    dataset = client.open_job_result(job_id, "cube")
    assert isinstance(dataset, xr.Dataset) and dataset.data_vars
    assert all(size > 0 for size in dataset.sizes.values())


def test_a_zarr_link_opens_lazily_over_http(client, monkeypatch):
    from procdeck.client import _zarr_http

    stores: list[_zarr_http.HttpZarrStore] = []
    made = _zarr_http.HttpZarrStore.__init__

    def remember(self, *args, **kwargs):
        made(self, *args, **kwargs)
        stores.append(self)

    monkeypatch.setattr(_zarr_http.HttpZarrStore, "__init__", remember)
    job_id = run(client, "sample_zarr", {"megabytes": 4})
    dataset = client.open_job_result(job_id, "cube")
    assert isinstance(dataset, xr.Dataset) and dataset.data_vars
    [store] = stores
    assert store.url.endswith("cube.zarr")
    before = store.bytes_read
    assert before < 256 * 1024, f"{before} bytes read before any data was used"
    name = max(dataset.data_vars, key=lambda n: dataset[n].size)
    values = dataset[name].values  # now the chunks come
    assert values.nbytes > 1_000_000 and store.bytes_read > before + values.nbytes // 4


def test_a_file_link_on_this_machine_opens_in_place(client, tmp_path):
    job_id = run(client, "simulate_scene", {"var_names": "a", "start_date": "2024-01-01",
                                            "end_date": "2024-01-03", "resolution": 0.5})
    dataset = client.open_job_result(job_id)
    assert isinstance(dataset, xr.Dataset) and "a" in dataset
    assert not (tmp_path / "cache").exists()  # nothing downloaded


def test_raw_json_and_records(client):
    job = client.execute_process("primes_between", {"inputs": {"min_val": 2, "max_val": 30},
                                                    "response": "raw"})
    job_id = client.wait_for_job(job.jobID, timeout=30).jobID
    assert client.open_job_result(job_id) == [2, 3, 5, 7, 11, 13, 17, 19, 23, 29]
    frame = client.open_job_result(job_id, as_="pandas")
    assert isinstance(frame, pd.DataFrame) and len(frame) == 10


def test_file_outputs_of_raw_answers_open_from_link_headers_and_multipart(client):
    # raw, one file output: the server answers 204 with a Link header to the file
    job = client.execute_process("sample_table", {"inputs": {"rows": 9}, "response": "raw"})
    job_id = client.wait_for_job(job.jobID, timeout=30).jobID
    frame = client.open_job_result(job_id, "table")
    assert isinstance(frame, pd.DataFrame) and len(frame) == 9
    # raw, an inline output and a file output: multipart, the file as an empty part
    job = client.execute_process("sample_features", {"inputs": {"count": 4}, "response": "raw"})
    job_id = client.wait_for_job(job.jobID, timeout=30).jobID
    opened = client.open_job_result(job_id)
    assert sorted(opened) == ["features", "features_file"]
    for name in opened:
        assert isinstance(opened[name], gpd.GeoDataFrame), name
        assert (opened[name].geom_type == "Point").sum() == 4, name


def test_open_waits_for_the_job_and_a_failed_job_is_an_error(client):
    job = client.execute_process("sleep_a_while", {"inputs": {"duration": 0.5}})
    assert 0.5 <= client.open_job_result(job.jobID, timeout=30) < 10
    failed = client.execute_process("sleep_a_while", {"inputs": {"duration": 0.1, "fail": True}})
    with pytest.raises(JobFailedError):
        client.open_job_result(failed.jobID, timeout=30)


def test_the_async_twin_opens_links_and_lazy_zarr(server, tmp_path, monkeypatch):
    monkeypatch.setenv("PROCDECK_CACHE_DIR", str(tmp_path / "cache"))

    async def main():
        async with AsyncClient(server.url, access_token=TOKEN) as client:
            job = await client.execute_process("sample_table", {"inputs": {"rows": 5}, **DOC})
            frame = await client.open_job_result(job.jobID, "table", timeout=60)
            cube_job = await client.execute_process("sample_zarr", {"inputs": {"megabytes": 1},
                                                                    **DOC})
            cube = await client.open_job_result(cube_job.jobID, "cube", timeout=60)
            assert isinstance(cube, xr.Dataset)
            # chunks are read through the client: while it is open
            values = await asyncio.to_thread(lambda: cube[next(iter(cube.data_vars))].values)
            return frame, values

    frame, values = asyncio.run(main())
    assert len(frame) == 5 and values.size > 0


# -- errors ------------------------------------------------------------------------------------


def test_a_truncated_or_mislabelled_file_is_a_clear_error(client):
    for process in ("truncated_png", "fake_netcdf"):
        job_id = run(client, process)
        with pytest.raises(ResultOpenError) as caught:
            client.open_job_result(job_id)
        message = str(caught.value)
        assert caught.value.output and caught.value.output in message
        assert caught.value.media_type in ("image/png", "application/x-netcdf"), message
        assert "Traceback" not in message


def test_a_result_of_no_known_kind_opens_as_bytes(client):
    job_id = run(client, "unknown_kind")
    assert client.open_job_result(job_id) == b"\x00\x01\x02 opaque"


def test_an_uninstalled_extra_names_what_to_install(client, monkeypatch):
    job_id = run(client, "sample_features", {"count": 2})
    from procdeck.results import _modules

    real = importlib.util.find_spec

    def without_geopandas(name, *args):
        return None if name.split(".")[0] == "geopandas" else real(name, *args)

    monkeypatch.setattr(_modules, "find_spec", without_geopandas)
    with pytest.raises(ResultOpenError) as caught:
        client.open_job_result(job_id, "features_file")
    assert "procdeck[geo]" in str(caught.value) and caught.value.extra == "geo"


def test_an_unknown_output_and_a_missing_token_are_errors(client, server):
    job_id = run(client, "sample_table", {"rows": 3})
    with pytest.raises(ResultOpenError, match=r"no output 'nope'.*table"):
        client.open_job_result(job_id, "nope")
    with Client(server.url) as anonymous, pytest.raises(AuthenticationError):
        anonymous.open_job_result(job_id, "table")


# -- downloads -----------------------------------------------------------------------------------


def test_download_writes_the_file_and_the_cache_is_reused(client, tmp_path):
    job_id = run(client, "sample_quicklook", {"width": 20, "height": 10})
    seen: list[tuple[int, int | None]] = []
    path = client.download_job_result(job_id, "quicklook", tmp_path / "out",
                                      progress=lambda done, total: seen.append((done, total)))
    assert path.read_bytes().startswith(b"\x89PNG") and path.suffix == ".png"
    assert seen[-1][0] == path.stat().st_size == seen[-1][1]
    assert not list((tmp_path / "out").glob("*.part"))
    first = client.open_job_result(job_id, "quicklook")
    cached = list((tmp_path / "cache").rglob("*.png"))
    assert len(cached) == 1
    mtime = cached[0].stat().st_mtime_ns
    second = client.open_job_result(job_id, "quicklook")
    assert second.size == first.size == (20, 10)
    assert cached[0].stat().st_mtime_ns == mtime  # 304: the copy was reused, not rewritten


def test_a_zarr_output_is_no_single_file_download(client, tmp_path):
    job_id = run(client, "sample_zarr", {"megabytes": 0.5})
    with pytest.raises(ResultOpenError, match="open_job_result"):
        client.download_job_result(job_id, "cube", tmp_path)


def test_the_cli_downloads_one_output(server, tmp_path):
    import subprocess
    import sys

    with Client(server.url, access_token=TOKEN) as client:
        job_id = run(client, "sample_table", {"rows": 4})
    env = {"PROCDECK_SERVER_URL": server.url, "PROCDECK_ACCESS_TOKEN": TOKEN,
           "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-m", "procdeck", "results", job_id, "--output", "table",
         "--download", str(tmp_path / "dl")],
        capture_output=True, text=True, env=env, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    written = tmp_path / "dl" / "table.csv"
    assert done.stdout.strip() == f"table: {written}"
    assert written.read_text().count("\n") == 5  # header and four rows
    missing = subprocess.run(
        [sys.executable, "-m", "procdeck", "results", job_id, "--output", "nope"],
        capture_output=True, text=True, env=env, timeout=120, check=False)
    assert missing.returncode == 2 and "no output 'nope'" in missing.stderr


def test_paths_are_kept_for_downloads_of_inline_values(client, tmp_path):
    job_id = run(client, "sample_features", {"count": 3})
    written = client.download_job_result(job_id, "features", tmp_path)
    assert isinstance(written, Path) and written.suffix in (".geojson", ".json")
    assert '"FeatureCollection"' in written.read_text()

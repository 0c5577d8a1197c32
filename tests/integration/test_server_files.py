"""The files a job writes, served over HTTP by the real server (``/jobs/{jobId}/files/...``).

Each file-writing demo process runs through the real client; its output links to a file
that is fetched over HTTP with the right media type and bytes. Range requests, HEAD, the
404s of every way out of the job's directory, the token and the removal of a job's files
with the job are checked against ``procdeck serve`` too.
"""

from __future__ import annotations

import csv
import io
import struct
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from procdeck import Client
from procdeck.models import JobStatus
from procdeck.server.errors import PROBLEM_JSON
from procdeck.server.testing import ServerProcess

pytestmark = pytest.mark.integration

TOKEN = "files-Token-for-tests_0123456789abcdef"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    root = tmp_path_factory.mktemp("files")
    with ServerProcess(store=root / "jobs.sqlite", data_dir=root / "data",
                       log_path=root / "server.log", workers=2) as running:
        yield running
        assert "Traceback" not in running.log(), running.log()[-3000:]


def run(server: ServerProcess, process_id: str, inputs: dict[str, Any] | None = None,
        **client_options: Any) -> tuple[str, dict[str, Any]]:
    """Run a process as a job through the client: its id and its results document."""
    with Client(server.url, **client_options) as client:
        job = client.execute_process(process_id, inputs or {})
        final = client.wait_for_job(job.jobID, timeout=60)
        assert final.status == JobStatus.SUCCESSFUL, final
        return job.jobID, dict(client.get_job_results(job.jobID).root)


def fetch(link: dict[str, Any], media_type: str, **options: Any) -> httpx.Response:
    response = httpx.get(link["href"], **options)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].split(";")[0] == media_type
    assert int(response.headers["content-length"]) == len(response.content)
    assert response.headers["etag"] and response.headers["last-modified"]
    assert response.headers["accept-ranges"] == "bytes"
    return response


def assert_no_such_file(response: httpx.Response) -> dict:
    assert response.status_code == 404, response.text
    assert response.headers["content-type"] == PROBLEM_JSON
    body = response.json()
    assert body["status"] == 404 and body["title"]
    return body


# -- each demo process's file -------------------------------------------------------------------


def test_sample_table_links_to_a_csv_file(server):
    job_id, results = run(server, "sample_table", {"rows": 40})
    link = results["table"]
    assert link["href"] == f"{server.url}/jobs/{job_id}/files/table.csv"
    assert link["type"] == "text/csv" and link["rel"] == "enclosure" and link["title"]
    text = fetch(link, "text/csv").text
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["station", "time", "temperature", "lon", "lat"]
    assert len(rows) == 41
    float(rows[1][2])


def test_sample_features_inline_and_as_a_file(server):
    job_id, results = run(server, "sample_features", {"count": 5})
    inline = results["features"]
    collection = inline.get("value", inline)  # a document carries an object qualified
    assert collection["type"] == "FeatureCollection"
    kinds = [feature["geometry"]["type"] for feature in collection["features"]]
    assert kinds.count("Point") == 5 and "Polygon" in kinds
    for feature in collection["features"]:
        assert feature["type"] == "Feature" and isinstance(feature["properties"], dict)
    link = results["features_file"]
    assert link["href"].endswith(f"/jobs/{job_id}/files/features.geojson")
    assert link["type"] == "application/geo+json"
    assert fetch(link, "application/geo+json").json() == collection


def test_sample_features_by_reference(server):
    with Client(server.url) as client:
        job = client.execute_process("sample_features", {
            "inputs": {"count": 3},
            "outputs": {"features": {"transmissionMode": "reference"}},
            "response": "document",
        })
        client.wait_for_job(job.jobID, timeout=30)
    document = httpx.get(f"{server.url}/jobs/{job.jobID}/results").json()
    reference = document["features"]
    assert reference["href"] == f"{server.url}/jobs/{job.jobID}/results/features"
    answer = httpx.get(reference["href"])
    assert answer.headers["content-type"].startswith("application/geo+json")
    assert answer.json()["type"] == "FeatureCollection"


def test_sample_quicklook_is_a_png_of_the_asked_size(server):
    _, results = run(server, "sample_quicklook", {"width": 70, "height": 30})
    link = results["quicklook"]
    assert link["type"] == "image/png"
    data = fetch(link, "image/png").content
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert data[12:16] == b"IHDR"
    assert struct.unpack(">II", data[16:24]) == (70, 30)
    assert data[24:26] == b"\x08\x02"  # 8 bit RGB
    assert data[-8:-4] == b"IEND"


def test_sample_quicklook_defaults(server):
    _, results = run(server, "sample_quicklook")
    data = fetch(results["quicklook"], "image/png").content
    assert struct.unpack(">II", data[16:24]) == (256, 128)


def test_sample_netcdf_opens_with_xarray(server, tmp_path):
    xr = pytest.importorskip("xarray")
    pytest.importorskip("h5netcdf")
    _, results = run(server, "sample_netcdf")
    link = results["cube"]
    assert link["type"] == "application/x-netcdf" and link["href"].endswith("/cube.nc")
    data = fetch(link, "application/x-netcdf").content
    assert data[:8] == b"\x89HDF\r\n\x1a\n"  # NetCDF4 is HDF5
    path = tmp_path / "cube.nc"
    path.write_bytes(data)
    with xr.open_dataset(path, engine="h5netcdf") as dataset:
        assert dict(dataset["temperature"].sizes) == {"time": 4, "lat": 18, "lon": 36}
        assert dataset["temperature"].attrs["units"] == "K"
        assert float(dataset["temperature"].mean()) > 200


def zarr_files(link: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """The store's format (``"3"`` or ``"2"``) and its consolidated metadata, over HTTP."""
    response = httpx.get(link["href"] + "/zarr.json")
    if response.status_code == 200:
        assert response.headers["content-type"] == "application/json"
        return "3", response.json()
    response = httpx.get(link["href"] + "/.zmetadata")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    return "2", response.json()


def test_sample_zarr_is_served_file_by_file_and_opens_lazily(server, tmp_path):
    xr = pytest.importorskip("xarray")
    pytest.importorskip("zarr")
    np = pytest.importorskip("numpy")
    job_id, results = run(server, "sample_zarr", {"megabytes": 2})
    link = results["cube"]
    assert link["href"] == f"{server.url}/jobs/{job_id}/files/cube.zarr"
    assert link["type"] == "application/zarr"
    # The store's link is a directory: not a file to serve.
    assert_no_such_file(httpx.get(link["href"]))
    version, metadata = zarr_files(link)
    if version == "3":
        arrays = metadata["consolidated_metadata"]["metadata"]
        assert arrays["data"]["shape"] == [4, 256, 512]
        assert arrays["data"]["chunk_grid"]["configuration"]["chunk_shape"] == [2, 256, 512]
        names = ["zarr.json", *(f"{name}/zarr.json" for name in arrays)]
        chunk = "data/c/1/0/0"
    else:
        assert metadata["metadata"]["data/.zarray"]["shape"] == [4, 256, 512]
        names = [".zmetadata", ".zgroup", ".zattrs",
                 *(key for key in metadata["metadata"] if "/" in key)]
        chunk = "data/1.0.0"
    response = httpx.get(f"{link['href']}/{chunk}")
    assert response.status_code == 200 and len(response.content) > 100_000
    assert response.headers["content-type"] == "application/octet-stream"
    # A copy made only of what HTTP served (metadata and the chunks read) opens with xarray.
    store = tmp_path / "cube.zarr"
    for name in names:
        (store / name).parent.mkdir(parents=True, exist_ok=True)
        (store / name).write_bytes(httpx.get(f"{link['href']}/{name}").content)
    (store / chunk).parent.mkdir(parents=True, exist_ok=True)
    (store / chunk).write_bytes(response.content)
    with xr.open_zarr(store, consolidated=True) as dataset:
        data = dataset["data"]
        assert data.shape == (4, 256, 512) and data.dtype == np.float32
        second = data.isel(time=slice(2, 4)).values  # only the chunk fetched above
        assert second.min() >= 0 and second.max() < 1 and second.std() > 0.2


# -- HTTP: range, HEAD ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def table(server) -> tuple[str, bytes]:
    _, results = run(server, "sample_table", {"rows": 500})
    href = results["table"]["href"]
    return href, httpx.get(href).content


def test_range_requests_get_206_with_those_bytes(table):
    href, whole = table
    part = httpx.get(href, headers={"Range": "bytes=10-109"})
    assert part.status_code == 206
    assert part.content == whole[10:110]
    assert part.headers["content-range"] == f"bytes 10-109/{len(whole)}"
    assert part.headers["content-length"] == "100"
    assert part.headers["content-type"].startswith("text/csv")
    tail = httpx.get(href, headers={"Range": "bytes=-20"})
    assert tail.status_code == 206 and tail.content == whole[-20:]
    rest = httpx.get(href, headers={"Range": f"bytes={len(whole) - 5}-"})
    assert rest.status_code == 206 and rest.content == whole[-5:]


def test_bad_ranges_are_problems(table):
    href, whole = table
    outside = httpx.get(href, headers={"Range": f"bytes={len(whole) + 10}-"})
    assert outside.status_code == 416
    assert outside.headers["content-type"] == PROBLEM_JSON
    assert outside.headers["content-range"] == f"bytes */{len(whole)}"
    malformed = httpx.get(href, headers={"Range": "lines=1-2"})
    assert malformed.status_code == 400
    assert malformed.headers["content-type"] == PROBLEM_JSON


def test_head_answers_the_headers_of_get(table):
    href, whole = table
    head = httpx.head(href)
    get = httpx.get(href)
    assert head.status_code == 200 and head.content == b""
    for name in ("content-type", "content-length", "etag", "last-modified"):
        assert head.headers[name] == get.headers[name], name
    assert int(head.headers["content-length"]) == len(whole)
    assert httpx.head(href + ".missing").status_code == 404


def test_if_none_match_of_the_current_etag_is_304_without_a_body(table):
    href, whole = table
    etag = httpx.get(href).headers["etag"]
    same = httpx.get(href, headers={"If-None-Match": etag})
    assert same.status_code == 304 and same.content == b""
    assert same.headers["etag"] == etag
    assert httpx.get(href, headers={"If-None-Match": f'"other", W/{etag}'}).status_code == 304
    assert httpx.get(href, headers={"If-None-Match": "*"}).status_code == 304
    changed = httpx.get(href, headers={"If-None-Match": '"not-this-file"'})
    assert changed.status_code == 200 and changed.content == whole


def test_a_file_output_by_reference_redirects_to_its_file(server):
    job_id, results = run(server, "sample_table", {"rows": 3})
    answer = httpx.get(f"{server.url}/jobs/{job_id}/results/table")
    assert answer.status_code == 303
    assert answer.headers["location"] == results["table"]["href"]
    followed = httpx.get(f"{server.url}/jobs/{job_id}/results/table", follow_redirects=True)
    assert followed.headers["content-type"].startswith("text/csv")
    assert followed.text.splitlines()[0] == "station,time,temperature,lon,lat"


# -- what is not a file of the job --------------------------------------------------------------


def raw_get(server: ServerProcess, raw_path: str) -> httpx.Response:
    """A GET of exactly ``raw_path`` (httpx would normalise ``..`` away), redirects followed."""
    with httpx.Client(follow_redirects=True) as http:
        request = http.build_request("GET", server.url)
        request.url = request.url.copy_with(raw_path=raw_path.encode("ascii"))
        return http.send(request)


def test_paths_out_of_the_job_directory_are_404(server, table):
    href, _ = table
    job_id = href.split("/jobs/")[1].split("/")[0]
    data_dir = Path(server.data_dir)
    (data_dir / "secret.txt").write_text("not for clients")
    other_id, _ = run(server, "sample_table", {"rows": 1})
    base = f"/jobs/{job_id}/files"
    attempts = [
        f"{base}/../secret.txt", f"{base}/..%2Fsecret.txt", f"{base}/%2e%2e/secret.txt",
        f"{base}/%2E%2E%2Fsecret.txt", f"{base}/%2e%2e%2f{other_id}%2ftable.csv",
        f"{base}/%2e%2e/%2e%2e/{other_id}/files/table.csv", f"{base}/..%5Csecret.txt",
        f"{base}//etc/passwd", f"{base}/%2Fetc%2Fpasswd", f"{base}/{data_dir}/secret.txt",
        f"{base}/%2e/table.csv", f"{base}/table.csv%00", f"{base}/", f"{base}",
        f"{base}/nothing.csv",
    ]
    for attempt in attempts:
        response = raw_get(server, attempt)
        # Either our 404 problem, or (for a path that leaves the route) the router's 404.
        assert response.status_code == 404, attempt
        assert_no_such_file(response)
        assert "not for clients" not in response.text, attempt
    # A symlink planted in the job's directory that points out of it is not followed...
    job_dir = data_dir / job_id
    (job_dir / "escape.txt").symlink_to(data_dir / "secret.txt")
    (job_dir / "escape_dir").symlink_to(data_dir, target_is_directory=True)
    assert_no_such_file(httpx.get(f"{server.url}{base}/escape.txt"))
    assert_no_such_file(httpx.get(f"{server.url}{base}/escape_dir/secret.txt"))
    # ...one that stays inside is, and a directory is not a file.
    (job_dir / "inside.csv").symlink_to(job_dir / "table.csv")
    assert httpx.get(f"{server.url}{base}/inside.csv").content == httpx.get(href).content
    (job_dir / "sub").mkdir()
    assert_no_such_file(httpx.get(f"{server.url}{base}/sub"))


def test_unknown_jobs_are_404(server):
    for job_id in ("job_999999", "nojob", "job_01", "..", "job_1%2F.."):
        response = raw_get(server, f"/jobs/{job_id}/files/table.csv")
        assert_no_such_file(response)


def test_files_of_a_dismissed_job_are_gone(server):
    job_id, results = run(server, "sample_quicklook", {"width": 8, "height": 8})
    href = results["quicklook"]["href"]
    job_dir = Path(server.data_dir) / job_id
    assert (job_dir / "quicklook.png").is_file()
    assert httpx.get(href).status_code == 200
    with Client(server.url) as client:
        assert client.dismiss_job(job_id).status == JobStatus.DISMISSED
    assert_no_such_file(httpx.get(href))
    assert not job_dir.exists()


# -- the token ----------------------------------------------------------------------------------


def test_files_need_the_token(server_factory, tmp_path):
    token_file = tmp_path / "token"
    token_file.write_text(TOKEN)
    token_file.chmod(0o600)
    secured = server_factory(store=":memory:", extra_args=["--token-file", str(token_file)])
    _, results = run(secured, "sample_table", {"rows": 3}, access_token=TOKEN)
    href = results["table"]["href"]
    assert href.startswith(secured.url + "/jobs/")
    refused = httpx.get(href)
    assert refused.status_code == 401 and refused.headers["content-type"] == PROBLEM_JSON
    assert httpx.get(href, headers={"Authorization": "Bearer wrong"}).status_code == 401
    allowed = httpx.get(href, headers={"Authorization": f"Bearer {TOKEN}"})
    assert allowed.status_code == 200 and allowed.text.startswith("station,")


def test_the_links_follow_the_url_the_request_used(server):
    # The same server reached as "localhost": the file links say so.
    url = server.url.replace("127.0.0.1", "localhost")
    with httpx.Client(base_url=url) as http:
        answer = http.post("/processes/sample_table/execution", json={"inputs": {"rows": 2}},
                           headers={"Host": f"files.example:{server.port}"})
    # raw (the default) and a file output: by reference, a Link header to the file
    assert answer.status_code == 204, answer.text
    [link] = [link for link in answer.headers.get_list("link") if 'rel="item"' in link]
    assert link.startswith(f"<http://files.example:{server.port}/jobs/job_")
    assert link.count("/files/table.csv>") == 1 and 'type="text/csv"' in link

"""Result files and previews: names, decoded downloads, CSV/GeoJSON previews, fetched links."""

from __future__ import annotations

import base64
import re
import struct
import zlib

import panel as pn

from procdeck.client.errors import ClientError
from procdeck.gui.results.files import MAX_DOWNLOAD_BYTES, extension_for, file_name, inline_file
from procdeck.gui.results.html import render_geojson_svg
from procdeck.gui.results.kinds import classify
from procdeck.gui.results.previews import parse_csv, render_preview
from procdeck.gui.results.view import FetchedDownload, ResultView
from procdeck.results import ResultTooLargeError


def png_bytes() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(
            ">I", zlib.crc32(kind + data))
    raw = b"\0\xff\0\0"
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def test_extensions_from_media_types() -> None:
    assert extension_for("text/csv") == ".csv"
    assert extension_for("application/geo+json") == ".geojson"
    assert extension_for("image/png") == ".png"
    assert extension_for("application/x-netcdf") == ".nc"
    assert extension_for("application/json; charset=utf-8") == ".json"
    assert extension_for(None) == ".bin"


def test_file_names_from_the_link_or_the_media_type() -> None:
    link = classify("t", {"href": "http://h/jobs/j1/files/out/table.csv", "type": "text/csv"}, "j1")
    assert file_name(link, "j1") == "table.csv"
    bare = classify("t", {"href": "http://h/jobs/j1/results/t", "type": "text/csv"}, "j1")
    assert file_name(bare, "j1") == "j1_t.csv"
    geo = classify("g", {"value": "{}", "mediaType": "application/geo+json"}, "j1")
    assert file_name(geo, "j1") == "j1_g.geojson"
    odd = classify("a/b", {"href": "http://h/x/..", "type": "image/png"}, "j 1")
    assert file_name(odd, "j 1") == "j_1_a_b.png"


def test_base64_qualified_values_download_decoded() -> None:
    data = png_bytes()
    item = classify("img", {"value": base64.b64encode(data).decode(), "mediaType": "image/png"},
                    "j")
    assert inline_file(item).data == data and inline_file(item).media_type == "image/png"
    coded = classify("b", {"value": base64.b64encode(b"abc").decode(), "encoding": "base64",
                           "mediaType": "application/octet-stream"}, "j")
    assert inline_file(coded).data == b"abc"
    text = classify("c", {"value": "a,b\n1,2\n", "mediaType": "text/csv"}, "j")
    assert inline_file(text).data == b"a,b\n1,2\n"
    assert inline_file(classify("n", {"k": 1}, "j")) is None  # JSON keeps the JSON download
    view = ResultView(object(), "j", results={"img": item.raw})
    [_, button] = pn.panel(view).select(pn.widgets.FileDownload)
    assert button.filename == "j_img.png" and button.callback().read() == data


def test_csv_preview_handles_quotes_ragged_rows_and_caps_rows() -> None:
    table = parse_csv('name,note\n"Bonn, DE","say ""hi"""\nx\n\na,b,c\n')
    assert table.columns == ["name", "note", "column 3"]
    assert table.rows == [["Bonn, DE", 'say "hi"', ""], ["x", "", ""], ["a", "b", "c"]]
    big = parse_csv("n\n" + "".join(f"{i}\n" for i in range(250)))
    assert len(big.rows) == 100 and big.total_rows == 250 and big.truncated
    html = render_preview("csv", b"a\n<b>x</b>\n")
    assert "&lt;b&gt;" in html and "<b>x" not in html


def test_geojson_plot_draws_points_lines_polygons_on_lon_lat_axes() -> None:
    value = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [-10, 40]}},
        {"type": "Feature", "geometry": {"type": "LineString", "coordinates": [[0, 45], [5, 50]]}},
        {"type": "Feature", "geometry": {
            "type": "Polygon", "coordinates": [[[10, 40], [20, 40], [20, 55], [10, 40]]]}},
    ]}
    svg = render_geojson_svg(value)
    assert "<circle" in svg and "<polyline" in svg and "<polygon" in svg
    assert 'aria-label="GeoJSON plot: lon -10 to 20, lat 40 to 55"' in svg
    ticks = re.findall(r'class="pdr-tick-[xy]"[^>]*>([^<]+)<', svg)
    assert ticks == ["-10", "20", "40", "55"]
    assert ">lon</text>" in svg and ">lat</text>" in svg


class FakeClient:
    """Only ``read_link`` (unit level): answers from a dict, or raises what it is given."""

    def __init__(self, files: dict) -> None:
        self.files = files
        self.calls: list[tuple[str, int | None]] = []

    def read_link(self, href: str, *, max_bytes: int | None = None):
        self.calls.append((href, max_bytes))
        answer = self.files[href]
        if isinstance(answer, Exception):
            raise answer
        return answer, None


def html_of(view: object) -> str:
    return "\n".join(p.object for p in pn.panel(view).select(pn.pane.HTML))


def test_link_previews_are_fetched_through_the_client() -> None:
    client = FakeClient({"http://h/t.csv": b"a,b\n1,2\n", "http://h/i.png": png_bytes(),
                         "http://h/g.geojson": b'{"type": "Point", "coordinates": [1, 2]}'})
    view = ResultView(client, "j", results={
        "t": {"href": "http://h/t.csv", "type": "text/csv"},
        "i": {"href": "http://h/i.png", "type": "image/png"},
        "g": {"href": "http://h/g.geojson", "type": "application/geo+json"}})
    markup = html_of(view)
    assert "<th>a</th><th>b</th>" in markup
    assert 'src="data:image/png;base64,' in markup and 'src="http://h/i.png"' not in markup
    assert "GeoJSON plot" in markup
    assert 'client.open_job_result(&quot;j&quot;, &quot;t&quot;)' in markup
    assert all(limit == 20 * 1024 * 1024 for _, limit in client.calls)


def test_download_fetches_the_file_and_shows_errors_then_works_again() -> None:
    import asyncio

    client = FakeClient({"http://h/t.csv": ClientError("server said no")})
    view = ResultView(client, "j", results={"t": {"href": "http://h/t.csv", "type": "text/png"}})
    [button] = [d for d in pn.panel(view).select(pn.widgets.FileDownload)
                if isinstance(d, FetchedDownload)]
    assert button.filename == "t.csv"
    assert asyncio.run(button._fetched()) is None
    assert "Could not download t: server said no" in html_of(view)
    assert "Traceback" not in html_of(view)
    client.files["http://h/t.csv"] = b"a,b\n"
    assert asyncio.run(button._fetched()).read() == b"a,b\n"
    assert "Could not download" not in html_of(view)
    assert client.calls[-1] == ("http://h/t.csv", MAX_DOWNLOAD_BYTES)


def test_large_links_and_zarr_have_no_download_button() -> None:
    view = ResultView(FakeClient({}), "j", results={
        "big": {"href": "http://h/big.nc", "type": "application/x-netcdf",
                "length": MAX_DOWNLOAD_BYTES + 1},
        "z": {"href": "http://h/s.zarr", "type": "application/zarr"}})
    assert not [d for d in pn.panel(view).select(pn.widgets.FileDownload)
                if isinstance(d, FetchedDownload)]
    markup = html_of(view)
    assert "procdeck results j --output big --download DIR" in markup
    assert "Zarr store is a directory" in markup
    assert "too large to preview" in markup


def test_a_link_found_too_large_while_downloading_says_how_to_get_it() -> None:
    import asyncio

    too_large = ResultTooLargeError("http://h/t.csv is larger", limit=10, size=11,
                                    url="http://h/t.csv")
    client = FakeClient({"http://h/t.csv": too_large})
    view = ResultView(client, "j", results={"t": {"href": "http://h/t.csv", "type": "text/csv"}})
    [button] = [d for d in pn.panel(view).select(pn.widgets.FileDownload)
                if isinstance(d, FetchedDownload)]
    assert asyncio.run(button._fetched()) is None
    markup = html_of(view)
    assert "Too large to download in the page" in markup
    assert "procdeck results j --output t --download DIR" in markup
    assert "No preview: the file is larger than 20.0 MB" in markup

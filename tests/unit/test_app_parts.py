"""The app's building blocks without a browser or a server: Markdown safety, backoff and
connection state, process search, request options, the process detail HTML."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from procdeck.client.errors import BadRequestError, ConnectionFailedError
from procdeck.gui.browser import ProcessCatalog, matches_query
from procdeck.gui.connection import (
    Backoff,
    ConnectionMonitor,
    describe_error,
    is_connection_error,
)
from procdeck.gui.markdown import render_markdown, safe_href
from procdeck.gui.process_info import process_header_html, process_io_html, schema_summary
from procdeck.gui.request_panel import RequestOptions, output_formats
from procdeck.gui.runtime import call_client
from procdeck.models import ApiError, ProcessDescription, ProcessSummary, Schema

DATA = Path(__file__).resolve().parents[1] / "data"


def description(name: str) -> ProcessDescription:
    return ProcessDescription.model_validate(json.loads((DATA / f"{name}.json").read_text()))


# -- Markdown -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "evil",
    [
        "<script>alert(1)</script>",
        '<img src=x onerror="alert(1)">',
        '<a href="javascript:alert(1)">x</a>',
        "<iframe src='http://evil'></iframe>",
    ],
)
def test_markdown_escapes_raw_html(evil: str) -> None:
    out = render_markdown(f"before {evil} after")
    assert "<script" not in out and "<img" not in out and "<iframe" not in out
    assert "<a href" not in out
    assert "&lt;" in out  # shown as text, not dropped silently


def test_markdown_keeps_formatting_and_safe_links_only() -> None:
    out = render_markdown("**bold** `code` [ok](https://example.org) [bad](javascript:alert(1))")
    assert "<strong>bold</strong>" in out and "<code>code</code>" in out
    assert 'href="https://example.org"' in out and 'rel="noopener noreferrer nofollow"' in out
    assert "javascript:" not in out.split("[bad]")[0]
    assert 'href="javascript' not in out


def test_markdown_images_become_links_so_nothing_is_fetched() -> None:
    out = render_markdown("![chart](https://example.org/c.png) ![local](file:///etc/passwd)")
    assert "<img" not in out
    assert '<a href="https://example.org/c.png"' in out and ">chart</a>" in out
    assert "file://" not in out.replace("![local](file:///etc/passwd)", "")


def test_safe_href() -> None:
    assert safe_href(" https://a.b/c ") == "https://a.b/c"
    assert safe_href("mailto:x@y.z") == "mailto:x@y.z"
    assert safe_href("javascript:alert(1)") is None
    assert safe_href("/relative") is None
    assert safe_href(None) is None


# -- connection -------------------------------------------------------------------------------


def test_backoff_grows_and_is_capped() -> None:
    backoff = Backoff(initial=0.5, factor=2, maximum=3)
    assert [backoff.next_delay() for _ in range(5)] == [0.5, 1, 2, 3, 3]
    backoff.reset()
    assert backoff.next_delay() == 0.5


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


async def test_monitor_backs_off_and_recovers() -> None:
    clock = FakeClock()
    answers: list[BaseException | None] = [ConnectionFailedError("refused")] * 3 + [None]
    probes: list[float] = []
    recovered: list[str] = []

    async def probe() -> None:
        probes.append(clock.now)
        outcome = answers.pop(0)
        if outcome is not None:
            raise outcome

    monitor = ConnectionMonitor(
        probe, clock=clock, backoff=Backoff(1, 2, 10), healthy_interval=5, server_url="http://srv"
    )
    monitor.on_recover(lambda: recovered.append("sync callback"))

    async def async_callback() -> None:
        recovered.append("async callback")

    monitor.on_recover(async_callback)
    await monitor.tick()  # due at once: fails
    assert monitor.status == "offline" and monitor.failures == 1
    assert monitor.retry_in() == pytest.approx(1)
    assert "unreachable" in monitor.message and "http://srv" in monitor.message
    await monitor.tick()  # not due yet: no probe
    assert len(probes) == 1
    clock.now += 1
    await monitor.tick()  # second failure: wait 2 s now
    assert monitor.retry_in() == pytest.approx(2)
    clock.now += 2
    await monitor.tick()
    assert monitor.failures == 3 and monitor.retry_in() == pytest.approx(4)
    monitor.retry_now()  # the person asks: probe at once
    await monitor.tick()
    assert monitor.status == "online" and monitor.failures == 0 and monitor.retry_in() is None
    assert recovered == ["sync callback", "async callback"]
    assert probes == [100, 101, 103, 103]
    # while online, the next health probe is healthy_interval away
    await monitor.tick()
    assert len(probes) == 4


async def test_monitor_treats_probe_http_errors_as_unusable_server() -> None:
    async def probe() -> None:
        raise BadRequestError("nope", status=500, title="Internal error")

    monitor = ConnectionMonitor(probe)
    assert await monitor.check() is False
    assert monitor.status == "offline"


async def test_call_client_runs_sync_calls_off_the_loop_and_awaits_async_ones() -> None:
    import threading

    main = threading.get_ident()

    def sync_call(x: int) -> tuple[int, bool]:
        return x * 2, threading.get_ident() != main

    async def async_call(x: int) -> int:
        return x + 1

    assert await call_client(sync_call, 4) == (8, True)
    assert await call_client(async_call, 4) == 5


def test_describe_error_prefers_rfc7807_fields_and_never_a_traceback() -> None:
    problem = ApiError(title="Invalid inputs", detail="duration: must be >= 0", status=400)
    error = BadRequestError("POST /x: 400", status=400, problem=problem)
    assert describe_error(error) == ("Invalid inputs", "duration: must be >= 0")
    title, detail = describe_error(ConnectionFailedError("http://h:1/: connection refused"))
    assert title == "Connection failed" and "connection refused" in detail
    assert describe_error(ValueError("boom")) == ("Value", "boom")
    assert is_connection_error(ConnectionFailedError("x"))
    assert not is_connection_error(error)


# -- process catalog ---------------------------------------------------------------------------


def summaries() -> list[ProcessSummary]:
    return [
        ProcessSummary(id="sleep_a_while", title="Sleep Processor", keywords=["test"]),
        ProcessSummary(id="primes_between", title="Prime Processor", keywords=["math"]),
        ProcessSummary(
            id="simulate_scene",
            title="Generate scene for testing",
            keywords=["earth observation", "zarr"],
        ),
    ]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", ["sleep_a_while", "primes_between", "simulate_scene"]),
        ("prime", ["primes_between"]),
        ("PROCESSOR", ["sleep_a_while", "primes_between"]),
        ("zarr", ["simulate_scene"]),  # keyword
        ("scene testing", ["simulate_scene"]),  # every word must match
        ("_a_wh", ["sleep_a_while"]),  # id
        ("nothing-like-this", []),
    ],
)
def test_catalog_search_by_title_id_and_keywords(query: str, expected: list[str]) -> None:
    catalog = ProcessCatalog()
    catalog.set_processes(summaries())
    catalog.query = query
    assert [p.id for p in catalog.visible] == expected
    assert all(matches_query(p, query) for p in catalog.visible)


def test_catalog_keeps_selection_only_while_the_process_exists() -> None:
    catalog = ProcessCatalog()
    assert not catalog.loaded
    catalog.set_processes(summaries())
    catalog.selected_id = "primes_between"
    catalog.set_processes(summaries()[1:])
    assert catalog.selected_id == "primes_between" and catalog.loaded
    catalog.set_processes(summaries()[2:])
    assert catalog.selected_id is None
    assert catalog.get("simulate_scene") is not None and catalog.get("nope") is None


# -- request options --------------------------------------------------------------------------


def two_outputs(**extra: object) -> ProcessDescription:
    return ProcessDescription.model_validate(
        {
            "id": "p",
            "inputs": {},
            "outputs": {
                "image": {
                    "title": "Image",
                    "schema": {
                        "oneOf": [
                            {
                                "type": "string",
                                "contentMediaType": "image/png",
                                "contentEncoding": "base64",
                            },
                            {"type": "string", "contentMediaType": "image/tiff"},
                        ]
                    },
                },
                "stats": {"title": "Statistics", "schema": {"type": "object"}},
            },
            **extra,
        }
    )


def test_request_options_send_nothing_until_the_person_chooses() -> None:
    options = RequestOptions(two_outputs())
    assert options.parts() == {}
    assert not options.mode_choice and options.mode == "async"
    assert options.outputs["image"].formats == ["image/png", "image/tiff"]


def test_request_options_outputs_transmission_and_format() -> None:
    options = RequestOptions(two_outputs(outputTransmission=["value", "reference"]))
    fired: list[int] = []
    options.param.watch(lambda _e: fired.append(1), "changed")
    options.outputs["stats"].include = False
    assert options.parts() == {"outputs": {"image": {}}}
    options.outputs["image"].transmission = "reference"
    options.outputs["image"].media_type = "image/tiff"
    assert options.parts() == {
        "outputs": {
            "image": {"transmissionMode": "reference", "format": {"mediaType": "image/tiff"}}
        }
    }
    assert len(fired) == 3
    assert options.transmissions == ["value", "reference"]
    only_value = RequestOptions(two_outputs(outputTransmission=["value"]))
    assert only_value.transmissions == []  # nothing to choose


def test_request_options_apply_a_saved_request() -> None:
    options = RequestOptions(two_outputs())
    options.apply({"outputs": {"stats": {"transmissionMode": "value"}}})
    assert not options.outputs["image"].include
    assert options.outputs["stats"].include and options.outputs["stats"].transmission == "value"
    assert options.parts() == {"outputs": {"stats": {"transmissionMode": "value"}}}
    options.apply({"inputs": {}})  # no outputs: back to the server's defaults
    assert options.parts() == {}


def test_request_options_mode_follows_job_control_options() -> None:
    both = RequestOptions(two_outputs(jobControlOptions=["sync-execute", "async-execute"]))
    assert both.mode_choice and both.mode == "async" and both.has_choices
    sync_only = RequestOptions(two_outputs(jobControlOptions=["sync-execute"]))
    assert not sync_only.mode_choice and sync_only.mode == "sync"


def test_output_formats_of_a_plain_output() -> None:
    desc = description("sleep_a_while")
    assert output_formats(next(iter(desc.outputs.values()))) == []


# -- process detail --------------------------------------------------------------------------


def test_process_detail_escapes_everything_from_the_server() -> None:
    desc = ProcessDescription.model_validate(
        {
            "id": "x<script>",
            "title": "<b>Title</b>",
            "version": "1<i>",
            "description": "Uses <script>alert(1)</script> and **bold**",
            "keywords": ["<em>k</em>"],
            "links": [
                {"href": "javascript:alert(1)", "title": "bad"},
                {"href": "https://example.org/doc", "title": "Docs <x>"},
            ],
            "inputs": {
                "a<": {
                    "title": "<u>A</u>",
                    "schema": {"type": "number", "minimum": 0, "maximum": 1},
                }
            },
            "outputs": {"o": {"title": "O", "schema": {"type": "string"}}},
        }
    )
    html = process_header_html(desc) + process_io_html(desc)
    for tag in ("<script", "<b>", "<i>", "<em>", "<u>", "<x>", "javascript:"):
        assert tag not in html
    assert "<strong>bold</strong>" in html
    assert 'href="https://example.org/doc"' in html and "Docs &lt;x&gt;" in html
    assert "number (0 … 1)" in html


def test_schema_summary() -> None:
    assert schema_summary(Schema(type="string", format="date")) == "string, date"
    assert schema_summary(Schema(enum=["a", "b"])) == "one of a, b"
    assert schema_summary(Schema(type="array", items=Schema(type="number"))) == ("array of number")
    assert schema_summary(Schema(type="integer", minimum=1)) == "integer (≥ 1)"
    assert schema_summary(Schema(oneOf=[Schema(type="string"), Schema(type="number")])) == (
        "one of 2 kinds"
    )

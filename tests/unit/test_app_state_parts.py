"""The view-models AppState is made of (procdeck.gui.state), each on its own, without a
server: the description cache, the process list's retry, drafts and their handover,
request files, why Execute is disabled, and the connection monitor's client calls."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from procdeck._util.backoff import Backoff
from procdeck.client.errors import BadRequestError, ConnectionFailedError
from procdeck.gui.browser import ProcessCatalog
from procdeck.gui.connection import ConnectionMonitor
from procdeck.gui.state.descriptions import DescriptionCache
from procdeck.gui.state.drafts import Drafts
from procdeck.gui.state.execution import MAX_BLOCKERS_SHOWN, blockers_of
from procdeck.gui.state.processes import ProcessLoader
from procdeck.gui.state.request_file import (
    RequestLoadError,
    fill_from_request,
    read_request,
    request_filename,
)
from procdeck.models import ProcessDescription, ProcessList, ProcessSummary

DATA = Path(__file__).resolve().parents[1] / "data"


def description(name: str) -> ProcessDescription:
    return ProcessDescription.model_validate(json.loads((DATA / f"{name}.json").read_text()))


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


async def no_probe() -> None:
    return None


# -- description cache -------------------------------------------------------------------------


async def test_description_cache_shares_one_fetch_in_flight() -> None:
    calls: list[str] = []
    release = asyncio.Event()
    sleep = description("sleep_a_while")

    async def fetch(process_id: str) -> ProcessDescription:
        calls.append(process_id)
        await release.wait()
        return sleep

    cache = DescriptionCache(fetch)
    first = asyncio.ensure_future(cache.fetch(sleep.id))
    second = asyncio.ensure_future(cache.fetch(sleep.id))
    await asyncio.sleep(0)
    assert cache.is_fetching(sleep.id) and cache.get(sleep.id) is None
    release.set()
    assert await first is sleep and await second is sleep
    assert calls == [sleep.id]  # one request for both
    assert cache.get(sleep.id) is sleep and not cache.is_fetching(sleep.id)
    assert await cache.fetch(sleep.id) is sleep and calls == [sleep.id]  # cached


async def test_description_cache_keeps_fetching_when_one_caller_gives_up() -> None:
    release = asyncio.Event()
    sleep = description("sleep_a_while")

    async def fetch(process_id: str) -> ProcessDescription:
        await release.wait()
        return sleep

    cache = DescriptionCache(fetch)
    gives_up = asyncio.ensure_future(cache.fetch(sleep.id))
    waits = asyncio.ensure_future(cache.fetch(sleep.id))
    await asyncio.sleep(0)
    gives_up.cancel()
    release.set()
    assert await waits is sleep
    assert cache.get(sleep.id) is sleep


async def test_description_cache_does_not_keep_a_failure() -> None:
    answers: list[Any] = [BadRequestError("nope", status=404, title="No such process"),
                          description("sleep_a_while")]

    async def fetch(process_id: str) -> ProcessDescription:
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    cache = DescriptionCache(fetch)
    with pytest.raises(BadRequestError):
        await cache.fetch("sleep_a_while")
    assert cache.get("sleep_a_while") is None
    assert (await cache.fetch("sleep_a_while")).id == "sleep_a_while"  # asked again


async def test_prefetch_fetches_what_is_missing_at_most_n_at_a_time() -> None:
    running, most = 0, 0

    async def fetch(process_id: str) -> ProcessDescription:
        nonlocal running, most
        running += 1
        most = max(most, running)
        await asyncio.sleep(0.01)
        running -= 1
        if process_id == "broken":
            raise BadRequestError("nope", status=500, title="Internal error")
        return ProcessDescription.model_validate({"id": process_id, "inputs": {},
                                                  "outputs": {}})

    cache = DescriptionCache(fetch)
    cache.cached["known"] = description("sleep_a_while")
    await cache.prefetch(["known", "broken", *(f"p{n}" for n in range(6))], concurrency=2)
    assert most == 2
    assert set(cache.cached) == {"known", *(f"p{n}" for n in range(6))}  # failures ignored
    assert cache.cached["known"].id == "sleep_a_while"  # not fetched again


# -- the process list ----------------------------------------------------------------------------


def summaries() -> ProcessList:
    return ProcessList(processes=[ProcessSummary(id="sleep_a_while", title="Sleep")], links=[])


async def test_a_refused_process_list_is_asked_again_with_backoff() -> None:
    clock = FakeClock()
    answers: list[Any] = [BadRequestError("no", status=503, title="Unavailable")] * 3
    answers.append(summaries())
    problems: list[BaseException] = []
    catalog = ProcessCatalog()

    async def fetch() -> ProcessList:
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    loader = ProcessLoader(catalog, ConnectionMonitor(no_probe), fetch, problems.append,
                           backoff=Backoff(1, 2, 10), clock=clock)
    assert not loader.is_due()  # nothing refused yet
    assert await loader.load() is False
    assert catalog.load_error == "Unavailable" and not catalog.loaded
    assert not loader.is_due()
    clock.now += 1
    assert loader.is_due()
    assert await loader.load() is False
    clock.now += 1
    assert not loader.is_due()  # waits 2 s now
    clock.now += 1
    assert loader.is_due()
    assert await loader.load() is False
    assert len(problems) == 1  # told once, not at every retry
    clock.now += 4
    assert await loader.load() is True
    assert catalog.loaded and catalog.load_error == "" and loader.backoff.failures == 0
    assert not loader.is_due()


async def test_no_list_retry_is_due_while_offline_or_busy() -> None:
    clock = FakeClock()
    release = asyncio.Event()
    catalog = ProcessCatalog()
    catalog.load_error = "Unavailable"
    calls: list[int] = []

    async def fetch() -> ProcessList:
        calls.append(1)
        await release.wait()
        return summaries()

    connection = ConnectionMonitor(no_probe)
    loader = ProcessLoader(catalog, connection, fetch, lambda _error: None, clock=clock)
    assert loader.is_due()
    connection.report_failure(ConnectionFailedError("refused"))
    assert not loader.is_due()  # the monitor retries by itself
    await connection.report_success()
    first = asyncio.ensure_future(loader.load())
    second = asyncio.ensure_future(loader.load())
    await asyncio.sleep(0)
    assert loader.busy and not loader.is_due()
    release.set()
    assert await first and await second
    assert calls == [1]  # one request, shared
    assert not loader.busy


async def test_a_connection_failure_is_left_to_the_monitor() -> None:
    catalog = ProcessCatalog()
    problems: list[BaseException] = []

    async def fetch() -> ProcessList:
        raise ConnectionFailedError("refused")

    loader = ProcessLoader(catalog, ConnectionMonitor(no_probe), fetch, problems.append)
    assert await loader.load() is False
    assert catalog.load_error == "" and problems == [] and not loader.is_due()


# -- drafts and their handover -----------------------------------------------------------------


def listed_catalog() -> ProcessCatalog:
    catalog = ProcessCatalog()
    catalog.set_processes([ProcessSummary(id="sleep_a_while"),
                           ProcessSummary(id="primes_between")])
    return catalog


def test_drafts_are_built_once_and_report_changes() -> None:
    changes: list[int] = []
    drafts = Drafts(listed_catalog(), on_change=lambda: changes.append(1))
    sleep = description("sleep_a_while")
    drafts.ensure(sleep)
    form = drafts.forms[sleep.id]
    drafts.ensure(sleep)
    assert drafts.forms[sleep.id] is form
    form.value = {"duration": 2, "fail": True}
    assert changes


def test_drafts_survive_a_handover_and_are_carried_until_opened() -> None:
    old = Drafts(listed_catalog(), on_change=lambda: None)
    sleep, primes = description("sleep_a_while"), description("primes_between")
    old.ensure(sleep)
    old.ensure(primes)
    old.forms[sleep.id].value = {"duration": 2.5, "fail": True}
    old.catalog.selected_id = sleep.id
    old.catalog.query = "sle"
    snapshot = old.snapshot()
    json.dumps(snapshot)  # plain data

    new = Drafts(listed_catalog(), on_change=lambda: None)
    new.restore(snapshot)
    assert new.catalog.query == "sle"
    assert new.snapshot()["drafts"] == snapshot["drafts"]  # nothing opened: still carried
    new.ensure(sleep)
    assert new.forms[sleep.id].value == {"duration": 2.5, "fail": True}
    assert new.snapshot()["drafts"] == snapshot["drafts"]
    assert new.take_selection() == sleep.id
    assert new.take_selection() is None  # once


def test_a_handed_over_selection_of_an_unlisted_process_is_dropped() -> None:
    drafts = Drafts(listed_catalog(), on_change=lambda: None)
    drafts.restore({"selected": "gone", "drafts": {"gone": "not a draft"}, "query": 3})
    assert drafts.take_selection() is None
    assert drafts.snapshot() == {"selected": None, "query": "", "drafts": {}}


# -- request files ---------------------------------------------------------------------------


def test_request_files_are_read_and_unknown_inputs_reported() -> None:
    from procdeck.forms import InputForm
    from procdeck.gui.request_panel import RequestOptions

    sleep = description("sleep_a_while")
    assert request_filename(sleep) == "sleep_a_while-request.json"
    assert request_filename(None) == "request.json"
    with pytest.raises(RequestLoadError, match="not JSON"):
        read_request(b"{nope")
    with pytest.raises(RequestLoadError, match="JSON object"):
        read_request("[1]")
    form, options = InputForm(sleep), RequestOptions(sleep)
    request = read_request('{"inputs": {"duration": 1.5, "colour": "red"}}')
    assert fill_from_request(sleep, form, options, request) == ["colour"]
    assert form.value["duration"] == 1.5


# -- why Execute is disabled ---------------------------------------------------------------------


def test_blockers_name_the_form_errors_and_a_lost_server() -> None:
    from procdeck.forms import InputForm

    assert blockers_of(None, offline=False) == ["Select a process first."]
    form = InputForm(description("sleep_a_while"))
    assert blockers_of(form, offline=False) == []
    assert blockers_of(form, offline=True) == ["The server is unreachable."]
    many = ProcessDescription.model_validate({
        "id": "many", "outputs": {},
        "inputs": {f"i{n}": {"schema": {"type": "string"}} for n in range(9)},
    })
    reasons = blockers_of(InputForm(many), offline=False)
    assert len(reasons) == MAX_BLOCKERS_SHOWN + 1
    assert reasons[-1] == f"… and {9 - MAX_BLOCKERS_SHOWN} more"


# -- the connection monitor's client calls ---------------------------------------------------------


async def test_monitor_calls_report_their_outcome_and_count_down() -> None:
    clock = FakeClock()
    monitor = ConnectionMonitor(no_probe, clock=clock, backoff=Backoff(3, 2, 10),
                                server_url="http://someone:secret@srv")
    assert monitor.server_url == "http://someone:****@srv"

    def refused() -> None:
        raise ConnectionFailedError("refused")

    with pytest.raises(ConnectionFailedError):
        await monitor.call(refused)
    assert monitor.status == "offline" and monitor.retry_in_s == 3
    clock.now += 1.2
    await monitor.tick()
    assert monitor.retry_in_s == 2
    clock.now += 1.3
    await monitor.tick()
    assert monitor.retry_in_s == 0  # under a second: any moment now
    def refused_by_the_server() -> None:
        raise BadRequestError("no", status=400, title="Bad")

    with pytest.raises(BadRequestError):  # an HTTP error changes nothing here
        await monitor.call(refused_by_the_server)
    assert monitor.status == "offline"
    assert await monitor.call(lambda x: x * 2, 21) == 42
    assert monitor.status == "online" and monitor.retry_in_s is None

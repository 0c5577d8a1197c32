"""The app's view-model (AppState) against the real procdeck server, without a browser:
process list and search, selection, drafts per process, request building, save/load,
execute success and failure, connection loss and recovery."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from procdeck.client import Client
from procdeck.gui.app_state import AppState, RequestLoadError
from procdeck.models import JobStatus, ProcessDescription

pytestmark = pytest.mark.integration

DEMO_IDS = {
    "sleep_a_while",
    "primes_between",
    "simulate_scene",
    "return_base_model",
    "showcase_inputs",
    "sample_table",
    "sample_features",
    "sample_quicklook",
    "sample_netcdf",
    "sample_zarr",
}


@pytest.fixture
def client(live_server: str) -> Iterator[Client]:
    with Client(server_url=live_server, timeout=10) as client:
        yield client


@pytest.fixture
async def state(client: Client) -> AppState:
    state = AppState(client)
    await state.start()
    return state


async def test_start_lists_the_servers_processes_and_goes_online(
    state: AppState, live_server: str
) -> None:
    assert {p.id for p in state.catalog.processes} >= DEMO_IDS
    assert state.catalog.loaded
    assert state.connection.status == "online"
    assert live_server in state.connection.message
    # descriptions are fetched ahead, so a click needs no round trip
    assert set(state.descriptions) >= DEMO_IDS
    state.catalog.query = "prime"
    assert [p.id for p in state.catalog.visible] == ["primes_between"]
    state.catalog.query = "forms"  # a keyword of the showcase process
    assert [p.id for p in state.catalog.visible] == ["showcase_inputs"]


async def test_select_loads_description_form_and_request(state: AppState) -> None:
    assert state.blockers == [] or state.description is None
    description = await state.select("sleep_a_while")
    assert isinstance(description, ProcessDescription)
    assert state.description is description and state.catalog.selected_id == "sleep_a_while"
    assert state.request == {"inputs": {"duration": 10, "fail": False}}
    assert state.blockers == [] and state.can_execute
    assert state.request_filename() == "sleep_a_while-request.json"


async def test_invalid_form_blocks_execute_with_reasons(state: AppState) -> None:
    await state.select("showcase_inputs")
    assert state.form is not None
    assert not state.form.is_valid  # "title" is required and has no default
    assert any(reason.startswith("title") for reason in state.blockers)
    assert not state.can_execute
    assert await state.execute() is None
    assert state.problem is not None and state.problem.title == "Cannot execute yet"
    state.form.value = {**state.form.value, "title": "A run"}
    assert state.blockers == [] and state.can_execute
    state.form.value = {**state.form.value, "count": 11}  # maximum is 10
    assert any(reason.startswith("count") for reason in state.blockers)


async def test_drafts_survive_switching_processes(state: AppState) -> None:
    await state.select("sleep_a_while")
    sleep_form = state.form
    assert sleep_form is not None
    sleep_form.value = {"duration": 3.5, "fail": True}
    await state.select("primes_between")
    assert state.request["inputs"] == {"min_val": 0, "max_val": 100}
    await state.select("sleep_a_while")
    assert state.form is sleep_form
    assert state.request["inputs"] == {"duration": 3.5, "fail": True}


async def test_execute_starts_a_job_on_the_server(state: AppState, client: Client) -> None:
    started: list[tuple[Any, str, dict[str, Any]]] = []
    state.on_job_started(lambda job, pid, request: started.append((job, pid, request)))
    await state.select("sleep_a_while")
    state.form.value = {"duration": 0.2, "fail": False}
    job = await state.execute()
    assert job is not None and job.jobID
    assert state.last_job is job and not state.executing
    assert started == [(job, "sleep_a_while", {"inputs": {"duration": 0.2, "fail": False}})]
    on_server = client.get_job(job.jobID)
    assert on_server.processID == "sleep_a_while"
    finished = client.wait_for_job(job.jobID, timeout=20)
    assert finished.status == JobStatus.SUCCESSFUL


async def test_execute_failure_shows_the_servers_problem(state: AppState) -> None:
    # A process the server no longer has (the list was loaded before it went away).
    gone = ProcessDescription.model_validate(
        {"id": "vanished_process", "title": "Vanished", "inputs": {}, "outputs": {}}
    )
    state.descriptions[gone.id] = gone
    await state.select(gone.id)
    assert state.can_execute
    assert await state.execute() is None
    assert state.problem is not None and state.problem.kind == "error"
    assert state.problem.title  # the server's RFC 7807 title, e.g. "No such process"
    assert "Traceback" not in state.problem.title + state.problem.detail
    assert "vanished_process" in state.problem.title + state.problem.detail
    assert state.connection.status == "online"  # an HTTP error is not a lost connection
    assert state.last_job is None


async def test_unknown_process_shows_load_error(state: AppState) -> None:
    assert await state.select("no_such_process_here") is None
    assert state.description is None
    assert state.load_error
    assert state.problem is not None and state.problem.kind == "error"


async def test_save_and_load_request_round_trip_including_oneof_branch(state: AppState) -> None:
    await state.select("showcase_inputs")
    form = state.form
    assert form is not None
    wanted = {
        **form.value,
        "title": "Loaded run",
        "count": 7,
        "source": {"kind": "url", "url": "https://example.org/data.csv"},
        "settings": {"name": "nested", "verbose": True, "scale": {"low": 0.25, "high": 2.0}},
    }
    form.value = wanted
    saved = json.dumps(state.build_request())
    form.reset()
    assert form.value["source"]["kind"] == "inline"
    unknown = state.load_request(saved)
    assert unknown == []
    assert state.request["inputs"]["source"] == {
        "kind": "url",
        "url": "https://example.org/data.csv",
    }
    assert state.request["inputs"]["settings"]["scale"] == {"low": 0.25, "high": 2.0}
    assert state.request["inputs"]["count"] == 7
    assert state.blockers == []


async def test_load_request_rejects_what_is_not_a_request(state: AppState) -> None:
    await state.select("sleep_a_while")
    with pytest.raises(RequestLoadError, match="not JSON"):
        state.load_request("{not json")
    with pytest.raises(RequestLoadError, match="JSON object"):
        state.load_request("[1, 2]")
    # loose keys are inputs (like ProcessRequest); unknown inputs are reported and ignored
    unknown = state.load_request({"duration": 1.5, "colour": "red"})
    assert unknown == ["colour"]
    assert state.request["inputs"]["duration"] == 1.5


async def test_loading_before_selecting_is_refused(client: Client) -> None:
    state = AppState(client)
    with pytest.raises(RequestLoadError, match="Select a process"):
        state.load_request({"inputs": {}})


async def test_lost_server_goes_offline_blocks_execute_and_recovers(server_factory) -> None:
    server = server_factory()
    with Client(server_url=server.url, timeout=5) as client:
        state = AppState(client)
        await state.select("sleep_a_while")  # before the list: selection alone works too
        await state.start()
        assert state.connection.status == "online"
        server.stop()
        assert await state.execute() is None
        assert state.connection.status == "offline"
        assert state.problem is not None and state.problem.kind == "error"
        assert "The server is unreachable." in state.blockers
        assert await state.connection.check() is False
        assert state.connection.failures >= 2
        server.start()
        state.connection.retry_now()
        await state.connection.tick()
        assert state.connection.status == "online"
        assert "The server is unreachable." not in state.blockers
        job = await state.execute()
        assert job is not None


async def test_offline_at_start_recovers_and_loads_processes(server_factory) -> None:
    server = server_factory()
    url = server.url
    server.stop()
    with Client(server_url=url, timeout=5) as client:
        state = AppState(client)
        await state.start()
        assert state.connection.status == "offline" and not state.catalog.loaded
        server.start()
        state.connection.retry_now()
        await state.connection.tick()
        assert state.connection.status == "online"
        assert state.catalog.loaded and {p.id for p in state.catalog.processes} >= DEMO_IDS


class ModeClient(Client):
    """procdeck's client (which takes ``mode``), recording the modes it was asked for."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.modes: list[str] = []

    def execute_process(self, process_id: str, request: Any = None,  # type: ignore[override]
                        mode: Any = "async") -> Any:
        self.modes.append(mode)
        return super().execute_process(process_id, request, mode)


async def test_execution_mode_is_offered_when_the_process_allows_both(
        live_server: str, client: Client) -> None:
    both = client.get_process("sleep_a_while").model_copy(
        update={"jobControlOptions": ["sync-execute", "async-execute", "dismiss"]})
    real = AppState(client)
    real.descriptions[both.id] = both
    await real.select(both.id)
    assert real.request_options.mode_choice  # procdeck's own client can

    with ModeClient(server_url=live_server) as mode_client:
        state = AppState(mode_client)
        state.descriptions[both.id] = both
        await state.select(both.id)
        options = state.request_options
        assert options.mode_choice and options.mode == "async"
        options.mode = "sync"
        state.form.value = {"duration": 0.1, "fail": False}
        assert await state.execute() is not None
        assert mode_client.modes == ["sync"]


async def test_reuse_request_selects_the_process_and_refills_its_form(state: AppState) -> None:
    await state.select("primes_between")
    assert await state.reuse_request("sleep_a_while", {"inputs": {"duration": 7, "fail": True}})
    assert state.description.id == "sleep_a_while" and state.catalog.selected_id == "sleep_a_while"
    assert state.request["inputs"] == {"duration": 7, "fail": True}
    assert not await state.reuse_request("sleep_a_while", {"inputs": "not an object"})
    assert state.problem is not None and state.problem.title == "Could not reuse the request"
    assert not await state.reuse_request("no_such_process_here", {"inputs": {}})


async def test_works_with_the_async_client_too(live_server: str) -> None:
    from procdeck.client import AsyncClient

    async with AsyncClient(server_url=live_server, timeout=10) as client:
        state = AppState(client)
        await state.start()
        assert state.connection.status == "online" and state.catalog.loaded
        await state.select("primes_between")
        state.form.value = {"min_val": 10, "max_val": 20}
        job = await state.execute()
        assert job is not None
        finished = await client.wait_for_job(job.jobID, timeout=20)
        assert finished.status == JobStatus.SUCCESSFUL
        assert (await client.get_job_results(job.jobID)).value("return_value") == [11, 13, 17, 19]


# -- theme switch: the session hands its drafts to the one that replaces it ----------------

AMBIGUOUS = ProcessDescription.model_validate({
    "id": "ambiguous_choice", "title": "Ambiguous", "outputs": {},
    "inputs": {"target": {"title": "Target", "schema": {"oneOf": [
        {"title": "By name", "type": "object", "properties": {"name": {"type": "string"}}},
        {"title": "By code", "type": "object", "properties": {"code": {"type": "string"}}},
    ]}}},
})


async def test_snapshot_and_restore_carry_selection_drafts_and_branches(client: Client) -> None:
    old = AppState(client)
    await old.start()
    await old.select("showcase_inputs")
    old.form.value = {**old.form.value, "title": "Kept", "count": 4,
                      "source": {"kind": "url", "url": "https://example.org/x.csv"}}
    old.descriptions[AMBIGUOUS.id] = AMBIGUOUS
    await old.select(AMBIGUOUS.id)
    # an empty draft fits both branches: only the explicit branch says which one was chosen
    choice = old.form.field("target")
    choice.branch = 1
    await old.select("sleep_a_while")
    old.form.value = {"duration": 2.5, "fail": True}
    old.catalog.query = "sleep"

    snapshot = old.snapshot()
    json.dumps(snapshot)  # plain data, nothing tied to the old session
    new = AppState(client)
    new.descriptions[AMBIGUOUS.id] = AMBIGUOUS
    new.restore(snapshot)
    assert new.snapshot()["drafts"] == snapshot["drafts"]  # not opened yet: still carried
    await new.start()
    assert new.catalog.selected_id == "sleep_a_while" and new.catalog.query == "sleep"
    assert new.request["inputs"] == {"duration": 2.5, "fail": True}
    await new.select("showcase_inputs")
    inputs = new.request["inputs"]
    assert inputs["title"] == "Kept" and inputs["count"] == 4
    assert inputs["source"] == {"kind": "url", "url": "https://example.org/x.csv"}
    await new.select(AMBIGUOUS.id)
    assert new.form.field("target").branch == 1
    assert new.snapshot()["drafts"] == snapshot["drafts"]


async def test_restore_ignores_drafts_of_unknown_processes_and_odd_data(client: Client) -> None:
    state = AppState(client)
    state.restore({"selected": "no_such_process", "drafts": {"x": "not a draft"}, "query": 3})
    await state.start()
    assert state.catalog.selected_id is None and state.description is None
    assert state.catalog.query == ""


def test_handover_token_is_consumed_once() -> None:
    from procdeck.gui.handover import HandoverStore

    store = HandoverStore()
    payload = {"drafts": {"p": {"inputs": {"a": [1, 2]}}}}
    token = store.put(payload)
    payload["drafts"]["p"]["inputs"]["a"].append(3)  # the store kept its own copy
    assert store.take(token) == {"drafts": {"p": {"inputs": {"a": [1, 2]}}}}
    assert store.take(token) is None
    assert len(store) == 0
    assert store.put(payload) != token  # random, one per handover


def test_handover_unknown_token_is_ignored() -> None:
    from procdeck.gui.handover import HandoverStore

    store = HandoverStore()
    token = store.put({"selected": "p"})
    assert store.take("not-a-token") is None
    assert store.take("") is None and store.take(None) is None
    assert store.take(token) == {"selected": "p"}  # the real one is untouched


def test_handover_expires_and_is_bounded() -> None:
    from procdeck.gui.handover import HANDOVER_TTL, HandoverStore

    now = [1000.0]
    store = HandoverStore(limit=3, clock=lambda: now[0])
    token = store.put("x")
    now[0] += HANDOVER_TTL - 1
    fresh = store.put("y")
    now[0] += 2  # the first is past its ttl, the second is not
    assert store.take(token) is None
    assert store.take(fresh) == "y"
    tokens = [store.put(n) for n in range(5)]
    assert len(store) == 3  # the oldest were dropped
    assert store.take(tokens[0]) is None and store.take(tokens[4]) == 4


class SlowDescriptionClient(Client):
    """Answers ``primes_between``'s description only once ``gate`` is set."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.gate = threading.Event()

    def get_process(self, process_id: str) -> ProcessDescription:
        if process_id == "primes_between":
            self.gate.wait(10)
        return super().get_process(process_id)


async def test_clicking_back_while_another_process_loads_ends_the_loading(
        live_server: str) -> None:
    with SlowDescriptionClient(server_url=live_server, timeout=10) as client:
        state = AppState(client)
        assert await state.load_processes()
        await state.select("sleep_a_while")
        slow = asyncio.create_task(state.select("primes_between"))
        for _ in range(100):
            if state.loading == "primes_between":
                break
            await asyncio.sleep(0.01)
        assert state.loading == "primes_between"
        await state.select("sleep_a_while")  # back before the other one arrived
        assert state.loading is None and state.description.id == "sleep_a_while"
        client.gate.set()
        await slow
        assert state.loading is None and state.description.id == "sleep_a_while"

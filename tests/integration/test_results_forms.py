"""Every form of results, from a real server to the real client (18-062r2, sync and async).

A process with two outputs (a number and an object) and one with a text output
of its own media type, run synchronously and as jobs with ``response`` raw and
document and outputs by value and by reference.
"""

from __future__ import annotations

import email.parser
import email.policy
import textwrap
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from procdeck import Client

pytestmark = pytest.mark.integration

MODULE = '''
from typing import Annotated
from pydantic import Field
from procdeck.server import ProcessRegistry

registry = ProcessRegistry()
BOTH = ("sync-execute", "async-execute", "dismiss")


@registry.process(
    job_control_options=BOTH,
    outputs={"total": {"schema": float}, "stats": {"schema": {"type": "object"}}},
)
def summarise(values: list[float]) -> dict:
    return {"total": sum(values), "stats": {"count": len(values)}}


@registry.process(
    job_control_options=BOTH,
    outputs={"csv": {"schema": {"type": "string", "contentMediaType": "text/csv"}}},
)
def table(rows: int = 2) -> str:
    return "a,b\\n" + "".join(f"{i},{i * i}\\n" for i in range(rows))
'''

VALUES = {"values": [1, 2, 3]}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Any:
    from procdeck.server.testing import ServerProcess

    root = tmp_path_factory.mktemp("results-forms")
    (root / "results_processes.py").write_text(textwrap.dedent(MODULE))
    server = ServerProcess(store=root / "jobs.sqlite", data_dir=root / "data",
                           log_path=root / "server.log", processes=["results_processes"],
                           env={"PYTHONPATH": str(root)})
    server.start()
    yield server
    server.stop()


def execute(server: Any, process: str, body: dict[str, Any], *, job: bool) -> httpx.Response:
    headers = {"Prefer": "respond-async"} if job else {}
    answer = httpx.post(f"{server.url}/processes/{process}/execution", json=body,
                        headers=headers, timeout=30)
    if not job:
        return answer
    assert answer.status_code == 201, answer.text
    job_id = answer.json()["jobID"]
    deadline = time.monotonic() + 30
    while httpx.get(f"{server.url}/jobs/{job_id}").json()["status"] != "successful":
        assert time.monotonic() < deadline
        time.sleep(0.05)
    return httpx.get(f"{server.url}/jobs/{job_id}/results")


def parts(response: httpx.Response) -> dict[str, tuple[str, bytes, str | None]]:
    head = f"Content-Type: {response.headers['content-type']}\r\n\r\n".encode()
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        head + response.content)
    return {str(p["content-id"]).strip("<>"): (p.get_content_type(),
                                                p.get_payload(decode=True) or b"",
                                                p.get("content-location"))
            for p in message.iter_parts()}


@pytest.mark.parametrize("job", [False, True], ids=["sync", "async"])
def test_document_qualifies_objects_and_links_references(server: Any, job: bool) -> None:
    body = execute(server, "summarise", {"inputs": VALUES, "response": "document",
                                         "outputs": {"total": {},
                                                     "stats": {"transmissionMode": "reference"}}},
                   job=job)
    assert body.status_code == 200 and body.headers["content-type"] == "application/json"
    document = body.json()
    assert document["total"] == 6.0
    link = document["stats"]
    assert link["href"].endswith("/results/stats") and link["type"] == "application/json"
    assert httpx.get(link["href"]).json() == {"count": 3}
    whole = execute(server, "summarise", {"inputs": VALUES, "response": "document"}, job=job)
    assert whole.json()["stats"] == {"value": {"count": 3}, "mediaType": "application/json"}


@pytest.mark.parametrize("job", [False, True], ids=["sync", "async"])
def test_raw_several_outputs_are_multipart(server: Any, job: bool) -> None:
    answer = execute(server, "summarise", {"inputs": VALUES, "response": "raw"}, job=job)
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("multipart/related")
    got = parts(answer)
    assert got["total"][:2] == ("application/json", b"6.0")
    assert got["stats"][:2] == ("application/json", b'{"count": 3}')
    mixed = execute(server, "summarise", {"inputs": VALUES, "outputs": {
        "total": {}, "stats": {"transmissionMode": "reference"}}}, job=job)
    got = parts(mixed)
    assert got["stats"][1] == b"" and got["stats"][2].endswith("/results/stats")


@pytest.mark.parametrize("job", [False, True], ids=["sync", "async"])
def test_raw_all_by_reference_is_204_with_links(server: Any, job: bool) -> None:
    answer = execute(server, "summarise", {"inputs": VALUES, "outputs": {
        "total": {"transmissionMode": "reference"}, "stats": {"transmissionMode": "reference"}}},
        job=job)
    assert answer.status_code == 204 and answer.content == b""
    links = answer.headers.get_list("link")
    by_reference = [h for h in links if 'rel="item"' in h]
    assert len(by_reference) == 2
    assert any("/results/total>" in h and 'title="total"' in h for h in by_reference)


@pytest.mark.parametrize("job", [False, True], ids=["sync", "async"])
def test_raw_one_output_in_its_own_media_type(server: Any, job: bool) -> None:
    answer = execute(server, "table", {"inputs": {"rows": 2}}, job=job)
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/csv")
    assert answer.text == "a,b\n0,0\n1,1\n"


def test_unknown_transmission_and_output_are_400(server: Any) -> None:
    for outputs in ({"nope": {}}, {"total": {"transmissionMode": "sideways"}}):
        answer = httpx.post(f"{server.url}/processes/summarise/execution",
                            json={"inputs": VALUES, "outputs": outputs})
        assert answer.status_code == 400, answer.text
        assert answer.headers["content-type"] == "application/problem+json"


def test_no_such_output_is_404(server: Any) -> None:
    answer = execute(server, "summarise", {"inputs": VALUES, "response": "document"}, job=True)
    job_url = answer.url.copy_with(path=answer.url.path.removesuffix("/results"))
    missing = httpx.get(f"{job_url}/results/nope")
    assert missing.status_code == 404 and "no-such-output" in missing.json()["type"]


def test_the_client_reads_every_form(server: Any, tmp_path: Path) -> None:
    with Client(server.url) as client:
        # sync raw, two outputs: multipart parsed into one entry per output
        multi = client.execute_process("summarise", VALUES, mode="sync")
        results = client.get_job_results(multi.jobID)
        assert results.value("total") == 6.0 and results.value("stats") == {"count": 3}
        # sync raw, all by reference: 204 links, named by output
        refs = client.execute_process("summarise", {"inputs": VALUES, "outputs": {
            "total": {"transmissionMode": "reference"},
            "stats": {"transmissionMode": "reference"}}}, mode="sync")
        linked = client.get_job_results(refs.jobID)
        assert set(linked) == {"total", "stats"}
        assert linked["stats"]["href"].endswith("/results/stats")
        # async: a results document (the client asks for one), objects unwrapped by value()
        job = client.execute_process("summarise", VALUES)
        client.wait_for_job(job.jobID, timeout=30)
        assert client.get_job_results(job.jobID).value("stats") == {"count": 3}
        # a job another client ran with raw: the bare value under the only output
        answer = httpx.post(f"{server.url}/processes/table/execution",
                            json={"inputs": {"rows": 1}}, headers={"Prefer": "respond-async"})
        other = answer.json()["jobID"]
        client.wait_for_job(other, timeout=30)
        text = Client(server.url).get_job_results(other)
        assert text.value("csv") == "a,b\n0,0\n"

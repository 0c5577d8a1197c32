"""The seed walkthrough (shared/seed/000_...txt), step by step, against a fresh real server.

Each step checks the same shape of output as the seed shows (keys, ids, titles,
values); timestamps differ, and where the seed's server showed a job still
``running`` after it was dismissed, this server shows ``dismissed``.
"""

from __future__ import annotations

import time

import pytest

from procdeck import Client, ProcessRequest
from procdeck.models import JobStatus

pytestmark = pytest.mark.integration

SEED_SLEEP_DESCRIPTION = {
    "description": "Sleeps for `duration` seconds. Fails on purpose if `fail` is `True`. "
    "Returns the effective amount of sleep in seconds.",
    "id": "sleep_a_while",
    "inputs": {
        "duration": {"minOccurs": 0, "schema": {"default": 10, "type": "number"},
                     "title": "Duration"},
        "fail": {"minOccurs": 0, "schema": {"default": False, "type": "boolean"},
                 "title": "Fail"},
    },
    "outputs": {"return_value": {"schema": {"type": "number"}, "title": "Return Value"}},
    "title": "Sleep Processor",
    "version": "0.0.0",
}
SEED_SUMMARIES = [
    {"id": "sleep_a_while", "title": "Sleep Processor", "version": "0.0.0"},
    {"id": "primes_between", "title": "Prime Processor", "version": "0.0.0"},
    {"id": "simulate_scene", "title": "Generate scene for testing", "version": "0.0.0"},
    {"id": "return_base_model", "title": "BaseModel Test", "version": "0.0.0"},
]
RUNNING_KEYS = {"created", "jobID", "processID", "progress", "started", "status", "type",
                "updated"}
FINISHED_KEYS = {"created", "finished", "jobID", "message", "processID", "started", "status",
                 "type", "updated"}


def test_seed_walkthrough(server_factory):
    server = server_factory(store=":memory:")

    # In [2]: the client shows its configuration as JSON
    client = Client(server_url=server.url)
    assert f'"server_url": "{server.url}"' in repr(client)

    # In [3]: capabilities
    capabilities = client.get_capabilities().to_dict()
    assert set(capabilities) == {"title", "description", "links"}
    first = capabilities["links"][0]
    assert first == {"href": f"{server.url}/", "hreflang": "en", "rel": "self",
                     "title": "get_capabilities", "type": "application/json"}
    service_titles = [link["title"] for link in capabilities["links"] if link["rel"] == "service"]
    assert service_titles[:5] == [
        "openapi", "swagger_ui_html", "swagger_ui_redirect", "redoc_html", "get_capabilities"
    ]

    # In [4]: conformance
    assert len(client.get_conformance().conformsTo) == 7  # the seed's 6 and callback

    # In [5]: processes
    processes = client.get_processes().to_dict()
    assert processes["links"] == [{"href": f"{server.url}/processes", "hreflang": "en",
                                   "rel": "self", "title": "get_processes",
                                   "type": "application/json"}]
    summaries = [{k: p[k] for k in ("id", "title", "version")} for p in processes["processes"]]
    assert summaries[:4] == SEED_SUMMARIES
    assert "description" not in processes["processes"][3]

    # In [6]: one process, exactly the seed's document (plus jobControlOptions & co.)
    description = client.get_process(process_id="sleep_a_while").to_dict()
    assert {k: description[k] for k in SEED_SLEEP_DESCRIPTION} == SEED_SLEEP_DESCRIPTION
    assert set(description) - set(SEED_SLEEP_DESCRIPTION) <= {
        "jobControlOptions", "outputTransmission"
    }

    # In [7]: no jobs yet
    jobs = client.get_jobs().to_dict()
    assert jobs == {"jobs": [], "links": [{"href": f"{server.url}/jobs", "hreflang": "en",
                                           "rel": "self", "title": "get_jobs",
                                           "type": "application/json"}]}

    # In [8], [9]: two sleeping jobs
    job_0 = client.execute_process(process_id="sleep_a_while",
                                   request=ProcessRequest(duration=2))
    job_1 = client.execute_process(process_id="sleep_a_while", request={"fail": True})
    for job, job_id in ((job_0, "job_0"), (job_1, "job_1")):
        assert job.jobID == job_id and job.processID == "sleep_a_while"
        assert job.type == "process"
        assert job.status in (JobStatus.ACCEPTED, JobStatus.RUNNING)
        assert set(job.to_dict()) <= RUNNING_KEYS | {"message"}

    # In [10]: primes finish at once
    job_2 = client.execute_process(process_id="primes_between", request={})
    assert job_2.jobID == "job_2"
    assert job_2.status in (JobStatus.ACCEPTED, JobStatus.RUNNING, JobStatus.SUCCESSFUL)

    # In [11]: three jobs, in order
    time.sleep(0.3)
    listed = client.get_jobs().jobs
    assert [j.jobID for j in listed] == ["job_0", "job_1", "job_2"]
    running = listed[0].to_dict()
    assert set(running) == RUNNING_KEYS | {"message"}  # our sleeper says what it does
    assert running["status"] == "running" and 0 < running["progress"] < 100

    # In [12]: the finished primes job
    finished = client.get_job("job_2").to_dict()
    assert set(finished) == FINISHED_KEYS
    assert finished["status"] == "successful" and finished["message"] == "Done"
    assert client.get_job_results("job_2").value("return_value")[:3] == [2, 3, 5]

    # In [14]: dismiss every job
    for job in client.get_jobs().jobs:
        client.dismiss_job(job.jobID)

    # In [15]: the two sleepers remain (stopped), the finished job is gone
    remaining = client.get_jobs().jobs
    assert [j.jobID for j in remaining] == ["job_0", "job_1"]
    for job in remaining:
        assert job.status == JobStatus.DISMISSED and job.progress < 100
        assert set(job.to_dict()) >= RUNNING_KEYS
    # job_1 would have failed half-way (after 5 s) and job_0 finished after 2 s:
    # dismissed, neither does.
    time.sleep(0.2)
    assert [j.status for j in client.get_jobs().jobs] == [JobStatus.DISMISSED] * 2
    client.close()

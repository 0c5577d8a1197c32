"""execute_process(subscriber=...): the subscriber is sent, in the standard's spelling."""

from __future__ import annotations

import json

import client_support
import httpx
import pytest
from client_support import Recorder

from procdeck.client import InvalidRequestError
from procdeck.models import ProcessRequest, Subscriber

client_kind = client_support.client_kind
make_client = client_support.make_client
isolated_config = client_support.isolated_config

EXECUTION = ("POST", "/processes/sleep_a_while/execution")
RUNNING = {"jobID": "job_0", "processID": "sleep_a_while", "status": "running",
           "type": "process"}
HOOK = "http://127.0.0.1:9/done"


def created() -> httpx.Response:
    return httpx.Response(201, json=RUNNING, headers={"Location": "/jobs/job_0"})


@pytest.mark.parametrize("subscriber", [
    {"successUri": HOOK, "failedUri": HOOK + "/f"},
    {"successUrl": HOOK, "failedUrl": HOOK + "/f"},  # the erratum spelling
    Subscriber(successUri=HOOK, failedUri=HOOK + "/f"),
], ids=["dict", "erratum-dict", "model"])
def test_the_subscriber_is_sent(make_client, subscriber) -> None:
    server = Recorder({EXECUTION: created()})
    make_client(server).execute_process("sleep_a_while", {"duration": 1},
                                        subscriber=subscriber)
    assert json.loads(server.last.content) == {
        "inputs": {"duration": 1}, "response": "document",
        "subscriber": {"successUri": HOOK, "failedUri": HOOK + "/f"}}


def test_a_subscriber_in_the_request_is_sent_too(make_client) -> None:
    server = Recorder({EXECUTION: created()})
    request = ProcessRequest(inputs={"duration": 1}, subscriber={"successUrl": HOOK})
    make_client(server).execute_process("sleep_a_while", request)
    assert json.loads(server.last.content)["subscriber"] == {"successUri": HOOK}


@pytest.mark.parametrize(("subscriber", "words"), [
    ({"inProgressUri": HOOK}, "invalid subscriber"),
    ({"successUri": 3}, "invalid subscriber"),
])
def test_an_invalid_subscriber_is_refused_before_sending(make_client, subscriber, words) -> None:
    server = Recorder({EXECUTION: created()})
    with pytest.raises(InvalidRequestError, match=words):
        make_client(server).execute_process("sleep_a_while", {}, subscriber=subscriber)
    assert server.requests == []


def test_two_different_subscribers_are_refused(make_client) -> None:
    server = Recorder({EXECUTION: created()})
    with pytest.raises(InvalidRequestError, match="different subscriber"):
        make_client(server).execute_process(
            "sleep_a_while", {"subscriber": {"successUri": HOOK}},
            subscriber={"successUri": HOOK + "/other"})

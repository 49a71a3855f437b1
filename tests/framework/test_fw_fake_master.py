"""The fake master speaks like the recorded real one (shapes, status codes)."""

from __future__ import annotations

import json
from typing import Any

import pytest
import requests
from conftest import TRANSCRIPTS
from fake_master import (
    NOT_SUBSCRIBED,
    Agent,
    FakeMaster,
    agent_failure_status,
    executor_status,
    offer_body,
    reconcile_status,
    subscribed_event,
    unknown_task_status,
    update_event,
)


def shape(value: Any) -> Any:
    """Keys and types, recursively; lists by their first element."""
    if isinstance(value, dict):
        return {k: shape(v) for k, v in value.items()}
    if isinstance(value, list):
        return [shape(value[0])] if value else []
    return type(value).__name__ if not isinstance(value, int | float) or isinstance(value, bool) else "number"


def events(mode: str) -> list[dict[str, Any]]:
    return [json.loads(line)["event"] for line in (TRANSCRIPTS / mode / "events.jsonl").read_text().splitlines()]


def statuses(mode: str) -> list[dict[str, Any]]:
    return [e["update"]["status"] for e in events(mode) if e["type"] == "UPDATE"]


@pytest.mark.parametrize("mode", ["host", "bridge"])
def test_fake_event_bodies_have_the_transcript_shapes(mode: str) -> None:
    recorded = events(mode)
    assert [e["type"] for e in recorded[:3]] == ["SUBSCRIBED", "HEARTBEAT", "OFFERS"]
    assert shape(subscribed_event("F", 15.0, 5050)) == shape(recorded[0])
    offer = offer_body("O1", "F", Agent("S0"), 2.0, 23081.0, [(31000, 32000)])
    assert shape(offer) == shape(recorded[2]["offers"]["offers"][0])

    by_kind = {}
    for status in statuses(mode):
        key = (status["state"], status["source"], status.get("reason"))
        by_kind.setdefault(key, status)
    fake = {
        ("TASK_STARTING", "SOURCE_EXECUTOR", None): executor_status("t", "S0", "TASK_STARTING", "c"),
        ("TASK_RUNNING", "SOURCE_EXECUTOR", None): executor_status("t", "S0", "TASK_RUNNING", "c"),
        ("TASK_KILLED", "SOURCE_EXECUTOR", None): executor_status("t", "S0", "TASK_KILLED", "c", "Container exited"),
        ("TASK_RUNNING", "SOURCE_MASTER", "REASON_RECONCILIATION"): reconcile_status("t", "S0", "TASK_RUNNING", "c"),
        ("TASK_LOST", "SOURCE_MASTER", "REASON_RECONCILIATION"): unknown_task_status("t"),
        ("TASK_FAILED", "SOURCE_AGENT", "REASON_CONTAINER_LAUNCH_FAILED"): agent_failure_status("t", "S0", "x"),
    }
    assert set(by_kind) == set(fake)
    for key, real in by_kind.items():
        assert shape(fake[key]) == shape(real), key
        # Who carries a uuid is what decides acknowledgement.
        assert ("uuid" in fake[key]) == ("uuid" in real) == (key[1] != "SOURCE_MASTER")
    unknown = by_kind[("TASK_LOST", "SOURCE_MASTER", "REASON_RECONCILIATION")]
    assert unknown["message"] == unknown_task_status("t")["message"]


def _post(url: str, body: dict[str, Any], stream_id: str | None = None) -> requests.Response:
    headers = {"Mesos-Stream-Id": stream_id} if stream_id else {}
    return requests.post(url, json=body, headers=headers, timeout=5, stream=body["type"] == "SUBSCRIBE")


def test_fake_answers_like_mesos_and_refuses_calls_after_the_stream_closed() -> None:
    with FakeMaster() as master:
        url = f"http://{master.address}/api/v1/scheduler"
        sub = _post(url, {"type": "SUBSCRIBE", "subscribe": {"framework_info": {"user": "u", "name": "n"}}})
        assert sub.status_code == 200
        assert sub.headers["Transfer-Encoding"] == "chunked"
        stream_id = sub.headers["Mesos-Stream-Id"]
        first = sub.raw.read(4)
        assert first[:1].isdigit()
        revive = {"type": "REVIVE", "framework_id": {"value": master.sub.framework_id}}
        assert _post(url, revive, stream_id).status_code == 202
        assert _post(url, revive, "wrong-stream").status_code == 403
        master.close_stream()
        master.wait_for(lambda: master.sub.closed.is_set())
        refused = _post(url, revive, stream_id)
        assert (refused.status_code, refused.text) == (403, NOT_SUBSCRIBED)
        sub.close()


def test_fake_redelivers_unacknowledged_updates_on_resubscribe() -> None:
    with FakeMaster(auto_offers=False) as master:
        url = f"http://{master.address}/api/v1/scheduler"
        sub = _post(url, {"type": "SUBSCRIBE", "subscribe": {"framework_info": {"user": "u", "name": "n"}}})
        status = executor_status("t", "S0", "TASK_RUNNING", "c")
        master.emit(update_event(status))
        assert status["uuid"] in master.unacked
        sub.close()
        assert list(master.unacked) == [status["uuid"]]

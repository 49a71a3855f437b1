"""Replay the real master's recorded events and compare our calls with the recorded calls.

The events of shared/data/mesos-v1-transcripts/{host,bridge}/events.jsonl are sent
through the fake master in order (task ids mapped to the ones our framework
chose); the framework's answers must have the shapes the real master accepted
(calls.jsonl), and only updates that carry a uuid may be acknowledged.
"""

from __future__ import annotations

import contextlib
import copy
import json
import time
from pathlib import Path
from typing import Any

import pytest
from conftest import TRANSCRIPTS, fast_settings
from fake_master import FakeMaster, stays_staging


def load(mode: str, name: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (TRANSCRIPTS / mode / name).read_text().splitlines()]


def task_infos(call: dict[str, Any]) -> list[dict[str, Any]]:
    return [info for op in call["accept"]["operations"] for info in op["launch"]["task_infos"]]


def normalised(info: dict[str, Any]) -> dict[str, Any]:
    """A TaskInfo without what legitimately differs: ids and the image name."""
    info = copy.deepcopy(info)
    info["name"] = info["task_id"]["value"] = "<id>"
    info["container"]["docker"]["image"] = "<image>"
    return info


@pytest.mark.parametrize("mode", ["host", "bridge"])
def test_replay_transcript(mode: str, tmp_path: Path, start_framework: Any) -> None:
    recorded_events = [line["event"] for line in load(mode, "events.jsonl")]
    recorded_calls = [line["call"] for line in load(mode, "calls.jsonl") if "call" in line]
    network = mode.upper()
    with FakeMaster(auto_offers=False, launch_plan=stays_staging, heartbeat_interval=0.5) as master:
        fw = start_framework(fast_settings(master.address, tmp_path, network=network, cpus=0.1, mem=64.0))
        master.wait_for(lambda: master.sub, what="subscription")
        framework_id = master.sub.framework_id
        ids: dict[str, str] = {"unknown-task": "unknown-task"}

        # SUBSCRIBED and HEARTBEAT come from the fake itself (same shapes, checked elsewhere).
        for event in recorded_events[2:]:
            event = copy.deepcopy(event)
            if event["type"] == "OFFERS":
                # A real master sends offers only when revived; give the framework the chance.
                # Still suppressed means satisfied: the offer must then be declined.
                with contextlib.suppress(AssertionError):
                    master.wait_for(lambda: not master.suppressed, timeout=1.0)
                for offer in event["offers"]["offers"]:
                    offer["framework_id"]["value"] = framework_id
                    master.offers[offer["id"]["value"]] = offer["agent_id"]["value"]
                master.emit(event)
                offer_id = event["offers"]["offers"][0]["id"]
                master.wait_for(
                    lambda oid=offer_id: [
                        c
                        for c in master.calls
                        if c["call"]["type"] in ("ACCEPT", "DECLINE")
                        and oid in c["call"][c["call"]["type"].lower()]["offer_ids"]
                    ],
                    what=f"an answer to {offer_id}",
                )
                continue
            status = event["update"]["status"]
            recorded_id = status["task_id"]["value"]
            if recorded_id not in ids:
                launched = [info["task_id"]["value"] for c in master.calls_of("ACCEPT") for info in task_infos(c)]
                ids[recorded_id] = next(t for t in launched if t not in ids.values())
            status["task_id"]["value"] = ids[recorded_id]
            if "executor_id" in status:
                status["executor_id"]["value"] = ids[recorded_id]
            master.emit(event)
            if "uuid" in status:
                master.wait_for(
                    lambda u=status["uuid"]: [
                        c for c in master.calls_of("ACKNOWLEDGE") if c["acknowledge"]["uuid"] == u
                    ],
                    what=f"ACK of {status['uuid']}",
                )
            else:
                time.sleep(0.1)  # room for a wrong ACK to show up
        time.sleep(0.2)
        assert fw.alive, "a failed image pull is not a configuration error"

        # Acknowledged: exactly the updates with a uuid, in order, as the recorded client did.
        sent_uuids = [
            e["update"]["status"]["uuid"] for e in recorded_events if "uuid" in e.get("update", {}).get("status", {})
        ]
        recorded_acks = [c["acknowledge"] for c in recorded_calls if c["type"] == "ACKNOWLEDGE"]
        our_acks = [c["acknowledge"] for c in master.calls_of("ACKNOWLEDGE")]
        assert [a["uuid"] for a in our_acks] == [a["uuid"] for a in recorded_acks] == sent_uuids
        reverse = {ours: theirs for theirs, ours in ids.items()}
        for ours, theirs in zip(our_acks, recorded_acks, strict=True):
            assert reverse[ours["task_id"]["value"]] == theirs["task_id"]["value"]
            assert ours["agent_id"] == theirs["agent_id"]

        # Launches: the very TaskInfo shape the real master accepted.
        recorded_accepts = [c for c in recorded_calls if c["type"] == "ACCEPT"]
        our_accepts = master.calls_of("ACCEPT")
        assert len(our_accepts) == len(recorded_accepts) == 2
        for ours, theirs in zip(our_accepts, recorded_accepts, strict=True):
            assert [normalised(i) for i in task_infos(ours)] == [normalised(i) for i in task_infos(theirs)]
            assert ours["accept"]["offer_ids"] == theirs["accept"]["offer_ids"]
            assert set(ours["accept"]) == set(theirs["accept"])

        # The unneeded offer was declined with a filter, like the recorded DECLINE.
        (decline,) = master.calls_of("DECLINE")
        (recorded_decline,) = [c for c in recorded_calls if c["type"] == "DECLINE"]
        assert decline["decline"]["offer_ids"] == recorded_decline["decline"]["offer_ids"]
        assert set(decline["decline"]["filters"]) == {"refuse_seconds"}

        # Same framework_info fields, and no call type the recorded client did not use besides SUPPRESS.
        ours_info = master.calls_of("SUBSCRIBE")[0]["subscribe"]["framework_info"]
        assert set(ours_info) == set(recorded_calls[0]["subscribe"]["framework_info"])
        recorded_types = {c["type"] for c in recorded_calls}
        assert set(master.call_types()) - recorded_types <= {"SUPPRESS"}
        assert "KILL" not in master.call_types() and "TEARDOWN" not in master.call_types()
        assert master.errors == []

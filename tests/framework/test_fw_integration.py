"""The framework against the protocol-level fake master (real HTTP on 127.0.0.1)."""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path
from typing import Any

import pytest
from conftest import fast_settings
from fake_master import Agent, FakeMaster, image_pull_fails, no_docker_containerizer

from nginx_framework.errors import EXIT_NO_DOCKER, EXIT_OK, EXIT_RETRY_LIMIT


def state(path: Path) -> dict[str, Any]:
    return json.loads((path / "state.json").read_text())


def test_subscribe_offer_launch_running_then_suppress(tmp_path: Path, start_framework: Any) -> None:
    with FakeMaster() as master:
        fw = start_framework(fast_settings(master.address, tmp_path))
        master.wait_for(lambda: master.running_tasks(), what="a running task")
        master.wait_calls("SUPPRESS")
        types = master.call_types()
        assert types[:2] == ["SUBSCRIBE", "ACCEPT"]
        assert types.count("ACCEPT") == 1
        subscribe = master.calls_of("SUBSCRIBE")[0]["subscribe"]["framework_info"]
        assert subscribe["checkpoint"] is True and subscribe["failover_timeout"] == 604800.0
        task = master.calls_of("ACCEPT")[0]["accept"]["operations"][0]["launch"]["task_infos"][0]
        assert task["container"] == {"type": "DOCKER", "docker": {"image": "basic-nginx", "network": "HOST"}}
        assert task["command"] == {"shell": False}
        # Both executor updates acknowledged, with their uuids, after the state was saved.
        master.wait_calls("ACKNOWLEDGE", 2)
        saved = state(tmp_path)
        assert saved["framework_id"] == master.sub.framework_id
        assert [t["state"] for t in saved["tasks"]] == ["TASK_RUNNING"]
        assert master.errors == []
        assert fw.stop() == EXIT_OK
        # A plain stop leaves the task running: no KILL, no TEARDOWN.
        assert "KILL" not in master.call_types() and "TEARDOWN" not in master.call_types()
        assert len(master.running_tasks()) == 1


def test_bridge_mode_maps_an_offered_port(tmp_path: Path, start_framework: Any) -> None:
    with FakeMaster(agents=[Agent("S0"), Agent("S1", hostname="other")]) as master:
        start_framework(fast_settings(master.address, tmp_path, network="BRIDGE", instances=2))
        master.wait_for(lambda: len(master.running_tasks()) == 2, what="2 running tasks")
        infos = [op["launch"]["task_infos"][0] for c in master.calls_of("ACCEPT") for op in c["accept"]["operations"]]
        assert {i["agent_id"]["value"] for i in infos} == {"S0", "S1"}  # spread, max one per agent
        for info in infos:
            mapping = info["container"]["docker"]["port_mappings"]
            assert mapping == [{"host_port": 31000, "container_port": 80, "protocol": "tcp"}]
            assert {"name": "ports", "type": "RANGES", "ranges": {"range": [{"begin": 31000, "end": 31000}]}} in info[
                "resources"
            ]
        assert master.errors == []


def test_failed_task_is_relaunched_with_a_new_id(tmp_path: Path, start_framework: Any) -> None:
    with FakeMaster() as master:
        start_framework(fast_settings(master.address, tmp_path))
        first = master.wait_for(lambda: master.running_tasks(), what="running")[0].task_id
        master.wait_calls("SUPPRESS")
        master.kill_externally(first)  # TASK_KILLED that we did not ask for
        master.wait_calls("REVIVE")
        second = master.wait_for(lambda: master.running_tasks(), what="relaunched")[0].task_id
        assert second != first
        assert master.call_types().count("ACCEPT") == 2
        assert master.wait_calls("SUPPRESS", 2)
        master.wait_for(lambda: state(tmp_path)["tasks"][0]["state"] == "TASK_RUNNING", what="saved RUNNING")
        assert [t["task_id"] for t in state(tmp_path)["tasks"]] == [second]
        assert state(tmp_path)["consecutive_failures"] == 0  # reset by TASK_RUNNING


def test_unneeded_offers_are_declined_with_a_filter_within_a_second(tmp_path: Path, start_framework: Any) -> None:
    with FakeMaster() as master:
        start_framework(fast_settings(master.address, tmp_path, decline_seconds=42))
        master.wait_calls("SUPPRESS")
        sent = time.monotonic()
        (offer_id,) = master.send_offers(force=True)
        decline = master.wait_for(
            lambda: [c for c in master.calls_of("DECLINE") if c["decline"]["offer_ids"] == [{"value": offer_id}]],
            timeout=1.0,
            what="DECLINE",
        )[0]
        assert time.monotonic() - sent < 1.0
        assert decline["decline"]["filters"] == {"refuse_seconds": 42}


def test_offers_that_do_not_fit_are_declined_and_explained_once(
    tmp_path: Path, start_framework: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="nginx_framework")
    with FakeMaster(agents=[Agent("S0", mem=32.0)], auto_offers=False) as master:
        start_framework(fast_settings(master.address, tmp_path))
        master.wait_for(lambda: master.sub, what="subscription")
        for n in range(3):
            master.send_offers(force=True)
            master.wait_calls("DECLINE", n + 1)
        assert "ACCEPT" not in master.call_types()
        explained = [r.getMessage() for r in caplog.records if "do not fit" in r.getMessage()]
        assert len(explained) == 1
        assert "need cpus=0.1 mem=64 no port" in explained[0]
        assert "localhost (S0) offers cpus=2 mem=32 ports=31000-32000: mem 32 < 64" in explained[0]


def test_heartbeat_loss_reconnects(tmp_path: Path, start_framework: Any) -> None:
    with FakeMaster(heartbeat_interval=0.1) as master:
        fw = start_framework(fast_settings(master.address, tmp_path, heartbeat_factor=3.0))
        master.wait_for(lambda: master.running_tasks(), what="running")
        framework_id = master.sub.framework_id
        silenced = time.monotonic()
        master.go_silent()
        master.wait_for(lambda: master.subscriptions == 2, timeout=5.0, what="a second SUBSCRIBE")
        assert time.monotonic() - silenced < 3.0
        resubscribe = master.calls_of("SUBSCRIBE")[1]
        assert resubscribe["framework_id"] == {"value": framework_id}
        master.wait_calls("RECONCILE")
        assert fw.runner.reconnects >= 1
        # The running task is adopted through reconciliation, not launched again.
        time.sleep(0.3)
        assert master.call_types().count("ACCEPT") == 1


def test_closed_stream_reconnects_and_403_is_handled(tmp_path: Path, start_framework: Any) -> None:
    with FakeMaster() as master:
        start_framework(fast_settings(master.address, tmp_path))
        master.wait_calls("SUPPRESS")
        master.close_stream()
        master.wait_for(lambda: master.subscriptions == 2, what="resubscribe")
        master.wait_calls("SUPPRESS", 2)
        assert master.call_types().count("ACCEPT") == 1


def test_non_leader_redirect_is_followed(tmp_path: Path, start_framework: Any) -> None:
    with FakeMaster() as leader, FakeMaster() as follower:
        follower.redirect_to = f"//127.0.0.1:{leader.port}/api/v1/scheduler"
        start_framework(fast_settings(follower.address, tmp_path))
        leader.wait_for(lambda: leader.running_tasks(), what="running on the leader")
        assert [(c["call"]["type"], c["status"]) for c in follower.calls] == [("SUBSCRIBE", 307)]
        assert leader.call_types()[0] == "SUBSCRIBE"


def test_restart_keeps_framework_id_reconciles_and_launches_no_duplicate(tmp_path: Path, start_framework: Any) -> None:
    with FakeMaster(agents=[Agent("S0"), Agent("S1")]) as master:
        first = start_framework(fast_settings(master.address, tmp_path, instances=2))
        master.wait_for(lambda: len(master.running_tasks()) == 2, what="2 running")
        master.wait_calls("SUPPRESS")
        framework_id = master.sub.framework_id
        assert first.stop() == EXIT_OK
        accepts_before = master.call_types().count("ACCEPT")

        start_framework(fast_settings(master.address, tmp_path, instances=2))
        master.wait_for(lambda: master.subscriptions == 2, what="second subscription")
        reconcile = master.wait_calls("RECONCILE")[0]
        subscribe = master.calls_of("SUBSCRIBE")[1]
        assert subscribe["subscribe"]["framework_info"]["id"] == {"value": framework_id}
        assert subscribe["framework_id"] == {"value": framework_id}
        asked = {t["task_id"]["value"] for t in reconcile["reconcile"]["tasks"]}
        assert asked == {t.task_id for t in master.running_tasks()}
        master.wait_calls("SUPPRESS", 2)
        master.send_offers(force=True)
        master.wait_calls("DECLINE")
        assert master.call_types().count("ACCEPT") == accepts_before
        assert master.errors == []


def test_task_unknown_after_restart_is_forgotten_and_relaunched(tmp_path: Path, start_framework: Any) -> None:
    with FakeMaster() as master:
        first = start_framework(fast_settings(master.address, tmp_path))
        old = master.wait_for(lambda: master.running_tasks(), what="running")[0].task_id
        first.stop()
        master.tasks.clear()  # e.g. the agent was wiped while we were away
        start_framework(fast_settings(master.address, tmp_path))
        master.wait_calls("RECONCILE")
        new = master.wait_for(lambda: master.running_tasks(), what="relaunched")[0].task_id
        assert new != old
        assert [t["task_id"] for t in state(tmp_path)["tasks"]] == [new]
        # A reconciliation answer has no uuid and is never acknowledged.
        acked = {c["acknowledge"]["task_id"]["value"] for c in master.calls_of("ACKNOWLEDGE")}
        assert old in acked  # from its executor updates in the first run only
        assert state(tmp_path)["consecutive_failures"] == 0


def test_update_without_uuid_is_not_acknowledged(tmp_path: Path, start_framework: Any) -> None:
    with FakeMaster() as master:
        start_framework(fast_settings(master.address, tmp_path))
        task = master.wait_for(lambda: master.running_tasks(), what="running")[0]
        master.wait_calls("ACKNOWLEDGE", 2)
        acks_before = len(master.calls_of("ACKNOWLEDGE"))
        master.handle_call(
            {"type": "RECONCILE", "framework_id": {"value": master.sub.framework_id}, "reconcile": {"tasks": []}},
            master.sub.stream_id,
        )
        master.wait_for(
            lambda: [c for c in master.calls if c["call"]["type"] == "RECONCILE"], what="the injected reconcile"
        )
        time.sleep(0.3)
        assert len(master.calls_of("ACKNOWLEDGE")) == acks_before
        assert master.errors == []
        assert task.state == "TASK_RUNNING"


def test_redelivered_update_after_restart_is_handled_once(
    tmp_path: Path, start_framework: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="nginx_framework")
    with FakeMaster() as master:
        settings = fast_settings(master.address, tmp_path, max_retries=1, backoff_base=30.0, backoff_max=30.0)
        first = start_framework(settings)
        task = master.wait_for(lambda: master.running_tasks(), what="running")[0]
        master.wait_calls("ACKNOWLEDGE", 2)
        master.drop_acks = True  # the ACK gets lost: Mesos will send the update again
        killed = master.kill_externally(task.task_id)
        master.wait_for(
            lambda: [c for c in master.calls_of("ACKNOWLEDGE") if c["acknowledge"]["uuid"] == killed["uuid"]],
            what="ACK of the kill",
        )
        assert state(tmp_path)["consecutive_failures"] == 1
        assert killed["uuid"] in state(tmp_path)["handled_uuids"]
        assert first.stop() == EXIT_OK
        master.drop_acks = False

        second = start_framework(fast_settings(master.address, tmp_path, max_retries=1))
        acks = master.wait_for(
            lambda: [c for c in master.calls_of("ACKNOWLEDGE") if c["acknowledge"]["uuid"] == killed["uuid"]][1:],
            what="second ACK of the redelivered update",
        )
        assert len(acks) == 1
        assert killed["uuid"] not in master.unacked
        already = [r for r in caplog.records if f"update {killed['uuid']}" in r.getMessage()]
        assert "already handled" in already[0].getMessage()
        assert len(already) == 1
        # Counted once: a second count would have passed max_retries=1 and exited.
        master.wait_for(lambda: master.running_tasks(), what="relaunch")
        assert second.alive
        master.wait_for(lambda: state(tmp_path)["consecutive_failures"] == 0, what="failure count reset")


def test_missing_docker_containerizer_exits_clearly(
    tmp_path: Path, start_framework: Any, caplog: pytest.LogCaptureFixture
) -> None:
    with FakeMaster(launch_plan=no_docker_containerizer) as master:
        fw = start_framework(fast_settings(master.address, tmp_path, max_retries=10))
        assert fw.wait_exit() == EXIT_NO_DOCKER
        assert master.call_types().count("ACCEPT") == 1  # no relaunch loop
        assert len(master.calls_of("ACKNOWLEDGE")) == 1
        message = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR][-1]
        assert "cannot run Docker containers" in message
        assert "--containerizers=docker,mesos" in message
        assert "None of the enabled containerizers (mesos)" in message


def test_retry_limit_exits_non_zero_with_last_reason(
    tmp_path: Path, start_framework: Any, caplog: pytest.LogCaptureFixture
) -> None:
    with FakeMaster(launch_plan=image_pull_fails) as master:
        fw = start_framework(fast_settings(master.address, tmp_path, max_retries=2, backoff_base=0.1, backoff_max=1.0))
        assert fw.wait_exit() == EXIT_RETRY_LIMIT
        assert master.call_types().count("ACCEPT") == 3  # the first try and 2 retries
        message = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR][-1]
        assert "giving up after 3 consecutive task failures" in message
        assert "TASK_FAILED / REASON_CONTAINER_LAUNCH_FAILED / SOURCE_AGENT" in message
        assert "docker -H unix:///var/run/docker.sock pull basic-nginx" in message
        # Relaunches waited for the backoff: 0.1 s, then 0.2 s.
        times = [c["t"] for c in master.calls if c["call"]["type"] == "ACCEPT"]
        assert times[1] - times[0] >= 0.1
        assert times[2] - times[1] >= 0.2


def test_scale_up_and_down_at_runtime(tmp_path: Path, start_framework: Any) -> None:
    with FakeMaster(agents=[Agent("S0"), Agent("S1"), Agent("S2")]) as master:
        fw = start_framework(fast_settings(master.address, tmp_path, instances=1))
        master.wait_calls("SUPPRESS")
        fw.runner.scale(3)
        master.wait_calls("REVIVE")
        master.wait_for(lambda: len(master.running_tasks()) == 3, what="3 running")
        fw.runner.scale_by(-2)
        kills = master.wait_calls("KILL", 2)
        master.wait_for(lambda: len(master.live_tasks()) == 1, what="1 left")
        assert len(kills) == 2
        master.wait_for(lambda: len(state(tmp_path)["tasks"]) == 1, what="killed tasks forgotten")
        time.sleep(0.2)
        assert master.call_types().count("ACCEPT") == 3  # killed on request: no relaunch


def test_teardown_on_stop_when_asked(tmp_path: Path, start_framework: Any) -> None:
    with FakeMaster() as master:
        fw = start_framework(fast_settings(master.address, tmp_path, teardown=True))
        master.wait_for(lambda: master.running_tasks(), what="running")
        assert fw.stop() == EXIT_OK
        assert master.calls_of("TEARDOWN")
        assert master.live_tasks() == []
        assert state(tmp_path)["framework_id"] is None

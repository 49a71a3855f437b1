"""The integration cases against a real Mesos master, when MESOS_MASTER=host:port is set.

The agent must run the Docker containerizer and have the image (MESOS_TEST_IMAGE,
default basic-nginx, the image of the transcripts). What the framework sent and
what the master answered comes from the framework's own call observer.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import RunningFramework, fast_settings

SKIP_REASON = "MESOS_MASTER not set: no real Mesos master reachable here, real-master tests not run"
TIMEOUT = 120.0


@pytest.fixture
def real_master() -> str:
    master = os.environ.get("MESOS_MASTER")
    if not master:
        pytest.skip(SKIP_REASON)
    return master


def wait(predicate: Callable[[], Any], what: str, timeout: float = TIMEOUT) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def types(fw: RunningFramework) -> list[str]:
    return [body["type"] for body, _status in list(fw.calls)]


def running(fw: RunningFramework) -> list[dict[str, Any]]:
    return [t for t in fw.runner.scheduler.snapshot["tasks"] if t["state"] == "TASK_RUNNING"]


def _settings(master: str, state_dir: Path, network: str, **extra: Any) -> Any:
    return fast_settings(
        master,
        state_dir,
        network=network,
        image=os.environ.get("MESOS_TEST_IMAGE", "basic-nginx"),
        heartbeat_factor=3.0,
        connect_timeout=10.0,
        backoff_base=1.0,
        backoff_max=5.0,
        decline_seconds=5.0,
        **extra,
    )


@pytest.mark.parametrize("network", ["HOST", "BRIDGE"])
def test_real_launch_restart_reconcile_teardown(
    real_master: str, network: str, tmp_path: Path, start_framework: Any
) -> None:
    first = start_framework(_settings(real_master, tmp_path, network))
    wait(lambda: running(first), "a TASK_RUNNING task")
    wait(lambda: "SUPPRESS" in types(first), "SUPPRESS once satisfied")
    assert types(first)[0] == "SUBSCRIBE"
    assert all(status in (200, 202) for _body, status in first.calls), first.calls
    assert "ACKNOWLEDGE" in types(first)
    framework_id = first.runner.scheduler.framework_id
    task_id = running(first)[0]["task_id"]
    assert first.stop() == 0

    second = start_framework(_settings(real_master, tmp_path, network, teardown=True))
    wait(lambda: "RECONCILE" in types(second), "RECONCILE after restart")
    wait(lambda: running(second), "the task adopted again")
    assert second.runner.scheduler.framework_id == framework_id
    assert [t["task_id"] for t in running(second)] == [task_id]
    time.sleep(3.0)
    assert "ACCEPT" not in types(second), "restart launched a duplicate"
    assert second.stop() == 0
    assert "TEARDOWN" in types(second)

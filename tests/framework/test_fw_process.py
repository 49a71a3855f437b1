"""`python -m nginx_framework` as a process: status endpoint, signals, exit codes."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from fake_master import Agent, FakeMaster, no_docker_containerizer

REPO = Path(__file__).resolve().parents[2]
FAST = [
    "--status-port", "0", "--status-host", "127.0.0.1", "--tick-seconds", "0.02", "--backoff-base", "0.05",
    "--backoff-max", "0.2", "--reconnect-base", "0.05", "--reconnect-max", "0.3", "--connect-timeout", "2",
]  # fmt: skip


class Process:
    """The framework as a child process; stderr collected by a thread."""

    def __init__(self, *args: str) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("NGINX_FRAMEWORK_")}
        env["NGINX_FRAMEWORK_IMAGE"] = "basic-nginx"  # the environment is a source too
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "nginx_framework", *FAST, *args],
            cwd=REPO,
            env=env,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._collect, daemon=True)
        self._reader.start()

    def _collect(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.lines.append(line)

    def status_url(self, timeout: float = 10.0) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in list(self.lines):
                found = re.search(r"status endpoint on port (\d+)", line)
                if found:
                    return f"http://127.0.0.1:{found.group(1)}"
            time.sleep(0.02)
        raise AssertionError("no status endpoint line in: " + "".join(self.lines))

    def wait(self, timeout: float = 10.0) -> int:
        code = self.proc.wait(timeout)
        self._reader.join(timeout)  # all of stderr collected
        return code


@pytest.fixture
def processes() -> Iterator[list[Process]]:
    started: list[Process] = []
    yield started
    for process in started:
        if process.proc.poll() is None:
            process.proc.kill()
            process.proc.wait(5)


def _get(url: str) -> Any:
    response = requests.get(url, timeout=5)
    assert response.status_code == 200
    return response.json()


def test_status_endpoint_signals_and_graceful_stop(tmp_path: Path, processes: list[Process]) -> None:
    with FakeMaster(agents=[Agent("S0"), Agent("S1"), Agent("S2")]) as master:
        fw = Process("--master", master.address, "--state-dir", str(tmp_path))
        processes.append(fw)
        base = fw.status_url()
        master.wait_for(lambda: master.running_tasks(), what="running")
        assert _get(f"{base}/healthz") == {"status": "ok", "subscribed": True}
        master.wait_for(lambda: [t["state"] for t in _get(f"{base}/tasks")["tasks"]] == ["TASK_RUNNING"], what="/tasks")
        tasks = _get(f"{base}/tasks")
        assert tasks["instances"] == 1 and tasks["framework_id"] == master.sub.framework_id

        assert requests.post(f"{base}/scale?instances=2", timeout=5).status_code == 202
        assert requests.post(f"{base}/scale?instances=-1", timeout=5).status_code == 400
        master.wait_for(lambda: len(master.running_tasks()) == 2, what="scaled to 2")
        fw.proc.send_signal(signal.SIGUSR1)
        master.wait_for(lambda: len(master.running_tasks()) == 3, what="SIGUSR1 -> 3")
        fw.proc.send_signal(signal.SIGUSR2)
        master.wait_calls("KILL")
        master.wait_for(lambda: _get(f"{base}/tasks")["instances"] == 2, what="SIGUSR2 -> 2")
        master.wait_for(lambda: len(_get(f"{base}/tasks")["tasks"]) == 2, what="the killed task forgotten")

        fw.proc.send_signal(signal.SIGTERM)
        assert fw.wait() == 0
        assert "TEARDOWN" not in master.call_types()
        assert len(master.live_tasks()) == 2  # left running for the next start
        saved = json.loads((tmp_path / "state.json").read_text())
        assert len(saved["tasks"]) == 2


def test_missing_docker_containerizer_exits_4_with_a_clear_message(tmp_path: Path, processes: list[Process]) -> None:
    with FakeMaster(launch_plan=no_docker_containerizer) as master:
        fw = Process("--master", f"http://{master.address}", "--state-dir", str(tmp_path))
        processes.append(fw)
        assert fw.wait() == 4
        errors = [line for line in fw.lines if " ERROR " in line]
        assert len(errors) == 1
        assert "cannot run Docker containers (start mesos-agent with --containerizers=docker,mesos)" in errors[0]

"""Shared helpers: fast settings and a framework running on a thread."""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

# The package lives at the repository root; make it importable without installing.
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from nginx_framework.runner import Runner
from nginx_framework.settings import Settings

# A copy of shared/data/mesos-v1-transcripts (real Mesos 1.12 master), so the tests stand alone.
TRANSCRIPTS = Path(__file__).resolve().parent / "transcripts"


def fast_settings(master: str, state_dir: Path, **overrides: Any) -> Settings:
    """Settings with every timing knob shrunk so a test takes well under a second."""
    values: dict[str, Any] = {
        "master": master,
        "state_dir": str(state_dir),
        "image": "basic-nginx",
        "status_port": 0,
        "status_host": "127.0.0.1",
        "tick_seconds": 0.02,
        "backoff_base": 0.05,
        "backoff_max": 0.2,
        "reconnect_base": 0.05,
        "reconnect_max": 0.3,
        "heartbeat_factor": 3.0,
        "connect_timeout": 2.0,
        "decline_seconds": 30.0,
        "max_retries": 5,
    }
    values.update(overrides)
    return Settings(**values)


class RunningFramework:
    """A Runner on a background thread, with every call it made and its answer."""

    def __init__(self, settings: Settings, leader_finder: Callable[[], str] | None = None) -> None:
        self.settings = settings
        self.calls: list[tuple[dict[str, Any], int]] = []
        self.runner = Runner(
            settings, observer=lambda body, status: self.calls.append((body, status)), leader_finder=leader_finder
        )
        self.exit_code: int | None = None
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        self.exit_code = self.runner.run()

    def start(self) -> RunningFramework:
        self._thread.start()
        return self

    def wait_exit(self, timeout: float = 10.0) -> int:
        self._thread.join(timeout)
        assert not self._thread.is_alive(), "framework did not exit in time"
        assert self.exit_code is not None
        return self.exit_code

    def stop(self, timeout: float = 10.0) -> int:
        if self._thread.is_alive():
            self.runner.stop()
        return self.wait_exit(timeout)

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()


@pytest.fixture
def start_framework() -> Iterator[Callable[..., RunningFramework]]:
    started: list[RunningFramework] = []

    def start(settings: Settings, leader_finder: Callable[[], str] | None = None) -> RunningFramework:
        framework = RunningFramework(settings, leader_finder).start()
        started.append(framework)
        return framework

    yield start
    for framework in started:
        framework.stop()

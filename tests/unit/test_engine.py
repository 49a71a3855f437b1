"""The engine bootstrap says what to do when it cannot act itself."""

from __future__ import annotations

import pytest

from tools import engine


def test_running_engine_is_left_alone(monkeypatch):
    monkeypatch.setattr(engine, "server_version", lambda: "20.10.24")
    monkeypatch.setattr(engine, "_start_daemon", lambda: pytest.fail("must not start a second daemon"))
    assert engine.ensure_engine() == "20.10.24"


def test_non_root_is_told_what_to_run(monkeypatch):
    monkeypatch.setattr(engine, "server_version", lambda: None)
    monkeypatch.setattr(engine.os, "geteuid", lambda: 1000)
    with pytest.raises(engine.EngineError, match=r"sudo systemctl start docker"):
        engine.ensure_engine()


def test_other_distributions_get_the_install_link(monkeypatch):
    monkeypatch.setattr(engine, "server_version", lambda: None)
    monkeypatch.setattr(engine.os, "geteuid", lambda: 0)
    monkeypatch.setattr(engine, "_is_debian_family", lambda: False)
    with pytest.raises(engine.EngineError, match="not Debian or Ubuntu"):
        engine.ensure_engine()


def test_daemon_that_never_answers_times_out(monkeypatch):
    monkeypatch.setattr(engine, "server_version", lambda: None)
    with pytest.raises(engine.EngineError, match="did not answer within 0 s"):
        engine._wait_for_engine(0)

"""The mesos_framework role: image built on the host, a systemd-managed
container subscribed to the (fake, protocol-level) master, state kept across
restarts, bad settings refused."""

from __future__ import annotations

import json
import time

import pytest

STATUS = "http://127.0.0.1:8080"


def status(host, path: str) -> dict:
    return json.loads(host.check_output("curl -sf %s", STATUS + path))


def wait_for(host, predicate, timeout: float = 60.0) -> dict:
    deadline = time.monotonic() + timeout
    last: dict = {}
    while time.monotonic() < deadline:
        result = host.run("curl -sf %s", STATUS + "/tasks")
        if result.rc == 0:
            last = json.loads(result.stdout)
            if predicate(last):
                return last
        time.sleep(2)
    pytest.fail(f"timed out; last /tasks: {last}")


def running(state: dict) -> list[dict]:
    return [t for t in state["tasks"] if t["state"] == "TASK_RUNNING"]


def test_service_runs_the_built_image(host):
    service = host.service("nginx-framework")
    assert service.is_enabled and service.is_running
    assert host.check_output("docker image inspect --format '{{.Config.User}}' nginx-framework:0.1.0") == "framework"
    assert host.check_output("docker inspect --format '{{.Config.Image}}' nginx-framework") == "nginx-framework:0.1.0"


def test_settings_reach_the_framework(host):
    settings = host.file("/etc/default/nginx-framework")
    assert settings.mode == 0o600
    assert "NGINX_FRAMEWORK_MASTER=http://framework-fakemaster:5050" in settings.content_string
    assert "NGINX_FRAMEWORK_NETWORK=HOST" in settings.content_string


def test_subscribed_with_the_requested_tasks_running(host):
    assert status(host, "/healthz")["subscribed"] is True
    state = wait_for(host, lambda s: len(running(s)) == 2)
    assert len({t["agent_id"] for t in running(state)}) == 2, "one task per agent (max_per_agent 1)"


def test_restart_keeps_framework_id_and_tasks(host):
    before = wait_for(host, lambda s: len(running(s)) == 2)
    host.run_test("systemctl restart nginx-framework")
    after = wait_for(host, lambda s: s.get("subscribed") and len(running(s)) == 2, timeout=90)
    assert after["framework_id"] == before["framework_id"]
    assert {t["task_id"] for t in running(after)} == {t["task_id"] for t in running(before)}, "no duplicates"
    assert host.file("/var/lib/nginx-framework").user == "10001" or host.file("/var/lib/nginx-framework").uid == 10001


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (
            {"mesos_framework_network": "OVERLAY"},
            "mesos_framework_network must be HOST or BRIDGE, in any case (found 'OVERLAY')",
        ),
        ({"mesos_framework_instances": -1}, "mesos_framework_instances must be 0 or more (found -1)"),
        (
            {"mesos_framework_base_archive": "/nonexistent.tar"},
            "must be an existing file on the controller (found '/nonexistent.tar')",
        ),
    ],
)
def test_bad_settings_are_refused(host, role_run, overrides, message):
    before = host.file("/etc/default/nginx-framework").content_string
    result = role_run(
        host.backend.get_hostname(),
        "mesos_framework",
        {"mesos_framework_master": "http://framework-fakemaster:5050", **overrides},
    )
    assert result.failed_with(message), result.output
    assert host.file("/etc/default/nginx-framework").content_string == before

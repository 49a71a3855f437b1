"""How host containers are started: privileged first, the capability set after."""

from __future__ import annotations

import subprocess

import pytest

from tools import hosts

SPEC = hosts.HostSpec(name="h1", image="toolkit/debian12:latest", network="net", group="g")


def completed(rc: int, stderr: str = "", stdout: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.CompletedProcess([], rc, stdout, stderr)


def test_privileged_args_boot_systemd_with_a_real_docker_volume():
    args = hosts.run_args(SPEC, privileged=True)
    assert "--privileged" in args
    assert args[-2:] == ["toolkit/debian12:latest", "/sbin/init"]
    assert args[args.index("--volume") + 1] == "/var/lib/docker"
    assert "--cap-add" not in args


def test_fallback_args_drop_only_sys_resource():
    args = hosts.run_args(SPEC, privileged=False)
    assert "--privileged" not in args
    joined = " ".join(args)
    assert "--cap-add ALL --cap-drop SYS_RESOURCE" in joined
    assert "seccomp=unconfined" in joined and "apparmor=unconfined" in joined
    for tmpfs in ("/run", "/run/lock"):
        assert args[args.index(tmpfs) - 1] == "--tmpfs"


def test_start_falls_back_when_privileged_is_refused(monkeypatch):
    calls: list[tuple[str, ...]] = []

    def fake_docker(*args: str, check: bool = True):
        calls.append(args)
        if args[0] == "inspect":
            return completed(1, "No such object")
        if args[0] == "run" and "--privileged" in args:
            return completed(125, "docker: Error response from daemon: unable to apply caps: operation not permitted")
        return completed(0)

    monkeypatch.setattr(hosts, "docker", fake_docker)
    hosts.start(SPEC)
    runs = [c for c in calls if c[0] == "run"]
    assert len(runs) == 2
    assert "--privileged" in runs[0] and "--privileged" not in runs[1]


def test_start_reports_other_errors_without_fallback(monkeypatch):
    def fake_docker(*args: str, check: bool = True):
        if args[0] == "inspect":
            return completed(1)
        if args[0] == "run":
            return completed(125, "network net not found")
        return completed(0)

    monkeypatch.setattr(hosts, "docker", fake_docker)
    with pytest.raises(hosts.HostError, match="cannot start host h1: network net not found"):
        hosts.start(SPEC)


def test_missing_image_says_how_to_build_it(monkeypatch):
    def fake_docker(*args: str, check: bool = True):
        return completed(1, "No such image")

    monkeypatch.setattr(hosts, "docker", fake_docker)
    with pytest.raises(hosts.HostError, match=r"image toolkit/debian12:latest is not built; run `make images`"):
        hosts.start(SPEC)


def test_instance_config_tells_molecule_to_use_docker_exec(tmp_path):
    path = tmp_path / "instance_config.yml"
    hosts.write_instance_config(path, {"h1": "10.213.0.2"})
    import yaml

    assert yaml.safe_load(path.read_text()) == [
        {"instance": "h1", "address": "h1", "user": "root", "connection": "community.docker.docker"}
    ]


def test_init_name_during_boot_is_not_an_error(monkeypatch):
    answers = iter(["init", "systemd", "running"])

    def fake_docker(*args: str, check: bool = True):
        return completed(0, stdout=next(answers) + "\n")

    monkeypatch.setattr(hosts, "docker", fake_docker)
    monkeypatch.setattr(hosts.time, "sleep", lambda _: None)
    assert hosts.wait_for_systemd("h1", timeout_s=5) == "running"


def test_pid1_that_never_becomes_systemd_is_named(monkeypatch):
    monkeypatch.setattr(hosts, "docker", lambda *args, check=True: completed(0, stdout="bash\n"))
    monkeypatch.setattr(hosts.time, "sleep", lambda _: None)
    with pytest.raises(hosts.HostError, match="PID 1 is 'bash', not systemd"):
        hosts.wait_for_systemd("h1", timeout_s=0.01)

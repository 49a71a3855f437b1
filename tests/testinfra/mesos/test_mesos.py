"""Mesos master and agent roles: flag files, units, preflight refusals, and the daemons when MESOS_DEB is set.

No Mesos package is reachable from this build machine. Without MESOS_DEB the
roles run with mesos_*_install: false, so these tests check what the roles
write and refuse; the one test that needs running daemons is skipped with that
reason, so the skip shows in the counts.
"""

from __future__ import annotations

import json
import os
import shlex
import time

import pytest

MESOS_DEB = os.environ.get("MESOS_DEB", "")
NOT_EXERCISED = "MESOS_DEB not set: no Mesos package is reachable here; daemons not exercised"
UNITS = {"master": "mesos-master.service", "agent": "mesos-agent.service"}


def env_file(host, daemon: str) -> dict[str, str]:
    """MESOS_* assignments of /etc/mesos/<daemon>.env, unquoted."""
    values = {}
    for line in host.file(f"/etc/mesos/{daemon}.env").content_string.splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.partition("=")
            values[name] = shlex.split(value)[0] if value else ""
    return values


def address(host) -> str:
    return host.interface("eth0").addresses[0]


def has_docker(host) -> bool:
    return host.run("command -v docker").rc == 0


def test_master_flags(host):
    ip = address(host)
    flags = env_file(host, "master")
    assert flags["MESOS_ZK"] == f"zk://{ip}:2181/mesos"
    assert flags["MESOS_QUORUM"] == "1"
    assert flags["MESOS_IP"] == ip
    assert flags["MESOS_ADVERTISE_IP"] == ip
    assert flags["MESOS_HOSTNAME"] == ip
    assert flags["MESOS_WORK_DIR"] == "/var/lib/mesos/master"
    assert flags["MESOS_REGISTRY"] == "replicated_log"
    # Unset flags are left out, never written empty.
    assert "MESOS_OFFER_TIMEOUT" not in flags
    assert "MESOS_LOG_DIR" not in flags
    assert all(flags.values()), flags


def test_agent_flags(host):
    ip = address(host)
    flags = env_file(host, "agent")
    assert flags["MESOS_MASTER"] == f"zk://{ip}:2181/mesos"
    assert flags["MESOS_IP"] == ip
    assert flags["MESOS_HOSTNAME"] == ip
    assert flags["MESOS_RESOURCES"] == "cpus:1;mem:1024;ports:[31000-32000]"
    assert flags["MESOS_ATTRIBUTES"] == "role:lab"
    assert flags["MESOS_EXECUTOR_REGISTRATION_TIMEOUT"] == "5mins"
    # The host is a container: the defaults for containers apply.
    assert flags["MESOS_LAUNCHER"] == "posix"
    assert flags["MESOS_ISOLATION"] == "posix/cpu,posix/mem"
    assert flags["MESOS_SYSTEMD_ENABLE_SUPPORT"] == "false"
    if has_docker(host):
        assert flags["MESOS_CONTAINERIZERS"] == "docker,mesos"
        assert flags["MESOS_DOCKER"] == host.check_output("command -v docker")
        assert flags["MESOS_DOCKER_SOCKET"] == "/var/run/docker.sock"
    else:
        assert flags["MESOS_CONTAINERIZERS"] == "mesos"
        assert "MESOS_DOCKER" not in flags
    assert all(flags.values()), flags


def test_agent_unit_follows_docker_only_with_docker_containerizer(host):
    unit = host.file("/etc/systemd/system/mesos-agent.service").content_string
    uses_docker = "docker" in env_file(host, "agent")["MESOS_CONTAINERIZERS"].split(",")
    assert ("Requires=docker.service" in unit) == uses_docker
    assert ("After=network-online.target docker.service" in unit) == uses_docker


@pytest.mark.parametrize("daemon", ["master", "agent"])
def test_unit_verifies(host, daemon):
    """systemd-analyze verify on the rendered unit.

    Without MESOS_DEB the Mesos binary is absent and verify would only report
    that, so a copy of the unit with ExecStart's binary replaced by the stand-in
    /bin/true is verified instead; every other line is the rendered one. With
    MESOS_DEB the rendered unit itself is verified.
    """
    unit = f"/etc/systemd/system/{UNITS[daemon]}"
    exec_start = [line for line in host.file(unit).content_string.splitlines() if line.startswith("ExecStart=")]
    assert len(exec_start) == 1
    binary = exec_start[0].removeprefix("ExecStart=").split()[0]
    assert binary.startswith(("/usr/sbin/mesos-", "/usr/local/sbin/mesos-"))
    if MESOS_DEB:
        result = host.run("systemd-analyze verify %s", unit)
    else:
        assert not host.file(binary).exists
        stand_in = f"/tmp/verify/{UNITS[daemon]}"
        host.check_output(
            "mkdir -p /tmp/verify && sed 's#^ExecStart=%s#ExecStart=/bin/true#' %s > %s", binary, unit, stand_in
        )
        result = host.run("systemd-analyze verify %s", stand_in)
    assert result.rc == 0, result.stderr
    assert result.stderr.strip() == "", result.stderr


def test_daemons_not_started_without_a_package(host):
    if MESOS_DEB:
        pytest.skip("MESOS_DEB set: the daemons run; see test_agent_registered_with_docker")
    for unit in UNITS.values():
        assert not host.service(unit).is_running
        assert not host.service(unit).is_enabled


def test_agent_registered_with_docker(host):
    """Through the master's HTTP API: the agent registered, and its flags name the docker containerizer."""
    if not MESOS_DEB:
        pytest.skip(NOT_EXERCISED)
    ip = address(host)
    fetch = "import sys, urllib.request; print(urllib.request.urlopen(sys.argv[1], timeout=10).read().decode())"
    agents: list[dict] = []
    for _ in range(30):
        state = json.loads(host.check_output("python3 -c %s %s", fetch, f"http://{ip}:5050/state"))
        agents = state.get("slaves", [])
        if agents:
            break
        time.sleep(2)
    assert len(agents) == 1, state
    assert agents[0]["hostname"] == ip
    agent_pid = agents[0]["pid"]  # slave(1)@10.x.y.z:5051
    agent_flags = json.loads(host.check_output("python3 -c %s %s", fetch, f"http://{agent_pid.split('@')[1]}/flags"))
    assert "docker" in agent_flags["flags"]["containerizers"].split(",")
    for unit in UNITS.values():
        assert host.service(unit).is_running
        assert host.service(unit).is_enabled


def test_package_units_do_not_clash(host):
    if not MESOS_DEB:
        pytest.skip(NOT_EXERCISED)
    # A package's own agent unit must not run beside mesos-agent.service.
    assert not host.service("mesos-slave.service").is_running


# Refusals: each runs the role with bad input and must fail in its checks,
# before anything on the host changes, naming the variable and the value.


@pytest.mark.parametrize("quorum", [0, 2])
def test_quorum_out_of_range_is_refused(role_run, host, quorum):
    name = host.backend.get_hostname()
    result = role_run(name, "mesos_master", {"mesos_master_quorum": quorum})
    assert result.failed_with(
        f"{name}: mesos_master_quorum is {quorum}; allowed: 1 to 1 (the number of hosts in group 'mesos_masters'), "
        "normally 1, a majority; leave it unset to get that."
    ), result.output


@pytest.mark.parametrize("role", ["mesos_master", "mesos_agent"])
def test_hostname_on_loopback_is_refused(role_run, host, name_on_loopback, role):
    name = name_on_loopback
    result = role_run(name, role, {})
    assert result.failed_with(
        f"{name}: its name '{name}' resolves to 127.0.1.1 (see /etc/hosts) and neither cluster_address nor {role}_ip is "
        "set, so Mesos would advertise a loopback address."
    ), result.output
    # With an explicit address the name check passes; a cgroup path forced to be missing stops the run right
    # after it, before any change.
    explicit = role_run(
        name, role, {"cluster_address": address(host), f"{role}_cgroup_v1_paths": ["/nonexistent/cgroup/cpu"]}
    )
    assert "resolves to 127.0.1.1" not in explicit.output
    assert explicit.failed_with("(" + role + "_cgroup_v1_paths) is a cgroup v1 mount"), explicit.output


@pytest.mark.parametrize("role", ["mesos_master", "mesos_agent"])
def test_missing_cgroup_v1_is_refused(role_run, host, role):
    name = host.backend.get_hostname()
    result = role_run(name, role, {f"{role}_cgroup_v1_paths": ["/nonexistent/cgroup/cpu"]})
    assert result.failed_with(
        f"{name}: none of /nonexistent/cgroup/cpu ({role}_cgroup_v1_paths) is a cgroup v1 mount; /sys/fs/cgroup is "
        "tmpfs. Mesos 1.x needs the cgroup v1 cpu or memory hierarchy"
    ), result.output


def test_docker_containerizer_without_working_docker_is_refused(role_run, host):
    name = host.backend.get_hostname()
    result = role_run(
        name,
        "mesos_agent",
        {"mesos_agent_containerizers": "docker,mesos", "mesos_agent_docker_socket": "/run/nonexistent/docker.sock"},
    )
    assert result.failed_with(
        f"{name}: --containerizers=docker,mesos (mesos_agent_containerizers) includes docker, but `"
    ), result.output
    assert result.failed_with("as user root against /run/nonexistent/docker.sock failed"), result.output

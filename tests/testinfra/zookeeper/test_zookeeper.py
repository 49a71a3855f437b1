"""A single ZooKeeper node from the distribution's package, on each platform."""

from __future__ import annotations

import pytest

# Asks the node over its client port, the way the role's leader check does.
ASK = (
    "import socket, sys; s = socket.create_connection(('127.0.0.1', 2181), 5); "
    "s.sendall(sys.argv[1].encode()); print(b''.join(iter(lambda: s.recv(4096), b'')).decode())"
)


def four_letter(host, word: str) -> str:
    return host.check_output("python3 -c %s %s", ASK, word)


def zk_version(host) -> str:
    return host.package("zookeeper").version


def test_package_matches_the_release(host):
    expected = {"ubuntu": "3.4.", "debian": "3.8."}[host.system_info.distribution]
    assert zk_version(host).startswith(expected)


def test_service_enabled_and_running(host):
    service = host.service("zookeeper")
    assert service.is_running
    assert service.is_enabled


def test_config_written(host):
    cfg = host.file("/etc/zookeeper/conf/zoo.cfg").content_string.splitlines()
    assert "clientPort=2181" in cfg
    assert "dataDir=/var/lib/zookeeper" in cfg
    # A lone member: no server lines, so it runs standalone.
    assert not [line for line in cfg if line.startswith("server.")]
    whitelist = [line for line in cfg if line.startswith("4lw.commands.whitelist=")]
    if zk_version(host).startswith("3.4."):
        assert whitelist == []
    else:
        assert whitelist == ["4lw.commands.whitelist=srvr,ruok,mntr,stat"]


def test_myid_is_the_position_in_the_group(host):
    assert host.file("/var/lib/zookeeper/myid").content_string.strip() == "1"


def test_srvr_reports_standalone(host):
    assert "Mode: standalone" in four_letter(host, "srvr")


def test_whitelisted_words_answer(host):
    # ruok and mntr are off by default on 3.5+; the whitelist turns them on.
    assert four_letter(host, "ruok").strip() == "imok"
    assert "zk_server_state\tstandalone" in four_letter(host, "mntr")


def test_host_outside_the_group_is_refused(role_run, host):
    name = host.backend.get_hostname()
    result = role_run(name, "zookeeper", {"zookeeper_group": "nosuchgroup"})
    assert result.failed_with(
        f"{name}: not in inventory group 'nosuchgroup' (zookeeper_group), so it has no place in the ensemble. "
        "Members of that group: none."
    ), result.output


def test_server_id_out_of_range_is_refused(role_run, host):
    name = host.backend.get_hostname()
    result = role_run(name, "zookeeper", {"zookeeper_myid": 300})
    assert result.failed_with(
        f"{name}: zookeeper_myid must be a whole number from 1 to 255, different on every host of group "
        f"'zookeeper'. Found: {name}=300."
    ), result.output


def test_whitelist_without_srvr_is_refused(role_run, host):
    name = host.backend.get_hostname()
    if zk_version(host).startswith("3.4."):
        pytest.skip("ZooKeeper 3.4 has no four-letter-word whitelist; the list is not used there")
    result = role_run(name, "zookeeper", {"zookeeper_4lw_commands": ["ruok", "mntr"]})
    assert result.failed_with(
        f"{name}: zookeeper_4lw_commands is ruok,mntr; ZooKeeper 3.8 answers only whitelisted four-letter words "
        "and the leader check needs srvr."
    ), result.output

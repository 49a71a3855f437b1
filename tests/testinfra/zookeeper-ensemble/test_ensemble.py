"""Three Debian 12 nodes form one ZooKeeper ensemble with exactly one leader."""

from __future__ import annotations

import os
import re

import pytest
import testinfra

ASK = (
    "import socket, sys; s = socket.create_connection(('127.0.0.1', 2181), 5); "
    "s.sendall(sys.argv[1].encode()); print(b''.join(iter(lambda: s.recv(4096), b'')).decode())"
)
EXPECTED_IDS = {"zk-ensemble-1": "1", "zk-ensemble-2": "2", "zk-ensemble-3": "7"}


@pytest.fixture(scope="module")
def members(instances):
    inventory = os.environ["MOLECULE_INVENTORY_FILE"]
    return {name: testinfra.get_host(f"ansible://{name}?ansible_inventory={inventory}") for name in instances}


def mode(node) -> str:
    answer = node.check_output("python3 -c %s srvr", ASK)
    found = re.search(r"^Mode: (\S+)", answer, re.MULTILINE)
    return found.group(1) if found else f"none ({answer.strip()!r})"


def test_exactly_one_leader(members):
    modes = {name: mode(node) for name, node in members.items()}
    assert sorted(modes.values()) == ["follower", "follower", "leader"], modes


def test_ids_follow_inventory_then_position(host):
    name = host.backend.get_hostname()
    assert host.file("/var/lib/zookeeper/myid").content_string.strip() == EXPECTED_IDS[name]


def test_server_lines_name_every_member(host, members):
    cfg = host.file("/etc/zookeeper/conf/zoo.cfg").content_string
    lines = sorted(re.findall(r"^server\.(\d+)=([\d.]+):2888:3888$", cfg, re.MULTILINE))
    assert [server_id for server_id, _ in lines] == ["1", "2", "7"]
    addresses = {node.interface("eth0").addresses[0] for node in members.values()}
    assert {address for _, address in lines} == addresses


def test_duplicate_ids_are_refused(role_run, host):
    name = host.backend.get_hostname()
    result = role_run(name, "zookeeper", {"zookeeper_myid": 2})
    assert result.failed_with(
        "zookeeper_myid must be a whole number from 1 to 255, different on every host of group 'zookeeper'. "
        "Found: zk-ensemble-1=2, zk-ensemble-2=2, zk-ensemble-3=2."
    ), result.output

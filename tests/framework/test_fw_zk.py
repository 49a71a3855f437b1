"""Leader detection through ZooKeeper, with a stand-in for the kazoo client."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import fast_settings
from fake_master import FakeMaster

from nginx_framework import zk_leader
from nginx_framework.errors import MasterUnavailable


def _info(ip: str, port: int, hostname: str = "m") -> bytes:
    return json.dumps({"address": {"hostname": hostname, "ip": ip, "port": port}, "hostname": hostname}).encode()


class FakeZk:
    """Enough of KazooClient for leader_from_zk: start, get_children, get, stop, close."""

    def __init__(self, nodes: dict[str, bytes]) -> None:
        self.nodes = nodes
        self.started = self.closed = False

    def start(self, timeout: float) -> None:
        self.started = True

    def get_children(self, path: str) -> list[str]:
        assert path == "/mesos"
        return list(self.nodes)

    def get(self, path: str) -> tuple[bytes, object]:
        return self.nodes[path.rsplit("/", 1)[1]], object()

    def stop(self) -> None:
        pass

    def close(self) -> None:
        self.closed = True


def test_lowest_sequence_json_info_is_the_leader() -> None:
    nodes = {
        "json.info_0000000012": _info("10.0.0.2", 5050),
        "json.info_0000000007": _info("10.0.0.1", 5051),
        "log_replicas": b"",
        "info_0000000001": b"protobuf",
    }
    client = FakeZk(nodes)
    assert zk_leader.leader_from_zk("zk1:2181", "/mesos", 1.0, lambda h, t: client) == "http://10.0.0.1:5051"
    assert client.started and client.closed


def test_hostname_is_used_when_no_ip() -> None:
    data = json.dumps({"address": {"hostname": "master-a", "port": 5050}}).encode()
    assert zk_leader.leader_from_entries({"json.info_01": data}) == "http://master-a:5050"


def test_no_registered_master_is_unavailable_not_fatal() -> None:
    with pytest.raises(MasterUnavailable, match="no master has registered"):
        zk_leader.leader_from_zk("zk1:2181", "/mesos", 1.0, lambda h, t: FakeZk({"log_replicas": b""}))


def test_framework_finds_the_fake_master_through_zk(
    tmp_path: Path, start_framework: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    with FakeMaster() as master:
        nodes = {"json.info_0000000003": _info("127.0.0.1", master.port)}
        seen: list[str] = []

        def factory(hosts: str, timeout: float) -> FakeZk:
            seen.append(hosts)
            return FakeZk(nodes)

        monkeypatch.setattr(zk_leader, "_kazoo_client", factory)
        start_framework(fast_settings("zk://127.0.0.1:2181,127.0.0.2:2181/mesos", tmp_path))
        master.wait_for(lambda: master.running_tasks(), what="running via zk")
        assert seen[0] == "127.0.0.1:2181,127.0.0.2:2181"

"""Swarm mode and an attachable overlay across two Debian 12 hosts.

Most tests need both hosts at once, so they take them from the inventory
instead of the per-host `host` fixture, and run once.
"""

from __future__ import annotations

import hashlib
import json
import os
import re

import pytest
import testinfra

MANAGER = "swarm-manager"
WORKER = "swarm-worker"
OVERLAY = "cluster-overlay"
SUBNET = "10.240.10.0/24"
IMAGE = "basic-nginx:1.0"
WEB = "overlay-web"
# The converge's docker_networks input, so a re-run differs only in what a test changes.
NETWORK_VARS = {"docker_networks_overlays": [{"name": OVERLAY, "subnet": SUBNET}]}
FETCH = (
    "import hashlib, sys, urllib.request;"
    "body = urllib.request.urlopen(sys.argv[1], timeout=10).read();"
    "print(len(body), hashlib.sha256(body).hexdigest())"
)


def inventory_host(name: str):
    return testinfra.get_host(f"ansible://{name}", ansible_inventory=os.environ["MOLECULE_INVENTORY_FILE"])


@pytest.fixture(scope="module")
def manager():
    return inventory_host(MANAGER)


@pytest.fixture(scope="module")
def worker():
    return inventory_host(WORKER)


def swarm_state(node) -> dict:
    return json.loads(node.check_output("docker info --format '{{json .Swarm}}'"))


def eth0_address(node) -> str:
    """The host's address on the scenario network: its default IPv4 address, which the role advertises."""
    return node.check_output("ip -4 -o addr show dev eth0").split()[3].split("/")[0]


def mtu(node) -> int:
    return int(node.file("/sys/class/net/eth0/mtu").content_string)


def test_swarm_has_one_manager_and_both_nodes_ready(manager, worker):
    nodes = [
        line.split("|")
        for line in manager.check_output(
            "docker node ls --format '{{.ID}}|{{.Status}}|{{.ManagerStatus}}'"
        ).splitlines()
    ]
    ids = {swarm_state(manager)["NodeID"], swarm_state(worker)["NodeID"]}
    ours = [node for node in nodes if node[0] in ids]
    assert len(ours) == 2 and all(status == "Ready" for _, status, _ in ours), nodes
    assert sorted(role for _, _, role in ours) == ["", "Leader"], nodes
    assert swarm_state(worker)["LocalNodeState"] == "active"
    assert swarm_state(worker)["ControlAvailable"] is False
    # The manager advertises its address on the cluster network, as given to the role.
    assert swarm_state(manager)["NodeAddr"] == eth0_address(manager)


def test_overlay_is_attachable_with_the_interface_mtu_minus_50(manager, worker):
    network = json.loads(manager.check_output("docker network inspect %s", OVERLAY))[0]
    assert network["Driver"] == "overlay" and network["Scope"] == "swarm" and network["Attachable"] is True
    assert network["IPAM"]["Config"][0]["Subnet"] == SUBNET
    assert network["Options"]["com.docker.network.driver.mtu"] == str(min(mtu(manager), mtu(worker)) - 50)
    assert "encrypted" not in network["Options"]


def test_firewall_opens_the_swarm_ports_to_the_other_member_only(manager, worker):
    for node, other, ports in (
        (manager, worker, ["2377/tcp", "7946/tcp", "7946/udp", "4789/udp"]),
        (worker, manager, ["7946/tcp", "7946/udp", "4789/udp"]),
    ):
        status = node.check_output("ufw status")
        assert "Status: active" in status
        rules = {tuple(line.split()[:3]) for line in status.splitlines() if "ALLOW" in line}
        assert rules == {(port, "ALLOW", eth0_address(other)) for port in ports}, status


@pytest.fixture(scope="module")
def web(manager):
    """The nginx image on the manager, attached to the overlay; yields its URL there."""
    manager.run("docker rm --force %s", WEB)
    manager.check_output("docker run --detach --name %s --network %s %s", WEB, OVERLAY, IMAGE)
    inspected = json.loads(manager.check_output("docker inspect %s", WEB))[0]
    yield f"http://{inspected['NetworkSettings']['Networks'][OVERLAY]['IPAddress']}/"
    manager.run("docker rm --force %s", WEB)


def test_worker_fetches_a_large_page_from_the_manager_over_the_overlay(manager, worker, web):
    page = manager.file("/opt/nginx_image/index.html").content_string.encode()
    assert len(page) > 4096, "the page must span several packets to test the MTU"
    # A standalone container on the worker joins the overlay created on the manager.
    fetched = worker.run("timeout 60 docker run --rm --network %s %s python3 -c %s %s", OVERLAY, IMAGE, FETCH, web)
    assert fetched.rc == 0, fetched.stderr
    assert fetched.stdout.split() == [str(len(page)), hashlib.sha256(page).hexdigest()]


def test_overlay_subnet_overlapping_a_host_route(manager, role_run):
    # eth0's own subnet is a host route on every member.
    route = next(
        line.split()
        for line in manager.check_output("ip -4 route show dev eth0 scope link").splitlines()
        if "/" in line
    )[0]
    overlays = [{"name": "ov-probe", "subnet": route}]
    result = role_run("all", "docker_networks", {"docker_networks_overlays": overlays})
    assert result.failed_with(
        f"docker_networks_overlays: subnet {route} of network 'ov-probe' overlaps the host route {route} dev eth0"
    ), result.output
    assert manager.run("docker network inspect ov-probe").rc != 0


def test_host_in_another_swarm_is_refused_not_moved(manager, worker, role_run):
    old_node = swarm_state(worker)["NodeID"]
    worker.check_output("docker swarm leave")
    try:
        worker.check_output("docker swarm init --advertise-addr %s", eth0_address(worker))
        other = swarm_state(worker)
        result = role_run("all", "docker_networks", NETWORK_VARS)
        assert result.failed_with(
            f"{WORKER} is already in another swarm (state active, node ID {other['NodeID']}, "
            f"cluster ID {other['Cluster']['ID']},"
        ), result.output
        assert result.failed_with(f"not in the swarm of {MANAGER} (cluster ID {swarm_state(manager)['Cluster']['ID']})")
        assert swarm_state(worker)["Cluster"]["ID"] == other["Cluster"]["ID"], "the host must not be moved"
    finally:
        # Back into the scenario's swarm, through the role, and drop the node left behind.
        worker.run("docker swarm leave --force")
        rejoined = role_run("all", "docker_networks", NETWORK_VARS)
        manager.run("docker node rm --force %s", old_node)
    assert rejoined.rc == 0, rejoined.output
    assert re.search(rf"{WORKER}\s+: ok=\d+\s+changed=[1-9]", rejoined.output), rejoined.output
    assert swarm_state(worker)["LocalNodeState"] == "active"

"""nginx_image and docker_networks (bridge only) on one host per platform.

The image is built from toolkit/appbase, loaded from an archive. Where the
host cannot start containers at all (Ubuntu 16.04 host containers on a
machine without CAP_SYS_RESOURCE), the converge skips the build and the
tests that need a container say so; the others still run there.
"""

from __future__ import annotations

import json
import os
import re
import time
from pathlib import Path

import pytest

IMAGE = "basic-nginx:1.0"
BASE = "toolkit/appbase:latest"
BUILD_DIR = "/opt/nginx_image"
NETWORK = "docker-internal"
CONTAINER = "dummy-nginx"
CONTEXT_LABEL = "org.mesos-docker-toolkit.nginx-image.context"
# What converge.yml gives nginx_image; inventory_hostname is templated by Ansible.
PAGE_TEMPLATE = "<h1>{{ inventory_hostname }}</h1><p>converged</p>\n"


@pytest.fixture(scope="module")
def archive() -> str:
    return str(Path(os.environ["MOLECULE_PROJECT_DIRECTORY"]) / ".cache/images/appbase.tar")


@pytest.fixture(scope="module")
def image_vars(archive) -> dict[str, object]:
    """What converge.yml passes to nginx_image, so a re-run differs only in what a test changes."""
    return {"nginx_image_base": BASE, "nginx_image_base_archive": archive, "nginx_image_page": PAGE_TEMPLATE}


@pytest.fixture(scope="module")
def containers_start(host) -> None:
    """Skip, with the engine's own reason, where this host cannot start any container."""
    probe = host.run("timeout 60 docker run --rm %s true", BASE)
    if probe.rc != 0:
        pytest.skip(
            f"containers cannot start on {host.backend.get_hostname()} ({probe.stderr.strip()}); on Ubuntu 16.04 host "
            "containers, xenial's containerd 1.2.6 sets the shim's oom_score_adj to -999, which needs CAP_SYS_RESOURCE "
            "that this machine does not grant, so the converge does not build the image there (nginx_image_build: false)"
        )


def inspect(host, what: str, name: str) -> dict:
    return json.loads(host.check_output("docker %s inspect %s", what, name))[0]


def address_on(host, container: str, network: str) -> str:
    return inspect(host, "container", container)["NetworkSettings"]["Networks"][network]["IPAddress"]


def fetch(host, url: str) -> tuple[int, str]:
    """Fetch a URL from the host itself (not from inside a container)."""
    result = host.run("curl --silent --show-error --max-time 5 %s", url)
    return result.rc, result.stdout


def start_nginx(host, name: str, port: int | None = None) -> str:
    """Start the image on the bridge network, wait until it answers, return its address."""
    host.run("docker rm --force %s", name)
    env = f"--env NGINX_PORT={port}" if port else ""
    host.check_output("docker run --detach --name %s --network %s " + env + " %s", name, NETWORK, IMAGE)
    address = address_on(host, name, NETWORK)
    url = f"http://{address}:{port or 80}/"
    for _ in range(50):
        if fetch(host, url)[0] == 0:
            break
        time.sleep(0.2)
    return address


@pytest.fixture(scope="module")
def dummy_nginx(host, containers_start):
    address = start_nginx(host, CONTAINER)
    yield address
    host.run("docker rm --force %s", CONTAINER)


def recap_changed(output: str) -> list[int]:
    return [int(n) for n in re.findall(r"\bchanged=(\d+)", output)]


# Both platforms: what does not need a running container.


def test_context_rendered_on_the_host(host):
    dockerfile = host.file(f"{BUILD_DIR}/Dockerfile")
    assert dockerfile.mode == 0o644
    lines = dockerfile.content_string.splitlines()
    assert f"FROM {BASE}" in lines
    assert 'CMD ["nginx", "-g", "daemon off;"]' in lines
    assert (
        host.file(f"{BUILD_DIR}/index.html").content_string
        == f"<h1>{host.backend.get_hostname()}</h1><p>converged</p>\n"
    )
    assert host.file(f"{BUILD_DIR}/entrypoint.sh").mode == 0o755


def test_base_image_loaded_from_the_archive(host):
    assert inspect(host, "image", BASE)["RepoTags"] == [BASE]
    assert host.file("/var/cache/nginx_image/appbase.tar").mode == 0o600


def test_bridge_network_exists(host):
    network = inspect(host, "network", NETWORK)
    assert network["Driver"] == "bridge" and network["Scope"] == "local"
    assert network["IPAM"]["Config"], "Docker allocates a subnet when none is given"


# Containers: Debian 12 here (see containers_start).


def test_image_runs_nginx_in_the_foreground(host, containers_start):
    config = inspect(host, "image", IMAGE)["Config"]
    assert config["Entrypoint"] == ["/usr/local/bin/nginx-entrypoint"]
    assert config["Cmd"] == ["nginx", "-g", "daemon off;"]
    assert "80/tcp" in config["ExposedPorts"]
    assert len(config["Labels"][CONTEXT_LABEL]) == 64


def test_page_served_on_the_bridge_network(host, dummy_nginx):
    assert fetch(host, f"http://{dummy_nginx}/") == (0, f"<h1>{host.backend.get_hostname()}</h1><p>converged</p>\n")
    # nginx itself is PID 1 (the entrypoint exec'd it), and logs go to the container's output.
    assert host.check_output("docker exec %s cat /proc/1/cmdline", CONTAINER).startswith("nginx: master process")
    assert host.check_output("docker exec %s readlink /var/log/nginx/access.log", CONTAINER) == "/dev/stdout"
    assert host.check_output("docker exec %s readlink /var/log/nginx/error.log", CONTAINER) == "/dev/stderr"
    logs = host.run("docker logs %s", CONTAINER)
    assert '"GET / HTTP/1.1" 200' in logs.stdout, logs


def test_nginx_port_moves_the_listener(host, containers_start):
    try:
        address = start_nginx(host, "dummy-nginx-8081", port=8081)
        assert fetch(host, f"http://{address}:8081/")[0] == 0
        assert fetch(host, f"http://{address}:80/")[0] != 0, "nothing should listen on 80 any more"
    finally:
        host.run("docker rm --force dummy-nginx-8081")


def test_bad_nginx_port_stops_the_container_with_a_reason(host, containers_start):
    result = host.run("docker run --rm --env NGINX_PORT=http %s", IMAGE)
    assert result.rc == 64
    assert "NGINX_PORT must be a port number from 1 to 65535, got 'http'" in result.stderr


def test_changed_page_rebuilds_and_a_third_run_changes_nothing(host, role_run, image_vars, containers_start):
    name = host.backend.get_hostname()
    before = inspect(host, "image", IMAGE)["Id"]
    new_page = "<h1>{{ inventory_hostname }}</h1><p>second edition</p>\n"
    try:
        changed = role_run(name, "nginx_image", {**image_vars, "nginx_image_page": new_page})
        assert changed.rc == 0, changed.output
        after = inspect(host, "image", IMAGE)["Id"]
        assert after != before
        assert recap_changed(changed.output)[-1] >= 2, changed.output  # the page and the image
        address = start_nginx(host, "dummy-nginx-new")
        assert fetch(host, f"http://{address}/")[1] == f"<h1>{name}</h1><p>second edition</p>\n"
        again = role_run(name, "nginx_image", {**image_vars, "nginx_image_page": new_page})
        assert again.rc == 0 and recap_changed(again.output) == [0], again.output
        assert inspect(host, "image", IMAGE)["Id"] == after
    finally:
        host.run("docker rm --force dummy-nginx-new")
        restored = role_run(name, "nginx_image", image_vars)
        assert restored.rc == 0, restored.output


# Negative cases: each fails before the host changes, naming what is wrong.


def test_missing_base_archive(host, role_run, image_vars):
    name = host.backend.get_hostname()
    before = host.file(f"{BUILD_DIR}/index.html").content_string
    result = role_run(
        name,
        "nginx_image",
        {**image_vars, "nginx_image_base_archive": "/nonexistent/base.tar", "nginx_image_page": "x"},
    )
    assert result.failed_with(
        f"{name}: nginx_image_base_archive '/nonexistent/base.tar' is not a file on the controller."
    ), result.output
    assert host.file(f"{BUILD_DIR}/index.html").content_string == before


def test_bad_port(host, role_run, image_vars):
    result = role_run(host.backend.get_hostname(), "nginx_image", {**image_vars, "nginx_image_port": 70000})
    assert result.failed_with("nginx_image_port 70000 a port from 1 to 65535"), result.output


def test_subnet_overlapping_a_docker_network(host, role_run):
    host.run("docker network rm overlap-probe")
    host.check_output("docker network create --subnet 10.231.0.0/24 overlap-probe")
    try:
        bridges = [{"name": NETWORK}, {"name": "probe-net", "subnet": "10.231.0.0/16"}]
        result = role_run(host.backend.get_hostname(), "docker_networks", {"docker_networks_bridges": bridges})
        assert result.failed_with(
            "docker_networks_bridges: subnet 10.231.0.0/16 of network 'probe-net' overlaps Docker network "
            "'overlap-probe' (10.231.0.0/24)"
        ), result.output
        assert host.run("docker network inspect probe-net").rc != 0, "nothing may be created after the check fails"
    finally:
        host.run("docker network rm overlap-probe")


def test_subnet_overlapping_a_host_route(host, role_run):
    host.run("ip route del 10.232.0.0/16")
    host.check_output("ip route add 10.232.0.0/16 dev eth0")
    try:
        bridges = [{"name": "probe-net", "subnet": "10.232.5.0/24", "gateway": "10.232.5.1"}]
        result = role_run(host.backend.get_hostname(), "docker_networks", {"docker_networks_bridges": bridges})
        assert result.failed_with(
            "docker_networks_bridges: subnet 10.232.5.0/24 of network 'probe-net' overlaps the host route "
            "10.232.0.0/16 dev eth0"
        ), result.output
        assert host.run("docker network inspect probe-net").rc != 0
    finally:
        host.run("ip route del 10.232.0.0/16")


def test_gateway_outside_its_subnet(host, role_run):
    bridges = [{"name": "probe-net", "subnet": "10.233.0.0/24", "gateway": "10.233.1.1"}]
    result = role_run(host.backend.get_hostname(), "docker_networks", {"docker_networks_bridges": bridges})
    assert result.failed_with("gateway '10.233.1.1' of network 'probe-net' is not inside its subnet 10.233.0.0/24")


def test_overlay_without_a_swarm_manager(host, role_run):
    name = host.backend.get_hostname()
    result = role_run(name, "docker_networks", {"docker_networks_overlays": [{"name": "ov-probe"}]})
    assert result.failed_with(
        f"{name}: docker_networks_overlays lists ov-probe, but the inventory group 'swarm_managers' "
        "(docker_networks_managers_group) has no hosts."
    ), result.output
    assert host.run("docker network inspect ov-probe").rc != 0

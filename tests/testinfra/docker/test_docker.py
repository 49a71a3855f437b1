"""The docker role, against the local signed repository shaped like Docker's."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

KEYRING = "/etc/apt/keyrings/docker.gpg"
SOURCE = "/etc/apt/sources.list.d/docker-ce.list"
PINNED = {"xenial": "5:20.10.6~3-0~ubuntu-xenial", "bookworm": "5:24.0.6-1~debian.12~bookworm"}
VENDOR = {"xenial": "ubuntu", "bookworm": "debian"}


@pytest.fixture(scope="module")
def repo() -> dict[str, str]:
    path = Path(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"]) / "docker_repo.json"
    return json.loads(path.read_text())


@pytest.fixture()
def codename(host) -> str:
    """The release codename; Ubuntu 16.04's os-release has only UBUNTU_CODENAME."""
    fields = dict(
        line.split("=", 1) for line in host.file("/etc/os-release").content_string.splitlines() if "=" in line
    )
    return (fields.get("VERSION_CODENAME") or fields["UBUNTU_CODENAME"]).strip('"')


@pytest.fixture()
def converge_vars(repo, codename) -> dict[str, object]:
    """What converge.yml passes, so a re-run differs only in what a test changes."""
    return {
        "docker_repo_base_url": repo["docker_repo_url_base"],
        "docker_repo_key": {"file": repo["docker_repo_key_file"], "fingerprint": repo["docker_repo_key_fingerprint"]},
        "docker_python_wheels_dir": str(Path.home() / ".cache/mesos-docker-toolkit/wheels-py35"),
        "docker_version": PINNED[codename],
        "docker_users": ["alice"],
        "docker_default_address_pools": [{"base": "10.201.0.0/16", "size": 24}],
        "docker_log_max_size": "5m",
        "docker_http_proxy": "http://proxy.invalid:3128",
        "docker_no_proxy": "localhost,127.0.0.1",
    }


def test_keyring_is_binary_and_holds_the_pinned_key(host, repo):
    keyring = host.file(KEYRING)
    assert keyring.is_file and keyring.mode == 0o644
    # A binary OpenPGP public key packet starts with 0x98 or 0x99; apt 1.2 reads nothing else.
    assert keyring.content[:1] in (b"\x98", b"\x99")
    listing = host.check_output(
        "gpg --batch --no-default-keyring --keyring %s --with-colons --fingerprint 2>/dev/null", KEYRING
    )
    assert f"fpr:::::::::{repo['docker_repo_key_fingerprint']}:" in listing.splitlines()


def test_key_is_not_trusted_system_wide(host, repo):
    trusted = host.run("ls /etc/apt/trusted.gpg /etc/apt/trusted.gpg.d/ 2>/dev/null").stdout
    assert "docker" not in trusted
    assert repo["docker_repo_key_fingerprint"][-8:] not in host.run("apt-key list 2>/dev/null").stdout.replace(" ", "")


def test_source_line_is_docker_s_with_signed_by(host, repo, codename):
    expected = (
        f"deb [arch=amd64 signed-by={KEYRING}] {repo['docker_repo_url_base']}/{VENDOR[codename]} {codename} stable\n"
    )
    assert host.file(SOURCE).content_string == expected


def test_pinned_version_installed_from_the_repository_and_held(host, repo, codename):
    for package in ("docker-ce", "docker-ce-cli"):
        assert host.package(package).version == PINNED[codename]
        assert host.check_output("dpkg --get-selections %s", package).split()[-1] == "hold"
    assert host.package("containerd.io").is_installed
    policy = host.check_output("apt-cache policy docker-ce")
    origin = f"{repo['docker_repo_url_base']}/{VENDOR[codename]} {codename}/stable"
    lines = policy.splitlines()
    installed = next(i for i, line in enumerate(lines) if line.strip().startswith(f"*** {PINNED[codename]} "))
    assert origin in lines[installed + 1], policy


def test_daemon_runs_with_the_configured_options(host):
    assert host.service("docker").is_running and host.service("docker").is_enabled
    config = json.loads(host.file("/etc/docker/daemon.json").content_string)
    assert config == {
        "log-driver": "json-file",
        "log-opts": {"max-size": "5m", "max-file": "3"},
        "default-address-pools": [{"base": "10.201.0.0/16", "size": 24}],
    }
    assert host.check_output("docker info --format '{{.LoggingDriver}}'") == "json-file"
    environment = host.check_output("systemctl show docker --property=Environment")
    assert "HTTP_PROXY=http://proxy.invalid:3128" in environment and "NO_PROXY=localhost,127.0.0.1" in environment
    # The daemon took its pools from daemon.json: a new network comes from 10.201.0.0/16.
    host.run("docker network rm pooltest")
    host.check_output("docker network create pooltest")
    try:
        subnet = host.check_output("docker network inspect pooltest --format '{{(index .IPAM.Config 0).Subnet}}'")
    finally:
        host.run("docker network rm pooltest")
    assert subnet.startswith("10.201.")


def test_listed_user_runs_docker(host):
    assert "docker" in host.user("alice").groups
    assert host.run("sudo -u alice docker info --format '{{.ServerVersion}}'").rc == 0


def test_docker_sdk_importable_for_ansibles_python(host, codename):
    version = host.check_output("python3 -c 'import docker, requests; print(docker.__version__)'")
    if codename == "xenial":
        assert version == "4.4.4"


# Negative cases: each fails before the host changes, naming what is wrong.


def test_unsupported_architecture(host, role_run, converge_vars):
    name = host.backend.get_hostname()
    result = role_run(name, "docker", {**converge_vars, "ansible_architecture": "i386"})
    assert result.failed_with(f"{name}: architecture 'i386' has no Docker CE packages."), result.output


def test_unknown_codename(host, role_run, converge_vars):
    name = host.backend.get_hostname()
    result = role_run(name, "docker", {**converge_vars, "docker_codename": "wobbly"})
    assert result.failed_with("codename 'wobbly' (docker_vendor / docker_codename"), result.output
    assert result.failed_with("Known: ubuntu: xenial, bionic, focal, jammy, noble; debian: bullseye, bookworm.")


def test_missing_pinned_version(host, role_run, converge_vars):
    name = host.backend.get_hostname()
    result = role_run(name, "docker", {**converge_vars, "docker_version": "5:99.0.0-1"})
    assert result.failed_with(f"{name}: docker_version '5:99.0.0-1' is not in"), result.output
    assert host.package("docker-ce").version == converge_vars["docker_version"]


def test_daemon_option_of_the_wrong_type(host, role_run, converge_vars):
    before = host.file("/etc/docker/daemon.json").content_string
    result = role_run(host.backend.get_hostname(), "docker", {**converge_vars, "docker_mtu": "big"})
    assert result.rc != 0 and "docker_mtu" in result.output and "int" in result.output, result.output
    assert host.file("/etc/docker/daemon.json").content_string == before


def test_hosts_option_is_refused(host, role_run, converge_vars):
    options = {"hosts": ["tcp://0.0.0.0:2375"]}
    result = role_run(host.backend.get_hostname(), "docker", {**converge_vars, "docker_daemon_options": options})
    assert result.failed_with("docker_daemon_options must not set 'hosts'"), result.output


def test_key_with_another_fingerprint_is_refused(host, role_run, converge_vars):
    key = {**converge_vars["docker_repo_key"], "fingerprint": "9DC8 5822 9FC7 DD38 854A E2D8 8D81 803C 0EBF CD88"}
    result = role_run(host.backend.get_hostname(), "docker", {**converge_vars, "docker_repo_key": key})
    assert result.failed_with("not the pinned 9DC8 5822 9FC7 DD38 854A E2D8 8D81 803C 0EBF CD88"), result.output


def test_user_that_does_not_exist(host, role_run, converge_vars):
    name = host.backend.get_hostname()
    result = role_run(name, "docker", {**converge_vars, "docker_users": ["alice", "nobody-here"]})
    assert result.failed_with(f"{name}: docker_users lists nobody-here, who do not exist"), result.output


def conflicting_source(host, repo, codename) -> str:
    line = f"deb [arch=amd64 signed-by=/usr/share/keyrings/other.gpg] {repo['docker_repo_url_base']}/{VENDOR[codename]} {codename} stable"
    host.run_test("printf '%%s\\n' %s > /etc/apt/sources.list.d/docker.list", line)
    return "/etc/apt/sources.list.d/docker.list"


def test_conflicting_source_fail_mode(host, role_run, converge_vars, repo, codename):
    path = conflicting_source(host, repo, codename)
    try:
        result = role_run(
            host.backend.get_hostname(), "docker", {**converge_vars, "docker_conflicting_sources": "fail"}
        )
        assert result.failed_with(f"{path} already list(s) {repo['docker_repo_url_base']}/{VENDOR[codename]}")
        assert host.file(path).exists, "fail mode must leave the file alone"
    finally:
        host.run("rm -f %s", path)


def test_conflicting_source_replace_mode(host, role_run, converge_vars, repo, codename):
    path = conflicting_source(host, repo, codename)
    try:
        # With both entries, apt itself refuses to work: that is the failure this guards against.
        assert host.run("apt-get update -qq").rc != 0
        result = role_run(
            host.backend.get_hostname(), "docker", {**converge_vars, "docker_conflicting_sources": "replace"}
        )
        assert result.rc == 0, result.output
        assert not host.file(path).exists
        assert host.run("ls /var/backups/apt-sources/docker.list.*").rc == 0
        assert host.run("apt-get update -qq").rc == 0
    finally:
        host.run("rm -f %s", path)

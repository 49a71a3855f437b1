"""The preflight role passes on good hosts and names the problem on bad ones."""

from __future__ import annotations

import pytest

# Enough to pass on the build machine; the converge uses the same values.
BASE_VARS = {"preflight_min_free_mb": 256, "preflight_lock_timeout": 5}


def test_pid1_is_systemd(host):
    assert host.file("/proc/1/comm").content_string.strip() == "systemd"


def test_supported_host_passes(role_run, host):
    name = host.backend.get_hostname()
    result = role_run(name, "preflight", BASE_VARS)
    assert result.rc == 0, result.output
    assert "failed=0" in result.output


def test_unsupported_architecture_is_refused(role_run, host):
    name = host.backend.get_hostname()
    result = role_run(name, "preflight", {**BASE_VARS, "ansible_architecture": "i386"})
    assert result.failed_with(
        f"{name}: architecture 'i386' has no Docker CE packages. "
        "Supported: x86_64 (amd64), aarch64 (arm64), armv7l (armhf)."
    ), result.output


def test_unsupported_release_is_refused(role_run, host):
    name = host.backend.get_hostname()
    distribution = host.system_info.distribution
    forced = (
        {"ansible_distribution_version": "15.10"}
        if distribution == "ubuntu"
        else {"ansible_distribution_major_version": "10", "ansible_distribution_version": "10"}
    )
    result = role_run(name, "preflight", {**BASE_VARS, **forced})
    assert result.failed_with(f"{name}: {distribution.capitalize()} {forced['ansible_distribution_version']}"), (
        result.output
    )
    assert result.failed_with("is not supported. Supported: Ubuntu 16.04, 18.04, 20.04, 22.04, 24.04; Debian 11, 12,")


def test_hostname_on_loopback_is_refused(role_run, name_on_loopback):
    name = name_on_loopback
    result = role_run(name, "preflight", BASE_VARS)
    explicit = role_run(name, "preflight", {**BASE_VARS, "cluster_address": "10.0.0.5"})
    assert result.failed_with(f"{name}: its name '{name}' resolves to 127.0.1.1 (see /etc/hosts)"), result.output
    assert explicit.rc == 0, explicit.output


def test_held_dpkg_lock_names_its_holder(role_run, host):
    name = host.backend.get_hostname()
    # Hold dpkg's lock the way dpkg does (an fcntl write lock) for a while.
    holder = "import fcntl, time; f = open('/var/lib/dpkg/lock', 'w'); fcntl.lockf(f, fcntl.LOCK_EX); time.sleep(30)"
    host.run_test("nohup python3 -c %s >/dev/null 2>&1 & sleep 1", holder)
    try:
        result = role_run(name, "preflight", {**BASE_VARS, "preflight_lock_timeout": 3})
    finally:
        host.run("pkill -f fcntl.lockf")
    assert result.failed_with("waited 3 s for apt/dpkg to become free, in vain: /var/lib/dpkg/lock is held by pid"), (
        result.output
    )
    assert "fcntl.lockf" in result.output


@pytest.mark.parametrize("floor", [10**9])
def test_disk_floor_is_enforced(role_run, host, floor):
    name = host.backend.get_hostname()
    result = role_run(name, "preflight", {**BASE_VARS, "preflight_min_free_mb": floor})
    assert result.failed_with(f"at least {floor} MiB (preflight_min_free_mb) are needed."), result.output

"""Make sure a Docker engine answers on this machine, starting one if we can.

`python -m tools.engine` is idempotent: with an engine already answering it
only prints its version. Otherwise, as root on Debian/Ubuntu, it installs the
distribution's `docker.io` when `dockerd` is missing and starts the daemon
(through systemd when systemd runs, else as a background process). Anywhere
else it says what the user must do and exits non-zero.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

DOCKERD_LOG = Path("/var/log/toolkit-dockerd.log")
START_TIMEOUT_S = 90


class EngineError(RuntimeError):
    """The engine is not there and we cannot start it; the text says why."""


def server_version() -> str | None:
    """Return the engine's version, or None when no engine answers."""
    if shutil.which("docker") is None:
        return None
    result = subprocess.run(
        ["docker", "version", "--format", "{{.Server.Version}}"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    version = result.stdout.strip()
    return version if result.returncode == 0 and version else None


def _is_debian_family() -> bool:
    try:
        text = Path("/etc/os-release").read_text()
    except OSError:
        return False
    return any(word in text for word in ("ID=debian", "ID=ubuntu", "ID_LIKE=debian", 'ID_LIKE="ubuntu'))


def _systemd_is_pid1() -> bool:
    return Path("/run/systemd/system").is_dir()


def _install_docker_io() -> None:
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    print("engine: installing the distribution's docker.io package", flush=True)
    subprocess.run(["apt-get", "update", "-q"], check=True, env=env)
    subprocess.run(["apt-get", "install", "-y", "-q", "docker.io"], check=True, env=env)


def _start_daemon() -> None:
    if _systemd_is_pid1():
        subprocess.run(["systemctl", "start", "docker"], check=True)
        return
    print(f"engine: starting dockerd in the background (log: {DOCKERD_LOG})", flush=True)
    with DOCKERD_LOG.open("ab") as log:
        # A session of its own so the daemon outlives this process and its terminal.
        subprocess.Popen(["dockerd"], stdout=log, stderr=log, stdin=subprocess.DEVNULL, start_new_session=True)


def _wait_for_engine(timeout_s: float) -> str:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        version = server_version()
        if version:
            return version
        time.sleep(1)
    raise EngineError(
        f"dockerd was started but did not answer within {timeout_s:.0f} s; see {DOCKERD_LOG} for its own words"
    )


def ensure_engine(timeout_s: float = START_TIMEOUT_S) -> str:
    """Return the running engine's version, installing and starting it when needed."""
    version = server_version()
    if version:
        return version
    if os.geteuid() != 0:
        raise EngineError(
            "no Docker engine answers and this is not root: start one yourself "
            "(e.g. `sudo systemctl start docker`) and make sure your user may use "
            "/var/run/docker.sock (`sudo usermod -aG docker $USER`, then log in again)"
        )
    if not _is_debian_family():
        raise EngineError(
            "no Docker engine answers and this machine is not Debian or Ubuntu: "
            "install Docker Engine (https://docs.docker.com/engine/install/) and start it"
        )
    if shutil.which("dockerd") is None:
        _install_docker_io()
    _start_daemon()
    return _wait_for_engine(timeout_s)


def main() -> int:
    try:
        version = ensure_engine()
    except (EngineError, subprocess.CalledProcessError) as exc:
        print(f"engine: {exc}", file=sys.stderr)
        return 1
    print(f"engine: Docker {version} answers")
    return 0


if __name__ == "__main__":
    sys.exit(main())

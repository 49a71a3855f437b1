"""The one definition of how a host container starts: systemd as PID 1.

Molecule's create/destroy playbooks and the lab both go through here. A host
container is first tried with `--privileged`; where the machine refuses that
(no CAP_SYS_RESOURCE, as on the CI machines), it is started with every other
capability and no seccomp/AppArmor confinement instead, which systemd and a
nested Docker engine accept.
"""

from __future__ import annotations

import argparse
import hashlib
import ipaddress
import json
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

LABEL = "toolkit.host"
BOOT_TIMEOUT_S = 90

# Every capability but SYS_RESOURCE, which this machine's capability set
# lacks; systemd and a nested Docker engine need most of the rest.
CAPABILITY_ARGS = ("--cap-add", "ALL", "--cap-drop", "SYS_RESOURCE")
UNCONFINED = ("--security-opt", "seccomp=unconfined", "--security-opt", "apparmor=unconfined")
PRIVILEGE_REFUSED = ("unable to apply caps", "operation not permitted")
# Host networks come from here, away from the 172.17-31 range the hosts' own
# Docker engines pick their bridges and docker_gwbridge from.
NETWORK_SPACE = ipaddress.ip_network("10.213.0.0/16")


class HostError(RuntimeError):
    """A host container could not be made ready; the text says why."""


@dataclass(frozen=True)
class HostSpec:
    name: str
    image: str
    network: str
    group: str  # who made it (a molecule scenario, the lab): `down` removes by this
    published: tuple[str, ...] = ()  # "HOSTPORT:CONTAINERPORT" pairs, for the lab


def docker(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(["docker", *args], capture_output=True, text=True, check=False)
    if check and result.returncode != 0:
        raise HostError(f"docker {' '.join(args[:2])} failed: {result.stderr.strip()}")
    return result


def cgroup_v1() -> bool:
    return not Path("/sys/fs/cgroup/cgroup.controllers").exists()


def run_args(spec: HostSpec, privileged: bool) -> list[str]:
    """The `docker run` arguments for one host container."""
    args = [
        "run", "--detach", "--name", spec.name, "--hostname", spec.name,
        "--network", spec.network, "--label", f"{LABEL}={spec.group}",
        "--tmpfs", "/run", "--tmpfs", "/run/lock", "--tmpfs", "/tmp:exec",
        # The inner engine needs a real filesystem, not overlay on overlay,
        # to use the overlay2 driver.
        "--volume", "/var/lib/docker",
        "--env", "container=docker", "--stop-signal", "SIGRTMIN+3",
    ]  # fmt: skip
    if cgroup_v1():
        args += ["--volume", "/sys/fs/cgroup:/sys/fs/cgroup:rw"]
    else:
        args += ["--cgroupns", "private"]
    if privileged:
        args.append("--privileged")
    else:
        args += [*CAPABILITY_ARGS, *UNCONFINED]
        args += ["--device", "/dev/fuse"] if Path("/dev/fuse").exists() else []
    for pair in spec.published:
        args += ["--publish", f"127.0.0.1:{pair}"]
    return [*args, spec.image, "/sbin/init"]


def ensure_network(name: str, group: str) -> str:
    """Create the hosts' private network once, on a free /24 of NETWORK_SPACE."""
    found = docker("network", "inspect", "--format", "{{(index .IPAM.Config 0).Subnet}}", name, check=False)
    if found.returncode == 0:
        return found.stdout.strip()
    subnets = list(NETWORK_SPACE.subnets(new_prefix=24))
    start = int(hashlib.sha256(name.encode()).hexdigest(), 16) % len(subnets)
    for offset in range(len(subnets)):
        subnet = subnets[(start + offset) % len(subnets)]
        made = docker(
            "network", "create", "--driver", "bridge", "--subnet", str(subnet),
            "--label", f"{LABEL}={group}", name, check=False,
        )  # fmt: skip
        if made.returncode == 0:
            return str(subnet)
        if "overlap" not in made.stderr:
            raise HostError(f"cannot create network {name}: {made.stderr.strip()}")
    raise HostError(f"no free /24 left in {NETWORK_SPACE} for network {name}")


def start(spec: HostSpec) -> None:
    """Start the container (privileged if allowed) unless it already runs."""
    state = docker("inspect", "--format", "{{.State.Running}}", spec.name, check=False)
    if state.stdout.strip() == "true":
        return
    if state.returncode == 0:
        docker("rm", "--force", "--volumes", spec.name)
    if docker("image", "inspect", spec.image, check=False).returncode != 0:
        raise HostError(
            f"host {spec.name}: image {spec.image} is not built; run `make images` (python -m tools.images build)"
        )
    first = docker(*run_args(spec, privileged=True), check=False)
    if first.returncode == 0:
        return
    if not any(word in first.stderr.lower() for word in PRIVILEGE_REFUSED):
        raise HostError(f"cannot start host {spec.name}: {first.stderr.strip()}")
    docker("rm", "--force", "--volumes", spec.name, check=False)
    docker(*run_args(spec, privileged=False))


def wait_for_systemd(name: str, timeout_s: float = BOOT_TIMEOUT_S) -> str:
    """Wait until systemd in the host has finished booting; return its state."""
    deadline = time.monotonic() + timeout_s
    comm, state = "unknown", "unknown"
    while time.monotonic() < deadline:
        # /sbin/init is a link to systemd, which names itself "systemd" only
        # once it runs: "init" for a moment is normal.
        comm = docker("exec", name, "cat", "/proc/1/comm", check=False).stdout.strip()
        if comm == "systemd":
            state = docker("exec", name, "systemctl", "is-system-running", check=False).stdout.strip()
            if state in ("running", "degraded"):
                return state
        time.sleep(1)
    if comm != "systemd":
        raise HostError(f"host {name}: PID 1 is {comm!r}, not systemd; the host image must boot /sbin/init")
    raise HostError(f"host {name}: systemd did not finish booting within {timeout_s:.0f} s (state {state!r})")


def address(name: str, network: str) -> str:
    found = docker(
        "inspect", "--format", f"{{{{(index .NetworkSettings.Networks {json.dumps(network)}).IPAddress}}}}", name
    )
    return found.stdout.strip()


def up(specs: list[HostSpec]) -> dict[str, str]:
    """Start every host, wait for all to boot, and return name -> address."""
    for spec in specs:
        ensure_network(spec.network, spec.group)
        start(spec)
    for spec in specs:
        wait_for_systemd(spec.name)
    return {spec.name: address(spec.name, spec.network) for spec in specs}


def down(group: str) -> list[str]:
    """Remove every container and network labelled with this group."""
    selector = f"label={LABEL}={group}"
    containers = docker("ps", "--all", "--filter", selector, "--format", "{{.Names}}").stdout.split()
    if containers:
        docker("rm", "--force", "--volumes", *containers)
    networks = docker("network", "ls", "--filter", selector, "--format", "{{.Name}}").stdout.split()
    if networks:
        docker("network", "rm", *networks)
    return containers + networks


def write_instance_config(path: Path, addresses: dict[str, str]) -> None:
    """Tell molecule to reach each host with `docker exec` (JSON is valid YAML)."""
    instances = [
        {"instance": name, "address": name, "user": "root", "connection": "community.docker.docker"}
        for name in addresses
    ]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(instances, indent=2) + "\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.hosts", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    up_cmd = sub.add_parser("up", help="start host containers from a JSON list of {name, image}")
    up_cmd.add_argument("--group", required=True, help="label for everything made, used by `down`")
    up_cmd.add_argument("--network", required=True, help="the hosts' private Docker network")
    up_cmd.add_argument("--hosts-json", required=True, help='e.g. [{"name": "h1", "image": "toolkit/debian12:latest"}]')
    down_cmd = sub.add_parser("down", help="remove everything of a group")
    down_cmd.add_argument("--group", required=True)
    for cmd in (up_cmd, down_cmd):
        cmd.add_argument("--instance-config", type=Path, help="molecule's instance config file to write")
    args = parser.parse_args(argv)
    try:
        if args.command == "up":
            specs = [HostSpec(h["name"], h["image"], args.network, args.group) for h in json.loads(args.hosts_json)]
            addresses = up(specs)
            print(json.dumps(addresses))
        else:
            print(json.dumps(down(args.group)))
            addresses = {}
        if args.instance_config:
            write_instance_config(args.instance_config, addresses)
    except HostError as exc:
        print(f"hosts: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

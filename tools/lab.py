"""Local lab: host containers on a private network, and an inventory for them.

    python -m tools.lab up [--hosts N] [--os ubuntu1604|debian12]
    python -m tools.lab status
    python -m tools.lab down

The hosts are the same systemd containers the molecule scenarios use
(tools/hosts.py). The inventory is written to .lab/inventory.yml, apart from
the user's inventory/. Docker's apt site is unreachable from here, so the lab
serves tools/aptrepo.py's signed repository to its hosts; the Mesos package
comes from MESOS_DEB (a .deb or a directory of them) when it is set.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import yaml

from tools import aptrepo, hosts
from tools.images.build import archive_path
from tools.images.recipes import RECIPES

ROOT = Path(__file__).resolve().parents[1]
# Another name keeps a second lab apart (the tests use one while yours runs).
NAME = os.environ.get("TOOLKIT_LAB_NAME", "lab")
LAB_DIR = ROOT / f".{NAME}"
INVENTORY = LAB_DIR / "inventory.yml"
GROUP = NAME
NETWORK = f"toolkit-{NAME}"
REPO_NAME = f"{NAME}-aptrepo"
OS_CHOICES = ("ubuntu1604", "debian12")
FRAMEWORK_STATUS_PORT = 8080


def nested_containers_work() -> tuple[bool, str]:
    """Ubuntu 16.04's containerd needs CAP_SYS_RESOURCE, which only --privileged hosts get."""
    probe = subprocess.run(
        ["docker", "run", "--rm", "--privileged", RECIPES["debian12"].image, "true"],
        capture_output=True,
        text=True,
        check=False,
    )
    if probe.returncode == 0:
        return True, ""
    return False, (
        "this machine refuses --privileged containers (no CAP_SYS_RESOURCE), and Ubuntu 16.04's containerd "
        "cannot start containers without it, so the lab uses Debian 12 hosts"
    )


def host_names(count: int) -> list[str]:
    return [f"{NAME}-{index}" for index in range(1, count + 1)]


def mesos_debs() -> list[str]:
    source = os.environ.get("MESOS_DEB", "")
    if not source:
        return []
    path = Path(source).resolve()
    if path.is_dir():
        return sorted(str(p) for p in path.glob("*.deb"))
    if path.suffix == ".deb" and path.exists():
        return [str(path)]
    raise SystemExit(f"lab: MESOS_DEB={source} is neither a .deb file nor a directory of them")


def inventory(names: list[str], repo: dict[str, str]) -> dict[str, Any]:
    """Groups as in inventory/: the first host manages, the others work."""
    first, rest = names[0], names[1:] or names
    debs = mesos_debs()
    variables: dict[str, Any] = {
        "ansible_connection": "community.docker.docker",
        "ansible_user": "root",
        "docker_repo_base_url": repo["docker_repo_url_base"],
        "docker_repo_key": {"file": repo["docker_repo_key_file"], "fingerprint": repo["docker_repo_key_fingerprint"]},
        # Keep the hosts' own Docker networks clear of the lab network (10.213.0.0/16).
        "docker_default_address_pools": [{"base": "10.201.0.0/16", "size": 24}],
        "nginx_image_base": RECIPES["appbase"].image,
        "nginx_image_base_archive": str(archive_path(RECIPES["appbase"])),
        "mesos_framework_base_image": RECIPES["appbase"].image,
        "mesos_framework_base_archive": str(archive_path(RECIPES["appbase"])),
        "mesos_master_debs": debs,
        "mesos_agent_debs": list(debs),
        "mesos_master_install": bool(debs),
        "mesos_agent_install": bool(debs),
        "mesos_framework_enabled": bool(debs),
    }
    return {
        "all": {
            "vars": variables,
            "children": {
                "docker_hosts": {"hosts": {name: {} for name in names}},
                "swarm_managers": {"hosts": {first: {}}},
                "swarm_workers": {"hosts": {name: {} for name in rest if name != first}},
                "zookeeper": {"hosts": {first: {}}},
                "mesos_masters": {"hosts": {first: {}}},
                "mesos_agents": {"hosts": {name: {} for name in rest}},
                "mesos_framework": {"hosts": {first: {}}},
            },
        }
    }


def up(count: int, os_name: str | None) -> int:
    if os_name is None:
        works, reason = nested_containers_work()
        os_name = "ubuntu1604" if works else "debian12"
        if reason:
            print(f"lab: {reason}")
    image = RECIPES[os_name].image
    names = host_names(count)
    print(f"lab: bringing up {count} {os_name} host(s), reusing any that already run: {', '.join(names)}", flush=True)
    addresses = hosts.up([hosts.HostSpec(name, image, NETWORK, GROUP) for name in names])
    repo = aptrepo.serve(NETWORK, REPO_NAME, GROUP)
    LAB_DIR.mkdir(exist_ok=True)
    INVENTORY.write_text(
        "# Written by `python -m tools.lab up`; removed by `down`. Not part of inventory/.\n"
        + yaml.safe_dump(inventory(names, repo), sort_keys=False)
    )
    (LAB_DIR / "hosts.json").write_text(json.dumps({"os": os_name, "addresses": addresses}, indent=2) + "\n")
    for name, address in addresses.items():
        print(f"lab: {name} at {address}")
    print(f"lab: inventory {INVENTORY.relative_to(ROOT)}")
    if not mesos_debs():
        print(
            "lab: MESOS_DEB is not set and no Mesos package is reachable here: ZooKeeper, Docker, the nginx "
            "image and the networks are provisioned; the Mesos masters, agents and the framework are skipped"
        )
    return 0


def fetch_json(url: str) -> Any:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return json.loads(response.read())
    except (urllib.error.URLError, OSError, ValueError):
        return None


def status() -> int:
    if not INVENTORY.exists():
        print(f"lab: no lab is up (python -m tools.lab up); looked for {INVENTORY.relative_to(ROOT)}")
        return 1
    info = json.loads((LAB_DIR / "hosts.json").read_text())
    groups = yaml.safe_load(INVENTORY.read_text())["all"]["children"]
    print(f"lab: {len(info['addresses'])} {info['os']} hosts, inventory {INVENTORY.relative_to(ROOT)}")
    for name, address in info["addresses"].items():
        running = hosts.docker("inspect", "--format", "{{.State.Status}}", name, check=False).stdout.strip() or "gone"
        member_of = ", ".join(group for group, body in groups.items() if name in (body.get("hosts") or {}))
        print(f"  {name:<10} {address:<15} {running:<8} {member_of}")
        page = hosts.docker(
            "exec", name, "sh", "-c",
            "docker inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' dummy-nginx 2>/dev/null",
            check=False,
        ).stdout.strip()  # fmt: skip
        if page:
            print(f"             nginx on docker-internal: docker exec {name} curl -s http://{page}/")
    master = next(iter(groups.get("mesos_masters", {}).get("hosts") or {}), None)
    if master is None:
        return 0
    address = info["addresses"][master]
    state = fetch_json(f"http://{address}:5050/master/state")
    if state is None:
        installed = yaml.safe_load(INVENTORY.read_text())["all"]["vars"].get("mesos_master_install")
        why = "it does not answer" if installed else "no Mesos package was supplied (set MESOS_DEB and run `make lab`)"
        print(f"  Mesos: not running at http://{address}:5050/: {why}")
        return 0
    print(f"  Mesos UI: http://{address}:5050/  (agents registered: {len(state.get('slaves', []))})")
    tasks = fetch_json(f"http://{address}:{FRAMEWORK_STATUS_PORT}/tasks") or {}
    for task in tasks.get("tasks", []):
        url = f"http://{task.get('hostname')}:{task.get('host_port') or 80}/"
        print(f"  nginx task {task.get('task_id')} ({task.get('state')}): {url}")
    return 0


def down() -> int:
    removed = hosts.down(GROUP)
    for path in (INVENTORY, LAB_DIR / "hosts.json"):
        path.unlink(missing_ok=True)
    print(f"lab: removed {', '.join(removed) if removed else 'nothing (no lab was up)'}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tools.lab", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="command", required=True)
    up_cmd = sub.add_parser("up", help="start the lab hosts and write their inventory")
    up_cmd.add_argument("--hosts", type=int, default=3, help="number of hosts (default 3)")
    up_cmd.add_argument(
        "--os", choices=OS_CHOICES, help="host OS (default: ubuntu1604 where nested containers run, else debian12)"
    )
    sub.add_parser("status", help="what runs where")
    sub.add_parser("down", help="remove everything the lab made")
    args = parser.parse_args(argv)
    if args.command == "up" and not 1 <= args.hosts <= 9:
        parser.error(f"--hosts must be between 1 and 9, not {args.hosts}")
    try:
        if args.command == "up":
            return up(args.hosts, args.os)
        return status() if args.command == "status" else down()
    except (hosts.HostError, aptrepo.RepoError) as exc:
        print(f"lab: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())

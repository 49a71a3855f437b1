"""Time site.yml on a fresh three-host lab: first run, then a no-op re-run.

    python -m tools.benchmark [--hosts 3] [--write docs/benchmarks.md]

Brings the lab down and up again so the first run starts from bare hosts,
runs site.yml twice through tools.provision, and prints (or writes) a
Markdown table. The second run must report no change; if it does not, the
benchmark says so and exits non-zero.
"""

from __future__ import annotations

import argparse
import io
import os
import platform
import sys
import time
from pathlib import Path

from tools import lab, provision
from tools.engine import ensure_engine


def run_once(label: str) -> provision.ProvisionResult:
    print(f"benchmark: {label} run of site.yml", flush=True)
    result = provision.run_playbook("site.yml", lab.INVENTORY, out=io.StringIO())
    changed = sum(s.changed for s in result.hosts.values())
    print(f"benchmark: {label} run {result.status} in {result.seconds:.0f} s, changed={changed}", flush=True)
    return result


def report(hosts: int, first: provision.ProvisionResult, second: provision.ProvisionResult) -> str:
    mesos = "with Mesos (MESOS_DEB set)" if os.environ.get("MESOS_DEB") else "without Mesos (MESOS_DEB not set)"
    lines = [
        "# Benchmarks",
        "",
        f"`site.yml` on a {hosts}-host Debian 12 lab (`make lab`'s hosts), {mesos}, measured by",
        "`python -m tools.benchmark --write docs/benchmarks.md`; rerun it to refresh these numbers.",
        "",
        f"Machine: {os.cpu_count()} cores, Python {platform.python_version()}, Docker {ensure_engine()},"
        f" {time.strftime('%Y-%m-%d')}.",
        "",
        "| run | status | seconds | changed (all hosts) |",
        "| --- | --- | ---: | ---: |",
    ]
    for name, result in (("first (bare hosts)", first), ("second (no-op)", second)):
        changed = sum(s.changed for s in result.hosts.values())
        lines.append(f"| {name} | {result.status} | {result.seconds:.0f} | {changed} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.benchmark", description=__doc__)
    parser.add_argument("--hosts", type=int, default=3)
    parser.add_argument("--write", type=Path, help="write the Markdown report to this file")
    args = parser.parse_args(argv)
    ensure_engine()
    lab.down()
    lab.up(args.hosts, "debian12")
    first = run_once("first")
    second = run_once("second")
    text = report(args.hosts, first, second)
    print(text)
    if args.write:
        args.write.parent.mkdir(parents=True, exist_ok=True)
        args.write.write_text(text)
    if first.exit_code or second.exit_code:
        print("benchmark: a run failed; see .cache/provision/ for its output", file=sys.stderr)
        return 1
    if any(s.changed for s in second.hosts.values()):
        print("benchmark: the second run changed something; site.yml is not idempotent", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

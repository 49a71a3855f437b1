"""Every molecule scenario, as one pytest case each (`molecule test`).

Scenarios whose hosts mix platforms run once per platform, so that a
platform whose host image could not be built (the Ubuntu archive did not
answer) is skipped on its own, with the reason, while the rest still run.
Each run's full output is kept in .cache/logs/molecule-<case>.log.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
LOGS = ROOT / ".cache" / "logs"
# Cheapest and most basic first, so a broken foundation fails fast.
ORDER = ["preflight", "docker", "nginx", "swarm", "zookeeper", "zookeeper-ensemble", "mesos", "framework"]
TIMEOUT_S = 1800

sys.path.insert(0, str(ROOT))
from tools import venv_path  # noqa: E402
from tools.images.build import read_status  # noqa: E402


def scenarios() -> list[tuple[str, str | None]]:
    """(scenario, platform or None for all) pairs, in ORDER."""
    found = sorted(p.parent.name for p in (ROOT / "molecule").glob("*/molecule.yml"))
    selected = os.environ.get("TOOLKIT_SCENARIOS")
    if selected:
        found = [name for name in found if name in selected.split(",")]
    found.sort(key=lambda name: ORDER.index(name) if name in ORDER else len(ORDER))
    cases: list[tuple[str, str | None]] = []
    for name in found:
        platforms = yaml.safe_load((ROOT / "molecule" / name / "molecule.yml").read_text())["platforms"]
        images = {p["image"] for p in platforms}
        if len(images) > 1:
            cases += [(name, p["name"]) for p in platforms]
        else:
            cases.append((name, None))
    return cases


def image_of(scenario: str, platform: str | None) -> set[str]:
    platforms = yaml.safe_load((ROOT / "molecule" / scenario / "molecule.yml").read_text())["platforms"]
    return {p["image"] for p in platforms if platform is None or p["name"] == platform}


def missing_image_reason(images: set[str]) -> str | None:
    status = read_status()
    for image in sorted(images):
        if subprocess.run(["docker", "image", "inspect", image], capture_output=True, check=False).returncode:
            name = image.split("/")[-1].split(":")[0]
            why = status.get(name, {}).get("detail") or "not built (run `make images`)"
            return f"host image {image} unavailable: {why}"
    return None


@pytest.mark.parametrize(
    ("scenario", "platform"),
    scenarios(),
    ids=lambda value: value if value else "all",
)
def test_molecule_scenario(scenario: str, platform: str | None) -> None:
    reason = missing_image_reason(image_of(scenario, platform))
    if reason:
        pytest.skip(reason)
    command = [sys.executable, "-m", "molecule", "test", "-s", scenario]
    if platform:
        command += ["--platform-name", platform]
    LOGS.mkdir(parents=True, exist_ok=True)
    log = LOGS / f"molecule-{scenario}{'-' + platform if platform else ''}.log"
    start = time.monotonic()
    with log.open("w") as out:
        result = subprocess.run(
            command,
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
            timeout=TIMEOUT_S,
            check=False,
            env=dict(os.environ, PATH=venv_path()),
        )
    elapsed = time.monotonic() - start
    print(f"molecule {scenario} {platform or ''}: rc={result.returncode} in {elapsed:.0f} s (log: {log})")
    # The verifier's own count and skip reasons, so what did not run is visible here too.
    for line in log.read_text(errors="replace").splitlines():
        if line.startswith("SKIPPED") or re.match(r"^=+ .*(passed|failed|skipped).* in [0-9.]+s", line):
            print(f"    verifier: {line.strip('= ')}")
    if result.returncode != 0:
        tail = "\n".join(log.read_text(errors="replace").splitlines()[-80:])
        pytest.fail(f"molecule test -s {scenario} failed (rc={result.returncode}); last lines of {log}:\n{tail}")

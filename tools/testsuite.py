"""`make test`: every check, in stages, with how long each took.

Stages: engine (start Docker if needed), images (build or reuse the host
images), lint (ruff, yamllint, ansible-lint, role docs), unit (pytest: tools
and the framework), molecule (every scenario on real systemd hosts). A failed
stage does not stop the later ones unless they depend on it; the exit code is
0 only when every stage passed. The last line counts test cases over all
pytest stages.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from tools import venv_path
from tools.engine import EngineError, ensure_engine

ROOT = Path(__file__).resolve().parents[1]
STAGES = ("engine", "images", "lint", "unit", "molecule")
PYTEST_COUNT = re.compile(r"(\d+) (passed|failed|skipped|errors?)\b")


@dataclass
class Stage:
    name: str
    ok: bool = True
    seconds: float = 0.0
    counts: dict[str, int] = field(default_factory=dict)
    note: str = ""


def run(command: list[str], stage: Stage) -> str:
    """Run a command with live output; record failure on the stage."""
    print(f"\n$ {' '.join(command)}", flush=True)
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert process.stdout is not None
    lines = []
    for line in process.stdout:
        sys.stdout.write(line)
        sys.stdout.flush()
        lines.append(line)
    if process.wait() != 0:
        stage.ok = False
    return "".join(lines)


def count_pytest(output: str, stage: Stage) -> None:
    tail = output.strip().splitlines()[-1:] or [""]
    for number, word in PYTEST_COUNT.findall(tail[0]):
        key = "errors" if word.startswith("error") else word
        stage.counts[key] = stage.counts.get(key, 0) + int(number)


def stage_engine(stage: Stage) -> None:
    try:
        stage.note = f"Docker {ensure_engine()}"
    except (EngineError, subprocess.CalledProcessError) as exc:
        stage.ok, stage.note = False, str(exc)


def stage_images(stage: Stage) -> None:
    run([sys.executable, "-m", "tools.images", "build"], stage)


def stage_lint(stage: Stage) -> None:
    bin_dir = Path(sys.executable).parent
    run([str(bin_dir / "ruff"), "check", "."], stage)
    run([str(bin_dir / "ruff"), "format", "--check", "."], stage)
    run([str(bin_dir / "yamllint"), "--strict", "."], stage)
    run([str(bin_dir / "ansible-lint"), "--profile", "production"], stage)
    run([sys.executable, "-m", "tools.roledocs", "--check"], stage)


def stage_unit(stage: Stage) -> None:
    suites = [path for path in ("tests/unit", "tests/framework") if (ROOT / path).is_dir()]
    count_pytest(run([sys.executable, "-m", "pytest", *suites, "-ra"], stage), stage)


def stage_molecule(stage: Stage) -> None:
    output = run(
        [sys.executable, "-m", "pytest", "tests/molecule", "tests/lab", "-v", "-rs", "-s", "-p", "no:cacheprovider"],
        stage,
    )
    count_pytest(output, stage)
    # Each scenario's testinfra count, summed, so skips inside scenarios show in the summary too.
    inner: dict[str, int] = {}
    for line in output.splitlines():
        if line.strip().startswith("verifier:") and not line.strip().startswith("verifier: SKIPPED"):
            for number, word in PYTEST_COUNT.findall(line):
                inner[word] = inner.get(word, 0) + int(number)
    if inner:
        stage.note = "testinfra inside the scenarios: " + ", ".join(f"{n} {w}" for w, n in inner.items())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.testsuite", description=__doc__)
    parser.add_argument(
        "--only", default=",".join(STAGES), help=f"comma-separated stages (default: {','.join(STAGES)})"
    )
    args = parser.parse_args(argv)
    os.environ["PATH"] = venv_path()
    wanted = [name for name in args.only.split(",") if name]
    unknown = [name for name in wanted if name not in STAGES]
    if unknown:
        parser.error(f"unknown stage {', '.join(unknown)}; stages: {', '.join(STAGES)}")
    results: list[Stage] = []
    for name in STAGES:
        if name not in wanted:
            continue
        stage = Stage(name)
        needs_engine = name in ("images", "molecule")
        if needs_engine and any(s.name in ("engine", "images") and not s.ok for s in results):
            stage.ok, stage.note = False, "not run: the engine or the host images are not ready"
        else:
            print(f"\n===== stage {name} =====", flush=True)
            start = time.monotonic()
            globals()[f"stage_{name}"](stage)
            stage.seconds = time.monotonic() - start
        results.append(stage)
    print("\n===== summary =====")
    for stage in results:
        counts = ", ".join(f"{n} {k}" for k, n in stage.counts.items())
        detail = "; ".join(part for part in (counts, stage.note) if part)
        print(f"{stage.name:<9} {'ok' if stage.ok else 'FAILED':<6} {stage.seconds:7.1f} s  {detail}")
    total = {key: sum(s.counts.get(key, 0) for s in results) for key in ("passed", "failed", "skipped", "errors")}
    failed = total["failed"] + total["errors"]
    print(f"tests: {total['passed']} passed, {failed} failed, {total['skipped']} skipped")
    return 0 if all(stage.ok for stage in results) else 1


if __name__ == "__main__":
    sys.exit(main())

"""Run a playbook through ansible-runner, show progress, summarise per host.

    python -m tools.provision -i inventory [site.yml] [--limit L] [--tags T]
        [--check] [--diff] [-e KEY=VALUE | -e @file] [--json FILE]

Each run gets a fresh private data directory (mode 0700) that is removed
afterwards, so no extra vars or passwords stay on disk; what is kept is a run
record (the output and the summary) under .cache/provision/, the newest
ten of them. The exit code is non-zero when a host failed or was
unreachable, when a play matched no hosts, or when the run did not complete.

Python callers use `run_playbook(...)`, which returns the same summary.
"""

from __future__ import annotations

import argparse
import json
import shlex
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, TextIO

import yaml

from tools import venv_path

ROOT = Path(__file__).resolve().parents[1]
RECORDS_DIR = ROOT / ".cache" / "provision"
RECORDS_KEPT = 10

EXIT_OK = 0
EXIT_HOSTS_FAILED = 1
EXIT_USAGE = 2
EXIT_NO_HOSTS = 3
EXIT_INCOMPLETE = 4


@dataclass
class HostStats:
    ok: int = 0
    changed: int = 0
    failed: int = 0
    unreachable: int = 0
    skipped: int = 0


@dataclass
class ProvisionResult:
    playbook: str
    status: str  # ansible-runner's: successful, failed, canceled, timeout
    rc: int | None
    seconds: float
    hosts: dict[str, HostStats] = field(default_factory=dict)
    plays_without_hosts: list[str] = field(default_factory=list)
    failures: list[dict[str, str]] = field(default_factory=list)
    # With --limit, plays for other groups match no hosts by design.
    limited: bool = False
    record: str = ""

    @property
    def exit_code(self) -> int:
        return exit_code(self)

    def problems(self) -> list[str]:
        found = [f"{name}: failed" for name, s in self.hosts.items() if s.failed]
        found += [f"{name}: unreachable" for name, s in self.hosts.items() if s.unreachable]
        if self.plays_without_hosts and (not self.limited or not self.hosts):
            found += [f"play '{play}' matched no hosts" for play in self.plays_without_hosts]
        if self.status != "successful" and not found:
            found.append(f"the run did not complete (status {self.status}, rc {self.rc})")
        return found

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["exit_code"] = self.exit_code
        data["problems"] = self.problems()
        return data


def exit_code(result: ProvisionResult) -> int:
    """The rules: hosts first, then plays with no hosts, then an unfinished run."""
    if any(s.failed or s.unreachable for s in result.hosts.values()):
        return EXIT_HOSTS_FAILED
    if result.plays_without_hosts and (not result.limited or not result.hosts):
        return EXIT_NO_HOSTS
    if result.status != "successful" or result.rc not in (0, None):
        return EXIT_INCOMPLETE
    return EXIT_OK


def count_plays(playbook: Path) -> int:
    """Plays in a playbook, following import_playbook; 0 when it cannot be read."""
    try:
        plays = yaml.safe_load(playbook.read_text()) or []
    except (OSError, yaml.YAMLError):
        return 0
    total = 0
    for play in plays:
        imported = play.get("ansible.builtin.import_playbook") or play.get("import_playbook")
        total += count_plays(playbook.parent / imported) if imported else 1
    return total


def failure_message(res: dict[str, Any]) -> str:
    """The words of a failed task; for a loop, those of its failed items."""
    items = [failure_message(item) for item in res.get("results", []) if isinstance(item, dict) and item.get("failed")]
    if items:
        return "; ".join(items)
    return str(res.get("msg") or res.get("stderr") or res.get("reason") or "")


class Progress:
    """Turns runner events into live progress: a bar on a terminal, plain lines otherwise."""

    def __init__(self, total_plays: int, out: TextIO = sys.stdout) -> None:
        self.total_plays = total_plays
        self.out = out
        self.tty = out.isatty()
        self.play = ""
        self.plays_started = 0
        self.task = ""
        self.hosts_done: set[str] = set()
        self.failures: list[dict[str, str]] = []
        self.plays_without_hosts: list[str] = []

    def __call__(self, event: dict[str, Any]) -> bool:
        kind = event.get("event", "")
        data = event.get("event_data", {})
        if kind == "playbook_on_play_start":
            self.plays_started += 1
            self.play = data.get("play", "")
            self._line(f"play {self.plays_started}/{self.total_plays or '?'}: {self.play}")
        elif kind == "playbook_on_no_hosts_matched":
            self.plays_without_hosts.append(self.play)
            self._line(f"play '{self.play}' matched no hosts")
        elif kind == "playbook_on_task_start":
            self.task = data.get("task", "")
            self.hosts_done = set()
            self._show()
        elif kind in ("runner_on_ok", "runner_on_failed", "runner_on_unreachable", "runner_on_skipped"):
            self.hosts_done.add(data.get("host", ""))
            if kind == "runner_on_ok" and data.get("task_action") in ("debug", "ansible.builtin.debug"):
                # What a playbook says on purpose (NOT EXERCISED, warnings) reaches the console.
                self._line(f"  {data.get('host')}: {data.get('res', {}).get('msg', '')}")
            if kind in ("runner_on_failed", "runner_on_unreachable") and not data.get("ignore_errors"):
                message = " ".join(failure_message(data.get("res", {})).split())
                self.failures.append({"host": data.get("host", ""), "task": self.task, "message": message})
                self._line(f"  {kind.removeprefix('runner_on_').upper()}: {data.get('host')}: {self.task}: {message}")
            self._show()
        return True  # keep the event in ansible-runner's own bookkeeping

    def _bar(self) -> str:
        done = max(self.plays_started - 1, 0)
        width = 24
        filled = int(width * done / self.total_plays) if self.total_plays else 0
        return "[" + "#" * filled + "." * (width - filled) + "]"

    def _show(self) -> None:
        if self.tty:
            text = f"{self._bar()} {self.play[:30]} | {self.task[:50]} | hosts done {len(self.hosts_done)}"
            self.out.write("\r\033[K" + text)
            self.out.flush()

    def _line(self, text: str) -> None:
        if self.tty:
            self.out.write("\r\033[K")
        self.out.write(text + "\n")
        self.out.flush()


def parse_extra_vars(items: list[str]) -> dict[str, Any]:
    """`-e KEY=VALUE`, `-e '{"json": 1}'` or `-e @file.yml`, merged left to right."""
    merged: dict[str, Any] = {}
    for item in items:
        if item.startswith("@"):
            try:
                loaded = yaml.safe_load(Path(item[1:]).read_text())
            except yaml.YAMLError as exc:
                raise ValueError(f"-e {item}: not valid YAML ({exc})") from None
        elif item.lstrip().startswith("{"):
            try:
                loaded = json.loads(item)
            except ValueError as exc:
                raise ValueError(f"-e {item!r}: not valid JSON ({exc})") from None
        else:
            loaded = {}
            try:
                pairs = shlex.split(item)
            except ValueError as exc:
                raise ValueError(f"-e {item!r}: {exc}") from None
            for pair in pairs:
                key, sep, value = pair.partition("=")
                if not sep or not key:
                    raise ValueError(f"-e {item!r}: expected KEY=VALUE, JSON or @file")
                loaded[key] = value
        if not isinstance(loaded, dict):
            raise ValueError(f"-e {item!r}: extra vars must be a mapping")
        merged.update(loaded)
    return merged


def run_playbook(
    playbook: str | Path = "site.yml",
    inventory: str | Path = "inventory",
    *,
    limit: str | None = None,
    tags: str | None = None,
    skip_tags: str | None = None,
    check: bool = False,
    diff: bool = False,
    extra_vars: dict[str, Any] | None = None,
    forks: int | None = None,
    out: TextIO = sys.stdout,
    cancel: Callable[[], bool] | None = None,
) -> ProvisionResult:
    """Run one playbook; return its per-host summary. Nothing of the run's input stays on disk."""
    import ansible_runner  # slow to import; only when a run happens

    playbook_path = Path(playbook).resolve() if Path(playbook).exists() else ROOT / playbook
    inventory_path = Path(inventory).resolve()
    if not playbook_path.exists():
        raise FileNotFoundError(f"playbook {playbook_path} does not exist")
    if not inventory_path.exists():
        raise FileNotFoundError(f"inventory {inventory_path} does not exist")
    progress = Progress(count_plays(playbook_path), out)
    cmdline = [flag for flag, on in (("--check", check), ("--diff", diff)) if on]
    if skip_tags:
        cmdline += ["--skip-tags", skip_tags]
    private = Path(tempfile.mkdtemp(prefix="provision-"))  # mkdtemp makes it 0700
    start = time.monotonic()
    try:
        runner = ansible_runner.run(
            private_data_dir=str(private),
            project_dir=str(ROOT),
            playbook=str(playbook_path),
            inventory=str(inventory_path),
            limit=limit,
            tags=tags,
            forks=forks,
            cmdline=" ".join(cmdline) or None,
            extravars=extra_vars or None,
            envvars={
                "PATH": venv_path(),
                "ANSIBLE_NOCOLOR": "1",
                "ANSIBLE_FORCE_COLOR": "false",
                "ANSIBLE_STDOUT_CALLBACK": "default",
            },
            quiet=True,
            event_handler=progress,
            cancel_callback=cancel,
        )
        result = ProvisionResult(
            playbook=str(playbook_path.relative_to(ROOT) if playbook_path.is_relative_to(ROOT) else playbook_path),
            status=runner.status,
            rc=runner.rc,
            seconds=round(time.monotonic() - start, 1),
            hosts=host_stats(runner.stats or {}),
            plays_without_hosts=progress.plays_without_hosts,
            failures=progress.failures,
            limited=bool(limit),
        )
        stdout = runner.stdout.read() if runner.stdout else ""
    finally:
        shutil.rmtree(private, ignore_errors=True)
    if progress.tty:
        out.write("\r\033[K")
    secrets = secret_values(extra_vars or {})
    for failure in result.failures:
        failure["message"] = redact(failure["message"], secrets)
    if result.status != "successful" and not result.hosts:
        # Ansible stopped before any host (a bad --limit, a syntax error): say why here.
        reasons = [line for line in stdout.splitlines() if line.startswith(("ERROR!", "[ERROR]"))]
        result.failures += [{"host": "", "task": "", "message": redact(line, secrets)} for line in reasons]
    result.record = str(keep_record(result, redact(stdout, secrets)))
    return result


def secret_values(extra_vars: Any) -> set[str]:
    """Every scalar in the extra vars, nested ones included, long enough to be worth blanking."""
    if isinstance(extra_vars, dict):
        return set().union(set(), *(secret_values(v) for v in extra_vars.values()))
    if isinstance(extra_vars, (list, tuple)):
        return set().union(set(), *(secret_values(v) for v in extra_vars))
    text = str(extra_vars)
    return {text} if len(text) >= 4 and not isinstance(extra_vars, bool) else set()


def redact(text: str, secrets: set[str]) -> str:
    """Blank out extra-var values a task may have printed, before the output is kept."""
    for secret in sorted(secrets, key=len, reverse=True):
        text = text.replace(secret, "<extra var>")
    return text


def host_stats(stats: dict[str, dict[str, int]]) -> dict[str, HostStats]:
    """ansible's per-host counters (its names) into HostStats."""
    names = set().union(*(stats.get(k, {}) for k in ("ok", "changed", "failures", "dark", "skipped", "processed")))
    return {
        host: HostStats(
            ok=stats.get("ok", {}).get(host, 0),
            changed=stats.get("changed", {}).get(host, 0),
            failed=stats.get("failures", {}).get(host, 0),
            unreachable=stats.get("dark", {}).get(host, 0),
            skipped=stats.get("skipped", {}).get(host, 0),
        )
        for host in sorted(names)
    }


def keep_record(result: ProvisionResult, stdout: str) -> Path:
    """Save the run's output and summary; keep only the newest RECORDS_KEPT runs."""
    RECORDS_DIR.mkdir(parents=True, exist_ok=True)
    record = RECORDS_DIR / time.strftime("%Y%m%d-%H%M%S")
    suffix = 0
    while record.exists():
        suffix += 1
        record = RECORDS_DIR / f"{time.strftime('%Y%m%d-%H%M%S')}-{suffix}"
    record.mkdir(mode=0o700)
    (record / "stdout.txt").write_text(stdout)
    (record / "summary.json").write_text(json.dumps(result.to_json(), indent=2) + "\n")
    for old in sorted(RECORDS_DIR.iterdir())[:-RECORDS_KEPT]:
        shutil.rmtree(old, ignore_errors=True)
    return record


def summary_table(result: ProvisionResult) -> str:
    rows = [("host", "ok", "changed", "failed", "unreachable", "skipped")]
    rows += [
        (name, str(s.ok), str(s.changed), str(s.failed), str(s.unreachable), str(s.skipped))
        for name, s in result.hosts.items()
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)) for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m tools.provision", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("playbook", nargs="?", default="site.yml", help="playbook to run (default: site.yml)")
    parser.add_argument(
        "-i", "--inventory", default="inventory", help="inventory file or directory (default: inventory)"
    )
    parser.add_argument("-l", "--limit", help="further limit the hosts (ansible --limit)")
    parser.add_argument("-t", "--tags", help="only tasks/plays with these tags")
    parser.add_argument("--skip-tags", help="skip tasks/plays with these tags")
    parser.add_argument("-C", "--check", action="store_true", help="dry run: report what would change")
    parser.add_argument("-D", "--diff", action="store_true", help="show the differences in changed files")
    parser.add_argument("-e", "--extra-vars", action="append", default=[], help="KEY=VALUE, JSON or @file (repeatable)")
    parser.add_argument("-f", "--forks", type=int, help="parallel hosts (default: ansible.cfg's forks)")
    parser.add_argument("--json", type=Path, metavar="FILE", help="also write the summary as JSON to FILE")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        extra = parse_extra_vars(args.extra_vars)
        result = run_playbook(
            args.playbook,
            args.inventory,
            limit=args.limit,
            tags=args.tags,
            skip_tags=args.skip_tags,
            check=args.check,
            diff=args.diff,
            extra_vars=extra,
            forks=args.forks,
        )
    except (ValueError, FileNotFoundError, OSError, yaml.YAMLError) as exc:
        print(f"provision: {exc}", file=sys.stderr)
        return EXIT_USAGE
    print(summary_table(result))
    for failure in result.failures:
        if not failure["host"]:
            print(f"provision: {failure['message']}", file=sys.stderr)
    for problem in result.problems():
        print(f"provision: {problem}", file=sys.stderr)
    if result.limited and result.plays_without_hosts:
        print(f"provision: {len(result.plays_without_hosts)} play(s) had no host within --limit {args.limit}")
    print(f"provision: output and summary kept in {result.record}")
    print(f"provision: {result.playbook} {result.status} in {result.seconds:.0f} s, exit code {result.exit_code}")
    if args.json:
        args.json.write_text(json.dumps(result.to_json(), indent=2) + "\n")
    return result.exit_code


if __name__ == "__main__":
    sys.exit(main())

"""`python -m tools.images build [NAME ...] [--force]` and `... status`."""

from __future__ import annotations

import argparse
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

from tools.images.build import BuildError, Outcome, build, read_status, require_tools, write_status
from tools.images.recipes import RECIPES


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m tools.images", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    build_cmd = sub.add_parser("build", help="build missing or outdated images")
    build_cmd.add_argument(
        "names", nargs="*", metavar="NAME", help=f"images to build (default: all of {', '.join(RECIPES)})"
    )
    build_cmd.add_argument("--force", action="store_true", help="rebuild even when the cached image is current")
    sub.add_parser("status", help="print what the last build found")
    args = parser.parse_args(argv)
    unknown = [n for n in getattr(args, "names", []) if n not in RECIPES]
    if unknown:
        parser.error(f"unknown image {', '.join(unknown)}; known: {', '.join(RECIPES)}")
    return args


def report(outcome: Outcome) -> None:
    if outcome.state == "unavailable":
        print(f"images: SKIPPED {outcome.name}: {outcome.detail}; its test cases will be skipped", flush=True)
    elif outcome.state == "built":
        print(f"images: built {outcome.name} in {outcome.seconds:.0f} s", flush=True)
    else:
        print(f"images: {outcome.name} is current (cached)", flush=True)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.command == "status":
        for name, status in read_status().items():
            print(f"{name}: {status['state']} {status.get('detail', '')}".rstrip())
        return 0
    try:
        require_tools()
    except BuildError as exc:
        print(f"images: {exc}", file=sys.stderr)
        return 1
    recipes = [RECIPES[n] for n in (args.names or RECIPES)]
    failures: list[str] = []
    outcomes: list[Outcome] = []
    # Builds are mostly downloads; run them side by side.
    with ThreadPoolExecutor(max_workers=len(recipes)) as pool:
        futures = {pool.submit(build, recipe, args.force): recipe.name for recipe in recipes}
        for future, name in futures.items():
            try:
                outcome = future.result()
            except (BuildError, OSError, subprocess.CalledProcessError) as exc:
                failures.append(f"{name}: {exc}")
                continue
            report(outcome)
            outcomes.append(outcome)
    write_status(outcomes)
    for failure in failures:
        print(f"images: FAILED {failure}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

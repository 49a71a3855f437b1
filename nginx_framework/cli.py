"""Command line entry: settings, logging, signals, status endpoint, run."""

from __future__ import annotations

import logging
import os
import signal
import sys
from collections.abc import Sequence

from nginx_framework.config_sources import PROG, load_settings
from nginx_framework.errors import EXIT_USAGE, UsageError
from nginx_framework.runner import Runner
from nginx_framework.status_server import StatusServer

log = logging.getLogger("nginx_framework")


def _install_signals(runner: Runner) -> None:
    # Handlers only queue a message; the main loop does the work.
    signal.signal(signal.SIGTERM, lambda *_: runner.stop())
    signal.signal(signal.SIGINT, lambda *_: runner.stop())
    signal.signal(signal.SIGUSR1, lambda *_: runner.scale_by(1))
    signal.signal(signal.SIGUSR2, lambda *_: runner.scale_by(-1))


def main(argv: Sequence[str] | None = None) -> int:
    try:
        settings = load_settings(sys.argv[1:] if argv is None else argv, os.environ)
    except UsageError as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    logging.basicConfig(
        level=settings.log_level,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    try:
        runner = Runner(settings)
    except (OSError, ValueError) as exc:
        print(f"{PROG}: error: --state-dir: cannot use {settings.state_dir}: {exc}", file=sys.stderr)
        return EXIT_USAGE
    try:
        status = StatusServer(
            settings.status_host, settings.status_port, lambda: runner.scheduler.snapshot, runner.scale
        )
    except OSError as exc:
        print(f"{PROG}: error: --status-port: cannot listen on {settings.status_port}: {exc.strerror}", file=sys.stderr)
        return EXIT_USAGE
    status.start()
    _install_signals(runner)
    try:
        code = runner.run()
    finally:
        status.stop()
    log.info("exiting with code %d", code)
    return code

"""Merge settings from defaults < config file < environment < command line."""

from __future__ import annotations

import argparse
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, NoReturn

from nginx_framework.config_file import read_config_file
from nginx_framework.errors import UsageError
from nginx_framework.options import BY_NAME, ENV_PREFIX, OPTIONS, Option
from nginx_framework.settings import Settings

PROG = "nginx_framework"
CONFIG_ENV = ENV_PREFIX + "CONFIG"

EPILOG = f"""\
Every option can also come from the environment ({ENV_PREFIX}<OPTION>, e.g.
{ENV_PREFIX}INSTANCES=3) or from --config FILE ({CONFIG_ENV}): a JSON object
or key = value lines, keys named like the options (max_per_agent or
max-per-agent). Precedence: command line > environment > config file > defaults.
Signals: SIGUSR1 adds one instance, SIGUSR2 removes one, SIGTERM/SIGINT stop
(tasks keep running unless --teardown). Exit codes: 0 stopped, 1 internal
error, 2 bad settings, 3 retry limit reached, 4 agents cannot run Docker
containers, 5 the master refused the framework."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        # One line, no usage dump: the message already names the option.
        raise UsageError(message)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog=PROG,
        description="Keep N nginx Docker containers running on Apache Mesos.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        allow_abbrev=False,
    )
    parser.add_argument("--config", metavar="FILE", default=None, help=f"config file (env {CONFIG_ENV})")
    for option in OPTIONS:
        default = "none" if option.default is None else option.default
        help_text = f"{option.help} (env {option.env}; default: {default})"
        if option.flag:
            parser.add_argument(option.cli, dest=option.name, action="store_true", default=None, help=help_text)
        else:
            parser.add_argument(option.cli, dest=option.name, metavar=option.metavar, default=None, help=help_text)
    return parser


def _convert(option: Option, value: Any, source: str) -> Any:
    try:
        return option.convert(value)
    except ValueError as exc:
        raise UsageError(f"{source}: {exc}, got {value!r}") from None


def _read_secret(path: str) -> str:
    try:
        secret = Path(path).read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise UsageError(f"--secret-file: cannot read {path}: {exc.strerror or exc}") from None
    if not secret:
        raise UsageError(f"--secret-file: {path} is empty")
    return secret


def load_settings(argv: Sequence[str], environ: Mapping[str, str]) -> Settings:
    """Parse all sources into Settings; UsageError names the offending option."""
    cli = {k: v for k, v in vars(build_parser().parse_args(list(argv))).items() if v is not None}
    values: dict[str, Any] = {o.name: o.default for o in OPTIONS}
    config_path = cli.pop("config", None) or environ.get(CONFIG_ENV)
    if config_path:
        for key, raw in read_config_file(config_path).items():
            option = BY_NAME.get(key)
            if option is None:
                known = ", ".join(sorted(BY_NAME))
                raise UsageError(f"--config: unknown key {key!r} in {config_path}; known keys: {known}")
            values[key] = _convert(option, raw, f"{option.cli} (key {key!r} in {config_path})")
    for option in OPTIONS:
        if option.env in environ:
            values[option.name] = _convert(option, environ[option.env], f"{option.cli} (env {option.env})")
    for name, raw in cli.items():
        option = BY_NAME[name]
        values[name] = _convert(option, raw, option.cli)
    if values["master"] is None:
        raise UsageError(f"--master: required (or env {BY_NAME['master'].env}); e.g. zk://host:2181/mesos or host:5050")
    if values["backoff_max"] < values["backoff_base"]:
        raise UsageError("--backoff-max: must be >= --backoff-base")
    if values["reconnect_max"] < values["reconnect_base"]:
        raise UsageError("--reconnect-max: must be >= --reconnect-base")
    secret = None
    if values["secret_file"] is not None:
        if values["principal"] is None:
            raise UsageError("--secret-file: needs --principal too")
        secret = _read_secret(values["secret_file"])
    return Settings(secret=secret, **values)

"""Settings from CLI, environment and config file; bad values exit 2 naming the option."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from nginx_framework.cli import main
from nginx_framework.config_sources import load_settings
from nginx_framework.errors import UsageError

REPO = Path(__file__).resolve().parents[2]
M = ["--master", "127.0.0.1:5050"]


def test_defaults_and_case_insensitive_network() -> None:
    settings = load_settings([*M, "--network", "bridge"], {})
    assert settings.network == "BRIDGE"
    assert (settings.instances, settings.cpus, settings.mem, settings.port) == (1, 0.1, 64.0, None)
    assert settings.failover_timeout == 604800.0


def test_precedence_cli_over_env_over_file(tmp_path: Path) -> None:
    config = tmp_path / "fw.json"
    config.write_text('{"instances": 2, "mem": 256, "image": "from-file", "max-per-agent": 3}')
    env = {"NGINX_FRAMEWORK_INSTANCES": "4", "NGINX_FRAMEWORK_IMAGE": "from-env", "NGINX_FRAMEWORK_MASTER": "m:5050"}
    settings = load_settings(["--config", str(config), "--instances", "5"], env)
    assert settings.instances == 5  # CLI
    assert settings.image == "from-env"  # env over file
    assert settings.mem == 256.0  # file over default
    assert settings.max_per_agent == 3
    assert settings.master == "m:5050"


def test_key_value_config_file_from_env(tmp_path: Path) -> None:
    config = tmp_path / "fw.conf"
    config.write_text("# nginx fleet\nmaster = zk://10.0.0.1:2181/mesos\nnetwork=host\nteardown = yes\nport = 0\n")
    settings = load_settings([], {"NGINX_FRAMEWORK_CONFIG": str(config)})
    assert settings.master == "zk://10.0.0.1:2181/mesos"
    assert (settings.network, settings.teardown, settings.port) == ("HOST", True, 0)


def test_secret_file_is_read(tmp_path: Path) -> None:
    secret = tmp_path / "secret"
    secret.write_text("s3cret\n")
    settings = load_settings([*M, "--principal", "fw", "--secret-file", str(secret)], {})
    assert (settings.principal, settings.secret) == ("fw", "s3cret")


@pytest.mark.parametrize(
    ("argv", "env", "expected"),
    [
        (["--instances", "-1"], {}, "--instances: must be an integer >= 0, got '-1'"),
        (["--network", "overlay"], {}, "--network: must be one of HOST, BRIDGE (any letter case), got 'overlay'"),
        (["--cpus", "0"], {}, "--cpus: must be a number > 0, got '0'"),
        (["--mem", "lots"], {}, "--mem: must be a number > 0, got 'lots'"),
        (["--port", "70000"], {}, "--port: must be an integer 0-65535, got '70000'"),
        (["--status-port", "-5"], {}, "--status-port: must be an integer 0-65535"),
        (["--max-per-agent", "0"], {}, "--max-per-agent: must be an integer >= 1"),
        ([], {"NGINX_FRAMEWORK_INSTANCES": "x"}, "--instances (env NGINX_FRAMEWORK_INSTANCES): must be an integer"),
        ([], {"NGINX_FRAMEWORK_TEARDOWN": "maybe"}, "--teardown (env NGINX_FRAMEWORK_TEARDOWN): must be true or false"),
        (["--secret-file", "/nonexistent"], {}, "--secret-file: needs --principal"),
    ],
)
def test_bad_values_name_the_option_and_allowed_values(argv: list[str], env: dict[str, str], expected: str) -> None:
    with pytest.raises(UsageError) as error:
        load_settings([*M, *argv], env)
    assert expected in str(error.value)


@pytest.mark.parametrize("master", ["master1", "zk://h:2181", "http://h:99999", "h:port"])
def test_bad_master_names_the_forms_allowed(master: str) -> None:
    with pytest.raises(UsageError, match=r"^--master: .*zk://host:2181.*host:5050"):
        load_settings(["--master", master], {})


def test_missing_master_and_unknown_config_key(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match=r"^--master: required"):
        load_settings([], {})
    config = tmp_path / "c.json"
    config.write_text('{"instancez": 3}')
    with pytest.raises(UsageError, match="unknown key 'instancez'"):
        load_settings([*M, "--config", str(config)], {})


def test_main_prints_one_line_and_returns_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([*M, "--instances", "-3"]) == 2
    err = capsys.readouterr().err
    assert err == "nginx_framework: error: --instances: must be an integer >= 0, got '-3'\n"
    assert main([*M, "--bogus"]) == 2
    assert capsys.readouterr().err.strip().endswith("unrecognized arguments: --bogus")


def test_main_rejects_an_unusable_state_dir(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    assert main([*M, "--state-dir", str(blocker / "sub"), "--status-port", "0"]) == 2
    assert "--state-dir" in capsys.readouterr().err


def _run_module(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NGINX_FRAMEWORK_")}
    return subprocess.run(
        [sys.executable, "-m", "nginx_framework", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
    )


def test_module_help_documents_options_env_and_exit_codes() -> None:
    result = _run_module("--help")
    assert result.returncode == 0
    for text in (
        "--master",
        "--instances",
        "--network",
        "--port",
        "--teardown",
        "NGINX_FRAMEWORK_INSTANCES",
        "Exit codes",
    ):
        assert text in result.stdout


def test_module_bad_network_exits_2_with_one_line() -> None:
    result = _run_module("--master", "m:5050", "--network", "macvlan")
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "nginx_framework: error: --network: must be one of HOST, BRIDGE (any letter case), got 'macvlan'"
    ]

"""Every setting the framework has: name, converter, default and help text.

The CLI, the environment (NGINX_FRAMEWORK_<NAME>) and the config file all
read from this one table, so they cannot drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from nginx_framework import converters as c

ENV_PREFIX = "NGINX_FRAMEWORK_"


@dataclass(frozen=True)
class Option:
    name: str
    convert: c.Converter
    default: Any
    help: str
    metavar: str | None = None
    flag: bool = False

    @property
    def cli(self) -> str:
        return "--" + self.name.replace("_", "-")

    @property
    def env(self) -> str:
        return ENV_PREFIX + self.name.upper()


OPTIONS: tuple[Option, ...] = (
    Option(
        "master",
        c.master,
        None,
        "Mesos master: zk://host:2181[,...]/mesos, host:5050 or http://host:5050 (required)",
        "URL",
    ),
    Option("instances", c.integer(0), 1, "number of nginx tasks to keep running", "N"),
    Option("image", c.text, "nginx", "Docker image of the nginx tasks (its own CMD starts nginx)", "IMAGE"),
    Option("network", c.choice(("HOST", "BRIDGE")), "HOST", "Docker network mode: HOST or BRIDGE (any case)", "MODE"),
    Option("cpus", c.number(0.0, inclusive=False), 0.1, "CPUs per task (> 0)", "CPUS"),
    Option("mem", c.number(0.0, inclusive=False), 64.0, "memory per task in MB (> 0)", "MB"),
    Option(
        "port",
        c.integer(0, 65535),
        None,
        "host port: omitted = nginx on 80 without an offer port (HOST) or any offered port (BRIDGE); "
        "0 = any port from the offer; N = exactly port N from the offer",
        "PORT",
    ),
    Option(
        "container_port", c.integer(1, 65535), 80, "port nginx listens on inside the container in BRIDGE mode", "PORT"
    ),
    Option("role", c.text, "*", "Mesos role to register with", "ROLE"),
    Option("principal", c.text, None, "principal for framework authentication (HTTP basic auth)", "NAME"),
    Option("secret_file", c.text, None, "file holding the secret for --principal", "FILE"),
    Option(
        "state_dir", c.text, "/var/lib/nginx_framework", "directory for the persisted framework id and tasks", "DIR"
    ),
    Option(
        "status_port",
        c.integer(0, 65535),
        8080,
        "port of the /healthz, /tasks, /scale HTTP endpoint (0 = any free port)",
        "PORT",
    ),
    Option("status_host", c.text, "0.0.0.0", "address the status endpoint binds to", "ADDR"),
    Option(
        "max_per_agent",
        c.integer(1),
        1,
        "at most this many tasks per agent (HOST mode with a fixed port forces 1)",
        "N",
    ),
    Option("teardown", c.boolean, False, "on SIGTERM/SIGINT tear the framework down (kills all its tasks)", flag=True),
    Option("name", c.text, "nginx", "framework name; also the task id prefix", "NAME"),
    Option("user", c.text, "root", "user the tasks run as on the agents", "USER"),
    Option(
        "failover_timeout",
        c.number(0.0, inclusive=True),
        604800.0,
        "seconds Mesos keeps tasks while the framework is away",
        "SECONDS",
    ),
    Option(
        "max_retries",
        c.integer(0),
        10,
        "consecutive task failures (none reaching RUNNING) tolerated before exiting with code 3",
        "N",
    ),
    Option(
        "backoff_base",
        c.number(0.0, inclusive=False),
        1.0,
        "first relaunch delay after a failure, doubled per failure",
        "SECONDS",
    ),
    Option("backoff_max", c.number(0.0, inclusive=False), 60.0, "largest relaunch delay", "SECONDS"),
    Option(
        "reconnect_base", c.number(0.0, inclusive=False), 1.0, "first reconnect delay, doubled per attempt", "SECONDS"
    ),
    Option("reconnect_max", c.number(0.0, inclusive=False), 30.0, "largest reconnect delay", "SECONDS"),
    Option(
        "heartbeat_factor",
        c.number(1.0, inclusive=True),
        3.0,
        "stream is dead after heartbeat_interval_seconds * this without an event",
        "FACTOR",
    ),
    Option(
        "connect_timeout",
        c.number(0.0, inclusive=False),
        10.0,
        "timeout for connecting and for each call to the master",
        "SECONDS",
    ),
    Option(
        "decline_seconds",
        c.number(0.0, inclusive=True),
        60.0,
        "refuse_seconds filter sent with declined offers",
        "SECONDS",
    ),
    Option(
        "reconcile_interval",
        c.number(0.0, inclusive=False),
        600.0,
        "seconds between periodic reconciliations",
        "SECONDS",
    ),
    Option(
        "tick_seconds",
        c.number(0.0, inclusive=False),
        0.5,
        "how often timers (relaunch backoff, reconcile) are checked",
        "SECONDS",
    ),
    Option("log_level", c.log_level, "INFO", "DEBUG, INFO, WARNING or ERROR", "LEVEL"),
)

BY_NAME = {option.name: option for option in OPTIONS}

"""The typed, validated settings the framework runs with."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Settings:
    master: str
    instances: int = 1
    image: str = "nginx"
    network: str = "HOST"
    cpus: float = 0.1
    mem: float = 64.0
    port: int | None = None
    container_port: int = 80
    role: str = "*"
    principal: str | None = None
    secret_file: str | None = None
    state_dir: str = "/var/lib/nginx_framework"
    status_port: int = 8080
    status_host: str = "0.0.0.0"
    max_per_agent: int = 1
    teardown: bool = False
    name: str = "nginx"
    user: str = "root"
    failover_timeout: float = 604800.0
    max_retries: int = 10
    backoff_base: float = 1.0
    backoff_max: float = 60.0
    reconnect_base: float = 1.0
    reconnect_max: float = 30.0
    heartbeat_factor: float = 3.0
    connect_timeout: float = 10.0
    decline_seconds: float = 60.0
    reconcile_interval: float = 600.0
    tick_seconds: float = 0.5
    log_level: str = "INFO"
    secret: str | None = None

    @property
    def port_request(self) -> int | None:
        """None: no offer port (HOST on 80); 0: any offered port; N: exactly N."""
        if self.port is None and self.network == "BRIDGE":
            return 0
        return self.port

    @property
    def effective_max_per_agent(self) -> int:
        # Two HOST-mode containers on one agent cannot both bind the same fixed port.
        if self.network == "HOST" and self.port_request != 0:
            return 1
        return self.max_per_agent

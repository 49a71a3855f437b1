"""Parse the --master value: zk://..., host:port or http(s)://host[:port]."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

SCHEDULER_PATH = "/api/v1/scheduler"
DEFAULT_MASTER_PORT = 5050
ALLOWED = "zk://host:2181[,host2:2181]/mesos, host:5050 or http(s)://host:5050"

_HOST = re.compile(r"^[A-Za-z0-9_.\-]+$|^\[[0-9A-Fa-f:.]+\]$")


@dataclass(frozen=True)
class MasterSpec:
    """Where to look for the leading master: ZooKeeper, or one master's URL."""

    zk_hosts: str | None = None
    zk_path: str | None = None
    url: str | None = None

    @property
    def is_zk(self) -> bool:
        return self.zk_hosts is not None


def _host_port(text: str, default_port: int | None) -> tuple[str, int]:
    port_text: str | None
    if text.startswith("["):
        # An IPv6 literal keeps its colons inside the brackets.
        close = text.find("]")
        host, rest = text[: close + 1], text[close + 1 :]
        if close < 0 or (rest and not rest.startswith(":")):
            raise ValueError(f"bad host in '{text}'")
        port_text = rest[1:] if rest else None
    else:
        host, sep, after = text.partition(":")
        port_text = after if sep else None
    if not host or not _HOST.match(host):
        raise ValueError(f"bad host in '{text}'")
    if port_text is None:
        if default_port is None:
            raise ValueError(f"'{text}' is not host:port")
        return host, default_port
    if not port_text.isdigit() or not 1 <= int(port_text) <= 65535:
        raise ValueError(f"bad port in '{text}' (1-65535)")
    return host, int(port_text)


def parse_master(value: str) -> MasterSpec:
    """Return where to find the master; ValueError says what is wrong."""
    text = value.strip()
    if text.startswith("zk://"):
        rest = text[len("zk://") :]
        hosts, slash, path = rest.partition("/")
        if not slash or not path.strip("/"):
            raise ValueError("zk:// URL needs a path, e.g. zk://host:2181/mesos")
        if "@" in hosts:
            raise ValueError("zk:// credentials are not supported")
        for item in hosts.split(","):
            _host_port(item, None)
        return MasterSpec(zk_hosts=hosts, zk_path="/" + path.strip("/"))
    if "://" in text:
        parts = urlsplit(text)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"unsupported URL '{text}'")
        host, port = _host_port(parts.netloc, DEFAULT_MASTER_PORT)
        return MasterSpec(url=f"{parts.scheme}://{host}:{port}")
    host, port = _host_port(text, None)
    return MasterSpec(url=f"http://{host}:{port}")


def scheduler_url(base: str) -> str:
    """The scheduler endpoint of a master given as scheme://host:port."""
    return base.rstrip("/") + SCHEDULER_PATH

"""Find the leading Mesos master through ZooKeeper (kazoo, imported lazily)."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from nginx_framework.errors import MasterUnavailable

INFO_PREFIX = "json.info_"


def _sequence(child: str) -> int:
    suffix = child[len(INFO_PREFIX) :]
    return int(suffix) if suffix.isdigit() else 1 << 62


def leader_from_entries(entries: Mapping[str, bytes]) -> str:
    """Given the `json.info_*` children and their data, return http://host:port.

    Mesos masters register ephemeral sequential nodes; the lowest sequence
    number is the leader.
    """
    candidates = sorted((c for c in entries if c.startswith(INFO_PREFIX)), key=_sequence)
    if not candidates:
        raise MasterUnavailable("no master has registered in ZooKeeper (no json.info_* node)")
    info: dict[str, Any] = json.loads(entries[candidates[0]].decode("utf-8"))
    address = info.get("address") or {}
    # Prefer the IP: a master's hostname is often not resolvable from containers.
    host = address.get("ip") or address.get("hostname") or info.get("hostname")
    port = address.get("port") or info.get("port")
    if not host or not port:
        raise MasterUnavailable(f"leader entry {candidates[0]} has no address: {info}")
    return f"http://{host}:{int(port)}"


def _kazoo_client(hosts: str, timeout: float) -> Any:
    # Imported here so host:port masters need no kazoo installed.
    from kazoo.client import KazooClient

    return KazooClient(hosts=hosts, timeout=timeout, read_only=True)


def leader_from_zk(
    hosts: str,
    path: str,
    timeout: float,
    client_factory: Callable[[str, float], Any] | None = None,
) -> str:
    """Read the leader's address from ZooKeeper; MasterUnavailable on failure."""
    client = (client_factory or _kazoo_client)(hosts, timeout)
    try:
        client.start(timeout=timeout)
        entries = {}
        for child in client.get_children(path):
            if child.startswith(INFO_PREFIX):
                data, _stat = client.get(f"{path}/{child}")
                entries[child] = data
        return leader_from_entries(entries)
    except MasterUnavailable:
        raise
    except Exception as exc:  # kazoo raises many types; all mean "try again later"
        raise MasterUnavailable(f"ZooKeeper {hosts}{path}: {exc!r}") from exc
    finally:
        try:
            client.stop()
            client.close()
        except Exception:  # closing a client that never connected may fail
            pass

"""Take cpus, mem and a port out of one offer, keeping each resource's identity.

Resources are taken from the offered entries themselves (copying any
`reservations`), so a launch never asks for something the offer does not hold.
"""

from __future__ import annotations

from typing import Any

EPSILON = 1e-6
_IDENTITY_KEYS = ("reservations",)


def _identity(resource: dict[str, Any]) -> dict[str, Any]:
    return {key: resource[key] for key in _IDENTITY_KEYS if key in resource}


def _format_ranges(ranges: list[list[int]]) -> str:
    return ",".join(f"{b}-{e}" if b != e else str(b) for b, e in ranges) or "none"


class OfferResources:
    """What is left of one offer while tasks are being placed on it."""

    def __init__(self, offer: dict[str, Any]) -> None:
        self.scalars: dict[str, list[tuple[dict[str, Any], float]]] = {}
        self.ports: list[tuple[dict[str, Any], list[list[int]]]] = []
        for resource in offer.get("resources", []):
            name = resource.get("name")
            if resource.get("type") == "SCALAR" and name in ("cpus", "mem"):
                amount = float(resource.get("scalar", {}).get("value", 0.0))
                self.scalars.setdefault(name, []).append((_identity(resource), amount))
            elif resource.get("type") == "RANGES" and name == "ports":
                ranges = [[int(r["begin"]), int(r["end"])] for r in resource.get("ranges", {}).get("range", [])]
                self.ports.append((_identity(resource), ranges))

    def available(self, name: str) -> float:
        return sum(amount for _ident, amount in self.scalars.get(name, []))

    def _port_ranges(self) -> list[list[int]]:
        return [r for _ident, ranges in self.ports for r in ranges]

    def has_port(self, wanted: int) -> bool:
        """wanted 0 = any port."""
        return any(end >= begin and (wanted == 0 or begin <= wanted <= end) for begin, end in self._port_ranges())

    def shortfall(self, cpus: float, mem: float, port: int | None) -> str | None:
        """Why one more task does not fit, or None when it does."""
        missing = []
        if self.available("cpus") + EPSILON < cpus:
            missing.append(f"cpus {self.available('cpus'):g} < {cpus:g}")
        if self.available("mem") + EPSILON < mem:
            missing.append(f"mem {self.available('mem'):g} < {mem:g}")
        if port is not None and not self.has_port(port):
            missing.append("no free port" if port == 0 else f"port {port} not offered")
        return "; ".join(missing) or None

    def summary(self) -> str:
        return (
            f"cpus={self.available('cpus'):g} mem={self.available('mem'):g} ports={_format_ranges(self._port_ranges())}"
        )

    def take_scalar(self, name: str, amount: float) -> list[dict[str, Any]]:
        taken: list[dict[str, Any]] = []
        entries = self.scalars.get(name, [])
        for index, (ident, available) in enumerate(entries):
            if amount <= EPSILON:
                break
            part = min(available, amount)
            if part <= EPSILON:
                continue
            entries[index] = (ident, available - part)
            amount -= part
            # Round away float noise such as 0.30000000000000004.
            taken.append({"name": name, "type": "SCALAR", "scalar": {"value": round(part, 6)}, **ident})
        return taken

    def take_port(self, wanted: int) -> tuple[int, dict[str, Any]]:
        """Remove one port (the lowest free one when wanted is 0)."""
        for ident, ranges in self.ports:
            for index, (begin, end) in enumerate(ranges):
                if end < begin or (wanted and not begin <= wanted <= end):
                    continue
                port = wanted or begin
                ranges[index : index + 1] = [r for r in ([begin, port - 1], [port + 1, end]) if r[1] >= r[0]]
                resource = {
                    "name": "ports",
                    "type": "RANGES",
                    "ranges": {"range": [{"begin": port, "end": port}]},
                    **ident,
                }
                return port, resource
        raise ValueError(f"port {wanted or 'any'} is not in the offer")

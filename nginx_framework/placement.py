"""Decide which offers get which new tasks, spreading tasks across agents."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from nginx_framework.resources import OfferResources
from nginx_framework.task_builder import build_task_info


@dataclass(frozen=True)
class Demand:
    """What one nginx task needs and how it is packaged."""

    cpus: float
    mem: float
    port: int | None  # None: no offer port; 0: any; N: exactly N
    image: str
    network: str
    container_port: int = 80


@dataclass(frozen=True)
class NewTask:
    task_id: str
    agent_id: str
    hostname: str
    host_port: int | None
    task_info: dict[str, Any]


@dataclass
class PlacementResult:
    launches: dict[str, list[NewTask]] = field(default_factory=dict)
    declined: list[str] = field(default_factory=list)
    # Offers that could not take a task while tasks were wanted: "agent: why".
    reasons: list[str] = field(default_factory=list)


def _agent_label(offer: dict[str, Any]) -> str:
    return f"{offer.get('hostname', '?')} ({offer['agent_id']['value']})"


def place(
    offers: list[dict[str, Any]],
    pending: int,
    per_agent: Mapping[str, int],
    max_per_agent: int,
    demand: Demand,
    new_id: Callable[[], str],
) -> PlacementResult:
    result = PlacementResult()
    counts: Counter[str] = Counter(per_agent)
    pools = [(offer, OfferResources(offer)) for offer in offers]
    while pending > 0:
        fitting = [
            (offer, pool)
            for offer, pool in pools
            if counts[offer["agent_id"]["value"]] < max_per_agent
            and pool.shortfall(demand.cpus, demand.mem, demand.port) is None
        ]
        if not fitting:
            break
        # The agent with fewest of our tasks first: spreads instances out.
        offer, pool = min(fitting, key=lambda item: counts[item[0]["agent_id"]["value"]])
        agent_id = offer["agent_id"]["value"]
        resources = pool.take_scalar("cpus", demand.cpus) + pool.take_scalar("mem", demand.mem)
        host_port = None
        if demand.port is not None:
            host_port, port_resource = pool.take_port(demand.port)
            resources.append(port_resource)
        task_id = new_id()
        info = build_task_info(
            task_id, agent_id, demand.image, demand.network, resources, host_port, demand.container_port
        )
        task = NewTask(task_id, agent_id, offer.get("hostname", ""), host_port, info)
        result.launches.setdefault(offer["id"]["value"], []).append(task)
        counts[agent_id] += 1
        pending -= 1
    for offer, pool in pools:
        if offer["id"]["value"] in result.launches:
            continue
        result.declined.append(offer["id"]["value"])
        if pending > 0:
            agent_id = offer["agent_id"]["value"]
            if counts[agent_id] >= max_per_agent:
                why = f"already runs {counts[agent_id]} task(s), max-per-agent is {max_per_agent}"
            else:
                why = pool.shortfall(demand.cpus, demand.mem, demand.port) or "unknown"
            result.reasons.append(f"{_agent_label(offer)} offers {pool.summary()}: {why}")
    return result

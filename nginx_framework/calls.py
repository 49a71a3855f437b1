"""JSON bodies of the v1 scheduler calls, shaped like the recorded transcripts."""

from __future__ import annotations

from typing import Any

Call = dict[str, Any]


def framework_info(
    name: str,
    user: str,
    role: str,
    failover_timeout: float,
    framework_id: str | None,
    principal: str | None,
) -> dict[str, Any]:
    info: dict[str, Any] = {
        "user": user,
        "name": name,
        "failover_timeout": failover_timeout,
        "checkpoint": True,
        "capabilities": [{"type": "MULTI_ROLE"}],
        "roles": [role],
    }
    if framework_id:
        info["id"] = {"value": framework_id}
    if principal:
        info["principal"] = principal
    return info


def subscribe(info: dict[str, Any]) -> Call:
    call: Call = {"type": "SUBSCRIBE", "subscribe": {"framework_info": info}}
    if "id" in info:
        # A re-subscribing framework names itself at the top level too.
        call["framework_id"] = info["id"]
    return call


def _with_id(call: Call, framework_id: str) -> Call:
    call["framework_id"] = {"value": framework_id}
    return call


def accept(framework_id: str, offer_ids: list[str], task_infos: list[dict[str, Any]], refuse_seconds: float) -> Call:
    body = {
        "offer_ids": [{"value": o} for o in offer_ids],
        "operations": [{"type": "LAUNCH", "launch": {"task_infos": task_infos}}],
        "filters": {"refuse_seconds": refuse_seconds},
    }
    return _with_id({"type": "ACCEPT", "accept": body}, framework_id)


def decline(framework_id: str, offer_ids: list[str], refuse_seconds: float) -> Call:
    body = {"offer_ids": [{"value": o} for o in offer_ids], "filters": {"refuse_seconds": refuse_seconds}}
    return _with_id({"type": "DECLINE", "decline": body}, framework_id)


def acknowledge(framework_id: str, agent_id: str, task_id: str, uuid: str) -> Call:
    body = {"agent_id": {"value": agent_id}, "task_id": {"value": task_id}, "uuid": uuid}
    return _with_id({"type": "ACKNOWLEDGE", "acknowledge": body}, framework_id)


def reconcile(framework_id: str, tasks: list[tuple[str, str | None]]) -> Call:
    """An empty list asks for every task the master knows (implicit reconciliation)."""
    items = []
    for task_id, agent_id in tasks:
        item: dict[str, Any] = {"task_id": {"value": task_id}}
        if agent_id:
            item["agent_id"] = {"value": agent_id}
        items.append(item)
    return _with_id({"type": "RECONCILE", "reconcile": {"tasks": items}}, framework_id)


def kill(framework_id: str, task_id: str, agent_id: str | None) -> Call:
    body: dict[str, Any] = {"task_id": {"value": task_id}}
    if agent_id:
        body["agent_id"] = {"value": agent_id}
    return _with_id({"type": "KILL", "kill": body}, framework_id)


def suppress(framework_id: str) -> Call:
    return _with_id({"type": "SUPPRESS"}, framework_id)


def revive(framework_id: str) -> Call:
    return _with_id({"type": "REVIVE"}, framework_id)


def teardown(framework_id: str) -> Call:
    return _with_id({"type": "TEARDOWN"}, framework_id)

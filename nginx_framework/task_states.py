"""What a task status update means for the framework."""

from __future__ import annotations

import re
from typing import Any

TERMINAL_STATES = frozenset(
    {
        "TASK_FINISHED",
        "TASK_FAILED",
        "TASK_KILLED",
        "TASK_ERROR",
        "TASK_LOST",
        "TASK_DROPPED",
        "TASK_GONE",
        "TASK_GONE_BY_OPERATOR",
    }
)
UNKNOWN_TO_MASTER = "Reconciliation: Task is unknown"

# Messages an agent gives when it has no Docker containerizer (the agent runs
# without --containerizers=docker,...): relaunching can never succeed.
_NO_DOCKER = re.compile(
    r"unsupported container type"
    r"|none of the enabled containerizers"
    r"|docker containerizer.*(not (supported|enabled)|unsupported|disabled)"
    r"|containerizer.*docker.*(not (supported|enabled)|unsupported)",
    re.IGNORECASE,
)


def is_terminal(state: str) -> bool:
    return state in TERMINAL_STATES


def is_unknown_to_master(status: dict[str, Any]) -> bool:
    """The reconciliation answer for a task the master has never heard of."""
    return (
        status.get("state") == "TASK_LOST"
        and status.get("reason") == "REASON_RECONCILIATION"
        and status.get("message", "").startswith(UNKNOWN_TO_MASTER)
    )


def lacks_docker(status: dict[str, Any]) -> bool:
    """The agent cannot run Docker containers at all (a configuration error)."""
    if status.get("state") not in ("TASK_FAILED", "TASK_ERROR"):
        return False
    return bool(_NO_DOCKER.search(status.get("message", "")))


def describe(status: dict[str, Any]) -> str:
    """One line for logs and exit messages: state, reason, source, message."""
    parts = [status.get("state", "?")]
    if status.get("reason"):
        parts.append(status["reason"])
    if status.get("source"):
        parts.append(status["source"])
    text = " / ".join(parts)
    message = status.get("message")
    return f"{text}: {message.strip()}" if message else text

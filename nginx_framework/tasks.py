"""The framework's record of its tasks, as persisted in the state file."""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass
from typing import Any

from nginx_framework.task_states import is_terminal

LAUNCHING = "LAUNCHING"  # ACCEPT sent, no update seen yet


@dataclass
class TaskRecord:
    task_id: str
    agent_id: str
    hostname: str = ""
    host_port: int | None = None
    state: str = LAUNCHING
    kill_requested: bool = False
    launched_at: float = 0.0

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TaskRecord:
        known = {k: data[k] for k in cls.__dataclass_fields__ if k in data}
        return cls(**known)


class TaskBook:
    """Tasks we launched or adopted and have not seen end."""

    def __init__(self, records: list[TaskRecord] | None = None) -> None:
        self.tasks: dict[str, TaskRecord] = {r.task_id: r for r in records or []}

    def add(self, record: TaskRecord) -> None:
        self.tasks[record.task_id] = record

    def get(self, task_id: str) -> TaskRecord | None:
        return self.tasks.get(task_id)

    def forget(self, task_id: str) -> TaskRecord | None:
        return self.tasks.pop(task_id, None)

    def wanted(self) -> list[TaskRecord]:
        """Live tasks that count towards the instance target."""
        return [r for r in self.tasks.values() if not r.kill_requested and not is_terminal(r.state)]

    def per_agent(self) -> Counter[str]:
        # Tasks being killed still hold their port on the agent.
        return Counter(r.agent_id for r in self.tasks.values())

    def to_json(self) -> list[dict[str, Any]]:
        return [asdict(r) for r in sorted(self.tasks.values(), key=lambda r: r.task_id)]

    @classmethod
    def from_json(cls, data: list[dict[str, Any]]) -> TaskBook:
        return cls([TaskRecord.from_json(item) for item in data])

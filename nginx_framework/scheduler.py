"""The framework's decisions: what to answer to each event, and when.

It runs on one thread (the runner's), never reads the network itself and
sends calls through `send`, which raises StreamLost when the subscription is
gone; every state change is saved before the call that depends on it.
"""

from __future__ import annotations

import logging
import math
import time
import uuid as uuid_lib
from collections.abc import Callable
from typing import Any

from nginx_framework import calls
from nginx_framework.backoff import delay_for
from nginx_framework.errors import EXIT_NO_DOCKER, EXIT_REFUSED, EXIT_RETRY_LIMIT, FrameworkExit
from nginx_framework.mismatch_log import MismatchLog
from nginx_framework.placement import Demand, place
from nginx_framework.settings import Settings
from nginx_framework.state_store import StateStore
from nginx_framework.task_states import describe, is_terminal, is_unknown_to_master, lacks_docker
from nginx_framework.tasks import TaskBook, TaskRecord

log = logging.getLogger(__name__)

# Remaining resources of an accepted offer come back quickly if still needed.
ACCEPT_REFUSE_SECONDS = 1.0
HANDLED_UUIDS_KEPT = 1000


class Scheduler:
    def __init__(
        self,
        settings: Settings,
        store: StateStore,
        send: Callable[[calls.Call], None],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.settings = settings
        self.store = store
        self._send = send
        self._clock = clock
        state = store.load()
        self.framework_id: str | None = state.get("framework_id")
        self.book = TaskBook.from_json(state.get("tasks", []))
        self._handled: list[str] = list(state.get("handled_uuids", []))
        self.failures = int(state.get("consecutive_failures", 0))
        self.last_failure: str = state.get("last_failure", "")
        self.instances = settings.instances
        self.not_before = 0.0
        self.suppressed = False
        self.subscribed = False
        self._resubscribing = False
        self._next_reconcile = math.inf
        self._demand = Demand(
            settings.cpus,
            settings.mem,
            settings.port_request,
            settings.image,
            settings.network,
            settings.container_port,
        )
        port_text = {None: "no port", 0: "any port"}.get(settings.port_request, f"port {settings.port_request}")
        self._mismatch = MismatchLog(f"cpus={settings.cpus:g} mem={settings.mem:g} {port_text}")
        self.snapshot: dict[str, Any] = {}
        self._publish()

    # ----- what the runner calls -------------------------------------------

    def subscribe_call(self) -> calls.Call:
        self._resubscribing = self.framework_id is not None
        s = self.settings
        info = calls.framework_info(s.name, s.user, s.role, s.failover_timeout, self.framework_id, s.principal)
        return calls.subscribe(info)

    def handle(self, event: dict[str, Any]) -> None:
        kind = event.get("type")
        if kind == "SUBSCRIBED":
            self._on_subscribed(event["subscribed"])
        elif kind == "OFFERS":
            self._on_offers(event.get("offers", {}).get("offers", []))
        elif kind == "UPDATE":
            self._on_update(event["update"]["status"])
        elif kind == "ERROR":
            message = event.get("error", {}).get("message", "")
            raise FrameworkExit(
                EXIT_REFUSED,
                f"master sent ERROR: {message} (if the framework was removed, e.g. its failover "
                f"timeout passed, delete {self.store.path} to register as a new framework)",
            )
        elif kind == "FAILURE":
            log.warning("master reports a failure: %s", event.get("failure"))
        elif kind != "HEARTBEAT":
            log.debug("ignoring %s event", kind)
        self._settle()

    def tick(self) -> None:
        if not self.subscribed:
            return
        if self._clock() >= self._next_reconcile:
            self._reconcile_all()
        self._settle()

    def disconnected(self) -> None:
        self.subscribed = False
        self._publish()

    def set_instances(self, instances: int) -> None:
        log.info("instances: %d -> %d", self.instances, instances)
        self.instances = max(0, instances)
        if self.subscribed:
            self._settle()
        else:
            self._publish()

    def teardown(self) -> None:
        """Ask Mesos to kill every task and forget this framework, then forget it too."""
        if self.framework_id:
            log.warning("tearing down framework %s: all its tasks will be killed", self.framework_id)
            self._send(calls.teardown(self.framework_id))
        self.framework_id = None
        self.book = TaskBook()
        self._handled = []
        self.failures = 0
        self._save()

    # ----- events ----------------------------------------------------------

    def _on_subscribed(self, subscribed: dict[str, Any]) -> None:
        new_id = subscribed["framework_id"]["value"]
        if self.framework_id and new_id != self.framework_id:
            log.warning("master gave a new framework id %s (was %s)", new_id, self.framework_id)
        self.framework_id = new_id
        self.subscribed = True
        # A fresh subscription starts unsuppressed.
        self.suppressed = False
        log.info("subscribed as framework %s", new_id)
        self._save()
        self._reconcile_all()

    def _reconcile_all(self) -> None:
        assert self.framework_id
        self._next_reconcile = self._clock() + self.settings.reconcile_interval
        known = [(r.task_id, r.agent_id) for r in self.book.tasks.values()]
        # With nothing recorded, ask for everything the master has for us.
        if known or self._resubscribing:
            log.info("reconciling %d task(s)", len(known))
            self._send(calls.reconcile(self.framework_id, known))

    def _new_task_id(self) -> str:
        return f"{self.settings.name}-{uuid_lib.uuid4().hex[:20]}"

    def _on_offers(self, offers: list[dict[str, Any]]) -> None:
        if not offers or not self.framework_id:
            return
        now = self._clock()
        pending = self._pending()
        ids = [o["id"]["value"] for o in offers]
        if pending == 0 or now < self.not_before:
            refuse = self.settings.decline_seconds if pending == 0 else max(0.1, round(self.not_before - now, 1))
            self._send(calls.decline(self.framework_id, ids, refuse))
            return
        result = place(
            offers,
            pending,
            self.book.per_agent(),
            self.settings.effective_max_per_agent,
            self._demand,
            self._new_task_id,
        )
        for tasks in result.launches.values():
            for task in tasks:
                record = TaskRecord(task.task_id, task.agent_id, task.hostname, task.host_port, launched_at=time.time())
                self.book.add(record)
                log.info("launching %s on %s port=%s", task.task_id, task.hostname, task.host_port)
        if result.launches:
            # Saved first: after a crash, reconciliation finds these tasks.
            self._save()
            self._mismatch.launched()
        elif result.reasons:
            self._mismatch.offers_unusable(result.reasons)
        for offer_id, tasks in result.launches.items():
            infos = [t.task_info for t in tasks]
            self._send(calls.accept(self.framework_id, [offer_id], infos, ACCEPT_REFUSE_SECONDS))
        if result.declined:
            self._send(calls.decline(self.framework_id, result.declined, self.settings.decline_seconds))

    def _on_update(self, status: dict[str, Any]) -> None:
        uuid = status.get("uuid")
        fatal: FrameworkExit | None = None
        if uuid and uuid in self._handled:
            log.info("update %s for %s already handled; acknowledging again", uuid, status["task_id"]["value"])
        else:
            fatal = self._apply_status(status)
            if uuid:
                self._handled = [*self._handled, uuid][-HANDLED_UUIDS_KEPT:]
            self._save()
        # Acknowledge only after the state is saved, and only what carries a uuid
        # (reconciliation answers do not).
        if uuid and self.framework_id:
            agent_id = status.get("agent_id", {}).get("value", "")
            self._send(calls.acknowledge(self.framework_id, agent_id, status["task_id"]["value"], uuid))
        if fatal:
            raise fatal

    def _apply_status(self, status: dict[str, Any]) -> FrameworkExit | None:
        task_id = status["task_id"]["value"]
        state = status["state"]
        agent_id = status.get("agent_id", {}).get("value")
        record = self.book.get(task_id)
        if record is None:
            if not is_terminal(state) and agent_id and task_id.startswith(f"{self.settings.name}-"):
                log.info("adopting running task %s (%s)", task_id, state)
                self.book.add(TaskRecord(task_id, agent_id, state=state))
            else:
                log.debug("update for unknown task %s: %s", task_id, describe(status))
            return None
        record.state = state
        record.agent_id = agent_id or record.agent_id
        log.info("task %s: %s", task_id, describe(status))
        if state == "TASK_RUNNING" and self.failures:
            log.info("task %s reached TASK_RUNNING: failure count reset", task_id)
            self.failures = 0
        if not is_terminal(state):
            if record.kill_requested and status.get("reason") == "REASON_RECONCILIATION":
                # Our earlier KILL may have been lost.
                self._send(calls.kill(self.framework_id or "", task_id, record.agent_id))
            return None
        self.book.forget(task_id)
        if is_unknown_to_master(status):
            log.warning("master does not know task %s: forgetting it", task_id)
            return None
        if record.kill_requested and state in ("TASK_KILLED", "TASK_FINISHED"):
            return None
        if lacks_docker(status):
            return FrameworkExit(
                EXIT_NO_DOCKER,
                f"agent {record.hostname or record.agent_id} cannot run Docker containers "
                f"(start mesos-agent with --containerizers=docker,mesos): {describe(status)}",
            )
        self.failures += 1
        self.last_failure = describe(status)
        if self.failures > self.settings.max_retries:
            return FrameworkExit(
                EXIT_RETRY_LIMIT,
                f"giving up after {self.failures} consecutive task failures with no task reaching "
                f"TASK_RUNNING; last: {self.last_failure}",
            )
        delay = delay_for(self.failures, self.settings.backoff_base, self.settings.backoff_max)
        self.not_before = self._clock() + delay
        log.warning("task %s ended: %s; relaunching in %.2fs", task_id, self.last_failure, delay)
        return None

    # ----- keeping the target ------------------------------------------------

    def _pending(self) -> int:
        return max(0, self.instances - len(self.book.wanted()))

    def _settle(self) -> None:
        if self.subscribed and self.framework_id:
            self._kill_excess()
            pending = self._pending()
            if pending and self.suppressed and self._clock() >= self.not_before:
                log.info("%d task(s) needed: reviving offers", pending)
                self.suppressed = False
                self._send(calls.revive(self.framework_id))
            elif not pending and not self.suppressed:
                log.info("all %d instance(s) placed: suppressing offers", self.instances)
                self.suppressed = True
                self._send(calls.suppress(self.framework_id))
        self._publish()

    def _kill_excess(self) -> None:
        wanted = self.book.wanted()
        excess = len(wanted) - self.instances
        if excess <= 0:
            return
        # Kill tasks that are not serving yet first, then the newest.
        victims = sorted(wanted, key=lambda r: (r.state == "TASK_RUNNING", -r.launched_at))[:excess]
        for record in victims:
            record.kill_requested = True
        self._save()
        for record in victims:
            log.info("killing %s: above the target of %d", record.task_id, self.instances)
            self._send(calls.kill(self.framework_id or "", record.task_id, record.agent_id))

    def _save(self) -> None:
        self.store.save(
            {
                "framework_id": self.framework_id,
                "tasks": self.book.to_json(),
                "handled_uuids": self._handled,
                "consecutive_failures": self.failures,
                "last_failure": self.last_failure,
            }
        )

    def _publish(self) -> None:
        # Replaced whole, so the status thread always reads a consistent copy.
        self.snapshot = {
            "framework_id": self.framework_id,
            "subscribed": self.subscribed,
            "instances": self.instances,
            "suppressed": self.suppressed,
            "consecutive_failures": self.failures,
            "last_failure": self.last_failure,
            "tasks": self.book.to_json(),
        }

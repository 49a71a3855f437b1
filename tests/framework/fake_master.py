"""A protocol-level fake Mesos master (v1 scheduler API) for the framework tests.

A real HTTP server on 127.0.0.1 that answers POST /api/v1/scheduler like the
Mesos 1.12 master in shared/data/mesos-v1-transcripts: SUBSCRIBE gets 200 and a
chunked RecordIO stream of JSON events plus a `Mesos-Stream-Id` header; other
calls get 202, or 403 "Framework is not subscribed" when the stream is closed
or the stream id is wrong. Every call is recorded. A tiny allocator offers the
agents' free resources (respecting SUPPRESS, REVIVE and refuse_seconds), and a
launch plan decides which status updates a launched task produces. Event
bodies copy the transcripts' shapes (checked by test_fake_master_shapes.py).
"""

from __future__ import annotations

import base64
import itertools
import json
import queue
import threading
import time
import uuid as uuid_lib
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from nginx_framework.recordio import encode

MASTER_ID = "dadea35f-71c7-4d8c-9a78-e82a35926b2c"
NOT_SUBSCRIBED = "Framework is not subscribed"
PULL_FAILURE = (
    "Failed to launch container: Failed to run 'docker -H unix:///var/run/docker.sock pull {image}': "
    "exited with status 1; stderr='Error response from daemon: pull access denied for {image}\n'"
)
# What a Mesos agent started without the docker containerizer says.
NO_DOCKER = (
    "Failed to launch container: None of the enabled containerizers (mesos) could create a "
    "container for the provided TaskInfo/ExecutorInfo message"
)
EPS = 1e-6


# ----- event bodies, shaped like the transcripts ------------------------------


def new_uuid() -> str:
    return base64.b64encode(uuid_lib.uuid4().bytes).decode("ascii")


def _container_status(container_id: str, ip: str = "127.0.0.1") -> dict[str, Any]:
    return {
        "container_id": {"value": container_id},
        "network_infos": [{"ip_addresses": [{"protocol": "IPv4", "ip_address": ip}]}],
    }


def executor_status(
    task_id: str, agent_id: str, state: str, container_id: str, message: str | None = None
) -> dict[str, Any]:
    """An update sent by the Docker executor: carries a uuid."""
    status: dict[str, Any] = {"task_id": {"value": task_id}, "state": state}
    if message is not None:
        status["message"] = message
    status["source"] = "SOURCE_EXECUTOR"
    if state == "TASK_RUNNING":
        status["data"] = base64.b64encode(b'[{"Id": "fake", "State": {"Running": true}}]').decode()
    status.update(
        {
            "agent_id": {"value": agent_id},
            "executor_id": {"value": task_id},
            "timestamp": time.time(),
            "uuid": new_uuid(),
            "container_status": _container_status(container_id),
        }
    )
    return status


def agent_failure_status(task_id: str, agent_id: str, message: str) -> dict[str, Any]:
    """The agent could not start the container: TASK_FAILED with a uuid."""
    return {
        "task_id": {"value": task_id},
        "state": "TASK_FAILED",
        "message": message,
        "source": "SOURCE_AGENT",
        "reason": "REASON_CONTAINER_LAUNCH_FAILED",
        "agent_id": {"value": agent_id},
        "executor_id": {"value": task_id},
        "timestamp": time.time(),
        "uuid": new_uuid(),
    }


def reconcile_status(task_id: str, agent_id: str, state: str, container_id: str) -> dict[str, Any]:
    """A reconciliation answer for a known task: no uuid."""
    return {
        "task_id": {"value": task_id},
        "state": state,
        "message": "Reconciliation: Latest task state",
        "source": "SOURCE_MASTER",
        "reason": "REASON_RECONCILIATION",
        "agent_id": {"value": agent_id},
        "timestamp": time.time(),
        "container_status": _container_status(container_id),
    }


def unknown_task_status(task_id: str) -> dict[str, Any]:
    return {
        "task_id": {"value": task_id},
        "state": "TASK_LOST",
        "message": "Reconciliation: Task is unknown",
        "source": "SOURCE_MASTER",
        "reason": "REASON_RECONCILIATION",
        "timestamp": time.time(),
    }


def update_event(status: dict[str, Any]) -> dict[str, Any]:
    return {"type": "UPDATE", "update": {"status": status}}


def subscribed_event(framework_id: str, heartbeat: float, port: int) -> dict[str, Any]:
    address = {"hostname": "localhost", "ip": "127.0.0.1", "port": port}
    return {
        "type": "SUBSCRIBED",
        "subscribed": {
            "framework_id": {"value": framework_id},
            "heartbeat_interval_seconds": heartbeat,
            "master_info": {
                "id": MASTER_ID,
                "ip": 16777343,
                "port": port,
                "pid": f"master@127.0.0.1:{port}",
                "hostname": "localhost",
                "version": "1.12.0",
                "address": address,
                "capabilities": [{"type": "AGENT_UPDATE"}, {"type": "AGENT_DRAINING"}, {"type": "QUOTA_V2"}],
            },
        },
    }


def _star(resource: dict[str, Any]) -> dict[str, Any]:
    return {**resource, "role": "*", "allocation_info": {"role": "*"}}


def offer_body(
    offer_id: str, framework_id: str, agent: Agent, cpus: float, mem: float, ports: list[tuple[int, int]]
) -> dict[str, Any]:
    resources = []
    if ports:
        ranges = [{"begin": b, "end": e} for b, e in ports]
        resources.append(_star({"name": "ports", "type": "RANGES", "ranges": {"range": ranges}}))
    resources.append(_star({"name": "cpus", "type": "SCALAR", "scalar": {"value": round(cpus, 6)}}))
    resources.append(_star({"name": "mem", "type": "SCALAR", "scalar": {"value": round(mem, 6)}}))
    resources.append(_star({"name": "disk", "type": "SCALAR", "scalar": {"value": 252899.0}}))
    return {
        "id": {"value": offer_id},
        "framework_id": {"value": framework_id},
        "agent_id": {"value": agent.agent_id},
        "hostname": agent.hostname,
        "url": {
            "scheme": "http",
            "address": {"hostname": agent.hostname, "ip": "127.0.0.1", "port": 5051},
            "path": "/slave(1)",
        },
        "resources": resources,
        "allocation_info": {"role": "*"},
    }


# ----- what the fake cluster holds ----------------------------------------------


@dataclass
class Agent:
    agent_id: str
    hostname: str = "localhost"
    cpus: float = 2.0
    mem: float = 23081.0
    ports: list[tuple[int, int]] = field(default_factory=lambda: [(31000, 32000)])


@dataclass
class Task:
    task_id: str
    agent_id: str
    info: dict[str, Any]
    container_id: str = field(default_factory=lambda: str(uuid_lib.uuid4()))
    state: str = "TASK_STAGING"

    def scalar(self, name: str) -> float:
        return sum(r["scalar"]["value"] for r in self.info.get("resources", []) if r["name"] == name)

    def ports(self) -> set[int]:
        used = set()
        for r in self.info.get("resources", []):
            if r["name"] == "ports":
                for item in r["ranges"]["range"]:
                    used.update(range(item["begin"], item["end"] + 1))
        return used


TERMINAL = {"TASK_FINISHED", "TASK_FAILED", "TASK_KILLED", "TASK_ERROR", "TASK_LOST", "TASK_DROPPED", "TASK_GONE"}

# A launch plan turns (master, task) into the statuses the task goes through.
LaunchPlan = Callable[["FakeMaster", Task], list[dict[str, Any]]]


def runs(master: FakeMaster, task: Task) -> list[dict[str, Any]]:
    return [
        executor_status(task.task_id, task.agent_id, "TASK_STARTING", task.container_id),
        executor_status(task.task_id, task.agent_id, "TASK_RUNNING", task.container_id),
    ]


def image_pull_fails(master: FakeMaster, task: Task) -> list[dict[str, Any]]:
    image = task.info["container"]["docker"]["image"]
    return [agent_failure_status(task.task_id, task.agent_id, PULL_FAILURE.format(image=image))]


def no_docker_containerizer(master: FakeMaster, task: Task) -> list[dict[str, Any]]:
    return [agent_failure_status(task.task_id, task.agent_id, NO_DOCKER)]


def stays_staging(master: FakeMaster, task: Task) -> list[dict[str, Any]]:
    return []


@dataclass
class Subscription:
    stream_id: str
    framework_id: str
    events: queue.Queue[dict[str, Any] | None] = field(default_factory=queue.Queue)
    closed: threading.Event = field(default_factory=threading.Event)
    silent: bool = False


class FakeMaster:
    def __init__(
        self,
        agents: list[Agent] | None = None,
        heartbeat_interval: float = 0.2,
        allocation_interval: float = 0.05,
        auto_offers: bool = True,
        launch_plan: LaunchPlan = runs,
        redirect_to: str | None = None,
        bind: tuple[str, int] = ("127.0.0.1", 0),
    ) -> None:
        self.agents = agents if agents is not None else [Agent(f"{MASTER_ID}-S0")]
        self.heartbeat_interval = heartbeat_interval
        self.allocation_interval = allocation_interval
        self.auto_offers = auto_offers
        self.launch_plan = launch_plan
        self.redirect_to = redirect_to  # a Location value: this master is not the leader
        self.drop_acks = False  # record ACKs but keep the updates unacknowledged
        self.lock = threading.RLock()
        self.changed = threading.Condition(self.lock)
        self.calls: list[dict[str, Any]] = []
        self.errors: list[str] = []
        self.sub: Subscription | None = None
        self.subscriptions = 0
        self.framework_ids: set[str] = set()
        self.tasks: dict[str, Task] = {}
        self.unacked: dict[str, dict[str, Any]] = {}  # uuid -> status
        self.sent_uuids: set[str] = set()
        self.offers: dict[str, str] = {}  # offer id -> agent id
        self.filters: dict[str, float] = {}  # agent id -> refused until
        self.suppressed = False
        self._ids = itertools.count(1)
        self._stopped = threading.Event()
        self.httpd = ThreadingHTTPServer(bind, _handler(self))
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.address = f"127.0.0.1:{self.port}"
        self._threads = [
            threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True),
            threading.Thread(target=self._allocate_forever, daemon=True),
        ]

    # ----- lifecycle ------------------------------------------------------------

    def __enter__(self) -> FakeMaster:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stopped.set()
        self.close_stream()
        self.httpd.shutdown()
        self.httpd.server_close()

    # ----- what tests look at -----------------------------------------------------

    def call_types(self) -> list[str]:
        with self.lock:
            return [c["call"]["type"] for c in self.calls]

    def calls_of(self, kind: str) -> list[dict[str, Any]]:
        with self.lock:
            return [c["call"] for c in self.calls if c["call"]["type"] == kind]

    def wait_for(self, predicate: Callable[[], Any], timeout: float = 5.0, what: str = "") -> Any:
        """Wait until predicate() is truthy (re-checked on every change)."""
        deadline = time.monotonic() + timeout
        with self.changed:
            while True:
                result = predicate()
                if result:
                    return result
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(
                        f"timed out after {timeout}s waiting for {what or predicate}; calls: {self.call_types()}"
                    )
                self.changed.wait(min(remaining, 0.05))

    def wait_calls(self, kind: str, count: int = 1, timeout: float = 5.0) -> list[dict[str, Any]]:
        return self.wait_for(
            lambda: len(self.calls_of(kind)) >= count and self.calls_of(kind), timeout, f"{count} {kind}"
        )

    def running_tasks(self) -> list[Task]:
        with self.lock:
            return [t for t in self.tasks.values() if t.state == "TASK_RUNNING"]

    def live_tasks(self) -> list[Task]:
        with self.lock:
            return [t for t in self.tasks.values() if t.state not in TERMINAL]

    # ----- what tests do ---------------------------------------------------------------

    def emit(self, event: dict[str, Any]) -> None:
        with self.lock:
            if self.sub is None or self.sub.closed.is_set():
                raise AssertionError("no open subscription to emit on")
            if event.get("type") == "UPDATE":
                status = event["update"]["status"]
                if "uuid" in status:
                    self.unacked[status["uuid"]] = status
                    self.sent_uuids.add(status["uuid"])
                task = self.tasks.get(status["task_id"]["value"])
                if task is not None and status.get("reason") != "REASON_RECONCILIATION":
                    task.state = status["state"]
            self.sub.events.put(event)
            self.changed.notify_all()

    def emit_status(self, status: dict[str, Any]) -> None:
        self.emit(update_event(status))

    def close_stream(self) -> None:
        """End the current SUBSCRIBE response (later calls get 403)."""
        with self.lock:
            if self.sub is not None:
                self.sub.closed.set()
                self.sub.events.put(None)
            self.changed.notify_all()

    def go_silent(self) -> None:
        """Keep the stream open but send nothing, not even heartbeats."""
        with self.lock:
            if self.sub is not None:
                self.sub.silent = True

    def kill_externally(self, task_id: str) -> dict[str, Any]:
        """The task dies without the framework asking (e.g. someone ran docker kill)."""
        with self.lock:
            task = self.tasks[task_id]
            status = executor_status(
                task_id, task.agent_id, "TASK_KILLED", task.container_id, "Container exited with status 137"
            )
            self.emit_status(status)
            return status

    def send_offers(self, force: bool = True) -> list[str]:
        """Offer every agent's free resources now (force: even when suppressed/filtered)."""
        with self.lock:
            return self._offer(force)

    # ----- the master's side ------------------------------------------------------------

    def _free(self, agent: Agent) -> tuple[float, float, list[tuple[int, int]]]:
        live = [t for t in self.tasks.values() if t.agent_id == agent.agent_id and t.state not in TERMINAL]
        cpus = agent.cpus - sum(t.scalar("cpus") for t in live)
        mem = agent.mem - sum(t.scalar("mem") for t in live)
        used = set().union(*(t.ports() for t in live)) if live else set()
        ranges: list[tuple[int, int]] = []
        for begin, end in agent.ports:
            start = None
            for port in range(begin, end + 2):
                free = port <= end and port not in used
                if free and start is None:
                    start = port
                elif not free and start is not None:
                    ranges.append((start, port - 1))
                    start = None
        return cpus, mem, ranges

    def _offer(self, force: bool) -> list[str]:
        sub = self.sub
        if sub is None or sub.closed.is_set():
            return []
        if self.suppressed and not force:
            return []
        offers = []
        now = time.monotonic()
        for agent in self.agents:
            if agent.agent_id in self.offers.values():
                continue
            if not force and self.filters.get(agent.agent_id, 0) > now:
                continue
            cpus, mem, ports = self._free(agent)
            if cpus <= EPS or mem <= EPS:
                continue
            offer_id = f"{MASTER_ID}-O{next(self._ids)}"
            self.offers[offer_id] = agent.agent_id
            offers.append(offer_body(offer_id, sub.framework_id, agent, cpus, mem, ports))
        if offers:
            self.emit({"type": "OFFERS", "offers": {"offers": offers}})
        return [o["id"]["value"] for o in offers]

    def _allocate_forever(self) -> None:
        while not self._stopped.wait(self.allocation_interval):
            if self.auto_offers:
                with self.lock:
                    self._offer(force=False)

    def subscribe(self, call: dict[str, Any]) -> Subscription:
        with self.lock:
            info = call["subscribe"]["framework_info"]
            framework_id = info.get("id", {}).get("value")
            if framework_id is None:
                framework_id = f"{MASTER_ID}-{len(self.framework_ids) + 1:04d}"
            self.framework_ids.add(framework_id)
            if self.sub is not None:
                self.close_stream()
            self.sub = Subscription(str(uuid_lib.uuid4()), framework_id)
            self.record(call, 200, None)
            self.subscriptions += 1
            self.suppressed = False
            self.offers.clear()
            self.filters.clear()
            self.sub.events.put(subscribed_event(framework_id, self.heartbeat_interval, self.port))
            self.sub.events.put({"type": "HEARTBEAT"})
            # Like an agent retrying its status updates after a framework failover.
            for status in list(self.unacked.values()):
                self.sub.events.put(update_event(status))
            self.changed.notify_all()
            return self.sub

    def record(self, call: dict[str, Any], status: int, stream_id: str | None) -> None:
        with self.lock:
            self.calls.append({"call": call, "status": status, "stream_id": stream_id, "t": time.time()})
            self.changed.notify_all()

    def handle_call(self, call: dict[str, Any], stream_id: str | None) -> tuple[int, str]:
        with self.lock:
            sub = self.sub
            if (
                sub is None
                or sub.closed.is_set()
                or stream_id != sub.stream_id
                or call.get("framework_id", {}).get("value") != sub.framework_id
            ):
                self.record(call, 403, stream_id)
                return 403, NOT_SUBSCRIBED
            self.record(call, 202, stream_id)
            handler = getattr(self, f"_on_{call['type'].lower()}", None)
            if handler is None:
                self.errors.append(f"unexpected call {call['type']}")
            else:
                handler(call)
            return 202, ""

    def _on_accept(self, call: dict[str, Any]) -> None:
        accept = call["accept"]
        offer_ids = [o["value"] for o in accept["offer_ids"]]
        agents = {self.offers.pop(o, None) for o in offer_ids}
        refuse = accept.get("filters", {}).get("refuse_seconds", 5.0)
        for agent_id in agents - {None}:
            self.filters[agent_id] = time.monotonic() + refuse
        for operation in accept["operations"]:
            for info in operation["launch"]["task_infos"]:
                self._launch(info, agents)

    def _launch(self, info: dict[str, Any], agents: set[str | None]) -> None:
        task_id = info["task_id"]["value"]
        agent_id = info["agent_id"]["value"]
        if None in agents or agent_id not in agents:
            self.errors.append(f"{task_id} launched with invalid offers")
            return
        agent = next(a for a in self.agents if a.agent_id == agent_id)
        cpus, mem, ports = self._free(agent)
        task = Task(task_id, agent_id, info)
        free_ports = {p for b, e in ports for p in range(b, e + 1)}
        if (
            task_id in self.tasks
            or task.scalar("cpus") > cpus + EPS
            or task.scalar("mem") > mem + EPS
            or not task.ports() <= free_ports
        ):
            self.errors.append(f"{task_id}: duplicate id or more resources than offered")
            return
        self.tasks[task_id] = task
        for status in self.launch_plan(self, task):
            self.emit_status(status)

    def _on_decline(self, call: dict[str, Any]) -> None:
        decline = call["decline"]
        refuse = decline.get("filters", {}).get("refuse_seconds", 5.0)
        for offer in decline["offer_ids"]:
            agent_id = self.offers.pop(offer["value"], None)
            if agent_id is None:
                self.errors.append(f"declined unknown offer {offer['value']}")
            else:
                self.filters[agent_id] = time.monotonic() + refuse

    def _on_acknowledge(self, call: dict[str, Any]) -> None:
        uuid = call["acknowledge"]["uuid"]
        if uuid not in self.sent_uuids:
            self.errors.append(f"ACK for a uuid never sent: {uuid}")
        if not self.drop_acks:
            self.unacked.pop(uuid, None)

    def _on_reconcile(self, call: dict[str, Any]) -> None:
        asked = [t["task_id"]["value"] for t in call["reconcile"]["tasks"]]
        if not asked:
            asked = [t.task_id for t in self.tasks.values() if t.state not in TERMINAL]
        for task_id in asked:
            task = self.tasks.get(task_id)
            if task is None:
                self.emit_status(unknown_task_status(task_id))
            else:
                self.emit_status(reconcile_status(task_id, task.agent_id, task.state, task.container_id))

    def _on_kill(self, call: dict[str, Any]) -> None:
        task = self.tasks.get(call["kill"]["task_id"]["value"])
        if task is not None and task.state not in TERMINAL:
            self.emit_status(
                executor_status(
                    task.task_id, task.agent_id, "TASK_KILLED", task.container_id, "Container exited with status 0"
                )
            )

    def _on_suppress(self, call: dict[str, Any]) -> None:
        self.suppressed = True

    def _on_revive(self, call: dict[str, Any]) -> None:
        self.suppressed = False
        self.filters.clear()

    def _on_teardown(self, call: dict[str, Any]) -> None:
        for task in self.tasks.values():
            task.state = "TASK_KILLED"
        self.unacked.clear()
        self.close_stream()


def _handler(master: FakeMaster) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _plain(self, status: int, text: str, headers: dict[str, str] | None = None) -> None:
            data = text.encode()
            self.send_response(status)
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            call = json.loads(self.rfile.read(length))
            if self.path != "/api/v1/scheduler":
                self._plain(404, "")
                return
            if master.redirect_to is not None:
                master.record(call, 307, None)
                self._plain(307, "", {"Location": master.redirect_to})
                return
            if call.get("type") == "SUBSCRIBE":
                self._stream(master.subscribe(call))
                return
            status, text = master.handle_call(call, self.headers.get("Mesos-Stream-Id"))
            self._plain(status, text)

        def _chunk(self, data: bytes) -> None:
            self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
            self.wfile.flush()

        def _stream(self, sub: Subscription) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Transfer-Encoding", "chunked")
            self.send_header("Mesos-Stream-Id", sub.stream_id)
            self.end_headers()
            self.close_connection = True
            try:
                while not sub.closed.is_set():
                    try:
                        event = sub.events.get(timeout=master.heartbeat_interval)
                    except queue.Empty:
                        event = {"type": "HEARTBEAT"}
                    if event is None or sub.closed.is_set():
                        break
                    if not sub.silent:
                        self._chunk(encode(json.dumps(event).encode()))
                self.wfile.write(b"0\r\n\r\n")
            except OSError:
                pass  # the framework hung up
            finally:
                with master.lock:
                    sub.closed.set()
                    master.changed.notify_all()

    return Handler

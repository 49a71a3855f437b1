"""The framework's main loop: subscribe, read events on a thread, reconnect.

One reader thread per subscription only parses the stream and queues
events, so slow work (state writes, HTTP calls) on the main thread never
stalls it. Signals and the status endpoint talk to the loop through the same
queue (a SimpleQueue: its put() is safe inside a signal handler).
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from typing import Any

from nginx_framework.backoff import Backoff
from nginx_framework.errors import (
    EXIT_INTERNAL,
    EXIT_OK,
    EXIT_REFUSED,
    FrameworkExit,
    MasterUnavailable,
    StreamLost,
    SubscribeRefused,
)
from nginx_framework.event_stream import EventStream
from nginx_framework.master_url import parse_master
from nginx_framework.scheduler import Scheduler
from nginx_framework.settings import Settings
from nginx_framework.state_store import StateStore
from nginx_framework.transport import CallObserver, Transport
from nginx_framework.zk_leader import leader_from_zk

log = logging.getLogger(__name__)

Message = tuple[Any, ...]


class Runner:
    def __init__(
        self,
        settings: Settings,
        observer: CallObserver | None = None,
        leader_finder: Callable[[], str] | None = None,
    ) -> None:
        self.settings = settings
        self.inbox: queue.SimpleQueue[Message] = queue.SimpleQueue()
        auth = (settings.principal, settings.secret) if settings.principal and settings.secret else None
        self.transport = Transport(settings.connect_timeout, settings.heartbeat_factor, auth, observer)
        store = StateStore(settings.state_dir)
        store.check_writable()
        self.scheduler = Scheduler(settings, store, self.transport.call)
        self._find_leader = leader_finder or self._default_leader_finder()
        self._reconnect = Backoff(settings.reconnect_base, settings.reconnect_max)
        self._generation = 0
        self._stopping = False
        self.reconnects = 0

    def _default_leader_finder(self) -> Callable[[], str]:
        spec = parse_master(self.settings.master)
        if spec.is_zk:
            hosts, path = spec.zk_hosts or "", spec.zk_path or ""
            return lambda: leader_from_zk(hosts, path, self.settings.connect_timeout)
        url = spec.url or ""
        return lambda: url

    # ----- control, callable from any thread or a signal handler -------------

    def stop(self) -> None:
        self.inbox.put(("stop",))

    def scale(self, instances: int) -> None:
        self.inbox.put(("scale", instances))

    def scale_by(self, delta: int) -> None:
        self.inbox.put(("scale_by", delta))

    # ----- loop ----------------------------------------------------------------

    def run(self) -> int:
        try:
            while not self._stopping:
                try:
                    self._session()
                except StreamLost as exc:
                    log.warning("lost the subscription: %s", exc)
                except MasterUnavailable as exc:
                    log.warning("no master: %s", exc)
                except SubscribeRefused as exc:
                    raise FrameworkExit(EXIT_REFUSED, f"master refused SUBSCRIBE: {exc}") from None
                self.scheduler.disconnected()
                if not self._stopping:
                    self.reconnects += 1
                    self._wait(self._reconnect.next_delay())
            if self.settings.teardown and self.scheduler.framework_id:
                log.warning("stopped while not subscribed: framework not torn down, its tasks keep running")
            return EXIT_OK
        except FrameworkExit as exc:
            log.error("%s", exc.message)
            return exc.code
        except Exception:
            log.exception("internal error")
            return EXIT_INTERNAL
        finally:
            self.transport.close()

    def _wait(self, seconds: float) -> None:
        """Sleep before reconnecting, still answering stop and scale."""
        log.info("reconnecting in %.2fs", seconds)
        try:
            message = self.inbox.get(timeout=seconds)
        except queue.Empty:
            return
        self._control(message)

    def _control(self, message: Message) -> bool:
        """Handle stop/scale messages; True when the message was one of them."""
        kind = message[0]
        if kind == "stop":
            self._stopping = True
        elif kind == "scale":
            self.scheduler.set_instances(int(message[1]))
        elif kind == "scale_by":
            self.scheduler.set_instances(self.scheduler.instances + int(message[1]))
        else:
            return False
        return True

    def _session(self) -> None:
        leader = self._find_leader()
        stream = self.transport.subscribe(leader, self.scheduler.subscribe_call())
        self._generation += 1
        generation = self._generation
        reader = threading.Thread(target=self._read, args=(stream, generation), name="mesos-events", daemon=True)
        reader.start()
        try:
            while not self._stopping:
                try:
                    message = self.inbox.get(timeout=self.settings.tick_seconds)
                except queue.Empty:
                    self.scheduler.tick()
                    continue
                if self._control(message):
                    if self._stopping and self.settings.teardown:
                        self.scheduler.teardown()
                    self.scheduler.tick()
                    continue
                kind, message_generation, payload = message
                if message_generation != generation:
                    continue  # left over from an older stream
                if kind == "lost":
                    raise StreamLost(payload)
                if payload.get("type") == "SUBSCRIBED":
                    self._reconnect.reset()
                self.scheduler.handle(payload)
        finally:
            stream.close()
            reader.join(timeout=self.settings.connect_timeout)

    def _read(self, stream: EventStream, generation: int) -> None:
        try:
            for event in stream.events():
                self.inbox.put(("event", generation, event))
        except StreamLost as exc:
            self.inbox.put(("lost", generation, str(exc)))
        except Exception as exc:  # a reader must always report why it stopped
            self.inbox.put(("lost", generation, f"event reader failed: {exc!r}"))

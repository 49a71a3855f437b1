"""HTTP to the master's /api/v1/scheduler: SUBSCRIBE stream and the other calls.

SUBSCRIBE uses http.client so the stream's socket (and its heartbeat timeout)
is ours to control; the short calls go through a requests session.
"""

from __future__ import annotations

import base64
import http.client
import json
import logging
from collections.abc import Callable
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests

from nginx_framework.errors import MasterUnavailable, StreamLost, SubscribeRefused
from nginx_framework.event_stream import EventStream
from nginx_framework.master_url import SCHEDULER_PATH, scheduler_url

log = logging.getLogger(__name__)
MAX_REDIRECTS = 5
REDIRECTS = (301, 302, 303, 307, 308)

CallObserver = Callable[[dict[str, Any], int], None]


def _connection(url: str, timeout: float) -> http.client.HTTPConnection:
    parts = urlsplit(url)
    cls = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    return cls(parts.hostname or "", parts.port, timeout=timeout)


def _base(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


class Transport:
    """Talks to whichever master accepted our SUBSCRIBE."""

    def __init__(
        self,
        timeout: float,
        heartbeat_factor: float,
        auth: tuple[str, str] | None = None,
        observer: CallObserver | None = None,
    ) -> None:
        self.timeout = timeout
        self.heartbeat_factor = heartbeat_factor
        self.auth = auth
        self.observer = observer
        self.leader: str | None = None
        self.stream_id: str | None = None
        self.session = requests.Session()

    def _headers(self) -> dict[str, str]:
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if self.auth:
            token = base64.b64encode(f"{self.auth[0]}:{self.auth[1]}".encode()).decode("ascii")
            headers["Authorization"] = f"Basic {token}"
        return headers

    def subscribe(self, master_base: str, body: dict[str, Any]) -> EventStream:
        """SUBSCRIBE, following a non-leader's redirect to the leader."""
        url = scheduler_url(master_base)
        payload = json.dumps(body).encode("utf-8")
        for _ in range(MAX_REDIRECTS + 1):
            parts = urlsplit(url)
            connection = _connection(url, self.timeout)
            try:
                connection.request("POST", parts.path or SCHEDULER_PATH, body=payload, headers=self._headers())
                response = connection.getresponse()
            except (OSError, http.client.HTTPException) as exc:
                connection.close()
                raise MasterUnavailable(f"cannot reach master at {url}: {exc!r}") from None
            if response.status == 200:
                self.leader = _base(url)
                self.stream_id = response.getheader("Mesos-Stream-Id") or ""
                self._observe(body, 200)
                log.info("subscribed to master %s (stream %s)", self.leader, self.stream_id)
                return EventStream(connection, response, self.stream_id, self.heartbeat_factor)
            text = response.read(2048).decode("utf-8", "replace").strip()
            connection.close()
            self._observe(body, response.status)
            if response.status in REDIRECTS:
                location = response.getheader("Location") or ""
                if not location:
                    raise MasterUnavailable(f"master at {url} redirected without a Location")
                # Mesos sends a scheme-relative "//host:port/api/v1/scheduler".
                url = urljoin(url, location)
                if not urlsplit(url).path.strip("/"):
                    url = scheduler_url(_base(url))
                log.info("master is not the leader; following redirect to %s", url)
                continue
            if response.status in (400, 401, 403):
                raise SubscribeRefused(response.status, text)
            raise MasterUnavailable(f"master at {url} answered {response.status}: {text}")
        raise MasterUnavailable(f"more than {MAX_REDIRECTS} redirects while looking for the leader")

    def call(self, body: dict[str, Any]) -> int:
        """Send one non-SUBSCRIBE call; StreamLost when the subscription is gone."""
        if not self.leader or self.stream_id is None:
            raise StreamLost("not subscribed")
        headers = {**self._headers(), "Mesos-Stream-Id": self.stream_id}
        try:
            response = self.session.post(
                scheduler_url(self.leader),
                data=json.dumps(body),
                headers=headers,
                timeout=self.timeout,
                allow_redirects=False,
            )
        except requests.RequestException as exc:
            raise StreamLost(f"{body['type']} call failed: {exc!r}") from None
        self._observe(body, response.status_code)
        if response.status_code in (200, 202):
            return response.status_code
        if response.status_code in REDIRECTS or response.status_code == 403:
            # 403 "Framework is not subscribed": our stream is gone; 307: leader moved.
            raise StreamLost(f"{body['type']} answered {response.status_code}: {response.text.strip()}")
        log.error("%s answered %s: %s", body["type"], response.status_code, response.text.strip())
        return response.status_code

    def _observe(self, body: dict[str, Any], status: int) -> None:
        if self.observer:
            self.observer(body, status)

    def close(self) -> None:
        self.session.close()

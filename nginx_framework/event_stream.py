"""Read one SUBSCRIBE response: RecordIO-framed JSON events, watched for silence.

The socket's read timeout is the heartbeat watchdog: once SUBSCRIBED tells
the heartbeat interval, no byte for interval * factor means the master or the
network is gone, and the stream is treated as dead.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import logging
import socket
from collections.abc import Iterator
from typing import Any

from nginx_framework.errors import StreamLost
from nginx_framework.recordio import RecordIODecoder, RecordIOError

log = logging.getLogger(__name__)
READ_SIZE = 65536


class EventStream:
    def __init__(
        self,
        connection: http.client.HTTPConnection,
        response: http.client.HTTPResponse,
        stream_id: str,
        heartbeat_factor: float,
    ) -> None:
        self.connection = connection
        self.response = response
        self.stream_id = stream_id
        self.heartbeat_factor = heartbeat_factor
        self.heartbeat_interval: float | None = None

    def _watch_heartbeats(self, interval: float) -> None:
        self.heartbeat_interval = interval
        sock = self.connection.sock
        if sock is not None:
            sock.settimeout(interval * self.heartbeat_factor)

    def events(self) -> Iterator[dict[str, Any]]:
        """Yield events; raise StreamLost when the stream ends in any way."""
        decoder = RecordIODecoder()
        while True:
            try:
                chunk = self.response.read1(READ_SIZE)
            except TimeoutError:
                waited = (self.heartbeat_interval or 0) * self.heartbeat_factor
                raise StreamLost(f"no event for {waited:.1f}s: heartbeats missed") from None
            except (OSError, ValueError, http.client.HTTPException) as exc:
                raise StreamLost(f"event stream broken: {exc!r}") from None
            if not chunk:
                raise StreamLost("master closed the event stream")
            try:
                records = decoder.feed(chunk)
            except RecordIOError as exc:
                raise StreamLost(f"bad data on the event stream: {exc}") from None
            for record in records:
                event = json.loads(record)
                if event.get("type") == "SUBSCRIBED":
                    interval = event["subscribed"].get("heartbeat_interval_seconds")
                    if interval:
                        self._watch_heartbeats(float(interval))
                yield event

    def close(self) -> None:
        """Safe from any thread: shutting the socket down wakes a blocked reader."""
        sock = self.connection.sock
        if sock is not None:
            with contextlib.suppress(OSError):  # already closed by the peer
                sock.shutdown(socket.SHUT_RDWR)
        self.connection.close()

"""The status endpoint: GET /healthz, GET /tasks, POST /scale?instances=N.

A stdlib HTTP server on its own thread; it only reads the scheduler's
published snapshot and queues scale requests, never touching live state.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

log = logging.getLogger(__name__)


class StatusServer:
    def __init__(
        self,
        host: str,
        port: int,
        snapshot: Callable[[], dict[str, Any]],
        scale: Callable[[int], None],
    ) -> None:
        handler = _make_handler(snapshot, scale)
        self.httpd = ThreadingHTTPServer((host, port), handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self._thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.1}, name="status-http", daemon=True
        )

    def start(self) -> None:
        self._thread.start()
        log.info("status endpoint on port %d (/healthz, /tasks, POST /scale?instances=N)", self.port)

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def _make_handler(snapshot: Callable[[], dict[str, Any]], scale: Callable[[int], None]) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _reply(self, status: int, body: dict[str, Any]) -> None:
            data = json.dumps(body, indent=2).encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            path = urlsplit(self.path).path
            state = snapshot()
            if path == "/healthz":
                self._reply(200, {"status": "ok", "subscribed": state.get("subscribed", False)})
            elif path == "/tasks":
                self._reply(200, state)
            else:
                self._reply(404, {"error": "not found; try /healthz, /tasks or POST /scale?instances=N"})

        def do_POST(self) -> None:
            parts = urlsplit(self.path)
            if parts.path != "/scale":
                self._reply(404, {"error": "not found"})
                return
            values = parse_qs(parts.query).get("instances", [])
            if len(values) != 1 or not values[0].isdigit():
                self._reply(400, {"error": "instances must be an integer >= 0"})
                return
            scale(int(values[0]))
            self._reply(202, {"instances": int(values[0])})

        def log_message(self, format: str, *args: Any) -> None:
            log.debug("status: " + format, *args)

    return Handler

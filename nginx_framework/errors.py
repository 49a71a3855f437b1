"""Exit codes and the exceptions that carry them out of the framework."""

from __future__ import annotations

EXIT_OK = 0
EXIT_INTERNAL = 1
EXIT_USAGE = 2
EXIT_RETRY_LIMIT = 3
EXIT_NO_DOCKER = 4
EXIT_REFUSED = 5


class UsageError(Exception):
    """A setting has a bad value: the message is one line naming the option."""


class FrameworkExit(Exception):
    """Stop the framework with `code`; the message is what the operator reads."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class StreamLost(Exception):
    """The subscription is gone (stream ended, went silent, or master refused a call)."""


class MasterUnavailable(Exception):
    """No leading master could be reached right now; worth retrying."""


class SubscribeRefused(Exception):
    """The master answered SUBSCRIBE with a client error: retrying will not help."""

    def __init__(self, status: int, body: str) -> None:
        super().__init__(f"HTTP {status}: {body}")
        self.status = status
        self.body = body

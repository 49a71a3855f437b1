"""RecordIO framing used by the Mesos event stream: b"<length>\\n<bytes>"."""

from __future__ import annotations

MAX_RECORD_BYTES = 64 * 1024 * 1024


class RecordIOError(ValueError):
    """The byte stream is not valid RecordIO."""


def encode(record: bytes) -> bytes:
    """Frame one record (the fake master in the tests uses this too)."""
    return str(len(record)).encode("ascii") + b"\n" + record


class RecordIODecoder:
    """Feed it bytes as they arrive; it returns the complete records so far."""

    def __init__(self, max_record: int = MAX_RECORD_BYTES) -> None:
        self._buffer = bytearray()
        self._max_record = max_record

    def feed(self, data: bytes) -> list[bytes]:
        self._buffer.extend(data)
        records: list[bytes] = []
        while True:
            newline = self._buffer.find(b"\n")
            if newline < 0:
                # A length prefix longer than 20 digits is garbage, not a slow sender.
                if len(self._buffer) > 20:
                    raise RecordIOError("record length prefix too long")
                return records
            prefix = bytes(self._buffer[:newline]).strip()
            if not prefix.isdigit():
                raise RecordIOError(f"bad record length prefix {prefix[:20]!r}")
            length = int(prefix)
            if length > self._max_record:
                raise RecordIOError(f"record of {length} bytes is too large")
            end = newline + 1 + length
            if len(self._buffer) < end:
                return records
            records.append(bytes(self._buffer[newline + 1 : end]))
            del self._buffer[:end]

"""Turn raw setting values (CLI, env, file) into typed ones, or say what is allowed.

Each converter raises ValueError whose text lists the allowed values; the
caller adds which option and which source the value came from.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from nginx_framework.master_url import ALLOWED as MASTER_ALLOWED
from nginx_framework.master_url import parse_master

Converter = Callable[[Any], Any]


def _text(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise ValueError("expected a single value")
    return str(value).strip()


def integer(minimum: int, maximum: int | None = None) -> Converter:
    allowed = f"an integer >= {minimum}" if maximum is None else f"an integer {minimum}-{maximum}"

    def convert(value: Any) -> int:
        try:
            number = int(_text(value))
        except ValueError:
            raise ValueError(f"must be {allowed}") from None
        if number < minimum or (maximum is not None and number > maximum):
            raise ValueError(f"must be {allowed}")
        return number

    return convert


def number(minimum: float, inclusive: bool) -> Converter:
    allowed = f"a number {'>=' if inclusive else '>'} {minimum:g}"

    def convert(value: Any) -> float:
        try:
            result = float(_text(value))
        except ValueError:
            raise ValueError(f"must be {allowed}") from None
        if result != result or result < minimum or (result == minimum and not inclusive):
            raise ValueError(f"must be {allowed}")
        return result

    return convert


def choice(options: Iterable[str]) -> Converter:
    """Case-insensitive choice; returns the canonical upper-case spelling."""
    canonical = tuple(options)

    def convert(value: Any) -> str:
        text = _text(value).upper()
        if text not in canonical:
            raise ValueError(f"must be one of {', '.join(canonical)} (any letter case)")
        return text

    return convert


def boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = _text(value).lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off", ""):
        return False
    raise ValueError("must be true or false (1/0, yes/no)")


def text(value: Any) -> str:
    result = _text(value)
    if not result:
        raise ValueError("must not be empty")
    return result


def master(value: Any) -> str:
    raw = _text(value)
    try:
        parse_master(raw)
    except ValueError as exc:
        raise ValueError(f"{exc}; expected {MASTER_ALLOWED}") from None
    return raw


def log_level(value: Any) -> str:
    return choice(("DEBUG", "INFO", "WARNING", "ERROR"))(value)

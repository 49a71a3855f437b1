"""Read a config file: a JSON object, or `key = value` lines with # comments.

Keys are option names with `_` or `-` (e.g. `max_per_agent` or `max-per-agent`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from nginx_framework.errors import UsageError


def parse_config_text(text: str, origin: str) -> dict[str, Any]:
    stripped = text.lstrip()
    if stripped.startswith("{"):
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise UsageError(f"--config: {origin} is not valid JSON: {exc}") from None
        if not isinstance(data, dict):
            raise UsageError(f"--config: {origin} must hold a JSON object")
        return {str(k).replace("-", "_"): v for k, v in data.items()}
    values: dict[str, Any] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"--config: {origin} line {number}: expected key = value, got {raw!r}")
        values[key.strip().replace("-", "_")] = value.strip()
    return values


def read_config_file(path: str) -> dict[str, Any]:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"--config: cannot read {path}: {exc.strerror or exc}") from None
    return parse_config_text(text, path)

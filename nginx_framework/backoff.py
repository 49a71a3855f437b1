"""Bounded exponential backoff, used for relaunches and for reconnects."""

from __future__ import annotations

from dataclasses import dataclass


def delay_for(attempt: int, base: float, maximum: float, factor: float = 2.0) -> float:
    """Delay before retry number `attempt` (1-based): base, base*2, ... capped."""
    if attempt < 1:
        return 0.0
    # Cap the exponent too, so a long outage cannot overflow the float.
    exponent = min(attempt - 1, 64)
    return min(maximum, base * factor**exponent)


@dataclass
class Backoff:
    """Counts consecutive attempts and hands out the next delay."""

    base: float
    maximum: float
    factor: float = 2.0
    attempts: int = 0

    def next_delay(self) -> float:
        self.attempts += 1
        return delay_for(self.attempts, self.base, self.maximum, self.factor)

    def reset(self) -> None:
        self.attempts = 0

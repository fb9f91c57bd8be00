"""Pacing for outgoing messages: one pacer for a whole bot or workspace, one per chat.

A pacer hands out send slots evenly (`interval` apart) rather than in bursts, so a
platform that counts messages over a sliding window never sees more than the rate.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable


class Pacer:
    """Evenly spaced slots at `rate` per second; `block_until` holds it after a 429."""

    def __init__(self, rate: float, *, clock: Callable[[], float] = time.monotonic) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.interval = 1.0 / rate
        self._clock = clock
        self._next = 0.0
        self._lock = asyncio.Lock()

    def delay(self) -> float:
        """Seconds until the next slot is free (0 when it is free now)."""
        return max(0.0, self._next - self._clock())

    def reserve(self) -> float:
        """Take the next slot without waiting; returns how long until it comes."""
        now = self._clock()
        slot = max(now, self._next)
        self._next = slot + self.interval
        return slot - now

    async def acquire(self) -> None:
        """Wait for the next slot. Waiters queue in order and only the first one sleeps, so a
        stalled event loop lets late waiters out one interval apart, never all at once."""
        async with self._lock:
            while (wait := self._next - self._clock()) > 0:
                await asyncio.sleep(wait)
            self._next = max(self._next, self._clock() - self.interval) + self.interval

    def block_until(self, seconds_from_now: float) -> None:
        self._next = max(self._next, self._clock() + seconds_from_now)


class KeyedPacers:
    """A pacer per key (per chat), created on first use, with the rate the key calls for."""

    def __init__(self, rate_for: Callable[[str], float], *, clock: Callable[[], float] = time.monotonic) -> None:
        self._rate_for = rate_for
        self._clock = clock
        self._pacers: dict[str, Pacer] = {}

    def get(self, key: str) -> Pacer:
        pacer = self._pacers.get(key)
        if pacer is None:
            pacer = self._pacers[key] = Pacer(self._rate_for(key), clock=self._clock)
        return pacer

    def forget_idle(self) -> None:
        """Drop pacers with nothing reserved, so a long-running bot does not grow without bound."""
        now = self._clock()
        for key in [key for key, pacer in self._pacers.items() if pacer._next <= now]:
            del self._pacers[key]

"""A per-user limit on commands: a sliding window held in memory, with an injectable clock.

Per process: with several replicas a user gets the limit once per replica, which is
enough to stop a flood without a shared store.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable, Hashable
from dataclasses import dataclass

# Forget idle users once this many are tracked, so the table cannot grow without end.
_SWEEP_AT = 10_000


@dataclass(frozen=True, slots=True)
class Decision:
    """Whether a command may run; when not, how long until it may and whether the user was told."""

    allowed: bool
    retry_after: float = 0.0
    already_told: bool = False

    @property
    def retry_after_seconds(self) -> int:
        return max(1, math.ceil(self.retry_after))


class RateLimiter:
    """At most `limit` commands per user in any `window` seconds."""

    def __init__(self, limit: int, window: float = 60.0, clock: Callable[[], float] = time.monotonic) -> None:
        if limit < 1 or window <= 0:
            raise ValueError("limit must be at least 1 and window positive")
        self.limit = limit
        self.window = window
        self._clock = clock
        self._seen: dict[Hashable, deque[float]] = {}
        self._told_until: dict[Hashable, float] = {}

    def check(self, user: Hashable) -> Decision:
        """Count one command by `user` if it is allowed; refused commands are not counted."""
        now = self._clock()
        if len(self._seen) >= _SWEEP_AT:
            self._sweep(now)
        times = self._seen.setdefault(user, deque())
        while times and times[0] <= now - self.window:
            times.popleft()
        if len(times) < self.limit:
            times.append(now)
            return Decision(True)
        retry_after = times[0] + self.window - now
        already_told = self._told_until.get(user, -math.inf) > now
        self._told_until[user] = times[0] + self.window
        return Decision(False, retry_after, already_told)

    def __len__(self) -> int:
        return len(self._seen)

    def _sweep(self, now: float) -> None:
        cutoff = now - self.window
        for user in [user for user, times in self._seen.items() if not times or times[-1] <= cutoff]:
            del self._seen[user]
            self._told_until.pop(user, None)

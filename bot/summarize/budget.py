"""A token budget shared by the summarize calls of one digest, so a digest has a bounded cost.

A call reserves its worst case (estimated prompt plus `max_tokens`) before it goes out and
commits what the server reports afterwards. Reservations are taken in the order calls
start, so when the pipeline summarizes picks best first, the best papers get the model and
the rest fall back to extractive cards once the budget cannot cover another call.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

log = logging.getLogger(__name__)


def estimate_tokens(text: str) -> int:
    """A rough token count without a tokenizer: ~4 ASCII characters a token, ~1 per CJK character."""
    ascii_chars = sum(1 for char in text if char.isascii())
    return ascii_chars // 4 + (len(text) - ascii_chars) + 1


@dataclass(slots=True)
class Reservation:
    """Tokens set aside for one call until it reports what it really used."""

    tokens: int
    open: bool = True


class TokenBudget:
    """Prompt plus completion tokens one digest may spend; `limit=None` means no limit.

    Not thread-safe, and needs no lock: asyncio runs reserve/commit without interleaving.
    """

    def __init__(self, limit: int | None) -> None:
        if limit is not None and limit < 0:
            raise ValueError("a token budget cannot be negative")
        self.limit = limit
        self.prompt_tokens = 0
        self.completion_tokens = 0
        self.reserved = 0
        self.refused = 0  # calls turned away: each one is a paper with an extractive card

    @property
    def used(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    @property
    def remaining(self) -> int | None:
        if self.limit is None:
            return None
        return max(self.limit - self.used - self.reserved, 0)

    def reserve(self, tokens: int) -> Reservation | None:
        """Set `tokens` aside for a call, or return None when the budget cannot cover it."""
        remaining = self.remaining
        if remaining is not None and tokens > remaining:
            self.refused += 1
            log.info("token budget: %d needed, %d of %s left; falling back", tokens, remaining, self.limit)
            return None
        self.reserved += tokens
        return Reservation(tokens)

    def commit(self, reservation: Reservation, prompt_tokens: int, completion_tokens: int) -> None:
        """Record what a call used (as its server reported) and free its reservation."""
        self.release(reservation)
        self.prompt_tokens += max(prompt_tokens, 0)
        self.completion_tokens += max(completion_tokens, 0)

    def release(self, reservation: Reservation) -> None:
        """Free a reservation whose call reported no usage (it failed before answering)."""
        if reservation.open:
            reservation.open = False
            self.reserved -= reservation.tokens

"""What a summarizer is to the pipeline: a paper and a language in, a card and its cost out."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from paperwire.bot.models import Card, Language, Paper


@dataclass(slots=True)
class SummaryResult:
    """A card plus what making it cost and what the grounding check removed.

    `cacheable` is False only when no answer was had for a reason that may pass (a timeout,
    429, 5xx, an unreachable server, the digest's token budget): the next build asks again.
    A card whose answer was refused, unusable or rejected by the grounding check is
    cached like any other, so its cost is paid once.
    """

    card: Card
    model: str = "extractive"
    prompt_version: str = "extractive-1"
    prompt_tokens: int = 0
    completion_tokens: int = 0
    claims_checked: int = 0
    claims_dropped: int = 0
    calls: int = 0
    cacheable: bool = True
    from_cache: bool = False  # read from the card cache: made by an earlier run


class Summarizer(Protocol):
    """Anything that turns a picked paper into a card in one language."""

    @property
    def cache_key(self) -> tuple[str, str]:
        """(model, prompt version): part of the summary cache key."""
        ...

    async def summarize(self, paper: Paper, language: Language) -> SummaryResult: ...


@dataclass(slots=True)
class LLMSpend:
    """What LLM requests cost: how many were sent and the tokens the server counted."""

    calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0

    def add(self, calls: int, prompt_tokens: int, completion_tokens: int) -> None:
        self.calls += calls
        self.prompt_tokens += prompt_tokens
        self.completion_tokens += completion_tokens

    def as_dict(self, prefix: str) -> dict[str, int]:
        return {
            f"{prefix}_calls": self.calls,
            f"{prefix}_prompt_tokens": self.prompt_tokens,
            f"{prefix}_completion_tokens": self.completion_tokens,
        }

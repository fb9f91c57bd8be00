"""What a summarizer is to the pipeline: a paper and a language in, a card and its cost out."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from paperwire.bot.models import Card, Language, Paper


@dataclass(slots=True)
class SummaryResult:
    """A card plus what making it cost and what the grounding check removed."""

    card: Card
    model: str = "extractive"
    prompt_version: str = "extractive-1"
    prompt_tokens: int = 0
    completion_tokens: int = 0
    claims_checked: int = 0
    claims_dropped: int = 0


class Summarizer(Protocol):
    """Anything that turns a picked paper into a card in one language."""

    @property
    def cache_key(self) -> tuple[str, str]:
        """(model, prompt version): part of the summary cache key."""
        ...

    async def summarize(self, paper: Paper, language: Language) -> SummaryResult: ...

"""The domain model every stage passes along: papers, curation results, cards, digests.

Plain dataclasses inside; the card is a pydantic model because an LLM fills it and its
output is validated at that edge. Nothing here knows about tables, chats or HTTP.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, Field

Language = Literal["en", "zh"]
LANGUAGES: tuple[Language, ...] = ("en", "zh")

# New-style ids (YYMM.NNNNN, 4 or 5 digits) and old-style ids (archive[.subject]/YYMMNNN).
_NEW_ID = re.compile(r"^(\d{4}\.\d{4,5})(?:v(\d+))?$")
_OLD_ID = re.compile(r"^([a-z\-]+(?:\.[A-Z]{2})?/\d{7})(?:v(\d+))?$")


def split_arxiv_id(raw: str) -> tuple[str, int | None] | None:
    """Return (id without version, version) for a bare arXiv id, or None if it is not one."""
    raw = raw.strip()
    for pattern in (_NEW_ID, _OLD_ID):
        match = pattern.match(raw)
        if match:
            version = int(match.group(2)) if match.group(2) else None
            return match.group(1), version
    return None


@dataclass(slots=True)
class Paper:
    """One paper as the sources see it; `arxiv_id` never carries a version suffix."""

    arxiv_id: str
    title: str
    abstract: str = ""
    authors: list[str] = field(default_factory=list)
    published_at: datetime | None = None
    list_day: date | None = None
    upvotes: int = 0
    ai_summary: str | None = None
    ai_keywords: list[str] = field(default_factory=list)
    github_repo: str | None = None
    project_page: str | None = None
    github_stars: int | None = None
    organization: str | None = None
    thumbnail_url: str | None = None  # the list's picture of the paper (https only)
    version: int | None = None
    topics: list[str] = field(default_factory=list)

    @property
    def abs_url(self) -> str:
        return f"https://arxiv.org/abs/{self.arxiv_id}"

    @property
    def pdf_url(self) -> str:
        return f"https://arxiv.org/pdf/{self.arxiv_id}"

    @property
    def hf_url(self) -> str:
        return f"https://huggingface.co/papers/{self.arxiv_id}"

    @property
    def source_text(self) -> str:
        """Everything a summary may draw on: the abstract and the HF summary."""
        return "\n".join(part for part in (self.title, self.abstract, self.ai_summary or "") if part)


@dataclass(slots=True)
class DayPapers:
    """The Daily Papers list of one day, plus what had to be skipped to read it."""

    list_day: date
    papers: list[Paper]
    skipped: list[str] = field(default_factory=list)


LocalizedText = dict[str, str]
"""Text in each language, keyed by language code (`en`, `zh`)."""


@dataclass(slots=True)
class Pick:
    """A paper the curation kept, with why it ranks where it does."""

    paper: Paper
    topic: str
    score: float
    stars: int  # 3 = must read, 2 = optional
    rank: int


ExclusionKind = Literal["family", "paper_type", "below_cut", "topic_cap", "picked_before", "no_topic", "taste", "judge"]


@dataclass(slots=True)
class Exclusion:
    """A paper of the day that was not picked, and the recorded, human-readable reason."""

    paper: Paper
    kind: ExclusionKind
    reason: LocalizedText
    score: float = 0.0
    topic: str | None = None
    family: str | None = None


@dataclass(slots=True)
class Curation:
    """The decisions for one list day, shared by every language and chat."""

    list_day: date
    picks: list[Pick]
    exclusions: list[Exclusion]
    # Papers that match topics but fell below the global cut, best first; chats that
    # follow some topics draw from these (design: "may reach beyond the global top N").
    candidates: list[Pick] = field(default_factory=list)


class Card(BaseModel):
    """The fields of one paper's card in the digest. Empty means "the text cannot support it"."""

    one_liner: str = Field(description="One sentence: what the paper contributes")
    core_innovation: str = Field(default="", description="One sentence on the core idea")
    innovation_points: list[str] = Field(default_factory=list, description="2-3 numbered points")
    results: list[str] = Field(default_factory=list, description="Result bullets")
    key_insight: str = Field(default="", description="One or two sentences")
    fits: str = Field(default="", description="Where it helps")
    limitations: str = Field(default="", description="Stated limitations")
    next_action: str = Field(default="", description="What a reader could do next")
    method: Literal["extractive", "llm"] = "extractive"


@dataclass(slots=True)
class DigestEntry:
    """A picked paper as published: the pick and its card in the digest's language."""

    pick: Pick
    card: Card

    @property
    def paper(self) -> Paper:
        return self.pick.paper


@dataclass(slots=True)
class TopicTrend:
    """One topic on a list day against the earlier days stored: picks with picks, listed with listed.

    `picked_days` and `listed_days` are how many earlier days the averages cover (the
    curated days and the stored lists within the window), so a sentence can name them.
    """

    topic: str
    picked: int
    listed: int
    picked_avg: float = 0.0
    listed_avg: float = 0.0
    picked_days: int = 0
    listed_days: int = 0


@dataclass(slots=True)
class Digest:
    """One digest: a curated list day rendered in one language (optionally for some topics)."""

    list_day: date
    published: date
    language: Language
    entries: list[DigestEntry]
    exclusions: list[Exclusion]
    trends: list[TopicTrend]
    topic_names: dict[str, str]
    generated_at: datetime
    source: str = "Hugging Face Daily Papers"
    only_topics: list[str] = field(default_factory=list)
    stats: dict[str, int] = field(default_factory=dict)

    @property
    def topics(self) -> list[str]:
        """Topic ids of the picks, in first-seen order."""
        seen: list[str] = []
        for entry in self.entries:
            if entry.pick.topic not in seen:
                seen.append(entry.pick.topic)
        return seen

"""On-demand paper lookup for `paper`: the store first, else Hugging Face then arXiv, once.

A paper fetched here is stored (classified into topics) and summarized through the same
card cache as digests, so the second person asking costs a database read and nothing else.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date

from typing import Any

from sqlalchemy import Select, and_, bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.models import Card, Language, Paper
from bot.pipeline import Pipeline
from bot.sources.arxiv import ArxivClient
from bot.sources.hf import HFClient
from bot.sources.lookup import SingleFlight, lookup_paper
from bot.store import digests as digest_store
from bot.store import papers as paper_store
from bot.store.database import Database
from bot.store.schema import papers, picks, summaries

log = logging.getLogger(__name__)


@dataclass(slots=True)
class Placement:
    """The most recent digest pick of a paper: its list day, topic and stars."""

    list_day: date
    topic: str
    stars: int
    score: float
    rank: int


@dataclass(slots=True)
class FoundPaper:
    """A paper, its cached card in the asked language if any, its latest pick, and whether
    this lookup had to fetch it from a remote source."""

    paper: Paper
    card: Card | None = None
    placement: Placement | None = None
    fetched: bool = False


class PaperLookup:
    """Finds, fetches, stores and summarizes single papers; concurrent askers share the work.

    Raises bot.sources.errors.PaperNotFound and SourceUnavailable (or SourceError) from
    the sources; the core turns them into replies.
    """

    def __init__(
        self,
        db: Database,
        pipeline: Pipeline,
        hf: HFClient | None,
        arxiv: ArxivClient | None,
        flight: SingleFlight | None = None,
    ) -> None:
        self.db = db
        self.pipeline = pipeline
        self.hf = hf
        self.arxiv = arxiv
        self.flight: SingleFlight = flight or SingleFlight()

    async def find(self, arxiv_id: str, language: Language) -> FoundPaper:
        """The stored paper (one read for paper, card and pick), else the one fetched and
        stored for everyone asking right now."""
        async with self.db.connect() as connection:
            found = await self._stored(connection, arxiv_id, language)
        if found is not None:
            return found
        return await self.flight.run(("paper", arxiv_id), lambda: self._fetch_and_store(arxiv_id))

    async def details(self, paper: Paper, language: Language) -> FoundPaper:
        """A stored paper with its cached card and latest pick."""
        async with self.db.connect() as connection:
            return await self._stored(connection, paper.arxiv_id, language) or FoundPaper(paper)

    async def _stored(self, connection: AsyncConnection, arxiv_id: str, language: Language) -> FoundPaper | None:
        model, prompt_version = self.pipeline.summarizer.cache_key
        return await stored_paper(connection, arxiv_id, language, model, prompt_version)

    async def _fetch_and_store(self, arxiv_id: str) -> FoundPaper:
        # Someone may have stored it between our read and the start of this flight.
        async with self.db.connect() as connection:
            paper = await paper_store.get_paper(connection, arxiv_id)
        if paper is not None:
            return FoundPaper(paper)
        paper = await lookup_paper(arxiv_id, self.hf, self.arxiv)
        await self.pipeline.store_paper(paper)
        log.info("looked up %s on demand and stored it", paper.arxiv_id)
        return FoundPaper(paper, fetched=True)

    async def card(self, paper: Paper, language: Language) -> Card:
        """The paper's card in `language`, made once however many ask at the same time, and cached."""
        return await self.flight.run(("card", paper.arxiv_id, language), lambda: self._summarize(paper, language))

    async def _summarize(self, paper: Paper, language: Language) -> Card:
        summarizer = self.pipeline.summarizer
        model, prompt_version = summarizer.cache_key
        result = await summarizer.summarize(paper, language)
        # As in the pipeline: an LLM card that fell back to extractive is not cached under the
        # LLM's key, so the next request tries the model again.
        if result.card.method == "llm" or model == "extractive":
            async with self.db.begin() as connection:
                await digest_store.store_card(
                    connection,
                    arxiv_id=paper.arxiv_id,
                    language=language,
                    model=model,
                    prompt_version=prompt_version,
                    card=result.card,
                    prompt_tokens=result.prompt_tokens,
                    completion_tokens=result.completion_tokens,
                )
        return result.card


async def stored_paper(
    connection: AsyncConnection, arxiv_id: str, language: str, model: str, prompt_version: str
) -> FoundPaper | None:
    """A stored paper with its cached card and its latest pick, in one query (a chat waits on it)."""
    # Belongs with bot/store/; kept here until the store offers it.
    values = {"arxiv_id": arxiv_id, "language": language, "model": model, "prompt_version": prompt_version}
    row = (await connection.execute(_STORED_PAPER, values)).first()
    if row is None:
        return None
    card = Card.model_validate(row.cached_card) if row.cached_card is not None else None
    placement = None
    if row.pick_day is not None:
        placement = Placement(row.pick_day, row.pick_topic, row.pick_stars, row.pick_score, row.pick_rank)
    return FoundPaper(paper_store.paper_from_row(row), card, placement)


def _stored_paper_query() -> Select[Any]:
    """The paper, its card for (language, model, prompt version) and its latest pick, by id."""
    card = (
        select(summaries.c.card)
        .where(
            summaries.c.arxiv_id == papers.c.arxiv_id,
            summaries.c.language == bindparam("language"),
            summaries.c.model == bindparam("model"),
            summaries.c.prompt_version == bindparam("prompt_version"),
        )
        .scalar_subquery()
        .label("cached_card")
    )
    latest_day = (
        select(func.max(picks.c.list_day))
        .where(picks.c.arxiv_id == papers.c.arxiv_id, picks.c.selected.is_(True))
        .scalar_subquery()
    )
    pick = picks.alias("latest_pick")
    on_latest = and_(pick.c.arxiv_id == papers.c.arxiv_id, pick.c.selected.is_(True), pick.c.list_day == latest_day)
    return (
        select(
            papers,
            card,
            pick.c.list_day.label("pick_day"),
            pick.c.topic.label("pick_topic"),
            pick.c.stars.label("pick_stars"),
            pick.c.score.label("pick_score"),
            pick.c.rank.label("pick_rank"),
        )
        .select_from(papers.outerjoin(pick, on_latest))
        .where(papers.c.arxiv_id == bindparam("arxiv_id"))
    )


# Built once: making the statement costs more than running it, and a chat waits on it.
_STORED_PAPER = _stored_paper_query()

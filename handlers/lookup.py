"""On-demand paper lookup for `paper`: the store first, else Hugging Face then arXiv, once.

A paper fetched here is stored (classified into topics) and summarized through the same
card cache as digests, so the second person asking costs a database read and nothing else.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass


from sqlalchemy.ext.asyncio import AsyncConnection

from paperwire.bot.models import Card, Language, Paper
from paperwire.bot.store.digests import Placement
from paperwire.bot.pipeline import Pipeline, store_result
from paperwire.bot.sources.arxiv import ArxivClient
from paperwire.bot.sources.hf import HFClient
from paperwire.bot.sources.lookup import SingleFlight, lookup_paper
from paperwire.bot.store import digests as digest_store
from paperwire.bot.store import papers as paper_store
from paperwire.bot.store.database import Database

log = logging.getLogger(__name__)


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
        stored = await digest_store.stored_paper(connection, arxiv_id, language, model, prompt_version)
        if stored is None:
            return None
        found = FoundPaper(*stored)
        if found.card is not None:
            found.card = await self.pipeline.refresh_card(found.card, found.paper, language)
        return found

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
        result = await summarizer.summarize(paper, language)
        self.pipeline.count_cards([result])
        # As in the pipeline: whatever the model answered is cached (a card the grounding
        # check rejected as its extractive fallback), so nobody asking later pays again;
        # only a failure with no answer (timeout, 429, 5xx) is asked again next time.
        if result.cacheable:
            async with self.db.begin(durable=False) as connection:  # a lost card is made again
                await store_result(connection, paper.arxiv_id, language, summarizer.cache_key, result)
        return result.card

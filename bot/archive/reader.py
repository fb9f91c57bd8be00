"""The archive's view of stored digests: read-only, so a GET never builds, curates or writes.

A day is in the archive when a global digest of it was built in some language; any
language can then be shown, with the cards stored for that language, or, where none was
stored, the extractive card made in memory (it is a pure function of the paper's text).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date

from paperwire.bot.models import Card, Digest, DigestEntry, Language, Paper, TopicTrend
from paperwire.bot.store import archive as archive_store
from paperwire.bot.store import curation as curation_store
from paperwire.bot.store.archive import ArchivedDay, PickTitle
from paperwire.bot.store.database import Database
from paperwire.formatters.feeds import FeedPaper

TrendsOf = Callable[[date], Awaitable[list[TopicTrend]]]
CardOf = Callable[[Paper], Card]


@dataclass(slots=True)
class IndexEntry:
    day: ArchivedDay
    picks: list[PickTitle]


class ArchiveReader:
    """Loads what the archive pages and the feeds show, without writing anything."""

    def __init__(
        self,
        db: Database,
        *,
        topic_names: Callable[[str], dict[str, str]],
        trends: TrendsOf,
        card_key: tuple[str, str],
        fallback_card: CardOf,
        source_name: str,
    ) -> None:
        self.db = db
        self.topic_names = topic_names
        self.trends = trends
        self.card_key = card_key
        self.fallback_card = fallback_card
        self.source_name = source_name

    async def index(self, limit: int | None = None) -> list[IndexEntry]:
        """Archived list days, newest first, with their picks' titles."""
        async with self.db.connect() as connection:
            days = await archive_store.archived_days(connection, limit=limit)
            titles = await archive_store.pick_titles(connection, [day.list_day for day in days])
        return [IndexEntry(day, titles.get(day.list_day, [])) for day in days]

    async def digest(self, list_day: date, language: Language) -> Digest | None:
        """The stored digest of a list day in a language, or None when the day has none."""
        async with self.db.connect() as connection:
            day = await archive_store.archived_day(connection, list_day)
            if day is None:
                return None
            curation = await curation_store.load_curation(connection, list_day)
            if curation is None:
                return None
            cards = await archive_store.stored_cards(
                connection, [pick.paper.arxiv_id for pick in curation.picks], language, self.card_key
            )
        entries = [
            DigestEntry(pick=pick, card=cards.get(pick.paper.arxiv_id) or self.fallback_card(pick.paper))
            for pick in curation.picks
        ]
        return Digest(
            list_day=list_day,
            published=day.published_on,
            language=language,
            entries=entries,
            exclusions=list(curation.exclusions),
            trends=await self.trends(list_day),
            topic_names=self.topic_names(language),
            generated_at=day.generated_at,
            source=self.source_name,
        )

    async def recent_digests(self, language: Language, limit: int) -> list[Digest]:
        """The newest `limit` archived digests in a language, newest first."""
        async with self.db.connect() as connection:
            days = await archive_store.archived_days(connection, limit=limit)
        found = [await self.digest(day.list_day, language) for day in days]
        return [digest for digest in found if digest is not None]

    async def papers(self, language: Language, *, topic: str | None = None, limit: int = 50) -> list[FeedPaper]:
        """The newest picked papers with their cards, each paper once."""
        async with self.db.connect() as connection:
            archived = await archive_store.archived_picks(connection, topic=topic, limit=limit)
            cards = await archive_store.stored_cards(
                connection, [item.pick.paper.arxiv_id for item in archived], language, self.card_key
            )
        return [
            FeedPaper(
                entry=DigestEntry(
                    pick=item.pick, card=cards.get(item.pick.paper.arxiv_id) or self.fallback_card(item.pick.paper)
                ),
                list_day=item.day.list_day,
                published_on=item.day.published_on,
                generated_at=item.day.generated_at,
            )
            for item in archived
        ]

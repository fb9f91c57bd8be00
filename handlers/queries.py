"""The read-only commands: digests, papers, search, topics, trends and the excluded list.

Each returns a view; a reply that ends a command early (a day that is not stored, a
topic that does not exist) is raised as `Answer` and returned by the core.
"""

from __future__ import annotations

import logging
from datetime import date


from paperwire.bot.curation.taxonomy import Taxonomy
from paperwire.bot.models import DigestEntry, Language, Paper, Pick
from paperwire.bot.similar.blend import blend_rankings
from paperwire.bot.pipeline import Pipeline, Rerank
from paperwire.bot.sources.errors import PaperNotFound, SourceError, SourceOffline
from paperwire.bot.store import curation as curation_store
from paperwire.bot.store import digests as digest_store
from paperwire.bot.store import papers as paper_store
from paperwire.bot.store import search as search_store
from paperwire.bot.store.database import Database
from paperwire.bot.views import (
    CardView,
    DigestView,
    ExcludedView,
    PaperListItem,
    PaperListView,
    TopicRow,
    TopicsView,
    TrendRow,
    TrendsView,
    View,
)
from paperwire.config.settings import CommandSettings
from paperwire.formatters.labels import label
from paperwire.formatters.text import short_name
from paperwire.handlers.lookup import FoundPaper, PaperLookup
from paperwire.handlers.messages import message, text_reply, usage_line
from paperwire.handlers.parse import DayRef, PaperCommand

log = logging.getLogger(__name__)

# `topics`, and `topic` and `trends` without a number: the last 7 stored list days.
WINDOW_LIST_DAYS = 7
RELATED_COUNT = 5


class Answer(Exception):
    """Stop a command early with this view."""

    def __init__(self, view: View) -> None:
        super().__init__()
        self.view = view


class Queries:
    """Answers the commands that only read (on-demand lookups store what they fetch)."""

    def __init__(
        self, db: Database, pipeline: Pipeline, taxonomy: Taxonomy, lookup: PaperLookup, settings: CommandSettings
    ) -> None:
        self.db = db
        self.pipeline = pipeline
        self.taxonomy = taxonomy
        self.lookup = lookup
        self.settings = settings

    # ---------------------------------------------------------------- days

    async def resolve_day(self, ref: DayRef, language: Language) -> date:
        """The list day meant: a stored day as typed, or the latest / previous digest's day."""
        async with self.db.connect() as connection:
            if ref.kind == "date":
                assert ref.day is not None
                stored = await paper_store.known_list_days(connection, with_papers=False)
                if ref.day in stored:
                    return ref.day
                missing = message(language, "no_list_stored", date=ref.day)
                raise Answer(text_reply(language, "not_found", missing, *self._stored_days_hint(stored, language)))
            published = sorted({record.list_day for record in await digest_store.published_digests(connection)})
            if not published:
                hint = self._stored_days_hint(await paper_store.known_list_days(connection), language)
                raise Answer(text_reply(language, "not_found", message(language, "no_digest_yet"), *hint))
            earlier = [day for day in await paper_store.known_list_days(connection) if day < published[-1]]
        if ref.kind == "today":
            return published[-1]
        # `yesterday`: the list day before the latest digest's, which may have no digest.
        if not earlier:
            raise Answer(text_reply(language, "not_found", message(language, "no_digest_before", date=published[-1])))
        if earlier[-1] not in published:
            raise Answer(text_reply(language, "not_found", message(language, "no_digest_for", date=earlier[-1])))
        return earlier[-1]

    @staticmethod
    def _stored_days_hint(stored: list[date], language: Language) -> list[str]:
        if not stored:
            return [message(language, "no_lists_stored")]
        return [message(language, "stored_days", first=stored[0], last=stored[-1])]

    async def _latest_list_day(self, language: Language) -> date:
        day = await self.pipeline.latest_list_day()
        if day is None:
            raise Answer(text_reply(language, "not_found", message(language, "no_lists_stored")))
        return day

    # ---------------------------------------------------------------- digests

    async def digest(self, ref: DayRef, topics: list[str], language: Language, rerank: Rerank | None = None) -> View:
        """The day's digest, built now if it never was (curation and cards are cached);
        `rerank` gives a chat with votes its own picks."""
        list_day = await self.resolve_day(ref, language)
        digest = await self.pipeline.build_for_chat(list_day, language, topics, rerank)
        if digest is None:
            return text_reply(language, "info", label(language, "no_papers_day", date=list_day))
        return DigestView(language, digest)

    async def excluded(self, ref: DayRef, language: Language, rerank: Rerank | None = None) -> View:
        list_day = await self.resolve_day(ref, language)
        # A read: the exclusions of a day that was curated; curating is the digest's work.
        async with self.db.connect() as connection:
            curation = await curation_store.load_curation(connection, list_day)
        if curation is None:
            return text_reply(language, "not_found", message(language, "not_curated", date=list_day))
        if rerank is None:
            return ExcludedView(language, list_day, curation.exclusions)
        # Where this chat's votes decided, it says so, above the day's own exclusions.
        chosen, ranked_down = rerank(curation)
        chosen_ids = {pick.paper.arxiv_id for pick in chosen}
        rest = [item for item in curation.exclusions if item.paper.arxiv_id not in chosen_ids]
        return ExcludedView(language, list_day, ranked_down + rest)

    # ---------------------------------------------------------------- papers

    async def paper(self, command: PaperCommand, language: Language) -> View:
        if command.arxiv_id is not None:
            try:
                found = await self.lookup.find(command.arxiv_id, language)
            except PaperNotFound:
                return text_reply(language, "not_found", message(language, "paper_not_found_id", id=command.arxiv_id))
            except SourceOffline as error:  # the reply says it; one debug line is enough
                log.debug("on-demand lookup of %s failed: %s", command.arxiv_id, error)
                return text_reply(language, "error", message(language, "source_offline", id=command.arxiv_id))
            except SourceError as error:
                log.warning("on-demand lookup of %s failed: %s", command.arxiv_id, error)
                return text_reply(language, "error", message(language, "source_unavailable", id=command.arxiv_id))
            return await self._card(found, language)
        if command.looks_like_link:
            return text_reply(language, "usage", message(language, "paper_bad_link"), usage_line(language, "paper"))
        async with self.db.connect() as connection:
            paper = await paper_store.find_by_title(connection, command.text)
            matched = None
            if paper is None:
                hits = await search_store.search_papers(connection, command.text, limit=5)
                best = next((hit for hit in hits if hit.title_match), None)
                paper = best.paper if best is not None else None
                matched = message(language, "card_matched", text=command.text)
        if paper is None:
            return text_reply(language, "not_found", message(language, "paper_not_found_title", text=command.text))
        return await self._card(await self.lookup.details(paper, language), language, matched)

    async def _card(self, found: FoundPaper, language: Language, matched: str | None = None) -> CardView:
        paper, placement = found.paper, found.placement
        card = found.card or await self.lookup.card(paper, language)
        if placement is not None:
            pick = Pick(paper, placement.topic, placement.score, placement.stars, placement.rank)
            note = message(language, "card_picked", date=placement.list_day)
        else:
            # stars 0: never picked, so the card shows its topic but no recommendation.
            pick = Pick(paper, paper.topics[0] if paper.topics else "", 0.0, 0, 0)
            if paper.list_day is not None:
                note = message(language, "card_listed", date=paper.list_day)
            else:
                note = message(language, "card_fetched")
        return CardView(
            language,
            DigestEntry(pick=pick, card=card),
            self.taxonomy.topic_names(language),
            list_day=placement.list_day if placement else paper.list_day,
            note=f"{matched} {note}" if matched else note,
        )

    async def search(self, words: str, language: Language) -> PaperListView:
        limit = self.settings.search_results
        async with self.db.connect() as connection:
            hits = await search_store.search_papers(connection, words, limit=limit * 2)
        similar = await self.pipeline.similar.query(words, limit * 2) if self.pipeline.similar else []
        order = blend_rankings([(hit.paper.arxiv_id, hit.title_match) for hit in hits], similar, limit)
        papers = {hit.paper.arxiv_id: hit.paper for hit in hits}
        missing = [arxiv_id for arxiv_id in order if arxiv_id not in papers]
        if missing:
            async with self.db.connect() as connection:
                papers.update(await paper_store.get_papers(connection, missing))
        items = self._list_items([papers[arxiv_id] for arxiv_id in order if arxiv_id in papers], language)
        empty = message(language, "search_empty", words=words)
        return PaperListView(language, message(language, "search_title", words=words), items, empty)

    async def related(self, arxiv_id: str, language: Language) -> View:
        """The five stored papers nearest in what they say; the paper is looked up if not stored."""
        index = self.pipeline.similar
        if index is None:
            return text_reply(language, "error", message(language, "related_empty", id=arxiv_id))
        nearest = await index.related(arxiv_id, RELATED_COUNT)
        async with self.db.connect() as connection:  # the paper and its neighbours in one read
            found_papers = await paper_store.get_papers(connection, [arxiv_id, *(key for key, _ in nearest or ())])
        paper = found_papers.get(arxiv_id)
        if nearest is None or paper is None:
            try:
                found = await self.lookup.find(arxiv_id, language)
            except PaperNotFound:
                return text_reply(language, "not_found", message(language, "paper_not_found_id", id=arxiv_id))
            except SourceOffline as error:  # the reply says it; one debug line is enough
                log.debug("on-demand lookup of %s failed: %s", arxiv_id, error)
                return text_reply(language, "error", message(language, "source_offline", id=arxiv_id))
            except SourceError as error:
                log.warning("on-demand lookup of %s failed: %s", arxiv_id, error)
                return text_reply(language, "error", message(language, "source_unavailable", id=arxiv_id))
            paper = found.paper
            nearest = await index.nearest_to_paper(paper, RELATED_COUNT)
            async with self.db.connect() as connection:
                found_papers = await paper_store.get_papers(connection, [key for key, _ in nearest])
        items = self._list_items([found_papers[key] for key, _ in nearest if key in found_papers], language)
        title = message(language, "related_title", title=short_name(paper.title) or arxiv_id)
        return PaperListView(language, title, items, message(language, "related_empty", id=arxiv_id))

    def _list_items(self, papers: list[Paper], language: Language) -> list[PaperListItem]:
        names = self.taxonomy.topic_names(language)
        items = []
        for paper in papers:
            topic = paper.topics[0] if paper.topics else None
            items.append(PaperListItem(paper, paper.list_day, topic, names.get(topic) if topic else None))
        return items

    # ---------------------------------------------------------------- topics and trends

    async def _window(self, days: int, language: Language) -> tuple[date, date, int]:
        """(first, last, count) of the last `days` stored list days: the one window `topics`,
        `topic` and `trends` count over, and state in their replies."""
        async with self.db.connect() as connection:
            window = (await paper_store.known_list_days(connection))[-days:]
        if not window:
            raise Answer(text_reply(language, "not_found", message(language, "no_lists_stored")))
        return window[0], window[-1], len(window)

    async def topics(self, language: Language) -> TopicsView:
        """Every topic with its papers over the last few list days."""
        names = self.taxonomy.topic_names(language)
        columns = tuple(message(language, "topics_columns").split("|"))
        async with self.db.connect() as connection:
            days = (await paper_store.known_list_days(connection))[-WINDOW_LIST_DAYS:]
            counts = await curation_store.topic_counts_by_day(connection, days[0], days[-1]) if days else {}
        rows = [
            TopicRow(topic, names[topic], sum(day.get(topic, 0) for day in counts.values()))
            for topic in self.taxonomy.topic_ids
        ]
        if days:
            title = message(language, "topics_title", count=len(days), start=days[0], end=days[-1])
            note = message(language, "topics_note")
        else:
            title, note = message(language, "topics_title_empty"), message(language, "no_lists_stored")
        return TopicsView(language, title, columns, rows, note)  # type: ignore[arg-type]

    async def topic(self, name: str, days: int, language: Language) -> View:
        """The topic's picks in the window, newest first, then its other papers by upvotes."""
        topic = self.taxonomy.find_topic(name)
        if topic is None:
            topics = ", ".join(self.taxonomy.topic_ids)
            return text_reply(language, "usage", message(language, "unknown_topic", name=name, topics=topics))
        start, end, count = await self._window(days, language)
        limit = self.settings.search_results
        topic_name = self.taxonomy.topic_names(language)[topic.id]
        async with self.db.connect() as connection:
            recent = await curation_store.recent_picks(connection, topic=topic.id, since=start, limit=limit)
            listed = await paper_store.listed_in_topic(connection, topic.id, start, end, limit=3 * limit)
        items = [PaperListItem(pick.paper, day, topic.id, topic_name, pick.stars) for day, pick in recent if day <= end]
        seen = {item.paper.arxiv_id for item in items}
        for day, paper in listed:
            if len(items) >= 2 * limit:
                break
            if paper.arxiv_id not in seen:
                seen.add(paper.arxiv_id)
                items.append(PaperListItem(paper, day, topic.id, topic_name))
        values = {"name": topic_name, "count": count, "start": start, "end": end}
        title, empty = message(language, "topic_title", **values), message(language, "topic_empty", **values)
        return PaperListView(language, title, items, empty)

    async def trends(self, days: int, language: Language) -> TrendsView:
        """Papers per topic on each list day of the window ending at the latest list day."""
        start, end, count = await self._window(days, language)
        async with self.db.connect() as connection:
            counts = await curation_store.topic_counts_by_day(connection, start, end)
        list_days = sorted(counts)
        names = self.taxonomy.topic_names(language)
        rows = [
            TrendRow(topic, names[topic], [counts[day].get(topic, 0) for day in list_days])
            for topic in self.taxonomy.topic_ids
        ]
        title = message(language, "trends_title", start=start, end=end, count=count)
        columns = tuple(message(language, "trends_columns").split("|"))
        empty = message(language, "trends_empty")
        return TrendsView(language, title, columns, list_days, rows, empty)  # type: ignore[arg-type]

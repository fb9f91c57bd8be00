"""fetch -> store -> curate -> summarize -> digest: the stages wired into one idempotent build.

The pipeline knows no chat platform. Curation happens once per list day and is shared by
every language and chat; cards are cached per (paper, language, model, prompt version).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING

from paperwire.bot.curation.classify import topics_for
from paperwire.bot.curation.select import curate
from paperwire.bot.curation.taxonomy import Taxonomy
from paperwire.bot.models import Card, Curation, DayPapers, Digest, DigestEntry, Exclusion, Language, Paper, Pick, TopicTrend
from paperwire.bot.curation.taste import Taste, learn_taste, rerank_for_chat
from paperwire.bot.similar.index import SimilarityIndex
from paperwire.bot.store import curation as curation_store
from paperwire.bot.store import digests as digest_store
from paperwire.bot.store import papers as paper_store
from paperwire.bot.store.database import Database
from paperwire.bot.metrics import Metrics
from paperwire.bot.summarize.base import LLMSpend, SummaryResult, Summarizer
from paperwire.bot.summarize.budget import TokenBudget
from paperwire.bot.text.clean import clean_paper

if TYPE_CHECKING:
    from paperwire.bot.summarize.factory import Judge

# Trends look back this many calendar days and average over the days stored in them.
TREND_WINDOW_DAYS = 30
# How a chat's taste re-ranks a curated day: (its picks, the global picks it ranked down).
Rerank = Callable[[Curation], tuple[list[Pick], list[Exclusion]]]
log = logging.getLogger(__name__)


@dataclass(slots=True)
class IngestReport:
    list_day: date
    papers: int
    inserted: int
    updated: int
    skipped: list[str] = field(default_factory=list)


@dataclass(slots=True)
class PipelineOptions:
    max_papers: int = 6
    per_topic_cap: int = 3
    publish_offset_days: int = 1
    source_name: str = "Hugging Face Daily Papers"
    token_budget: int = 0  # per digest; 0 means no limit


class Pipeline:
    """Builds digests from what the store holds; every step can run twice without harm."""

    def __init__(
        self,
        db: Database,
        taxonomy: Taxonomy,
        summarizer: Summarizer,
        options: PipelineOptions | None = None,
        metrics: Metrics | None = None,
        judge: Judge | None = None,
        similar: SimilarityIndex | None = None,
    ) -> None:
        self.db = db
        self.taxonomy = taxonomy
        self.summarizer = summarizer
        self.options = options or PipelineOptions()
        self.metrics = metrics
        self.judge = judge
        self.similar = similar
        # A dry run's days, read but not stored (see ingest).
        self._unsaved_days: dict[date, list[Paper]] = {}

    @property
    def read_only(self) -> bool:
        """A dry run: the pipeline computes what it would store and stores nothing."""
        return bool(getattr(self.db, "read_only", False))

    def classify(self, papers: Sequence[Paper]) -> None:
        for paper in papers:
            paper.topics = topics_for(paper, self.taxonomy)

    async def ingest(self, day: DayPapers, source: str) -> IngestReport:
        """Store a day's papers (cleaned and classified) and the list itself.

        On a read-only database (a dry run) the day is kept in memory for this run instead."""
        for paper in day.papers:
            clean_paper(paper)
        self.classify(day.papers)
        if self.read_only:
            self._unsaved_days[day.list_day] = list(day.papers)
            return IngestReport(day.list_day, len(day.papers), 0, 0, list(day.skipped))
        async with self.db.begin() as connection:
            counts = await paper_store.upsert_papers(
                connection, day.papers, taxonomy_fingerprint=self.taxonomy.fingerprint
            )
            await paper_store.record_list_day(connection, day, source)
        if self.similar is not None:
            await self.similar.store(day.papers)
        if self.metrics is not None:
            self.metrics.papers_fetched.labels(source.split()[0][:40]).inc(len(day.papers))
        return IngestReport(day.list_day, len(day.papers), counts.inserted, counts.updated, list(day.skipped))

    async def store_paper(self, paper: Paper) -> None:
        """Store one paper looked up on demand (not tied to a list day), cleaned in place."""
        clean_paper(paper)
        self.classify([paper])
        async with self.db.begin() as connection:
            await paper_store.upsert_papers(connection, [paper], taxonomy_fingerprint=self.taxonomy.fingerprint)
        if self.similar is not None:
            await self.similar.store([paper])

    async def reclassify(self, batch: int = 2000) -> int:
        """Give papers classified under another taxonomy their topics again; returns how many."""
        total = 0
        while True:
            async with self.db.begin() as connection:
                stale = await paper_store.papers_needing_topics(connection, self.taxonomy.fingerprint, batch)
                if not stale:
                    return total
                assignments = {paper.arxiv_id: topics_for(paper, self.taxonomy) for paper in stale}
                await paper_store.set_topics(connection, assignments, self.taxonomy.fingerprint)
            total += len(stale)

    async def curate_day(self, list_day: date) -> Curation | None:
        """The day's curation, made now if it was never made; None when the day has no papers."""
        curation, _ = await self._curate(list_day)
        return curation

    async def _curate(self, list_day: date) -> tuple[Curation | None, LLMSpend]:
        """The day's curation and what the judge cost in this call (nothing when it was stored)."""
        spend = LLMSpend()
        async with self.db.connect() as connection:
            existing = await curation_store.load_curation(connection, list_day)
        if existing is not None:
            return existing, spend
        async with self.db.connect() as connection:
            day_papers = self._unsaved_days.get(list_day) or await paper_store.papers_for_day(connection, list_day)
            earlier = await curation_store.picked_before(connection, list_day)
        if not day_papers:
            return None, spend
        report = await self.judge(day_papers) if self.judge is not None else None
        result = curate(
            list_day,
            day_papers,
            self.taxonomy,
            max_papers=self.options.max_papers,
            per_topic_cap=self.options.per_topic_cap,
            picked_before=earlier,
        )
        if report is not None:
            spend = report.spend
            self._count_spend("judge", spend)
            if report.verdicts:
                # The judge decides what it judged; type and family rules still exclude.
                from paperwire.bot.summarize.judge import apply_verdicts  # needs the openai SDK: only with a judge

                result = apply_verdicts(
                    result, report.verdicts, max_papers=self.options.max_papers, per_topic_cap=self.options.per_topic_cap
                )
        if self.read_only:
            return result, spend
        async with self.db.begin() as connection:
            wrote = await curation_store.save_curation(
                connection,
                result,
                taxonomy_fingerprint=self.taxonomy.fingerprint,
                max_papers=self.options.max_papers,
                judge=report.record() if report is not None else None,
            )
        if wrote:
            log.info("curated %s: %d picks, %d excluded", list_day, len(result.picks), len(result.exclusions))
        async with self.db.connect() as connection:
            return await curation_store.load_curation(connection, list_day), spend

    async def build(self, list_day: date, language: Language, topics: Sequence[str] = ()) -> Digest | None:
        """The digest of a list day in one language, optionally limited to some topics.

        Built once: a second call finds the stored digest and the cached cards and
        writes nothing new. None when the day has no papers. `stats` holds the first
        build's figures, `run` what this call spent (nothing on a rebuild) and `stored`
        what the stored cards and the day's judge cost in total.
        """
        curation, judge_spend = await self._curate(list_day)
        if curation is None:
            return None
        only = tuple(sorted(set(topics)))
        chosen, excluded = self._select_for_topics(curation, only)
        results = await self._cards(chosen, language)
        entries = [DigestEntry(pick=pick, card=result.card) for pick, result in zip(chosen, results, strict=True)]
        async with self.db.connect() as connection:
            existing = await digest_store.find_digest(connection, list_day, language, only)
        # A stored digest is served as stored: its trends are the ones it was built with,
        # even when more days have been imported since (README: "Building a day is idempotent").
        trends = _trends_from_stats(existing.stats) if existing else None
        if trends is None:
            trends = await self.stored_trends(list_day)
        card_spend = _spend_of(results)
        stats = {
            "papers": len(curation.picks) + len(curation.exclusions),
            "picks": len(entries),
            "excluded": len(excluded),
            "llm_cards": sum(1 for r in results if r.card.method == "llm"),
            "extractive_cards": sum(1 for r in results if r.card.method != "llm"),
            "prompt_tokens": card_spend.prompt_tokens,
            "completion_tokens": card_spend.completion_tokens,
            "claims_checked": sum(r.claims_checked for r in results),
            "claims_dropped": sum(r.claims_dropped for r in results),
            "trends": [
                [t.topic, t.picked, t.listed, t.picked_avg, t.listed_avg, t.picked_days, t.listed_days] for t in trends
            ],
            **card_spend.as_dict("card"),
            **judge_spend.as_dict("judge"),
        }
        run = {
            **card_spend.as_dict("card"),
            **judge_spend.as_dict("judge"),
            "cards_made": sum(1 for r in results if not r.from_cache),
            "cards_cached": sum(1 for r in results if r.from_cache),
        }
        published = list_day + timedelta(days=self.options.publish_offset_days)
        if self.read_only:
            record = existing
        else:
            async with self.db.begin() as connection:
                record = await digest_store.find_digest(connection, list_day, language, only)
                if record is None:
                    record = await digest_store.create_digest(
                        connection, list_day=list_day, language=language, topics=only, published_on=published, stats=stats
                    )
                    self._count_build(language)
        stored = await self._stored_spend(list_day, language, [pick.paper.arxiv_id for pick in chosen])
        return Digest(
            list_day=list_day,
            published=record.published_on if record else published,
            language=language,
            entries=entries,
            exclusions=excluded,
            trends=trends,
            topic_names=self.taxonomy.topic_names(language),
            generated_at=record.generated_at if record else datetime.now(UTC),
            source=self.options.source_name,
            only_topics=list(only),
            # digest_id 0: a dry run's digest, never stored.
            stats={**(record.stats if record else stats), "digest_id": record.id if record else 0, "run": run, "stored": stored},
        )

    async def _stored_spend(self, list_day: date, language: Language, arxiv_ids: list[str]) -> dict[str, int]:
        """What the stored cards of these papers and the day's judge cost, all builds together."""
        model, prompt_version = self.summarizer.cache_key
        async with self.db.connect() as connection:
            calls, prompt, completion = await digest_store.card_spend(
                connection, arxiv_ids, language, model, prompt_version
            )
            judge = await curation_store.judge_record(connection, list_day) or {}
        return {
            **LLMSpend(calls, prompt, completion).as_dict("card"),
            **LLMSpend(
                int(judge.get("judge_calls", 0)),
                int(judge.get("judge_prompt_tokens", 0)),
                int(judge.get("judge_completion_tokens", 0)),
            ).as_dict("judge"),
        }

    def learn_taste(self, voted: Sequence[tuple[Paper, int]]) -> Taste | None:
        """A taste from (paper, net vote) pairs; None without votes or without a text model."""
        if self.similar is None or not voted:
            return None
        taste = learn_taste(list(voted), self.similar.model, self.taxonomy.topic_ids)
        return taste if taste.votes else None

    def reranker(self, taste: Taste | None, only_topics: Sequence[str] = ()) -> Rerank | None:
        """How a taste re-ranks a curated day (None: the global picks stand)."""
        if taste is None or self.similar is None:
            return None
        model, topic_ids, options, only = self.similar.model, self.taxonomy.topic_ids, self.options, tuple(only_topics)

        def rerank(curation: Curation) -> tuple[list[Pick], list[Exclusion]]:
            return rerank_for_chat(
                curation, taste, model, topic_ids,
                max_papers=options.max_papers, per_topic_cap=options.per_topic_cap, only_topics=only,
            )

        return rerank

    async def build_for_chat(
        self,
        list_day: date,
        language: Language,
        topics: Sequence[str],
        rerank: Rerank | None,
    ) -> Digest | None:
        """The digest as one chat sees it: the shared one, its picks re-ranked by `rerank`
        (a chat's taste). Nothing new is stored but the cards of papers the chat lifted."""
        digest = await self.build(list_day, language, topics)
        if digest is None or rerank is None:
            return digest
        curation = await self.curate_day(list_day)
        assert curation is not None
        chosen, ranked_down = rerank(curation)
        if [pick.paper.arxiv_id for pick in chosen] == [entry.paper.arxiv_id for entry in digest.entries]:
            return digest
        results = await self._cards(chosen, language)
        chosen_ids = {pick.paper.arxiv_id for pick in chosen}
        exclusions = ranked_down + [item for item in digest.exclusions if item.paper.arxiv_id not in chosen_ids]
        entries = [DigestEntry(pick=pick, card=result.card) for pick, result in zip(chosen, results, strict=True)]
        return replace(digest, entries=entries, exclusions=exclusions)

    def _count_build(self, language: str) -> None:
        if self.metrics is not None:
            self.metrics.digests_built.labels(language).inc()

    def _count_spend(self, purpose: str, spend: LLMSpend, checked: int = 0, dropped: int = 0) -> None:
        """Count LLM spending when it happens (a build, a `today`, a `paper`), once."""
        if self.metrics is None:
            return
        self.metrics.llm_calls.labels(purpose).inc(spend.calls)
        self.metrics.llm_tokens.labels(purpose, "prompt").inc(spend.prompt_tokens)
        self.metrics.llm_tokens.labels(purpose, "completion").inc(spend.completion_tokens)
        self.metrics.claims_checked.inc(checked)
        self.metrics.claims_dropped.inc(dropped)

    def count_cards(self, results: Sequence[SummaryResult]) -> None:
        """Count what freshly made cards cost (a lookup's card included)."""
        self._count_spend(
            "card",
            _spend_of(results),
            sum(r.claims_checked for r in results),
            sum(r.claims_dropped for r in results),
        )

    def _select_for_topics(self, curation: Curation, only: tuple[str, ...]) -> tuple[list[Pick], list[Exclusion]]:
        if not only:
            return list(curation.picks), list(curation.exclusions)
        wanted = set(only)
        # The same quality bar as the main digest: a chat's topics may reach past the global
        # top N (papers left out by the per-topic cap), never below the curation's cut.
        below_bar = {item.paper.arxiv_id for item in curation.exclusions if item.kind == "below_cut"}
        ranked = sorted(
            (
                pick
                for pick in [*curation.picks, *curation.candidates]
                if pick.topic in wanted and pick.paper.arxiv_id not in below_bar
            ),
            key=lambda pick: (-pick.score, pick.rank),
        )
        chosen = ranked[: self.options.max_papers]
        chosen_ids = {pick.paper.arxiv_id for pick in chosen}
        outside = {
            "en": "outside this chat's topics",
            "zh": "不在本频道订阅的方向内",
        }
        excluded = [
            Exclusion(paper=pick.paper, kind="no_topic", reason=dict(outside), score=pick.score, topic=pick.topic)
            for pick in curation.picks
            if pick.paper.arxiv_id not in chosen_ids
        ]
        excluded += [item for item in curation.exclusions if item.paper.arxiv_id not in chosen_ids]
        return chosen, excluded

    async def _cards(self, chosen: list[Pick], language: Language) -> list[SummaryResult]:
        model, prompt_version = self.summarizer.cache_key
        cached: dict[str, Card] = {}
        async with self.db.connect() as connection:
            for pick in chosen:
                card = await digest_store.cached_card(connection, pick.paper.arxiv_id, language, model, prompt_version)
                if card is not None:
                    cached[pick.paper.arxiv_id] = card
        missing = [pick for pick in chosen if pick.paper.arxiv_id not in cached]
        summarizer = self.summarizer
        with_budget = getattr(summarizer, "with_budget", None)
        if with_budget is not None:
            # One budget per digest; picks start best-first, so the best papers get the model.
            summarizer = with_budget(TokenBudget(self.options.token_budget or None))
        fresh = await asyncio.gather(*(summarizer.summarize(pick.paper, language) for pick in missing))
        if missing and not self.read_only:
            self.count_cards(fresh)
            async with self.db.begin() as connection:
                for pick, result in zip(missing, fresh, strict=True):
                    # A card the model answered is cached whatever became of it (grounding
                    # may have rejected it for the extractive one): its cost is paid once.
                    # Only a failure with no answer (timeout, 429, 5xx) is asked again.
                    if result.cacheable:
                        await store_result(connection, pick.paper.arxiv_id, language, (model, prompt_version), result)
        by_id = {pick.paper.arxiv_id: result for pick, result in zip(missing, fresh, strict=True)}
        return [
            by_id.get(pick.paper.arxiv_id) or SummaryResult(card=cached[pick.paper.arxiv_id], from_cache=True)
            for pick in chosen
        ]

    async def stored_trends(self, list_day: date) -> list[TopicTrend]:
        """The trends the day's first stored digest was built with, else computed now."""
        async with self.db.connect() as connection:
            for language in ("en", "zh"):
                record = await digest_store.find_digest(connection, list_day, language, ())
                stored = _trends_from_stats(record.stats) if record else None
                if stored is not None:
                    return stored
        return await self.trends(list_day)

    async def trends(self, list_day: date) -> list[TopicTrend]:
        """Each topic's picks and listed papers on the day, against the earlier days stored in
        the trailing TREND_WINDOW_DAYS: picks against picks, listed against listed."""
        start = list_day - timedelta(days=TREND_WINDOW_DAYS)
        async with self.db.connect() as connection:
            listed = await curation_store.topic_counts_by_day(connection, start, list_day)
            picked = await curation_store.pick_counts_by_day(connection, start, list_day)
        listed_before = [day for day in listed if day < list_day]
        picked_before = [day for day in picked if day < list_day]
        result = []
        for topic in self.taxonomy.topics:
            result.append(
                TopicTrend(
                    topic=topic.id,
                    picked=picked.get(list_day, {}).get(topic.id, 0),
                    listed=listed.get(list_day, {}).get(topic.id, 0),
                    picked_avg=_average(picked, picked_before, topic.id),
                    listed_avg=_average(listed, listed_before, topic.id),
                    picked_days=len(picked_before),
                    listed_days=len(listed_before),
                )
            )
        return result

    async def latest_list_day(self) -> date | None:
        async with self.db.connect() as connection:
            days = await paper_store.known_list_days(connection)
        return days[-1] if days else None


def _trends_from_stats(stats: dict) -> list[TopicTrend] | None:
    rows = stats.get("trends") if isinstance(stats, dict) else None
    if not isinstance(rows, list):
        return None
    try:
        return [
            TopicTrend(str(topic), int(picked), int(listed), float(picked_avg), float(listed_avg), int(pd), int(ld))
            for topic, picked, listed, picked_avg, listed_avg, pd, ld in rows
        ]
    except (TypeError, ValueError):
        return None


async def store_result(
    connection, arxiv_id: str, language: Language, key: tuple[str, str], result: SummaryResult
) -> None:
    """Cache one summarizer result under the summarizer's (model, prompt version)."""
    model, prompt_version = key
    await digest_store.store_card(
        connection,
        arxiv_id=arxiv_id,
        language=language,
        model=model,
        prompt_version=prompt_version,
        card=result.card,
        prompt_tokens=result.prompt_tokens,
        completion_tokens=result.completion_tokens,
        calls=result.calls,
    )


def _average(counts: dict[date, dict[str, int]], days: list[date], topic: str) -> float:
    return sum(counts[day].get(topic, 0) for day in days) / len(days) if days else 0.0


def _spend_of(results: Sequence[SummaryResult]) -> LLMSpend:
    spend = LLMSpend()
    for result in results:
        spend.add(result.calls, result.prompt_tokens, result.completion_tokens)
    return spend


def default_list_day(now: datetime | None = None) -> date:
    """The latest weekday before today (UTC): the Daily Papers list most recently complete."""
    day = (now or datetime.now(UTC)).date() - timedelta(days=1)
    while day.weekday() >= 5:
        day -= timedelta(days=1)
    return day

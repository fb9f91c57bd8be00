"""The composition root: builds every part from the settings and closes them in reverse order."""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import aiohttp

from paperwire.bot.archive.pages import ArchivePages
from paperwire.bot.archive.reader import ArchiveReader
from paperwire.bot.curation.taxonomy import Taxonomy, load_taxonomy
from paperwire.bot.delivery.publish import Renderer
from paperwire.bot.delivery.ratelimit import SendBudgets
from paperwire.bot.delivery.worker import ChatHook, DeliveryWorker, Sender, fanout_concurrency
from paperwire.bot.metrics import Metrics
from paperwire.bot.models import Digest
from paperwire.bot.pipeline import Pipeline, PipelineOptions
from paperwire.bot.platforms.base import Platform
from paperwire.bot.platforms.slack import SlackPlatform
from paperwire.bot.platforms.telegram import TelegramPlatform
from paperwire.bot.similar.index import SimilarityIndex
from paperwire.bot.similar.lsa import shipped_model
from paperwire.bot.sources.arxiv import ArxivClient
from paperwire.bot.sources.hf import HFClient
from paperwire.bot.store.database import Database
from paperwire.bot.store import subscriptions
from paperwire.bot.summarize.base import Summarizer
from paperwire.bot.summarize.extractive import ExtractiveSummarizer, summarize_extractive
from paperwire.config.settings import ChatTarget, Settings
from paperwire.formatters.text import no_picks_notice

if TYPE_CHECKING:
    from paperwire.bot.summarize.factory import Judge

log = logging.getLogger(__name__)

# Every chat platform, registered here and nowhere else: a third one is one more entry.
PLATFORMS: tuple[Platform, ...] = (TelegramPlatform(), SlackPlatform())


@dataclass(slots=True)
class Services:
    """Everything a verb, a handler or the scheduler may need, built once."""

    settings: Settings
    db: Database
    http: aiohttp.ClientSession
    taxonomy: Taxonomy
    summarizer: Summarizer
    pipeline: Pipeline
    hf: HFClient
    arxiv: ArxivClient
    metrics: Metrics
    # One send budget per platform account, shared by fan-out and replies (and replicas on PostgreSQL).
    budgets: SendBudgets


def build_summarizer(
    settings: Settings, http: aiohttp.ClientSession, stack: AsyncExitStack, taxonomy: Taxonomy
) -> tuple[Summarizer, Judge | None]:
    """The LLM summarizer (and judge) when an LLM is configured, else the extractive one."""
    extractive = ExtractiveSummarizer()
    if not settings.llm_enabled:
        return extractive, None
    from paperwire.bot.summarize.factory import build_llm

    return build_llm(settings, http, extractive, stack, taxonomy)


@asynccontextmanager
async def open_services(
    settings: Settings, metrics: Metrics | None = None, *, read_only: bool = False
) -> AsyncIterator[Services]:
    """Open the database (migrating it), the HTTP session and the stages; close all on exit.

    `read_only` (a dry run) opens the database without migrating or writing (see Database)."""
    taxonomy = load_taxonomy(settings.digest.topics_file)
    metrics = metrics or Metrics()
    async with AsyncExitStack() as stack:
        db = Database(settings.database_url, echo=settings.database.echo, read_only=read_only)
        stack.push_async_callback(db.close)
        await db.start()
        timeout = aiohttp.ClientTimeout(total=settings.sources.timeout_seconds)
        http = await stack.enter_async_context(
            aiohttp.ClientSession(timeout=timeout, headers={"User-Agent": "paperwire/0.1"})
        )
        summarizer, judge = build_summarizer(settings, http, stack, taxonomy)
        similar = SimilarityIndex(db, shipped_model())
        pipeline = Pipeline(
            db,
            taxonomy,
            summarizer,
            PipelineOptions(
                max_papers=settings.digest.max_papers,
                per_topic_cap=settings.digest.per_topic_cap,
                publish_offset_days=settings.digest.publish_offset_days,
                token_budget=settings.llm.token_budget,
            ),
            metrics=metrics,
            judge=judge,
            similar=similar,
        )
        hf = HFClient(
            http,
            settings.sources.hf_base_url,
            timeout=settings.sources.timeout_seconds,
            max_retries=settings.sources.max_retries,
        )
        arxiv = ArxivClient(
            http,
            settings.sources.arxiv_base_url,
            min_interval=settings.sources.arxiv_interval_seconds,
            timeout=settings.sources.timeout_seconds,
            max_retries=settings.sources.max_retries,
        )
        # What is alive now (the imported libraries, the taxonomy, the stores: some 170k objects)
        # lives as long as the services. Frozen, the collector stops walking it: a full
        # collection took 130-190 ms with it, often enough while planning a large slot to hold
        # the event loop, and so the sends beside it, for 0.2 s at a time (bench/audience.py).
        gc.freeze()
        stack.callback(gc.unfreeze)
        yield Services(settings, db, http, taxonomy, summarizer, pipeline, hf, arxiv, metrics, SendBudgets(db))


def archive_pages(services: Services) -> ArchivePages:
    """The web archive and feeds over the stored digests (read-only)."""
    reader = ArchiveReader(
        services.db,
        topic_names=services.taxonomy.topic_names,
        trends=services.pipeline.stored_trends,
        card_key=services.summarizer.cache_key,
        fallback_card=summarize_extractive,
        source_name=services.pipeline.options.source_name,
    )
    return ArchivePages(reader, tuple(topic.id for topic in services.taxonomy.topics))


def platform_named(name: str) -> Platform:
    """The registered platform called `name` (a KeyError for one that is not registered)."""
    for platform in PLATFORMS:
        if platform.name == name:
            return platform
    raise KeyError(name)


def platform_names() -> list[str]:
    return [platform.name for platform in PLATFORMS]


def enabled_platforms(settings: Settings) -> list[str]:
    """Platforms with the credential to send (each platform says which one that is)."""
    return [platform.name for platform in PLATFORMS if platform.status(settings).sends]


def configured_chats(settings: Settings) -> dict[str, Sequence[ChatTarget]]:
    """The chats each platform's settings name (`telegram.chats`, `slack.channels`, ...)."""
    return {platform.name: platform.chats(settings) for platform in PLATFORMS}


def renderers(empty_day_notice: bool = False) -> dict[str, Renderer]:
    """Each platform's digest rendering into outbox payloads.

    A digest without picks is not sent as an empty overview: it becomes one short notice
    when `digest.empty_day_notice` is on, and nothing at all otherwise.
    """
    return {platform.name: _with_empty_day(platform, empty_day_notice) for platform in PLATFORMS}


def _with_empty_day(platform: Platform, empty_day_notice: bool) -> Renderer:
    def render(digest: Digest) -> list[dict]:
        if digest.entries:
            return platform.render_payloads(digest)
        return [platform.notice_payload(no_picks_notice(digest))] if empty_day_notice else []

    return render


def previewers() -> dict[str, Callable[[dict], str]]:
    """Each platform's text preview of one payload, for `publish --dry-run`."""
    return {platform.name: platform.preview_payload for platform in PLATFORMS}


def credential_errors() -> tuple[type[Exception], ...]:
    """The errors with which a platform refuses our credential when a sender opens."""
    return tuple(error for platform in PLATFORMS for error in platform.credential_errors)


@asynccontextmanager
async def open_senders(services: Services, platforms: list[str]) -> AsyncIterator[dict[str, Sender]]:
    """A sender per platform, with its client open for the duration."""
    async with AsyncExitStack() as stack:
        senders: dict[str, Sender] = {}
        for name in platforms:
            senders[name] = await stack.enter_async_context(platform_named(name).open_sender(services))
        yield senders


def chat_hooks(db: Database) -> tuple[ChatHook, ChatHook]:
    """What delivery does to subscriptions when a chat is gone or has moved."""

    async def gone(platform: str, chat_id: str, reason: str) -> None:
        async with db.begin() as connection:
            await subscriptions.deactivate(connection, platform, chat_id, reason)

    async def moved(platform: str, old_id: str, new_id: str) -> None:
        async with db.begin() as connection:
            await subscriptions.move_chat(connection, platform, old_id, new_id)

    return gone, moved


def delivery_worker(services: Services, sender: Sender, metrics: Metrics | None = None, **options: Any) -> DeliveryWorker:
    """A worker for one platform, with the in-flight policy and hooks the settings call for."""
    settings = services.settings
    in_flight = platform_named(sender.platform).in_flight(settings)
    gone, moved = chat_hooks(services.db)
    options.setdefault("concurrency", fanout_concurrency(sender.platform_rate))
    account = getattr(sender, "account", None)
    if account is not None:
        options.setdefault("budget", services.budgets.get(account, sender.platform_rate))
    return DeliveryWorker(
        services.db,
        sender,
        in_flight=in_flight,
        on_chat_gone=gone,
        on_chat_moved=moved,
        metrics=metrics or services.metrics,
        **options,
    )

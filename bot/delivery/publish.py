"""Who gets a digest, and planning it into the outbox: one digest per (language, topics), its
rendered messages stored once, one row per message per chat, chats planned in pages.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date

from paperwire.bot.curation.taste import Taste
from paperwire.bot.models import Digest, Language
from paperwire.bot.pipeline import Pipeline
from paperwire.bot.store import outbox
from paperwire.bot.store import subscriptions as subscription_store
from paperwire.bot.store import votes as vote_store
from paperwire.bot.store.database import Database
from paperwire.config.settings import ChatTarget

log = logging.getLogger(__name__)

# Chats planned per transaction: small enough that SQLite's write lock is held briefly and
# workers send the first pages while the rest are planned; the first page is smaller still.
PAGE_CHATS = 1000
# Rows planned by one publication before the outbox's statistics are refreshed (then at each doubling).
ANALYZE_FROM_ROWS = 10_000
FIRST_PAGE_CHATS = 100

Renderer = Callable[[Digest], list[dict]]
"""A platform's rendering of a digest into outbox payloads, one per message, in order."""


@dataclass(frozen=True, slots=True)
class Target:
    platform: str
    chat_id: str
    language: Language
    topics: tuple[str, ...] = ()


@dataclass(slots=True)
class PublishPlan:
    list_day: date
    digest_ids: list[int] = field(default_factory=list)
    targets: list[Target] = field(default_factory=list)
    rows_added: int = 0
    messages: dict[Target, list[dict]] = field(default_factory=dict)


def configured_list(configured: dict[str, Sequence[ChatTarget]]) -> list[subscription_store.ConfiguredChat]:
    return [
        subscription_store.ConfiguredChat(platform, chat.id, chat.language, list(chat.topics))
        for platform, chats in configured.items()
        for chat in chats
    ]


async def register_configured_chats(db: Database, configured: dict[str, Sequence[ChatTarget]]) -> None:
    """Make the subscriptions follow the chats named in the settings (origin "config"):
    added, changed and removed ones (a removed chat is switched off; its history stays).

    A chat deactivated after a permanent error stays off until the operator turns it on again.
    """
    async with db.begin() as connection:
        sync = await subscription_store.sync_configured_chats(connection, configured_list(configured))
    for verb, rows in (("added", sync.added), ("changed", sync.changed), ("removed", sync.removed)):
        if rows:
            log.info("configured chats %s: %s", verb, ", ".join(f"{r.platform}:{r.chat_id}" for r in rows))


async def collect_targets(
    db: Database,
    platforms: Sequence[str],
    default_language: Language,
    configured: dict[str, Sequence[ChatTarget]] | None = None,
) -> list[Target]:
    """Every active subscription on the given platforms, once per chat.

    With `configured`, the subscriptions are read as they will be once they follow the
    settings, without writing (a dry run)."""
    async with db.connect() as connection:
        rows = await subscription_store.list_subscriptions(connection)
    if configured is not None:
        _, rows = subscription_store.plan_chat_sync(rows, configured_list(configured))
    targets: list[Target] = []
    for platform in platforms:
        for subscription in sorted((r for r in rows if r.platform == platform and r.active), key=lambda r: r.chat_id):
            language = subscription.language if subscription.language in ("en", "zh") else default_language
            targets.append(
                Target(platform, subscription.chat_id, language, tuple(sorted(subscription.topics)))  # type: ignore[arg-type]
            )
    return targets


async def plan_publication(
    pipeline: Pipeline,
    db: Database,
    list_day: date,
    targets: Sequence[Target],
    renderers: dict[str, Renderer],
    *,
    write: bool = True,
    page_chats: int = PAGE_CHATS,
    first_page_chats: int = FIRST_PAGE_CHATS,
    on_page: Callable[[], None] | None = None,
) -> PublishPlan | None:
    """Build each needed digest once and plan its messages for every target.

    Each distinct (platform, language, topics) is rendered once and its payloads stored
    once, shared by every chat that gets it; a chat that voted gets its own. Chats are
    planned in pages, each page one transaction with its rows inserted in batches, and
    `on_page` is called after each, so sending starts while the rest are planned; a crash
    between pages leaves the planned pages whole and a rerun plans the rest.

    Returns None when the list day has no papers. With `write=False` nothing is planned
    (a dry run); the rendered messages are returned either way.
    """
    plan = PublishPlan(list_day=list_day)
    digests: dict[tuple[str, tuple[str, ...]], Digest] = {}
    rendered: dict[tuple[str, str, tuple[str, ...]], list[dict]] = {}
    stored: dict[tuple[str, str, tuple[str, ...]], list[int]] = {}
    tastes = await _tastes(pipeline, db, targets)
    analyzed_at = ANALYZE_FROM_ROWS // 2
    start, size = 0, max(first_page_chats, 1)
    while start < len(targets):
        page = targets[start : start + size]
        start, size = start + len(page), max(page_chats, 1)
        # (digest id, platform) -> [(chat id, render key or its own payloads)]
        rows: dict[tuple[int, str], list[tuple[str, tuple[str, str, tuple[str, ...]] | list[dict]]]] = {}
        for target in page:
            key = (target.language, target.topics)
            if key not in digests:
                digest = await pipeline.build(list_day, target.language, target.topics)
                if digest is None:
                    return None
                digests[key] = digest
            digest = digests[key]
            taste = tastes.get((target.platform, target.chat_id))
            source: tuple[str, str, tuple[str, ...]] | list[dict]
            if taste is not None:
                # A chat that voted gets its own picks, rendered for it alone.
                reranker = pipeline.reranker(taste, target.topics)
                own = await pipeline.build_for_chat(list_day, target.language, target.topics, reranker)
                payloads = source = renderers[target.platform](own or digest)
            else:
                source = (target.platform, target.language, target.topics)
                if source not in rendered:
                    rendered[source] = renderers[target.platform](digest)
                payloads = rendered[source]
            plan.messages[target] = payloads
            plan.targets.append(target)
            digest_id = int(digest.stats["digest_id"])
            if digest_id not in plan.digest_ids:
                plan.digest_ids.append(digest_id)
            if payloads:
                rows.setdefault((digest_id, target.platform), []).append((target.chat_id, source))
        if write and rows:
            async with db.begin() as connection:
                for (digest_id, platform), chats in rows.items():
                    planned: list[tuple[str, Sequence[int]]] = []
                    for chat_id, source in chats:
                        if isinstance(source, list):
                            planned.append((chat_id, await outbox.store_payloads(connection, source)))
                            continue
                        if source not in stored:
                            stored[source] = await outbox.store_payloads(connection, rendered[source])
                        planned.append((chat_id, stored[source]))
                    plan.rows_added += await outbox.plan_chats(
                        connection, digest_id=digest_id, platform=platform, chats=planned
                    )
            if plan.rows_added >= analyzed_at * 2:  # the outbox doubled: its statistics are stale
                await db.refresh_outbox_statistics()
                analyzed_at = plan.rows_added
            if on_page is not None:
                on_page()
    return plan


async def _tastes(pipeline: Pipeline, db: Database, targets: Sequence[Target]) -> dict[tuple[str, str], Taste]:
    """The taste of every target chat that has voted (one query when none has)."""
    tastes: dict[tuple[str, str], Taste] = {}
    async with db.connect() as connection:
        voters = await vote_store.chats_with_votes(connection)
        for target in targets:
            key = (target.platform, target.chat_id)
            if key in voters and key not in tastes:
                taste = pipeline.learn_taste(await vote_store.voted_papers(connection, *key))
                if taste is not None:
                    tastes[key] = taste
    return tastes

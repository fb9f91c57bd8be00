"""Planning a publication in pages, with shared payloads: every chat gets exactly its messages,
a crash between pages loses nothing, and the outbox's housekeeping keeps what is needed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, update

from paperwire.bot.curation.taxonomy import load_taxonomy
from paperwire.bot.delivery.publish import Target, plan_publication, register_configured_chats
from paperwire.bot.delivery.telegram import render_payloads
from paperwire.bot.pipeline import Pipeline
from paperwire.bot.sample import SAMPLE_DAY, SAMPLE_DIR
from paperwire.bot.sources.files import read_file
from paperwire.bot.store import outbox
from paperwire.bot.store import subscriptions as subscription_store
from paperwire.bot.store.database import Database
from paperwire.bot.store.schema import deliveries, delivery_payloads, digests
from paperwire.bot.summarize.extractive import ExtractiveSummarizer
from paperwire.config.settings import DEFAULT_TOPICS_FILE, ChatTarget
from tests.delivery.test_worker import ScriptedPlatform, run_until_idle, worker


class Crash(Exception):
    """The process dies between two pages."""


@pytest.fixture
async def pipeline(db: Database) -> Pipeline:
    pipeline = Pipeline(db, load_taxonomy(DEFAULT_TOPICS_FILE), ExtractiveSummarizer())
    await pipeline.ingest(read_file(SAMPLE_DIR / f"{SAMPLE_DAY}.json", SAMPLE_DAY), "sample")
    return pipeline


def audience(count: int) -> list[Target]:
    """Chats in both languages, some following one topic."""
    targets = []
    for number in range(count):
        language = "zh" if number % 3 == 0 else "en"
        topics = ("efficient-llm",) if number % 4 == 0 else ()
        targets.append(Target("test", f"chat{number:03d}", language, topics))  # type: ignore[arg-type]
    return targets


class TextsPlatform(ScriptedPlatform):
    """Records what each chat received, in order."""

    def __init__(self) -> None:
        super().__init__()
        self.texts: dict[str, list[str]] = {}

    async def send(self, delivery: outbox.Delivery):  # type: ignore[no-untyped-def]
        self.texts.setdefault(delivery.chat_id, []).append(delivery.payload["text"])
        return await super().send(delivery)


async def test_planning_in_pages_sends_every_chat_exactly_its_messages(db: Database, pipeline: Pipeline) -> None:
    targets = audience(23)
    pages = 0

    def on_page() -> None:
        nonlocal pages
        pages += 1

    plan = await plan_publication(
        pipeline, db, SAMPLE_DAY, targets, {"test": render_payloads}, page_chats=5, first_page_chats=2, on_page=on_page
    )
    assert plan is not None
    assert pages == 1 + 5  # 2 chats, then 5 + 5 + 5 + 5 + 1
    total = sum(len(payloads) for payloads in plan.messages.values())
    assert plan.rows_added == total
    async with db.connect() as connection:
        # One stored payload per message of each distinct (language, topics), not one per chat.
        distinct = {(target.language, target.topics) for target in targets}
        stored = (await connection.execute(select(func.count()).select_from(delivery_payloads))).scalar_one()
        assert stored == sum(len(plan.messages[next(t for t in targets if (t.language, t.topics) == key)])
                             for key in distinct)

    platform = TextsPlatform()
    await run_until_idle(worker(db, platform))
    assert set(platform.texts) == {target.chat_id for target in targets}
    for target in targets:
        assert platform.texts[target.chat_id] == [payload["text"] for payload in plan.messages[target]]


async def test_a_crash_between_pages_loses_nothing_and_a_rerun_doubles_nothing(
    db: Database, pipeline: Pipeline
) -> None:
    targets = audience(12)
    render = {"test": render_payloads}
    pages = 0

    def crash_after_the_second_page() -> None:
        nonlocal pages
        pages += 1
        if pages == 2:
            raise Crash

    with pytest.raises(Crash):
        await plan_publication(
            pipeline, db, SAMPLE_DAY, targets, render, page_chats=4, first_page_chats=2,
            on_page=crash_after_the_second_page,
        )
    async with db.connect() as connection:
        planned_chats = (
            await connection.execute(select(func.count(func.distinct(deliveries.c.chat_id))))
        ).scalar_one()
    assert planned_chats == 6  # the two pages that committed, whole

    # A sender was already at work on what was planned before the crash.
    platform = TextsPlatform()
    await run_until_idle(worker(db, platform))
    assert len(platform.texts) == 6

    plan = await plan_publication(pipeline, db, SAMPLE_DAY, targets, render, page_chats=4, first_page_chats=2)
    assert plan is not None
    assert plan.rows_added == sum(len(plan.messages[target]) for target in targets[6:])
    await run_until_idle(worker(db, platform))
    for target in targets:
        assert platform.texts[target.chat_id] == [payload["text"] for payload in plan.messages[target]]


async def test_a_message_given_up_lets_the_next_one_of_its_chat_go(db: Database, pipeline: Pipeline) -> None:
    from paperwire.bot.delivery.worker import Rejected

    plan = await plan_publication(pipeline, db, SAMPLE_DAY, audience(2), {"test": render_payloads})
    assert plan is not None
    platform = TextsPlatform()
    platform.script["chat001"] = [Rejected("too long")]
    await run_until_idle(worker(db, platform))
    counts = await _statuses(db, "chat001")
    assert counts == {"failed": 1, "sent": len(plan.messages[audience(2)[1]]) - 1}


async def _statuses(db: Database, chat_id: str) -> dict[str, int]:
    async with db.connect() as connection:
        rows = await connection.execute(
            select(deliveries.c.status, func.count()).where(deliveries.c.chat_id == chat_id).group_by(deliveries.c.status)
        )
        return {status: count for status, count in rows}


async def _dangling_links(db: Database) -> tuple[int, int]:
    """Rows pointing at a payload or a digest that does not exist."""
    async with db.connect() as connection:
        no_payload = await connection.scalar(
            select(func.count()).where(
                deliveries.c.payload_id.isnot(None),
                ~select(delivery_payloads.c.id).where(delivery_payloads.c.id == deliveries.c.payload_id).exists(),
            )
        )
        no_digest = await connection.scalar(
            select(func.count()).where(
                deliveries.c.digest_id.isnot(None),
                ~select(digests.c.id).where(digests.c.id == deliveries.c.digest_id).exists(),
            )
        )
    return int(no_payload or 0), int(no_digest or 0)


async def test_old_payloads_are_dropped_and_the_rows_kept(db: Database, pipeline: Pipeline) -> None:
    targets = audience(3)
    plan = await plan_publication(pipeline, db, SAMPLE_DAY, targets, {"test": render_payloads})
    assert plan is not None
    platform = TextsPlatform()
    await run_until_idle(worker(db, platform))
    # A later day's rows, still to send, keep their payloads whatever their age.
    later = await plan_publication(pipeline, db, SAMPLE_DAY, audience(4)[3:], {"test": render_payloads})
    assert later is not None
    async with db.begin() as connection:
        long_ago = datetime.now(UTC) - timedelta(days=40)
        await connection.execute(update(delivery_payloads).values(created_at=long_ago))
        await connection.execute(update(deliveries).values(created_at=long_ago))
        assert await outbox.drop_old_payloads(connection, datetime.now(UTC) - timedelta(days=30)) > 0
    async with db.connect() as connection:
        rows = (
            await connection.execute(
                select(deliveries.c.chat_id, deliveries.c.status, deliveries.c.remote_id, outbox.row_payload())
            )
        ).all()
    sent = [row for row in rows if row.chat_id != "chat003"]
    assert sent and all(row.status == "sent" and row.remote_id and row[3] is None for row in sent)
    # No foreign key guards the outbox's links (migration 0012): the store keeps them whole.
    assert await _dangling_links(db) == (0, 0)
    waiting = [row for row in rows if row.chat_id == "chat003"]
    assert waiting and all(row[3] is not None for row in waiting)
    await run_until_idle(worker(db, platform))
    assert platform.texts["chat003"] == [payload["text"] for payload in later.messages[audience(4)[3]]]


async def test_rows_for_a_missing_digest_or_payload_are_refused_and_nothing_is_planned(
    db: Database, pipeline: Pipeline
) -> None:
    plan = await plan_publication(pipeline, db, SAMPLE_DAY, audience(1), {"test": render_payloads})
    assert plan is not None
    digest_id = plan.digest_ids[0]
    async with db.connect() as connection:
        payload_id = (await connection.execute(select(func.max(delivery_payloads.c.id)))).scalar_one()
    before = await _row_count(db)
    for digest, payloads in ((digest_id + 1000, [payload_id]), (digest_id, [payload_id, payload_id + 1000])):
        with pytest.raises(outbox.MissingParent):
            async with db.begin() as connection:
                await outbox.plan_chats(
                    connection, digest_id=digest, platform="test", chats=[("chat900", payloads), ("chat901", payloads)]
                )
    assert await _row_count(db) == before
    assert await _dangling_links(db) == (0, 0)


async def _row_count(db: Database) -> int:
    async with db.connect() as connection:
        return int((await connection.execute(select(func.count()).select_from(deliveries))).scalar_one())


async def test_configured_chats_are_registered_in_bulk_and_existing_rows_kept(db: Database) -> None:
    async with db.begin() as connection:
        await subscription_store.upsert_subscription(connection, "telegram", "-5", origin="config")
        await subscription_store.deactivate(connection, "telegram", "-5", "blocked")
    chats = [ChatTarget(id=str(-number)) for number in range(1, 2501)]
    await register_configured_chats(db, {"telegram": chats, "slack": [ChatTarget(id="C1", language="zh")]})
    async with db.connect() as connection:
        active = await subscription_store.active_subscriptions(connection, "telegram")
        slack = await subscription_store.get_subscription(connection, "slack", "C1")
        gone = await subscription_store.get_subscription(connection, "telegram", "-5")
    assert len(active) == 2499
    assert slack is not None and slack.language == "zh" and slack.origin == "config"
    assert gone is not None and not gone.active


async def test_a_claim_takes_the_next_message_of_each_chat_only(db: Database, pipeline: Pipeline) -> None:
    plan = await plan_publication(pipeline, db, SAMPLE_DAY, audience(5), {"test": render_payloads})
    assert plan is not None
    async with db.begin() as connection:
        claimed = await outbox.claim_due(connection, platform="test", worker="w", limit=100)
    assert sorted((item.chat_id, item.message_index) for item in claimed) == [
        (f"chat{number:03d}", 0) for number in range(5)
    ]
    async with db.begin() as connection:
        await outbox.record_sent(connection, [outbox.SentMessage(item, "1") for item in claimed[:2]])
        again = await outbox.claim_due(connection, platform="test", worker="w", limit=100)
    assert sorted((item.chat_id, item.message_index) for item in again) == [("chat000", 1), ("chat001", 1)]


async def test_a_large_planning_refreshes_the_outbox_statistics(db: Database, pipeline: Pipeline) -> None:
    """PostgreSQL plans the claims and the recording of sends from the outbox's statistics: a
    planning that doubles the outbox refreshes them, autovacuum or not."""
    if db.dialect != "postgresql":
        pytest.skip("SQLite's planner does without statistics")
    targets = [Target("test", f"chat{number:05d}", "en", ()) for number in range(1600)]  # type: ignore[arg-type]
    plan = await plan_publication(pipeline, db, SAMPLE_DAY, targets, {"test": render_payloads}, page_chats=400)
    assert plan is not None and plan.rows_added >= 10_000
    async with db.connect() as connection:
        estimate = (
            await connection.exec_driver_sql("SELECT reltuples FROM pg_class WHERE oid = 'deliveries'::regclass")
        ).scalar_one()
    assert estimate >= 10_000 / 2, "the statistics still describe an empty outbox"

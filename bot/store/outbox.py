"""The outbox: planned messages, claimed by workers with a lease, recorded the moment they are sent.

A message of a chat becomes claimable only once every earlier message of the same digest
to that chat has been sent (or given up), so chats receive the overview first and the
cards in order, and a Slack card always finds its parent's `ts`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, delete, exists, func, select, true, update
from sqlalchemy.ext.asyncio import AsyncConnection

from paperwire.bot.store.papers import dialect_insert
from paperwire.bot.store.schema import deliveries, delivery_workers

PENDING, SENDING, SENT, FAILED, CANCELLED, ABANDONED, IN_DOUBT, PAUSED = (
    "pending",
    "sending",
    "sent",
    "failed",
    "cancelled",
    "abandoned",
    "in_doubt",  # sent, no answer came, not sent again (may or may not have arrived)
    "paused",  # the chat keeps timing out: held until `not_before`, then pending again
)
OPEN_STATUSES = (PENDING, SENDING)
# A message waits for every earlier message of its chat in these states (order is kept).
WAITING_STATUSES = (PENDING, SENDING, PAUSED)
# A worker whose heartbeat is older than this is gone: its claimed rows are taken over.
WORKER_TIMEOUT_SECONDS = 15.0


@dataclass(slots=True)
class Delivery:
    """One claimed outbox row."""

    id: int
    digest_id: int | None  # None for an empty-day notice
    platform: str
    chat_id: str
    message_index: int
    payload: dict[str, Any]
    attempts: int
    parent_remote_id: str | None = None
    in_doubt: bool = False  # an earlier send of it got no answer: it may already be there


def _now() -> datetime:
    return datetime.now(UTC)


async def plan_messages(
    connection: AsyncConnection,
    *,
    digest_id: int,
    platform: str,
    chat_id: str,
    payloads: list[dict[str, Any]],
    not_before: datetime | None = None,
) -> int:
    """Write one row per message; rows that already exist are left alone. Returns rows added."""
    if not payloads:
        return 0
    now = _now()
    insert = dialect_insert(connection, deliveries).on_conflict_do_nothing(
        index_elements=["digest_id", "platform", "chat_id", "message_index"]
    )
    before = await count_rows(connection, digest_id=digest_id, platform=platform, chat_id=chat_id)
    await connection.execute(
        insert,
        [
            {
                "digest_id": digest_id,
                "platform": platform,
                "chat_id": chat_id,
                "message_index": index,
                "payload": payload,
                "status": PENDING,
                "attempts": 0,
                "not_before": not_before or now,
                "created_at": now,
            }
            for index, payload in enumerate(payloads)
        ],
    )
    after = await count_rows(connection, digest_id=digest_id, platform=platform, chat_id=chat_id)
    return after - before


async def count_rows(connection: AsyncConnection, **where: Any) -> int:
    query = select(func.count()).select_from(deliveries)
    for column, value in where.items():
        query = query.where(deliveries.c[column] == value)
    return int((await connection.execute(query)).scalar_one())


async def claim_due(
    connection: AsyncConnection,
    *,
    platform: str,
    worker: str,
    limit: int,
    lease_seconds: float = 60.0,
    reclaim_expired: bool = True,
    digest_ids: list[int] | None = None,
    now: datetime | None = None,
) -> list[Delivery]:
    """Claim up to `limit` due rows, the next message of each chat only.

    A row claimed by a worker that is gone (its heartbeat stopped, or its lease ran out)
    died mid-send; with `reclaim_expired` it is taken over, marked in doubt (it may have
    gone out) and sent again once: the "resend" in-flight policy. A paused row is due again
    once its pause is over.
    """
    now = now or _now()
    earlier = deliveries.alias("earlier")
    due = (deliveries.c.status == PENDING) | (deliveries.c.status == PAUSED)
    if reclaim_expired:
        due = due | ((deliveries.c.status == SENDING) & (deliveries.c.claimed_by != worker) & orphaned(now))
    blocked_by_earlier = exists().where(
        and_(
            earlier.c.digest_id == deliveries.c.digest_id,
            earlier.c.platform == deliveries.c.platform,
            earlier.c.chat_id == deliveries.c.chat_id,
            earlier.c.message_index < deliveries.c.message_index,
            earlier.c.status.in_(WAITING_STATUSES),
        )
    )
    candidates = (
        select(deliveries.c.id)
        .where(deliveries.c.platform == platform, due, deliveries.c.not_before <= now, ~blocked_by_earlier)
        .order_by(deliveries.c.not_before, deliveries.c.id)
        .limit(limit)
    )
    if digest_ids is not None:
        candidates = candidates.where(deliveries.c.digest_id.in_(digest_ids))
    if connection.dialect.name == "postgresql":
        candidates = candidates.with_for_update(skip_locked=True, of=deliveries)
    statement = (
        update(deliveries)
        .where(deliveries.c.id.in_(candidates.scalar_subquery()))
        .values(
            status=SENDING,
            claimed_by=worker,
            lease_until=now + timedelta(seconds=lease_seconds),
            attempts=deliveries.c.attempts + 1,
            # Taken over from a worker that died mid-send: it may have gone out.
            in_doubt=case((deliveries.c.status == SENDING, true()), else_=deliveries.c.in_doubt),
        )
        .returning(
            deliveries.c.id,
            deliveries.c.digest_id,
            deliveries.c.platform,
            deliveries.c.chat_id,
            deliveries.c.message_index,
            deliveries.c.payload,
            deliveries.c.attempts,
            deliveries.c.in_doubt,
        )
    )
    rows = (await connection.execute(statement)).all()
    claimed = [
        Delivery(
            id=row.id,
            digest_id=row.digest_id,
            platform=row.platform,
            chat_id=row.chat_id,
            message_index=row.message_index,
            payload=dict(row.payload),
            attempts=row.attempts,
            in_doubt=bool(row.in_doubt),
        )
        for row in rows
    ]
    claimed.sort(key=lambda item: item.id)
    await _attach_parents(connection, claimed)
    return claimed


def orphaned(now: datetime):
    """A claimed row whose worker is gone: no fresh heartbeat from it, or its lease ran out."""
    alive = exists().where(
        delivery_workers.c.name == deliveries.c.claimed_by,
        delivery_workers.c.heartbeat_at >= now - timedelta(seconds=WORKER_TIMEOUT_SECONDS),
    )
    return (deliveries.c.lease_until < now) | ~alive


async def _attach_parents(connection: AsyncConnection, claimed: list[Delivery]) -> None:
    """Give each follow-up message the remote id of its chat's first message (Slack threads)."""
    followers = [item for item in claimed if item.message_index > 0]
    if not followers:
        return
    rows = await connection.execute(
        select(deliveries.c.digest_id, deliveries.c.platform, deliveries.c.chat_id, deliveries.c.remote_id).where(
            deliveries.c.message_index == 0,
            deliveries.c.digest_id.in_({item.digest_id for item in followers}),
            deliveries.c.chat_id.in_({item.chat_id for item in followers}),
        )
    )
    parents = {(row.digest_id, row.platform, row.chat_id): row.remote_id for row in rows}
    for item in followers:
        item.parent_remote_id = parents.get((item.digest_id, item.platform, item.chat_id))


async def mark_sent(
    connection: AsyncConnection, delivery_id: int, remote_id: str | None, *, next_gap: float = 0.0
) -> None:
    """Record a delivered message; with `next_gap`, its chat's next message waits that long.

    The gap is kept in the outbox, not only in the sender's memory, so a chat's next message
    sent by another replica still keeps the chat's pace.
    """
    now = _now()
    row = (
        await connection.execute(
            update(deliveries)
            .where(deliveries.c.id == delivery_id)
            .values(status=SENT, remote_id=remote_id, sent_at=now, lease_until=None, last_error=None)
            .returning(deliveries.c.digest_id, deliveries.c.platform, deliveries.c.chat_id, deliveries.c.message_index)
        )
    ).first()
    if row is None or next_gap <= 0:
        return
    ready = now + timedelta(seconds=next_gap)
    await connection.execute(
        update(deliveries)
        .where(
            deliveries.c.digest_id == row.digest_id,
            deliveries.c.platform == row.platform,
            deliveries.c.chat_id == row.chat_id,
            deliveries.c.message_index == row.message_index + 1,
            deliveries.c.status == PENDING,
            deliveries.c.not_before < ready,
        )
        .values(not_before=ready)
    )


async def release(
    connection: AsyncConnection, delivery_id: int, *, retry_at: datetime, error: str, in_doubt: bool | None = None
) -> None:
    """Give a claimed row back for another attempt at `retry_at` (`in_doubt`: it may have arrived)."""
    values: dict[str, Any] = {
        "status": PENDING, "not_before": retry_at, "claimed_by": None, "lease_until": None, "last_error": error[:1000]
    }
    if in_doubt:
        values["in_doubt"] = True
    await connection.execute(update(deliveries).where(deliveries.c.id == delivery_id).values(**values))


async def release_claims(connection: AsyncConnection, worker: str, platform: str) -> int:
    """At shutdown: rows this worker claimed on its platform and never sent go back to pending.

    Only rows whose request never left: the worker records every send it made first.
    """
    result = await connection.execute(
        update(deliveries)
        .where(deliveries.c.claimed_by == worker, deliveries.c.platform == platform, deliveries.c.status == SENDING)
        .values(status=PENDING, claimed_by=None, lease_until=None)
    )
    return result.rowcount or 0


async def mark_in_doubt(connection: AsyncConnection, delivery_id: int, *, retry_at: datetime | None, error: str) -> None:
    """No answer came to a send: try once more at `retry_at`, or (None) give it up as in doubt."""
    values: dict[str, Any] = {"in_doubt": True, "lease_until": None, "last_error": error[:1000]}
    if retry_at is None:
        values |= {"status": IN_DOUBT}
    else:
        values |= {"status": PENDING, "not_before": retry_at, "claimed_by": None}
    await connection.execute(update(deliveries).where(deliveries.c.id == delivery_id).values(**values))


async def pause_chat(connection: AsyncConnection, platform: str, chat_id: str, *, until: datetime, reason: str) -> int:
    """Hold every pending row of a chat until `until` (it keeps timing out)."""
    result = await connection.execute(
        update(deliveries)
        .where(deliveries.c.platform == platform, deliveries.c.chat_id == chat_id, deliveries.c.status == PENDING)
        .values(status=PAUSED, not_before=until, last_error=reason[:1000])
    )
    return result.rowcount or 0


async def resume_paused(connection: AsyncConnection, platform: str, digest_ids: list[int] | None = None) -> int:
    """An operator's rerun: paused rows are due again now."""
    statement = (
        update(deliveries)
        .where(deliveries.c.platform == platform, deliveries.c.status == PAUSED)
        .values(status=PENDING, not_before=_now())
    )
    if digest_ids is not None:
        statement = statement.where(deliveries.c.digest_id.in_(digest_ids))
    return (await connection.execute(statement)).rowcount or 0


async def heartbeat(connection: AsyncConnection, *, worker: str, platform: str, host: str, pid: int) -> None:
    """The worker is alive (rows it claimed are not to be taken over)."""
    now = _now()
    insert = dialect_insert(connection, delivery_workers)
    await connection.execute(
        insert.on_conflict_do_update(index_elements=["name"], set_={"heartbeat_at": now}),
        {"name": worker, "platform": platform, "host": host, "pid": pid, "heartbeat_at": now},
    )


async def forget_worker(connection: AsyncConnection, worker: str) -> None:
    await connection.execute(delete(delivery_workers).where(delivery_workers.c.name == worker))


async def workers_on_host(connection: AsyncConnection, host: str) -> list[tuple[str, int]]:
    rows = await connection.execute(
        select(delivery_workers.c.name, delivery_workers.c.pid).where(delivery_workers.c.host == host)
    )
    return [(row.name, int(row.pid)) for row in rows]


async def doubt_counts(connection: AsyncConnection, digest_ids: list[int] | None = None) -> dict[str, int]:
    """Rows whose send once got no answer, by status: `sent` were resent once, `in_doubt` were not."""
    query = (
        select(deliveries.c.status, func.count())
        .where(deliveries.c.in_doubt == true())
        .group_by(deliveries.c.status)
    )
    if digest_ids is not None:
        query = query.where(deliveries.c.digest_id.in_(digest_ids))
    return {status: int(count) for status, count in (await connection.execute(query)).all()}


async def fail(connection: AsyncConnection, delivery_id: int, error: str) -> None:
    """Stop trying one message (the platform refused it for good)."""
    await connection.execute(
        update(deliveries)
        .where(deliveries.c.id == delivery_id)
        .values(status=FAILED, lease_until=None, last_error=error[:1000])
    )


async def cancel_chat(connection: AsyncConnection, platform: str, chat_id: str, reason: str) -> int:
    """Cancel every open row of a chat that can no longer be reached."""
    result = await connection.execute(
        update(deliveries)
        .where(
            deliveries.c.platform == platform,
            deliveries.c.chat_id == chat_id,
            deliveries.c.status.in_(OPEN_STATUSES),
        )
        .values(status=CANCELLED, lease_until=None, last_error=reason[:1000])
    )
    return result.rowcount or 0


async def move_chat(connection: AsyncConnection, platform: str, old_id: str, new_id: str) -> int:
    """Point a chat's open rows at its new id (a Telegram group that became a supergroup).

    A message the new id already has (planned there too, e.g. the old id is still in the
    settings) is cancelled on the old id instead of moved: the unique key allows one.
    """
    already = deliveries.alias("already")
    duplicate = exists().where(
        already.c.digest_id == deliveries.c.digest_id,
        already.c.platform == platform,
        already.c.chat_id == new_id,
        already.c.message_index == deliveries.c.message_index,
    )
    await connection.execute(
        update(deliveries)
        .where(
            deliveries.c.platform == platform,
            deliveries.c.chat_id == old_id,
            deliveries.c.status.in_(OPEN_STATUSES),
            duplicate,
        )
        .values(status=CANCELLED, lease_until=None, last_error=f"chat moved to {new_id}, which has this message")
    )
    result = await connection.execute(
        update(deliveries)
        .where(
            deliveries.c.platform == platform,
            deliveries.c.chat_id == old_id,
            deliveries.c.status.in_(OPEN_STATUSES),
        )
        .values(chat_id=new_id, status=PENDING, lease_until=None, claimed_by=None)
    )
    return result.rowcount or 0


async def abandon_expired(connection: AsyncConnection, platform: str, now: datetime | None = None) -> int:
    """The "skip" in-flight policy: a row whose sender died mid-send is not sent again."""
    result = await connection.execute(
        update(deliveries)
        .where(
            deliveries.c.platform == platform,
            deliveries.c.status == SENDING,
            orphaned(now or _now()),
        )
        .values(
            status=ABANDONED,
            in_doubt=True,
            last_error="in flight when its sender stopped; not resent (in_flight = skip)",
        )
    )
    return result.rowcount or 0


async def open_count(
    connection: AsyncConnection, *, platform: str | None = None, digest_ids: list[int] | None = None
) -> int:
    """Rows not yet sent nor given up: the queue depth."""
    query = select(func.count()).select_from(deliveries).where(deliveries.c.status.in_(OPEN_STATUSES))
    if platform is not None:
        query = query.where(deliveries.c.platform == platform)
    if digest_ids is not None:
        query = query.where(deliveries.c.digest_id.in_(digest_ids))
    return int((await connection.execute(query)).scalar_one())


async def next_due_at(connection: AsyncConnection, platform: str) -> datetime | None:
    """When the earliest pending row of a platform becomes due."""
    value = (
        await connection.execute(
            select(func.min(deliveries.c.not_before)).where(
                deliveries.c.platform == platform, deliveries.c.status == PENDING
            )
        )
    ).scalar_one()
    if value is not None and value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value


async def status_counts(
    connection: AsyncConnection, digest_ids: list[int] | None = None, *, platform: str | None = None
) -> dict[str, int]:
    query = select(deliveries.c.status, func.count()).group_by(deliveries.c.status)
    if platform is not None:
        query = query.where(deliveries.c.platform == platform)
    if digest_ids is not None:
        query = query.where(deliveries.c.digest_id.in_(digest_ids))
    return {status: int(count) for status, count in (await connection.execute(query)).all()}


async def sent_remote_ids(connection: AsyncConnection, digest_id: int, platform: str, chat_id: str) -> list[str]:
    rows = await connection.execute(
        select(deliveries.c.remote_id)
        .where(
            deliveries.c.digest_id == digest_id,
            deliveries.c.platform == platform,
            deliveries.c.chat_id == chat_id,
            deliveries.c.status == SENT,
        )
        .order_by(deliveries.c.message_index)
    )
    return [row for row in rows.scalars()]


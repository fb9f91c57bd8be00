"""The outbox: planned messages, claimed by workers with a lease, recorded the moment they are sent.

A chat's first message of a digest is `pending`; each later one is `waiting` until the one
before it is sent (or given up), then becomes `pending`, due once the chat may take another
message. So chats receive the overview first and the cards in order, a Slack card always
finds its parent's `ts`, and a claim only reads the next due `pending` rows, in the order of
`ix_deliveries_claim`, however many rows are planned behind them.

A digest's rendered messages are stored once (`delivery_payloads`) and shared by every
chat planned with them.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import JSON, bindparam, case, delete, exists, func, insert, null, select, text, true, update
from sqlalchemy.ext.asyncio import AsyncConnection

from paperwire.bot.store.papers import dialect_insert
from paperwire.bot.store.schema import deliveries, delivery_payloads, delivery_workers, digests

PENDING, SENDING, SENT, FAILED, CANCELLED, ABANDONED, IN_DOUBT, PAUSED, WAITING = (
    "pending",
    "sending",
    "sent",
    "failed",
    "cancelled",
    "abandoned",
    "in_doubt",  # sent, no answer came, not sent again (may or may not have arrived)
    "paused",  # the chat keeps timing out: held until `not_before`, then pending again
    "waiting",  # behind an earlier message of its chat that is not sent yet
)
# Rows that will be sent without anyone's help: the queue (paused rows wait for their time
# or an operator's rerun).
OPEN_STATUSES = (PENDING, SENDING, WAITING)
CLOSED_STATUSES = (SENT, FAILED, CANCELLED, ABANDONED, IN_DOUBT)
# A worker whose heartbeat is older than this is gone: its claimed rows are taken over.
WORKER_TIMEOUT_SECONDS = 15.0
# Rows a planning statement inserts at once, and payloads a housekeeping statement names.
PLAN_BATCH_ROWS = 5000


@dataclass(slots=True)
class Delivery:
    """One claimed outbox row."""

    id: int
    digest_id: int | None  # None for an empty-day notice
    platform: str
    chat_id: str
    message_index: int
    payload: dict[str, Any]  # shared between rows of one payload: read it, never change it
    attempts: int
    parent_remote_id: str | None = None
    payload_id: int | None = None  # the shared payload's id (senders may cache what they make of it)
    in_doubt: bool = False  # an earlier send of it got no answer: it may already be there


@dataclass(frozen=True, slots=True)
class SentMessage:
    """A send to record: the row, the platform's id for it, and when the chat may have the next one."""

    delivery: Delivery
    remote_id: str | None
    next_due: datetime | None = None


class MissingParent(LookupError):
    """Rows were to be planned for a digest or a payload that is not stored."""


def row_payload() -> Any:
    """A row's message as a column expression: its shared payload, or its own."""
    shared = select(delivery_payloads.c.payload).where(delivery_payloads.c.id == deliveries.c.payload_id)
    return func.coalesce(deliveries.c.payload, shared.scalar_subquery(), type_=JSON)


def _now() -> datetime:
    return datetime.now(UTC)


async def store_payloads(connection: AsyncConnection, payloads: Sequence[dict[str, Any]]) -> list[int]:
    """Store rendered messages once; their ids, in order, for any number of chats to share."""
    if not payloads:
        return []
    now = _now()
    statement = insert(delivery_payloads).returning(delivery_payloads.c.id, sort_by_parameter_order=True)
    rows = await connection.execute(statement, [{"payload": payload, "created_at": now} for payload in payloads])
    return [row.id for row in rows]


# One statement plans a page of chats that share their payloads: the database makes the
# (chat, message) rows from two JSON arrays, so Python handles one value per chat, not a row
# per message. (SQLite needs the `WHERE true` to tell ON CONFLICT from a join constraint.)
_PLAN_SQLITE = """
INSERT INTO deliveries (digest_id, platform, chat_id, message_index, payload_id, status, attempts, not_before, created_at)
SELECT :digest_id, :platform, chat.value, message.key, message.value,
       CASE WHEN message.key = 0 THEN 'pending' ELSE 'waiting' END, 0, :due, :now
FROM json_each(:chats) AS chat, json_each(:payload_ids) AS message
WHERE true
ON CONFLICT (digest_id, platform, chat_id, message_index) DO NOTHING
"""
_PLAN_POSTGRESQL = """
INSERT INTO deliveries (digest_id, platform, chat_id, message_index, payload_id, status, attempts, not_before, created_at)
SELECT :digest_id, :platform, chat.value, message.ordinality - 1, message.value::integer,
       CASE WHEN message.ordinality = 1 THEN 'pending' ELSE 'waiting' END, 0, :due, :now
FROM jsonb_array_elements_text(CAST(:chats AS jsonb)) AS chat(value),
     jsonb_array_elements_text(CAST(:payload_ids AS jsonb)) WITH ORDINALITY AS message(value, ordinality)
ON CONFLICT (digest_id, platform, chat_id, message_index) DO NOTHING
"""


async def plan_chats(
    connection: AsyncConnection,
    *,
    digest_id: int,
    platform: str,
    chats: Iterable[tuple[str, Sequence[int]]],
    not_before: datetime | None = None,
) -> int:
    """One row per (chat, stored payload id); rows that already exist are left alone.

    Chats with the same payloads are planned together, a few thousand rows per statement.
    Returns rows added. A chat's first message is due at `not_before` (default now), the
    rest wait for the message before them. Raises MissingParent, planning nothing, when the
    digest or a payload is not stored.
    """
    now = _now()
    groups: dict[tuple[int, ...], list[str]] = {}
    for chat_id, payload_ids in chats:
        if payload_ids:
            groups.setdefault(tuple(payload_ids), []).append(chat_id)
    if groups:
        await _hold_parents(connection, digest_id, {payload_id for ids in groups for payload_id in ids})
    sql = _PLAN_POSTGRESQL if connection.dialect.name == "postgresql" else _PLAN_SQLITE
    moment = deliveries.c.not_before.type
    statement = text(sql).bindparams(bindparam("due", type_=moment), bindparam("now", type_=moment))
    added = 0
    for payload_ids, chat_ids in groups.items():
        step = max(PLAN_BATCH_ROWS // len(payload_ids), 1)
        for start in range(0, len(chat_ids), step):
            result = await connection.execute(
                statement,
                {
                    "digest_id": digest_id,
                    "platform": platform,
                    "chats": json.dumps(chat_ids[start : start + step]),
                    "payload_ids": json.dumps(list(payload_ids)),
                    "due": not_before or now,
                    "now": now,
                },
            )
            added += result.rowcount or 0
    return added


async def _hold_parents(connection: AsyncConnection, digest_id: int, payload_ids: set[int]) -> None:
    """Check that the rows' digest and payloads exist and keep them from being deleted until
    the transaction ends: what the dropped foreign keys did for every row (migration 0012),
    once for all the rows of a call."""
    digest = select(digests.c.id).where(digests.c.id == digest_id).with_for_update(key_share=True)
    if (await connection.execute(digest)).first() is None:
        raise MissingParent(f"no digest {digest_id} to plan messages for")
    stored = select(delivery_payloads.c.id).where(delivery_payloads.c.id.in_(payload_ids))
    found = {row.id for row in await connection.execute(stored.with_for_update(key_share=True))}
    if missing := sorted(payload_ids - found):
        raise MissingParent(f"no stored payload {', '.join(map(str, missing))} to plan messages with")


async def plan_messages(
    connection: AsyncConnection,
    *,
    digest_id: int,
    platform: str,
    chat_id: str,
    payloads: list[dict[str, Any]],
    not_before: datetime | None = None,
) -> int:
    """Plan one chat's messages (their payloads stored for it alone). Returns rows added."""
    if not payloads:
        return 0
    payload_ids = await store_payloads(connection, payloads)
    return await plan_chats(
        connection, digest_id=digest_id, platform=platform, chats=[(chat_id, payload_ids)], not_before=not_before
    )


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
    payload_cache: dict[int, dict[str, Any]] | None = None,
) -> list[Delivery]:
    """Claim up to `limit` due rows (only ever the next message of a chat is pending).

    A row claimed by a worker that is gone (its heartbeat stopped, or its lease ran out)
    died mid-send; with `reclaim_expired` it is taken over, marked in doubt (it may have
    gone out) and sent again once: the "resend" in-flight policy. A paused row is due again
    once its pause is over. `payload_cache` (payload id -> payload) saves reading a shared
    payload again; it is filled with what was read.
    """
    now = now or _now()
    # Both read few index entries: only chats' heads are ever paused, and few rows are
    # `sending` (what workers hold).
    await connection.execute(
        _unpause(deliveries.c.platform == platform, deliveries.c.status == PAUSED, deliveries.c.not_before <= now)
    )
    if reclaim_expired:
        await connection.execute(
            update(deliveries)
            .where(
                deliveries.c.platform == platform,
                deliveries.c.status == SENDING,
                deliveries.c.claimed_by != worker,
                orphaned(now),
            )
            # Taken over from a worker that died mid-send: it may have gone out.
            .values(status=PENDING, claimed_by=None, lease_until=None, in_doubt=True)
        )
    candidates = (
        select(deliveries.c.id)
        .where(deliveries.c.platform == platform, deliveries.c.status == PENDING, deliveries.c.not_before <= now)
        .order_by(deliveries.c.not_before, deliveries.c.id)
        .limit(limit)
    )
    if digest_ids is not None:
        candidates = candidates.where(deliveries.c.digest_id.in_(digest_ids))
    if connection.dialect.name == "postgresql":
        candidates = candidates.with_for_update(skip_locked=True)
    statement = (
        update(deliveries)
        .where(deliveries.c.id.in_(candidates.scalar_subquery()))
        .values(
            status=SENDING,
            claimed_by=worker,
            lease_until=now + timedelta(seconds=lease_seconds),
            attempts=deliveries.c.attempts + 1,
        )
        .returning(
            deliveries.c.id,
            deliveries.c.digest_id,
            deliveries.c.platform,
            deliveries.c.chat_id,
            deliveries.c.message_index,
            deliveries.c.payload_id,
            deliveries.c.payload,
            deliveries.c.attempts,
            deliveries.c.in_doubt,
        )
    )
    rows = (await connection.execute(statement)).all()
    payloads = await _shared_payloads(
        connection, {row.payload_id for row in rows if row.payload_id is not None}, payload_cache
    )
    claimed = [
        Delivery(
            id=row.id,
            digest_id=row.digest_id,
            platform=row.platform,
            chat_id=row.chat_id,
            message_index=row.message_index,
            payload=payloads.get(row.payload_id, {}) if row.payload_id is not None else dict(row.payload or {}),
            attempts=row.attempts,
            payload_id=row.payload_id,
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


def _unpause(*where: Any) -> Any:
    """Paused rows matching `where` go on: each chat's first one is due now, the rest wait behind it."""
    earlier = deliveries.alias("earlier")
    first = ~exists().where(
        earlier.c.digest_id == deliveries.c.digest_id,
        earlier.c.platform == deliveries.c.platform,
        earlier.c.chat_id == deliveries.c.chat_id,
        earlier.c.message_index < deliveries.c.message_index,
        earlier.c.status.in_((*OPEN_STATUSES, PAUSED)),
    )
    return (
        update(deliveries)
        .where(*where)
        .values(status=case((deliveries.c.digest_id.is_(None) | first, PENDING), else_=WAITING), not_before=_now())
    )


async def _shared_payloads(
    connection: AsyncConnection, ids: set[int], cache: dict[int, dict[str, Any]] | None
) -> dict[int, dict[str, Any]]:
    found = {payload_id: cache[payload_id] for payload_id in ids if cache is not None and payload_id in cache}
    missing = ids - found.keys()
    if missing:
        rows = await connection.execute(
            select(delivery_payloads.c.id, delivery_payloads.c.payload).where(delivery_payloads.c.id.in_(missing))
        )
        for row in rows:
            found[row.id] = dict(row.payload)
        if cache is not None:
            cache.update({payload_id: found[payload_id] for payload_id in missing if payload_id in found})
    return found


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


_PROMOTE = (
    update(deliveries)
    .where(
        deliveries.c.digest_id == bindparam("b_digest"),
        deliveries.c.platform == bindparam("b_platform"),
        deliveries.c.chat_id == bindparam("b_chat"),
        deliveries.c.message_index == bindparam("b_index"),
        deliveries.c.status == WAITING,
    )
    .values(status=PENDING, not_before=bindparam("b_due"))
)
_MARK_SENT = (
    update(deliveries)
    .where(deliveries.c.id == bindparam("b_id"))
    .values(status=SENT, remote_id=bindparam("b_remote"), sent_at=bindparam("b_at"), lease_until=None, last_error=None)
)


async def _promote_next(connection: AsyncConnection, done: Iterable[tuple[Any, ...]], due: datetime | None = None) -> None:
    """The message after each (digest id, platform, chat id, message index, [due]) given up or sent is next."""
    now = due or _now()
    parameters = [
        {
            "b_digest": key[0],
            "b_platform": key[1],
            "b_chat": key[2],
            "b_index": key[3] + 1,
            "b_due": (key[4] if len(key) > 4 and key[4] is not None else now),
        }
        for key in done
        if key[0] is not None  # a notice is one message
    ]
    if parameters:
        await connection.execute(_PROMOTE, parameters)


async def record_sent(connection: AsyncConnection, sent: Sequence[SentMessage]) -> None:
    """Record many sends with one statement each for the rows and for the messages behind them."""
    if not sent:
        return
    now = _now()
    await connection.execute(
        _MARK_SENT, [{"b_id": item.delivery.id, "b_remote": item.remote_id, "b_at": now} for item in sent]
    )
    await _promote_next(
        connection,
        [
            (item.delivery.digest_id, item.delivery.platform, item.delivery.chat_id, item.delivery.message_index,
             item.next_due)
            for item in sent
        ],
    )


async def mark_sent(
    connection: AsyncConnection,
    delivery_id: int,
    remote_id: str | None,
    *,
    next_due: datetime | None = None,
    next_gap: float = 0.0,
) -> None:
    """Record one send; the chat's next message is due at `next_due`, or `next_gap` seconds from now.

    The gap is kept in the outbox, not only in the sender's memory, so a chat's next message
    sent by another replica still keeps the chat's pace.
    """
    if next_due is None and next_gap > 0:
        next_due = _now() + timedelta(seconds=next_gap)
    rows = await connection.execute(
        update(deliveries)
        .where(deliveries.c.id == delivery_id)
        .values(status=SENT, remote_id=remote_id, sent_at=_now(), lease_until=None, last_error=None)
        .returning(deliveries.c.digest_id, deliveries.c.platform, deliveries.c.chat_id, deliveries.c.message_index)
    )
    await _promote_next(connection, [(*row, next_due) for row in rows])


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
    rows = await connection.execute(
        update(deliveries)
        .where(deliveries.c.id == delivery_id)
        .values(**values)
        .returning(deliveries.c.digest_id, deliveries.c.platform, deliveries.c.chat_id, deliveries.c.message_index)
    )
    if retry_at is None:  # given up: the chat's next message is due
        await _promote_next(connection, rows.all())


async def pause_chat(connection: AsyncConnection, platform: str, chat_id: str, *, until: datetime, reason: str) -> int:
    """Hold every unsent row of a chat until `until` (it keeps timing out)."""
    result = await connection.execute(
        update(deliveries)
        .where(
            deliveries.c.platform == platform,
            deliveries.c.chat_id == chat_id,
            deliveries.c.status.in_((PENDING, WAITING)),
        )
        .values(status=PAUSED, not_before=until, last_error=reason[:1000])
    )
    return result.rowcount or 0


async def resume_paused(connection: AsyncConnection, platform: str, digest_ids: list[int] | None = None) -> set[str]:
    """An operator's rerun: paused rows are due again now (each chat's in order). Returns the chats."""
    where = [deliveries.c.platform == platform, deliveries.c.status == PAUSED]
    if digest_ids is not None:
        where.append(deliveries.c.digest_id.in_(digest_ids))
    chats = set((await connection.execute(select(deliveries.c.chat_id).where(*where).distinct())).scalars())
    if chats:
        await connection.execute(_unpause(*where))
    return chats


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
    """Stop trying one message (the platform refused it for good); the chat's next one is due."""
    rows = await connection.execute(
        update(deliveries)
        .where(deliveries.c.id == delivery_id)
        .values(status=FAILED, lease_until=None, last_error=error[:1000])
        .returning(deliveries.c.digest_id, deliveries.c.platform, deliveries.c.chat_id, deliveries.c.message_index)
    )
    await _promote_next(connection, rows.all())


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
        .values(
            chat_id=new_id,
            status=case((deliveries.c.status == WAITING, WAITING), else_=PENDING),
            lease_until=None,
            claimed_by=None,
        )
    )
    await _unblock_chat(connection, platform, new_id)
    return result.rowcount or 0


async def _unblock_chat(connection: AsyncConnection, platform: str, chat_id: str) -> None:
    """A waiting row of the chat with no open message before it is due (after rows moved)."""
    earlier = deliveries.alias("earlier")
    blocked = exists().where(
        earlier.c.digest_id == deliveries.c.digest_id,
        earlier.c.platform == deliveries.c.platform,
        earlier.c.chat_id == deliveries.c.chat_id,
        earlier.c.message_index < deliveries.c.message_index,
        earlier.c.status.in_((*OPEN_STATUSES, PAUSED)),
    )
    await connection.execute(
        update(deliveries)
        .where(
            deliveries.c.platform == platform,
            deliveries.c.chat_id == chat_id,
            deliveries.c.status == WAITING,
            ~blocked,
        )
        .values(status=PENDING, not_before=_now())
    )


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
        .returning(deliveries.c.digest_id, deliveries.c.platform, deliveries.c.chat_id, deliveries.c.message_index)
    )
    abandoned = result.all()
    await _promote_next(connection, abandoned)
    return len(abandoned)


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



async def drop_old_payloads(connection: AsyncConnection, older_than: datetime) -> int:
    """Forget the messages of closed rows planned before `older_than`; the rows stay.

    What a row says afterwards (who got which digest, when, its remote id, its status) is
    all that `today`, `excluded` and the delivery history read. Returns payloads dropped.
    """
    still_needed = exists().where(
        deliveries.c.payload_id == delivery_payloads.c.id, deliveries.c.status.notin_(CLOSED_STATUSES)
    )
    old = (
        await connection.execute(
            select(delivery_payloads.c.id).where(delivery_payloads.c.created_at < older_than, ~still_needed)
        )
    ).scalars().all()
    for start in range(0, len(old), PLAN_BATCH_ROWS):
        chunk = old[start : start + PLAN_BATCH_ROWS]
        await connection.execute(update(deliveries).where(deliveries.c.payload_id.in_(chunk)).values(payload_id=None))
        await connection.execute(delete(delivery_payloads).where(delivery_payloads.c.id.in_(chunk)))
    # A notice's payload is its own row's.
    own = await connection.execute(
        update(deliveries)
        .where(
            deliveries.c.notice_id.is_not(None),
            deliveries.c.payload.is_not(None),
            deliveries.c.status.in_(CLOSED_STATUSES),
            deliveries.c.created_at < older_than,
        )
        .values(payload=null())
    )
    return len(old) + (own.rowcount or 0)

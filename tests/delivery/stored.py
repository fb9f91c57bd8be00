"""Reading and nudging what `paperwire publish` stored, from a test that runs it in a thread."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select, update

from paperwire.bot.store import subscriptions
from paperwire.bot.store.database import Database
from paperwire.bot.store.schema import deliveries, delivery_payloads


async def outbox_rows(database_url: str) -> list[dict[str, Any]]:
    """Every outbox row, by chat and message index."""
    db = Database(database_url)
    try:
        async with db.connect() as connection:
            order = (deliveries.c.chat_id, deliveries.c.message_index)
            query = (
                select(deliveries, delivery_payloads.c.payload.label("shared_payload"))
                .outerjoin(delivery_payloads, delivery_payloads.c.id == deliveries.c.payload_id)
                .order_by(*order)
            )
            rows = []
            for row in await connection.execute(query):
                fields = dict(row._mapping)
                shared = fields.pop("shared_payload")
                fields["payload"] = fields["payload"] if fields["payload"] is not None else shared
                rows.append(fields)
            return rows
    finally:
        await db.close()


async def subscription_of(database_url: str, platform: str, chat_id: str) -> subscriptions.Subscription | None:
    db = Database(database_url)
    try:
        async with db.connect() as connection:
            return await subscriptions.get_subscription(connection, platform, chat_id)
    finally:
        await db.close()


async def expire_leases(database_url: str) -> None:
    """Time passes: the leases of a dead sender run out."""
    db = Database(database_url)
    try:
        async with db.begin() as connection:
            await connection.execute(
                update(deliveries)
                .where(deliveries.c.status == "sending")
                .values(lease_until=datetime.now(UTC) - timedelta(seconds=1))
            )
    finally:
        await db.close()


def texts_of(rows: list[dict[str, Any]], chat_id: str) -> list[str]:
    return [row["payload"]["text"] for row in rows if row["chat_id"] == chat_id]

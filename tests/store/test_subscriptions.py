"""Subscriptions per chat: upserts that change only what is given, switching off, chat migration."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from paperwire.bot.store.database import Database
from paperwire.bot.store.subscriptions import (
    active_subscriptions,
    deactivate,
    get_subscription,
    list_subscriptions,
    move_chat,
    set_active,
    upsert_subscription,
)


async def test_a_new_subscription_is_active_with_what_was_given(db: Database) -> None:
    async with db.begin() as connection:
        created = await upsert_subscription(
            connection,
            "telegram",
            "-1001",
            topics=["agentic-rl"],
            delivery_time="09:00",
            timezone="Asia/Shanghai",
            language="zh",
            chat_kind="channel",
        )

    assert created.active and created.origin == "chat" and created.id is not None
    assert (created.topics, created.delivery_time, created.timezone, created.language, created.chat_kind) == (
        ["agentic-rl"],
        "09:00",
        "Asia/Shanghai",
        "zh",
        "channel",
    )
    assert created.created_at is not None and created.created_at.tzinfo is not None


async def test_an_upsert_changes_only_the_fields_given(db: Database) -> None:
    async with db.begin() as connection:
        first = await upsert_subscription(
            connection, "slack", "C1", topics=["vla"], delivery_time="08:00", timezone="UTC", language="en"
        )
        later = datetime(2030, 1, 1, tzinfo=UTC)
        second = await upsert_subscription(connection, "slack", "C1", language="zh", now=later)

    assert second.id == first.id
    assert (second.topics, second.delivery_time, second.timezone, second.language) == (["vla"], "08:00", "UTC", "zh")
    assert second.created_at == first.created_at and second.updated_at == later


async def test_topics_can_be_cleared_to_mean_all(db: Database) -> None:
    async with db.begin() as connection:
        await upsert_subscription(connection, "slack", "C1", topics=["vla"])
        cleared = await upsert_subscription(connection, "slack", "C1", topics=[])

    assert cleared.topics == []


async def test_config_chats_keep_their_origin(db: Database) -> None:
    async with db.begin() as connection:
        await upsert_subscription(connection, "telegram", "@news", origin="config")
        touched = await upsert_subscription(connection, "telegram", "@news", language="en", origin="chat")

    assert touched.origin == "config"


@pytest.mark.parametrize(
    ("field", "value", "hint"),
    [
        ("delivery_time", "9:00", "HH:MM"),
        ("delivery_time", "24:00", "HH:MM"),
        ("timezone", "Mars/Olympus", "IANA"),
        ("timezone", "A/" + "b" * 80, "IANA"),
        ("language", "fr", "en, zh"),
    ],
)
async def test_malformed_values_are_refused_with_the_right_form(
    db: Database, field: str, value: str, hint: str
) -> None:
    async with db.begin() as connection:
        with pytest.raises(ValueError, match=hint):
            await upsert_subscription(connection, "telegram", "1", **{field: value})
        assert await get_subscription(connection, "telegram", "1") is None


async def test_switching_off_and_on(db: Database) -> None:
    async with db.begin() as connection:
        await upsert_subscription(connection, "telegram", "1")
        await upsert_subscription(connection, "telegram", "2")
        assert await deactivate(connection, "telegram", "1", "bot was blocked by the user")
        assert not await deactivate(connection, "telegram", "404", "no such chat")

    async with db.connect() as connection:
        off = await get_subscription(connection, "telegram", "1")
        assert off is not None and not off.active and off.deactivated_reason == "bot was blocked by the user"
        assert [sub.chat_id for sub in await active_subscriptions(connection)] == ["2"]
        assert [sub.chat_id for sub in await list_subscriptions(connection, active=False)] == ["1"]

    async with db.begin() as connection:
        assert await set_active(connection, "telegram", "1", True)
        on = await get_subscription(connection, "telegram", "1")
    assert on is not None and on.active and on.deactivated_reason is None


async def test_reactivating_by_upsert_clears_the_reason(db: Database) -> None:
    async with db.begin() as connection:
        await upsert_subscription(connection, "slack", "C1", active=False, deactivated_reason="settings only")
        again = await upsert_subscription(connection, "slack", "C1", active=True)

    assert again.active and again.deactivated_reason is None


async def test_active_subscriptions_by_platform(db: Database) -> None:
    async with db.begin() as connection:
        await upsert_subscription(connection, "telegram", "1")
        await upsert_subscription(connection, "slack", "C1")

    async with db.connect() as connection:
        assert [sub.platform for sub in await active_subscriptions(connection)] == ["slack", "telegram"]
        assert [sub.chat_id for sub in await active_subscriptions(connection, "slack")] == ["C1"]


async def test_a_migrated_group_moves_to_its_new_id(db: Database) -> None:
    async with db.begin() as connection:
        await upsert_subscription(connection, "telegram", "-42", topics=["vla"], language="zh")
        assert await move_chat(connection, "telegram", "-42", "-10042")

    async with db.connect() as connection:
        assert await get_subscription(connection, "telegram", "-42") is None
        moved = await get_subscription(connection, "telegram", "-10042")
    assert moved is not None and moved.topics == ["vla"] and moved.language == "zh" and moved.active


async def test_a_migration_onto_an_existing_row_switches_the_old_one_off(db: Database) -> None:
    async with db.begin() as connection:
        await upsert_subscription(connection, "telegram", "-42", topics=["vla"])
        await upsert_subscription(connection, "telegram", "-10042", topics=["agentic-rl"])
        assert not await move_chat(connection, "telegram", "-42", "-10042")
        assert not await move_chat(connection, "telegram", "-7", "-7")

    async with db.connect() as connection:
        old = await get_subscription(connection, "telegram", "-42")
        new = await get_subscription(connection, "telegram", "-10042")
    assert old is not None and not old.active and old.deactivated_reason == "migrated to -10042"
    assert new is not None and new.active and new.topics == ["agentic-rl"]


@pytest.mark.parametrize(("platform", "chat_id"), [("telegram", ""), ("telegram", "x" * 101), ("", "1"), ("p" * 17, "1")])
async def test_chat_ids_that_do_not_fit_are_refused(db: Database, platform: str, chat_id: str) -> None:
    async with db.begin() as connection:
        with pytest.raises(ValueError, match="characters"):
            await upsert_subscription(connection, platform, chat_id)


async def test_configured_chats_are_added_changed_removed_and_brought_back(db: Database) -> None:
    from paperwire.bot.store.subscriptions import REMOVED_FROM_CONFIG, ConfiguredChat, sync_configured_chats

    async with db.begin() as connection:
        first = await sync_configured_chats(
            connection, [ConfiguredChat("telegram", "-1"), ConfiguredChat("telegram", "-2", "zh", ["vla"])]
        )
        await deactivate(connection, "telegram", "-2", "403: bot was kicked")
    assert [row.chat_id for row in first.added] == ["-1", "-2"]
    async with db.begin() as connection:
        second = await sync_configured_chats(connection, [ConfiguredChat("telegram", "-2", "en", ["vla"])])
        gone = await get_subscription(connection, "telegram", "-1")
        kicked = await get_subscription(connection, "telegram", "-2")
    assert [row.chat_id for row in second.removed] == ["-1"] and [row.chat_id for row in second.changed] == ["-2"]
    assert gone is not None and not gone.active and gone.deactivated_reason == REMOVED_FROM_CONFIG
    # A chat switched off by the platform stays off; its language follows the settings.
    assert kicked is not None and not kicked.active and kicked.language == "en"
    async with db.begin() as connection:
        third = await sync_configured_chats(
            connection, [ConfiguredChat("telegram", "-1"), ConfiguredChat("telegram", "-2", "en", ["vla"])]
        )
        back = await get_subscription(connection, "telegram", "-1")
    assert [row.chat_id for row in third.changed] == ["-1"] and not third.added and not third.removed
    assert back is not None and back.active and back.deactivated_reason is None
    async with db.begin() as connection:
        assert not await sync_configured_chats(
            connection, [ConfiguredChat("telegram", "-1"), ConfiguredChat("telegram", "-2", "en", ["vla"])]
        )

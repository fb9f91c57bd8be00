"""`/papers` over Socket Mode: the same Bolt app, connected to the fake's WebSocket with the app token.

`apps.connections.open` goes to `slack.base_url` (the fake), which hands out the WebSocket
URL; commands and clicks arrive as envelopes that must be acked within 3 s, and replies go
to the `response_url` as in HTTP mode.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

from paperwire.bot.pipeline import Pipeline
from paperwire.bot.slack_app import build_app, start_socket_mode, stop_socket_mode
from paperwire.bot.store.database import Database
from paperwire.config.settings import SlackSettings
from paperwire.formatters.slack import EXCLUDED_ACTION_ID, validate_blocks
from tests.fakes.slack import SlackFake
from tests.fakes.slack_events import block_action_payload
from tests.handlers.test_slack_handlers import (
    CHANNEL,
    EVERY_SUBCOMMAND,
    ask,
    replies,
    reply_text,
    sample_core,
    sample_pipeline,
    subscription_of,
)


@pytest.fixture
async def pipeline(db: Database) -> Pipeline:
    return await sample_pipeline(db)


@pytest.fixture
async def fake() -> AsyncIterator[SlackFake]:
    async with SlackFake() as server:
        yield server


@pytest.fixture
async def connected(fake: SlackFake, db: Database, pipeline: Pipeline) -> AsyncIterator[AsyncSocketModeHandler]:
    """The app over Socket Mode; no signing secret is needed (nothing comes over HTTP)."""
    settings = SlackSettings(bot_token=fake.bot_token, app_token=fake.app_token, base_url=fake.base_url)
    app = build_app(settings, sample_core(db, pipeline))
    handler = await start_socket_mode(app, fake.app_token)
    try:
        yield handler
    finally:
        await stop_socket_mode(handler)


async def test_every_subcommand_is_acked_over_the_socket_and_answered(
    connected: AsyncSocketModeHandler, fake: SlackFake, db: Database
) -> None:
    assert "apps.connections.open" in fake.calls and fake.events.connection_count == 1
    for line, expected in EVERY_SUBCOMMAND:
        ack, answers = await ask(fake, line)

        assert ack.mode == "socket" and ack.in_time, (line, ack)
        assert expected in reply_text(answers), (line, reply_text(answers)[:300])
        assert all(validate_blocks(answer.get("blocks", [])) == [] for answer in answers)
    subscription = await subscription_of(db)
    assert subscription is not None and subscription.origin == "chat" and not subscription.active
    assert fake.events.unacked == []


async def test_the_excluded_button_works_over_the_socket(connected: AsyncSocketModeHandler, fake: SlackFake) -> None:
    url = fake.new_response_url()
    payload = block_action_payload(
        EXCLUDED_ACTION_ID, "2026-02-20", user_id="U1", channel_id=CHANNEL, message_ts="1.2", response_url=url
    )

    ack = await fake.wait_for_ack(await fake.send_interactive(payload))

    assert ack.mode == "socket" and ack.in_time
    assert "Excluded papers - 2026-02-20" in reply_text(await replies(fake, url))


async def test_the_app_reconnects_when_slack_asks(connected: AsyncSocketModeHandler, fake: SlackFake) -> None:
    await fake.events.request_reconnect()
    for _ in range(200):
        if fake.events.connection_count == 2 and len(fake.events.connections) == 1:
            break
        await asyncio.sleep(0.05)

    ack, answers = await ask(fake, "today")

    assert fake.events.connection_count == 2
    assert ack.in_time and "Daily AI Papers - 2026-02-21" in reply_text(answers)

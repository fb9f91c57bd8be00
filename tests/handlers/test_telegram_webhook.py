"""Webhook mode: the fake Bot API POSTs updates to /telegram/webhook on a real aiohttp server.

Requests with the right secret token are processed; without it, or with a wrong one,
they get 403 and nothing is processed.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiohttp import web
from telegram.ext import Application

from paperwire.bot.store.database import Database
from paperwire.bot.telegram_app import (
    SECRET_HEADER,
    WEBHOOK_PATH,
    add_telegram_webhook_route,
    build_application,
    set_webhook,
    start_webhook,
    stop,
    webhook_endpoint,
)
from paperwire.config.settings import TelegramSettings
from paperwire.handlers.core import CommandCore
from tests.fakes.telegram import FakeTelegram, RateLimits
from tests.handlers.test_telegram_handlers import sample_command_core

SECRET = "s3cret-Token_for-tests"
PRIVATE = 4242


@pytest.fixture
async def sample_core(db: Database) -> CommandCore:
    return await sample_command_core(db)


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram(limits=RateLimits.off()) as server:
        yield server


@pytest.fixture
async def served(fake: FakeTelegram, sample_core: CommandCore) -> AsyncIterator[tuple[Application, str]]:
    """The bot in webhook mode behind the service's aiohttp server; yields it and its public URL."""
    web_app = web.Application()
    runner = web.AppRunner(web_app)
    settings = TelegramSettings(token=fake.token, base_url=fake.base_url, webhook_secret=SECRET, rate_per_bot=1000,
                                rate_per_private_chat=200)  # fmt: skip
    application = build_application(settings, sample_core, webhook=True)
    add_telegram_webhook_route(web_app, application, SECRET)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    url = webhook_endpoint(f"http://127.0.0.1:{runner.addresses[0][1]}")
    try:
        await start_webhook(application, url, SECRET)
        yield application, url
    finally:
        await stop(application)
        await runner.cleanup()


async def wait_for_replies(fake: FakeTelegram, chat: int, count: int) -> list[dict]:
    async with asyncio.timeout(10):
        while len(fake.sent_to(chat)) < count:
            await asyncio.sleep(0.02)
    return fake.sent_to(chat)


async def test_updates_with_the_secret_are_processed(served: tuple[Application, str], fake: FakeTelegram) -> None:
    _, url = served
    assert fake.webhook["url"] == url and fake.webhook["secret_token"] == SECRET
    assert fake.commands  # the menu is set in webhook mode too
    fake.message_update(PRIVATE, "/help")
    await fake.wait_webhook_idle()
    [reply] = await wait_for_replies(fake, PRIVATE, 1)
    assert reply["plain_text"].startswith("Commands")
    assert [status for _, status in fake.webhook_deliveries] == [200]


@pytest.mark.parametrize("headers", [{}, {SECRET_HEADER: "wrong"}, {SECRET_HEADER: ""}, {SECRET_HEADER: SECRET + "x"}])
async def test_requests_without_the_right_secret_get_403_and_are_not_processed(
    served: tuple[Application, str], fake: FakeTelegram, headers: dict[str, str]
) -> None:
    application, url = served
    update = {"update_id": 77, "message": fake.message_update(PRIVATE, "/help")["message"]}
    await fake.wait_webhook_idle()  # the fake's own, properly signed delivery of that update
    await wait_for_replies(fake, PRIVATE, 1)
    async with aiohttp.ClientSession() as session:
        async with session.post(url, json=update, headers=headers) as response:
            assert response.status == 403
    await asyncio.sleep(0.2)
    assert application.update_queue.qsize() == 0
    assert len(fake.sent_to(PRIVATE)) == 1  # only the signed one was answered


async def test_telegram_itself_with_a_wrong_secret_is_refused(
    served: tuple[Application, str], fake: FakeTelegram
) -> None:
    application, url = served
    await set_webhook(application.bot, url, "not-the-secret")
    fake.message_update(PRIVATE, "/help")
    async with asyncio.timeout(10):
        while len(fake.webhook_deliveries) < 2:
            await asyncio.sleep(0.02)
    await application.bot.delete_webhook()  # stop the fake's retries
    assert {status for _, status in fake.webhook_deliveries} == {403}
    assert fake.sent == []


async def test_a_body_that_is_not_an_update_is_answered_200_with_one_warning(
    served: tuple[Application, str], caplog: pytest.LogCaptureFixture
) -> None:
    """Telegram resends an update until it gets a 2xx: a malformed one is dropped, not refused."""
    application, url = served
    bodies = (b"not json", b"[1, 2]", b'"text"', b'{"update_id":"x","message":5}', b'{"update_id":1,"message":5}')
    async with aiohttp.ClientSession() as session:
        for body in bodies:
            caplog.clear()
            async with session.post(url, data=body, headers={SECRET_HEADER: SECRET}) as response:
                assert response.status == 200
            warnings = [record for record in caplog.records if record.name == "paperwire.bot.telegram_app"]
            assert len(warnings) == 1 and warnings[0].levelname == "WARNING" and warnings[0].exc_info is None
    assert application.update_queue.qsize() == 0


async def test_webhook_mode_needs_a_usable_secret(fake: FakeTelegram, sample_core: CommandCore) -> None:
    settings = TelegramSettings(token=fake.token, base_url=fake.base_url)
    application = build_application(settings, sample_core, webhook=True)
    for secret in ("", "has spaces", "x" * 257):
        with pytest.raises(ValueError, match="PAPERWIRE_TELEGRAM__WEBHOOK_SECRET"):
            add_telegram_webhook_route(web.Application(), application, secret)
        with pytest.raises(ValueError, match="PAPERWIRE_TELEGRAM__WEBHOOK_SECRET"):
            await set_webhook(application.bot, "https://example.org/telegram/webhook", secret)


def test_the_public_url_gets_the_webhook_path_once() -> None:
    assert webhook_endpoint("https://bot.example.org") == "https://bot.example.org" + WEBHOOK_PATH
    assert webhook_endpoint("https://bot.example.org/") == "https://bot.example.org" + WEBHOOK_PATH
    assert webhook_endpoint("https://bot.example.org/telegram/webhook") == "https://bot.example.org/telegram/webhook"

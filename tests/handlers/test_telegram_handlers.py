"""The Telegram adapter, wired by the real `register()` into a python-telegram-bot Application that
talks to the fake Bot API, over a store filled from the shipped sample days.

One test polls the fake like production does; the others hand the fake's updates to
`Application.process_update`, which returns once every handler has finished.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from telegram import Update
from telegram.ext import Application

from paperwire.bot.curation.taxonomy import load_taxonomy
from paperwire.bot.pipeline import Pipeline
from paperwire.bot.sources.files import read_file
from paperwire.bot.store import subscriptions, votes
from paperwire.bot.store.database import Database
from paperwire.bot.summarize.extractive import ExtractiveSummarizer
from paperwire.bot.telegram_app import build_application, start_polling, stop
from paperwire.config.settings import DEFAULT_TOPICS_FILE, CommandSettings, TelegramSettings
from paperwire.handlers.core import CommandCore
from paperwire.handlers.messages import message as reply_text
from paperwire.handlers.telegram import COMMAND_MENU, COMMANDS, command_for_start, start_parameter
from tests.fakes.telegram import FakeTelegram, RateLimits

SAMPLE = Path(__file__).resolve().parents[2] / "bot" / "sample"
PRIVATE, GROUP = 4242, -1001234567890
STORED_PAPER = "2602.14417"  # picked in the sample digest of 2026-02-20


async def sample_command_core(db: Database) -> CommandCore:
    """A core over the two shipped sample days, with the digest of 2026-02-20 published
    (so `today` has one). Also used by the webhook tests."""
    pipeline = Pipeline(db, load_taxonomy(DEFAULT_TOPICS_FILE), ExtractiveSummarizer())
    for path in sorted(SAMPLE.glob("*.json")):
        await pipeline.ingest(read_file(path), "sample")
    assert await pipeline.build(read_file(SAMPLE / "2026-02-20.json").list_day, "en") is not None
    return CommandCore(
        db=db,
        pipeline=pipeline,
        taxonomy=pipeline.taxonomy,
        hf=None,
        arxiv=None,
        commands=CommandSettings(per_user_per_minute=1000),
    )


@pytest.fixture
async def sample_core(db: Database) -> CommandCore:
    return await sample_command_core(db)


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram(limits=RateLimits.off()) as server:
        yield server


def settings_for(fake: FakeTelegram) -> TelegramSettings:
    return TelegramSettings(
        token=fake.token,
        base_url=fake.base_url,
        rate_per_bot=1000,
        rate_per_private_chat=200,
        rate_per_group_per_minute=12000,
    )


@pytest.fixture
async def app(fake: FakeTelegram, sample_core: CommandCore) -> AsyncIterator[Application]:
    """The application, logged in but not polling: tests feed it updates themselves."""
    application = build_application(settings_for(fake), sample_core, webhook=False)
    await application.initialize()
    try:
        yield application
    finally:
        await application.shutdown()


async def feed(app: Application, update: dict[str, Any]) -> None:
    await app.process_update(Update.de_json(update, app.bot))


async def ask(app: Application, fake: FakeTelegram, chat: int | str, text: str, *, user_id: int = 1001) -> list[dict]:
    """Send `text` as a user (or a channel post) and return the bot's replies in that chat."""
    before = len(fake.sent)
    await feed(app, fake.message_update(chat, text, user_id=user_id))
    return fake.sent[before:]


def errors(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [record for record in caplog.records if record.levelno >= logging.ERROR]


# ---------------------------------------------------------------- polling and the menu


async def test_polling_answers_commands_and_the_menu_is_set_at_start(
    fake: FakeTelegram, sample_core: CommandCore
) -> None:
    application = build_application(settings_for(fake), sample_core, webhook=False)
    await start_polling(application)
    try:
        menu = fake.commands[('{"type": "default"}', "")]
        assert [entry["command"] for entry in menu] == [command.command for command in COMMAND_MENU]
        assert "today" in [entry["command"] for entry in menu] and "start" not in [e["command"] for e in menu]
        assert fake.commands[('{"type": "default"}', "zh")][0]["description"] != menu[0]["description"]

        fake.message_update(PRIVATE, "/help")
        fake.message_update(PRIVATE, "/today")
        async with asyncio.timeout(10):
            while len(fake.sent_to(PRIVATE)) < 2:
                await asyncio.sleep(0.02)
    finally:
        await stop(application)
    texts = sorted(message["plain_text"] for message in fake.sent_to(PRIVATE))
    assert any(text.startswith("Commands") for text in texts)
    assert any(text.startswith("Daily AI Papers - 2026-02-21") for text in texts)


# ---------------------------------------------------------------- every command


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("/start", "Commands"),
        ("/help", "Commands"),
        ("/help paper", "paper <arXiv id"),
        ("/today", "Daily AI Papers - 2026-02-21"),
        ("/digest 2026-02-20", "Daily AI Papers - 2026-02-21"),
        ("/digest@paperwire_test_bot yesterday", "There is no digest"),
        ("/digest 2026-13-01", "is not a day"),
        (f"/paper {STORED_PAPER}", "ToolForge-RL"),
        ("/paper ToolForge-RL: Scaling Agentic Reinforcement Learning", "ToolForge-RL"),
        ("/paper", "Something is missing"),
        ("/search sparse attention", "Search: sparse attention"),
        ("/topics", "Topics"),
        ("/topic efficient-llm", "Efficient LLM"),
        ("/topic no-such-topic", 'There is no topic "no-such-topic"'),
        ("/excluded", "Excluded papers · 2026-02-20"),
        ("/excluded 2026-02-20", "Excluded papers · 2026-02-20"),
        ("/trends", "Papers per topic"),
        ("/trends 500", "is not a number of days"),
        ("/settings", "This chat's subscription"),
        ("/subscribe agentic-rl", "This chat now gets the digest."),
        ("/unsubscribe", "no subscription"),
        ("/frobnicate", 'I do not know the command "/frobnicate'),
    ],
)
async def test_every_command_gets_a_reply_telegram_accepts(
    app: Application, fake: FakeTelegram, caplog: pytest.LogCaptureFixture, line: str, expected: str
) -> None:
    replies = await ask(app, fake, PRIVATE, line)
    assert replies, f"no reply to {line}"
    assert expected in "\n".join(reply["plain_text"] for reply in replies)
    # Previews stay off, except a card's own picture (as a photo or a large preview of it).
    assert all(
        reply["parse_mode"] == "HTML" and (reply["link_preview_disabled"] or reply["photo"] or reply["link_preview"])
        for reply in replies
    )
    assert replies[0]["chat"] == PRIVATE
    assert errors(caplog) == []


def test_every_core_command_has_a_handler() -> None:
    assert set(COMMANDS) >= {"today", "digest", "paper", "search", "topics", "topic", "excluded", "trends",
                             "subscribe", "unsubscribe", "settings", "help", "start"}  # fmt: skip


async def test_lookups_arrive_as_cards_with_link_buttons(app: Application, fake: FakeTelegram) -> None:
    [card] = await ask(app, fake, PRIVATE, f"/paper {STORED_PAPER}")
    buttons = [button for row in card["reply_markup"]["inline_keyboard"] for button in row]
    urls = [button["url"] for button in buttons if "url" in button]
    assert f"https://arxiv.org/abs/{STORED_PAPER}" in urls and f"https://arxiv.org/pdf/{STORED_PAPER}" in urls
    votes = {button["text"]: button["callback_data"] for button in buttons if "callback_data" in button}
    assert votes == {"👍": f"v+:{STORED_PAPER}", "👎": f"v-:{STORED_PAPER}"}
    assert "⭐⭐⭐ Must read" in card["plain_text"]
    assert "Picked in the digest of the 2026-02-20 list." in card["plain_text"]

    [overview] = await ask(app, fake, PRIVATE, "/today")
    data = [button.get("callback_data") for row in overview["reply_markup"]["inline_keyboard"] for button in row]
    assert f"p:{STORED_PAPER}" in data and "x:2026-02-20" in data


async def test_a_reply_is_threaded_to_the_command(app: Application, fake: FakeTelegram) -> None:
    update = fake.message_update(GROUP, "/topics")
    await feed(app, update)
    [reply] = fake.sent_to(GROUP)
    assert fake.requests[-1][1]["reply_parameters"]["message_id"] == update["message"]["message_id"]
    assert reply["plain_text"].startswith("Topics")


# ---------------------------------------------------------------- admins in groups and channels


async def test_subscribe_in_a_group_is_for_admins_only(app: Application, fake: FakeTelegram, db: Database) -> None:
    fake.set_member(GROUP, 7, "member")
    fake.set_member(GROUP, 8, "administrator")
    fake.set_member(GROUP, 9, "creator")

    [refusal] = await ask(app, fake, GROUP, "/subscribe agentic-rl", user_id=7)
    assert refusal["plain_text"] == reply_text("en", "admins_only")
    async with db.connect() as connection:
        assert await subscriptions.get_subscription(connection, "telegram", str(GROUP)) is None
    [refusal] = await ask(app, fake, GROUP, "/settings lang zh", user_id=7)
    assert refusal["plain_text"] == reply_text("en", "admins_only")

    [accepted] = await ask(app, fake, GROUP, "/subscribe agentic-rl", user_id=8)
    assert "This chat now gets the digest." in accepted["plain_text"]
    async with db.connect() as connection:
        stored = await subscriptions.get_subscription(connection, "telegram", str(GROUP))
    assert stored is not None and stored.active and stored.topics == ["agentic-rl"] and stored.chat_kind == "group"
    checked = [params["user_id"] for method, params in fake.requests if method == "getChatMember"]
    assert checked == [7, 7, 8]

    [stopped] = await ask(app, fake, GROUP, "/unsubscribe", user_id=9)
    assert "no longer gets the digest" in stopped["plain_text"]
    # Reading commands need no admin check at all.
    await ask(app, fake, GROUP, "/topics", user_id=7)
    assert len([1 for method, _ in fake.requests if method == "getChatMember"]) == 4


async def test_an_anonymous_group_admin_may_subscribe(app: Application, fake: FakeTelegram, db: Database) -> None:
    update = fake.message_update(GROUP, "/subscribe", user_id=1087968824)
    update["message"]["sender_chat"] = update["message"]["chat"]  # posted as the group itself
    before = len(fake.sent)
    await feed(app, update)
    assert "This chat now gets the digest." in fake.sent[before]["plain_text"]
    assert not any(method == "getChatMember" for method, _ in fake.requests)


async def test_a_channel_post_may_subscribe_the_channel(app: Application, fake: FakeTelegram, db: Database) -> None:
    channel = fake.add_chat("@paperchannel")
    [reply] = await ask(app, fake, "@paperchannel", "/subscribe efficient-llm")
    assert reply["chat"] == channel.id and "This chat now gets the digest." in reply["plain_text"]
    async with db.connect() as connection:
        stored = await subscriptions.get_subscription(connection, "telegram", str(channel.id))
    assert stored is not None and stored.chat_kind == "channel" and stored.topics == ["efficient-llm"]


# ---------------------------------------------------------------- buttons


async def test_the_excluded_button_sends_the_excluded_list(app: Application, fake: FakeTelegram) -> None:
    [overview] = await ask(app, fake, PRIVATE, "/today")
    press = fake.callback_update(PRIVATE, overview["message_id"], "x:2026-02-20")
    await feed(app, press)
    assert [answer["callback_query_id"] for answer in fake.callback_answers] == [press["callback_query"]["id"]]
    excluded = fake.sent_to(PRIVATE)[1:]
    assert excluded and excluded[0]["plain_text"].startswith("Excluded papers · 2026-02-20")
    assert "Kestrel-2 Technical Report" in "\n".join(message["plain_text"] for message in excluded)


async def test_a_card_button_sends_the_card(app: Application, fake: FakeTelegram) -> None:
    [overview] = await ask(app, fake, GROUP, "/today")
    await feed(app, fake.callback_update(GROUP, overview["message_id"], f"p:{STORED_PAPER}"))
    [card] = fake.sent_to(GROUP)[1:]
    assert card["plain_text"].startswith("ToolForge-RL")
    assert len(fake.callback_answers) == 1


async def test_vote_buttons_count_each_member_of_a_channel_once(app: Application, fake: FakeTelegram, db: Database) -> None:
    channel = fake.add_chat("@paperchannel")
    presses = [(7, "v+"), (7, "v+"), (8, "v+"), (8, "v-"), (10, "v+")]
    for user, kind in presses:
        await feed(app, fake.callback_update(channel.id, 1, f"{kind}:{STORED_PAPER}", user_id=user))
    assert fake.sent == [], "votes are answered as toasts, never posted to the channel"
    toasts = [answer.get("text") or "" for answer in fake.callback_answers]
    assert len(toasts) == 5 and toasts[0].startswith("👍 noted for ToolForge-RL") and toasts[3].startswith("👎 noted")
    async with db.connect() as connection:
        # 7 counts once however often it presses; 8's last vote (👎) stands: +1 -1 +1
        assert await votes.chat_votes(connection, "telegram", str(channel.id)) == {STORED_PAPER: 1}
    await feed(app, fake.callback_update(channel.id, 1, "v+:2612.99999", user_id=9))
    assert "not a stored paper" in fake.callback_answers[-1]["text"]


async def test_a_button_in_a_channel_opens_a_private_chat_instead(app: Application, fake: FakeTelegram) -> None:
    channel = fake.add_chat("@paperchannel")
    await feed(app, fake.callback_update(channel.id, 1, "x:2026-02-20"))
    [answer] = fake.callback_answers
    assert answer["url"] == "https://t.me/paperwire_test_bot?start=x_2026-02-20"
    assert fake.sent == []  # nothing posted to every subscriber of the channel
    # The deep link opens the bot with `/start x_2026-02-20`: the excluded list.
    [excluded, *_] = await ask(app, fake, PRIVATE, "/start x_2026-02-20")
    assert excluded["plain_text"].startswith("Excluded papers · 2026-02-20")


async def test_an_unknown_button_is_answered_and_ignored(app: Application, fake: FakeTelegram) -> None:
    await feed(app, fake.callback_update(PRIVATE, 1, "something-old"))
    assert len(fake.callback_answers) == 1 and fake.sent == []


@pytest.mark.parametrize("data", ["x:2026-02-20", f"p:{STORED_PAPER}", "p:cs/0501001", "p:hep-th/9901001v2"])
def test_start_parameters_round_trip(data: str) -> None:
    parameter = start_parameter(data)
    assert parameter is not None and len(parameter) <= 64
    kind, value = data.split(":", 1)
    assert command_for_start(parameter) == ("excluded " if kind == "x" else "paper ") + value


def test_odd_start_parameters_mean_help() -> None:
    assert command_for_start("") is None
    assert command_for_start("x_not-a-day") is None
    assert command_for_start("p_!!!") is None


# ---------------------------------------------------------------- unknown commands, errors, limits


async def test_unknown_commands_in_groups_get_a_reply_only_when_addressed(app: Application, fake: FakeTelegram) -> None:
    assert await ask(app, fake, GROUP, "/frobnicate") == []  # may be for another bot
    assert await ask(app, fake, GROUP, "/frobnicate@some_other_bot") == []
    [usage] = await ask(app, fake, GROUP, "/frobnicate@paperwire_test_bot")
    assert 'I do not know the command "/frobnicate' in usage["plain_text"]
    assert await ask(app, fake, GROUP, "/today@some_other_bot") == []


async def test_a_failed_reply_is_logged_with_its_traceback_and_never_shown(
    app: Application, fake: FakeTelegram, caplog: pytest.LogCaptureFixture
) -> None:
    fake.fail_next(400, method="sendMessage", description="Bad Request: can't parse entities: invented failure")
    replies = await ask(app, fake, PRIVATE, "/topics")
    assert [reply["plain_text"] for reply in replies] == [reply_text("en", "internal_error")]
    [record] = errors(caplog)
    assert record.name == "paperwire.handlers.telegram" and record.exc_info is not None
    assert "Traceback" not in replies[0]["text"]


async def test_a_rate_limited_reply_waits_and_is_sent(app: Application, fake: FakeTelegram) -> None:
    fake.fail_next(429, method="sendMessage", retry_after=1)
    [reply] = await ask(app, fake, PRIVATE, "/topics")
    assert reply["plain_text"].startswith("Topics") and fake.too_many_requests == 1


async def test_a_user_who_blocked_the_bot_is_only_a_warning(
    app: Application, fake: FakeTelegram, caplog: pytest.LogCaptureFixture
) -> None:
    fake.block(PRIVATE)
    assert await ask(app, fake, PRIVATE, "/help") == []
    assert errors(caplog) == []
    assert any("cannot reply in chat 4242" in record.getMessage() for record in caplog.records)

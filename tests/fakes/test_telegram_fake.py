"""The fake Bot API behaves like Telegram for python-telegram-bot: checks, errors, limits, polling."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import aiohttp
import pytest
import telegram
from aiohttp import web
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, LinkPreviewOptions
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Conflict,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TimedOut,
)

from tests.fakes.server import start_local
from tests.fakes.telegram import FakeTelegram, ManualClock, RateLimits
from tests.fakes.telegram_html import EntityParseError, parse_html

PRIVATE = 4242
GROUP = -1001234567890


@pytest.fixture
async def fake(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FakeTelegram]:
    # PTB 22 warns on every RetryAfter unless durations are opted in as timedeltas.
    monkeypatch.setenv("PTB_TIMEDELTA", "1")
    async with FakeTelegram(limits=RateLimits.off()) as server:
        yield server


@pytest.fixture
async def bot(fake: FakeTelegram) -> AsyncIterator[telegram.Bot]:
    async with telegram.Bot(fake.token, base_url=fake.base_url) as client:
        yield client


# -- the HTML parser ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("html", "description"),
    [
        ("<br>", 'Unsupported start tag "br" at byte offset 0'),
        ("hi <script>x</script>", 'Unsupported start tag "script" at byte offset 3'),
        ("a < b", 'Unsupported start tag "" at byte offset 2'),
        ("x <b", "Unclosed start tag at byte offset 2"),
        ("<a href", 'Unclosed start tag "a" at byte offset 0'),
        ('<a href="x"', "Unclosed start tag at byte offset 0"),
        ('<a ="x">y</a>', 'Empty attribute name in the tag "a" at byte offset 0'),
        ("<a href=x/>y</a>", "Unexpected end of name token at byte offset 8"),
        ("<span>x</span>", 'Tag "span" must have class "tg-spoiler" at byte offset 0'),
        ("x</b>", "Unexpected end tag at byte offset 1"),
        ("<b>x</b", "Unclosed end tag at byte offset 4"),
        ("<b>x</i>", 'Unmatched end tag at byte offset 4, expected "</b>", found "</i>"'),
        ("<b>x", 'Can\'t find end tag corresponding to start tag "b"'),
        ("é<i>x</b>", 'Unmatched end tag at byte offset 6, expected "</i>", found "</b>"'),
    ],
)
def test_parser_refuses_what_telegram_refuses(html: str, description: str) -> None:
    with pytest.raises(EntityParseError) as caught:
        parse_html(html)
    assert str(caught.value) == description


def test_parser_decodes_only_telegrams_references() -> None:
    parsed = parse_html("a &lt;b&gt; &amp; &quot;q&quot; &#65;&#x42; &nbsp; R&D &amp")
    assert parsed.text == 'a <b> & "q" AB &nbsp; R&D &'


def test_parser_counts_entity_offsets_in_utf16() -> None:
    parsed = parse_html("🚀 <b>bold</b> <i>x<u>y</u></i> <a href='https://e.org'>link</a>")
    assert parsed.text == "🚀 bold xy link"
    assert parsed.entities == [
        {"type": "bold", "offset": 3, "length": 4},
        {"type": "italic", "offset": 8, "length": 2},
        {"type": "underline", "offset": 9, "length": 1},
        {"type": "text_link", "offset": 11, "length": 4, "url": "https://e.org"},
    ]


def test_parser_drops_links_telegram_would_not_keep_and_trims() -> None:
    parsed = parse_html("\n  <a href='javascript:alert(1)'>x</a> <b></b>y  \n")
    assert parsed.text == "x y"
    assert parsed.entities == []


# -- sending -----------------------------------------------------------------------------


async def test_send_message_is_recorded_and_answered(fake: FakeTelegram, bot: telegram.Bot) -> None:
    markup = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton("arXiv", url="https://arxiv.org/abs/2602.00001"),
                InlineKeyboardButton("More", callback_data="x:1"),
            ]
        ]
    )
    message = await bot.send_message(
        PRIVATE,
        "<b>Hello</b> &amp; welcome",
        parse_mode=ParseMode.HTML,
        reply_markup=markup,
        link_preview_options=LinkPreviewOptions(is_disabled=True),
    )
    assert message.text == "Hello & welcome"
    assert message.message_id == 1
    assert message.entities[0].type == "bold"
    [sent] = fake.sent_to(PRIVATE)
    assert sent["text"] == "<b>Hello</b> &amp; welcome"
    assert sent["link_preview_disabled"] is True
    assert sent["reply_markup"]["inline_keyboard"][0][1] == {"text": "More", "callback_data": "x:1"}
    second = await bot.send_message(PRIVATE, "again")
    assert second.message_id == 2


async def test_channel_usernames_resolve_to_one_chat(fake: FakeTelegram, bot: telegram.Bot) -> None:
    first = await bot.send_message("@papers", "one")
    second = await bot.send_message("@papers", "two")
    assert first.chat.type == "channel" and first.chat.id == second.chat.id
    assert [m["message_id"] for m in fake.sent_to("@papers")] == [1, 2]


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("a <script>alert(1)</script>", "unsupported start tag"),
        ("x" * 4097, "message is too long"),
        ("   ", "message text is empty"),
        ("<b> </b>", "message text is empty"),
    ],
)
async def test_invalid_text_is_a_bad_request(bot: telegram.Bot, text: str, fragment: str) -> None:
    with pytest.raises(BadRequest) as caught:
        await bot.send_message(PRIVATE, text, parse_mode=ParseMode.HTML)
    assert fragment in caught.value.message.lower()


async def test_length_is_counted_after_parsing_in_utf16(bot: telegram.Bot) -> None:
    await bot.send_message(PRIVATE, "<b>" + "&amp;" * 4096 + "</b>", parse_mode=ParseMode.HTML)
    with pytest.raises(BadRequest, match="too long"):
        await bot.send_message(PRIVATE, "🚀" * 2049)


@pytest.mark.parametrize(
    ("button", "fragment"),
    [
        ({"text": "x", "callback_data": "y" * 65}, "BUTTON_DATA_INVALID"),
        ({"text": "x", "callback_data": "é" * 33}, "BUTTON_DATA_INVALID"),
        ({"text": "x", "url": "javascript:alert(1)"}, "BUTTON_URL_INVALID"),
        ({"text": "x"}, "text buttons are unallowed"),
        ({"text": "", "url": "https://e.org"}, "BUTTON_TEXT_INVALID"),
    ],
)
async def test_inline_keyboards_are_checked(bot: telegram.Bot, button: dict[str, str], fragment: str) -> None:
    markup = InlineKeyboardMarkup.de_json({"inline_keyboard": [[button]]}, bot)
    with pytest.raises(BadRequest, match=f"(?i){fragment}"):
        await bot.send_message(PRIVATE, "x", reply_markup=markup)


async def test_too_many_entities_are_dropped_like_telegram(fake: FakeTelegram, bot: telegram.Bot) -> None:
    message = await bot.send_message(PRIVATE, "\n".join(f"<b>{i}</b>" for i in range(110)), parse_mode=ParseMode.HTML)
    assert len(message.entities) == 100
    assert fake.sent[-1]["dropped_entities"] == 10


# -- failures and limits -----------------------------------------------------------------


async def test_private_chat_rate_limit_answers_429_with_retry_after(bot: telegram.Bot, fake: FakeTelegram) -> None:
    clock = ManualClock()
    fake.clock, fake.limits = clock, RateLimits()
    await bot.send_message(PRIVATE, "one")
    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(PRIVATE, "two")
    assert caught.value.retry_after.total_seconds() == 1
    await bot.send_message(PRIVATE + 1, "another chat is fine")
    clock.advance(1.0)
    await bot.send_message(PRIVATE, "two, later")
    assert fake.too_many_requests == 1
    assert [m["text"] for m in fake.sent_to(PRIVATE)] == ["one", "two, later"]


async def test_group_rate_limit_is_per_minute(bot: telegram.Bot, fake: FakeTelegram) -> None:
    clock = ManualClock()
    fake.clock, fake.limits = clock, RateLimits(per_bot_per_second=None)
    for number in range(20):
        await bot.send_message(GROUP, f"message {number}")
        clock.advance(0.5)
    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(GROUP, "one too many")
    assert caught.value.retry_after.total_seconds() == 50
    clock.advance(50)
    await bot.send_message(GROUP, "after the window")


async def test_bot_wide_rate_limit(bot: telegram.Bot, fake: FakeTelegram) -> None:
    fake.clock = ManualClock()
    fake.limits = RateLimits(per_bot_per_second=3, per_private_chat_per_second=None)
    for chat in range(1, 4):
        await bot.send_message(chat, "hi")
    with pytest.raises(RetryAfter):
        await bot.send_message(4, "hi")


async def test_blocked_kicked_missing_and_migrated_chats(bot: telegram.Bot, fake: FakeTelegram) -> None:
    fake.block(PRIVATE)
    fake.kick(GROUP)
    fake.not_found(-42)
    fake.migrate(-77, -1009999)
    with pytest.raises(Forbidden, match="blocked by the user"):
        await bot.send_message(PRIVATE, "x")
    with pytest.raises(Forbidden, match="kicked from the supergroup chat"):
        await bot.send_message(GROUP, "x")
    with pytest.raises(BadRequest, match="Chat not found"):
        await bot.send_message(-42, "x")
    with pytest.raises(ChatMigrated) as caught:
        await bot.send_message(-77, "x")
    assert caught.value.new_chat_id == -1009999
    await bot.send_message(-1009999, "the supergroup works")
    assert len(fake.sent) == 1


async def test_injected_server_errors(bot: telegram.Bot, fake: FakeTelegram) -> None:
    fake.fail_next(500, method="sendMessage")
    with pytest.raises(NetworkError, match="Internal Server Error"):
        await bot.send_message(PRIVATE, "x")
    fake.fail_next(429, retry_after=7)
    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(PRIVATE, "x")
    assert caught.value.retry_after.total_seconds() == 7
    await bot.send_message(PRIVATE, "x")
    assert len(fake.sent) == 1


async def test_a_slow_answer_times_out_after_the_message_went_out(bot: telegram.Bot, fake: FakeTelegram) -> None:
    fake.delay = 1.0
    with pytest.raises(TimedOut):
        await bot.send_message(PRIVATE, "maybe sent", read_timeout=0.2)
    assert [m["text"] for m in fake.sent] == ["maybe sent"]


async def test_wrong_token_is_unauthorized(fake: FakeTelegram) -> None:
    with pytest.raises(InvalidToken):
        async with telegram.Bot("1:wrong", base_url=fake.base_url):
            pass


async def test_json_bodies_are_accepted(fake: FakeTelegram) -> None:
    async with aiohttp.ClientSession() as session:
        url = f"{fake.base_url}{fake.token}/sendMessage"
        payload = {
            "chat_id": "@news",
            "text": "<i>hi</i>",
            "parse_mode": "HTML",
            "reply_markup": {"inline_keyboard": []},
        }
        async with session.post(url, json=payload) as response:
            body = await response.json()
        async with session.post(url, json={"chat_id": 1, "text": "<b>"}) as response:
            assert response.status == 200  # no parse_mode: the tags are text
        async with session.post(url, json={"chat_id": 1, "text": "<b", "parse_mode": "HTML"}) as response:
            error = await response.json()
    assert body["ok"] is True and body["result"]["text"] == "hi"
    assert response.status == 400
    assert error == {
        "ok": False,
        "error_code": 400,
        "description": "Bad Request: can't parse entities: Unclosed start tag at byte offset 0",
    }


# -- other methods -----------------------------------------------------------------------


async def test_edit_message_text(bot: telegram.Bot, fake: FakeTelegram) -> None:
    message = await bot.send_message(PRIVATE, "draft")
    edited = await bot.edit_message_text("<b>final</b>", PRIVATE, message.message_id, parse_mode=ParseMode.HTML)
    assert edited.text == "final" and fake.edited[0]["text"] == "<b>final</b>"
    with pytest.raises(BadRequest, match="not modified"):
        await bot.edit_message_text("<b>final</b>", PRIVATE, message.message_id, parse_mode=ParseMode.HTML)
    with pytest.raises(BadRequest, match="(?i)message to edit not found"):
        await bot.edit_message_text("x", PRIVATE, 999)


async def test_commands_are_recorded(bot: telegram.Bot, fake: FakeTelegram) -> None:
    await bot.set_my_commands([("paper", "Show one paper"), ("today", "Today's digest")])
    await bot.set_my_commands([("paper", "论文")], language_code="zh")
    assert [c.command for c in await bot.get_my_commands()] == ["paper", "today"]
    assert fake.commands[('{"type": "default"}', "zh")] == [{"command": "paper", "description": "论文"}]
    with pytest.raises(BadRequest, match="(?i)BOT_COMMAND_INVALID"):
        await bot.set_my_commands([("Bad-Command", "x")])


async def test_chat_members_and_chats(bot: telegram.Bot, fake: FakeTelegram) -> None:
    fake.set_member(GROUP, 7, "administrator")
    fake.set_member(GROUP, 8, "creator")
    assert (await bot.get_chat_member(GROUP, 7)).status == "administrator"
    assert (await bot.get_chat_member(GROUP, 8)).status == "creator"
    assert (await bot.get_chat_member(GROUP, 9)).status == "member"
    chat = await bot.get_chat("@papers")
    assert chat.type == "channel" and chat.username == "papers"


async def test_get_updates_returns_injected_updates_and_honours_offset(bot: telegram.Bot, fake: FakeTelegram) -> None:
    fake.message_update(PRIVATE, "/paper 2602.00001")
    fake.message_update(GROUP, "hello", user_id=5)
    updates = await bot.get_updates(timeout=0)
    assert [u.message.text for u in updates] == ["/paper 2602.00001", "hello"]
    assert updates[0].message.entities[0].type == "bot_command"
    assert await bot.get_updates(offset=updates[-1].update_id + 1, timeout=0) == ()
    assert fake.pending_updates == 0


async def test_long_poll_wakes_when_an_update_arrives(bot: telegram.Bot, fake: FakeTelegram) -> None:
    poll = asyncio.create_task(bot.get_updates(timeout=10))
    await asyncio.sleep(0.1)
    assert not poll.done()
    fake.message_update(PRIVATE, "late")
    updates = await asyncio.wait_for(poll, 5)
    assert updates[0].message.text == "late"


async def test_second_poller_terminates_the_first_with_409(fake: FakeTelegram, bot: telegram.Bot) -> None:
    async with telegram.Bot(fake.token, base_url=fake.base_url) as other:
        first = asyncio.create_task(bot.get_updates(timeout=10))
        await asyncio.sleep(0.1)
        second = asyncio.create_task(other.get_updates(timeout=1))
        with pytest.raises(Conflict, match="terminated by other getUpdates request"):
            await asyncio.wait_for(first, 5)
        assert await asyncio.wait_for(second, 5) == ()
    assert fake.conflicts == 1


async def test_callback_queries_are_answered_once(bot: telegram.Bot, fake: FakeTelegram) -> None:
    message = await bot.send_message(PRIVATE, "overview")
    update = fake.callback_update(PRIVATE, message.message_id, "x:2026-02-20")
    [received] = await bot.get_updates(timeout=0)
    assert received.callback_query.data == "x:2026-02-20"
    assert received.callback_query.message.text == "overview"
    assert await bot.answer_callback_query(update["callback_query"]["id"], text="ok")
    with pytest.raises(BadRequest, match="(?i)query is too old"):
        await bot.answer_callback_query(update["callback_query"]["id"])


async def test_webhook_delivers_updates_with_the_secret(bot: telegram.Bot, fake: FakeTelegram) -> None:
    received: list[tuple[str | None, dict]] = []

    async def webhook(request: web.Request) -> web.Response:
        received.append((request.headers.get("X-Telegram-Bot-Api-Secret-Token"), await request.json()))
        return web.Response(status=500 if len(received) == 1 else 200)  # the first try fails

    app = web.Application()
    app.router.add_post("/telegram/webhook", webhook)
    runner, origin = await start_local(app)
    try:
        await bot.set_webhook(f"{origin}/telegram/webhook", secret_token="s3cret")
        with pytest.raises(Conflict, match="webhook is active"):
            await bot.get_updates(timeout=0)
        fake.message_update(PRIVATE, "via webhook")
        await fake.wait_webhook_idle()
        assert (await bot.get_webhook_info()).pending_update_count == 0
        await bot.delete_webhook()
    finally:
        await runner.cleanup()
    assert [secret for secret, _ in received] == ["s3cret", "s3cret"]
    assert received[-1][1]["message"]["text"] == "via webhook"
    assert [status for _, status in fake.webhook_deliveries] == [500, 200]

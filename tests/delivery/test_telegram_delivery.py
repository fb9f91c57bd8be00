"""Telegram delivery against the fake Bot API: `paperwire publish` end to end, every failure the
issue names, a kill in the middle of a fan-out, hostile paper text, and the token kept out of logs.

`bot.cli.main` runs in a thread (it calls asyncio.run itself) while the fake serves on the
test's event loop; the kill test runs `paperwire publish` as a real process and SIGKILLs it.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from collections import Counter
from collections.abc import AsyncIterator

import httpx
import pytest
import telegram
from hypothesis import given, settings
from hypothesis import strategies as st
from telegram.request import HTTPXRequest

from paperwire.bot.cli import main
from paperwire.bot.delivery.telegram import (
    _FormClient,
    PACING_HEADROOM,
    TelegramSender,
    TokenRefused,
    make_bot,
    preview_payload,
    render_payloads,
)
from paperwire.bot.delivery.worker import ChatGone, ChatMoved, InDoubt, PlatformStopped, Rejected, RetryLater, Sent
from paperwire.bot.store.outbox import Delivery
from paperwire.config.settings import TelegramSettings
from paperwire.formatters.telegram import TelegramMessage
from tests.delivery.publishing import CHATS, MESSAGES, PUBLISH, REPO, publish, telegram_env
from tests.delivery.stored import expire_leases, outbox_rows, subscription_of, texts_of
from tests.fakes.digests import make_card, make_digest, make_entry, make_paper
from tests.fakes.telegram import FakeTelegram, RateLimits

MESSAGES_PER_CHAT = MESSAGES


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram(limits=RateLimits.off()) as server:
        yield server


@pytest.fixture
def publish_env(monkeypatch: pytest.MonkeyPatch, fake: FakeTelegram, database_url: str) -> dict[str, str]:
    return telegram_env(monkeypatch, fake, database_url)


# ---------------------------------------------------------------- publish end to end


async def test_publish_sends_each_chat_its_messages_in_order_and_a_rerun_sends_nothing(
    fake: FakeTelegram, publish_env: dict[str, str], database_url: str
) -> None:
    assert await publish() == 0

    rows = await outbox_rows(database_url)
    assert len(rows) == len(CHATS) * MESSAGES_PER_CHAT
    assert {row["status"] for row in rows} == {"sent"}
    for chat in CHATS:
        sent = fake.sent_to(chat)
        assert [message["text"] for message in sent] == texts_of(rows, chat)
        recorded = [row["remote_id"] for row in rows if row["chat_id"] == chat]
        assert recorded == [str(message["message_id"]) for message in sent]
        assert all(message["parse_mode"] == "HTML" for message in sent)
        assert sent[0]["link_preview_disabled"], "no preview on the overview"
        # Each card shows the list's picture: a photo with the card as caption, or a large preview.
        for card in sent[1:]:
            preview = card["link_preview"] or {}
            assert card["photo"] or (preview.get("show_above_text") and preview.get("url", "").startswith("https://"))
        # The overview carries the excluded-papers button; every card its link buttons.
        assert sent[0]["reply_markup"]["inline_keyboard"][-1][0]["callback_data"] == "x:2026-02-20"
        for card in sent[1:]:
            assert card["reply_markup"]["inline_keyboard"][0][0]["url"].startswith("https://arxiv.org/abs/")

    before = len(fake.sent)
    assert await publish() == 0
    assert len(fake.sent) == before


async def test_a_blocked_chat_is_deactivated_and_the_others_get_everything(
    fake: FakeTelegram, publish_env: dict[str, str], database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    fake.block(4242)
    assert await publish() == 1  # something stayed undelivered

    rows = await outbox_rows(database_url)
    assert [row["status"] for row in rows if row["chat_id"] == "4242"] == ["cancelled"] * MESSAGES_PER_CHAT
    for chat in ("-1001", "-1002"):
        assert len(fake.sent_to(chat)) == MESSAGES_PER_CHAT
    stored = await subscription_of(database_url, "telegram", "4242")
    assert stored is not None and not stored.active
    assert "blocked by the user" in (stored.deactivated_reason or "")
    assert any("chat 4242 is gone" in record.getMessage() for record in caplog.records)

    # It stays off: the next publish does not try it again.
    fake.unblock(4242)
    assert await publish() == 1
    assert fake.sent_to(4242) == []


@pytest.mark.parametrize("how", ["kick", "not_found"])
async def test_kicked_or_missing_chats_are_deactivated(
    fake: FakeTelegram, publish_env: dict[str, str], database_url: str, how: str
) -> None:
    getattr(fake, how)(-1002)
    assert await publish() == 1
    stored = await subscription_of(database_url, "telegram", "-1002")
    assert stored is not None and not stored.active
    assert len(fake.sent_to(-1001)) == len(fake.sent_to(4242)) == MESSAGES_PER_CHAT


async def test_a_migrated_group_gets_its_messages_at_the_new_id(
    fake: FakeTelegram, publish_env: dict[str, str], database_url: str
) -> None:
    fake.migrate(-1001, -1001999)
    assert await publish() == 0

    rows = await outbox_rows(database_url)
    assert texts_of(rows, "-1001") == []
    assert [message["text"] for message in fake.sent_to(-1001999)] == texts_of(rows, "-1001999")
    assert len(texts_of(rows, "-1001999")) == MESSAGES_PER_CHAT
    assert fake.sent_to(-1001) == []
    moved = await subscription_of(database_url, "telegram", "-1001999")
    assert moved is not None and moved.active


async def test_a_429_pauses_the_whole_bot_for_retry_after(
    fake: FakeTelegram, publish_env: dict[str, str], database_url: str
) -> None:
    """Telegram does not say which limit a 429 is about; the worker keeps every chat under its
    own, so it is the bot-wide one: no chat sends until retry_after has passed."""
    fake.fail_next(429, retry_after=1, method="sendMessage")
    assert await publish() == 0

    assert fake.too_many_requests == 1
    assert len(fake.sent) == len(CHATS) * MESSAGES_PER_CHAT
    [limited_at] = fake.rate_limited_at
    # Sends already on their way may land just after the 429; then nothing until retry_after.
    held = [message for message in fake.sent if limited_at + 0.2 < message["time"] < limited_at + 0.95]
    assert held == []


async def test_a_server_error_is_retried(fake: FakeTelegram, publish_env: dict[str, str], database_url: str) -> None:
    fake.fail_next(500, method="sendMessage")
    assert await publish() == 0
    rows = await outbox_rows(database_url)
    assert {row["status"] for row in rows} == {"sent"}
    assert len(fake.sent) == len(CHATS) * MESSAGES_PER_CHAT
    assert max(row["attempts"] for row in rows) == 2


async def test_dry_run_needs_no_token_and_prints_the_messages(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PAPERWIRE_TELEGRAM__CHATS", '["-1001", "@papers"]')
    assert await publish("--dry-run") == 0
    out = capsys.readouterr().out
    assert "=== telegram -1001 (en): 7 messages" in out
    assert "=== telegram @papers (en): 7 messages" in out
    assert "<b>Daily AI Papers - 2026-02-21</b>" in out
    assert "[Excluded papers] -> x:2026-02-20" in out


# ---------------------------------------------------------------- a kill mid fan-out


@pytest.mark.parametrize("in_flight", ["resend", "skip"])
async def test_a_killed_publish_rerun_sends_only_what_is_missing(
    fake: FakeTelegram, publish_env: dict[str, str], database_url: str, in_flight: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SIGKILL `paperwire publish` mid fan-out, let the dead sender's leases run out, run it again.

    Nothing is lost and nothing is sent twice, except the messages that were in flight at
    the kill: with in_flight = "resend" those may arrive twice, with "skip" they are marked
    abandoned and may be missing.
    """
    monkeypatch.setenv("PAPERWIRE_TELEGRAM__IN_FLIGHT", in_flight)
    fake.delay = 0.3  # every answer comes late, so sends are in flight when the kill lands
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "paperwire.bot.cli", *PUBLISH,
        cwd=REPO, env=dict(os.environ), stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    try:
        async with asyncio.timeout(60):
            while len(fake.sent) < len(CHATS) + 2:
                await asyncio.sleep(0.005)
    finally:
        process.kill()
        await process.wait()
    fake.delay = 0.0
    before_kill = Counter((message["chat"], message["text"]) for message in fake.sent)

    rows = await outbox_rows(database_url)
    in_flight_rows = {(row["chat_id"], row["message_index"]) for row in rows if row["status"] == "sending"}
    assert in_flight_rows, "the kill should land while messages are in flight"
    assert sum(before_kill.values()) < len(CHATS) * MESSAGES_PER_CHAT
    await expire_leases(database_url)

    code = await publish()

    rows = await outbox_rows(database_url)
    for chat in CHATS:
        expected = texts_of(rows, chat)
        assert len(expected) == MESSAGES_PER_CHAT
        got = [message["text"] for message in fake.sent_to(chat)]
        counts = Counter(got)
        for index, text in enumerate(expected):
            flying = (chat, index) in in_flight_rows
            if in_flight == "resend":
                assert counts[text] == 1 or (flying and counts[text] == 2), (chat, index, counts[text])
            else:
                assert counts[text] == 1 or (flying and counts[text] == 0), (chat, index, counts[text])
        # Order holds: each message's first arrival comes after the one before it.
        firsts = [got.index(text) for text in expected if text in got]
        assert firsts == sorted(firsts)
    statuses = Counter(row["status"] for row in rows)
    if in_flight == "resend":
        assert statuses == {"sent": len(CHATS) * MESSAGES_PER_CHAT} and code == 0
    else:
        abandoned = {(row["chat_id"], row["message_index"]) for row in rows if row["status"] == "abandoned"}
        assert abandoned == in_flight_rows
        assert statuses["sent"] == len(CHATS) * MESSAGES_PER_CHAT - len(abandoned)
        assert code == 1  # abandoned messages count as undelivered


# ---------------------------------------------------------------- the sender, message by message


def delivery(payload: dict, chat_id: str = "4242", index: int = 0) -> Delivery:
    return Delivery(id=index + 1, digest_id=1, platform="telegram", chat_id=chat_id, message_index=index,
                    payload=payload, attempts=1)  # fmt: skip


@pytest.fixture
async def sender(fake: FakeTelegram) -> AsyncIterator[TelegramSender]:
    settings = TelegramSettings(token=fake.token, base_url=fake.base_url)
    async with make_bot(settings) as bot:
        yield TelegramSender(bot, settings)


async def test_hostile_paper_text_is_accepted_by_telegram(fake: FakeTelegram, sender: TelegramSender) -> None:
    digest = make_digest(hostile=True, n_papers=6)
    long_abstract = ("A long abstract, with <tags> & ampersands. " * 120)[:5000]
    long_paper = make_paper(7, title="Long: <b>unbalanced & bare", abstract=long_abstract)
    digest.entries.append(make_entry(7, paper=long_paper, card=make_card(7, text=long_abstract, length=5000)))
    payloads = render_payloads(digest)

    outcomes = [await sender.send(delivery(payload, index=index)) for index, payload in enumerate(payloads)]

    assert all(isinstance(outcome, Sent) for outcome in outcomes), outcomes
    shown = "\n".join(message["plain_text"] for message in fake.sent)
    for fragment in ('<script>alert("x")</script>', "Bold & Brave", "مرحبا بالعالم", "🚀🧠🤖", "<b>unbalanced"):
        assert fragment in shown
    assert all(message["dropped_entities"] == 0 for message in fake.sent)


@pytest.mark.parametrize(
    ("arrange", "expected"),
    [
        (lambda fake: fake.block(4242), ChatGone("Forbidden: bot was blocked by the user")),
        (lambda fake: fake.kick(4242), ChatGone("Forbidden: bot was kicked from the private chat")),
        (lambda fake: fake.not_found(4242), ChatGone("Chat not found")),
        (lambda fake: fake.migrate(4242, -1009), ChatMoved("-1009")),
        (lambda fake: fake.fail_next(429, retry_after=7), RetryLater(7.0, "429 Too Many Requests: retry after 7s", "platform")),
    ],
)
async def test_each_telegram_failure_becomes_its_outcome(
    fake: FakeTelegram, sender: TelegramSender, arrange, expected
) -> None:
    arrange(fake)
    outcome = await sender.send(delivery(TelegramMessage("hello").to_dict()))
    assert outcome == expected


async def test_server_and_bad_request_errors(fake: FakeTelegram, sender: TelegramSender) -> None:
    fake.fail_next(502)
    outcome = await sender.send(delivery(TelegramMessage("hello").to_dict()))
    assert isinstance(outcome, RetryLater) and outcome.after == 0 and "Bad Gateway" in outcome.reason
    assert outcome.maybe_delivered  # a server error after the request: counted in doubt
    outcome = await sender.send(delivery({"text": "<b>broken", "buttons": []}))
    assert isinstance(outcome, Rejected) and "can't parse entities" in outcome.reason.lower()
    assert isinstance(await sender.send(delivery({"nothing": "here"})), Rejected)
    assert fake.sent == []


async def test_a_revoked_token_stops_the_platform(fake: FakeTelegram, sender: TelegramSender) -> None:
    fake.token = "42:a-new-token"  # the operator revoked the old one
    outcome = await sender.send(delivery(TelegramMessage("x").to_dict()))
    assert isinstance(outcome, PlatformStopped) and "PAPERWIRE_TELEGRAM__TOKEN" in outcome.reason


async def test_a_refused_token_at_start_is_not_quoted(fake: FakeTelegram) -> None:
    settings = TelegramSettings(token="42:not-the-token", base_url=fake.base_url)
    with pytest.raises(TokenRefused) as caught:
        async with make_bot(settings):
            pass
    assert "not-the-token" not in str(caught.value) and caught.value.__cause__ is None


async def test_no_answer_after_sending_is_in_doubt(fake: FakeTelegram) -> None:
    settings = TelegramSettings(token=fake.token, base_url=fake.base_url)
    async with telegram.Bot(fake.token, base_url=fake.base_url, request=HTTPXRequest(read_timeout=0.1)) as bot:
        fake.delay = 0.5  # the answer comes after the client gave up waiting
        outcome = await TelegramSender(bot, settings).send(delivery(TelegramMessage("maybe").to_dict()))
    assert isinstance(outcome, InDoubt) and "no answer" in outcome.reason
    assert [message["text"] for message in fake.sent] == ["maybe"]  # it did go out


def test_chat_rates_follow_the_chat_kind() -> None:
    settings = TelegramSettings(rate_per_bot=30, rate_per_private_chat=1, rate_per_group_per_minute=20)
    sender = TelegramSender(None, settings)  # type: ignore[arg-type]
    # A little under each limit, so jitter cannot push a burst over it.
    assert sender.platform_rate == pytest.approx(30 * PACING_HEADROOM)
    assert sender.chat_rate("4242") == pytest.approx(PACING_HEADROOM)
    assert sender.chat_rate("-1001234") == sender.chat_rate("@papers") == pytest.approx(20 / 60 * PACING_HEADROOM)
    assert 0.9 <= PACING_HEADROOM < 1


async def test_the_token_never_reaches_a_log_line(
    fake: FakeTelegram, sender: TelegramSender, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)  # `paperwire -v`
    for name in ("httpx", "telegram.Bot"):
        logging.getLogger(name).setLevel(logging.NOTSET)  # as a fresh process has them
    settings = sender.settings
    async with make_bot(settings) as bot:
        fake.fail_next(500)
        await TelegramSender(bot, settings).send(delivery(TelegramMessage("x").to_dict()))
        await TelegramSender(bot, settings).send(delivery(TelegramMessage("y").to_dict()))
    assert len(fake.sent) == 1
    ours = [record for record in caplog.records if record.name != "aiohttp.access"]  # the fake's own log
    assert all(fake.token.split(":")[1] not in record.getMessage() for record in ours)


def test_preview_shows_the_html_and_the_buttons() -> None:
    payloads = render_payloads(make_digest(n_papers=1))
    overview, card = preview_payload(payloads[0]), preview_payload(payloads[1])
    assert overview.startswith("<b>Daily AI Papers - 2026-02-21</b>")
    assert overview.endswith("[Excluded papers] -> x:2026-02-20")
    assert "[arXiv](https://arxiv.org/abs/2602.00001)" in card


class _FirstPictureRefused(set):
    """Telegram cannot fetch the first picture it is asked for (whichever paper the curation put first)."""

    def __contains__(self, url: object) -> bool:
        if not self:
            self.add(url)
        return set.__contains__(self, url)


async def test_cards_carry_the_list_picture_and_a_refused_picture_leaves_the_text(
    fake: FakeTelegram, publish_env: dict[str, str], database_url: str
) -> None:
    fake.unreachable_photos = _FirstPictureRefused()
    assert await publish() == 0
    [refused] = fake.unreachable_photos
    rows = await outbox_rows(database_url)
    assert {row["status"] for row in rows} == {"sent"} and len(rows) == len(CHATS) * MESSAGES_PER_CHAT
    for chat in CHATS:
        sent = fake.sent_to(chat)
        cards = sent[1:]
        photos = [card for card in cards if card["photo"]]
        assert photos, "short cards go as a photo with the card as its caption"
        assert all(len(card["plain_text"]) <= 1024 for card in photos)
        # The card whose picture Telegram could not fetch went out once, as text, in its place.
        chat_rows = [row for row in rows if row["chat_id"] == chat]
        [index] = [row["message_index"] for row in chat_rows if row["payload"].get("photo") == refused]
        assert not sent[index]["photo"] and sent[index]["text"] == chat_rows[index]["payload"]["text"]
        assert [row["remote_id"] for row in chat_rows] == [str(m["message_id"]) for m in sent]


async def test_a_chat_that_voted_is_delivered_its_own_picks(
    fake: FakeTelegram, publish_env: dict[str, str], database_url: str
) -> None:
    # Build the day without sending (a dry run stores nothing), then vote in one chat as its members would.
    assert await asyncio.to_thread(main, ["digest", "--source", "sample", "--date", "2026-02-20"]) == 0
    for arxiv_id in ("2602.14417", "2602.14852"):  # the sample day's two Agentic RL picks
        assert await asyncio.to_thread(main, ["ask", "--chat", "telegram:-1002", f"dislike {arxiv_id}"]) == 0
    assert await publish() == 0
    voter, other = fake.sent_to("-1002"), fake.sent_to("-1001")
    assert len(other) == MESSAGES_PER_CHAT
    # Two 👎 on agentic-RL papers: the voting chat's later picks lean away from that kind,
    # so it gets fewer cards than the chat that never voted, which gets the global picks.
    titles = [card["plain_text"].split("\n", 1)[0] for card in voter[1:]]
    assert 0 < len(voter) < len(other)
    assert [card["plain_text"].split("\n", 1)[0] for card in other[1:]] != titles


@settings(max_examples=200, deadline=None)
@given(
    chat=st.from_regex(r"-?[0-9]{1,14}|@[a-z_]{3,20}", fullmatch=True),
    text=st.text(max_size=300),
    markup=st.text(min_size=64, max_size=200),
)
def test_the_fanout_client_sends_the_form_body_httpx_would(chat: str, text: str, markup: str) -> None:
    """Long values are quoted once and remembered; the bytes and headers sent are httpx's own."""
    data = {"chat_id": chat, "text": text, "parse_mode": "HTML", "reply_markup": markup}
    for _ in range(2):  # the second time from what was remembered
        ours = _FormClient().build_request("POST", "http://bot.test/sendMessage", data=data, headers={"User-Agent": "x"})
        theirs = httpx.AsyncClient().build_request(
            "POST", "http://bot.test/sendMessage", data=data, headers={"User-Agent": "x"}
        )
        assert ours.read() == theirs.read()
        assert dict(ours.headers) == dict(theirs.headers)

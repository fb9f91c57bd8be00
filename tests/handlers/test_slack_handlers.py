"""`/papers` over HTTP: the real Bolt app wired by `register`, on an aiohttp server, driven by the fake Slack.

The fake signs each command the way Slack does and posts it to `/slack/events`; the app
must ack within 3 s and answer at the command's `response_url`. A forged or stale request
gets 401 and is never run. The store holds the shipped sample day and its digest.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp
import pytest
from aiohttp import web
from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from paperwire.bot.curation.taxonomy import load_taxonomy
from paperwire.bot.pipeline import Pipeline
from paperwire.bot.similar.index import SimilarityIndex
from paperwire.bot.similar.lsa import shipped_model
from paperwire.bot.slack_app import EVENTS_PATH, add_slack_routes, build_app
from paperwire.bot.sources.files import read_file
from paperwire.bot.sources.hf import HFClient
from paperwire.bot.store import subscriptions, votes
from paperwire.bot.store.database import Database
from paperwire.bot.summarize.extractive import ExtractiveSummarizer
from paperwire.config.settings import DEFAULT_TOPICS_FILE, CommandSettings, ConfigError, SlackSettings
from paperwire.formatters.slack import EXCLUDED_ACTION_ID, validate_blocks
from paperwire.handlers import parse
from paperwire.handlers.commands import COMMANDS
from paperwire.handlers.core import CommandCore
from paperwire.handlers.slack import register
from tests.fakes.hf import FakeHF, make_paper
from tests.fakes.slack import Ack, SlackFake
from tests.fakes.slack_events import block_action_payload, sign, slash_command_payload

REPO = Path(__file__).resolve().parents[2]
LIST_DAY = date(2026, 2, 20)
SECRET = "test-signing-secret"
CHANNEL = "C0PAPERS"
PICKED = "2602.14417"  # ToolForge-RL, a must-read of the sample day
HOSTILE = "2602.14852"  # its title carries `&` and `<b>` tags


# ---------------------------------------------------------------- the store, the core, the app


async def sample_pipeline(db: Database) -> Pipeline:
    """The shipped sample day, ingested and published (so `today` has a digest)."""
    similar = SimilarityIndex(db, shipped_model())
    pipeline = Pipeline(db, load_taxonomy(DEFAULT_TOPICS_FILE), ExtractiveSummarizer(), similar=similar)
    await pipeline.ingest(read_file(REPO / "bot" / "sample" / f"{LIST_DAY}.json"), "sample")
    assert await pipeline.build(LIST_DAY, "en") is not None
    return pipeline


def sample_core(db: Database, pipeline: Pipeline, hf: HFClient | None = None) -> CommandCore:
    return CommandCore(
        db=db,
        pipeline=pipeline,
        taxonomy=pipeline.taxonomy,
        hf=hf,
        arxiv=None,
        commands=CommandSettings(per_user_per_minute=1000),
    )


@pytest.fixture
async def pipeline(db: Database) -> Pipeline:
    return await sample_pipeline(db)


@pytest.fixture
async def fake() -> AsyncIterator[SlackFake]:
    async with SlackFake() as server:
        yield server


@dataclass
class HttpApp:
    """A Bolt app served over HTTP, and the fake told to send it signed events."""

    fake: SlackFake
    url: str


ServeApp = Callable[..., Awaitable[HttpApp]]


@pytest.fixture
async def serve(fake: SlackFake, db: Database, pipeline: Pipeline) -> AsyncIterator[ServeApp]:
    """Start the app built from settings (or a given Bolt app) on a local aiohttp server."""
    runners: list[web.AppRunner] = []

    async def start(core: CommandCore | None = None, app: AsyncApp | None = None, **slack: Any) -> HttpApp:
        settings = SlackSettings(bot_token=fake.bot_token, signing_secret=SECRET, base_url=fake.base_url, **slack)
        bolt = app or build_app(settings, core or sample_core(db, pipeline))
        web_app = web.Application()
        add_slack_routes(web_app, bolt)
        runner = web.AppRunner(web_app)
        await runner.setup()
        runners.append(runner)
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        url = f"http://127.0.0.1:{runner.addresses[0][1]}{EVENTS_PATH}"
        fake.use_http_events(url, SECRET)
        return HttpApp(fake, url)

    yield start
    for runner in runners:
        await runner.cleanup()


async def replies(
    fake: SlackFake, response_url: str, *, at_least: int = 1, timeout: float = 15.0
) -> list[dict[str, Any]]:
    """What the app posted to `response_url`, once it has posted `at_least` replies."""
    deadline = time.monotonic() + timeout
    while len(fake.responses(response_url)) < at_least:
        if time.monotonic() > deadline:
            raise AssertionError(f"no reply at {response_url} within {timeout} s")
        await asyncio.sleep(0.02)
    await asyncio.sleep(0.05)  # a reply of several messages finishes
    return fake.responses(response_url)


async def ask(
    fake: SlackFake, text: str, *, user: str = "U0TESTER", channel: str = CHANNEL
) -> tuple[Ack, list[dict[str, Any]]]:
    url = fake.new_response_url()
    envelope = await fake.send_slash_command(text=text, user_id=user, channel_id=channel, response_url=url)
    ack = await fake.wait_for_ack(envelope)
    return ack, await replies(fake, url)


def reply_text(answers: list[dict[str, Any]]) -> str:
    parts = []
    for answer in answers:
        parts.append(answer.get("text") or "")
        for block in answer.get("blocks") or []:
            if "text" in block:
                parts.append(block["text"]["text"])
            parts.extend(str(element.get("text", "")) for element in block.get("elements", []))
    return "\n".join(parts)


def mrkdwn_of(answers: list[dict[str, Any]]) -> str:
    """Only what Slack parses for mentions and links: the text, sections and context (headers are plain text)."""
    parts = [answer.get("text") or "" for answer in answers]
    for answer in answers:
        for block in answer.get("blocks") or []:
            if block.get("type") == "section":
                parts.append(block["text"]["text"])
            elif block.get("type") == "context":
                parts.extend(element["text"] for element in block["elements"])
    return "\n".join(parts)


async def subscription_of(db: Database, channel: str = CHANNEL) -> subscriptions.Subscription | None:
    async with db.connect() as connection:
        return await subscriptions.get_subscription(connection, "slack", channel)


# ---------------------------------------------------------------- every subcommand


# (command line, words the reply must show); in this order, so subscribing comes before unsubscribing.
EVERY_SUBCOMMAND: list[tuple[str, str]] = [
    ("today", "Daily AI Papers - 2026-02-21"),
    ("digest 2026-02-20", "Daily AI Papers - 2026-02-21"),
    ("digest yesterday", "There is no digest before the latest one"),
    (f"paper {PICKED}", "ToolForge-RL"),
    (f"paper https://arxiv.org/abs/{HOSTILE}v2", "Undo &amp; Retry: Teaching &lt;b&gt;Terminal&lt;/b&gt;"),
    ("search world model", "Search: world model"),
    (f"related {PICKED}", "Related to ToolForge-RL"),
    (f"like {PICKED}", "👍 noted for ToolForge-RL"),
    (f"dislike {HOSTILE}", "👎 noted for"),
    ("taste", "This chat's taste, from 2 votes"),
    ("taste reset", "Forgot this chat's 2 votes"),
    ("topics", "Topics: papers over the last 1 list days"),
    ("topic agentic-rl 30", "ToolForge-RL"),
    ("excluded", "Excluded papers - 2026-02-20"),
    ("excluded 2026-02-20", "Kestrel-2 Technical Report"),
    ("trends 14", "Papers per topic"),
    ("subscribe agentic-rl vla", "This chat now gets the digest."),
    ("settings", "This chat's subscription"),
    ("settings time 08:15 tz Asia/Shanghai lang zh", "设置已保存。"),
    ("unsubscribe", "本会话已停止接收日报。"),
    ("help", "/papers today"),
    ("start", "/papers subscribe"),
    ("", "/papers search"),  # a bare /papers
    ("frobnicate now", "没有 “frobnicate” 这个命令。"),
    ("topic", "命令后缺少参数。"),
]


def test_the_table_covers_every_command_of_the_core() -> None:
    typed = {parse.command_name(line.split()[0]) for line, _ in EVERY_SUBCOMMAND if line}
    assert set(COMMANDS) <= typed


async def test_every_subcommand_is_acked_at_once_and_answered_at_the_response_url(
    serve: ServeApp, fake: SlackFake, db: Database
) -> None:
    await serve()
    for line, expected in EVERY_SUBCOMMAND:
        ack, answers = await ask(fake, line)

        assert ack.mode == "http" and ack.status == 200 and ack.in_time, (line, ack)
        assert ack.payload in (None, ""), "the ack carries nothing; the answer comes at the response_url"
        assert expected in reply_text(answers), (line, reply_text(answers)[:300])
        for answer in answers:
            assert answer["response_type"] == "ephemeral"
            assert validate_blocks(answer.get("blocks", [])) == []
        if line.startswith("subscribe"):
            subscription = await subscription_of(db)
            assert subscription is not None and subscription.active
            assert (subscription.topics, subscription.chat_kind) == (["agentic-rl", "vla"], "group")
    subscription = await subscription_of(db)
    assert subscription is not None and not subscription.active
    chosen = (subscription.delivery_time, subscription.timezone, subscription.language)
    assert chosen == ("08:15", "Asia/Shanghai", "zh")
    assert fake.events.unacked == []


async def test_digests_and_topics_go_to_the_channel_when_replies_are_public(serve: ServeApp, fake: SlackFake) -> None:
    await serve(public_replies=True)

    for line, response_type in [
        ("today", "in_channel"),
        ("topics", "in_channel"),
        ("trends", "in_channel"),
        ("topic vla", "in_channel"),
        (f"paper {PICKED}", "ephemeral"),
        ("search agent", "ephemeral"),
        ("excluded", "ephemeral"),
        ("digest 1999-01-01", "ephemeral"),  # a refusal answers the asker only
    ]:
        _, answers = await ask(fake, line)
        assert {answer["response_type"] for answer in answers} == {response_type}, line


async def test_a_slow_lookup_is_acked_in_time_and_answered_later(
    serve: ServeApp, fake: SlackFake, db: Database, pipeline: Pipeline
) -> None:
    async with FakeHF() as hf_server, aiohttp.ClientSession() as session:
        hf_server.papers["2603.00001"] = make_paper("2603.00001", "SlowPaper: Looked Up On Demand", "Invented.")
        hf_server.delay_next(3.5)
        await serve(core=sample_core(db, pipeline, HFClient(session, hf_server.base_url, timeout=10, max_retries=0)))
        url = fake.new_response_url()

        ack = await fake.wait_for_ack(await fake.send_slash_command(text="paper 2603.00001", response_url=url))
        answers = await replies(fake, url)

    assert ack.in_time and ack.seconds < 3.0
    assert answers[0]["time"] - ack.acked_at >= 3.0
    assert "SlowPaper" in reply_text(answers)


# ---------------------------------------------------------------- buttons


async def test_the_excluded_button_answers_with_the_excluded_list(serve: ServeApp, fake: SlackFake) -> None:
    await serve()
    url = fake.new_response_url()
    payload = block_action_payload(
        EXCLUDED_ACTION_ID, "2026-02-20", user_id="U0TESTER", channel_id=CHANNEL, message_ts="1.2", response_url=url
    )

    ack = await fake.wait_for_ack(await fake.send_interactive(payload))
    answers = await replies(fake, url)

    assert ack.status == 200 and ack.in_time
    assert "Excluded papers - 2026-02-20" in reply_text(answers)
    assert answers[0]["response_type"] == "ephemeral" and answers[0]["replace_original"] is False


async def test_vote_buttons_count_each_member_once_and_answer_only_them(
    serve: ServeApp, fake: SlackFake, db: Database
) -> None:
    await serve()
    for user, kind in (("U1", "like"), ("U1", "like"), ("U2", "like"), ("U2", "dislike"), ("U3", "like")):
        url = fake.new_response_url()
        payload = block_action_payload(
            f"paperwire_vote_{kind}_{PICKED}", PICKED, user_id=user, channel_id=CHANNEL, message_ts="1.2", response_url=url
        )
        ack = await fake.wait_for_ack(await fake.send_interactive(payload))
        answers = await replies(fake, url)
        assert ack.status == 200 and ack.in_time
        assert ("👍 noted for ToolForge-RL" if kind == "like" else "👎 noted") in reply_text(answers)
        assert answers[0]["response_type"] == "ephemeral"
    async with db.connect() as connection:
        assert await votes.chat_votes(connection, "slack", CHANNEL) == {PICKED: 1}  # U1 once, U2's last, U3
    url = fake.new_response_url()
    unknown = block_action_payload(
        "paperwire_vote_like_2612.99999", "2612.99999", user_id="U4", channel_id=CHANNEL, message_ts="1.2", response_url=url
    )
    await fake.wait_for_ack(await fake.send_interactive(unknown))
    assert "not a stored paper" in reply_text(await replies(fake, url))


async def test_link_buttons_are_acked_and_answer_nothing(serve: ServeApp, fake: SlackFake) -> None:
    await serve()
    url = fake.new_response_url()
    payload = block_action_payload(
        f"paperwire_open_arxiv_{PICKED}", PICKED, user_id="U1", channel_id=CHANNEL, message_ts="1.2", response_url=url
    )

    ack = await fake.wait_for_ack(await fake.send_interactive(payload))
    await asyncio.sleep(0.3)

    assert ack.status == 200 and ack.in_time and fake.responses(url) == []


async def test_an_excluded_button_with_a_bad_day_gets_usage(serve: ServeApp, fake: SlackFake) -> None:
    await serve()
    url = fake.new_response_url()
    payload = block_action_payload(
        EXCLUDED_ACTION_ID, "<!channel>", user_id="U1", channel_id=CHANNEL, message_ts="1.2", response_url=url
    )

    await fake.wait_for_ack(await fake.send_interactive(payload))

    assert "is not a day" in reply_text(await replies(fake, url))


# ---------------------------------------------------------------- signatures


async def test_a_forged_signature_gets_401_and_is_not_run(serve: ServeApp, fake: SlackFake, db: Database) -> None:
    app = await serve()
    fake.use_http_events(app.url, "not-the-signing-secret")
    url = fake.new_response_url()

    ack = await fake.wait_for_ack(await fake.send_slash_command(text="subscribe", response_url=url))
    await asyncio.sleep(0.3)

    assert ack.status == 401
    assert fake.responses(url) == [] and await subscription_of(db) is None


@pytest.mark.parametrize("age_seconds", [301, 3600, -400])
async def test_a_stale_request_gets_401_and_is_not_run(
    serve: ServeApp, fake: SlackFake, db: Database, age_seconds: int
) -> None:
    """Correctly signed, but older than 5 minutes (or from the future): a replay."""
    app = await serve()
    url = fake.new_response_url()
    payload = slash_command_payload(
        "/papers", "subscribe", user_id="U1", channel_id=CHANNEL, response_url=url, user_name="u", channel_name="papers"
    )
    body = urlencode(payload).encode()
    timestamp = str(int(time.time()) - age_seconds)
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Slack-Request-Timestamp": timestamp,
        "X-Slack-Signature": sign(SECRET, timestamp, body),
    }

    async with aiohttp.ClientSession() as session:
        async with session.post(app.url, data=body, headers=headers) as response:
            status = response.status
        async with session.post(app.url, data=body, headers={"Content-Type": headers["Content-Type"]}) as unsigned:
            unsigned_status = unsigned.status
    await asyncio.sleep(0.3)

    assert (status, unsigned_status) == (401, 401)
    assert fake.responses(url) == [] and await subscription_of(db) is None


async def test_a_tampered_body_gets_401(serve: ServeApp, fake: SlackFake, db: Database) -> None:
    app = await serve()
    url = fake.new_response_url()
    signed = urlencode(
        slash_command_payload(
            "/papers", "help", user_id="U1", channel_id=CHANNEL, response_url=url, user_name="u", channel_name="p"
        )
    ).encode()
    timestamp = str(int(time.time()))
    tampered = signed.replace(b"text=help", b"text=subscribe")
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Slack-Request-Timestamp": timestamp,
        "X-Slack-Signature": sign(SECRET, timestamp, signed),
    }

    async with aiohttp.ClientSession() as session, session.post(app.url, data=tampered, headers=headers) as response:
        assert response.status == 401
    assert await subscription_of(db) is None


def test_http_mode_without_a_signing_secret_is_refused(db: Database, pipeline: Pipeline) -> None:
    with pytest.raises(ConfigError, match="PAPERWIRE_SLACK__SIGNING_SECRET"):
        build_app(SlackSettings(bot_token="xoxb-x"), sample_core(db, pipeline))


# ---------------------------------------------------------------- who may subscribe


async def test_with_admins_only_a_member_cannot_subscribe_a_channel(
    serve: ServeApp, fake: SlackFake, db: Database
) -> None:
    await serve(admins_only=True)

    _, refused = await ask(fake, "subscribe")
    _, today = await ask(fake, "today")
    _, direct = await ask(fake, "subscribe", channel="D0DIRECT")

    assert "Only an admin of this chat" in reply_text(refused) and await subscription_of(db) is None
    assert "Daily AI Papers" in reply_text(today)
    assert "now gets the digest" in reply_text(direct)  # a direct message is the user's own chat


async def test_with_admins_only_a_workspace_admin_may_subscribe(serve: ServeApp, fake: SlackFake, db: Database) -> None:
    fake.admins.add("U0ADMIN")
    await serve(admins_only=True)

    _, member = await ask(fake, "unsubscribe", user="U0MEMBER")
    _, admin = await ask(fake, "subscribe efficient-llm", user="U0ADMIN")

    assert "Only an admin" in reply_text(member)
    assert "now gets the digest" in reply_text(admin)
    subscription = await subscription_of(db)
    assert subscription is not None and subscription.topics == ["efficient-llm"]


async def test_without_admins_only_anyone_in_the_channel_may_subscribe(
    serve: ServeApp, fake: SlackFake, db: Database
) -> None:
    await serve()

    _, answers = await ask(fake, "subscribe", user="U0ANYONE")

    assert "now gets the digest" in reply_text(answers)
    assert fake.calls.count("users.info") == 0


# ---------------------------------------------------------------- failures


async def test_a_failure_is_logged_with_its_traceback_and_the_user_gets_an_apology(
    serve: ServeApp, fake: SlackFake, db: Database, pipeline: Pipeline, caplog: pytest.LogCaptureFixture
) -> None:
    def exploding(view: object) -> list:
        raise RuntimeError("renderer exploded near /home/secret/path")

    settings = SlackSettings(bot_token=fake.bot_token, signing_secret=SECRET, base_url=fake.base_url)
    bolt = AsyncApp(
        client=AsyncWebClient(token=fake.bot_token, base_url=fake.base_url), signing_secret=SECRET, name="test"
    )
    register(bolt, sample_core(db, pipeline), settings=settings, render=exploding)
    await serve(app=bolt)

    with caplog.at_level(logging.ERROR, logger="paperwire.handlers.slack"):
        ack, answers = await ask(fake, "help")

    assert ack.status == 200
    assert "Sorry, something went wrong" in reply_text(answers)
    assert "exploded" not in reply_text(answers) and "Traceback" not in reply_text(answers)
    failure = next(record for record in caplog.records if record.name == "paperwire.handlers.slack")
    assert failure.exc_info is not None and "renderer exploded" in str(failure.exc_info[1])


async def test_hostile_command_text_is_answered_safely(serve: ServeApp, fake: SlackFake) -> None:
    await serve()

    hostile = ["search <!channel> & <@U1> <https://evil.example|x>", "paper <script>", "topic " + "ü" * 500, "\u0000\u202e"]
    for line in hostile:
        ack, answers = await ask(fake, line)
        assert ack.status == 200
        text = mrkdwn_of(answers)
        assert "<!channel>" not in text and "<@U1>" not in text and "<https://evil" not in text
        assert all(validate_blocks(answer.get("blocks", [])) == [] for answer in answers)


# ---------------------------------------------------------------- hostile requests


@pytest.mark.parametrize(
    ("body", "headers"),
    [
        (b"{not json", {"Content-Type": "application/json"}),
        (b"payload=%7Bbroken", {"Content-Type": "application/x-www-form-urlencoded"}),
        (b"command=/papers", {"X-Slack-Request-Timestamp": "not-a-number", "X-Slack-Signature": "v0=00"}),
        (b"command=/papers", {"X-Slack-Request-Timestamp": "1e9", "X-Slack-Signature": "v0=00"}),
        (b"\xff\xfe\x00", {"X-Slack-Request-Timestamp": "", "X-Slack-Signature": ""}),
    ],
)
async def test_an_unsigned_or_malformed_request_gets_401_with_one_line_and_no_traceback(
    serve: ServeApp, caplog: pytest.LogCaptureFixture, body: bytes, headers: dict[str, str]
) -> None:
    app = await serve()
    caplog.clear()
    async with aiohttp.ClientSession() as session, session.post(app.url, data=body, headers=headers) as response:
        assert response.status == 401
    problems = [record for record in caplog.records if record.levelno >= logging.WARNING]
    assert len(problems) == 1 and problems[0].exc_info is None


async def test_a_signed_body_that_is_not_a_slack_payload_gets_400(
    serve: ServeApp, caplog: pytest.LogCaptureFixture
) -> None:
    app = await serve()
    body = b"\xff\xfe not text"
    timestamp = str(int(time.time()))
    headers = {"X-Slack-Request-Timestamp": timestamp, "X-Slack-Signature": sign(SECRET, timestamp, body)}
    caplog.clear()
    async with aiohttp.ClientSession() as session, session.post(app.url, data=body, headers=headers) as response:
        assert response.status == 400
    problems = [record for record in caplog.records if record.levelno >= logging.WARNING]
    assert len(problems) == 1 and problems[0].exc_info is None


async def test_a_replayed_signed_command_runs_once(serve: ServeApp, fake: SlackFake, db: Database) -> None:
    app = await serve()
    url = fake.new_response_url()
    body = urlencode(
        slash_command_payload(
            "/papers", "subscribe", user_id="U1", channel_id=CHANNEL, response_url=url, user_name="u", channel_name="p"
        )
    ).encode()
    timestamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Slack-Request-Timestamp": timestamp,
        "X-Slack-Signature": sign(SECRET, timestamp, body),
    }
    statuses = []
    async with aiohttp.ClientSession() as session:
        for _ in range(3):
            async with session.post(app.url, data=body, headers=headers) as response:
                statuses.append(response.status)
    await replies(fake, url)
    await asyncio.sleep(0.3)
    assert statuses == [200, 200, 200]
    assert len(fake.responses(url)) == 1  # answered once

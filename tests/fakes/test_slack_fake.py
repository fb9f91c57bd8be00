"""The fake Slack behaves like Slack for the real slack_sdk clients paperwire uses."""

from __future__ import annotations

import asyncio
import json
import math
from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_interval_calculators import FixedValueRetryIntervalCalculator
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.signature import SignatureVerifier
from slack_sdk.socket_mode.aiohttp import SocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.socket_mode.response import SocketModeResponse
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from tests.fakes.server import start_local
from paperwire.formatters.slack import render_digest
from tests.fakes.slack import RESPONSE_URL_LIFETIME, SlackFake
from tests.fakes.slack_digests import hostile_entries, make_digest

SECTION = [{"type": "section", "text": {"type": "mrkdwn", "text": "hello"}}]


@pytest.fixture
async def fake() -> AsyncIterator[SlackFake]:
    async with SlackFake() as server:
        yield server


@pytest.fixture
def client(fake: SlackFake) -> AsyncWebClient:
    return AsyncWebClient(token=fake.bot_token, base_url=fake.base_url)


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_auth_test_answers_for_the_bot_token(client: AsyncWebClient) -> None:
    response = await client.auth_test()
    assert response["ok"] is True
    assert response["user_id"].startswith("U")


@pytest.mark.parametrize(("token", "error"), [("xoxb-wrong", "invalid_auth"), ("", "not_authed")])
async def test_a_bad_token_is_refused(fake: SlackFake, token: str, error: str) -> None:
    with pytest.raises(SlackApiError) as raised:
        await AsyncWebClient(token=token or None, base_url=fake.base_url).auth_test()
    assert raised.value.response["error"] == error


async def test_post_message_returns_increasing_ts_and_records_the_post(fake: SlackFake, client: AsyncWebClient) -> None:
    first = await client.chat_postMessage(channel="C1", text="parent", blocks=SECTION)
    second = await client.chat_postMessage(channel="C2", text="other channel")
    assert first["ok"] and first["channel"] == "C1"
    assert float(second["ts"]) > float(first["ts"]) and second["ts"] > first["ts"]
    assert [post["channel"] for post in fake.posted] == ["C1", "C2"]
    assert fake.posted[0]["blocks"] == SECTION
    assert fake.message("C1", first["ts"])["text"] == "parent"


async def test_thread_replies_are_recorded_under_their_parent() -> None:
    fast = SlackFake(rate_per_channel=math.inf)
    async with fast:
        threaded = AsyncWebClient(token=fast.bot_token, base_url=fast.base_url)
        parent = await threaded.chat_postMessage(channel="C1", text="overview")
        reply = await threaded.chat_postMessage(channel="C1", text="card", thread_ts=parent["ts"])
        assert reply["message"]["thread_ts"] == parent["ts"]
        assert [post["text"] for post in fast.thread("C1", parent["ts"])] == ["card"]


async def test_invalid_blocks_are_refused_like_slack_does(fake: SlackFake, client: AsyncWebClient) -> None:
    blocks = [
        {"type": "header", "text": {"type": "plain_text", "text": "x" * 151}},
        {"type": "section", "text": {"type": "mrkdwn", "text": "y" * 3001}},
        {"type": "actions", "elements": [{"type": "button", "text": {"type": "plain_text", "text": "z" * 76}}] * 26},
        {"type": "carousel"},
    ]
    with pytest.raises(SlackApiError) as raised:
        await client.chat_postMessage(channel="C1", text="fallback", blocks=blocks)
    response = raised.value.response
    assert response["error"] == "invalid_blocks"
    errors = response["errors"]
    assert "must be less than 151 characters [json-pointer:/blocks/0/text/text]" in errors
    assert "must be less than 3001 characters [json-pointer:/blocks/1/text/text]" in errors
    assert any("/blocks/2/elements/0/text/text" in error for error in errors)
    assert any("no more than 25 items [json-pointer:/blocks/2/elements]" in error for error in errors)
    assert any("/blocks/3/type" in error for error in errors)
    assert fake.posted == [] and fake.rejected[0]["error"] == "invalid_blocks"


async def test_more_than_50_blocks_are_refused(client: AsyncWebClient) -> None:
    with pytest.raises(SlackApiError) as raised:
        await client.chat_postMessage(channel="C1", text="t", blocks=[{"type": "divider"}] * 51)
    assert raised.value.response["error"] == "invalid_blocks"


async def test_duplicate_action_ids_are_refused(client: AsyncWebClient) -> None:
    button = {"type": "button", "text": {"type": "plain_text", "text": "Go"}, "action_id": "same"}
    with pytest.raises(SlackApiError) as raised:
        blocks = [{"type": "actions", "elements": [button, button]}]
        await client.chat_postMessage(channel="C1", text="t", blocks=blocks)
    assert any("duplicate action_id" in error for error in raised.value.response["errors"])


async def test_form_encoded_blocks_are_read_as_json(fake: SlackFake, client: AsyncWebClient) -> None:
    await client.api_call("chat.postMessage", data={"channel": "C1", "text": "t", "blocks": json.dumps(SECTION)})
    assert fake.posted[0]["blocks"] == SECTION
    with pytest.raises(SlackApiError) as raised:
        await client.api_call("chat.postMessage", data={"channel": "C2", "text": "t", "blocks": "[{"})
    assert raised.value.response["error"] == "invalid_blocks_format"


async def test_a_message_needs_text_or_blocks(client: AsyncWebClient) -> None:
    with pytest.raises(SlackApiError) as raised:
        await client.api_call("chat.postMessage", json={"channel": "C1"})
    assert raised.value.response["error"] == "no_text"


async def test_the_formatters_hostile_digest_is_accepted() -> None:
    fast = SlackFake(rate_per_channel=math.inf, rate_per_workspace=math.inf)
    async with fast:
        poster = AsyncWebClient(token=fast.bot_token, base_url=fast.base_url)
        for language in ("en", "zh"):
            digest = make_digest(hostile_entries(), language=language)
            for message in render_digest(digest, excluded_action_value="2026-02-20"):
                await poster.chat_postMessage(channel=f"C-{language}", text=message.text, blocks=message.blocks)
        assert len(fast.posted) == 2 * (1 + len(hostile_entries()))
        assert fast.rejected == []


async def test_a_second_post_within_a_second_is_rate_limited(fake: SlackFake, client: AsyncWebClient) -> None:
    await client.chat_postMessage(channel="C1", text="one")
    with pytest.raises(SlackApiError) as raised:
        await client.chat_postMessage(channel="C1", text="two")
    assert raised.value.response.status_code == 429
    assert raised.value.response["error"] == "ratelimited"
    assert int(raised.value.response.headers["Retry-After"]) >= 1
    assert fake.rate_limited == 1
    await client.chat_postMessage(channel="C2", text="another channel is not limited")
    assert [post["text"] for post in fake.posted] == ["one", "another channel is not limited"]


async def test_slack_sdk_retry_handler_waits_out_the_429(fake: SlackFake) -> None:
    handler = AsyncRateLimitErrorRetryHandler(max_retry_count=2)
    retrying = AsyncWebClient(token=fake.bot_token, base_url=fake.base_url, retry_handlers=[handler])
    await retrying.chat_postMessage(channel="C1", text="one")
    await retrying.chat_postMessage(channel="C1", text="two")
    assert fake.rate_limited >= 1
    assert [post["text"] for post in fake.posted] == ["one", "two"]
    assert fake.posted[1]["time"] - fake.posted[0]["time"] >= 1.0


async def test_the_workspace_cap_limits_posts_across_channels() -> None:
    async with SlackFake(rate_per_channel=math.inf, rate_per_workspace=3.0) as fake:
        client = AsyncWebClient(token=fake.bot_token, base_url=fake.base_url)
        for number in range(3):
            await client.chat_postMessage(channel=f"C{number}", text="ok")
        with pytest.raises(SlackApiError) as raised:
            await client.chat_postMessage(channel="C9", text="over the cap")
        assert raised.value.response.status_code == 429
        assert "Retry-After" in raised.value.response.headers


@pytest.mark.parametrize("error", ["channel_not_found", "not_in_channel", "is_archived"])
async def test_channel_errors(fake: SlackFake, client: AsyncWebClient, error: str) -> None:
    fake.fail_channel("C1", error)
    with pytest.raises(SlackApiError) as raised:
        await client.chat_postMessage(channel="C1", text="x")
    assert raised.value.response.status_code == 200
    assert raised.value.response["error"] == error
    fake.heal_channel("C1")
    assert (await client.chat_postMessage(channel="C1", text="x"))["ok"]


@pytest.mark.parametrize("error", ["token_revoked", "invalid_auth"])
async def test_a_revoked_token_fails_every_call(fake: SlackFake, client: AsyncWebClient, error: str) -> None:
    fake.revoke(error)
    for call in (client.auth_test(), client.chat_postMessage(channel="C1", text="x")):
        with pytest.raises(SlackApiError) as raised:
            await call
        assert raised.value.response["error"] == error
    assert fake.posted == []


async def test_server_errors_then_recovery(fake: SlackFake, client: AsyncWebClient) -> None:
    fake.fail_next(500, times=1, method="chat.postMessage")
    with pytest.raises(SlackApiError) as raised:
        await client.chat_postMessage(channel="C1", text="x")
    assert raised.value.response.status_code == 500
    assert (await client.chat_postMessage(channel="C1", text="x"))["ok"]


async def test_slack_sdk_server_error_handler_retries_a_503(fake: SlackFake) -> None:
    fake.fail_next(503, times=1)
    handler = AsyncServerErrorRetryHandler(interval_calculator=FixedValueRetryIntervalCalculator(0.01))
    retrying = AsyncWebClient(token=fake.bot_token, base_url=fake.base_url, retry_handlers=[handler])
    assert (await retrying.auth_test())["ok"]
    assert fake.calls == ["auth.test", "auth.test"]


async def test_a_slow_server_times_the_client_out(fake: SlackFake) -> None:
    fake.delay = 2.0
    impatient = AsyncWebClient(token=fake.bot_token, base_url=fake.base_url, timeout=1)
    with pytest.raises(asyncio.TimeoutError):
        await impatient.auth_test()


async def test_chat_update_changes_a_posted_message(fake: SlackFake, client: AsyncWebClient) -> None:
    posted = await client.chat_postMessage(channel="C1", text="before")
    updated = await client.chat_update(channel="C1", ts=posted["ts"], text="after", blocks=SECTION)
    assert updated["ts"] == posted["ts"]
    assert fake.message("C1", posted["ts"])["text"] == "after"
    assert fake.updated[0]["blocks"] == SECTION
    with pytest.raises(SlackApiError) as raised:
        await client.chat_update(channel="C1", ts="1.000000", text="nothing there")
    assert raised.value.response["error"] == "message_not_found"


async def test_post_ephemeral_is_recorded_for_its_user(fake: SlackFake, client: AsyncWebClient) -> None:
    response = await client.chat_postEphemeral(channel="C1", user="U1", text="only you", blocks=SECTION)
    assert response["message_ts"]
    assert fake.ephemeral[0]["user"] == "U1" and fake.posted == []


async def test_conversations_info_reports_membership(fake: SlackFake, client: AsyncWebClient) -> None:
    fake.fail_channel("C2", "not_in_channel")
    assert (await client.conversations_info(channel="C1"))["channel"]["is_member"] is True
    assert (await client.conversations_info(channel="C2"))["channel"]["is_member"] is False


async def test_response_url_takes_five_replies(fake: SlackFake) -> None:
    url = fake.new_response_url()
    webhook = AsyncWebhookClient(url)
    for number in range(5):
        assert (await webhook.send(text=f"reply {number}")).status_code == 200
    refused = await webhook.send(text="sixth")
    assert refused.status_code == 404 and "used_url" in refused.body
    assert [reply["text"] for reply in fake.responses(url)] == [f"reply {number}" for number in range(5)]


async def test_response_url_checks_blocks_and_expires() -> None:
    clock = FakeClock()
    async with SlackFake(clock=clock) as fake:
        url = fake.new_response_url()
        webhook = AsyncWebhookClient(url)
        long_header = {"type": "header", "text": {"type": "plain_text", "text": "h" * 200}}
        bad = await webhook.send(text="t", blocks=[long_header])
        assert bad.status_code == 400 and "invalid_blocks" in bad.body
        clock.now += RESPONSE_URL_LIFETIME + 1
        late = await webhook.send(text="too late")
        assert late.status_code == 404 and "expired_url" in late.body


async def test_connections_open_needs_the_app_token(fake: SlackFake, client: AsyncWebClient) -> None:
    with pytest.raises(SlackApiError) as raised:
        await client.apps_connections_open(app_token=fake.bot_token)
    assert raised.value.response["error"] == "not_allowed_token_type"
    opened = await client.apps_connections_open(app_token=fake.app_token)
    assert opened["url"].startswith("ws://127.0.0.1:")


@pytest.fixture
async def socket_client(fake: SlackFake) -> AsyncIterator[tuple[SocketModeClient, list[SocketModeRequest]]]:
    """slack_sdk's own Socket Mode client, connected to the fake, acking every envelope."""
    received: list[SocketModeRequest] = []

    async def acknowledge(client: SocketModeClient, request: SocketModeRequest) -> None:
        received.append(request)
        await client.send_socket_mode_response(SocketModeResponse(envelope_id=request.envelope_id))

    client = SocketModeClient(app_token=fake.app_token, web_client=AsyncWebClient(base_url=fake.base_url))
    client.socket_mode_request_listeners.append(acknowledge)  # type: ignore[arg-type]
    await client.connect()
    try:
        yield client, received
    finally:
        await client.close()
        await asyncio.sleep(0)  # let the client's cancelled tasks finish before the loop closes


async def test_socket_mode_delivers_a_slash_command_and_records_the_ack(
    fake: SlackFake, socket_client: tuple[SocketModeClient, list[SocketModeRequest]]
) -> None:
    _, received = socket_client
    envelope_id = await fake.send_slash_command(command="/papers", text="paper 2602.1", user_id="U7", channel_id="C7")
    ack = await fake.wait_for_ack(envelope_id)
    assert ack.mode == "socket" and ack.type == "slash_commands" and ack.in_time
    assert received[0].type == "slash_commands"
    payload = received[0].payload
    assert (payload["command"], payload["text"], payload["user_id"], payload["channel_id"]) == (
        "/papers",
        "paper 2602.1",
        "U7",
        "C7",
    )
    assert payload["response_url"].startswith("http://127.0.0.1:")
    assert fake.events.unacked == []


async def test_socket_mode_delivers_button_clicks(
    fake: SlackFake, socket_client: tuple[SocketModeClient, list[SocketModeRequest]]
) -> None:
    _, received = socket_client
    ack = await fake.wait_for_ack(await fake.click("paperwire_excluded", "2026-02-20"))
    assert ack.type == "interactive"
    assert received[0].payload["actions"][0]["action_id"] == "paperwire_excluded"


async def test_socket_mode_client_reconnects_when_asked(
    fake: SlackFake, socket_client: tuple[SocketModeClient, list[SocketModeRequest]]
) -> None:
    await fake.events.request_reconnect()
    for _ in range(100):
        if fake.events.connection_count == 2 and len(fake.events.connections) == 1:
            break
        await asyncio.sleep(0.05)
    assert fake.events.connection_count == 2
    ack = await fake.wait_for_ack(await fake.send_slash_command(text="help"))
    assert ack.in_time


async def test_an_unacked_envelope_is_visible(fake: SlackFake) -> None:
    silent = SocketModeClient(app_token=fake.app_token, web_client=AsyncWebClient(base_url=fake.base_url))
    await silent.connect()
    try:
        envelope_id = await fake.send_slash_command(text="today")
        with pytest.raises(TimeoutError):
            await fake.wait_for_ack(envelope_id, timeout=0.3)
        assert fake.events.unacked == [envelope_id]
    finally:
        await silent.close()
        await asyncio.sleep(0)


async def test_http_mode_posts_signed_commands_and_records_the_response(fake: SlackFake) -> None:
    secret = "fake-signing-secret"
    verifier = SignatureVerifier(secret)
    bodies: list[bytes] = []

    async def events(request: web.Request) -> web.Response:
        body = await request.read()
        if not verifier.is_valid_request(body, dict(request.headers)):
            return web.Response(status=401)
        bodies.append(body)
        return web.json_response({"response_type": "ephemeral", "text": "working on it"})

    app = web.Application()
    app.router.add_post("/slack/events", events)
    runner, origin = await start_local(app)
    try:
        fake.use_http_events(f"{origin}/slack/events", secret)
        ack = await fake.wait_for_ack(await fake.send_slash_command(text="search sparse attention"))
        assert ack.mode == "http" and ack.status == 200 and ack.in_time
        assert ack.payload == {"response_type": "ephemeral", "text": "working on it"}
        assert b"text=search+sparse+attention" in bodies[0]
        click = await fake.wait_for_ack(await fake.click("paperwire_excluded", "2026-02-20"))
        assert click.status == 200 and bodies[1].startswith(b"payload=")
    finally:
        await runner.cleanup()


async def test_a_bolt_app_in_socket_mode_talks_to_the_fake(fake: SlackFake) -> None:
    """The stack the Slack handlers will run on: Bolt's AsyncApp and AsyncSocketModeHandler."""
    app = AsyncApp(client=AsyncWebClient(token=fake.bot_token, base_url=fake.base_url))

    @app.command("/papers")
    async def papers(ack: AsyncAck, respond: AsyncRespond, command: dict[str, str]) -> None:
        await ack()
        await respond(text=f"looked up {command['text']}")

    handler = AsyncSocketModeHandler(app, fake.app_token)
    await handler.connect_async()
    try:
        url = fake.new_response_url()
        ack = await fake.wait_for_ack(await fake.send_slash_command(text="paper 2602.1", response_url=url))
        assert ack.in_time
        for _ in range(100):
            if fake.responses(url):
                break
            await asyncio.sleep(0.02)
        assert [reply["text"] for reply in fake.responses(url)] == ["looked up paper 2602.1"]
    finally:
        await handler.close_async()
        await asyncio.sleep(0)

"""A fake Slack on a local port: the Web API, Socket Mode, and `response_url`s.

A real aiohttp server on 127.0.0.1 (port 0). Point
`AsyncWebClient(token=fake.bot_token, base_url=fake.base_url)` or Bolt's `AsyncApp` at it.
The Web API and its failure knobs live in `tests.fakes.slack_api`; how slash commands and
clicks reach the app (Socket Mode or signed HTTP) lives in `tests.fakes.slack_events`.

    async with SlackFake() as fake:
        client = AsyncWebClient(token=fake.bot_token, base_url=fake.base_url)
        ...
        ack = await fake.wait_for_ack(await fake.send_slash_command(text="paper 2602.1"))
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import Any

from aiohttp import web

from tests.fakes.server import start_local
from paperwire.formatters.slack_limits import validate_blocks
from tests.fakes.slack_api import BOT_ID, BOT_USER_ID, CHANNEL_ERRORS, TOKEN_ERRORS, SlackWebApi
from tests.fakes.slack_events import Ack, EventDelivery, block_action_payload, slash_command_payload

__all__ = [
    "BOT_ID",
    "BOT_USER_ID",
    "CHANNEL_ERRORS",
    "RESPONSE_URL_LIFETIME",
    "RESPONSE_URL_USES",
    "TOKEN_ERRORS",
    "Ack",
    "SlackFake",
]

RESPONSE_URL_USES = 5
RESPONSE_URL_LIFETIME = 30 * 60.0


class SlackFake(SlackWebApi):
    """The fake Slack server: everything `SlackWebApi` does, plus Socket Mode and response URLs."""

    def __init__(
        self,
        *,
        bot_token: str = "xoxb-fake-bot-token",
        app_token: str = "xapp-1-fake-app-token",
        rate_per_channel: float = 1.0,
        rate_per_workspace: float = 100.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(
            bot_token=bot_token,
            app_token=app_token,
            rate_per_channel=rate_per_channel,
            rate_per_workspace=rate_per_workspace,
            clock=clock,
        )
        self.events = EventDelivery(clock)
        self._response_urls: dict[str, dict[str, Any]] = {}
        self._runner: web.AppRunner | None = None

    async def start(self) -> SlackFake:
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self.handle_api)
        app.router.add_get("/socket-mode/link", self._socket)
        app.router.add_post("/response/{url_id}", self._response)
        self._runner, self._origin = await start_local(app, access_log=None)
        return self

    async def stop(self) -> None:
        self._stopping.set()
        await self.events.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> SlackFake:
        return await self.start()

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    @property
    def base_url(self) -> str:
        return f"{self._origin}/api/"

    # response_url

    def new_response_url(self) -> str:
        """A response URL as a command or click carries: 5 replies within 30 minutes."""
        url_id = uuid.uuid4().hex
        self._response_urls[url_id] = {"created": self._clock(), "replies": []}
        return f"{self._origin}/response/{url_id}"

    @property
    def response_url(self) -> str:
        """A fresh response URL on every read (same as `new_response_url()`)."""
        return self.new_response_url()

    def responses(self, response_url: str) -> list[dict[str, Any]]:
        """What the app posted to `response_url`, oldest first."""
        return list(self._response_urls[response_url.rsplit("/", 1)[-1]]["replies"])

    # events to the app

    def use_http_events(self, url: str, signing_secret: str) -> None:
        """Deliver commands and clicks as signed POSTs to the app (HTTP mode) instead of Socket Mode."""
        self.events.use_http(url, signing_secret)

    async def send_slash_command(
        self,
        command: str = "/papers",
        text: str = "",
        *,
        user_id: str = "U0TESTER",
        channel_id: str = "C0PAPERS",
        response_url: str | None = None,
        user_name: str = "tester",
        channel_name: str = "papers",
        timeout: float = 5.0,
    ) -> str:
        """Send a slash command to the app; returns the envelope id to `wait_for_ack` on."""
        payload = slash_command_payload(
            command,
            text,
            user_id=user_id,
            channel_id=channel_id,
            response_url=response_url or self.new_response_url(),
            user_name=user_name,
            channel_name=channel_name,
        )
        return await self.events.deliver("slash_commands", payload, timeout=timeout)

    async def send_interactive(self, payload: dict[str, Any], *, timeout: float = 5.0) -> str:
        """Send an interactive payload (e.g. from `block_action_payload`) to the app."""
        return await self.events.deliver("interactive", payload, timeout=timeout)

    async def click(
        self,
        action_id: str,
        value: str,
        *,
        channel_id: str = "C0PAPERS",
        message_ts: str = "1700000000.000100",
        user_id: str = "U0TESTER",
    ) -> str:
        """Click a button: a `block_actions` payload with a fresh response URL."""
        payload = block_action_payload(
            action_id,
            value,
            user_id=user_id,
            channel_id=channel_id,
            message_ts=message_ts,
            response_url=self.new_response_url(),
        )
        return await self.send_interactive(payload)

    async def wait_for_ack(self, envelope_id: str, timeout: float = 5.0) -> Ack:
        return await self.events.wait_for_ack(envelope_id, timeout)

    @property
    def acks(self) -> list[Ack]:
        return self.events.acks

    # HTTP handlers

    async def _socket(self, request: web.Request) -> web.StreamResponse:
        if not self.take_ticket(request.query.get("ticket", "")):
            return web.Response(status=401, text="invalid ticket")
        return await self.events.handle_websocket(request)

    async def _response(self, request: web.Request) -> web.Response:
        record = self._response_urls.get(request.match_info["url_id"])
        if record is None:
            return web.json_response({"ok": False, "error": "invalid_url"}, status=404)
        if self._clock() - record["created"] > RESPONSE_URL_LIFETIME:
            return web.json_response({"ok": False, "error": "expired_url"}, status=404)
        if len(record["replies"]) >= RESPONSE_URL_USES:
            return web.json_response({"ok": False, "error": "used_url"}, status=404)
        try:
            body = await request.json()
        except ValueError:
            return web.json_response({"ok": False, "error": "invalid_payload"}, status=400)
        if not isinstance(body, dict) or not (body.get("text") or body.get("blocks") or body.get("delete_original")):
            return web.json_response({"ok": False, "error": "no_text"}, status=400)
        problems = validate_blocks(body["blocks"]) if "blocks" in body else []
        if problems:
            self.rejected.append({"response_url": str(request.url), "error": "invalid_blocks", "errors": problems})
            return web.json_response({"ok": False, "error": "invalid_blocks", "errors": problems}, status=400)
        record["replies"].append(body | {"time": self._clock()})
        return web.json_response({"ok": True})

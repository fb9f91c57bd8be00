"""The Slack app: Bolt's AsyncApp wired by handlers/slack.py, run over Socket Mode or HTTP.

Socket Mode when `slack.app_token` is set (no public URL needed); otherwise Slack posts to
`/slack/events` on the service's aiohttp server, where Bolt checks every request's
signature and answers 401 to a forged or stale one (older than 5 minutes) without
running any listener. Every Web API call, `apps.connections.open` included, goes to
`slack.base_url`.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import time
from collections.abc import Callable

import aiohttp
from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from paperwire.config.settings import ConfigError, SlackSettings
from paperwire.handlers.core import CommandCore
from paperwire.handlers.slack import register

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
# Slack's window for a request's timestamp, in seconds.
SIGNATURE_WINDOW = 300


def build_app(settings: SlackSettings, core: CommandCore, *, http: aiohttp.ClientSession | None = None) -> AsyncApp:
    """The Bolt app for `settings`, its Web API calls on `http`; ConfigError names what the chosen mode lacks."""
    if settings.bot_token is None:
        raise ConfigError("Slack commands need a bot token; set PAPERWIRE_SLACK__BOT_TOKEN")
    if settings.app_token is None and settings.signing_secret is None:
        raise ConfigError(
            "Slack in HTTP mode needs the signing secret to verify requests; set PAPERWIRE_SLACK__SIGNING_SECRET "
            "(or PAPERWIRE_SLACK__APP_TOKEN for Socket Mode)"
        )
    client = AsyncWebClient(token=settings.bot_token.get_secret_value(), base_url=settings.base_url, session=http)
    signing_secret = settings.signing_secret.get_secret_value() if settings.signing_secret is not None else None
    app = AsyncApp(
        name="paperwire",
        client=client,
        signing_secret=signing_secret,
        # Always on: Socket Mode requests skip it by themselves (they come over our own socket).
        request_verification_enabled=True,
    )
    register(app, core, settings=settings)
    return app


async def start_socket_mode(app: AsyncApp, app_token: str) -> AsyncSocketModeHandler:
    """Connect over Socket Mode; `apps.connections.open` goes through the app's client, so to its base URL.

    Stop with `stop_socket_mode(handler)`.
    """
    handler = AsyncSocketModeHandler(app, app_token)
    await handler.connect_async()
    log.info("slack: connected over Socket Mode")
    return handler


async def stop_socket_mode(handler: AsyncSocketModeHandler) -> None:
    await handler.close_async()
    await asyncio.sleep(0)  # let the client's cancelled tasks finish before the loop moves on


class SignedRequests:
    """Slack's request signature (`v0=` HMAC-SHA256 of `v0:timestamp:body`, 5-minute window),
    checked before anything reads the body, and each signed request let through once.

    A hostile request (no signature, a timestamp that is not a number, a forged or stale
    signature) is refused with one log line; a signed request seen before (a replay within
    the window) is answered 200 with nothing run again.
    """

    def __init__(self, signing_secret: str, *, clock: Callable[[], float] = time.time) -> None:
        self.secret = signing_secret.encode("utf-8")
        self.clock = clock
        self._seen: dict[str, float] = {}

    def check(self, body: bytes, timestamp: str | None, signature: str | None) -> str | None:
        """None when the request may go on, else why not ("replay" for one seen before)."""
        if not timestamp or not signature:
            return "no signature"
        if not timestamp.isdigit() or len(timestamp) > 12:
            return "a timestamp that is not a number"
        now = self.clock()
        if abs(now - int(timestamp)) > SIGNATURE_WINDOW:
            return "a stale timestamp"
        base = b"v0:" + timestamp.encode("ascii") + b":" + body
        expected = "v0=" + hmac.new(self.secret, base, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected.encode("ascii"), signature.encode("utf-8", "replace")):
            return "a wrong signature"
        for key in [key for key, seen in self._seen.items() if seen < now - SIGNATURE_WINDOW]:
            del self._seen[key]
        if signature in self._seen:
            return "replay"
        self._seen[signature] = now
        return None


def slack_http_routes(app: AsyncApp, signing_secret: str | None = None) -> list[web.RouteDef]:
    """POST /slack/events: commands and clicks, signature-checked before any listener runs.

    Unsigned or forged: 401; signed but not a request Bolt can read: 400; both with one
    warning and no traceback. Bolt checks the signature again, as it always does.
    """
    secret = signing_secret if signing_secret is not None else getattr(app, "_signing_secret", "")
    signed = SignedRequests(secret)

    async def events(request: web.Request) -> web.StreamResponse:
        body = await request.read()
        problem = signed.check(
            body, request.headers.get("X-Slack-Request-Timestamp"), request.headers.get("X-Slack-Signature")
        )
        if problem == "replay":
            log.warning("slack: a signed request seen before was sent again (a replay); not run twice")
            return web.Response(status=200)
        if problem is not None:
            log.warning("slack: refused a request from %s with %s", request.remote, problem)
            return web.Response(status=401, text="invalid request")
        try:
            bolt_request = await to_bolt_request(request)
            bolt_response = await app.async_dispatch(bolt_request)
        except Exception as error:  # a signed body Bolt cannot parse: say so once
            log.warning("slack: a signed request that is not a Slack payload (%s: %s)",
                        type(error).__name__, " ".join(str(error).split())[:200])
            return web.Response(status=400, text="malformed request")
        return await to_aiohttp_response(bolt_response)

    return [web.post(EVENTS_PATH, events)]


def add_slack_routes(web_app: web.Application, bolt_app: AsyncApp, signing_secret: str | None = None) -> None:
    """Mount the Slack endpoint on the service's aiohttp server (before it starts)."""
    web_app.add_routes(slack_http_routes(bolt_app, signing_secret))

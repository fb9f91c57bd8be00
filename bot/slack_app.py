"""The Slack app: Bolt's AsyncApp wired by handlers/slack.py, run over Socket Mode or HTTP.

Socket Mode when `slack.app_token` is set (no public URL needed); otherwise Slack posts to
`/slack/events` on the service's aiohttp server, where Bolt checks every request's
signature and answers 401 to a forged or stale one (older than 5 minutes) without
running any listener. Every Web API call, `apps.connections.open` included, goes to
`slack.base_url`.
"""

from __future__ import annotations

import asyncio
import logging

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


def slack_http_routes(app: AsyncApp) -> list[web.RouteDef]:
    """POST /slack/events: commands and clicks, signature-checked by Bolt before any listener runs."""

    async def events(request: web.Request) -> web.StreamResponse:
        bolt_response = await app.async_dispatch(await to_bolt_request(request))
        return await to_aiohttp_response(bolt_response)

    return [web.post(EVENTS_PATH, events)]


def add_slack_routes(web_app: web.Application, bolt_app: AsyncApp) -> None:
    """Mount the Slack endpoint on the service's aiohttp server (before it starts)."""
    web_app.add_routes(slack_http_routes(bolt_app))

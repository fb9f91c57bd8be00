"""Slack, whole: its settings, whether it is on, its renderers and sender, its part of the
service (Socket Mode, or HTTP events at /slack/events), and its secrets."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from typing import TYPE_CHECKING, Any, ClassVar

from paperwire.bot.delivery import slack as delivery
from paperwire.bot.delivery.slack import SlackSender, make_client
from paperwire.bot.parts import Part, Redactor, retrying
from paperwire.bot.platforms.base import PlatformBase, PlatformStatus
from paperwire.bot.slack_app import add_slack_routes, build_app, start_socket_mode, stop_socket_mode
from paperwire.config.settings import Settings
from paperwire.formatters.slack import SlackMessage
from paperwire.formatters.slack_mrkdwn import escape_mrkdwn
from paperwire.handlers.core import CommandCore

if TYPE_CHECKING:  # typing only: the composition root imports the platforms
    from paperwire.bot.app import Services


class SlackPlatform(PlatformBase):
    """A Slack app in one workspace: a bot token, channels by id."""

    name: ClassVar[str] = "slack"
    section: ClassVar[str] = "slack"
    chats_key: ClassVar[str] = "channels"

    credential_errors: ClassVar[tuple[type[Exception], ...]] = ()
    render_payloads = staticmethod(delivery.render_payloads)
    preview_payload = staticmethod(delivery.preview_payload)

    def status(self, settings: Settings) -> PlatformStatus:
        slack = settings.slack
        if slack.bot_token is None:
            return PlatformStatus(False, "off: PAPERWIRE_SLACK__BOT_TOKEN is not set")
        if slack.app_token is not None:
            return PlatformStatus(True, "on (Socket Mode)")
        if slack.signing_secret is not None:
            return PlatformStatus(True, "on (HTTP events at /slack/events)")
        # It still sends the digest; only commands and buttons need a way to hear Slack.
        return PlatformStatus(
            True, "off: set PAPERWIRE_SLACK__APP_TOKEN (Socket Mode) or PAPERWIRE_SLACK__SIGNING_SECRET (HTTP)"
        )

    def notice_payload(self, text: str) -> dict:
        # A notice stands on its own: not in the thread of an earlier digest.
        return SlackMessage(text=escape_mrkdwn(text)).to_dict() | {"in_thread": False}

    @asynccontextmanager
    async def open_sender(self, services: Services) -> AsyncIterator[SlackSender]:
        settings = services.settings.slack
        # The shared aiohttp session is closed by open_services.
        yield SlackSender(make_client(settings, services.http), settings)

    def refused_credential(self, error: Exception) -> bool:
        return isinstance(error, ValueError)

    def service_part(self, services: Services, core: CommandCore, redact: Redactor) -> Part:
        return SlackPart(services, core, redact)


class SlackPart(Part):
    """The Slack app: Socket Mode with an app token, else HTTP events at /slack/events."""

    def __init__(self, services: Services, core: CommandCore, redact: Redactor) -> None:
        super().__init__("slack", redact)
        self.services = services
        self.core = core
        self.settings = services.settings.slack
        self.socket_mode = self.settings.app_token is not None
        self.app: Any = None
        self.handler: Any = None
        self._stop = asyncio.Event()

    def mount(self, web_app: Any) -> None:
        self.app = build_app(self.settings, self.core, http=self.services.http)
        if not self.socket_mode:
            secret = self.settings.signing_secret
            add_slack_routes(web_app, self.app, secret.get_secret_value() if secret is not None else None)
            self.state = "ok (HTTP events at /slack/events)"

    def start(self) -> None:
        if self.socket_mode:
            self.spawn(self._run_socket_mode())

    async def _run_socket_mode(self) -> None:
        assert self.settings.app_token is not None
        token = self.settings.app_token.get_secret_value()

        async def connect() -> None:
            self.handler = await start_socket_mode(self.app, token)

        def failed(error: Exception) -> str | None:
            self.state = f"error: cannot connect to Slack (Socket Mode): {self.redact.error(error)}"
            return self.state

        if await retrying("slack", self._stop, connect, failed):
            self.state = "ok (Socket Mode)"

    async def stop(self, timeout: float) -> None:
        self._stop.set()
        await self.join(timeout)
        handler, self.handler = self.handler, None
        if handler is not None:
            with suppress(Exception):
                async with asyncio.timeout(max(timeout, 0.5)):
                    await stop_socket_mode(handler)

"""Telegram, whole: its settings, whether it is on, its renderers and sender, its part of the
service (long polling while this process leads, or a webhook), and its secrets."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from typing import TYPE_CHECKING, Any, ClassVar

from telegram.error import InvalidToken

from paperwire.bot.delivery import telegram as delivery
from paperwire.bot.delivery.telegram import TelegramSender, make_bot
from paperwire.bot.leader import Leadership
from paperwire.bot.parts import Part, Redactor, retrying
from paperwire.bot.platforms.base import PlatformBase, PlatformStatus
from paperwire.bot.telegram_app import (
    add_telegram_webhook_route,
    build_application,
    start_polling,
    start_webhook,
    webhook_endpoint,
)
from paperwire.bot.telegram_app import stop as stop_application
from paperwire.config.settings import Settings
from paperwire.formatters.telegram import TelegramMessage
from paperwire.formatters.telegram_html import escape_html
from paperwire.handlers.core import CommandCore

if TYPE_CHECKING:  # typing only: the composition root imports the platforms
    from paperwire.bot.app import Services


class TelegramPlatform(PlatformBase):
    """A Telegram bot: one token, chats by id or @channel."""

    name: ClassVar[str] = "telegram"
    section: ClassVar[str] = "telegram"
    chats_key: ClassVar[str] = "chats"

    credential_errors: ClassVar[tuple[type[Exception], ...]] = (delivery.TokenRefused,)
    render_payloads = staticmethod(delivery.render_payloads)
    preview_payload = staticmethod(delivery.preview_payload)

    def status(self, settings: Settings) -> PlatformStatus:
        telegram = settings.telegram
        if telegram.token is None:
            return PlatformStatus(False, "off: PAPERWIRE_TELEGRAM__TOKEN is not set")
        if telegram.webhook_url:
            return PlatformStatus(True, f"on (webhook {telegram.webhook_url})")
        return PlatformStatus(True, "on (long polling)")

    def problems(self, settings: Settings) -> list[str]:
        if settings.telegram.webhook_url and settings.telegram.webhook_secret is None:
            return ["telegram.webhook_secret: a webhook needs a secret token; set PAPERWIRE_TELEGRAM__WEBHOOK_SECRET"]
        return []

    def notice_payload(self, text: str) -> dict:
        return TelegramMessage(text=escape_html(text)).to_dict()

    @asynccontextmanager
    async def open_sender(self, services: Services) -> AsyncIterator[TelegramSender]:
        settings = services.settings.telegram
        bot = make_bot(settings)
        async with bot:
            yield TelegramSender(bot, settings)

    def refused_credential(self, error: Exception) -> bool:
        # ValueError: make_bot refuses an empty token before any request.
        return isinstance(error, (InvalidToken, ValueError))

    def service_part(self, services: Services, core: CommandCore, redact: Redactor) -> Part:
        return TelegramPart(services, core, redact)


class TelegramPart(Part):
    """The Telegram bot: a webhook, or long polling only while this process leads."""

    def __init__(self, services: Services, core: CommandCore, redact: Redactor) -> None:
        super().__init__("telegram", redact)
        self.services = services
        self.core = core
        self.settings = services.settings.telegram
        self.webhook = self.settings.webhook_url is not None
        self.application: Any = None
        self.leadership: Leadership | None = None
        self._stop = asyncio.Event()

    def mount(self, web_app: Any) -> None:
        """In webhook mode, the route must exist before the HTTP server starts."""
        if not self.webhook:
            return
        if self.settings.webhook_secret is None:
            self.state = "error: webhook mode needs a secret; set PAPERWIRE_TELEGRAM__WEBHOOK_SECRET"
            return
        self.application = build_application(self.settings, self.core, webhook=True, budget=self._budget())
        add_telegram_webhook_route(web_app, self.application, self.settings.webhook_secret.get_secret_value())

    def _budget(self) -> Any:
        """The bot's one send budget, shared with the fan-out."""
        return self.services.budgets.get(delivery.account(self.settings), delivery.bot_rate(self.settings))

    def probe(self) -> str:
        if self.leadership is not None and self.state.startswith("ok"):
            role = self.leadership.role
            if role == "standby":
                detail = f"; {self.leadership.error}" if self.leadership.error else ""
                return f"ok (standby: another process polls{detail})"
        return self.state

    def start(self) -> None:
        if self.state.startswith("error"):
            return
        self.spawn(self._run_webhook() if self.webhook else self._run_polling())

    async def _run_webhook(self) -> None:
        assert self.settings.webhook_url is not None and self.settings.webhook_secret is not None
        url = webhook_endpoint(self.settings.webhook_url)
        secret = self.settings.webhook_secret.get_secret_value()
        if await retrying("telegram", self._stop, lambda: start_webhook(self.application, url, secret), self._failed):
            self.state = "ok (webhook)"

    async def _run_polling(self) -> None:
        self.leadership = Leadership(self.services.db, f"telegram-polling:{_bot_id(self.settings)}")
        await self.leadership.run(self._stop, self._start_polling, self._stop_polling)

    async def _start_polling(self) -> None:
        # A fresh application every time this process leads: one that was shut down stays down.
        self.application = build_application(self.settings, self.core, webhook=False, budget=self._budget())
        try:
            await start_polling(self.application)
        except Exception as error:
            self.state = f"error: {self._problem(error)}"
            await self._stop_polling()
            raise RuntimeError(self.state.removeprefix("error: ")) from None
        self.state = "ok (polling)"

    async def _stop_polling(self) -> None:
        application, self.application = self.application, None
        if application is not None:
            await _close_application(application)
        if not self.state.startswith("error"):
            self.state = "ok (stopped polling)"

    def _failed(self, error: Exception) -> str | None:
        self.state = f"error: {self._problem(error)}"
        return None if isinstance(error, InvalidToken) else self.state

    def _problem(self, error: Exception) -> str:
        if isinstance(error, InvalidToken):
            return "Telegram refused the token; set a working PAPERWIRE_TELEGRAM__TOKEN"
        return f"cannot reach Telegram: {self.redact.error(error)}"

    async def stop(self, timeout: float) -> None:
        self._stop.set()
        deadline = asyncio.get_running_loop().time() + timeout
        await self.join(timeout)
        if self.webhook and self.application is not None:
            with suppress(TimeoutError):
                async with asyncio.timeout(max(deadline - asyncio.get_running_loop().time(), 0.1)):
                    await _close_application(self.application)


async def _close_application(application: Any) -> None:
    """Stop and shut down a PTB application, even one whose start failed half-way."""
    with suppress(Exception):
        await stop_application(application)
    # An application whose initialize() failed skips its bot's shutdown, leaving its
    # HTTP connections open; the bot's own shutdown is safe to call twice.
    with suppress(Exception):
        await application.bot.shutdown()


def _bot_id(settings: Any) -> str:
    # The numeric part of the token names the bot and is not secret; the rest is.
    token = settings.token.get_secret_value() if settings.token is not None else ""
    return token.split(":", 1)[0]

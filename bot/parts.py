"""The parts `paperwire serve` runs: delivery workers and the two bots, each started, kept
going through network trouble and stopped on its own, plus the redaction of secrets from
anything they report."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from contextlib import suppress
from typing import Any

from sqlalchemy.engine import make_url

from paperwire.bot.app import Services, delivery_worker, open_senders
from paperwire.bot.delivery.worker import DeliveryWorker
from paperwire.bot.leader import Leadership
from paperwire.config.settings import Settings
from paperwire.handlers.core import CommandCore

log = logging.getLogger(__name__)

# Between attempts to reach a platform that could not be reached.
RECONNECT_SECONDS = (1.0, 2.0, 5.0, 10.0, 30.0, 60.0)
# How long workers let in-flight sends finish before releasing their claims.
DRAIN_SECONDS = 4.0


class Redactor:
    """Takes every configured secret out of a text before it reaches a log line or /healthz.

    Library errors are not careful: python-telegram-bot's InvalidToken quotes the token.
    """

    def __init__(self, settings: Settings) -> None:
        values = [
            settings.telegram.token, settings.telegram.webhook_secret, settings.slack.bot_token,
            settings.slack.app_token, settings.slack.signing_secret, settings.llm.api_key,
        ]  # fmt: skip
        self.secrets = [value.get_secret_value() for value in values if value is not None]
        password = make_url(settings.database_url).password
        if password:
            self.secrets.append(str(password))
        self.secrets = [secret for secret in self.secrets if len(secret) >= 4]

    def __call__(self, text: object) -> str:
        text = str(text)
        for secret in self.secrets:
            text = text.replace(secret, "***")
        return text

    def error(self, error: BaseException) -> str:
        return self(f"{type(error).__name__}: {error}")


class Part:
    """A background part of the service (a worker, a bot) with a state for /healthz."""

    def __init__(self, name: str, redact: Redactor) -> None:
        self.name = name
        self.redact = redact
        self.state = "ok (starting)"
        self.task: asyncio.Task[None] | None = None

    def probe(self) -> str:
        return self.state

    def spawn(self, work: Awaitable[None]) -> None:
        async def guarded() -> None:
            try:
                await work
            except asyncio.CancelledError:
                raise
            except Exception as error:
                problem = self.redact.error(error)
                # The traceback only when it cannot carry a secret.
                log.error("%s stopped: %s", self.name, problem, exc_info=problem == f"{type(error).__name__}: {error}")
                self.state = f"error: {problem}"

        self.task = asyncio.create_task(guarded(), name=self.name)

    async def join(self, timeout: float) -> None:
        """Wait for the part's task to end by itself, then cancel it."""
        if self.task is None:
            return
        done, _ = await asyncio.wait({self.task}, timeout=max(timeout, 0.1))
        if not done:
            log.warning("%s did not stop in time; cancelling it", self.name)
            self.task.cancel()
            with suppress(asyncio.CancelledError, Exception):
                await self.task


async def retrying(
    name: str,
    stop: asyncio.Event,
    attempt: Callable[[], Awaitable[None]],
    on_error: Callable[[Exception], str | None],
) -> bool:
    """Run `attempt` until it succeeds (True), `stop` is set, or `on_error` gives up (returns None).

    `on_error` returns the problem in words (no secrets) to log before the next try.
    """
    for wait in (*RECONNECT_SECONDS, *[RECONNECT_SECONDS[-1]] * 10_000):
        if stop.is_set():
            return False
        try:
            await attempt()
            return True
        except asyncio.CancelledError:
            raise
        except Exception as error:
            problem = on_error(error)
            if problem is None:
                return False
            log.warning("%s: %s; trying again in %.0f s", name, problem, wait)
        with suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), wait)
    return False


class WorkerPart(Part):
    """One platform's delivery worker, with the platform's client opened (and retried) first."""

    def __init__(self, services: Services, platform: str, stop: asyncio.Event, redact: Redactor) -> None:
        super().__init__(f"{platform} delivery", redact)
        self.services = services
        self.platform = platform
        self.stop = stop
        self.worker: DeliveryWorker | None = None

    def wake(self) -> None:
        if self.worker is not None:
            self.worker.wake()

    def probe(self) -> str:
        if self.worker is not None and self.worker.stopped_reason:
            return f"error: stopped sending: {self.worker.stopped_reason}"
        return self.state

    async def run(self) -> None:
        while not self.stop.is_set():
            opened = False
            try:
                async with open_senders(self.services, [self.platform]) as senders:
                    opened = True
                    self.worker = delivery_worker(self.services, senders[self.platform], drain_grace=DRAIN_SECONDS)
                    self.state = "ok"
                    await self.worker.run(self.stop)
                    return
            except asyncio.CancelledError:
                raise
            except Exception as error:
                if not opened and _is_refused_credential(error):
                    self.state = f"error: {self.platform} refused the token; set a working one and restart"
                    log.error("%s: %s", self.name, self.state)
                    return
                if opened:  # most often the database went away under the worker
                    self.state = f"error: stopped: {self.redact.error(error)}"
                else:
                    self.state = f"error: cannot reach {self.platform}: {self.redact.error(error)}"
                log.warning("%s: %s; starting again in 5 s", self.name, self.state)
                with suppress(TimeoutError):
                    await asyncio.wait_for(self.stop.wait(), 5.0)


def _is_refused_credential(error: Exception) -> bool:
    from telegram.error import InvalidToken

    # ValueError: make_bot refuses an empty token before any request.
    return isinstance(error, (InvalidToken, ValueError))


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
        from paperwire.bot.telegram_app import add_telegram_webhook_route, build_application

        if self.settings.webhook_secret is None:
            self.state = "error: webhook mode needs a secret; set PAPERWIRE_TELEGRAM__WEBHOOK_SECRET"
            return
        self.application = build_application(self.settings, self.core, webhook=True)
        add_telegram_webhook_route(web_app, self.application, self.settings.webhook_secret.get_secret_value())

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
        from paperwire.bot.telegram_app import start_webhook, webhook_endpoint

        assert self.settings.webhook_url is not None and self.settings.webhook_secret is not None
        url = webhook_endpoint(self.settings.webhook_url)
        secret = self.settings.webhook_secret.get_secret_value()
        if await retrying("telegram", self._stop, lambda: start_webhook(self.application, url, secret), self._failed):
            self.state = "ok (webhook)"

    async def _run_polling(self) -> None:
        self.leadership = Leadership(self.services.db, f"telegram-polling:{_bot_id(self.settings)}")
        await self.leadership.run(self._stop, self._start_polling, self._stop_polling)

    async def _start_polling(self) -> None:
        from paperwire.bot.telegram_app import build_application, start_polling

        # A fresh application every time this process leads: one that was shut down stays down.
        self.application = build_application(self.settings, self.core, webhook=False)
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
        from telegram.error import InvalidToken

        self.state = f"error: {self._problem(error)}"
        return None if isinstance(error, InvalidToken) else self.state

    def _problem(self, error: Exception) -> str:
        from telegram.error import InvalidToken

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
    from paperwire.bot.telegram_app import stop

    with suppress(Exception):
        await stop(application)
    # An application whose initialize() failed skips its bot's shutdown, leaving its
    # HTTP connections open; the bot's own shutdown is safe to call twice.
    with suppress(Exception):
        await application.bot.shutdown()


def _bot_id(settings: Any) -> str:
    # The numeric part of the token names the bot and is not secret; the rest is.
    token = settings.token.get_secret_value() if settings.token is not None else ""
    return token.split(":", 1)[0]


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
        from paperwire.bot.slack_app import add_slack_routes, build_app

        self.app = build_app(self.settings, self.core, http=self.services.http)
        if not self.socket_mode:
            add_slack_routes(web_app, self.app)
            self.state = "ok (HTTP events at /slack/events)"

    def start(self) -> None:
        if self.socket_mode:
            self.spawn(self._run_socket_mode())

    async def _run_socket_mode(self) -> None:
        from paperwire.bot.slack_app import start_socket_mode

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
            from paperwire.bot.slack_app import stop_socket_mode

            with suppress(Exception):
                async with asyncio.timeout(max(timeout, 0.5)):
                    await stop_socket_mode(handler)

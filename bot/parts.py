"""What every part `paperwire serve` runs shares: a state for /healthz, a guarded task, retries
through network trouble, the redaction of secrets from anything it reports, and the
delivery worker of one platform. Each platform's own part lives in bot/platforms/."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from contextlib import suppress
from typing import TYPE_CHECKING, Any

from sqlalchemy.engine import make_url

from paperwire.bot.delivery.worker import DeliveryWorker, Sender
from paperwire.config.masking import mask_urls
from paperwire.config.settings import SECRET_KEYS, Settings

if TYPE_CHECKING:  # typing only: the composition root imports this module
    from paperwire.bot.platforms.base import Platform

log = logging.getLogger(__name__)

# Between attempts to reach a platform that could not be reached.
RECONNECT_SECONDS = (1.0, 2.0, 5.0, 10.0, 30.0, 60.0)
# How long workers wait for sends in flight to be answered at stop (their outcome is
# recorded; one still unanswered is in doubt); within the service's stop budget.
DRAIN_SECONDS = 6.0


class Redactor:
    """Takes every configured secret out of a text before it reaches a log line or /healthz.

    Library errors are not careful: python-telegram-bot's InvalidToken quotes the token.
    """

    def __init__(self, settings: Settings) -> None:
        # Every key the settings call secret (config/settings.py SECRET_KEYS), whoever owns it.
        values = [getattr(getattr(settings, section), key, None) for section, key in SECRET_KEYS]
        self.secrets = [value.get_secret_value() for value in values if value is not None]
        password = make_url(settings.database_url).password
        if password:
            self.secrets.append(str(password))
        self.secrets = [secret for secret in self.secrets if len(secret) >= 4]

    def __call__(self, text: object) -> str:
        text = mask_urls(str(text))
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

    def mount(self, web_app: Any) -> None:
        """Add the part's HTTP routes (webhooks) before the server starts; most parts have none."""

    def start(self) -> None:
        """Start the part's background work, if it has any."""

    async def stop(self, timeout: float) -> None:
        """Stop within `timeout` seconds."""
        await self.join(timeout)

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

    def __init__(
        self,
        services: Any,
        platform: Platform,
        stop: asyncio.Event,
        redact: Redactor,
        make_worker: Callable[[Sender], DeliveryWorker],
    ) -> None:
        super().__init__(f"{platform.name} delivery", redact)
        self.services = services
        self.platform = platform
        self.stop = stop
        self.make_worker = make_worker
        self.worker: DeliveryWorker | None = None

    def wake(self) -> None:
        if self.worker is not None:
            self.worker.wake()

    def probe(self) -> str:
        worker = self.worker
        if worker is not None and worker.stopped_reason:
            return f"error: stopped sending: {worker.stopped_reason}"
        if worker is not None and worker.metrics is not None:
            worker.metrics.outcomes_held.labels(worker.platform).set(worker.unwritten)
        if worker is not None and worker.database_error is not None:
            return (f"error: not claiming: the database is unavailable ({self.redact(worker.database_error)}); "
                    f"{worker.unwritten} send outcomes held in memory")
        return self.state

    async def run(self) -> None:
        while not self.stop.is_set():
            opened = False
            try:
                async with self.platform.open_sender(self.services) as sender:
                    opened = True
                    self.worker = self.make_worker(sender)
                    self.state = "ok"
                    await self.worker.run(self.stop)
                    return
            except asyncio.CancelledError:
                raise
            except Exception as error:
                if not opened and self.platform.refused_credential(error):
                    self.state = f"error: {self.platform.name} refused the token; set a working one and restart"
                    log.error("%s: %s", self.name, self.state)
                    return
                if opened:  # most often the database went away under the worker
                    self.state = f"error: stopped: {self.redact.error(error)}"
                else:
                    self.state = f"error: cannot reach {self.platform.name}: {self.redact.error(error)}"
                log.warning("%s: %s; starting again in 5 s", self.name, self.state)
                with suppress(TimeoutError):
                    await asyncio.wait_for(self.stop.wait(), 5.0)

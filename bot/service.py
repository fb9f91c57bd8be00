"""`paperwire serve`: one asyncio process running the scheduler, both bots, the delivery workers
and the HTTP server, until SIGTERM or SIGINT.

Start order puts health first: the services (database, migrated), then the HTTP server,
then the scheduler and its catch-up, the workers and the bots, each of which may wait on
the network in the background without holding up the rest. Stop order is the reverse:
no new jobs, no new updates, workers finish or release what they claimed, then the HTTP
server and the services close; all within `STOP_BUDGET` seconds.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import time
from collections.abc import Awaitable, Callable
from contextlib import suppress
from typing import Any

from paperwire.bot.app import (
    PLATFORMS,
    Services,
    archive_pages,
    configured_chats,
    delivery_worker,
    open_services,
    platform_names,
)
from paperwire.bot.configcheck import platform_status
from paperwire.bot.delivery.publish import register_configured_chats
from paperwire.bot.errors import Failure
from paperwire.bot.metrics import Metrics
from paperwire.bot.scheduler import ServiceScheduler
from paperwire.bot.store.database import DatabaseUnavailable
from paperwire.bot.views import View
from paperwire.bot.parts import DRAIN_SECONDS, Part, Redactor, WorkerPart
from paperwire.bot.archive.routes import add_archive_routes
from paperwire.bot.web import Health, WebServer, build_web_app
from paperwire.config.settings import Settings
from paperwire.handlers.core import CommandContext, CommandCore
from paperwire.handlers.commands import BY_NAME

log = logging.getLogger(__name__)

# SIGTERM to exit: the issue allows 10 s; systemd's TimeoutStopSec is 15.
STOP_BUDGET = 9.0
class ServiceCore(CommandCore):
    """The command core as the service runs it: each command timed into
    paperwire_command_latency_seconds, and the schedule re-derived after a chat changes
    its subscription (so a new delivery time takes effect at once, not at the next refresh)."""

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.metrics: Metrics | None = None
        self.on_subscription_change: Callable[[], Awaitable[object]] | None = None
        self._pending: set[asyncio.Future[object]] = set()

    async def handle(self, line: str, ctx: CommandContext) -> View:
        started = time.perf_counter()
        name = _command_name(line)
        try:
            return await super().handle(line, ctx)
        finally:
            if self.metrics is not None:
                self.metrics.command_latency.labels(ctx.platform, name).observe(time.perf_counter() - started)
            if name in BY_NAME and BY_NAME[name].admin_only and self.on_subscription_change is not None:
                # After the reply is decided, not before it: the refresh is the scheduler's business.
                task = asyncio.ensure_future(self.on_subscription_change())
                self._pending.add(task)
                task.add_done_callback(self._pending.discard)


def _command_name(line: str) -> str:
    word = line.strip().split(maxsplit=1)[0] if line.strip() else ""
    word = word.lstrip("/").split("@", 1)[0].casefold()
    return word if word in BY_NAME or word == "start" else "other"


class Service:
    """Everything `serve` runs, started in order and stopped in reverse."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self.settings = services.settings
        sending = [platform for platform in PLATFORMS if platform.status(self.settings).sends]
        self.platforms = [platform.name for platform in sending]
        self.stop_workers = asyncio.Event()
        redact = Redactor(self.settings)

        def make_worker(sender: Any) -> Any:
            return delivery_worker(services, sender, drain_grace=DRAIN_SECONDS)

        self.workers = {
            platform.name: WorkerPart(services, platform, self.stop_workers, redact, make_worker)
            for platform in sending
        }
        core = ServiceCore.from_services(services)
        core.metrics = services.metrics
        self.core = core
        status = platform_status(self.settings)
        # Each platform's part of the service (commands, buttons), where its settings let it run.
        self.bots: dict[str, Part] = {
            platform.name: platform.service_part(services, core, redact)
            for platform in PLATFORMS
            if platform.status(self.settings).serves
        }
        self.scheduler = ServiceScheduler(services, platforms=self.platforms, wake=self.wake_workers)
        core.on_subscription_change = self.scheduler.refresh
        self.health = Health(services.db)
        self.web = WebServer(
            build_web_app(self.health, services.metrics, platform_names()),
            self.settings.server.host,
            self.settings.server.port,
        )
        add_archive_routes(
            self.web.app,
            archive_pages(services),
            default_language=self.settings.digest.language,
            public_url=self.settings.server.public_url,
        )
        self._status = status

    def wake_workers(self) -> None:
        for worker in self.workers.values():
            worker.wake()

    async def start(self) -> None:
        await register_configured_chats(self.services.db, configured_chats(self.settings))
        self.health.add("scheduler", lambda: self.scheduler.status)
        for name in platform_names():
            part = self.bots.get(name)
            if part is None:  # platform_status says "off: <why>"
                self.health.add(name, lambda state=self._status[name]: state)
            else:
                self.health.add(name, part.probe)
                part.mount(self.web.app)
        for platform, worker in self.workers.items():
            self.health.add(f"{platform} delivery", worker.probe)
        self.health.add("llm", lambda: self._status["llm"])
        await self.web.start()
        log.info("serving /healthz and /metrics on http://%s:%d", self.settings.server.host, self.web.port)
        for name, state in self._status.items():
            log.info("%s: %s", name, state)
        await self.scheduler.start()
        for worker in self.workers.values():
            worker.spawn(worker.run())
        for part in self.bots.values():
            part.start()

    async def stop(self) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + STOP_BUDGET

        def left(cap: float) -> float:
            return max(min(cap, deadline - loop.time()), 0.1)

        log.info("stopping: no new jobs or updates; finishing what is in flight")
        # Workers stop claiming at once and wait for their sends in flight (recording each
        # outcome) while the scheduler and the bots stop beside them.
        self.stop_workers.set()

        async def stop_scheduler() -> None:
            with suppress(Exception):
                async with asyncio.timeout(left(1.5)):
                    await self.scheduler.stop()

        await asyncio.gather(
            stop_scheduler(),
            *(part.stop(left(2.0)) for part in self.bots.values()),
            *(worker.join(left(DRAIN_SECONDS + 1.5)) for worker in self.workers.values()),
            return_exceptions=True,
        )
        with suppress(Exception):
            async with asyncio.timeout(left(1.0)):
                await self.web.stop()


async def serve(settings: Settings) -> int:
    """Run until SIGTERM or SIGINT; 0 after a clean stop."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, _on_signal, stop, signum)
    try:
        async with open_services(settings, Metrics()) as services:
            service = Service(services)
            try:
                await service.start()
                await stop.wait()
            finally:
                await service.stop()
    except DatabaseUnavailable as error:
        raise Failure(str(error)) from None
    except OSError as error:  # the port is taken, most often
        raise Failure(f"cannot serve on {settings.server.host}:{settings.server.port}: {error}") from None
    finally:
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(signum)
    log.info("stopped")
    return 0


def _on_signal(stop: asyncio.Event, signum: int) -> None:
    if stop.is_set():
        log.warning("%s again: still stopping", signal.Signals(signum).name)
        return
    log.info("%s: stopping", signal.Signals(signum).name)
    stop.set()

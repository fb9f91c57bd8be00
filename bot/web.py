"""The service's HTTP server: `/healthz`, `/metrics`, and the platforms' webhook routes.

`/healthz` names every part ("ok", "off: why" or "error: why") and answers 503 only when
the database cannot be reached, since nothing works without it; a broken bot makes the
service "degraded", still 200, so an orchestrator does not restart it for a revoked token.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence

from aiohttp import web

from paperwire.bot.metrics import Metrics
from paperwire.bot.store import outbox
from paperwire.bot.store.database import Database

log = logging.getLogger(__name__)

# The text exposition format that prometheus_client's generate_latest() writes.
METRICS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

Probe = Callable[[], str]
"""A part's state for /healthz: "ok ...", "off: why" or "error: why"."""


class Health:
    """What /healthz reports: the database (pinged on every request) and the parts' probes."""

    def __init__(self, db: Database, *, ping_timeout: float = 2.0) -> None:
        self.db = db
        self.ping_timeout = ping_timeout
        self.probes: dict[str, Probe] = {}

    def add(self, name: str, probe: Probe) -> None:
        self.probes[name] = probe

    async def database_state(self) -> str:
        try:
            async with asyncio.timeout(self.ping_timeout):
                await self.db.ping()
        except TimeoutError:
            return f"error: no answer from the database within {self.ping_timeout:g} s"
        except Exception as error:
            # Driver messages name the host and the problem, never the password.
            return f"error: cannot reach the database: {type(error).__name__}: {_one_line(str(error))}"
        return "ok"

    async def report(self) -> tuple[int, dict]:
        """(HTTP status, body) for /healthz."""
        parts = {"database": await self.database_state()}
        for name, probe in self.probes.items():
            try:
                parts[name] = probe()
            except Exception as error:  # a probe must not break the health page
                parts[name] = f"error: {type(error).__name__}: {error}"
        if parts["database"] != "ok":
            return 503, {"status": "error", "parts": parts}
        degraded = any(state.startswith("error") for state in parts.values())
        return 200, {"status": "degraded" if degraded else "ok", "parts": parts}


def _one_line(text: str) -> str:
    return " ".join(text.split())[:300]


async def update_queue_depth(db: Database, metrics: Metrics, platforms: Sequence[str]) -> None:
    """Set paperwire_queue_depth per platform from the outbox (rows not yet sent nor given up)."""
    async with db.connect() as connection:
        for platform in platforms:
            metrics.queue_depth.labels(platform).set(await outbox.open_count(connection, platform=platform))


def build_web_app(health: Health, metrics: Metrics, platforms: Sequence[str]) -> web.Application:
    """The aiohttp application; each platform's service part adds the routes it needs.
    `platforms` names the registered platforms, for the queue depth metric."""

    async def healthz(request: web.Request) -> web.Response:
        status, body = await health.report()
        return web.json_response(body, status=status)

    async def metrics_page(request: web.Request) -> web.Response:
        try:
            async with asyncio.timeout(health.ping_timeout):
                await update_queue_depth(health.db, metrics, platforms)
        except Exception as error:  # the last known depth is still worth serving
            log.debug("queue depth not updated: %s", error)
        return web.Response(body=metrics.render(), headers={"Content-Type": METRICS_CONTENT_TYPE})

    app = web.Application()
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/metrics", metrics_page)
    return app


class WebServer:
    """Runs the application on host:port; `port` is the bound one (useful with port 0)."""

    def __init__(self, app: web.Application, host: str, port: int) -> None:
        self.app = app
        self.host = host
        self.port = port
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        self._runner = web.AppRunner(self.app, access_log=None, shutdown_timeout=2.0)
        await self._runner.setup()
        await web.TCPSite(self._runner, self.host, self.port).start()
        addresses = self._runner.addresses
        if addresses:
            self.port = addresses[0][1]

    async def stop(self) -> None:
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()

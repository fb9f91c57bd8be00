"""What every fake shares: a real aiohttp server on 127.0.0.1 at a free port."""

from __future__ import annotations

from typing import Any

from aiohttp import web


async def start_local(app: web.Application, **runner_options: Any) -> tuple[web.AppRunner, str]:
    """Serve `app` on 127.0.0.1 at a free port; returns the runner (to clean up) and its origin."""
    runner = web.AppRunner(app, **runner_options)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    host, port = runner.addresses[0][:2]
    return runner, f"http://{host}:{port}"

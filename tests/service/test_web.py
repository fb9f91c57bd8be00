"""/healthz and /metrics of the running service, in process, on a random port."""

from __future__ import annotations

import asyncio
import socket
from datetime import date

import aiohttp
import pytest

from paperwire.bot.delivery.publish import Target, plan_publication
from paperwire.bot.app import platform_names, renderers
from paperwire.bot.metrics import Metrics
from paperwire.bot.service import Service
from paperwire.bot.store.database import Database
from paperwire.bot.web import METRICS_CONTENT_TYPE, Health, WebServer, build_web_app
from tests.fakes.telegram import FakeTelegram, RateLimits
from tests.service.conftest import OpenServices
from tests.service.test_scheduler import store_day


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


async def get(url: str) -> tuple[int, str, dict | str]:
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        body = await response.json() if response.content_type == "application/json" else await response.text()
        return response.status, response.headers["Content-Type"], body


async def test_health_with_only_sqlite_and_no_tokens(services_for: OpenServices) -> None:
    async with services_for(server={"port": 0}) as services:
        service = Service(services)
        await service.start()
        try:
            status, _, body = await get(f"http://127.0.0.1:{service.web.port}/healthz")
        finally:
            await service.stop()
    assert status == 200
    assert isinstance(body, dict)
    assert body["status"] == "ok"
    parts = body["parts"]
    assert parts["database"] == "ok"
    assert parts["scheduler"].startswith("ok")
    assert parts["telegram"] == "off: PAPERWIRE_TELEGRAM__TOKEN is not set"
    assert parts["slack"] == "off: PAPERWIRE_SLACK__BOT_TOKEN is not set"
    assert parts["llm"].startswith("off: ")


async def test_health_is_503_when_the_database_cannot_be_reached() -> None:
    db = Database(f"postgresql+asyncpg://paperwire:s3cret-pass@127.0.0.1:{closed_port()}/paperwire")
    health = Health(db)
    health.add("scheduler", lambda: "ok")
    server = WebServer(build_web_app(health, Metrics(), platform_names()), "127.0.0.1", 0)
    await server.start()
    try:
        status, _, body = await get(f"http://127.0.0.1:{server.port}/healthz")
        metrics_status, _, _ = await get(f"http://127.0.0.1:{server.port}/metrics")
    finally:
        await server.stop()
        await db.close()
    assert status == 503
    assert isinstance(body, dict)
    assert body["status"] == "error"
    assert body["parts"]["database"].startswith("error: cannot reach the database")
    assert body["parts"]["scheduler"] == "ok"
    assert "s3cret-pass" not in str(body)
    assert metrics_status == 200  # metrics still served, with the last known queue depth


async def test_a_broken_part_makes_the_service_degraded_not_down(services_for: OpenServices) -> None:
    async with services_for() as services:
        health = Health(services.db)
        health.add("telegram", lambda: "error: Telegram refused the token")
        status, body = await health.report()
    assert (status, body["status"]) == (200, "degraded")


async def test_metrics_in_prometheus_text(services_for: OpenServices) -> None:
    day = date(2026, 3, 3)
    async with services_for() as services:
        await store_day(services, day)
        targets = [Target("telegram", "-1001", "en"), Target("telegram", "-1002", "en")]
        plan = await plan_publication(services.pipeline, services.db, day, targets, renderers())
        assert plan is not None
        server = WebServer(build_web_app(Health(services.db), services.metrics, platform_names()), "127.0.0.1", 0)
        await server.start()
        try:
            status, content_type, text = await get(f"http://127.0.0.1:{server.port}/metrics")
        finally:
            await server.stop()
    assert status == 200
    assert content_type == METRICS_CONTENT_TYPE
    assert isinstance(text, str)
    for series in (
        "paperwire_papers_fetched_total",
        "paperwire_digests_built_total",
        "paperwire_messages_sent",
        "paperwire_messages_retried",
        "paperwire_messages_failed",
        "paperwire_command_latency_seconds",
        "paperwire_queue_depth",
    ):
        assert f"# TYPE {series.removesuffix('_total')}" in text, series
    assert f'paperwire_queue_depth{{platform="telegram"}} {float(plan.rows_added)}' in text
    assert 'paperwire_queue_depth{platform="slack"} 0.0' in text
    assert 'paperwire_digests_built_total{language="en"} 1.0' in text


async def test_the_telegram_webhook_is_mounted_and_answers_commands(services_for: OpenServices) -> None:
    port = closed_port()
    async with FakeTelegram(limits=RateLimits.off()) as telegram:
        settings = {
            "server": {"port": port},
            "telegram": {
                "token": telegram.token,
                "base_url": telegram.base_url,
                "webhook_url": f"http://127.0.0.1:{port}",
                "webhook_secret": "a-webhook-secret",
            },
        }
        async with services_for(**settings) as services:
            service = Service(services)
            await service.start()
            try:
                for _ in range(100):
                    if "telegram" in service.bots and service.bots["telegram"].probe() == "ok (webhook)":
                        break
                    await asyncio.sleep(0.05)
                assert telegram.webhook["url"] == f"http://127.0.0.1:{port}/telegram/webhook"
                telegram.message_update(4242, "/help")
                await telegram.wait_webhook_idle()
                for _ in range(100):
                    if telegram.sent_to(4242):
                        break
                    await asyncio.sleep(0.05)
                _, _, body = await get(f"http://127.0.0.1:{port}/healthz")
            finally:
                await service.stop()
    assert telegram.webhook_deliveries and all(status == 200 for _, status in telegram.webhook_deliveries)
    assert telegram.sent_to(4242), "no reply to /help"
    assert isinstance(body, dict) and body["parts"]["telegram"] == "ok (webhook)"


async def test_a_refused_token_degrades_the_service_and_is_never_shown(
    services_for: OpenServices, caplog: pytest.LogCaptureFixture
) -> None:
    wrong_token = "987654321:WRONG-token-never-to-be-shown"
    async with FakeTelegram() as telegram, services_for(
        server={"port": 0}, telegram={"token": wrong_token, "base_url": telegram.base_url}
    ) as services:
        service = Service(services)
        await service.start()
        try:
            for _ in range(600):  # up to 30 s on a loaded machine; usually a few polls
                status, _, body = await get(f"http://127.0.0.1:{service.web.port}/healthz")
                assert isinstance(body, dict)
                if body["parts"]["telegram"].startswith("error") and body["parts"]["telegram delivery"].startswith("error"):
                    break
                await asyncio.sleep(0.05)
        finally:
            await service.stop()
    assert status == 200 and body["status"] == "degraded"
    assert body["parts"]["telegram"] == "error: Telegram refused the token; set a working PAPERWIRE_TELEGRAM__TOKEN"
    assert body["parts"]["telegram delivery"].startswith("error: telegram refused the token")
    assert wrong_token not in str(body)
    assert "WRONG-token" not in caplog.text


async def test_the_service_serves_the_archive_and_feeds_read_only(services_for: OpenServices) -> None:
    day = date(2026, 2, 20)
    async with services_for(server={"port": 0}) as services:
        await store_day(services, day)  # and builds its English digest
        service = Service(services)
        await service.start()
        try:
            base = f"http://127.0.0.1:{service.web.port}"
            index = await get(f"{base}/digests/")
            page = await get(f"{base}/digests/{day}?lang=zh")
            feed = await get(f"{base}/feed.xml")
            papers = await get(f"{base}/papers.xml")
            missing = await get(f"{base}/digests/2026-02-19")
        finally:
            await service.stop()
    assert index[0] == 200 and str(day) in index[2]
    assert page[0] == 200 and page[1].startswith("text/html") and 'lang="zh"' in page[2]
    assert feed[0] == 200 and feed[1].startswith("application/atom+xml")
    assert papers[0] == 200 and "urn:arxiv:" in papers[2]
    assert missing[0] == 404

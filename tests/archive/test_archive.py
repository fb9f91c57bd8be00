"""The web archive and the Atom feeds through the real aiohttp routes: valid HTML5 and Atom,
escaped hostile text, stable entry ids over a 30-day replay, and GETs that write nothing."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import feedparser
import html5lib
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import select

from paperwire.bot.app import Services, archive_pages, open_services
from paperwire.bot.archive.routes import add_archive_routes
from paperwire.bot.archive.site import write_site
from paperwire.bot.sources.parse import parse_daily_payload
from paperwire.bot.store.schema import metadata
from paperwire.config.settings import Settings
from tests.fakes.hf import make_item

FIRST_DAY = date(2026, 1, 5)
HOSTILE_TITLE = 'Agentic RL for <script>alert("x")</script> tool agents & "quotes" \u202eevil'

# Invented abstracts that the default taxonomy files under a focus topic each.
TOPIC_ABSTRACTS = [
    ("Reinforcement learning for tool-using LLM agents", "We train tool-using LLM agents with multi-turn reinforcement learning and verified rewards, improving success by 9.1%."),
    ("KV cache quantization for long-context serving", "We quantize the KV cache to 2 bits with a fused kernel, serving long contexts at 2.1x throughput with sparse attention."),
    ("A vision-language-action policy for manipulation", "We train a vision-language-action model for robot manipulation that improves success by 11%."),
]


def day_payload(day: date, index: int) -> list[dict]:
    items = []
    for n, (title, abstract) in enumerate(TOPIC_ABSTRACTS):
        arxiv_id = f"2601.{index * 10 + n:05d}"
        items.append(make_item(arxiv_id, f"{title} {index}", abstract, upvotes=10 + n, ai_keywords=[]))
    return items


async def build_days(services: Services, count: int, *, hostile: bool = False) -> list[date]:
    days = []
    for index in range(count):
        day = FIRST_DAY + timedelta(days=index)
        items = day_payload(day, index)
        if hostile and index == count - 1:
            items.append(
                make_item(
                    "2601.99999",
                    HOSTILE_TITLE,
                    "We train tool-using LLM agents with multi-turn reinforcement learning & rewards <b>bold</b>.",
                    upvotes=99,
                )
            )
        await services.pipeline.ingest(parse_daily_payload(items, day, "test"), "test")
        await services.pipeline.build(day, "en")
        days.append(day)
    return days


@pytest.fixture
async def services(database_url: str, tmp_path: Path):
    settings = Settings(data_dir=tmp_path / "data", database={"url": database_url})
    async with open_services(settings) as opened:
        yield opened


async def client_for(services: Services) -> TestClient:
    app = web.Application()
    add_archive_routes(app, archive_pages(services), default_language="en")
    client = TestClient(TestServer(app))
    await client.start_server()
    return client


async def snapshot(services: Services) -> str:
    """Every row of every table, as text: equal snapshots mean nothing was written."""
    digest = hashlib.sha256()
    async with services.db.connect() as connection:
        for table in metadata.sorted_tables:
            rows = (await connection.execute(select(table))).all()
            digest.update(repr(sorted(map(repr, rows))).encode())
    return digest.hexdigest()


def parse_html(body: str) -> None:
    html5lib.HTMLParser(strict=True).parse(body)


async def test_day_page_index_and_feeds_are_valid_and_escaped(services: Services) -> None:
    days = await build_days(services, 3, hostile=True)
    client = await client_for(services)
    try:
        for path in ("/digests/", f"/digests/{days[-1]}", f"/digests/{days[-1]}?lang=zh", "/digests/?lang=zh"):
            response = await client.get(path)
            assert response.status == 200, path
            assert response.headers["Content-Type"].startswith("text/html")
            body = await response.text()
            parse_html(body)
            assert "<script>" not in body and "\u202e" not in body or "&lt;script&gt;" in body
            assert 'type="application/atom+xml"' in body
        page = await (await client.get(f"/digests/{days[-1]}")).text()
        assert 'id="2601.99999"' in page
        assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page
        assert "<b>bold</b>" not in page
        assert "<bdi>" in page, "titles are isolated from the page's text direction"
        assert '<img class="figure" src="https://example.invalid/thumbnails/2601.99999.png"' in page
        for path in ("/feed.xml", "/feed.xml?lang=zh", "/papers.xml", "/papers.xml?topic=agentic-rl"):
            response = await client.get(path)
            assert response.status == 200, path
            assert response.headers["Content-Type"].startswith("application/atom+xml")
            raw = await response.read()
            assert b"<script>" not in raw and b"<b>bold" not in raw
            feed = feedparser.parse(raw)
            assert not feed.bozo, (path, feed.get("bozo_exception"))
            assert feed.entries, path
            for entry in feed.entries:
                assert entry.link.startswith("http://"), "links are absolute"
        papers = feedparser.parse(await (await client.get("/papers.xml")).read())
        hostile = next(entry for entry in papers.entries if entry.id == "urn:arxiv:2601.99999")
        assert "<script>" in hostile.title  # the title's text, as text: feedparser unescaped it
        assert "<script>" not in hostile.content[0].value
        assert hostile.link.endswith(f"/digests/{days[-1]}#2601.99999")
        topic = feedparser.parse(await (await client.get("/papers.xml?topic=efficient-llm")).read())
        assert topic.entries and all(entry.tags[0].term == "efficient-llm" for entry in topic.entries)
    finally:
        await client.close()


async def test_thirty_day_replay_repeats_no_entry(services: Services) -> None:
    await build_days(services, 30)
    client = await client_for(services)
    try:
        digests = feedparser.parse(await (await client.get("/feed.xml")).read())
        papers = feedparser.parse(await (await client.get("/papers.xml")).read())
    finally:
        await client.close()
    assert not digests.bozo and not papers.bozo
    assert len(digests.entries) == 30
    ids = [entry.id for entry in digests.entries]
    assert len(set(ids)) == len(ids)
    assert ids[0] == f"urn:paperwire:digest:{FIRST_DAY + timedelta(days=29)}:en", "newest first"
    paper_ids = [entry.id for entry in papers.entries]
    assert len(paper_ids) == 50 and len(set(paper_ids)) == 50
    published = [entry.published_parsed for entry in digests.entries]
    assert published == sorted(published, reverse=True)


async def test_gets_write_nothing_and_a_missing_day_is_404(services: Services) -> None:
    days = await build_days(services, 2)
    await services.pipeline.ingest(parse_daily_payload(day_payload(date(2026, 3, 2), 77), date(2026, 3, 2), "t"), "t")
    before = await snapshot(services)
    client = await client_for(services)
    try:
        missing = await client.get("/digests/2026-03-02")  # papers stored, never curated nor built
        assert missing.status == 404
        parse_html(await missing.text())
        assert (await client.get("/digests/2030-01-01")).status == 404
        assert (await client.get("/digests/not-a-day")).status == 404
        assert (await client.get("/digests/?lang=fr")).status == 400
        assert (await client.get("/papers.xml?topic=nope")).status == 404
        for path in ("/digests/", f"/digests/{days[0]}?lang=zh", "/feed.xml?lang=zh", "/papers.xml"):
            assert (await client.get(path)).status == 200
    finally:
        await client.close()
    assert await snapshot(services) == before


async def test_site_writes_the_same_pages_as_static_files(services: Services, tmp_path: Path) -> None:
    days = await build_days(services, 2, hostile=True)
    out = tmp_path / "site"
    report = await write_site(archive_pages(services), out, default_language="en", base_url="https://example.org/p/")
    assert report.days == 2
    for name in ("index.html", "digests/index.html", "digests/index.zh.html", f"digests/{days[0]}.html", f"digests/{days[1]}.zh.html"):
        parse_html((out / name).read_text())
    page = (out / f"digests/{days[1]}.html").read_text()
    assert 'href="https://example.org/p/digests/index.html"' in page
    assert 'href="https://example.org/p/feed.xml"' in page
    for name in ("feed.xml", "feed.zh.xml", "papers.xml", "papers-agentic-rl.xml"):
        feed = feedparser.parse((out / name).read_bytes())
        assert not feed.bozo, name
    assert feedparser.parse((out / "papers.xml").read_bytes()).entries[0].link.startswith("https://example.org/p/digests/")


def test_site_verb_on_the_sample_day(tmp_path: Path) -> None:
    env = {"PAPERWIRE_DATA_DIR": str(tmp_path / "data"), "PATH": "/usr/bin:/bin", "PTB_TIMEDELTA": "1"}
    run = [str(Path(sys.executable).parent / "paperwire")]
    built = subprocess.run([*run, "digest", "--source", "sample"], capture_output=True, text=True, env=env, timeout=60)
    assert built.returncode == 0, built.stderr
    written = subprocess.run([*run, "site", "--out", str(tmp_path / "site")], capture_output=True, text=True, env=env, timeout=60)
    assert written.returncode == 0, written.stderr
    assert "wrote" in written.stdout and "1 digests" in written.stdout
    assert (tmp_path / "site" / "digests" / "2026-02-20.html").exists()
    blocked = tmp_path / "file"
    blocked.write_text("x")
    refused = subprocess.run([*run, "site", "--out", str(blocked)], capture_output=True, text=True, env=env, timeout=60)
    assert refused.returncode == 2 and "not a folder" in refused.stderr

"""ArxivClient against a fake arXiv: Atom parsing, not-found answers, pacing, retries."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import aiohttp
import pytest

from paperwire.bot.sources.arxiv import ArxivClient, parse_atom_entry
from paperwire.bot.sources.errors import PaperNotFound, SourceError, SourceUnavailable
from tests.fakes.arxiv import FakeArxiv, make_entry

INTERVAL = 0.2


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as client_session:
        yield client_session


@pytest.fixture
async def fake_arxiv() -> AsyncIterator[FakeArxiv]:
    async with FakeArxiv() as server:
        yield server


def client(session: aiohttp.ClientSession, fake: FakeArxiv, **options: float) -> ArxivClient:
    settings: dict[str, float] = {"min_interval": 0.0, "timeout": 0.5, "max_retries": 2, "backoff_base": 0.01}
    return ArxivClient(session, fake.base_url, **(settings | options))  # type: ignore[arg-type]


async def test_reads_an_entry(session: aiohttp.ClientSession, fake_arxiv: FakeArxiv) -> None:
    fake_arxiv.papers["2602.13515"] = make_entry(
        "2602.13515",
        "A Rather Long Invented Title That arXiv Will Wrap Across Two Lines & More",
        "We invent a method whose abstract is long enough to be wrapped by the feed. " * 3,
        authors=["Ada Example", "Bo Sample", "Cy Placeholder"],
        version=3,
        published="2026-02-14T18:00:00Z",
    )

    paper = await client(session, fake_arxiv).fetch_paper("2602.13515v1")

    assert paper.arxiv_id == "2602.13515"
    assert paper.version == 3
    assert paper.title == "A Rather Long Invented Title That arXiv Will Wrap Across Two Lines & More"
    assert paper.abstract.startswith(
        "We invent a method whose abstract is long enough to be wrapped by the feed. We"
    )
    assert "\n" not in paper.abstract
    assert paper.authors == ["Ada Example", "Bo Sample", "Cy Placeholder"]
    assert paper.published_at == datetime(2026, 2, 14, 18, 0, tzinfo=UTC)
    assert paper.github_repo is None
    assert fake_arxiv.requests[0].query["id_list"] == "2602.13515"


async def test_old_style_id(session: aiohttp.ClientSession, fake_arxiv: FakeArxiv) -> None:
    fake_arxiv.papers["cs/0501001"] = make_entry("cs/0501001", "An Invented Old Paper", version=2)

    paper = await client(session, fake_arxiv).fetch_paper("cs/0501001")

    assert (paper.arxiv_id, paper.version) == ("cs/0501001", 2)


async def test_unknown_id_is_not_found(session: aiohttp.ClientSession, fake_arxiv: FakeArxiv) -> None:
    with pytest.raises(PaperNotFound, match="2602.99999 is not on arXiv"):
        await client(session, fake_arxiv).fetch_paper("2602.99999")


async def test_malformed_id_is_not_found_without_asking(
    session: aiohttp.ClientSession, fake_arxiv: FakeArxiv
) -> None:
    with pytest.raises(PaperNotFound, match="not an arXiv id"):
        await client(session, fake_arxiv).fetch_paper("sparse attention")

    assert fake_arxiv.count() == 0


async def test_arxiv_error_entry_is_not_found(session: aiohttp.ClientSession, fake_arxiv: FakeArxiv) -> None:
    async with session.get(f"{fake_arxiv.base_url}/api/query", params={"id_list": "2602.1"}) as response:
        body = await response.read()

    with pytest.raises(PaperNotFound):
        parse_atom_entry(body, "2602.1", "arXiv")


def test_broken_xml_is_a_source_error() -> None:
    with pytest.raises(SourceError, match="not valid XML"):
        parse_atom_entry(b"<feed><entry>", "2602.13515", "arXiv")


async def test_requests_are_spaced_across_callers(
    session: aiohttp.ClientSession, fake_arxiv: FakeArxiv
) -> None:
    for number in range(4):
        fake_arxiv.papers[f"2602.0000{number}"] = make_entry(f"2602.0000{number}", f"Paper {number}")
    fake_arxiv.delay = 0.05  # long enough that overlapping requests would be seen
    arxiv = client(session, fake_arxiv, min_interval=INTERVAL)

    papers = await asyncio.gather(*(arxiv.fetch_paper(f"2602.0000{number}") for number in range(4)))

    assert sorted(paper.title for paper in papers) == [f"Paper {number}" for number in range(4)]
    times = fake_arxiv.request_times()
    assert len(times) == 4
    assert all(later - earlier >= INTERVAL for earlier, later in itertools.pairwise(times))
    assert fake_arxiv.max_in_flight == 1


async def test_retries_are_paced_too(session: aiohttp.ClientSession, fake_arxiv: FakeArxiv) -> None:
    fake_arxiv.papers["2602.13515"] = make_entry("2602.13515", "Invented")
    fake_arxiv.fail_next(503, retry_after=0)

    paper = await client(session, fake_arxiv, min_interval=INTERVAL).fetch_paper("2602.13515")

    assert paper.title == "Invented"
    first, second = fake_arxiv.request_times()
    assert second - first >= INTERVAL


async def test_503s_forever_are_unavailable(session: aiohttp.ClientSession, fake_arxiv: FakeArxiv) -> None:
    fake_arxiv.fail_next(503, times=5)

    with pytest.raises(
        SourceUnavailable, match=r"^arXiv \(127\.0\.0\.1:\d+\) unavailable after 3 attempts: HTTP 503$"
    ):
        await client(session, fake_arxiv).fetch_paper("2602.13515")


async def test_timeout_then_success(session: aiohttp.ClientSession, fake_arxiv: FakeArxiv) -> None:
    fake_arxiv.papers["2602.13515"] = make_entry("2602.13515", "Invented")
    fake_arxiv.delay_next(2.0)

    paper = await client(session, fake_arxiv, timeout=0.2).fetch_paper("2602.13515")

    assert paper.title == "Invented"
    assert fake_arxiv.count() == 2

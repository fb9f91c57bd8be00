"""HFClient against a fake Hugging Face server: paging, retries, timeouts, bad items, odd days."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta

import aiohttp
import pytest

from paperwire.bot.sources.errors import FutureDateError, PaperNotFound, SourceError, SourceUnavailable
from paperwire.bot.sources.hf import HFClient
from tests.fakes.hf import FakeHF, make_item, make_items, make_paper

DAY = date(2026, 2, 20)


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as client_session:
        yield client_session


@pytest.fixture
async def fake_hf() -> AsyncIterator[FakeHF]:
    async with FakeHF() as server:
        yield server


def client(session: aiohttp.ClientSession, fake: FakeHF, **options: float) -> HFClient:
    settings: dict[str, float] = {"timeout": 0.5, "max_retries": 3, "backoff_base": 0.01} | options
    return HFClient(session, fake.base_url, **settings)  # type: ignore[arg-type]


async def test_reads_every_page(session: aiohttp.ClientSession, fake_hf: FakeHF) -> None:
    fake_hf.days[DAY] = make_items(250)

    day = await client(session, fake_hf).fetch_day(DAY)

    assert len(day.papers) == 250
    assert len({paper.arxiv_id for paper in day.papers}) == 250
    assert [request.query for request in fake_hf.requests] == [
        {"date": "2026-02-20", "p": str(page), "limit": "100"} for page in range(3)
    ]


async def test_a_full_last_page_costs_one_empty_page(session: aiohttp.ClientSession, fake_hf: FakeHF) -> None:
    fake_hf.days[DAY] = make_items(20)

    day = await client(session, fake_hf, page_size=10).fetch_day(DAY)

    assert len(day.papers) == 20
    assert fake_hf.count("/api/daily_papers") == 3


async def test_a_small_day_is_one_request(session: aiohttp.ClientSession, fake_hf: FakeHF) -> None:
    fake_hf.days[DAY] = make_items(12)

    day = await client(session, fake_hf).fetch_day(DAY)

    assert [paper.list_day for paper in day.papers] == [DAY] * 12
    assert fake_hf.count() == 1


async def test_empty_day_is_no_papers_not_an_error(session: aiohttp.ClientSession, fake_hf: FakeHF) -> None:
    day = await client(session, fake_hf).fetch_day(date(2026, 2, 21))  # a Saturday nobody filled

    assert day.papers == []
    assert day.skipped == []
    assert day.list_day == date(2026, 2, 21)


async def test_429_with_retry_after_then_success(session: aiohttp.ClientSession, fake_hf: FakeHF) -> None:
    fake_hf.days[DAY] = make_items(3)
    fake_hf.fail_next(429, retry_after=0.3)

    day = await client(session, fake_hf).fetch_day(DAY)

    assert len(day.papers) == 3
    first, second = (request.at for request in fake_hf.requests)
    assert second - first >= 0.3


async def test_retry_after_beyond_the_cap_gives_up_at_once(
    session: aiohttp.ClientSession, fake_hf: FakeHF
) -> None:
    fake_hf.fail_next(429, retry_after=3600)

    with pytest.raises(SourceUnavailable, match="asks to wait 3600 s"):
        await client(session, fake_hf, max_retry_after=5).fetch_day(DAY)

    assert fake_hf.count() == 1


async def test_500s_then_success(session: aiohttp.ClientSession, fake_hf: FakeHF) -> None:
    fake_hf.days[DAY] = make_items(3)
    fake_hf.fail_next(500, times=2)
    fake_hf.fail_next(503)

    day = await client(session, fake_hf).fetch_day(DAY)

    assert len(day.papers) == 3
    assert fake_hf.count() == 4


async def test_500s_forever_is_unavailable_in_one_line(
    session: aiohttp.ClientSession, fake_hf: FakeHF, caplog: pytest.LogCaptureFixture
) -> None:
    fake_hf.fail_next(502, times=10)

    with caplog.at_level(logging.WARNING), pytest.raises(SourceUnavailable) as raised:
        await client(session, fake_hf, max_retries=2).fetch_day(DAY)

    message = str(raised.value)
    assert (
        message
        == f"Hugging Face ({fake_hf.base_url.removeprefix('http://')}) unavailable after 3 attempts: HTTP 502"
    )
    assert "\n" not in message
    assert fake_hf.count() == 3
    assert caplog.text.count("retry") == 2


async def test_timeout_then_success(session: aiohttp.ClientSession, fake_hf: FakeHF) -> None:
    fake_hf.days[DAY] = make_items(2)
    fake_hf.delay_next(2.0)

    day = await client(session, fake_hf, timeout=0.2).fetch_day(DAY)

    assert len(day.papers) == 2
    assert fake_hf.count() == 2


async def test_timeouts_forever_are_unavailable(session: aiohttp.ClientSession, fake_hf: FakeHF) -> None:
    fake_hf.delay = 2.0

    with pytest.raises(SourceUnavailable, match=r"unavailable after 2 attempts: no answer within 0.2 s"):
        await client(session, fake_hf, timeout=0.2, max_retries=1).fetch_day(DAY)


async def test_server_down_is_unavailable(session: aiohttp.ClientSession) -> None:
    fake = FakeHF()
    await fake.start()
    await fake.stop()  # the port is now closed

    with pytest.raises(SourceUnavailable, match="cannot connect"):
        await client(session, fake, max_retries=1).fetch_day(DAY)


async def test_malformed_items_are_skipped_and_the_day_kept(
    session: aiohttp.ClientSession, fake_hf: FakeHF, caplog: pytest.LogCaptureFixture
) -> None:
    no_id = make_item("2602.00003", "No id")
    del no_id["paper"]["id"]
    wrong_upvotes = make_item("2602.00004", "Wrong upvotes")
    wrong_upvotes["paper"]["upvotes"] = "many"
    fake_hf.days[DAY] = [
        make_item("2602.00001", "Kept one"),
        "{'paper': {'id': '2602.00002'}}",
        no_id,
        wrong_upvotes,
        make_item("2602.00005", "Kept two"),
    ]

    with caplog.at_level(logging.WARNING, logger="paperwire.bot.sources.parse"):
        day = await client(session, fake_hf).fetch_day(DAY)

    assert [paper.title for paper in day.papers] == ["Kept one", "Kept two"]
    assert len(day.skipped) == 3
    assert "item 3 (2602.00004)" in caplog.text
    assert "2026-02-20" in caplog.text


async def test_future_date_is_refused_without_asking(session: aiohttp.ClientSession, fake_hf: FakeHF) -> None:
    future = datetime.now(UTC).date() + timedelta(days=30)

    with pytest.raises(FutureDateError, match=f"{future} is in the future"):
        await client(session, fake_hf).fetch_day(future)

    assert fake_hf.count() == 0


async def test_hf_400_for_tomorrow_is_a_future_date(session: aiohttp.ClientSession, fake_hf: FakeHF) -> None:
    tomorrow = datetime.now(UTC).date() + timedelta(days=1)

    with pytest.raises(FutureDateError, match=f"no list for {tomorrow} yet"):
        await client(session, fake_hf).fetch_day(tomorrow)

    assert fake_hf.count() == 1  # a 400 is an answer, not a failure to retry


async def test_hf_400_for_a_past_day_is_a_plain_source_error(
    session: aiohttp.ClientSession, fake_hf: FakeHF
) -> None:
    fake_hf.today = date(2020, 1, 1)

    with pytest.raises(SourceError, match="HTTP 400") as raised:
        await client(session, fake_hf).fetch_day(DAY)

    assert not isinstance(raised.value, FutureDateError)


async def test_fake_enforces_the_limit(session: aiohttp.ClientSession, fake_hf: FakeHF) -> None:
    url = f"{fake_hf.base_url}/api/daily_papers"
    async with session.get(url, params={"date": "2026-02-20", "limit": "101"}) as response:
        assert response.status == 400
        assert "limit" in (await response.json())["error"]


async def test_a_server_that_ignores_paging_does_not_loop(
    session: aiohttp.ClientSession, fake_hf: FakeHF, caplog: pytest.LogCaptureFixture
) -> None:
    fake_hf.days[DAY] = make_items(30)
    fake_hf.ignore_paging = True

    with caplog.at_level(logging.WARNING):
        day = await client(session, fake_hf, page_size=10).fetch_day(DAY)

    assert len(day.papers) == 10
    assert fake_hf.count() == 2
    assert "ignores paging" in caplog.text


def test_page_size_above_the_api_limit_is_refused() -> None:
    with pytest.raises(ValueError, match="page_size"):
        HFClient(None, "http://127.0.0.1", page_size=101)  # type: ignore[arg-type]


async def test_fetch_paper(session: aiohttp.ClientSession, fake_hf: FakeHF) -> None:
    fake_hf.papers["2602.13515"] = make_paper("2602.13515", "Invented Lookup", "Abstract.", upvotes=8)

    paper = await client(session, fake_hf).fetch_paper("2602.13515v3")

    assert paper.arxiv_id == "2602.13515"
    assert paper.title == "Invented Lookup"
    assert paper.upvotes == 8
    assert fake_hf.requests[0].path == "/api/papers/2602.13515"


async def test_fetch_paper_404_is_not_found(session: aiohttp.ClientSession, fake_hf: FakeHF) -> None:
    with pytest.raises(PaperNotFound, match="2602.99999 is not on Hugging Face"):
        await client(session, fake_hf).fetch_paper("2602.99999")

    assert fake_hf.count() == 1


async def test_fetch_paper_retries_like_the_list(session: aiohttp.ClientSession, fake_hf: FakeHF) -> None:
    fake_hf.papers["2602.13515"] = make_paper("2602.13515", "Invented Lookup")
    fake_hf.fail_next(429, retry_after=0)
    fake_hf.fail_next(500)

    paper = await client(session, fake_hf).fetch_paper("2602.13515")

    assert paper.title == "Invented Lookup"
    assert fake_hf.count() == 3

"""lookup_paper over fake HF and arXiv servers, and SingleFlight sharing one fetch."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import aiohttp
import pytest

from paperwire.bot.models import Paper
from paperwire.bot.sources.arxiv import ArxivClient
from paperwire.bot.sources.errors import PaperNotFound, SourceUnavailable
from paperwire.bot.sources.hf import HFClient
from paperwire.bot.sources.lookup import SingleFlight, lookup_paper
from tests.fakes.arxiv import FakeArxiv, make_entry
from tests.fakes.hf import FakeHF, make_paper

ID = "2602.13515"


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as client_session:
        yield client_session


@pytest.fixture
async def fake_hf() -> AsyncIterator[FakeHF]:
    async with FakeHF() as server:
        yield server


@pytest.fixture
async def fake_arxiv() -> AsyncIterator[FakeArxiv]:
    async with FakeArxiv() as server:
        yield server


@pytest.fixture
def hf(session: aiohttp.ClientSession, fake_hf: FakeHF) -> HFClient:
    return HFClient(session, fake_hf.base_url, timeout=0.5, max_retries=1, backoff_base=0.01)


@pytest.fixture
def arxiv(session: aiohttp.ClientSession, fake_arxiv: FakeArxiv) -> ArxivClient:
    return ArxivClient(
        session, fake_arxiv.base_url, min_interval=0.0, timeout=0.5, max_retries=1, backoff_base=0.01
    )


async def test_found_on_hf(hf: HFClient, arxiv: ArxivClient, fake_hf: FakeHF, fake_arxiv: FakeArxiv) -> None:
    fake_hf.papers[ID] = make_paper(ID, "On Hugging Face", upvotes=12)

    paper = await lookup_paper(f"https://arxiv.org/abs/{ID}v2", hf, arxiv)

    assert (paper.arxiv_id, paper.title, paper.upvotes) == (ID, "On Hugging Face", 12)
    assert fake_arxiv.count() == 0


async def test_hf_404_falls_back_to_arxiv(
    hf: HFClient, arxiv: ArxivClient, fake_hf: FakeHF, fake_arxiv: FakeArxiv
) -> None:
    fake_arxiv.papers[ID] = make_entry(ID, "Only on arXiv", version=2)

    paper = await lookup_paper(ID, hf, arxiv)

    assert (paper.title, paper.version) == ("Only on arXiv", 2)
    assert (fake_hf.count(), fake_arxiv.count()) == (1, 1)


async def test_hf_down_falls_back_to_arxiv(
    hf: HFClient, arxiv: ArxivClient, fake_hf: FakeHF, fake_arxiv: FakeArxiv
) -> None:
    fake_hf.fail_next(503, times=5)
    fake_arxiv.papers[ID] = make_entry(ID, "Only on arXiv")

    paper = await lookup_paper(ID, hf, arxiv)

    assert paper.title == "Only on arXiv"


async def test_both_down_names_both(
    hf: HFClient, arxiv: ArxivClient, fake_hf: FakeHF, fake_arxiv: FakeArxiv
) -> None:
    fake_hf.fail_next(500, times=5)
    fake_arxiv.fail_next(503, times=5)

    with pytest.raises(SourceUnavailable) as raised:
        await lookup_paper(ID, hf, arxiv)

    message = str(raised.value)
    assert message.startswith(f"could not look up {ID}: Hugging Face (127.0.0.1:")
    assert "; arXiv (127.0.0.1:" in message
    assert "\n" not in message


async def test_both_404_is_not_found(hf: HFClient, arxiv: ArxivClient) -> None:
    with pytest.raises(PaperNotFound, match=f"{ID} was not found on Hugging Face or arXiv"):
        await lookup_paper(ID, hf, arxiv)


async def test_arxiv_not_found_is_final_even_when_hf_is_down(
    hf: HFClient, arxiv: ArxivClient, fake_hf: FakeHF
) -> None:
    fake_hf.fail_next(500, times=5)

    with pytest.raises(PaperNotFound, match="not found on arXiv"):
        await lookup_paper(ID, hf, arxiv)


async def test_hf_404_and_arxiv_down_is_unavailable(
    hf: HFClient, arxiv: ArxivClient, fake_arxiv: FakeArxiv
) -> None:
    fake_arxiv.fail_next(503, times=5)

    with pytest.raises(SourceUnavailable, match="arXiv .* unavailable.*; Hugging Face does not have it"):
        await lookup_paper(ID, hf, arxiv)


async def test_hf_only(hf: HFClient) -> None:
    with pytest.raises(PaperNotFound, match="not found on Hugging Face$"):
        await lookup_paper(ID, hf, None)


async def test_arxiv_only(arxiv: ArxivClient, fake_arxiv: FakeArxiv) -> None:
    fake_arxiv.papers["cs/0501001"] = make_entry("cs/0501001", "Old Invented Paper")

    paper = await lookup_paper("arXiv:cs/0501001v1", None, arxiv)

    assert paper.arxiv_id == "cs/0501001"


async def test_no_sources() -> None:
    with pytest.raises(SourceUnavailable, match="no paper source"):
        await lookup_paper(ID, None, None)


async def test_not_an_id_asks_nobody(
    hf: HFClient, arxiv: ArxivClient, fake_hf: FakeHF, fake_arxiv: FakeArxiv
) -> None:
    with pytest.raises(PaperNotFound, match="'sparse attention' is not an arXiv id"):
        await lookup_paper("sparse attention", hf, arxiv)

    assert fake_hf.count() + fake_arxiv.count() == 0


async def test_single_flight_shares_one_fetch(hf: HFClient, arxiv: ArxivClient, fake_hf: FakeHF) -> None:
    fake_hf.papers[ID] = make_paper(ID, "Shared")
    fake_hf.delay = 0.1  # both lookups are in flight together
    flight: SingleFlight[str, Paper] = SingleFlight()

    first, second = await asyncio.gather(
        flight.run(ID, lambda: lookup_paper(ID, hf, arxiv)),
        flight.run(ID, lambda: lookup_paper(ID, hf, arxiv)),
    )

    assert first is second
    assert fake_hf.count() == 1
    assert len(flight) == 0


async def test_single_flight_shares_the_error_and_forgets_it(hf: HFClient, arxiv: ArxivClient) -> None:
    flight: SingleFlight[str, Paper] = SingleFlight()

    results = await asyncio.gather(
        flight.run(ID, lambda: lookup_paper(ID, hf, arxiv)),
        flight.run(ID, lambda: lookup_paper(ID, hf, arxiv)),
        return_exceptions=True,
    )

    assert all(isinstance(result, PaperNotFound) for result in results)
    assert len(flight) == 0


async def test_single_flight_survives_a_cancelled_caller() -> None:
    flight: SingleFlight[str, str] = SingleFlight()
    release = asyncio.Event()
    runs = 0

    async def work() -> str:
        nonlocal runs
        runs += 1
        await release.wait()
        return "done"

    impatient = asyncio.create_task(flight.run("key", work))
    patient = asyncio.create_task(flight.run("key", work))
    await asyncio.sleep(0)
    impatient.cancel()
    release.set()

    assert await patient == "done"
    assert impatient.cancelled()
    assert runs == 1


async def test_single_flight_runs_different_keys_apart() -> None:
    flight: SingleFlight[str, str] = SingleFlight()

    async def echo(value: str) -> str:
        await asyncio.sleep(0)
        return value

    assert await asyncio.gather(flight.run("a", lambda: echo("a")), flight.run("b", lambda: echo("b"))) == [
        "a",
        "b",
    ]

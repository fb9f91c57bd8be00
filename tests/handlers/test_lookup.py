"""`paper <id>` for papers that are not stored, against fake Hugging Face and arXiv servers."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import aiohttp
import pytest

from paperwire.bot.pipeline import Pipeline
from paperwire.bot.sources.arxiv import ArxivClient
from paperwire.bot.sources.hf import HFClient
from paperwire.bot.store import papers as paper_store
from paperwire.bot.store.database import Database
from paperwire.bot.views import CardView, MessageView
from paperwire.handlers.core import CommandCore
from tests.fakes.arxiv import FakeArxiv, make_entry
from tests.fakes.hf import FakeHF, make_paper
from tests.handlers.conftest import make_core, private

ID = "2603.04567"
ABSTRACT = (
    "Agents forget earlier steps in long tasks. We propose MemoRL, an agentic reinforcement "
    "learning method with agent memory for LLM agents. MemoRL raises success by 9 points."
)


@pytest.fixture
async def fake_hf() -> AsyncIterator[FakeHF]:
    async with FakeHF() as server:
        yield server


@pytest.fixture
async def fake_arxiv() -> AsyncIterator[FakeArxiv]:
    async with FakeArxiv() as server:
        yield server


@pytest.fixture
async def online_core(
    db: Database, pipeline: Pipeline, fake_hf: FakeHF, fake_arxiv: FakeArxiv
) -> AsyncIterator[CommandCore]:
    async with aiohttp.ClientSession() as session:
        hf = HFClient(session, fake_hf.base_url, timeout=2, max_retries=1, backoff_base=0.01)
        arxiv = ArxivClient(session, fake_arxiv.base_url, min_interval=0, timeout=2, max_retries=1, backoff_base=0.01)
        yield make_core(db, pipeline, hf=hf, arxiv=arxiv)


async def stored(db: Database, arxiv_id: str) -> bool:
    async with db.connect() as connection:
        return await paper_store.get_paper(connection, arxiv_id) is not None


async def test_found_on_hugging_face_is_stored_summarized_and_classified(
    online_core: CommandCore, db: Database, fake_hf: FakeHF, fake_arxiv: FakeArxiv
) -> None:
    fake_hf.papers[ID] = make_paper(ID, "MemoRL: Agent Memory for Agentic RL", ABSTRACT, upvotes=7)

    view = await online_core.handle(f"paper https://huggingface.co/papers/{ID}", private())

    assert isinstance(view, CardView)
    assert view.entry.paper.title == "MemoRL: Agent Memory for Agentic RL"
    assert view.entry.pick.topic == "agentic-rl" and not view.picked
    assert "MemoRL" in view.entry.card.one_liner
    assert view.note and "on demand" in view.note
    assert await stored(db, ID)
    assert fake_arxiv.count() == 0
    # The second ask is answered from the store.
    assert isinstance(await online_core.handle(f"paper {ID}v2", private()), CardView)
    assert fake_hf.count("/api/papers") == 1


async def test_not_on_hugging_face_but_on_arxiv(
    online_core: CommandCore, db: Database, fake_hf: FakeHF, fake_arxiv: FakeArxiv
) -> None:
    fake_arxiv.papers[ID] = make_entry(ID, "MemoRL on arXiv", ABSTRACT, version=2)

    view = await online_core.handle(f"paper arXiv:{ID}", private())

    assert isinstance(view, CardView) and view.entry.paper.title == "MemoRL on arXiv"
    assert (fake_hf.count("/api/papers"), fake_arxiv.count()) == (1, 1)
    assert await stored(db, ID)


async def test_hugging_face_down_and_arxiv_up(
    online_core: CommandCore, fake_hf: FakeHF, fake_arxiv: FakeArxiv
) -> None:
    fake_hf.fail_next(503, times=10)
    fake_arxiv.papers[ID] = make_entry(ID, "MemoRL on arXiv", ABSTRACT)

    view = await online_core.handle(f"paper https://arxiv.org/pdf/{ID}v1", private())

    assert isinstance(view, CardView) and view.entry.paper.arxiv_id == ID


async def test_both_down_is_a_polite_error_and_nothing_is_stored(
    online_core: CommandCore, db: Database, fake_hf: FakeHF, fake_arxiv: FakeArxiv
) -> None:
    fake_hf.fail_next(503, times=10)
    fake_arxiv.fail_next(500, times=10)

    view = await online_core.handle(f"paper {ID}", private())

    assert isinstance(view, MessageView) and view.kind == "error"
    assert "could not be reached" in view.lines[0] and ID in view.lines[0]
    assert not await stored(db, ID)


async def test_on_neither_source_is_not_found(online_core: CommandCore, fake_hf: FakeHF) -> None:
    view = await online_core.handle(f"paper {ID}", private())

    assert isinstance(view, MessageView) and view.kind == "not_found"
    assert view.lines == [f"arXiv has no paper {ID}."]


async def test_old_style_id_is_looked_up(online_core: CommandCore, fake_arxiv: FakeArxiv) -> None:
    fake_arxiv.papers["hep-th/9901001"] = make_entry("hep-th/9901001", "An Old Invented Paper", "We study strings.")

    view = await online_core.handle("paper https://arxiv.org/abs/hep-th/9901001v2", private())

    assert isinstance(view, CardView) and view.entry.paper.arxiv_id == "hep-th/9901001"


async def test_two_people_asking_at_once_cause_one_fetch(
    online_core: CommandCore, db: Database, fake_hf: FakeHF
) -> None:
    fake_hf.papers[ID] = make_paper(ID, "MemoRL: Agent Memory for Agentic RL", ABSTRACT)
    fake_hf.delay_next(0.3)

    views = await asyncio.gather(
        online_core.handle(f"paper {ID}", private("alice", "chat-a")),
        online_core.handle(f"https://huggingface.co/papers/{ID}", private("bob", "chat-b")),
        online_core.handle(f"paper arXiv:{ID}v1", private("carol", "chat-c")),
    )

    assert all(isinstance(view, CardView) for view in views)
    assert fake_hf.count("/api/papers") == 1
    assert await stored(db, ID)

"""`related` and the similarity half of `search`, through the command core on invented papers."""

from __future__ import annotations

from paperwire.bot.store.database import Database
from paperwire.bot.store.search import search_papers
from paperwire.bot.views import MessageView, PaperListView
from paperwire.handlers.core import CommandCore
from tests.handlers.conftest import private


def ids(view: object) -> list[str]:
    assert isinstance(view, PaperListView), view
    return [item.paper.arxiv_id for item in view.items]


async def test_related_lists_the_five_nearest_papers_not_itself(core: CommandCore) -> None:
    view = await core.handle("related 2602.10001", private())  # SparseKV: KV cache compression
    found = ids(view)
    assert len(found) == 5 and "2602.10001" not in found
    assert "SparseKV" in view.title
    # An efficient-inference paper is nearer than an image-generation one.
    assert "2602.11001" in found
    assert "2602.10003" not in found or found.index("2602.11001") < found.index("2602.10003")


async def test_related_accepts_links_and_refuses_words(core: CommandCore) -> None:
    assert ids(await core.handle("/related https://arxiv.org/abs/2602.10002v2", private()))
    refused = await core.handle("related sparse attention", private())
    assert isinstance(refused, MessageView) and refused.kind == "usage"
    assert "related <arXiv id" in "\n".join(refused.lines)


async def test_search_finds_a_paper_that_uses_other_words(core: CommandCore, db: Database) -> None:
    query = "key-value footprint reduction"
    async with db.connect() as connection:
        assert await search_papers(connection, query) == [], "no stored text uses these words"
    view = await core.handle(f"search {query}", private("u2"))
    assert ids(view)[0] == "2602.10001"  # SparseKV: "compresses the KV cache" for long context


async def test_search_keeps_title_matches_first(core: CommandCore) -> None:
    found = ids(await core.handle("search quantization", private("u3")))
    assert found[0] == "2602.11001"

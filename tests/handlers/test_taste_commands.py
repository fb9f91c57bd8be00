"""`like`, `dislike` and `taste` through the command core: a chat's votes give it its own
picks and excluded reasons, other chats keep the global ones, and `taste reset` forgets."""

from __future__ import annotations

from paperwire.bot.views import DigestView, ExcludedView, MessageView
from paperwire.handlers.core import CommandCore
from tests.handlers.conftest import private


def picks(view: object) -> list[str]:
    assert isinstance(view, DigestView), view
    return [entry.paper.arxiv_id for entry in view.digest.entries]


def text(view: object) -> str:
    assert isinstance(view, MessageView), view
    return "\n".join(view.lines)


async def test_a_chat_that_votes_gets_its_own_picks_and_others_do_not(core: CommandCore) -> None:
    global_picks = picks(await core.handle("today", private("u1", "other-chat")))
    assert global_picks, "the fixture day has picks"
    voter = private("u2", "voting-chat")
    for arxiv_id in global_picks:
        assert "👎" in text(await core.handle(f"dislike {arxiv_id}", voter))
    own = picks(await core.handle("today", voter))
    assert own != global_picks and not set(own) >= set(global_picks)
    assert picks(await core.handle("today", private("u1", "other-chat"))) == global_picks
    excluded = await core.handle("excluded", voter)
    assert isinstance(excluded, ExcludedView)
    ranked_down = [item for item in excluded.exclusions if item.kind == "taste"]
    assert ranked_down and ranked_down[0].reason["en"] == "ranked down by this chat's votes"
    shown = text(await core.handle("taste", voter))
    assert f"from {len(global_picks)} votes" in shown and "Leans away from" in shown
    assert "Forgot" in text(await core.handle("taste reset", voter))
    assert picks(await core.handle("today", voter)) == global_picks
    assert "has not voted yet" in text(await core.handle("taste", voter))


async def test_members_count_once_and_the_last_vote_stands(core: CommandCore) -> None:
    chat = "group-1"
    await core.handle("like 2602.10001", private("alice", chat))
    await core.handle("like 2602.10001", private("alice", chat))  # repeated: still one vote
    await core.handle("like 2602.10002", private("bob", chat))
    await core.handle("dislike 2602.10002", private("bob", chat))  # changed his mind
    assert "from 2 votes" in text(await core.handle("taste", private("carol", chat)))


async def test_votes_on_unknown_papers_and_bad_ids_are_refused(core: CommandCore) -> None:
    unknown = await core.handle("like 2612.99999", private())
    assert isinstance(unknown, MessageView) and unknown.kind == "not_found" and "paper 2612.99999" in text(unknown)
    bad = await core.handle("dislike sparse attention", private())
    assert isinstance(bad, MessageView) and bad.kind == "usage"
    assert (await core.handle("taste everything", private())).kind == "usage"

"""The command core on a filled store (SQLite, and PostgreSQL when configured): every command's view."""

from __future__ import annotations

import asyncio
import logging
from datetime import date

import pytest
from sqlalchemy import text

from paperwire.bot.models import DayPapers, Paper
from paperwire.bot.pipeline import Pipeline
from paperwire.bot.store import subscriptions as subscription_store
from paperwire.bot.store.database import Database
from paperwire.bot.views import (
    CardView,
    DigestView,
    ExcludedView,
    HelpView,
    MessageView,
    PaperListView,
    SubscriptionView,
    TopicsView,
    TrendsView,
    View,
)
from paperwire.handlers.commands import COMMANDS
from paperwire.handlers.core import CommandContext, CommandCore
from tests.handlers.conftest import DAY_1, DAY_2, DAY_3, FakeClock, make_core, make_pipeline, private


async def ask(core: CommandCore, line: str, ctx: CommandContext | None = None) -> View:
    return await core.handle(line, ctx or private())


def message_of(view: View, kind: str) -> str:
    assert isinstance(view, MessageView), view
    assert view.kind == kind, view
    return "\n".join(view.lines)


# ---------------------------------------------------------------- digests


async def test_today_is_the_latest_published_digest_and_yesterday_the_one_before(core: CommandCore) -> None:
    today = await ask(core, "today")
    yesterday = await ask(core, "digest yesterday")

    assert isinstance(today, DigestView) and today.digest.list_day == DAY_2
    assert today.digest.published == date(2026, 2, 20)
    assert isinstance(yesterday, DigestView) and yesterday.digest.list_day == DAY_1
    assert {entry.paper.arxiv_id for entry in today.digest.entries} >= {"2602.11001", "2602.11002"}


async def test_digest_of_a_stored_day_is_built_on_demand(core: CommandCore) -> None:
    view = await ask(core, "digest 2026-02-20")

    assert isinstance(view, DigestView) and view.digest.list_day == DAY_3
    assert {entry.paper.arxiv_id for entry in view.digest.entries} >= {"2602.12001", "2602.12002"}


async def test_digest_of_a_day_that_is_not_stored_names_the_stored_days(core: CommandCore) -> None:
    reply = message_of(await ask(core, "digest 2025-01-01"), "not_found")

    assert "No Daily Papers list is stored for 2025-01-01" in reply
    assert "2026-02-18 to 2026-02-20" in reply


async def test_digest_of_an_empty_day_says_there_were_no_papers(core: CommandCore, pipeline: Pipeline) -> None:
    await pipeline.ingest(DayPapers(date(2026, 2, 21), []), "weekend")

    reply = message_of(await ask(core, "digest 2026-02-21"), "info")

    assert "No papers on the Daily Papers list for 2026-02-21" in reply


async def test_today_before_any_digest_says_so(db: Database) -> None:
    core = make_core(db, make_pipeline(db))

    assert "No digest has been published yet" in message_of(await ask(core, "today"), "not_found")
    assert "No Daily Papers lists are stored yet" in message_of(await ask(core, "trends"), "not_found")


async def test_a_chat_that_follows_topics_sees_its_own_digest(core: CommandCore) -> None:
    await ask(core, "subscribe efficient-llm")

    view = await ask(core, "today")

    assert isinstance(view, DigestView)
    assert view.digest.only_topics == ["efficient-llm"]
    assert {entry.pick.topic for entry in view.digest.entries} == {"efficient-llm"}


# ---------------------------------------------------------------- papers


async def test_paper_by_id_is_a_card_with_its_pick(core: CommandCore) -> None:
    view = await ask(core, "paper arXiv:2602.10001v3")

    assert isinstance(view, CardView)
    assert view.entry.paper.arxiv_id == "2602.10001"
    assert view.entry.pick.topic == "efficient-llm" and view.entry.pick.stars in (2, 3) and view.picked
    assert view.entry.card.one_liner
    assert view.list_day == DAY_1 and view.note and "2026-02-18" in view.note


async def test_paper_by_old_style_id_and_by_link(core: CommandCore) -> None:
    old = await ask(core, "paper cs/0501001")
    link = await ask(core, "https://huggingface.co/papers/2602.11003")

    assert isinstance(old, CardView) and old.entry.paper.arxiv_id == "cs/0501001"
    assert isinstance(link, CardView) and link.entry.paper.arxiv_id == "2602.11003"


async def test_paper_that_was_never_picked_has_no_stars(core: CommandCore) -> None:
    view = await ask(core, "paper 2602.11004")

    assert isinstance(view, CardView) and not view.picked
    assert view.note and "2026-02-19" in view.note


async def test_paper_by_exact_title_then_by_title_words(core: CommandCore) -> None:
    exact = await ask(core, "paper dreamworld: a world model for interactive simulation")
    words = await ask(core, "paper QuantFast")

    assert isinstance(exact, CardView) and exact.entry.paper.arxiv_id == "2602.11003"
    assert isinstance(words, CardView) and words.entry.paper.arxiv_id == "2602.11001"
    assert words.note and "Best title match" in words.note


async def test_paper_not_found_by_title_suggests_search(core: CommandCore) -> None:
    assert "Try: search quantum gravity" in message_of(await ask(core, "paper quantum gravity"), "not_found")


async def test_paper_link_without_an_id_gets_the_right_forms(core: CommandCore) -> None:
    reply = message_of(await ask(core, "paper https://arxiv.org/list/cs.AI"), "usage")

    assert "2602.13515" in reply and "Usage: paper" in reply


async def test_cards_are_cached_per_language(core: CommandCore, db: Database) -> None:
    await ask(core, "paper 2602.12003", private(language="zh"))
    await ask(core, "paper 2602.12003", private(language="zh"))

    async with db.connect() as connection:
        rows = (
            await connection.execute(text("SELECT language FROM summaries WHERE arxiv_id = '2602.12003'"))
        ).all()
    assert [row.language for row in rows] == ["zh"]


# ---------------------------------------------------------------- search, topics, trends, excluded


async def test_search_ranks_title_matches_first_with_day_and_topic(core: CommandCore) -> None:
    view = await ask(core, "search tool calling")

    assert isinstance(view, PaperListView)
    ids = [item.paper.arxiv_id for item in view.items]
    assert ids[0] == "2602.11002"  # "tool calling" in its title
    assert set(ids) >= {"2602.11002", "2602.10002", "cs/0501001"}
    first = view.items[0]
    assert (first.list_day, first.topic, first.topic_name) == (DAY_2, "agentic-rl", "Agentic RL")


async def test_search_with_no_match_says_so(core: CommandCore) -> None:
    view = await ask(core, "search photosynthesis")

    assert isinstance(view, PaperListView) and view.items == []
    assert "photosynthesis" in view.empty


async def test_topics_counts_over_the_recent_list_days(core: CommandCore) -> None:
    view = await ask(core, "topics")

    assert isinstance(view, TopicsView)
    counts = {row.id: row.count for row in view.rows}
    assert counts["efficient-llm"] == 3 and counts["agentic-rl"] == 3 and counts["rlvr-alignment"] == 0
    assert "3 list days" in view.title


@pytest.mark.parametrize("name", ["efficient-llm", "EFFICIENT-LLM", "Efficient LLM", "efficient llm", "高效大模型"])
async def test_topic_by_id_or_name_lists_picks_with_stars(core: CommandCore, name: str) -> None:
    view = await ask(core, f"topic {name}")

    assert isinstance(view, PaperListView)
    assert [(item.paper.arxiv_id, item.stars in (2, 3)) for item in view.items] == [
        ("2602.11001", True),
        ("2602.10001", True),
        ("2602.12001", False),  # 2026-02-20 was never curated: listed, but no pick yet
    ]
    assert view.items[-1].stars is None
    assert all(item.topic == "efficient-llm" for item in view.items)


async def test_topic_lists_other_papers_of_the_topic_after_the_picks(core: CommandCore) -> None:
    view = await ask(core, "topic efficient-llm 2")  # 2026-02-19 and 2026-02-20

    assert isinstance(view, PaperListView)
    assert [(item.paper.arxiv_id, item.stars) for item in view.items] == [
        ("2602.11001", view.items[0].stars), ("2602.12001", None)
    ]
    assert view.items[0].stars in (2, 3)


async def test_unknown_topic_lists_the_topics(core: CommandCore) -> None:
    reply = message_of(await ask(core, "topic astrology"), "usage")

    assert "astrology" in reply and "agentic-rl" in reply


async def test_excluded_today_and_by_date_give_reasons(core: CommandCore) -> None:
    today = await ask(core, "excluded")
    first = await ask(core, "excluded 2026-02-18")

    assert isinstance(today, ExcludedView) and today.list_day == DAY_2
    assert [item.paper.arxiv_id for item in today.exclusions] == ["2602.11004"]
    assert isinstance(first, ExcludedView) and first.exclusions[0].reason["en"]


async def test_trends_counts_per_list_day(core: CommandCore) -> None:
    view = await ask(core, "trends")

    assert isinstance(view, TrendsView)
    assert view.days == [DAY_1, DAY_2, DAY_3]
    rows = {row.topic: row for row in view.rows}
    assert rows["world-models"].counts == [0, 1, 0]
    assert rows["efficient-llm"].total == 3


async def test_help_and_unknown_commands(core: CommandCore) -> None:
    help_view = await ask(core, "/help")
    unknown = message_of(await ask(core, "/frobnicate"), "usage")

    assert isinstance(help_view, HelpView) and len(help_view.commands) == len(COMMANDS) == 16
    assert "frobnicate" in unknown and "subscribe" in unknown


# ---------------------------------------------------------------- subscriptions


async def test_subscribe_stores_the_chat_with_defaults(core: CommandCore, db: Database) -> None:
    view = await ask(core, "subscribe agentic rl, VLA / Embodied agents", private(chat="chat-9"))

    assert isinstance(view, SubscriptionView) and view.subscribed
    assert view.topics == ["agentic-rl", "vla"]
    async with db.connect() as connection:
        stored = await subscription_store.get_subscription(connection, "telegram", "chat-9")
    assert stored is not None and stored.active
    assert (stored.topics, stored.delivery_time, stored.timezone, stored.language) == (
        ["agentic-rl", "vla"],
        "09:00",
        "UTC",
        "en",
    )
    assert stored.chat_kind == "private" and stored.origin == "chat"


async def test_subscribe_without_topics_means_every_topic(core: CommandCore) -> None:
    view = await ask(core, "subscribe")

    assert isinstance(view, SubscriptionView) and view.subscribed and view.topics == []
    assert ("Topics", "all topics") in view.fields


async def test_subscribe_to_an_unknown_topic_shows_the_right_form(core: CommandCore) -> None:
    reply = message_of(await ask(core, "subscribe agentic-rl knitting"), "usage")

    assert '"knitting"' in reply and "Usage: subscribe" in reply


async def test_settings_change_time_zone_and_language(core: CommandCore, db: Database) -> None:
    await ask(core, "subscribe")

    view = await ask(core, "settings time 7:30 tz America/New_York lang zh")

    assert isinstance(view, SubscriptionView) and view.language == "zh"
    assert (view.delivery_time, view.timezone, view.reply_language) == ("07:30", "America/New_York", "zh")
    assert view.note == "设置已保存。"
    # Later replies in this chat come in its language.
    again = await ask(core, "settings")
    assert isinstance(again, SubscriptionView) and again.language == "zh" and again.subscribed


async def test_settings_before_subscribing_keep_the_chat_off(core: CommandCore, db: Database) -> None:
    view = await ask(core, "settings lang zh")

    assert isinstance(view, SubscriptionView) and not view.subscribed
    async with db.connect() as connection:
        assert await subscription_store.active_subscriptions(connection) == []
    assert isinstance(await ask(core, "help"), HelpView) and (await ask(core, "help")).language == "zh"


async def test_bad_settings_say_what_is_wrong(core: CommandCore) -> None:
    reply = message_of(await ask(core, "settings tz Europe/Atlantis"), "usage")

    assert "Europe/Atlantis" in reply and "IANA" in reply and "Usage: settings" in reply


async def test_unsubscribe(core: CommandCore, db: Database) -> None:
    assert "no subscription" in message_of(await ask(core, "unsubscribe"), "info")
    await ask(core, "subscribe")

    assert "no longer" in message_of(await ask(core, "unsubscribe"), "info")
    async with db.connect() as connection:
        stored = await subscription_store.get_subscription(connection, "telegram", "c1")
    assert stored is not None and not stored.active and stored.deactivated_reason


async def test_in_groups_only_admins_change_the_subscription(core: CommandCore, db: Database) -> None:
    member = CommandContext("telegram", "-100", "u5", chat_kind="group", is_admin=False)
    admin = CommandContext("telegram", "-100", "u6", chat_kind="group", is_admin=True)

    for line in ("subscribe", "unsubscribe", "settings lang zh"):
        assert "admin" in message_of(await ask(core, line, member), "denied")
    assert isinstance(await ask(core, "settings", member), SubscriptionView)  # looking is fine
    assert isinstance(await ask(core, "subscribe", admin), SubscriptionView)
    channel = CommandContext("slack", "C1", "u7", chat_kind="channel", is_admin=False)
    assert message_of(await ask(core, "subscribe", channel), "denied")


# ---------------------------------------------------------------- abuse and failures


async def test_the_21st_command_in_a_minute_is_refused_politely(core: CommandCore, clock: FakeClock) -> None:
    for _ in range(20):
        assert isinstance(await ask(core, "help", private("busy")), HelpView)

    refused = await ask(core, "help", private("busy"))
    again = await ask(core, "help", private("busy"))
    other = await ask(core, "help", private("calm"))

    assert "20 a minute" in message_of(refused, "rate_limited")
    assert isinstance(refused, MessageView) and not refused.quiet
    assert isinstance(again, MessageView) and again.quiet  # told once is enough
    assert isinstance(other, HelpView)
    clock.advance(60.1)
    assert isinstance(await ask(core, "help", private("busy")), HelpView)


async def test_overlong_arguments_are_refused(core: CommandCore) -> None:
    assert "at most 300" in message_of(await ask(core, "search " + "x" * 301), "usage")


async def test_an_internal_failure_is_logged_and_answered(
    core: CommandCore, db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    async with db.begin() as connection:
        await connection.execute(text("DROP TABLE subscriptions"))

    with caplog.at_level(logging.ERROR, logger="paperwire.handlers.core"):
        view = await ask(core, "today")

    assert "something went wrong" in message_of(view, "error")
    assert any(record.exc_info for record in caplog.records)


# ---------------------------------------------------------------- caching


async def test_store_wide_replies_are_kept_for_a_minute(
    core: CommandCore, pipeline: Pipeline, clock: FakeClock
) -> None:
    before = await ask(core, "topics")
    await ask(core, "today")
    monday = Paper("2602.13001", "MoonKV: KV Cache Offloading", "We propose MoonKV for kv cache offloading.")
    await pipeline.ingest(DayPapers(date(2026, 2, 23), [monday]), "Monday")
    await pipeline.build(DAY_3, "en")

    assert await ask(core, "topics") is before
    assert isinstance(today := await ask(core, "today"), DigestView) and today.digest.list_day == DAY_2
    clock.advance(61)
    after = await ask(core, "topics")
    assert isinstance(after, TopicsView) and after is not before and "2026-02-23" in after.title
    assert isinstance(today := await ask(core, "today"), DigestView) and today.digest.list_day == DAY_3


async def test_cached_replies_are_per_language_and_per_chat_topics(core: CommandCore) -> None:
    english = await ask(core, "today")
    chinese = await ask(core, "today", private(language="zh"))
    await ask(core, "subscribe vla", private(chat="vla-chat"))
    only_vla = await ask(core, "today", private(chat="vla-chat"))

    assert isinstance(english, DigestView) and isinstance(chinese, DigestView) and isinstance(only_vla, DigestView)
    assert (english.language, chinese.language) == ("en", "zh")
    assert only_vla.digest.only_topics == ["vla"] and english.digest.only_topics == []


async def test_many_asking_today_at_once_share_one_build(core: CommandCore, db: Database) -> None:
    views = await asyncio.gather(*(ask(core, "today", private(f"user-{n}")) for n in range(20)))

    assert all(view is views[0] for view in views)


async def test_a_subscription_changed_elsewhere_shows_within_half_a_minute(
    core: CommandCore, db: Database, clock: FakeClock
) -> None:
    await ask(core, "help")  # the chat (no subscription yet) is now cached
    async with db.begin() as connection:  # another replica, or the operator
        await subscription_store.upsert_subscription(connection, "telegram", "c1", language="zh")

    assert (await ask(core, "help")).language == "en"
    settings_view = await ask(core, "settings")  # always read fresh
    assert isinstance(settings_view, SubscriptionView) and settings_view.reply_language == "zh"
    clock.advance(31)
    assert (await ask(core, "help")).language == "zh"

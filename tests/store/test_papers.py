"""Paper storage on SQLite and PostgreSQL: upserts by id, list days, full-text search."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select, text

from paperwire.bot.models import DayPapers, Paper
from paperwire.bot.store import papers as store
from paperwire.bot.store import search
from paperwire.bot.store.database import SCHEMA_HEAD, Database
from paperwire.bot.store.schema import papers as papers_table

DAY = date(2026, 2, 20)


def paper(arxiv_id: str, title: str, **fields: object) -> Paper:
    defaults: dict[str, object] = {"abstract": f"An abstract about {title.lower()}.", "list_day": DAY}
    defaults.update(fields)
    return Paper(arxiv_id=arxiv_id, title=title, **defaults)  # type: ignore[arg-type]


async def test_upsert_counts_new_and_updated(db: Database) -> None:
    async with db.begin() as connection:
        first = await store.upsert_papers(connection, [paper("2602.00001", "A"), paper("2602.00002", "B")])
        second = await store.upsert_papers(connection, [paper("2602.00002", "B"), paper("2602.00003", "C")])
        third = await store.upsert_papers(connection, [paper("2602.00003", "C", upvotes=5), paper("2602.00001", "A")])
    assert (first.inserted, first.updated, first.unchanged) == (2, 0, 0)
    # The same paper again changes nothing: it counts as unchanged, not updated.
    assert (second.inserted, second.updated, second.unchanged) == (1, 0, 1)
    assert (third.inserted, third.updated, third.unchanged) == (0, 1, 1)
    async with db.connect() as connection:
        assert await store.count_papers(connection) == 3


async def test_later_version_updates_and_older_never_wins(db: Database) -> None:
    async with db.begin() as connection:
        await store.upsert_papers(connection, [paper("2602.00001", "First title", version=1)])
        await store.upsert_papers(connection, [paper("2602.00001", "Second title", version=3)])
        await store.upsert_papers(connection, [paper("2602.00001", "Stale title", version=2)])
    async with db.connect() as connection:
        stored = await store.get_paper(connection, "2602.00001")
        count = (await connection.execute(select(func.count()).select_from(papers_table))).scalar_one()
    assert stored is not None
    assert (stored.title, stored.version, count) == ("Second title", 3, 1)


async def test_upsert_keeps_optional_fields_a_poorer_source_lacks(db: Database) -> None:
    rich = paper(
        "2602.00001",
        "Rich",
        ai_summary="HF summary",
        ai_keywords=["kv cache"],
        github_repo="https://github.com/example/rich",
        upvotes=40,
        published_at=datetime(2026, 2, 19, tzinfo=UTC),
    )
    poor = paper("2602.00001", "Rich", upvotes=3)  # e.g. the arXiv fallback
    async with db.begin() as connection:
        await store.upsert_papers(connection, [rich])
        await store.upsert_papers(connection, [poor])
    async with db.connect() as connection:
        stored = await store.get_paper(connection, "2602.00001")
    assert stored is not None
    assert stored.ai_summary == "HF summary"
    assert stored.ai_keywords == ["kv cache"]
    assert stored.github_repo == "https://github.com/example/rich"
    assert stored.upvotes == 40
    assert stored.published_at == datetime(2026, 2, 19, tzinfo=UTC)


async def test_list_day_keeps_order_and_day_upvotes(db: Database) -> None:
    items = [paper("2602.00003", "C", upvotes=1), paper("2602.00001", "A", upvotes=9)]
    async with db.begin() as connection:
        await store.upsert_papers(connection, items)
        await store.record_list_day(connection, DayPapers(DAY, items), "test")
        await store.record_list_day(connection, DayPapers(DAY, items), "test")  # twice: no duplicates
        await store.record_list_day(connection, DayPapers(date(2026, 2, 21), []), "test")
    async with db.connect() as connection:
        listed = await store.papers_for_day(connection, DAY)
        days_with_papers = await store.known_list_days(connection)
        all_days = await store.known_list_days(connection, with_papers=False)
    assert [(p.arxiv_id, p.upvotes) for p in listed] == [("2602.00003", 1), ("2602.00001", 9)]
    assert days_with_papers == [DAY]
    assert all_days == [DAY, date(2026, 2, 21)]


async def test_search_ranks_title_matches_first(db: Database) -> None:
    items = [
        paper("2602.00001", "Routing tokens", abstract="We study sparse attention for long inputs in detail."),
        paper("2602.00002", "Sparse attention at scale", abstract="A kernel."),
        paper("2602.00003", "Robot arms", abstract="Grasping."),
        paper("2602.00004", "Cache tricks", abstract="Nothing here.", ai_keywords=["sparse attention"]),
    ]
    async with db.begin() as connection:
        await store.upsert_papers(connection, items)
    async with db.connect() as connection:
        hits = await search.search_papers(connection, "sparse attention")
        none = await search.search_papers(connection, "quantum chromodynamics")
        either = await search.search_papers(connection, "robot grasping")
        hostile = await search.search_papers(connection, 'sparse" OR title:* NEAR( )) --')
    assert hits[0].paper.arxiv_id == "2602.00002"
    assert hits[0].title_match
    assert {hit.paper.arxiv_id for hit in hits} == {"2602.00001", "2602.00002", "2602.00004"}
    assert none == []
    assert [hit.paper.arxiv_id for hit in either] == ["2602.00003"]
    assert isinstance(hostile, list)


async def test_search_index_follows_updates(db: Database) -> None:
    async with db.begin() as connection:
        await store.upsert_papers(connection, [paper("2602.00001", "Old words", abstract="nothing")])
        await store.upsert_papers(connection, [paper("2602.00001", "Speculative decoding", abstract="nothing")])
    async with db.connect() as connection:
        assert [h.paper.arxiv_id for h in await search.search_papers(connection, "speculative")] == ["2602.00001"]
        assert await search.search_papers(connection, "old words") == []


async def test_migrations_are_applied_once(database_url: str) -> None:
    for _ in range(2):
        database = Database(database_url)
        await database.start()
        async with database.connect() as connection:
            version = (await connection.execute(text("SELECT version_num FROM alembic_version"))).scalar_one()
        await database.close()
    assert version == SCHEMA_HEAD


def test_schema_head_matches_the_newest_migration() -> None:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from paperwire.bot.store.database import MIGRATIONS_DIR, SCHEMA_HEAD

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    assert ScriptDirectory.from_config(config).get_current_head() == SCHEMA_HEAD


async def test_topics_can_be_reassigned(db: Database) -> None:
    async with db.begin() as connection:
        await store.upsert_papers(connection, [paper("2602.00001", "A", topics=["vla"])], taxonomy_fingerprint="old")
        stale = await store.papers_needing_topics(connection, "new")
        await store.set_topics(connection, {"2602.00001": ["world-models", "vla"]}, "new")
        after = await store.papers_needing_topics(connection, "new")
        stored = await store.get_paper(connection, "2602.00001")
    assert [p.arxiv_id for p in stale] == ["2602.00001"]
    assert after == []
    assert stored is not None and stored.topics == ["world-models", "vla"]


async def test_search_ranks_a_bounded_window_but_finds_old_titles(db: Database, monkeypatch) -> None:
    """A common word ranks only its newest matches (the cost stays bounded as the archive
    grows), yet a paper whose title holds the words is found however old it is."""
    monkeypatch.setattr(search, "SEARCH_WINDOW", 3)
    monkeypatch.setattr(search, "POSTGRES_WINDOW", 3)
    old_title = paper("2401.00001", "Attention for tool agents", abstract="An old paper about agents.")
    filler = [
        paper(f"2602.{n:05d}", f"Filler {n}", abstract="Tool agents everywhere, agents and more agents.")
        for n in range(2, 12)
    ]
    async with db.begin() as connection:
        await store.upsert_papers(connection, [old_title])
        await store.upsert_papers(connection, filler)
    async with db.connect() as connection:
        title_hits = await search.search_papers(connection, "attention agents", limit=5)
        common = await search.search_papers(connection, "agents", limit=10)
    assert title_hits[0].paper.arxiv_id == "2401.00001" and title_hits[0].title_match
    assert len(common) == 4  # the title match, then the 3 newest abstract matches
    assert common[0].paper.arxiv_id == "2401.00001"
    assert {hit.paper.arxiv_id for hit in common[1:]} == {"2602.00009", "2602.00010", "2602.00011"}


async def test_a_write_that_may_be_lost_skips_only_its_own_wait_for_the_disk(db: Database) -> None:
    """`begin(durable=False)` (cached cards) commits what it wrote; on PostgreSQL only that
    transaction stops waiting for the disk, and the next one waits again."""
    async with db.begin(durable=False) as connection:
        await store.upsert_papers(connection, [paper("2602.00001", "A cached card's paper")])
        inside = None if db.is_sqlite else (await connection.execute(text("SHOW synchronous_commit"))).scalar()
    async with db.begin() as connection:
        after = None if db.is_sqlite else (await connection.execute(text("SHOW synchronous_commit"))).scalar()
        stored = await store.get_paper(connection, "2602.00001")
    assert stored is not None and stored.title == "A cached card's paper"
    if not db.is_sqlite:  # SQLite's WAL commits never wait for the disk here (synchronous=NORMAL)
        assert (inside, after) == ("off", "on")


async def test_full_text_indexes_take_new_papers_without_a_pending_list(db: Database) -> None:
    """On PostgreSQL the GIN indexes have no pending list (migration 0013): a new paper is in
    the index at once, and no search reads a queue of unmerged entries."""
    if db.is_sqlite:
        pytest.skip("FTS5 has no pending list")
    async with db.begin() as connection:
        await store.upsert_papers(connection, [paper("2602.00001", "Pendulum swing-up with sparse rewards")])
    async with db.connect() as connection:
        options = dict(
            (await connection.execute(text(
                "SELECT relname, reloptions FROM pg_class WHERE relname IN ('ix_papers_title_vector', 'ix_papers_search_vector')"
            ))).all()
        )
        hits = await search.search_papers(connection, "pendulum rewards")
    assert options == {name: ["fastupdate=off"] for name in ("ix_papers_title_vector", "ix_papers_search_vector")}
    assert [hit.paper.arxiv_id for hit in hits] == ["2602.00001"] and hits[0].title_match


async def test_statistics_refreshed_after_a_bulk_load_cover_the_papers(db: Database) -> None:
    """After `paperwire import`: both planners have statistics for `papers`, and on PostgreSQL
    its pages are marked all-visible (a VACUUM), so index reads stop checking the table."""
    async with db.begin() as connection:
        await store.upsert_papers(connection, [paper(f"2602.{n:05d}", f"Paper {n}") for n in range(1, 40)])
    await db.refresh_statistics()
    async with db.connect() as connection:
        if db.is_sqlite:
            stats = (await connection.execute(text("SELECT count(*) FROM sqlite_stat1 WHERE tbl = 'papers'"))).scalar()
            assert stats > 0
        else:
            pages, visible, rows = (
                await connection.execute(
                    text("SELECT relpages, relallvisible, reltuples FROM pg_class WHERE relname = 'papers'")
                )
            ).one()
            assert pages > 0 and visible == pages and rows == 39

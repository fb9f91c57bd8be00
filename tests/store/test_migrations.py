"""The migrations build exactly the tables `bot/store/schema.py` describes."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import Connection

from paperwire.bot.store.database import MIGRATIONS_DIR, Database
from paperwire.bot.store.schema import deliveries, metadata, notices


def _drift(connection: Connection) -> list[object]:
    differences = compare_metadata(MigrationContext.configure(connection), metadata)
    # Full-text search objects are dialect-specific and live only in the migration.
    return [d for d in differences if "fts" not in str(d) and "_vector" not in str(d)]


async def test_migrated_schema_matches_the_tables(db: Database) -> None:
    async with db.connect() as connection:
        assert await connection.run_sync(_drift) == []


async def test_notices_planned_the_old_way_move_to_their_own_table(tmp_path: Path) -> None:
    """A queued "no papers" message planned before 0007 (a reserved message index on an
    earlier digest) is still queued after the upgrade, once, under the empty day's notice."""
    path = tmp_path / "old.sqlite3"
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    engine = create_engine(f"sqlite:///{path}")
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0006_votes")
        connection.execute(text("INSERT INTO curated_days VALUES ('2026-02-19', 'x', 6, '2026-02-20 00:00:00')"))
        connection.execute(
            text(
                "INSERT INTO digests (id, list_day, language, topics_key, published_on, generated_at, stats) "
                "VALUES (1, '2026-02-19', 'en', '', '2026-02-20', '2026-02-20 00:00:00', '{}')"
            )
        )
        empty = date(2026, 2, 21)
        for chat, index in (("1", 0), ("1", 1_000_000 + empty.toordinal()), ("2", 1_000_000 + empty.toordinal())):
            connection.execute(
                text(
                    "INSERT INTO deliveries (digest_id, platform, chat_id, message_index, payload, status, "
                    "attempts, not_before, created_at) VALUES (1, 'telegram', :chat, :index, '{}', 'pending', 0, "
                    "'2026-02-22 00:00:00', '2026-02-22 00:00:00')"
                ),
                {"chat": chat, "index": index},
            )
    engine.dispose()

    db = Database(f"sqlite+aiosqlite:///{path}")
    await db.start()
    try:
        async with db.connect() as connection:
            notice_rows = (await connection.execute(select(notices.c.id, notices.c.list_day))).all()
            rows = (
                await connection.execute(
                    select(deliveries.c.chat_id, deliveries.c.digest_id, deliveries.c.notice_id, deliveries.c.message_index)
                    .order_by(deliveries.c.chat_id, deliveries.c.message_index)
                )
            ).all()
    finally:
        await db.close()
    assert [row.list_day for row in notice_rows] == [empty]
    notice = notice_rows[0].id
    assert [tuple(row) for row in rows] == [("1", 1, None, 0), ("1", None, notice, 0), ("2", None, notice, 0)]


async def test_papers_stored_before_cleaning_are_cleaned_by_the_upgrade(tmp_path: Path) -> None:
    """0010 cleans what 0009 stored raw: LaTeX, arXiv's placeholder, a right-to-left override."""
    path = tmp_path / "raw.sqlite3"
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    engine = create_engine(f"sqlite:///{path}")
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0009_llm_spend")
        connection.execute(
            text(
                "INSERT INTO papers (arxiv_id, title, abstract, ai_summary, authors, upvotes, ai_keywords, "
                "keywords_text, topics, created_at, updated_at) VALUES ('2602.00001', :title, :abstract, NULL, "
                "'[]', 0, '[]', '', '[]', '2026-02-20 00:00:00', '2026-02-20 00:00:00')"
            ),
            {
                "title": "\u202eSlimCache: \\textsc{Eviction}",
                "abstract": "We cut memory by 72.6\\%. Code: https://github.com/example/slim{this https URL}.",
            },
        )
    engine.dispose()

    db = Database(f"sqlite+aiosqlite:///{path}")
    await db.start()
    try:
        async with db.connect() as connection:
            row = (await connection.execute(text("SELECT title, abstract, github_repo FROM papers"))).one()
    finally:
        await db.close()
    assert row.title == "SlimCache: Eviction"
    assert row.abstract == "We cut memory by 72.6%. Code: https://github.com/example/slim."
    assert row.github_repo == "https://github.com/example/slim"

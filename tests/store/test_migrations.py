"""The migrations build exactly the tables `bot/store/schema.py` describes."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.engine import Connection

from paperwire.bot.store.database import Database
from paperwire.bot.store.schema import metadata


def _drift(connection: Connection) -> list[object]:
    differences = compare_metadata(MigrationContext.configure(connection), metadata)
    # Full-text search objects are dialect-specific and live only in the migration.
    return [d for d in differences if "fts" not in str(d) and "_vector" not in str(d)]


async def test_migrated_schema_matches_the_tables(db: Database) -> None:
    async with db.connect() as connection:
        assert await connection.run_sync(_drift) == []

"""The database engine: SQLite (WAL) by default, PostgreSQL by URL; migrations applied at start."""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from paperwire.bot.errors import Failure
from paperwire.config.masking import mask_url, mask_urls

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
# The newest migration's revision. Checking it with one query lets an up-to-date
# database skip importing Alembic at start (a test keeps it equal to Alembic's head).
SCHEMA_HEAD = "0013_gin_no_pending_list"
# Any constant works; it only has to be the same for every paperwire replica.
_MIGRATION_LOCK_KEY = 0x70617065


class DatabaseUnavailable(Failure):
    """The database cannot be reached or opened; the message is for the operator."""


class Database:
    """Owns the async engine; `begin()` hands out one transaction at a time."""

    def __init__(self, url: str, *, echo: bool = False, read_only: bool = False) -> None:
        """`read_only` (a dry run): nothing is created, migrated or written; a write fails.

        SQLite opens the file with mode=ro (a missing file becomes an empty in-memory
        database, so a dry run on a fresh machine works); PostgreSQL sessions default to
        read-only transactions.
        """
        self.url = url
        self.read_only = read_only
        parsed = make_url(url)
        self.dialect = parsed.get_backend_name()
        self._in_memory = False
        options: dict[str, Any] = {"echo": echo}
        engine_url: Any = url
        if self.dialect == "sqlite":
            database = parsed.database or ""
            path = Path(database).expanduser() if database and database != ":memory:" else None
            options["connect_args"] = {"timeout": 30}
            if read_only:
                if path is not None and path.exists():
                    engine_url = f"sqlite+aiosqlite:///file:{path}?mode=ro&uri=true"
                else:
                    from sqlalchemy.pool import StaticPool

                    self._in_memory = True
                    engine_url = parsed.set(database=":memory:")
                    options.update(poolclass=StaticPool, connect_args={"check_same_thread": False})
            elif path is not None:
                path.parent.mkdir(parents=True, exist_ok=True)
        else:
            options.update(pool_size=10, max_overflow=10, pool_pre_ping=True)
            if read_only and self.dialect == "postgresql":
                options["connect_args"] = {"server_settings": {"default_transaction_read_only": "on"}}
        self.engine: AsyncEngine = create_async_engine(engine_url, **options)
        if self.dialect == "sqlite":
            event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas)

    @property
    def is_sqlite(self) -> bool:
        return self.dialect == "sqlite"

    @property
    def safe_url(self) -> str:
        """The URL with its user info and secret-looking query values hidden, for log lines and health output."""
        return mask_url(self.url)

    async def start(self) -> None:
        """Apply pending migrations; several replicas starting at once take turns."""
        try:
            if self.read_only and not self._in_memory:
                async with self.engine.connect() as connection:
                    revision = await _current_revision(connection)
                if revision != SCHEMA_HEAD:
                    raise DatabaseUnavailable(
                        f"the database at {self.safe_url} has schema {revision or 'none'}, not {SCHEMA_HEAD}; "
                        "a dry run changes nothing, so run paperwire once without --dry-run to migrate it"
                    )
                return
            async with self.engine.begin() as connection:
                if self.dialect == "postgresql":
                    await connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK_KEY})
                if await _current_revision(connection) != SCHEMA_HEAD:
                    await connection.run_sync(_upgrade_to_head)
        except OSError as error:
            raise DatabaseUnavailable(f"cannot reach the database at {self.safe_url}: {mask_urls(str(error))}") from None
        except Exception as error:
            if type(error).__module__.startswith(("sqlalchemy", "asyncpg", "sqlite3", "aiosqlite")):
                raise DatabaseUnavailable(f"cannot open the database at {self.safe_url}: {mask_urls(str(error))}") from None
            raise

    async def close(self) -> None:
        if self.dialect == "sqlite" and not self.read_only:
            # SQLite's advice for long-lived connections: refresh statistics that have gone
            # stale (cheap; it only re-analyzes tables that changed a lot).
            try:
                async with self.engine.begin() as connection:
                    await connection.execute(text("PRAGMA optimize"))
            except Exception as error:  # a closing database must still close
                log.debug("PRAGMA optimize skipped: %s", error)
        await self.engine.dispose()

    @asynccontextmanager
    async def begin(self, *, durable: bool = True) -> AsyncIterator[AsyncConnection]:
        """A connection inside a transaction that commits on success and rolls back on error.

        `durable=False` is for writes a crash may lose because they are made again on demand
        (cached cards): on PostgreSQL the commit then does not wait for the disk, which is
        most of an on-demand card's time when the disk is busy. SQLite's WAL commits do not
        wait for it anyway (synchronous=NORMAL)."""
        async with self.engine.begin() as connection:
            if not durable and self.dialect == "postgresql":
                await connection.execute(text("SELECT set_config('synchronous_commit', 'off', true)"))
            yield connection

    @asynccontextmanager
    async def connect(self) -> AsyncIterator[AsyncConnection]:
        """A connection for reads (autobegin; nothing to commit)."""
        async with self.engine.connect() as connection:
            yield connection

    async def ping(self) -> None:
        async with self.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))

    async def refresh_statistics(self) -> None:
        """ANALYZE after a bulk load. Without statistics both planners guess badly at 100k
        papers: PostgreSQL reads every search match, SQLite walks a topic's papers instead
        of a week of lists (130 ms against 3 ms for `topic`).

        PostgreSQL gets VACUUM (ANALYZE) (outside a transaction, as VACUUM must run): a bulk
        load leaves every page of `papers` not yet marked all-visible, so each index read
        also checks the table until autovacuum comes (never, where it is off); on a fresh import of
        97k papers, 200 concurrent commands went from 472 to 516 and 623 a second (bench/commands.py)."""
        if self.dialect == "postgresql":
            async with self.engine.connect() as connection:
                autocommit = await connection.execution_options(isolation_level="AUTOCOMMIT")
                await autocommit.execute(text("VACUUM (ANALYZE)"))
            return
        async with self.engine.begin() as connection:
            await connection.execute(text("ANALYZE"))

    async def refresh_outbox_statistics(self) -> None:
        """ANALYZE the outbox on PostgreSQL after planning many rows, without waiting for
        autovacuum (a minute at best, never where it is off): with the statistics of an empty
        table, recording sends took 0.3-4 s at 350k rows and held the fan-out meanwhile.
        SQLite's planner does well without them, and its ANALYZE would hold the write lock."""
        if self.dialect != "postgresql":
            return
        async with self.engine.begin() as connection:
            await connection.execute(text("ANALYZE deliveries"))


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


async def _current_revision(connection: AsyncConnection) -> str | None:
    try:
        async with connection.begin_nested():
            return (await connection.execute(text("SELECT version_num FROM alembic_version"))).scalar()
    except Exception:  # no version table yet: a new database
        return None


def _upgrade_to_head(connection: Connection) -> None:
    from alembic import command
    from alembic.config import Config
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    head = ScriptDirectory.from_config(config).get_current_head()
    current = MigrationContext.configure(connection).get_current_revision()
    if current == head:
        return
    if current is None:  # a new database: routine, and not worth a line on a first run
        log.debug("creating the database schema at %s", head)
    else:
        log.info("migrating the database from %s to %s", current, head)
    config.attributes["connection"] = connection
    command.upgrade(config, "head")


async def inspect_database(url: str) -> str:
    """Describe the database without writing anything (for `config check`).

    A SQLite file that does not exist yet is not created; an existing one is opened
    read-only; PostgreSQL is asked for its schema version. Raises DatabaseUnavailable.
    """
    parsed = make_url(url)
    safe = mask_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        if not database or database == ":memory:":
            return f"{safe} (in memory)"
        path = Path(database).expanduser()
        if not path.exists():
            folder = next((parent for parent in path.parents if parent.exists()), None)
            if folder is None or not folder.is_dir() or not os.access(folder, os.W_OK | os.X_OK):
                raise DatabaseUnavailable(f"cannot create the database at {safe}: {folder} is not a writable folder")
            return f"{safe} (does not exist yet; created and migrated at the first run)"
        # immutable=1: no lock files, no journal, nothing written next to the database.
        url = f"sqlite+aiosqlite:///file:{path}?mode=ro&immutable=1&uri=true"
    engine = create_async_engine(url)
    try:
        async with engine.connect() as connection:
            revision = await _current_revision(connection)
    except Exception as error:
        raise DatabaseUnavailable(f"cannot reach the database at {safe}: {mask_urls(str(error).splitlines()[0] if str(error) else type(error).__name__)}") from None
    finally:
        await engine.dispose()
    if revision == SCHEMA_HEAD:
        return f"{safe} (reachable, schema up to date)"
    return f"{safe} (reachable, schema at {revision or 'empty'}; migrated to {SCHEMA_HEAD} at the next start)"

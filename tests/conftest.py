"""Shared fixtures: databases (SQLite always, PostgreSQL when PAPERWIRE_TEST_DATABASE_URL is set)."""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from paperwire.bot.store.database import Database

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO_ROOT.parent / "shared" / "data" / "hf-daily"
POSTGRES_URL = os.environ.get("PAPERWIRE_TEST_DATABASE_URL")

_BACKENDS = ["sqlite"] + (["postgresql"] if POSTGRES_URL else [])


@pytest.fixture(autouse=True)
def _isolated_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No test reads the developer's settings or writes to their data folder."""
    for name in list(os.environ):
        if name.startswith("PAPERWIRE_") and name != "PAPERWIRE_TEST_DATABASE_URL":
            monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PAPERWIRE_DATA_DIR", str(tmp_path / "data"))
    # python-telegram-bot 22 warns on every RetryAfter unless told to use timedeltas.
    monkeypatch.setenv("PTB_TIMEDELTA", "1")


@pytest.fixture(autouse=True)
def _logging_restored() -> Iterator[None]:
    """`cli.main` run in-process sets the root logger's level and handler; the next test
    starts from the logging it would have had without it."""
    root = logging.getLogger()
    level, handlers = root.level, list(root.handlers)
    yield
    root.setLevel(level)
    root.handlers[:] = handlers


async def reset_postgres(url: str) -> None:
    """An empty public schema, so every test starts from a fresh migration."""
    engine = create_async_engine(url)
    try:
        async with engine.begin() as connection:
            await connection.execute(text("DROP SCHEMA public CASCADE"))
            await connection.execute(text("CREATE SCHEMA public"))
    finally:
        await engine.dispose()


@pytest.fixture(params=_BACKENDS)
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty database URL: SQLite in tmp, and PostgreSQL when configured."""
    if request.param == "postgresql":
        assert POSTGRES_URL is not None
        await reset_postgres(POSTGRES_URL)
        return POSTGRES_URL
    return f"sqlite+aiosqlite:///{tmp_path / 'test.sqlite3'}"


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    database = Database(database_url)
    await database.start()
    try:
        yield database
    finally:
        await database.close()


def shared_data_or_skip() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip("../shared/data/hf-daily is absent")
    return SHARED_DATA

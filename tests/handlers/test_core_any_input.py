"""Any text typed at the core gets a reply view: never an exception, never an internal error."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import aiohttp
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from paperwire.bot.sources.arxiv import ArxivClient
from paperwire.bot.sources.hf import HFClient
from paperwire.bot.store.database import Database
from paperwire.bot.views import MessageView
from paperwire.config.settings import CommandSettings
from paperwire.formatters.plain import render_view
from paperwire.handlers.core import CommandContext
from paperwire.handlers.commands import COMMANDS
from tests.fakes.arxiv import FakeArxiv
from tests.fakes.hf import FakeHF
from tests.handlers.conftest import fill_store, make_core

_WORDS = st.sampled_from(
    ["2602.10001", "cs/0501001", "arXiv:2602.99999", "today", "yesterday", "2026-02-19", "7", "90", "0",
     "efficient-llm", "高效大模型", "time", "09:00", "tz", "Asia/Shanghai", "lang", "zh", "all", "\x00", "'", '"']
)
_LINES = st.one_of(
    st.text(),
    # Lone surrogates too: a broken client can send them.
    st.text(st.one_of(st.characters(), st.characters(categories=["Cs"]))),
    st.tuples(
        st.sampled_from([*COMMANDS, "/start", "/paper@PaperwireBot", "papers search", "PAPER"]),
        st.lists(st.one_of(_WORDS, st.text(max_size=20)), max_size=5),
    ).map(lambda parts: " ".join([parts[0], *parts[1]])),
)
_CONTEXTS = st.builds(
    CommandContext,
    platform=st.sampled_from(["telegram", "slack"]),
    chat_id=st.sampled_from(["c1", "-1001", "C0ABC"]),
    user_id=st.text(min_size=1, max_size=8),
    chat_kind=st.sampled_from(["private", "group", "channel", "cli"]),
    is_admin=st.booleans(),
    language=st.sampled_from([None, "en", "zh"]),
)


def test_any_line_from_anyone_gets_a_view(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    loop = asyncio.new_event_loop()
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'any.sqlite3'}")
    hf_server, arxiv_server = FakeHF(), FakeArxiv()

    async def start() -> aiohttp.ClientSession:
        await db.start()
        await hf_server.start()
        await arxiv_server.start()
        return aiohttp.ClientSession()

    session = loop.run_until_complete(start())
    try:
        pipeline = loop.run_until_complete(fill_store(db))
        core = make_core(
            db,
            pipeline,
            hf=HFClient(session, hf_server.base_url, timeout=2, max_retries=0),
            arxiv=ArxivClient(session, arxiv_server.base_url, min_interval=0, timeout=2, max_retries=0),
            commands=CommandSettings(per_user_per_minute=1_000_000),
        )

        @settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
        @given(line=_LINES, context=_CONTEXTS)
        def answers(line: str, context: CommandContext) -> None:
            view = loop.run_until_complete(core.handle(line, context))
            assert view is not None
            assert not (isinstance(view, MessageView) and view.kind == "error"), view
            assert render_view(view).endswith("\n")

        # Only what the commands log counts: an earlier CLI test may have set the root logger
        # to INFO, and filling the store above logs its curation at that level.
        caplog.clear()
        with caplog.at_level(logging.ERROR, logger="paperwire.handlers.core"):
            answers()
        assert not caplog.records
    finally:

        async def stop() -> None:
            await session.close()
            await hf_server.stop()
            await arxiv_server.stop()
            await db.close()

        loop.run_until_complete(stop())
        loop.close()

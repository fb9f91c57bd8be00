"""A store filled with invented papers over three list days, and a command core on top of it.

List days 2026-02-18 and 2026-02-19 have published (English) digests, so `today` is
02-19 and `yesterday` 02-18; 2026-02-20 is stored but has no digest yet.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from typing import TypeVar

import pytest

from paperwire.bot.curation.taxonomy import Taxonomy, load_taxonomy
from paperwire.bot.models import DayPapers, Paper
from paperwire.bot.pipeline import Pipeline
from paperwire.bot.similar.index import SimilarityIndex
from paperwire.bot.similar.lsa import shipped_model
from paperwire.bot.sources.arxiv import ArxivClient
from paperwire.bot.sources.hf import HFClient
from paperwire.bot.store.database import Database
from paperwire.bot.summarize.extractive import ExtractiveSummarizer
from paperwire.config.settings import DEFAULT_TOPICS_FILE, CommandSettings
from paperwire.handlers.core import CommandContext, CommandCore
from tests.fakes.hf import ScriptedServer

DAY_1, DAY_2, DAY_3 = date(2026, 2, 18), date(2026, 2, 19), date(2026, 2, 20)
PUBLISHED = (DAY_1, DAY_2)

# (id, title, abstract, upvotes): every paper here is invented.
_DAYS: dict[date, list[tuple[str, str, str, int]]] = {
    DAY_1: [
        (
            "2602.10001",
            "SparseKV: Sparse Attention with KV Cache Compression for Long Context",
            "Long context inference is expensive because the KV cache grows with the input. "
            "We propose SparseKV, a sparse attention method that compresses the KV cache. "
            "SparseKV reduces memory by 4x while keeping accuracy within 1 point.",
            40,
        ),
        (
            "2602.10002",
            "ToolRunner: Training LLM Agents for Tool Use with Agentic Reinforcement Learning",
            "LLM agents often fail at multi-step tool use. We introduce ToolRunner, an agentic "
            "reinforcement learning recipe for tool calling. ToolRunner improves task success by 12 points.",
            30,
        ),
        (
            "2602.10003",
            "DiffuseAll: A Diffusion Model for Text-to-Image Generation",
            "We present DiffuseAll, a diffusion model for text-to-image generation and image editing.",
            50,
        ),
        (
            "2602.10004",
            "GraspVLA: A Vision-Language-Action Model for Robotic Manipulation",
            "We propose GraspVLA, a vision-language-action policy for robotic manipulation "
            "with an action expert. It succeeds on 80% of real-world grasps.",
            20,
        ),
    ],
    DAY_2: [
        (
            "2602.11001",
            "QuantFast: Low-Bit Quantization for Efficient Inference of Large Models",
            "Quantization lowers inference cost. We propose QuantFast, a low-bit quantization "
            "scheme for efficient inference that keeps latency low. QuantFast runs 2x faster.",
            35,
        ),
        (
            "2602.11002",
            "WebPilot: An LLM Agent for Web Navigation with Tool Calling",
            "We introduce WebPilot, a web agent built on an LLM agent loop with tool calling "
            "and agent memory. WebPilot completes 61% of web tasks.",
            25,
        ),
        (
            "2602.11003",
            "DreamWorld: A World Model for Interactive Simulation",
            "We present DreamWorld, a world model and learned simulator with latent dynamics "
            "for interactive world generation.",
            15,
        ),
        (
            "2602.11004",
            "PixelPaint: Video Generation with Diffusion Models",
            "We present PixelPaint, a diffusion model for video generation and text-to-image synthesis.",
            45,
        ),
    ],
    DAY_3: [
        (
            "2602.12001",
            "TreeDraft: Speculative Decoding with Draft Model Trees",
            "Speculative decoding speeds up generation with a draft model. We propose TreeDraft, "
            "which drafts token trees for speculative decoding and improves throughput by 3x.",
            45,
        ),
        (
            "2602.12002",
            "SwarmTalk: Multi-Agent Collaboration through Agent Communication",
            "We present SwarmTalk, a multi-agent system in which LLM agents coordinate through "
            "learned agent communication and role-playing debate, trained with multi-agent reinforcement "
            "learning. SwarmTalk improves team task success by 9 points.",
            22,
        ),
        (
            "2602.12003",
            "HumanoidVLA: Embodied Humanoid Control from Language",
            "We introduce HumanoidVLA, an embodied vision-language-action model for humanoid "
            "control with sim-to-real transfer.",
            18,
        ),
        (
            "cs/0501001",
            "Classic Agents: Autonomous Agent Tool Use Revisited",
            "We revisit autonomous agent tool use with an LLM agent and tool calling.",
            3,
        ),
    ],
}


def invented_days() -> list[DayPapers]:
    days = []
    for day, rows in _DAYS.items():
        papers = [
            Paper(
                arxiv_id=arxiv_id,
                title=title,
                abstract=abstract,
                authors=["Ada Example", "Bo Sample"],
                published_at=datetime(day.year, day.month, day.day - 1, 17, 0, tzinfo=UTC),
                list_day=day,
                upvotes=upvotes,
                github_repo="https://github.com/example/" + arxiv_id.replace("/", "-"),
            )
            for arxiv_id, title, abstract, upvotes in rows
        ]
        days.append(DayPapers(day, papers))
    return days


def make_pipeline(db: Database) -> Pipeline:
    similar = SimilarityIndex(db, shipped_model())
    return Pipeline(db, load_taxonomy(DEFAULT_TOPICS_FILE), ExtractiveSummarizer(), similar=similar)


async def fill_store(db: Database) -> Pipeline:
    """Ingest the three invented days and publish English digests of the first two."""
    pipeline = make_pipeline(db)
    for day in invented_days():
        await pipeline.ingest(day, "test fixture")
    for day in PUBLISHED:
        assert await pipeline.build(day, "en") is not None
    return pipeline


async def fill_store_at(url: str) -> None:
    db = Database(url)
    await db.start()
    try:
        await fill_store(db)
    finally:
        await db.close()


class FakeClock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def make_core(
    db: Database,
    pipeline: Pipeline,
    *,
    hf: HFClient | None = None,
    arxiv: ArxivClient | None = None,
    clock: Callable[[], float] | None = None,
    commands: CommandSettings | None = None,
) -> CommandCore:
    return CommandCore(
        db=db,
        pipeline=pipeline,
        taxonomy=pipeline.taxonomy,
        hf=hf,
        arxiv=arxiv,
        commands=commands,
        clock=clock or FakeClock(),
    )


def private(user: str = "u1", chat: str = "c1", **fields: object) -> CommandContext:
    return CommandContext("telegram", chat, user, "private", **fields)  # type: ignore[arg-type]


@pytest.fixture
async def pipeline(db: Database) -> Pipeline:
    return await fill_store(db)


@pytest.fixture
def taxonomy(pipeline: Pipeline) -> Taxonomy:
    return pipeline.taxonomy


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def core(db: Database, pipeline: Pipeline, clock: FakeClock) -> CommandCore:
    return make_core(db, pipeline, clock=clock)


S = TypeVar("S", bound=ScriptedServer)


@contextmanager
def serve_in_thread(server: S) -> Iterator[S]:
    """Run a fake server on its own event loop in a thread, for code that calls asyncio.run."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="fake-server", daemon=True)
    thread.start()
    try:
        asyncio.run_coroutine_threadsafe(server.start(), loop).result(10)
        yield server
    finally:
        asyncio.run_coroutine_threadsafe(server.stop(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()


@pytest.fixture
async def store_only(db: Database) -> AsyncIterator[Database]:
    """The `db` fixture, filled; for tests that build their own core."""
    await fill_store(db)
    yield db

"""What the fan-out benchmarks share: the sample digest planned for many chats, and a fake
platform running in a child process (as the real one runs elsewhere: its work neither slows
the sender nor bunches its own rate clock)."""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from paperwire.bot.curation.taxonomy import load_taxonomy
from paperwire.bot.models import Digest
from paperwire.bot.pipeline import Pipeline
from paperwire.bot.sources.files import read_file
from paperwire.bot.store import outbox
from paperwire.bot.store.database import Database
from paperwire.bot.summarize.extractive import ExtractiveSummarizer
from paperwire.config.settings import DEFAULT_TOPICS_FILE

LIST_DAY = date(2026, 2, 20)
SAMPLE = Path(__file__).resolve().parents[1] / "bot" / "sample" / f"{LIST_DAY}.json"


async def plan_sample_digest(
    db: Database, platform: str, chats: list[str], render: Callable[[Digest], list[dict]]
) -> tuple[list[int], int, list[dict]]:
    """Ingest the sample day, build its digest and plan it for every chat; (digest ids, messages a chat, payloads)."""
    pipeline = Pipeline(db, load_taxonomy(DEFAULT_TOPICS_FILE), ExtractiveSummarizer())
    await pipeline.ingest(read_file(SAMPLE, LIST_DAY), "sample")
    digest = await pipeline.build(LIST_DAY, "en")
    assert digest is not None, "the sample day has papers"
    payloads = render(digest)
    digest_id = int(digest.stats["digest_id"])
    async with db.begin() as connection:
        # As `plan_publication` plans: the payloads stored once, every chat's rows in bulk.
        payload_ids = await outbox.store_payloads(connection, payloads)
        await outbox.plan_chats(
            connection, digest_id=digest_id, platform=platform, chats=[(chat, payload_ids) for chat in chats]
        )
    return [digest_id], len(payloads), payloads


@dataclass
class ChildFake:
    hello: Any  # what the child sent once it was serving (its address, its token)
    report: Any = None  # what it sent back when told to stop


@contextmanager
def fake_in_child(target: Callable[..., None], *args: Any) -> Iterator[ChildFake]:
    """Run `target(pipe, *args)` in a spawned process: it sends a hello once serving, waits for
    "stop", then sends its report."""
    ours, theirs = multiprocessing.Pipe()
    child = multiprocessing.get_context("spawn").Process(target=target, args=(theirs, *args), daemon=True)
    child.start()
    try:
        fake = ChildFake(hello=ours.recv())
        yield fake
    finally:
        ours.send("stop")
        if ours.poll(30):
            fake.report = ours.recv()
        child.join(10)
        if child.is_alive():
            child.kill()


def wait_for_stop(pipe: Connection) -> None:
    pipe.recv()

"""On-demand lookup of a paper that is not stored: Hugging Face first, arXiv as the fallback."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

from paperwire.bot.models import Paper
from paperwire.bot.sources.arxiv import ArxivClient
from paperwire.bot.sources.errors import PaperNotFound, SourceError, SourceOffline, SourceUnavailable
from paperwire.bot.sources.hf import HFClient
from paperwire.bot.sources.ids import normalize_arxiv_ref

logger = logging.getLogger(__name__)

K = TypeVar("K", bound=Hashable)
T = TypeVar("T")


async def lookup_paper(arxiv_id: str, hf: HFClient | None, arxiv: ArxivClient | None) -> Paper:
    """The paper from the first source that has it.

    arXiv is the authority on whether a paper exists: its "not found" is final even when
    Hugging Face could not be reached. Any other failure of both is SourceUnavailable naming each.
    """
    bare = normalize_arxiv_ref(arxiv_id)
    if bare is None:
        raise PaperNotFound(f"{arxiv_id!r} is not an arXiv id or paper link")
    if hf is None and arxiv is None:
        raise SourceUnavailable("no paper source is configured")
    failures: list[str] = []
    not_found: list[str] = []
    offline = 0
    for client in (hf, arxiv):
        if client is None:
            continue
        try:
            return await client.fetch_paper(bare)
        except PaperNotFound:
            not_found.append(client.service)
        except SourceOffline as error:  # no network, most likely: the caller says so once
            logger.debug("lookup of %s: %s", bare, error)
            failures.append(str(error))
            offline += 1
        except SourceError as error:  # unreachable, refused or garbled: the next source may do
            logger.warning("lookup of %s: %s", bare, error)
            failures.append(str(error))
    if not failures or (arxiv is not None and arxiv.service in not_found):
        raise PaperNotFound(f"{bare} was not found on {' or '.join(_short(name) for name in not_found)}")
    reasons = failures + [f"{_short(name)} does not have it" for name in not_found]
    if offline == len(failures) and not not_found:
        raise SourceOffline(f"could not look up {bare}, no source can be reached (offline?): " + "; ".join(reasons))
    raise SourceUnavailable(f"could not look up {bare}: " + "; ".join(reasons))


def _short(service: str) -> str:
    """`Hugging Face (huggingface.co)` -> `Hugging Face`, for user-facing sentences."""
    return service.split(" (", 1)[0]


class SingleFlight(Generic[K, T]):
    """Concurrent calls for the same key share one run of the work, and its result or error."""

    def __init__(self) -> None:
        self._running: dict[K, asyncio.Task[T]] = {}

    async def run(self, key: K, factory: Callable[[], Awaitable[T]]) -> T:
        task = self._running.get(key)
        if task is None:
            task = asyncio.ensure_future(factory())
            self._running[key] = task
            task.add_done_callback(lambda finished: self._finish(key, finished))
        # A cancelled caller must not cancel the work the others are waiting for.
        return await asyncio.shield(task)

    def __len__(self) -> int:
        return len(self._running)

    def _finish(self, key: K, task: asyncio.Task[T]) -> None:
        if self._running.get(key) is task:
            del self._running[key]
        if not task.cancelled():
            task.exception()  # retrieved here, so a result nobody awaits logs no warning

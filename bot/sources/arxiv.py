"""The arXiv API as the fallback for one paper, kept to arXiv's terms: one request per 3 s, one connection."""

from __future__ import annotations

import asyncio
import logging
import re
import time
import xml.etree.ElementTree as ElementTree
from datetime import datetime

import aiohttp

from paperwire.bot.models import Paper, split_arxiv_id
from paperwire.bot.sources.errors import PaperNotFound, SourceError
from paperwire.bot.sources.http import HttpResult, RetryPolicy, Unreachable, get_once, service_name, with_retries
from paperwire.bot.sources.parse import collapse_whitespace

logger = logging.getLogger(__name__)

_ATOM = "{http://www.w3.org/2005/Atom}"
_ENTRY_ID = re.compile(r"/abs/(?P<id>.+)$")


class ArxivClient:
    """Fetches single papers from the arXiv Atom API, pacing every caller through one gate."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        base_url: str,
        *,
        min_interval: float = 3.0,
        timeout: float = 20,
        max_retries: int = 3,
        backoff_base: float = 1.0,
        max_retry_after: float = 60.0,
    ) -> None:
        self._session = session
        self._url = base_url.rstrip("/") + "/api/query"
        self._min_interval = min_interval
        self._policy = RetryPolicy(
            timeout=timeout,
            max_retries=max_retries,
            backoff_base=backoff_base,
            max_retry_after=max_retry_after,
        )
        self.service = service_name("arXiv", base_url)
        self._gate = asyncio.Lock()
        self._last_finished: float | None = None

    async def fetch_paper(self, arxiv_id: str) -> Paper:
        """One paper by id (version ignored); PaperNotFound when arXiv has no such entry."""
        split = split_arxiv_id(arxiv_id)
        if split is None:
            raise PaperNotFound(f"{arxiv_id!r} is not an arXiv id")
        bare = split[0]
        params: dict[str, str | int] = {"id_list": bare, "max_results": 1}
        result = await with_retries(lambda: self._paced_get(params), self._policy, self.service)
        if result.status != 200:
            raise SourceError(f"{self.service} refused paper {bare}: HTTP {result.status}")
        return parse_atom_entry(result.body, bare, self.service)

    async def _paced_get(self, params: dict[str, str | int]) -> HttpResult:
        # The lock makes it one connection at a time; the clock counts from the end of the
        # previous request, so the server never sees two closer than `min_interval`.
        async with self._gate:
            if self._last_finished is not None:
                wait = self._last_finished + self._min_interval - time.monotonic()
                if wait > 0:
                    await asyncio.sleep(wait)
            try:
                result = await get_once(self._session, self._url, params, self._policy.timeout, self._policy.connect_timeout)
            except Unreachable:
                raise  # no request reached arXiv: nothing to pace (offline answers stay quick)
            except BaseException:
                self._last_finished = time.monotonic()
                raise
            self._last_finished = time.monotonic()
            return result


def parse_atom_entry(body: bytes, arxiv_id: str, origin: str) -> Paper:
    """The entry for `arxiv_id` in an Atom feed; arXiv's "Error" entry or none at all means not found."""
    try:
        feed = ElementTree.fromstring(body)
    except ElementTree.ParseError as error:
        raise SourceError(f"{origin}: the answer for {arxiv_id} is not valid XML ({error})") from None
    for entry in feed.iter(f"{_ATOM}entry"):
        title = collapse_whitespace(entry.findtext(f"{_ATOM}title", default=""))
        match = _ENTRY_ID.search(entry.findtext(f"{_ATOM}id", default="").strip())
        split = split_arxiv_id(match.group("id")) if match else None
        if title == "Error" or split is None or split[0] != arxiv_id:
            continue
        if not title:
            raise SourceError(f"{origin}: the entry for {arxiv_id} has no title")
        return Paper(
            arxiv_id=split[0],
            version=split[1],
            title=title,
            abstract=collapse_whitespace(entry.findtext(f"{_ATOM}summary", default="")),
            authors=[
                name
                for author in entry.findall(f"{_ATOM}author")
                if (name := collapse_whitespace(author.findtext(f"{_ATOM}name", default="")))
            ],
            published_at=_timestamp(entry.findtext(f"{_ATOM}published")),
        )
    raise PaperNotFound(f"{arxiv_id} is not on arXiv")


def _timestamp(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        return datetime.fromisoformat(text.strip())
    except ValueError:
        logger.warning("arXiv: unreadable timestamp %r", text)
        return None

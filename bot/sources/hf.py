"""The Hugging Face Daily Papers API: one day's list, page by page, and single papers."""

from __future__ import annotations

import json
import logging
from datetime import UTC, date, datetime, timedelta
from functools import partial
from typing import Any
from urllib.parse import quote

import aiohttp

from paperwire.bot.models import DayPapers, Paper, split_arxiv_id
from paperwire.bot.sources.errors import FutureDateError, PaperNotFound, SourceError
from paperwire.bot.sources.http import HttpResult, RetryPolicy, get_once, service_name, with_retries
from paperwire.bot.sources.parse import daily_items, parse_daily_payload, parse_paper_payload

logger = logging.getLogger(__name__)

MAX_PAGE_SIZE = 100  # HF answers 400 above this
# A busy day has about 50 papers; this only stops a server that ignores `p` from looping forever.
MAX_PAGES = 50


class HFClient:
    """Reads the Daily Papers list and single papers from Hugging Face over an injected session."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        base_url: str,
        *,
        timeout: float = 20,
        max_retries: int = 4,
        backoff_base: float = 0.5,
        page_size: int = MAX_PAGE_SIZE,
        max_retry_after: float = 60.0,
    ) -> None:
        if not 1 <= page_size <= MAX_PAGE_SIZE:
            raise ValueError(f"page_size must be 1-{MAX_PAGE_SIZE}, got {page_size}")
        self._session = session
        self._base_url = base_url.rstrip("/")
        self._page_size = page_size
        self._policy = RetryPolicy(
            timeout=timeout,
            max_retries=max_retries,
            backoff_base=backoff_base,
            max_retry_after=max_retry_after,
        )
        self.service = service_name("Hugging Face", base_url)

    async def fetch_day(self, day: date) -> DayPapers:
        """The list of `day`; no papers (a weekend, a holiday) is an empty DayPapers, not an error."""
        today = datetime.now(UTC).date()
        # HF's day may already have begun east of UTC; anything later cannot exist yet.
        if day > today + timedelta(days=1):
            raise FutureDateError(f"{day} is in the future; Hugging Face has no list for it yet")
        items: list[Any] = []
        previous_page: list[Any] | None = None
        for page in range(MAX_PAGES):
            page_items = await self._fetch_page(day, page)
            if page_items == previous_page:
                logger.warning(
                    "%s: page %d repeats page %d; the server ignores paging", self.service, page, page - 1
                )
                break
            items.extend(page_items)
            if len(page_items) < self._page_size:
                break
            previous_page = page_items
        else:
            logger.warning("%s: stopped reading %s after %d pages", self.service, day, MAX_PAGES)
        papers = parse_daily_payload(items, day, f"{self.service} {day}")
        if not papers.papers:
            logger.info("%s: no papers on %s", self.service, day)
        return papers

    async def fetch_paper(self, arxiv_id: str) -> Paper:
        """One paper from /api/papers/{id}; PaperNotFound when HF does not know it."""
        split = split_arxiv_id(arxiv_id)
        bare = split[0] if split else arxiv_id.strip()
        url = f"{self._base_url}/api/papers/{quote(bare, safe='/')}"
        result = await self._get(url, {})
        if result.status == 404:
            raise PaperNotFound(f"{bare} is not on Hugging Face")
        if result.status != 200:
            raise SourceError(f"{self.service} refused paper {bare}: {_describe(result)}")
        origin = f"{self.service} paper {bare}"
        return parse_paper_payload(_json(result, origin), origin)

    async def _fetch_page(self, day: date, page: int) -> list[Any]:
        params: dict[str, str | int] = {"date": day.isoformat(), "p": page, "limit": self._page_size}
        result = await self._get(f"{self._base_url}/api/daily_papers", params)
        if result.status == 400:
            raise self._refused_day(day, result)
        if result.status != 200:
            raise SourceError(f"{self.service} refused the list of {day}: {_describe(result)}")
        origin = f"{self.service} {day} page {page}"
        return daily_items(_json(result, origin), origin)

    async def _get(self, url: str, params: dict[str, str | int]) -> HttpResult:
        attempt = partial(get_once, self._session, url, params, self._policy.timeout, self._policy.connect_timeout)
        return await with_retries(attempt, self._policy, self.service)

    def _refused_day(self, day: date, result: HttpResult) -> SourceError:
        # HF answers 400 for a day whose list does not exist yet; our own parameters are valid.
        if day >= datetime.now(UTC).date() - timedelta(days=1):
            return FutureDateError(f"Hugging Face has no list for {day} yet ({_describe(result)})")
        return SourceError(f"{self.service} refused the list of {day}: {_describe(result)}")


def _json(result: HttpResult, origin: str) -> Any:
    try:
        return json.loads(result.body)
    except ValueError:
        raise SourceError(
            f"{origin}: the answer is not JSON ({result.content_type or 'no content type'})"
        ) from None


def _describe(result: HttpResult) -> str:
    """`HTTP 400: <the server's error message>`, kept to one short line."""
    message = ""
    try:
        payload = json.loads(result.body)
        if isinstance(payload, dict) and isinstance(payload.get("error"), str):
            message = payload["error"]
    except ValueError:
        message = result.body.decode("utf-8", "replace")
    message = " ".join(message.split())[:200]
    return f"HTTP {result.status}: {message}" if message else f"HTTP {result.status}"

"""A fake Hugging Face API on a local port: Daily Papers with paging, single papers, scripted failures.

It behaves like the real one where clients can tell: `limit` above 100 and a future date
are 400s with HF's error JSON, an unknown past day is an empty list, an unknown paper a 404.
Papers here are invented; build them with `make_item` / `make_paper`.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, Self

from aiohttp import web

from tests.fakes.server import start_local

MAX_LIMIT = 100
DEFAULT_LIMIT = 50


@dataclass(slots=True)
class RecordedRequest:
    path: str
    query: dict[str, str]
    at: float  # time.monotonic() when the request arrived


@dataclass(slots=True)
class _Step:
    status: int | None = None  # None: answer normally (after `delay`)
    retry_after: str | None = None
    delay: float = 0.0


@dataclass
class ScriptedServer:
    """A real aiohttp server on 127.0.0.1:<random port> that can be told to fail or stall."""

    delay: float = 0.0  # every answer waits this long (timeouts)
    requests: list[RecordedRequest] = field(default_factory=list)
    max_in_flight: int = 0  # the most requests it was ever answering at once
    _in_flight: int = 0
    _script: deque[_Step] = field(default_factory=deque)
    _runner: web.AppRunner | None = None
    _closing: asyncio.Event | None = None
    base_url: str = ""

    def fail_next(self, status: int, times: int = 1, retry_after: float | str | None = None) -> None:
        """The next `times` requests get `status` (with a Retry-After header if given)."""
        header = None if retry_after is None else str(retry_after)
        self._script.extend(_Step(status=status, retry_after=header) for _ in range(times))

    def delay_next(self, seconds: float, times: int = 1) -> None:
        """The next `times` requests are answered normally, but only after `seconds`."""
        self._script.extend(_Step(delay=seconds) for _ in range(times))

    def count(self, path: str | None = None) -> int:
        """Requests seen so far, all or those whose path starts with `path`."""
        return sum(1 for request in self.requests if path is None or request.path.startswith(path))

    def routes(self) -> list[web.RouteDef]:
        raise NotImplementedError

    async def start(self) -> Self:
        self._closing = asyncio.Event()
        app = web.Application(middlewares=[self._scripted])
        app.add_routes(self.routes())
        self._runner, self.base_url = await start_local(app, access_log=None, shutdown_timeout=1.0)
        return self

    async def stop(self) -> None:
        if self._closing is not None:
            self._closing.set()  # release stalled handlers so shutdown is quick
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Self:
        return await self.start()

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    @web.middleware
    async def _scripted(self, request: web.Request, handler: Any) -> web.StreamResponse:
        self.requests.append(RecordedRequest(request.path, dict(request.query), time.monotonic()))
        step = self._script.popleft() if self._script else _Step()
        self._in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self._in_flight)
        try:
            await self._pause(step.delay or self.delay)
            if step.status is not None:
                headers = {"Retry-After": step.retry_after} if step.retry_after is not None else None
                return self.error_response(step.status, headers)
            return await handler(request)
        finally:
            self._in_flight -= 1

    async def _pause(self, seconds: float) -> None:
        """Stall an answer, but never past stop()."""
        if seconds and self._closing is not None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._closing.wait(), seconds)

    def error_response(self, status: int, headers: dict[str, str] | None) -> web.Response:
        return web.json_response({"error": f"scripted failure {status}"}, status=status, headers=headers)


@dataclass
class FakeHF(ScriptedServer):
    """Hugging Face: `/api/daily_papers` and `/api/papers/{id}`."""

    days: dict[date, list[Any]] = field(default_factory=dict)
    papers: dict[str, dict[str, Any]] = field(default_factory=dict)
    today: date | None = None  # defaults to today in UTC; later dates are refused
    ignore_paging: bool = False  # misbehave: answer every `p` with the first page

    def routes(self) -> list[web.RouteDef]:
        return [
            web.get("/api/daily_papers", self._daily_papers),
            web.get("/api/papers/{paper_id:.+}", self._paper),
        ]

    def error_response(self, status: int, headers: dict[str, str] | None) -> web.Response:
        if status == 429:
            return web.json_response(
                {"error": "You have exceeded our rate limit."}, status=429, headers=headers
            )
        if status >= 500:
            return web.Response(text="Internal Error", status=status, headers=headers)
        return super().error_response(status, headers)

    async def _daily_papers(self, request: web.Request) -> web.Response:
        try:
            day = date.fromisoformat(request.query.get("date", ""))
            page = int(request.query.get("p", "0"))
            limit = int(request.query.get("limit", str(DEFAULT_LIMIT)))
        except ValueError:
            return web.json_response({"error": "Invalid query parameters"}, status=400)
        if limit > MAX_LIMIT or limit < 1 or page < 0:
            return web.json_response(
                {"error": f'"limit" must be less than or equal to {MAX_LIMIT}'}, status=400
            )
        if day > (self.today or datetime.now(UTC).date()):
            return web.json_response({"error": '"date" must be less than or equal to "now"'}, status=400)
        items = self.days.get(day, [])
        if self.ignore_paging:
            page = 0
        return web.json_response(items[page * limit : (page + 1) * limit])

    async def _paper(self, request: web.Request) -> web.Response:
        paper_id = request.match_info["paper_id"]
        paper = self.papers.get(paper_id) or self._paper_from_days(paper_id)
        if paper is None:
            return web.json_response({"error": "Paper not found"}, status=404)
        return web.json_response(paper)

    def _paper_from_days(self, paper_id: str) -> dict[str, Any] | None:
        for items in self.days.values():
            for item in items:
                paper = item.get("paper") if isinstance(item, dict) else None
                if isinstance(paper, dict) and paper.get("id") == paper_id:
                    return paper
        return None


def make_paper(
    arxiv_id: str,
    title: str,
    abstract: str = "",
    *,
    authors: list[str] | None = None,
    upvotes: int = 0,
    published: str = "2026-02-19T17:59:00.000Z",
    ai_summary: str | None = None,
    ai_keywords: list[str] | None = None,
    github: str | None = None,
    github_stars: int | None = None,
    project_page: str | None = None,
    organization: str | None = None,
) -> dict[str, Any]:
    """A paper object as HF serves it (the `paper` of a daily item, or /api/papers/{id})."""
    paper: dict[str, Any] = {
        "id": arxiv_id,
        "authors": [
            {"_id": f"a{index:04d}", "name": name, "hidden": False}
            for index, name in enumerate(authors if authors is not None else ["Ada Example", "Bo Sample"])
        ],
        "publishedAt": published,
        "title": title,
        "summary": abstract,
        "upvotes": upvotes,
        "discussionId": f"d-{arxiv_id}",
    }
    optional = {
        "ai_summary": ai_summary,
        "ai_keywords": ai_keywords,
        "githubRepo": github,
        "githubStars": github_stars,
        "projectPage": project_page,
    }
    paper.update({key: value for key, value in optional.items() if value is not None})
    if organization is not None:
        paper["organization"] = {"_id": "o1", "name": organization.lower(), "fullname": organization}
    return paper


def make_item(
    arxiv_id: str,
    title: str,
    abstract: str = "",
    *,
    upvotes: int = 0,
    ai_keywords: list[str] | None = None,
    github: str | None = None,
    **paper_fields: Any,
) -> dict[str, Any]:
    """One invented entry of /api/daily_papers, shaped like the real ones."""
    paper = make_paper(
        arxiv_id, title, abstract, upvotes=upvotes, ai_keywords=ai_keywords, github=github, **paper_fields
    )
    return {
        "paper": paper,
        "publishedAt": "2026-02-20T08:00:00.000Z",
        "title": title,
        "summary": abstract,
        "thumbnail": f"https://example.invalid/thumbnails/{arxiv_id}.png",
        "numComments": 0,
        "isAuthorParticipating": False,
    }


def make_items(count: int, prefix: str = "2602", start: int = 10000) -> list[dict[str, Any]]:
    """`count` distinct invented items with ids `<prefix>.<start+n>`."""
    return [
        make_item(
            f"{prefix}.{start + n:05d}", f"Invented Paper Number {n}", f"An abstract for invented paper {n}."
        )
        for n in range(count)
    ]

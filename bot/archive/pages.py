"""What the archive serves, by path: one function per page or feed, shared by the web server
and `paperwire site`, so both give the same bytes for the same archive."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from paperwire.bot.archive.reader import ArchiveReader
from paperwire.formatters.feeds import digests_feed, papers_feed
from paperwire.formatters.html import (
    IndexDay,
    Links,
    render_day_page,
    render_index_page,
    render_not_found_page,
)
from paperwire.formatters.labels import label

FEED_DIGESTS = 30
FEED_PAPERS = 50
HTML = "text/html; charset=utf-8"
ATOM = "application/atom+xml; charset=utf-8"


@dataclass(slots=True)
class Page:
    status: int
    content_type: str
    body: bytes


class ArchivePages:
    """Renders the archive's pages and feeds from the reader; never builds or writes."""

    def __init__(self, reader: ArchiveReader, topic_ids: tuple[str, ...]) -> None:
        self.reader = reader
        self.topic_ids = topic_ids

    async def index(self, language: str, links: Links) -> Page:
        entries = await self.reader.index()
        days = [
            IndexDay(entry.day.list_day, [(pick.arxiv_id, pick.title, pick.stars) for pick in entry.picks])
            for entry in entries
        ]
        return Page(200, HTML, render_index_page(days, language, links).encode())

    async def day(self, list_day: date, language: str, links: Links) -> Page:
        digest = await self.reader.digest(list_day, language)
        if digest is None:
            return self.not_found(label(language, "no_digest", date=list_day.isoformat()), language, links)
        return Page(200, HTML, render_day_page(digest, links).encode())

    async def digests_feed(self, language: str, links: Links) -> Page:
        digests = await self.reader.recent_digests(language, FEED_DIGESTS)
        return Page(200, ATOM, digests_feed(digests, language, links, site_url=links.index(language)))

    async def papers_feed(self, language: str, links: Links, topic: str | None = None) -> Page:
        if topic is not None and topic not in self.topic_ids:
            return self.not_found(f"unknown topic: {topic}", language, links)
        papers = await self.reader.papers(language, topic=topic, limit=FEED_PAPERS)
        body = papers_feed(
            papers,
            language,
            links,
            site_url=links.index(language),
            topic=topic,
            topic_names=self.reader.topic_names(language),
        )
        return Page(200, ATOM, body)

    def not_found(self, message: str, language: str, links: Links) -> Page:
        return Page(404, HTML, render_not_found_page(message, language, links).encode())


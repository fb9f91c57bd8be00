"""`paperwire site --out DIR`: the archive and its feeds as static files for any static host.

The same pages and feeds the server gives, in both languages, with links of the static
layout (`digests/2026-02-20.html`, `digests/2026-02-20.zh.html`, `feed.xml`, `feed.zh.xml`,
`papers.xml`, `papers-<topic>.xml`). Reads the database, writes only under DIR.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from paperwire.bot.archive.pages import ArchivePages, Page
from paperwire.formatters.html import LANGUAGES, Links


@dataclass(slots=True)
class SiteReport:
    pages: int
    feeds: int
    days: int


async def write_site(pages: ArchivePages, out: Path, *, default_language: str, base_url: str = "/") -> SiteReport:
    """Write every page and feed under `out` (created if missing); returns what was written."""
    links = Links(base=base_url.rstrip("/") + "/", static=True, default_language=default_language)
    entries = await pages.reader.index()
    written_pages = written_feeds = 0
    for language in LANGUAGES:
        suffix = "" if language == default_language else f".{language}"
        _write(out / f"digests/index{suffix}.html", await pages.index(language, links))
        written_pages += 1
        for entry in entries:
            _write(out / f"digests/{entry.day.list_day.isoformat()}{suffix}.html", await pages.day(entry.day.list_day, language, links))
            written_pages += 1
        _write(out / f"feed{suffix}.xml", await pages.digests_feed(language, links))
        _write(out / f"papers{suffix}.xml", await pages.papers_feed(language, links))
        written_feeds += 2
        for topic in pages.topic_ids:
            _write(out / f"papers-{topic}{suffix}.xml", await pages.papers_feed(language, links, topic))
            written_feeds += 1
    # The site's root page is the index in the default language.
    (out / "index.html").write_bytes((out / "digests" / "index.html").read_bytes())
    return SiteReport(pages=written_pages + 1, feeds=written_feeds, days=len(entries))


def _write(path: Path, page: Page) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(page.body)

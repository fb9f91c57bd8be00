"""The digest as web pages: the archive index and one page per list day (Jinja2, autoescaped).

Pure: digests in, HTML strings out. Paper text is untrusted and only ever reaches the page
through Jinja2's autoescaping; the only markup a template trusts is its own. Where the
pages live (a running server or a folder of static files) is the `Links` object's business.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from paperwire.bot.models import Digest, DigestEntry
from paperwire.formatters.card import build_card, exclusion_reason
from paperwire.formatters.labels import digest_title, label, stars
from paperwire.formatters.text import one_line, short_name, trend_observations

LANGUAGES = ("en", "zh")
MAX_AUTHORS = 10


@dataclass(frozen=True, slots=True)
class Links:
    """Where the archive's pages and feeds are: served (`/digests/D?lang=zh`) or static
    files (`digests/D.zh.html`), under `base` (a prefix ending in "/", or an absolute URL)."""

    base: str = "/"
    static: bool = False
    default_language: str = "en"

    def _suffix(self, language: str) -> str:
        if language == self.default_language:
            return ".html" if self.static else ""
        return f".{language}.html" if self.static else f"?lang={language}"

    def index(self, language: str) -> str:
        return f"{self.base}digests/{'index' if self.static else ''}{self._suffix(language)}"

    def day(self, list_day: date, language: str) -> str:
        return f"{self.base}digests/{list_day.isoformat()}{self._suffix(language)}"

    def paper(self, list_day: date, language: str, arxiv_id: str) -> str:
        return f"{self.day(list_day, language)}#{arxiv_id}"

    def feed(self, language: str) -> str:
        if self.static:
            return f"{self.base}feed{'' if language == self.default_language else '.' + language}.xml"
        return f"{self.base}feed.xml{'' if language == self.default_language else '?lang=' + language}"

    def papers_feed(self, language: str, topic: str | None = None) -> str:
        if self.static:
            name = "papers" + (f"-{topic}" if topic else "")
            return f"{self.base}{name}{'' if language == self.default_language else '.' + language}.xml"
        query = [f"lang={language}"] if language != self.default_language else []
        query += [f"topic={topic}"] if topic else []
        return f"{self.base}papers.xml" + ("?" + "&".join(query) if query else "")


@dataclass(slots=True)
class IndexDay:
    """One line of the archive index: a list day and its picks' (id, title, stars)."""

    list_day: date
    picks: list[tuple[str, str, int]] = field(default_factory=list)


_ENVIRONMENT = Environment(
    loader=PackageLoader("paperwire.formatters", "templates"),
    autoescape=select_autoescape(default=True, default_for_string=True),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


def render_day_page(digest: Digest, links: Links) -> str:
    """The whole page of one list day's digest."""
    return _ENVIRONMENT.get_template("day.html.j2").render(page=_page(digest.language, links), **_day(digest, links))


def render_day_body(digest: Digest, links: Links) -> str:
    """The digest's content without the page around it: the Atom feed's entry content."""
    return _ENVIRONMENT.get_template("day_body.html.j2").render(page=_page(digest.language, links), **_day(digest, links))


def render_card_body(entry: DigestEntry, digest_topics: dict[str, str], language: str, links: Links) -> str:
    """One paper's card as an HTML fragment: the papers feed's entry content."""
    return _ENVIRONMENT.get_template("card_body.html.j2").render(
        page=_page(language, links), entry=_entry(entry, digest_topics, language, None, links)
    )


def render_index_page(days: list[IndexDay], language: str, links: Links) -> str:
    """The archive index: list days newest first, with their picks' short names."""
    rows = [
        {
            "list_day": day.list_day.isoformat(),
            "url": links.day(day.list_day, language),
            "count": label(language, "archive_picks", count=len(day.picks)),
            "picks": [
                {"name": short_name(one_line(title)) or arxiv_id, "url": links.paper(day.list_day, language, arxiv_id),
                 "stars": "⭐" * count}
                for arxiv_id, title, count in day.picks
            ],
        }
        for day in days
    ]
    return _ENVIRONMENT.get_template("index.html.j2").render(page=_page(language, links, index=True), days=rows)


def render_not_found_page(what: str, language: str, links: Links) -> str:
    return _ENVIRONMENT.get_template("not_found.html.j2").render(page=_page(language, links), message=what)


def _page(language: str, links: Links, *, index: bool = False) -> dict:
    other = next(code for code in LANGUAGES if code != language) if language in LANGUAGES else "en"
    return {
        "language": language,
        "label": lambda key, **values: label(language, key, **values),
        "index_url": links.index(language),
        "feed_url": links.feed(language),
        "papers_feed_url": links.papers_feed(language),
        "other_language": other,
        "other_index_url": links.index(other) if index else None,
    }


def _day(digest: Digest, links: Links) -> dict:
    language = digest.language
    names = digest.topic_names
    topics = [one_line(names.get(topic) or topic) for topic in digest.topics]
    other = next(code for code in LANGUAGES if code != language) if language in LANGUAGES else "en"
    return {
        "title": digest_title(language, digest.published),
        "list_day": digest.list_day.isoformat(),
        "other_url": links.day(digest.list_day, other),
        "preview_line": (
            label(language, "preview_line", count=len(digest.entries), topics=", ".join(topics))
            if digest.entries
            else label(language, "description_none")
        ),
        "entries": [
            _entry(entry, names, language, digest.list_day, links) for entry in digest.entries
        ],
        "exclusions": [
            {
                "title": one_line(item.paper.title) or item.paper.arxiv_id,
                "url": item.paper.abs_url,
                "reason": exclusion_reason(item, language),
            }
            for item in digest.exclusions
        ],
        "trends": [one_line(text) for text in trend_observations(digest)],
        "footer": label(
            language,
            "footer",
            source=one_line(digest.source),
            list_day=digest.list_day.isoformat(),
        ),
    }


def _entry(entry: DigestEntry, names: dict[str, str], language: str, list_day: date | None, links: Links) -> dict:
    document = build_card(entry, language, names)
    return {
        "id": document.arxiv_id,
        "title": document.title,
        "short_name": document.short_name,
        "anchor_url": links.paper(list_day, language, document.arxiv_id) if list_day else document.abs_url,
        "authors": document.authors_line(MAX_AUTHORS, et_al=True),
        "organization": document.organization,
        "github_stars": document.github_stars,
        "image": document.image_url,
        "links": document.links,
        "topic": document.topic_name,
        "stars": stars(document.stars, language),
        "card": document,
        "note": document.method_note,
    }

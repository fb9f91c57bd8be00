"""The digests and the picked papers as Atom 1.0 feeds (feedgen builds and escapes the XML).

Pure: digests and cards in, bytes out. Entry ids are stable across rebuilds and days: a
digest is `urn:paperwire:digest:<list day>:<language>`, a paper `urn:arxiv:<id>`, so a
reader never sees one twice. Times come from what was stored, never from "now", so the same
archive always gives the same feed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time

from feedgen.feed import FeedGenerator

from paperwire.bot.models import Digest, DigestEntry
from paperwire.formatters.html import Links, render_card_body, render_day_body
from paperwire.formatters.labels import digest_title, label
from paperwire.formatters.text import one_line

GENERATOR = "paperwire"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(slots=True)
class FeedPaper:
    """A picked paper for the papers feed: its card and the day it was published on."""

    entry: DigestEntry
    list_day: date
    published_on: date
    generated_at: datetime


def published_at(published_on: date, generated_at: datetime) -> datetime:
    """A digest's publication moment: its published date, or its build if that came later."""
    midnight = datetime.combine(published_on, time(0), tzinfo=UTC)
    return max(midnight, generated_at.astimezone(UTC))


def digests_feed(digests: list[Digest], language: str, links: Links, *, site_url: str) -> bytes:
    """One entry per digest (newest first), the post as HTML content."""
    feed = _feed(
        feed_id=f"urn:paperwire:digests:{language}",
        title=label(language, "feed_digests"),
        self_url=links.feed(language),
        site_url=site_url,
        language=language,
    )
    newest = _EPOCH
    for digest in digests:
        moment = published_at(digest.published, digest.generated_at)
        newest = max(newest, moment)
        item = feed.add_entry(order="append")
        item.id(f"urn:paperwire:digest:{digest.list_day.isoformat()}:{language}")
        item.title(digest_title(language, digest.published))
        item.link(href=links.day(digest.list_day, language), rel="alternate")
        item.published(moment)
        item.updated(moment)
        item.summary(_description(digest))
        item.content(render_day_body(digest, links), type="html")
    feed.updated(newest)
    return feed.atom_str(pretty=True)


def papers_feed(
    papers: list[FeedPaper],
    language: str,
    links: Links,
    *,
    site_url: str,
    topic: str | None = None,
    topic_names: dict[str, str] | None = None,
) -> bytes:
    """One entry per picked paper (newest first), its card as HTML content."""
    names = topic_names or {}
    title = (
        label(language, "feed_papers_topic", topic=one_line(names.get(topic) or topic))
        if topic
        else label(language, "feed_papers")
    )
    feed = _feed(
        feed_id=f"urn:paperwire:papers:{language}" + (f":{topic}" if topic else ""),
        title=title,
        self_url=links.papers_feed(language, topic),
        site_url=site_url,
        language=language,
    )
    newest = _EPOCH
    for item in papers:
        paper = item.entry.paper
        moment = published_at(item.published_on, item.generated_at)
        newest = max(newest, moment)
        entry = feed.add_entry(order="append")
        entry.id(f"urn:arxiv:{paper.arxiv_id}")
        entry.title(one_line(paper.title) or paper.arxiv_id)
        # One link only: feedgen 1.0 drops `rel` on entry links, so a second one (say, arXiv
        # as "related") would become a second "alternate", which Atom forbids. arXiv is in the content.
        entry.link(href=links.paper(item.list_day, language, paper.arxiv_id), rel="alternate")
        entry.published(moment)
        entry.updated(moment)
        entry.category(term=item.entry.pick.topic, label=one_line(names.get(item.entry.pick.topic) or item.entry.pick.topic))
        one_liner = one_line(item.entry.card.one_liner)
        if one_liner:
            entry.summary(one_liner)
        entry.content(render_card_body(item.entry, names, language, links), type="html")
    feed.updated(newest)
    return feed.atom_str(pretty=True)


def _feed(*, feed_id: str, title: str, self_url: str, site_url: str, language: str) -> FeedGenerator:
    feed = FeedGenerator()
    feed.id(feed_id)
    feed.title(title)
    feed.author({"name": GENERATOR})
    feed.link(href=self_url, rel="self")
    feed.link(href=site_url, rel="alternate")
    feed.language(language)
    feed.generator(GENERATOR)
    return feed


def _description(digest: Digest) -> str:
    if not digest.entries:
        return label(digest.language, "description_none")
    names = [one_line(digest.topic_names.get(topic) or topic) for topic in digest.topics]
    return label(digest.language, "description", count=len(digest.entries), topics=", ".join(names))

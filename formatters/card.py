"""The card document: one paper's card in one language, built once from the summary.

Every target (the Markdown post, the CLI's text, Telegram, Slack, the web archive and the
feeds) renders this document, so what a card says (which links, which authors, which
fields, the reason a paper was left out) is decided here and only its markup differs.
Pure: domain objects in, plain text out; escaping and platform limits stay with each target.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

from paperwire.bot.models import Card, DigestEntry, Exclusion, Paper
from paperwire.formatters.labels import label
from paperwire.formatters.text import ELLIPSIS, one_line, short_name

_GITHUB_SLUG = re.compile(r"[\w.-]+/[\w.-]+")
_TAKEAWAYS = (("✅", "fits"), ("⚠️", "limitations"), ("📌", "next_action"))


@dataclass(frozen=True, slots=True)
class CardLink:
    """A link under a card: `kind` is arxiv, pdf, hf or code; `label` is in the card's language."""

    kind: str
    label: str
    url: str


@dataclass(frozen=True, slots=True)
class Takeaway:
    mark: str
    key: str
    label: str
    text: str


@dataclass(frozen=True, slots=True)
class CardDocument:
    """What one card says, every text on one line and every empty field dropped."""

    arxiv_id: str
    language: str
    title: str
    short_name: str
    authors: tuple[str, ...]
    links: tuple[CardLink, ...]
    topic: str
    topic_name: str
    stars: int
    one_liner: str
    core_innovation: str
    points: tuple[str, ...]
    results: tuple[str, ...]
    key_insight: str
    takeaways: tuple[Takeaway, ...]
    method_note: str
    organization: str = ""
    github_stars: int | None = None
    image_url: str | None = None  # the list's picture of the paper, https only
    # Said above the fields when they are the abstract's English sentences in a post of
    # another language (no LLM to translate): "英文原文摘录 ...". Empty otherwise.
    excerpt_note: str = ""

    @property
    def abs_url(self) -> str:
        return self.links[0].url

    @property
    def source_line(self) -> str:
        """The organisation and the code's GitHub stars (`Northlake AI · ★ 197`), or ""."""
        parts = [self.organization] if self.organization else []
        if self.github_stars:
            parts.append(f"★ {self.github_stars}")
        return " · ".join(parts)

    @property
    def line_summary(self) -> str:
        """What one line about the paper says in an overview: its one-line contribution, or
        its topic when that line would be an English excerpt in another language's post."""
        return self.topic_name if self.excerpt_note else self.one_liner

    def link(self, kind: str) -> str | None:
        return next((link.url for link in self.links if link.kind == kind), None)

    def authors_line(self, limit: int, *, et_al: bool = False) -> str:
        """The first `limit` authors; a longer list ends in "… (+N)", or the language's
        "et al." form with `et_al` (prose such as the Markdown post and the web page)."""
        shown = ", ".join(self.authors[:limit])
        hidden = len(self.authors) - limit
        if hidden <= 0:
            return shown
        if et_al:
            return label(self.language, "authors_more", authors=shown)
        return f"{shown}, {ELLIPSIS} (+{hidden})"


def build_card(entry: DigestEntry, language: str, topic_names: dict[str, str]) -> CardDocument:
    """The card of a digest entry (a pick or a lookup) in `language`."""
    paper, card, pick = entry.paper, entry.card, entry.pick
    title = one_line(paper.title) or paper.arxiv_id
    topic_name = one_line(topic_names.get(pick.topic) or pick.topic) if pick.topic else ""
    return CardDocument(
        arxiv_id=paper.arxiv_id,
        language=language,
        title=title,
        short_name=short_name(paper.title) or paper.arxiv_id,
        authors=tuple(name for name in map(one_line, paper.authors) if name),
        links=paper_links(paper, language),
        topic=pick.topic,
        topic_name=topic_name,
        stars=pick.stars,
        one_liner=one_line(card.one_liner),
        core_innovation=one_line(card.core_innovation),
        points=_lines(card.innovation_points),
        results=_lines(card.results),
        key_insight=one_line(card.key_insight),
        takeaways=_takeaways(card, language),
        method_note=label(language, "summary_llm" if card.method == "llm" else "summary_extractive"),
        organization=one_line(paper.organization),
        github_stars=paper.github_stars or None,
        image_url=paper.thumbnail_url,
        excerpt_note=label(language, "excerpt_note") if is_excerpt(card, language) else "",
    )


def is_excerpt(card: Card, language: str) -> bool:
    """Whether the card shows the abstract's own English sentences in a Chinese post (no LLM
    translated them), judged by the text itself: a Chinese abstract needs no such note."""
    if card.method == "llm" or language != "zh":
        return False
    text = card.core_innovation or card.one_liner
    letters = [char for char in text if char.isalpha()]
    chinese = sum(1 for char in letters if "\u3400" <= char <= "\u9fff")
    return bool(letters) and chinese < len(letters) / 3


def paper_links(paper: Paper, language: str) -> tuple[CardLink, ...]:
    """arXiv, PDF, Hugging Face and, when the paper names a usable repository, its code."""
    links = [
        CardLink("arxiv", label(language, "button_arxiv"), paper.abs_url),
        CardLink("pdf", label(language, "button_pdf"), paper.pdf_url),
        CardLink("hf", label(language, "button_hf"), paper.hf_url),
    ]
    code = code_url(paper.github_repo)
    if code:
        links.append(CardLink("code", label(language, "button_code"), code))
    return tuple(links)


def code_url(repo: str | None) -> str | None:
    """A link to the code from `githubRepo`: a full http(s) URL or an `owner/name` slug;
    anything else (a bare word, a `javascript:` URL, text with spaces) gives no link."""
    repo = (repo or "").strip()
    if not repo or any(char.isspace() for char in repo):
        return None
    if _GITHUB_SLUG.fullmatch(repo):
        return f"https://github.com/{repo}"
    parts = urlsplit(repo)
    if parts.scheme in ("http", "https") and parts.netloc:
        return encode_url(repo)
    return None


# What may stay as it is in a URL: RFC 3986's reserved and unreserved characters, and `%`
# (already encoded). Everything else (`<`, `>`, `"`, `|`, `{`, `}`, `\`, `^`, `` ` ``, spaces,
# non-ASCII) is percent-encoded, so a link survives HTML, mrkdwn `<url|label>` and JSON alike.
_URL_SAFE = ":/?#[]@!$&'()*+,;=-._~%"


def encode_url(url: str) -> str:
    """`url` with every character that is not plainly allowed in a URL percent-encoded."""
    return quote(url, safe=_URL_SAFE)


def exclusion_reason(exclusion: Exclusion, language: str) -> str:
    """Why a paper was left out, in `language` when recorded in it, else English, else any."""
    reason = exclusion.reason
    text = reason.get(language) or reason.get("en") or next(iter(reason.values()), "")
    return one_line(text) or exclusion.kind


def _lines(texts: list[str]) -> tuple[str, ...]:
    return tuple(flat for flat in map(one_line, texts) if flat)


def _takeaways(card: Card, language: str) -> tuple[Takeaway, ...]:
    values = {"fits": card.fits, "limitations": card.limitations, "next_action": card.next_action}
    return tuple(
        Takeaway(mark, key, label(language, key), one_line(values[key]))
        for mark, key in _TAKEAWAYS
        if one_line(values[key])
    )

"""The digest as a Markdown blog post with YAML front matter (DESIGN.md, "The digest").

Pure: a Digest in, one string out. Paper text is untrusted: it is flattened to one line,
HTML-escaped and Markdown-escaped so that a title like `<b>|x|` or `*a*_b_` shows literally
and cannot break a table, a heading or the front matter.
"""

from __future__ import annotations

import json
import re
from urllib.parse import quote, urlsplit

from paperwire.bot.models import Card, Digest, DigestEntry, Exclusion
from paperwire.formatters.labels import label, stars
from paperwire.formatters.text import join_list, one_line, short_name, trend_observations, truncate

MAX_AUTHORS = 10
SUMMARY_CONTRIBUTION_CHARS = 140

# Labels formatters/labels.py does not have yet; the table wins once it has them.
_FALLBACK_LABELS = {
    "authors_more": {"en": "{authors}, et al.", "zh": "{authors} 等"},
}

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]~|])")
_ENTITY = re.compile(r"&(?=#?\w+;)")
_HEADING_HASH = re.compile(r"(^|\s)#")
_LIST_MARKER = re.compile(r"^(\d+)([.)])(\s|$)|^([-+])(\s|$)")


def render_markdown(digest: Digest) -> str:
    """The whole post: front matter, preview, papers, excluded, summary, trends, footer."""
    blocks = [_front_matter(digest), _title(digest)]
    if digest.entries:
        blocks += [
            _preview(digest),
            _papers(digest),
            _excluded(digest),
            _summary(digest),
            _trends(digest),
        ]
    else:
        blocks.append(_sentence(_label(digest.language, "description_none")))
        if digest.exclusions:
            blocks.append(_excluded(digest))
    blocks.append(_footer(digest))
    return "\n\n".join(block for block in blocks if block) + "\n"


# ---------------------------------------------------------------- sections


def _front_matter(digest: Digest) -> str:
    language = digest.language
    names = [_topic_name(digest, topic) for topic in digest.topics]
    lines = [
        "---",
        f"title: {_yaml(label(language, 'title', date=digest.published.isoformat()))}",
        f"published: {digest.published.isoformat()}",
        f"description: {_yaml(_description(digest))}",
        f"tags: [{', '.join(_yaml(name) for name in names)}]",
        "category: Papers",
        "draft: false",
        "---",
    ]
    return "\n".join(lines)


def _title(digest: Digest) -> str:
    language = digest.language
    lines = [f"# {_escape(label(language, 'title', date=digest.published.isoformat()))}"]
    if digest.only_topics:
        topics = join_list([_topic_name(digest, topic) for topic in digest.only_topics], language)
        lines += ["", f"> {_escape(label(language, 'only_topics', topics=topics))}"]
    return "\n".join(lines)


def _preview(digest: Digest) -> str:
    language = digest.language
    topics = join_list([_topic_name(digest, topic) for topic in digest.topics], language)
    lines = [
        f"## {_label(language, 'preview')}",
        "",
        _escape(label(language, "preview_line", count=len(digest.entries), topics=topics)),
        "",
    ]
    for entry in digest.entries:
        name = _escape(short_name(entry.paper.title)) or _escape(entry.paper.arxiv_id)
        one_liner = _escape(one_line(entry.card.one_liner))
        lines.append(f"- **{name}**: {one_liner}" if one_liner else f"- **{name}**")  # bold first: list-safe
    return "\n".join(lines)


def _papers(digest: Digest) -> str:
    sections = [f"## {_label(digest.language, 'papers')}"]
    sections += [_paper(digest, number, entry) for number, entry in enumerate(digest.entries, start=1)]
    return "\n\n".join(sections)


def _paper(digest: Digest, number: int, entry: DigestEntry) -> str:
    language = digest.language
    paper = entry.paper
    card = entry.card
    title = _escape(one_line(paper.title)) or _escape(paper.arxiv_id)
    header = []
    authors = _authors(paper.authors, language)
    if authors:
        header.append(f"**{_label(language, 'authors')}**: {authors}")
    links = [f"[{_label(language, 'button_arxiv')}]({_url(paper.abs_url)})"]
    code = _code_url(paper.github_repo)
    if code:
        links.append(f"[{_label(language, 'button_code')}]({code})")
    header.append(f"**{_label(language, 'link')}**: {' | '.join(links)}")
    header.append(f"**{_label(language, 'topic')}**: {_escape(_topic_name(digest, entry.pick.topic))}")
    header.append(stars(entry.pick.stars, language))
    blocks = [f"### {number}. {title}", "  \n".join(header)]
    blocks += _card_blocks(card, language)
    note = "summary_llm" if card.method == "llm" else "summary_extractive"
    blocks.append(f"*{_label(language, note)}*")
    return "\n\n".join(blocks)


def _card_blocks(card: Card, language: str) -> list[str]:
    """The card's fields under their labels; an empty field leaves no trace."""
    blocks: list[str] = []
    core = _escape(one_line(card.core_innovation))
    points = [_escape(one_line(point)) for point in card.innovation_points if one_line(point)]
    if core or points:
        heading = f"**{_label(language, 'core_innovation')}**:"
        blocks.append(f"{heading} {core}" if core else heading)
        if points:
            blocks.append("\n".join(f"{n}. {_list_safe(point)}" for n, point in enumerate(points, start=1)))
    results = [_escape(one_line(result)) for result in card.results if one_line(result)]
    if results:
        blocks.append(f"**{_label(language, 'results')}**:")
        blocks.append("\n".join(f"- {_list_safe(result)}" for result in results))
    insight = _escape(one_line(card.key_insight))
    if insight:
        blocks.append(f"**{_label(language, 'key_insight')}**: {insight}")
    takeaways = [
        (emoji, key, _escape(one_line(text)))
        for emoji, key, text in (
            ("✅", "fits", card.fits),
            ("⚠️", "limitations", card.limitations),
            ("📌", "next_action", card.next_action),
        )
    ]
    present = [f"- {emoji} **{_label(language, key)}**: {text}" for emoji, key, text in takeaways if text]
    if present:
        blocks.append(f"**{_label(language, 'takeaways')}**:")
        blocks.append("\n".join(present))
    return blocks


def _excluded(digest: Digest) -> str:
    language = digest.language
    lines = [f"## {_label(language, 'excluded')}", ""]
    if not digest.exclusions:
        lines.append(_sentence(_label(language, "excluded_none")))
        return "\n".join(lines)
    lines += [
        _row(_label(language, "paper"), _label(language, "reason")),
        _row("---", "---"),
    ]
    for exclusion in digest.exclusions:
        paper = exclusion.paper
        title = _cell(paper.title) or _cell(paper.arxiv_id)
        lines.append(_row(f"[{title}]({_url(paper.abs_url)})", _cell(_reason(exclusion, language))))
    return "\n".join(lines)


def _summary(digest: Digest) -> str:
    language = digest.language
    lines = [
        f"## {_label(language, 'summary')}",
        "",
        _row(
            _label(language, "paper"),
            _label(language, "topic"),
            _label(language, "core_contribution"),
            _label(language, "stars"),
        ),
        _row("---", "---", "---", "---"),
    ]
    for entry in digest.entries:
        lines.append(
            _row(
                _cell(short_name(entry.paper.title)) or _cell(entry.paper.arxiv_id),
                _cell(_topic_name(digest, entry.pick.topic)),
                _cell(truncate(one_line(entry.card.one_liner), SUMMARY_CONTRIBUTION_CHARS)),
                stars(entry.pick.stars, language),
            )
        )
    return "\n".join(lines)


def _trends(digest: Digest) -> str:
    observations = trend_observations(digest)
    if not observations:
        return ""
    lines = [f"## {_label(digest.language, 'trends')}", ""]
    lines += [f"- {_list_safe(_escape(one_line(text)))}" for text in observations]
    return "\n".join(lines)


def _footer(digest: Digest) -> str:
    text = label(
        digest.language,
        "footer",
        generated=digest.generated_at.strftime("%Y-%m-%d %H:%M"),
        source=one_line(digest.source),
        list_day=digest.list_day.isoformat(),
    )
    return f"---\n\n*{_escape(text)}*"


# ---------------------------------------------------------------- pieces


def _description(digest: Digest) -> str:
    language = digest.language
    if not digest.entries:
        return _label(language, "description_none")
    topics = join_list([_topic_name(digest, topic) for topic in digest.topics], language)
    return label(language, "description", count=len(digest.entries), topics=topics)


def _topic_name(digest: Digest, topic: str) -> str:
    return one_line(digest.topic_names.get(topic) or topic)


def _authors(authors: list[str], language: str) -> str:
    names = [name for name in (one_line(author) for author in authors) if name]
    if not names:
        return ""
    shown = ", ".join(_escape(name) for name in names[:MAX_AUTHORS])
    if len(names) > MAX_AUTHORS:
        shown = _label(language, "authors_more", authors=shown)
    return shown


def _reason(exclusion: Exclusion, language: str) -> str:
    reason = exclusion.reason
    return reason.get(language) or reason.get("en") or next(iter(reason.values()), "") or exclusion.kind


def _code_url(repo: str | None) -> str:
    """A link to the code, only when the repository field is a plain http(s) URL or owner/name."""
    repo = one_line(repo)
    if not repo:
        return ""
    if re.fullmatch(r"[\w.-]+/[\w.-]+", repo):
        repo = f"https://github.com/{repo}"
    parts = urlsplit(repo)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return ""
    return _url(repo)


def _url(url: str) -> str:
    """A URL that cannot end the Markdown link early: spaces, brackets, quotes percent-encoded."""
    return quote(url, safe=":/?#&=%+@,;~!$*'.-_")


def _label(language: str, key: str, **values: object) -> str:
    """A label, from the local fallbacks when formatters/labels.py lacks the key."""
    fallback = _FALLBACK_LABELS.get(key)
    if fallback is not None:
        try:
            return label(language, key, **values)
        except KeyError:
            text = fallback.get(language, fallback["en"])
            return text.format(**values) if values else text
    return label(language, key, **values)


def _sentence(text: str) -> str:
    """A label shown as a sentence on its own: first letter up ("no picks today" -> "No ...")."""
    text = _escape(text)
    return text[:1].upper() + text[1:]


def _row(*cells: str) -> str:
    return "| " + " | ".join(cells) + " |"


def _cell(text: str | None) -> str:
    """Table-cell text: one line, escaped; `|` is escaped by _escape already."""
    return _escape(one_line(text))


def _escape(text: str) -> str:
    """Paper text shown literally: HTML first (`<script>` becomes `&lt;script&gt;`), then the
    Markdown characters that would start emphasis, code, links, tables or a heading."""
    text = _ENTITY.sub("&amp;", text)
    text = text.replace("<", "&lt;").replace(">", "&gt;")
    text = _MARKDOWN_SPECIAL.sub(r"\\\1", text)
    return _HEADING_HASH.sub(r"\1\\#", text)


def _list_safe(text: str) -> str:
    """Text placed after a list marker must not start a nested list ("1. x", "- x")."""
    match = _LIST_MARKER.match(text)
    if not match:
        return text
    if match.group(1):
        return f"{match.group(1)}\\{text[len(match.group(1)):]}"
    return "\\" + text


def _yaml(text: str) -> str:
    """A YAML double-quoted scalar. JSON string syntax is valid YAML; one_line already dropped
    the control characters and line breaks YAML forbids or folds."""
    return json.dumps(one_line(text), ensure_ascii=False)

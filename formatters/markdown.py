"""The digest as a Markdown blog post with YAML front matter (DESIGN.md, "The digest").

Pure: a Digest in, one string out. Paper text is untrusted: it is flattened to one line,
HTML-escaped and Markdown-escaped so that a title like `<b>|x|` or `*a*_b_` shows literally
and cannot break a table, a heading or the front matter.
"""

from __future__ import annotations

import json
import re
from urllib.parse import quote

from paperwire.bot.models import Digest
from paperwire.formatters.card import CardDocument, build_card, exclusion_reason
from paperwire.formatters.labels import digest_title, label, stars
from paperwire.formatters.text import join_list, one_line, shorten, trend_observations

MAX_AUTHORS = 10
SUMMARY_CONTRIBUTION_CHARS = 140

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
        blocks.append(_sentence(label(digest.language, "description_none")))
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
        f"title: {_yaml(digest_title(language, digest.published))}",
        f"published: {digest.published.isoformat()}",
        f"description: {_yaml(_description(digest))}",
        f"tags: [{', '.join(_yaml(name) for name in names)}]",
        "category: Papers",
        # A day without picks is kept as a draft: nothing for a reader, but on record.
        f"draft: {'false' if digest.entries else 'true'}",
        "---",
    ]
    return "\n".join(lines)


def _title(digest: Digest) -> str:
    language = digest.language
    lines = [f"# {_escape(digest_title(language, digest.published))}"]
    if digest.only_topics:
        topics = join_list([_topic_name(digest, topic) for topic in digest.only_topics], language)
        lines += ["", f"> {_escape(label(language, 'only_topics', topics=topics))}"]
    return "\n".join(lines)


def _preview(digest: Digest) -> str:
    language = digest.language
    topics = join_list([_topic_name(digest, topic) for topic in digest.topics], language)
    lines = [
        f"## {label(language, 'preview')}",
        "",
        _escape(label(language, "preview_line", count=len(digest.entries), topics=topics)),
        "",
    ]
    for document in _documents(digest):
        name = _escape(document.short_name)
        one_liner = _escape(document.line_summary)
        lines.append(f"- **{name}**: {one_liner}" if one_liner else f"- **{name}**")  # bold first: list-safe
    return "\n".join(lines)


def _papers(digest: Digest) -> str:
    sections = [f"## {label(digest.language, 'papers')}"]
    sections += [_paper(number, document) for number, document in enumerate(_documents(digest), start=1)]
    return "\n\n".join(sections)


def _paper(number: int, document: CardDocument) -> str:
    language = document.language
    header = []
    if document.source_line:
        header.append(_escape(document.source_line))
    authors = _escape(document.authors_line(MAX_AUTHORS, et_al=True))
    if authors:
        header.append(f"**{label(language, 'authors')}**: {authors}")
    links = [f"[{link.label}]({_url(link.url)})" for link in document.links if link.kind in ("arxiv", "code")]
    header.append(f"**{label(language, 'link')}**: {' | '.join(links)}")
    header.append(f"**{label(language, 'topic')}**: {_escape(document.topic_name)}")
    header.append(stars(document.stars, language))
    blocks = [f"### {number}. {_escape(document.title)}"]
    if document.image_url:
        blocks.append(f"![{_escape(document.short_name)}]({_url(document.image_url)})")
    blocks.append("  \n".join(header))
    if document.excerpt_note:
        blocks.append(f"> {_escape(document.excerpt_note)}")
    blocks += _card_blocks(document)
    blocks.append(f"*{document.method_note}*")
    return "\n\n".join(blocks)


def _card_blocks(document: CardDocument) -> list[str]:
    """The card's fields under their labels; an empty field leaves no trace."""
    language = document.language
    blocks: list[str] = []
    core = _escape(document.core_innovation)
    points = [_escape(point) for point in document.points]
    if core or points:
        heading = f"**{label(language, 'core_innovation')}**:"
        blocks.append(f"{heading} {core}" if core else heading)
        if points:
            blocks.append("\n".join(f"{n}. {_list_safe(point)}" for n, point in enumerate(points, start=1)))
    if document.results:
        blocks.append(f"**{label(language, 'results')}**:")
        blocks.append("\n".join(f"- {_list_safe(_escape(result))}" for result in document.results))
    if document.key_insight:
        blocks.append(f"**{label(language, 'key_insight')}**: {_escape(document.key_insight)}")
    if document.takeaways:
        blocks.append(f"**{label(language, 'takeaways')}**:")
        blocks.append("\n".join(f"- {item.mark} **{item.label}**: {_escape(item.text)}" for item in document.takeaways))
    return blocks


def _excluded(digest: Digest) -> str:
    language = digest.language
    lines = [f"## {label(language, 'excluded')}", ""]
    if not digest.exclusions:
        lines.append(_sentence(label(language, "excluded_none")))
        return "\n".join(lines)
    lines += [
        _row(label(language, "paper"), label(language, "reason")),
        _row("---", "---"),
    ]
    for exclusion in digest.exclusions:
        paper = exclusion.paper
        title = _cell(paper.title) or _cell(paper.arxiv_id)
        lines.append(_row(f"[{title}]({_url(paper.abs_url)})", _cell(exclusion_reason(exclusion, language))))
    return "\n".join(lines)


def _summary(digest: Digest) -> str:
    """Paper, topic, core contribution, stars; without the contribution column when every card
    is an English excerpt in another language's post (a cut English sentence says little there)."""
    language = digest.language
    documents = _documents(digest)
    with_contribution = not all(document.excerpt_note for document in documents)
    header = [label(language, "paper"), label(language, "topic")]
    header += [label(language, "core_contribution")] if with_contribution else []
    header += [label(language, "stars")]
    lines = [f"## {label(language, 'summary')}", "", _row(*header), _row(*["---"] * len(header))]
    for document in documents:
        cells = [_cell(document.short_name), _cell(document.topic_name)]
        if with_contribution:
            contribution = "" if document.excerpt_note else document.one_liner
            cells.append(_cell(shorten(contribution, SUMMARY_CONTRIBUTION_CHARS, clause=True)) or "—")
        cells.append(stars(document.stars, language))
        lines.append(_row(*cells))
    return "\n".join(lines)


def _trends(digest: Digest) -> str:
    observations = trend_observations(digest)
    if not observations:
        return ""
    lines = [f"## {label(digest.language, 'trends')}", ""]
    lines += [f"- {_list_safe(_escape(one_line(text)))}" for text in observations]
    return "\n".join(lines)


def _footer(digest: Digest) -> str:
    text = label(
        digest.language,
        "footer",
        source=one_line(digest.source),
        list_day=digest.list_day.isoformat(),
    )
    return f"---\n\n*{_escape(text)}*"


# ---------------------------------------------------------------- pieces


def _description(digest: Digest) -> str:
    language = digest.language
    if not digest.entries:
        return label(language, "description_none")
    topics = join_list([_topic_name(digest, topic) for topic in digest.topics], language)
    return label(language, "description", count=len(digest.entries), topics=topics)


def _topic_name(digest: Digest, topic: str) -> str:
    return one_line(digest.topic_names.get(topic) or topic)


def _documents(digest: Digest) -> list[CardDocument]:
    return [build_card(entry, digest.language, digest.topic_names) for entry in digest.entries]


def _url(url: str) -> str:
    """A URL that cannot end the Markdown link early: spaces, brackets, quotes percent-encoded."""
    return quote(url, safe=":/?#&=%+@,;~!$*'.-_")


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

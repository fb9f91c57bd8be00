"""Slack renderer: a digest as Block Kit messages, with a plain `text` fallback for notifications.

Pure: domain objects in, `SlackMessage`s out. Every message it returns passes
`validate_blocks` (50 blocks, header 150, section 3000, button 75, unique action ids);
text that would not fit is shortened with "…" or split across blocks and messages,
never rejected. Paper text is mrkdwn-escaped (`&`, `<`, `>`), so a title cannot mention
`<!channel>` or forge a link.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from paperwire.bot.models import Digest, DigestEntry, Exclusion
from paperwire.formatters.card import CardDocument, CardLink, build_card, exclusion_reason
from paperwire.formatters.labels import digest_title, label, stars
from paperwire.formatters.slack_limits import (
    MAX_BLOCKS,
    MAX_BUTTON_TEXT,
    MAX_BUTTON_URL,
    MAX_IMAGE_URL,
    MAX_HEADER_TEXT,
    MAX_SECTION_TEXT,
    MAX_TEXT_OBJECT,
    slack_length,
    validate_blocks,
)
from paperwire.formatters.slack_mrkdwn import ELLIPSIS, cut_point, escape_mrkdwn, link, split_mrkdwn
from paperwire.formatters.text import one_line, shorten

__all__ = [
    "EXCLUDED_ACTION_ID",
    "OPEN_ACTION_PREFIX",
    "SlackMessage",
    "escape_mrkdwn",
    "link",
    "render_card",
    "render_digest",
    "render_excluded",
    "render_overview",
    "validate_blocks",
]

EXCLUDED_ACTION_ID = "paperwire_excluded"
# Link buttons still send a block_actions payload that the app must ack; one prefix to match.
OPEN_ACTION_PREFIX = "paperwire_open_"
# 👍 / 👎 under every card: `paperwire_vote_like_<id>`, the value is the arXiv id.
VOTE_ACTION_PREFIX = "paperwire_vote_"

_MAX_AUTHORS = 20
_MAX_LINE_TITLE = 100
_MAX_LINE_SUMMARY = 240
_MAX_FALLBACK_TITLE = 300


@dataclass(frozen=True)
class SlackMessage:
    """One chat.postMessage worth of content; the outbox stores it as JSON."""

    text: str
    blocks: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"text": self.text, "blocks": copy.deepcopy(self.blocks)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SlackMessage:
        """Rebuild a message from `to_dict()` output; anything else is a ValueError."""
        text = data.get("text") if isinstance(data, Mapping) else None
        blocks = data.get("blocks", []) if isinstance(data, Mapping) else None
        if not isinstance(text, str):
            raise ValueError("a Slack message needs a string 'text'")
        if not isinstance(blocks, list) or not all(isinstance(block, dict) for block in blocks):
            raise ValueError("a Slack message's 'blocks' must be a list of objects")
        return cls(text=text, blocks=copy.deepcopy(blocks))


def render_overview(digest: Digest, *, excluded_action_value: str) -> SlackMessage:
    """The parent message: header, preview, one line per paper, and the excluded-papers button."""
    language = digest.language
    title = digest_title(language, digest.published)
    topic_names = _join([digest.topic_names.get(topic, topic) for topic in digest.topics], language)
    if digest.entries:
        preview = label(language, "preview_line", count=len(digest.entries), topics=topic_names)
        fallback = f"{title}: " + label(language, "description", count=len(digest.entries), topics=topic_names)
    else:
        preview = label(language, "description_none")
        fallback = f"{title}: {preview}"

    blocks: list[dict[str, Any]] = [_header(title)]
    blocks.append(_section(f"*{escape_mrkdwn(label(language, 'preview'))}*\n{escape_mrkdwn(preview)}"))
    if digest.only_topics:
        names = _join([digest.topic_names.get(topic, topic) for topic in digest.only_topics], language)
        blocks.append(_context(escape_mrkdwn(label(language, "only_topics", topics=names))))
    documents = [build_card(entry, language, digest.topic_names) for entry in digest.entries]
    lines = [_overview_line(number, document) for number, document in enumerate(documents, start=1)]
    # Room is kept for the footer and the button; a line is short, so 47 sections hold far more than 50 papers.
    blocks.extend(_sections(lines, room=MAX_BLOCKS - len(blocks) - 2))
    footer = label(
        language,
        "footer",
        generated=digest.generated_at.strftime("%Y-%m-%d %H:%M"),
        source=digest.source,
        list_day=digest.list_day.isoformat(),
    )
    blocks.append(_context(escape_mrkdwn(footer)))
    blocks.append(
        {
            "type": "actions",
            "elements": [
                _button(label(language, "button_excluded"), action_id=EXCLUDED_ACTION_ID, value=excluded_action_value)
            ],
        }
    )
    return SlackMessage(text=escape_mrkdwn(fallback), blocks=blocks)


def render_card(entry: DigestEntry, language: str, index: int | None, topic_names: dict[str, str]) -> SlackMessage:
    """One paper as one message: header, facts, the card's sections when present, link buttons.

    `index` None gives an unnumbered card (a lookup); a paper never picked (stars 0) shows no rating.
    """
    document = build_card(entry, language, topic_names)
    heading = f"{index}. {document.title}" if index is not None else document.title

    facts = []
    if document.source_line:
        facts.append(escape_mrkdwn(document.source_line))
    if document.authors:
        facts.append(f"*{_label(language, 'authors')}*: {escape_mrkdwn(document.authors_line(_MAX_AUTHORS))}")
    facts.append(f"*{_label(language, 'link')}*: {link(document.abs_url, 'arXiv')}")
    placing = [escape_mrkdwn(document.topic_name)] if document.topic_name else []
    if document.stars > 0:
        placing.append(escape_mrkdwn(stars(document.stars, language)))
    if placing:
        facts.append(f"*{_label(language, 'topic')}*: {'  '.join(placing)}")

    parts = ["\n".join(facts)]
    if document.excerpt_note:
        parts.append(f"_{escape_mrkdwn(document.excerpt_note)}_")
    if document.core_innovation or document.points:
        lines = [f"*{_label(language, 'core_innovation')}*"]
        if document.core_innovation:
            lines.append(escape_mrkdwn(document.core_innovation))
        lines += [f"{number}. {escape_mrkdwn(point)}" for number, point in enumerate(document.points, start=1)]
        parts.append("\n".join(lines))
    elif document.one_liner:
        parts.append(f"_{escape_mrkdwn(document.one_liner)}_")
    if document.results:
        bullets = [f"• {escape_mrkdwn(result)}" for result in document.results]
        parts.append("\n".join([f"*{_label(language, 'results')}*", *bullets]))
    if document.key_insight:
        parts.append(f"*{_label(language, 'key_insight')}*\n{escape_mrkdwn(document.key_insight)}")
    takeaways = [f"{item.mark} *{escape_mrkdwn(item.label)}*: {escape_mrkdwn(item.text)}" for item in document.takeaways]
    if takeaways:
        parts.append("\n".join([f"*{_label(language, 'takeaways')}*"] + takeaways))

    blocks: list[dict[str, Any]] = [_header(heading)]
    if document.image_url and slack_length(document.image_url) <= MAX_IMAGE_URL:
        blocks.append({"type": "image", "image_url": document.image_url, "alt_text": shorten(document.short_name, 200)})
    blocks.extend(_sections(parts, room=MAX_BLOCKS - len(blocks) - 2, pack=False))
    blocks.append(_context(escape_mrkdwn(document.method_note)))
    blocks.append({"type": "actions", "elements": [*_link_buttons(document.arxiv_id, document.links), *_vote_buttons(document.arxiv_id)]})
    fallback = escape_mrkdwn(shorten(heading, _MAX_FALLBACK_TITLE, utf16=True))
    return SlackMessage(text=fallback, blocks=blocks)


def render_digest(digest: Digest, *, excluded_action_value: str) -> list[SlackMessage]:
    """The overview, then one card per picked paper, in rank order."""
    messages = [render_overview(digest, excluded_action_value=excluded_action_value)]
    for number, entry in enumerate(digest.entries, start=1):
        messages.append(render_card(entry, digest.language, number, digest.topic_names))
    return messages


def render_excluded(list_day: date, exclusions: list[Exclusion], language: str) -> list[SlackMessage]:
    """Every paper of the day that was not picked, with its reason; as many messages as 50 blocks need."""
    title = f"{label(language, 'excluded')} - {list_day.isoformat()}"
    if not exclusions:
        note = label(language, "excluded_none")
        blocks = [_header(title), _section(escape_mrkdwn(note))]
        return [SlackMessage(text=escape_mrkdwn(f"{title}: {note}"), blocks=blocks)]
    lines = [_excluded_line(exclusion, language) for exclusion in exclusions]
    sections = _sections(lines, room=len(lines))
    messages: list[SlackMessage] = []
    per_message = MAX_BLOCKS - 1
    for start in range(0, len(sections), per_message):
        heading = title if start == 0 else f"{title} {label(language, 'more')}"
        fallback = f"{heading} ({len(exclusions)})" if start == 0 else heading
        blocks = [_header(heading), *sections[start : start + per_message]]
        messages.append(SlackMessage(text=escape_mrkdwn(fallback), blocks=blocks))
    return messages


def _overview_line(number: int, document: CardDocument) -> str:
    name = shorten(document.short_name, _MAX_LINE_TITLE, utf16=True)
    line = f"{number}. {link(document.abs_url, name)} {'⭐' * document.stars}"
    summary = shorten(document.line_summary, _MAX_LINE_SUMMARY, utf16=True)
    return f"{line} — {escape_mrkdwn(summary)}" if summary else line


def _excluded_line(exclusion: Exclusion, language: str) -> str:
    paper = exclusion.paper
    name = shorten(one_line(paper.title) or paper.arxiv_id, _MAX_LINE_TITLE, utf16=True)
    reason = shorten(exclusion_reason(exclusion, language), _MAX_LINE_SUMMARY, utf16=True)
    return f"• {link(paper.abs_url, name)} — {escape_mrkdwn(reason)}"


def _link_buttons(arxiv_id: str, links: tuple[CardLink, ...]) -> list[dict[str, Any]]:
    # The arXiv id keeps action ids unique even if two cards ever share a message.
    return [
        _button(link.label, action_id=f"{OPEN_ACTION_PREFIX}{link.kind}_{arxiv_id}", value=arxiv_id, url=link.url)
        for link in links
        if slack_length(link.url) <= MAX_BUTTON_URL
    ]


def _vote_buttons(arxiv_id: str) -> list[dict[str, Any]]:
    return [
        _button("👍", action_id=f"{VOTE_ACTION_PREFIX}like_{arxiv_id}", value=arxiv_id),
        _button("👎", action_id=f"{VOTE_ACTION_PREFIX}dislike_{arxiv_id}", value=arxiv_id),
    ]


def _join(names: list[str], language: str) -> str:
    """A list of names as the language writes one: `A, B` or `甲、乙`."""
    return ("、" if language == "zh" else ", ").join(names)


def _label(language: str, key: str) -> str:
    return escape_mrkdwn(label(language, key))


def _header(text: str) -> dict[str, Any]:
    plain = {"type": "plain_text", "text": shorten(one_line(text), MAX_HEADER_TEXT, utf16=True), "emoji": True}
    return {"type": "header", "text": plain}


def _section(mrkdwn: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": mrkdwn}}


def _context(mrkdwn: str) -> dict[str, Any]:
    mrkdwn = shorten(mrkdwn, MAX_TEXT_OBJECT, utf16=True)
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": mrkdwn}]}


def _button(text: str, *, action_id: str, value: str, url: str | None = None) -> dict[str, Any]:
    button: dict[str, Any] = {
        "type": "button",
        "text": {"type": "plain_text", "text": shorten(text, MAX_BUTTON_TEXT, utf16=True), "emoji": True},
        "action_id": action_id,
        "value": value,
    }
    if url:
        button["url"] = url
    return button


def _sections(parts: Iterable[str], *, room: int, pack: bool = True) -> list[dict[str, Any]]:
    """Section blocks for mrkdwn `parts`, each under 3000; at most `room`, the last one marked "…" if cut.

    With `pack`, consecutive parts share a block when they fit (one block per line would
    exhaust 50 blocks quickly); without it, each part starts a block of its own.
    """
    texts: list[str] = []
    for part in parts:
        for chunk in split_mrkdwn(part, MAX_SECTION_TEXT):
            if pack and texts and slack_length(texts[-1]) + 1 + slack_length(chunk) <= MAX_SECTION_TEXT:
                texts[-1] += "\n" + chunk
            else:
                texts.append(chunk)
    if len(texts) > room:
        texts = texts[:room]
        last = texts[-1]
        if slack_length(last) + 2 > MAX_SECTION_TEXT:
            last = last[: cut_point(last, MAX_SECTION_TEXT - 2)]
        texts[-1] = last + "\n" + ELLIPSIS
    return [_section(text) for text in texts]

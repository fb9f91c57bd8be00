"""Command replies (bot/views.py) as Slack messages: Block Kit plus a plain `text` fallback.

Pure: a view in, `SlackMessage`s out, each within Block Kit's limits (`validate_blocks`).
Digests, cards and the excluded list reuse the digest renderer in formatters/slack.py, so
a card looks the same in the thread and as an answer to `/papers paper`; lists, topics,
trends, help and short messages are header-and-section replies built here. Paper text is
mrkdwn-escaped throughout, so a title cannot ping a channel or forge a link.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from paperwire.bot.views import (
    CardView,
    DigestView,
    ExcludedView,
    HelpView,
    MessageView,
    PaperListItem,
    PaperListView,
    SubscriptionView,
    TopicsView,
    TrendsView,
    View,
)
from paperwire.formatters.plain import sparkline
from paperwire.formatters.slack import SlackMessage, render_card, render_excluded, render_overview
from paperwire.formatters.slack_limits import (
    MAX_BLOCKS,
    MAX_CONTEXT_ELEMENTS,
    MAX_HEADER_TEXT,
    MAX_SECTION_TEXT,
    MAX_TEXT_OBJECT,
    slack_length,
)
from paperwire.formatters.slack_mrkdwn import ELLIPSIS, escape_mrkdwn, link, split_mrkdwn
from paperwire.formatters.text import one_line, shorten

COMMAND = "/papers"
_MAX_LIST_TITLE = 120
_MAX_FALLBACK = 300


def render_view(view: View) -> list[SlackMessage]:
    """The reply to one command, as one or more messages (a long list continues in the next)."""
    renderer = _RENDERERS.get(type(view))
    if renderer is None:  # tests/formatters/test_view_renderers.py keeps this from happening
        raise TypeError(f"no renderer for {type(view).__name__}")
    return renderer(view)


# ---------------------------------------------------------------- views


def _message(view: MessageView) -> list[SlackMessage]:
    return [_text_message(view.lines)]


def _digest(view: DigestView) -> list[SlackMessage]:
    digest = view.digest
    return [render_overview(digest, excluded_action_value=digest.list_day.isoformat())]


def _card(view: CardView) -> list[SlackMessage]:
    """The digest's card, titled without a rank; an unpicked paper shows its topic but no stars."""
    entry, language = view.entry, view.language
    message = render_card(entry, language, None, view.topic_names)
    blocks = [dict(block) for block in message.blocks]
    title = one_line(entry.paper.title) or entry.paper.arxiv_id
    if one_line(view.note or ""):
        blocks = _with_note(blocks, view.note or "")
    return [SlackMessage(text=escape_mrkdwn(shorten(title, _MAX_FALLBACK, utf16=True)), blocks=blocks)]


def _paper_list(view: PaperListView) -> list[SlackMessage]:
    lines = [_list_line(number, item) for number, item in enumerate(view.items, start=1)]
    if not lines:
        lines = [escape_mrkdwn(one_line(view.empty))]
    return _titled(view.title, lines, note=view.note)


def _excluded(view: ExcludedView) -> list[SlackMessage]:
    return render_excluded(view.list_day, view.exclusions, view.language)


def _topics(view: TopicsView) -> list[SlackMessage]:
    lines = [f"• *{escape_mrkdwn(one_line(row.name))}* (`{escape_mrkdwn(row.id)}`): {row.count}" for row in view.rows]
    return _titled(view.title, lines, note=view.note, intro=" · ".join(view.columns))


def _trends(view: TrendsView) -> list[SlackMessage]:
    if not view.days:
        return _titled(view.title, [escape_mrkdwn(one_line(view.empty))])
    top = max((count for row in view.rows for count in row.counts), default=0)
    lines = [
        f"*{escape_mrkdwn(one_line(row.name))}*: {row.total} ({row.total / len(view.days):.1f}) "
        f"`{sparkline(row.counts, top)}`"
        for row in view.rows
    ]
    span = f"{view.days[0].isoformat()} … {view.days[-1].isoformat()}"
    return _titled(view.title, lines, intro=f"{' · '.join(view.columns)} ({span})")


def _subscription(view: SubscriptionView) -> list[SlackMessage]:
    lines = [f"*{escape_mrkdwn(one_line(name))}*: {escape_mrkdwn(one_line(value))}" for name, value in view.fields]
    return _titled(view.title, lines, lead=view.note)


def _help(view: HelpView) -> list[SlackMessage]:
    lines = [
        f"`{COMMAND} {escape_mrkdwn(one_line(usage))}` — {escape_mrkdwn(one_line(about))}"
        for usage, about in view.commands
    ]
    return _titled(view.title, lines, note=view.note)


_RENDERERS: dict[type, Callable[[Any], list[SlackMessage]]] = {
    MessageView: _message,
    DigestView: _digest,
    CardView: _card,
    PaperListView: _paper_list,
    ExcludedView: _excluded,
    TopicsView: _topics,
    TrendsView: _trends,
    SubscriptionView: _subscription,
    HelpView: _help,
}


# ---------------------------------------------------------------- pieces


def _list_line(number: int, item: PaperListItem) -> str:
    title = shorten(one_line(item.paper.title) or item.paper.arxiv_id, _MAX_LIST_TITLE, utf16=True)
    details = [f"`{escape_mrkdwn(item.paper.arxiv_id)}`"]
    if item.list_day is not None:
        details.append(item.list_day.isoformat())
    if item.topic_name or item.topic:
        details.append(escape_mrkdwn(one_line(item.topic_name or item.topic or "")))
    if item.stars:
        details.append("⭐" * item.stars)
    return f"{number}. {link(item.paper.abs_url, title)} — {' · '.join(details)}"


def _with_note(blocks: list[dict[str, Any]], note: str) -> list[dict[str, Any]]:
    """The card's note (where it came from) joins the context line, so the card keeps its block count."""
    element = {"type": "mrkdwn", "text": _fit(escape_mrkdwn(one_line(note)), MAX_TEXT_OBJECT)}
    for index, block in enumerate(blocks):
        if block.get("type") == "context" and len(block.get("elements", [])) < MAX_CONTEXT_ELEMENTS:
            blocks[index] = block | {"elements": [*block["elements"], element]}
            return blocks
    if len(blocks) < MAX_BLOCKS:
        blocks.insert(len(blocks) - 1, {"type": "context", "elements": [element]})
    return blocks


def _titled(
    title: str,
    lines: list[str],
    *,
    note: str | None = None,
    intro: str | None = None,
    lead: str | None = None,
) -> list[SlackMessage]:
    """A header, then the lines packed into sections; more messages when 50 blocks are not enough.

    `lead` comes before the header (a confirmation), `intro` under it (column names) and
    `note` at the end (a hint); all three are plain words, escaped here.
    """
    heading = one_line(title) or ELLIPSIS
    lead, intro, note = (escape_mrkdwn(one_line(words or "")) for words in (lead, intro, note))
    sections = _sections(lines)
    head: list[dict[str, Any]] = []
    if lead:
        head.append(_section(_fit(lead, MAX_SECTION_TEXT)))
    head.append(_header(heading))
    if intro:
        head.append(_context(intro))
    tail = [_context(note)] if note else []
    messages: list[SlackMessage] = []
    room = MAX_BLOCKS - len(head) - len(tail)
    for start in range(0, max(len(sections), 1), room):
        chunk = sections[start : start + room]
        blocks = (head if start == 0 else [_header(f"{heading} …")]) + chunk
        messages.append(SlackMessage(text=escape_mrkdwn(shorten(heading, _MAX_FALLBACK, utf16=True)), blocks=blocks))
    # The note goes under the last part; every part kept room for it.
    messages[-1].blocks.extend(tail)
    return messages


def _text_message(lines: list[str]) -> SlackMessage:
    text = "\n".join(escape_mrkdwn(one_line(line)) for line in lines if one_line(line)) or ELLIPSIS
    return SlackMessage(text=_fit(text, MAX_SECTION_TEXT), blocks=_sections([text])[:MAX_BLOCKS])


def _fit(mrkdwn: str, limit: int) -> str:
    """Escaped mrkdwn cut to `limit`, never inside an entity or a link, ended with "…" when cut."""
    return shorten(mrkdwn, limit, utf16=True)


def _sections(lines: list[str]) -> list[dict[str, Any]]:
    """Escaped mrkdwn lines packed into as few sections as 3000 characters allow."""
    texts: list[str] = []
    for line in lines:
        for piece in split_mrkdwn(line, MAX_SECTION_TEXT):
            if texts and slack_length(texts[-1]) + 1 + slack_length(piece) <= MAX_SECTION_TEXT:
                texts[-1] += "\n" + piece
            else:
                texts.append(piece)
    return [_section(text) for text in texts]


def _header(text: str) -> dict[str, Any]:
    plain = shorten(one_line(text), MAX_HEADER_TEXT, utf16=True) or "…"
    return {"type": "header", "text": {"type": "plain_text", "text": plain, "emoji": True}}


def _section(mrkdwn: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": mrkdwn}}


def _context(mrkdwn: str) -> dict[str, Any]:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": _fit(mrkdwn, MAX_TEXT_OBJECT)}]}

# Every view type this target renders (a test checks it is every view type there is).
RENDERED_VIEWS = frozenset(_RENDERERS)

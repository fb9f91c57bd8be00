"""Render command replies (bot/views.py) as Telegram messages: HTML parse mode, within every limit.

Pure: a view in, `TelegramMessage`s out. Digests, cards and excluded lists reuse the digest
renderer in formatters/telegram.py, so a lookup looks like a delivered card; the rest is
escaped HTML split at line boundaries. Buttons that open a card or the excluded list carry
callback data in the small format defined here and read back by handlers/telegram.py.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from paperwire.bot.models import DigestEntry
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
from paperwire.formatters.labels import label
from paperwire.formatters.plain import sparkline
from paperwire.formatters.telegram import (
    DISLIKE_PREFIX,
    LIKE_PREFIX,
    Button,
    TelegramMessage,
    render_card,
    render_excluded,
    render_overview,
)
from paperwire.formatters.telegram_html import MAX_CALLBACK_BYTES, escape_attribute, escape_html, split_html
from paperwire.formatters.text import one_line, shorten

EXCLUDED_PREFIX = "x:"
CARD_PREFIX = "p:"
_BUTTONS_PER_ROW = 5
_MAX_CARD_BUTTONS = 20
_LIST_TITLE_CHARS = 110


# ---------------------------------------------------------------- callback data


def excluded_callback(list_day: date) -> str:
    """Data of a button that opens a list day's excluded papers."""
    return f"{EXCLUDED_PREFIX}{list_day.isoformat()}"


def card_callback(arxiv_id: str) -> str | None:
    """Data of a button that opens one paper's card; None if the id would not fit 64 bytes."""
    data = f"{CARD_PREFIX}{arxiv_id}"
    return data if len(data.encode("utf-8")) <= MAX_CALLBACK_BYTES else None


def callback_command(data: str) -> str | None:
    """The command line a button stands for (`excluded <day>`, `paper <id>`, `like <id>`,
    `dislike <id>`), or None if unknown."""
    if data.startswith(EXCLUDED_PREFIX) and data[len(EXCLUDED_PREFIX) :].strip():
        return f"excluded {data[len(EXCLUDED_PREFIX):].strip()}"
    if data.startswith(CARD_PREFIX) and data[len(CARD_PREFIX) :].strip():
        return f"paper {data[len(CARD_PREFIX):].strip()}"
    if data.startswith(LIKE_PREFIX) and data[len(LIKE_PREFIX) :].strip():
        return f"like {data[len(LIKE_PREFIX):].strip()}"
    if data.startswith(DISLIKE_PREFIX) and data[len(DISLIKE_PREFIX) :].strip():
        return f"dislike {data[len(DISLIKE_PREFIX):].strip()}"
    return None


def _card_buttons(arxiv_ids: list[str]) -> list[list[Button]]:
    """Numbered buttons, one per paper, that open its card; rows of five."""
    buttons = []
    for number, arxiv_id in enumerate(arxiv_ids[:_MAX_CARD_BUTTONS], 1):
        data = card_callback(arxiv_id)
        if data is not None:
            buttons.append(Button(str(number), callback_data=data))
    return [buttons[start : start + _BUTTONS_PER_ROW] for start in range(0, len(buttons), _BUTTONS_PER_ROW)]


# ---------------------------------------------------------------- views


def render_view(view: View) -> list[TelegramMessage]:
    """The reply as one or more messages; never empty for a view that has words."""
    renderer = _RENDERERS.get(type(view))
    if renderer is None:  # tests/formatters/test_view_renderers.py keeps this from happening
        raise TypeError(f"no renderer for {type(view).__name__}")
    return renderer(view)


def _text_messages(
    lines: list[str], language: str, *, heading: str = "", buttons: list[list[Button]] | None = None
) -> list[TelegramMessage]:
    """Lines of HTML packed into messages; a long reply repeats `heading` on every part."""
    continued = f"{heading} <i>{escape_html(label(language, 'more'))}</i>" if heading else ""
    parts = split_html([line for line in lines if line], separator="\n", continued=continued) or ["…"]
    last = len(parts) - 1
    return [TelegramMessage(part, (buttons or []) if number == last else []) for number, part in enumerate(parts)]


def _message(view: MessageView) -> list[TelegramMessage]:
    return _text_messages([escape_html(one_line(line)) for line in view.lines], view.language)


def _digest(view: DigestView) -> list[TelegramMessage]:
    """The overview with its excluded-papers button, plus a numbered button per card."""
    digest = view.digest
    overview = render_overview(digest, excluded_callback=excluded_callback(digest.list_day))
    cards = _card_buttons([entry.paper.arxiv_id for entry in digest.entries])
    return [TelegramMessage(overview.text, cards + overview.buttons, overview.disable_preview)]


def render_lookup_card(
    entry: DigestEntry, language: str, topic_names: dict[str, str], note: str | None = None
) -> list[TelegramMessage]:
    """A card answering `paper ...`: the delivered card, unnumbered, closed by `note`."""
    return render_card(entry, language, None, topic_names, note=note)


def _card(view: CardView) -> list[TelegramMessage]:
    return render_lookup_card(view.entry, view.language, view.topic_names, view.note)


def _list_item(number: int, item: PaperListItem) -> str:
    title = shorten(one_line(item.paper.title), _LIST_TITLE_CHARS, utf16=True) or item.paper.arxiv_id
    details = [f"<code>{escape_html(item.paper.arxiv_id)}</code>"]
    if item.list_day is not None:
        details.append(item.list_day.isoformat())
    if one_line(item.topic_name or item.topic):
        details.append(escape_html(one_line(item.topic_name or item.topic)))
    if item.stars:
        details.append("⭐" * item.stars)
    link = f'<a href="{escape_attribute(item.paper.abs_url)}">{escape_html(title)}</a>'
    return f"{number}. {link} — {' · '.join(details)}"


def _paper_list(view: PaperListView) -> list[TelegramMessage]:
    heading = f"<b>{escape_html(one_line(view.title))}</b>"
    lines = [heading]
    if not view.items:
        lines.append(escape_html(one_line(view.empty)))
    lines += [_list_item(number, item) for number, item in enumerate(view.items, 1)]
    if view.note and one_line(view.note):
        lines.append(f"<i>{escape_html(one_line(view.note))}</i>")
    buttons = _card_buttons([item.paper.arxiv_id for item in view.items])
    return _text_messages(lines, view.language, heading=heading, buttons=buttons)


def _excluded(view: ExcludedView) -> list[TelegramMessage]:
    return render_excluded(view.list_day, view.exclusions, view.language)


def _topics(view: TopicsView) -> list[TelegramMessage]:
    heading = f"<b>{escape_html(one_line(view.title))}</b>"
    lines = [heading]
    lines += [
        f"<code>{escape_html(row.id)}</code> — {escape_html(one_line(row.name))}: {row.count}" for row in view.rows
    ]
    if view.note and one_line(view.note):
        lines.append(f"<i>{escape_html(one_line(view.note))}</i>")
    return _text_messages(lines, view.language, heading=heading)


def _trends(view: TrendsView) -> list[TelegramMessage]:
    heading = f"<b>{escape_html(one_line(view.title))}</b>"
    if not view.days:
        return _text_messages([heading, escape_html(one_line(view.empty))], view.language)
    top = max((count for row in view.rows for count in row.counts), default=0)
    lines = [heading, f"<i>{escape_html(' · '.join(one_line(column) for column in view.columns))}</i>"]
    for row in view.rows:
        per_day = row.total / len(view.days)
        lines.append(
            f"{escape_html(one_line(row.name))} · {row.total} · {per_day:.1f} · "
            f"<code>{escape_html(sparkline(row.counts, top))}</code>"
        )
    return _text_messages(lines, view.language, heading=heading)


def _subscription(view: SubscriptionView) -> list[TelegramMessage]:
    heading = f"<b>{escape_html(one_line(view.title))}</b>"
    lines = [escape_html(one_line(view.note))] if view.note and one_line(view.note) else []
    lines.append(heading)
    lines += [f"<b>{escape_html(one_line(name))}</b>: {escape_html(one_line(value))}" for name, value in view.fields]
    return _text_messages(lines, view.language, heading=heading)


def _help(view: HelpView) -> list[TelegramMessage]:
    heading = f"<b>{escape_html(one_line(view.title))}</b>"
    lines = [heading]
    for usage, about in view.commands:
        lines.append(f"<code>/{escape_html(one_line(usage))}</code> — {escape_html(one_line(about))}")
    if view.note and one_line(view.note):
        lines.append(f"<i>{escape_html(one_line(view.note))}</i>")
    return _text_messages(lines, view.language, heading=heading)


_RENDERERS: dict[type, Callable[[Any], list[TelegramMessage]]] = {
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

# Every view type this target renders (a test checks it is every view type there is).
RENDERED_VIEWS = frozenset(_RENDERERS)

"""Render a digest as Telegram messages: an overview, one card per paper, the excluded list.

Pure: domain objects in, `TelegramMessage`s out (HTML parse mode, previews off). Every piece
of paper text is escaped and every message fits Telegram's limits after entity parsing.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from paperwire.bot.models import Digest, DigestEntry, Exclusion
from paperwire.formatters.card import CardDocument, CardLink, build_card, exclusion_reason
from paperwire.formatters.labels import digest_title, label, stars
from paperwire.formatters.telegram_html import (
    MAX_CALLBACK_BYTES,
    MAX_CAPTION_LENGTH,
    MAX_MESSAGE_LENGTH,
    escape_attribute,
    escape_html,
    split_html,
)
from paperwire.formatters.text import join_list, one_line, shorten, trend_observations

logger = logging.getLogger(__name__)

PARSE_MODE = "HTML"
# Callback data of the vote buttons under every card: `v+:<arXiv id>` / `v-:<arXiv id>`.
LIKE_PREFIX = "v+:"
DISLIKE_PREFIX = "v-:"

_MAX_AUTHORS = 8
_EXCLUDED_TITLE_CHARS = 90
# Budgets tried in turn for the overview's one-liners until the overview fits one message.
_OVERVIEW_ONE_LINER_BUDGETS = (200, 120, 60, 0)
_WEB_URL = re.compile(r"^https?://[^\s/?#]+[^\s]*$")


@dataclass(frozen=True, slots=True)
class Button:
    """An inline keyboard button: a URL to open or callback data to send back, never both."""

    text: str
    url: str | None = None
    callback_data: str | None = None

    def __post_init__(self) -> None:
        if not self.text.strip():
            raise ValueError("a button needs text")
        if (self.url is None) == (self.callback_data is None):
            raise ValueError("a button has exactly one of url and callback_data")
        if self.url is not None and not _WEB_URL.match(self.url):
            raise ValueError(f"button url must be http(s): {self.url!r}")
        if self.callback_data is not None:
            size = len(self.callback_data.encode("utf-8"))
            if not 1 <= size <= MAX_CALLBACK_BYTES:
                raise ValueError(f"callback data must be 1-{MAX_CALLBACK_BYTES} bytes, got {size}")

    def to_dict(self) -> dict[str, str]:
        """The button as Telegram's `InlineKeyboardButton` JSON."""
        data = {"text": self.text}
        if self.url is not None:
            data["url"] = self.url
        if self.callback_data is not None:
            data["callback_data"] = self.callback_data
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Button:
        return cls(text=data["text"], url=data.get("url"), callback_data=data.get("callback_data"))


@dataclass(frozen=True, slots=True)
class TelegramMessage:
    """One message to send with parse_mode HTML; stored as JSON in the outbox."""

    text: str
    buttons: list[list[Button]] = field(default_factory=list)
    disable_preview: bool = True
    # The paper's picture: sent as a photo with `text` as its caption (which then fits
    # 1024 characters), or shown as a large link preview above the text.
    photo: str | None = None
    preview_url: str | None = None

    def reply_markup(self) -> dict[str, Any] | None:
        """Telegram's `InlineKeyboardMarkup` JSON, or None without buttons."""
        if not self.buttons:
            return None
        return {"inline_keyboard": [[button.to_dict() for button in row] for row in self.buttons]}

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "text": self.text,
            "buttons": [[button.to_dict() for button in row] for row in self.buttons],
            "disable_preview": self.disable_preview,
        }
        if self.photo:
            data["photo"] = self.photo
        if self.preview_url:
            data["preview_url"] = self.preview_url
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TelegramMessage:
        return cls(
            text=data["text"],
            buttons=[[Button.from_dict(button) for button in row] for row in data.get("buttons", [])],
            disable_preview=bool(data.get("disable_preview", True)),
            photo=data.get("photo") or None,
            preview_url=data.get("preview_url") or None,
        )


def _link_buttons(links: tuple[CardLink, ...], arxiv_id: str) -> list[list[Button]]:
    """arXiv and PDF on the first row; Hugging Face and the code (when known) on the second;
    👍 and 👎 (this chat's vote) on the third."""
    first = [Button(link.label, url=link.url) for link in links if link.kind in ("arxiv", "pdf")]
    second = [Button(link.label, url=link.url) for link in links if link.kind in ("hf", "code")]
    # An arXiv id is at most 40 characters, so `v+:<id>` always fits the 64 bytes.
    votes = [Button("👍", callback_data=f"{LIKE_PREFIX}{arxiv_id}"), Button("👎", callback_data=f"{DISLIKE_PREFIX}{arxiv_id}")]
    return [first, second, votes]


def _label(language: str, key: str, **values: object) -> str:
    """A label, escaped: labels are ours, but topic names and sources inside them are not."""
    return escape_html(label(language, key, **values))


def _link(url: str, text: str) -> str:
    return f'<a href="{escape_attribute(url)}">{escape_html(text)}</a>'


def _card_blocks(document: CardDocument, index: int | None) -> list[str]:
    """The card's sections, each a well-formed HTML block, in the digest's order.

    `index` None: an unnumbered card (a lookup); a paper never picked (stars 0) shows no rating.
    """
    language = document.language
    prefix = f"{index}. " if index is not None else ""
    header = [f"<b>{prefix}{escape_html(document.title)}</b>"]
    if document.source_line:
        header.append(escape_html(document.source_line))
    if document.authors:
        header.append(f"<b>{_label(language, 'authors')}</b>: {escape_html(document.authors_line(_MAX_AUTHORS))}")
    header.append(f"<b>{_label(language, 'link')}</b>: {_link(document.abs_url, f'arXiv:{document.arxiv_id}')}")
    placing = [escape_html(document.topic_name)] if document.topic_name else []
    if document.stars > 0:
        placing.append(escape_html(stars(document.stars, language)))
    if placing:
        header.append(f"<b>{_label(language, 'topic')}</b>: {' · '.join(placing)}")
    blocks = ["\n".join(header)]
    if document.excerpt_note:
        blocks.append(f"<i>{escape_html(document.excerpt_note)}</i>")

    if document.core_innovation or document.points:
        lines = [f"<b>{_label(language, 'core_innovation')}</b>"]
        if document.core_innovation:
            lines.append(escape_html(document.core_innovation))
        lines.extend(f"{number}. {escape_html(point)}" for number, point in enumerate(document.points, 1))
        blocks.append("\n".join(lines))
    elif document.one_liner:
        blocks.append(f"<i>{escape_html(document.one_liner)}</i>")

    if document.results:
        bullets = [f"• {escape_html(result)}" for result in document.results]
        blocks.append("\n".join([f"<b>{_label(language, 'results')}</b>", *bullets]))

    if document.key_insight:
        blocks.append(f"<b>{_label(language, 'key_insight')}</b>\n{escape_html(document.key_insight)}")

    if document.takeaways:
        lines = [f"<b>{_label(language, 'takeaways')}</b>"]
        lines.extend(f"{item.mark} <b>{escape_html(item.label)}</b>: {escape_html(item.text)}" for item in document.takeaways)
        blocks.append("\n".join(lines))

    blocks.append(f"<i>{escape_html(document.method_note)}</i>")
    return blocks


def render_card(
    entry: DigestEntry, language: str, index: int | None, topic_names: dict[str, str], *, note: str | None = None
) -> list[TelegramMessage]:
    """One paper's card; split at section boundaries when longer than one message.

    The link buttons go on the last part, so they sit under the end of the card. `index`
    None gives an unnumbered card (a lookup); `note` (where the card came from) closes it.
    """
    document = build_card(entry, language, topic_names)
    blocks = _card_blocks(document, index)
    if note and one_line(note):
        blocks.append(f"<i>{escape_html(one_line(note))}</i>")
    prefix = f"{index}. " if index is not None else ""
    continued = f"<b>{prefix}{escape_html(document.short_name)}</b> <i>{_label(language, 'more')}</i>"
    buttons = _link_buttons(document.links, document.arxiv_id)
    if document.image_url:
        as_caption = split_html(blocks, MAX_CAPTION_LENGTH, continued=continued)
        if len(as_caption) == 1:
            return [TelegramMessage(as_caption[0], buttons, photo=document.image_url)]
    parts = split_html(blocks, continued=continued)
    messages = [TelegramMessage(part, buttons if number == len(parts) - 1 else []) for number, part in enumerate(parts)]
    if document.image_url:
        # Too long for a caption: the picture as a large preview above the card's first part.
        messages[0] = replace(messages[0], disable_preview=False, preview_url=document.image_url)
    return messages


def _overview_blocks(digest: Digest, one_liner_chars: int) -> list[str]:
    language = digest.language
    names = digest.topic_names
    title = [f"<b>{escape_html(digest_title(language, digest.published))}</b>"]
    if digest.only_topics:
        only = join_list([names.get(topic, topic) for topic in digest.only_topics], language)
        title.append(f"<i>{escape_html(label(language, 'only_topics', topics=only))}</i>")
    blocks = ["\n".join(title)]

    preview = [f"<b>{_label(language, 'preview')}</b>"]
    if digest.entries:
        topics = join_list([names.get(topic, topic) for topic in digest.topics], language)
        preview.append(escape_html(label(language, "preview_line", count=len(digest.entries), topics=topics)))
    else:
        preview.append(escape_html(label(language, "description_none")))
    blocks.append("\n".join(preview))

    lines = []
    for number, entry in enumerate(digest.entries, 1):
        document = build_card(entry, language, names)
        line = f"{number}. <b>{escape_html(document.short_name)}</b> {'⭐' * document.stars}"
        one_liner = shorten(document.line_summary, one_liner_chars, utf16=True) if one_liner_chars else ""
        if one_liner:
            line += f" — {escape_html(one_liner)}"
        lines.append(line)
    if lines:
        blocks.append("\n".join(lines))

    if digest.entries or digest.trends:
        observations = [f"• {escape_html(sentence)}" for sentence in trend_observations(digest)]
        blocks.append("\n".join([f"<b>{_label(language, 'trends')}</b>", *observations]))

    footer = label(
        language,
        "footer",
        generated=digest.generated_at.strftime("%Y-%m-%d %H:%M"),
        source=digest.source,
        list_day=digest.list_day.isoformat(),
    )
    blocks.append(f"<i>{escape_html(footer)}</i>")
    return blocks


def render_overview(digest: Digest, *, excluded_callback: str) -> TelegramMessage:
    """The digest's first message: title, preview with one line per paper, trends, footer.

    It carries a callback button that opens the excluded list; `excluded_callback` (e.g.
    "x:2026-02-20") must fit Telegram's 64 bytes of callback data.
    """
    button = Button(label(digest.language, "button_excluded"), callback_data=excluded_callback)
    parts: list[str] = []
    for budget in _OVERVIEW_ONE_LINER_BUDGETS:
        parts = split_html(_overview_blocks(digest, budget), MAX_MESSAGE_LENGTH)
        if len(parts) == 1:
            break
    else:
        logger.warning("overview of %s with %d papers cut to one message", digest.list_day, len(digest.entries))
    return TelegramMessage(parts[0], [[button]])


def render_digest(digest: Digest, *, excluded_callback: str) -> list[TelegramMessage]:
    """The overview, then every card in order."""
    messages = [render_overview(digest, excluded_callback=excluded_callback)]
    for number, entry in enumerate(digest.entries, 1):
        messages.extend(render_card(entry, digest.language, number, digest.topic_names))
    return messages


def render_excluded(list_day: date, exclusions: list[Exclusion], language: str) -> list[TelegramMessage]:
    """Every paper of the day that was not picked, with its reason; several messages when long."""
    heading = f"<b>{_label(language, 'excluded')}</b> · {list_day.isoformat()}"
    if not exclusions:
        return [TelegramMessage(f"{heading}\n{escape_html(label(language, 'excluded_none'))}")]
    lines = [heading]
    for number, exclusion in enumerate(exclusions, 1):
        title = shorten(one_line(exclusion.paper.title), _EXCLUDED_TITLE_CHARS, utf16=True) or exclusion.paper.arxiv_id
        reason = exclusion_reason(exclusion, language)
        lines.append(f"{number}. {_link(exclusion.paper.abs_url, title)} — {escape_html(reason)}")
    continued = f"{heading} <i>{_label(language, 'more')}</i>"
    return [TelegramMessage(part) for part in split_html(lines, separator="\n", continued=continued)]

"""Telegram HTML as the Bot API reads it: escaping, visible length, and splitting on limits.

Telegram counts a message after entity parsing, in UTF-16 code units, and keeps at most
100 entities; a part cut from a longer text must never end inside a tag or leave one open.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_MESSAGE_LENGTH = 4096
MAX_CAPTION_LENGTH = 1024  # a photo's caption, counted like a message: after entity parsing
MAX_ENTITIES = 100
MAX_CALLBACK_BYTES = 64

# Telegram decodes only these named references; any other `&name;` stays literal text.
_NAMED_REFERENCES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_REFERENCE = re.compile(r"&(?:#x([0-9a-fA-F]*)|#([0-9]*)|([A-Za-z]*))(;?)")
_TAG = re.compile(r"<(/?)([^\s>/]*)[^>]*>")

# A newline break is preferred only when it keeps at least this share of the budget filled;
# otherwise a long paragraph would leave a nearly empty part behind it.
_LINE_BREAK_MIN_FILL = 0.5
# Chinese text has no spaces; a cut after one of these reads like a cut between words.
_CJK_PAUSES = frozenset("。！？；，、：")


def escape_html(text: str) -> str:
    """Escape the three characters Telegram's HTML parse mode treats specially."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def escape_attribute(text: str) -> str:
    """Escape a value for a double-quoted attribute such as `href`."""
    return escape_html(text).replace('"', "&quot;")


def utf16_length(text: str) -> int:
    """Length in UTF-16 code units, the unit Telegram counts in."""
    return sum(2 if ord(char) > 0xFFFF else 1 for char in text)


@dataclass(frozen=True, slots=True)
class _Token:
    kind: str  # "text", "open" or "close"
    raw: str
    shown: str = ""  # what a text token shows after parsing
    name: str = ""  # tag name for "open" and "close"

    @property
    def units(self) -> int:
        return utf16_length(self.shown)


def _decode_reference(html: str, start: int) -> tuple[str, int] | None:
    """The character a reference at `start` decodes to and where it ends, or None if literal."""
    match = _REFERENCE.match(html, start)
    if match is None:
        return None
    hex_digits, dec_digits, name, _ = match.groups()
    if name is not None and hex_digits is None and dec_digits is None:
        char = _NAMED_REFERENCES.get(name)
        return (char, match.end()) if char else None
    digits, base = (hex_digits, 16) if hex_digits is not None else (dec_digits, 10)
    # Telegram gives up on references of ten or more characters before the `;`.
    if not digits or match.end(2 if base == 10 else 1) - start >= 10:
        return None
    code = int(digits, base)
    if code == 0 or code >= 0x10FFFF or 0xD800 <= code <= 0xDFFF:
        return None
    return chr(code), match.end()


def _tokenize(html: str) -> list[_Token]:
    """Split HTML into tags and visible characters (a reference is one character)."""
    tokens: list[_Token] = []
    position = 0
    while position < len(html):
        char = html[position]
        if char == "<":
            match = _TAG.match(html, position)
            if match:
                kind = "close" if match.group(1) else "open"
                tokens.append(_Token(kind, match.group(0), "", match.group(2).lower()))
                position = match.end()
                continue
        if char == "&":
            decoded = _decode_reference(html, position)
            if decoded:
                value, end = decoded
                tokens.append(_Token("text", html[position:end], value))
                position = end
                continue
        tokens.append(_Token("text", char, char))
        position += 1
    return tokens


def visible_text(html: str) -> str:
    """The text Telegram shows for `html`, before it trims the ends."""
    return "".join(token.shown for token in _tokenize(html))


def visible_length(html: str) -> int:
    """UTF-16 code units the text shows once Telegram has parsed its entities."""
    return utf16_length(visible_text(html))


def entity_count(html: str) -> int:
    """An upper bound on the entities Telegram makes: one per start tag."""
    return sum(1 for token in _tokenize(html) if token.kind == "open")


@dataclass(slots=True)
class _Break:
    """A place a part may end: after token `index`, with these tags still open."""

    index: int
    stack: list[_Token]
    units: int


def _close_all(stack: list[_Token]) -> str:
    return "".join(f"</{token.name}>" for token in reversed(stack))


def _split_block(block: str, max_units: int, max_entities: int) -> list[str]:
    """Cut one over-long block at lines, else words, else characters, keeping tags balanced."""
    tokens = _tokenize(block)
    pieces: list[str] = []
    stack: list[_Token] = []
    index = 0
    while index < len(tokens):
        body: list[str] = [token.raw for token in stack]
        units = 0
        entities = len(stack)
        line_break: _Break | None = None
        word_break: _Break | None = None
        cut: _Break | None = None
        position = index
        while position < len(tokens):
            token = tokens[position]
            over_units = token.kind == "text" and units + token.units > max_units
            over_entities = token.kind == "open" and entities + 1 > max_entities
            if (over_units or over_entities) and units > 0:
                # Out of entities, text room is left, so a whole line is always worth keeping.
                if line_break and (over_entities or line_break.units >= max_units * _LINE_BREAK_MIN_FILL):
                    cut = line_break
                else:
                    breaks = [found for found in (word_break, line_break) if found]
                    cut = max(breaks, key=lambda found: found.index) if breaks else _Break(position, list(stack), units)
                break
            if token.kind == "open":
                stack.append(token)
                entities += 1
            elif token.kind == "close" and stack:
                stack.pop()
            else:
                units += token.units
                if token.raw == "\n":
                    line_break = _Break(position + 1, list(stack), units)
                elif token.raw.isspace() or token.raw in _CJK_PAUSES:
                    word_break = _Break(position + 1, list(stack), units)
            position += 1
        if cut is None:
            pieces.append("".join(body + [token.raw for token in tokens[index:]]))
            break
        body.extend(token.raw for token in tokens[index : cut.index])
        pieces.append("".join(body) + _close_all(cut.stack))
        # A break lies after at least one visible character, so every round moves on.
        stack = cut.stack
        index = cut.index
    # Telegram refuses a message that is only whitespace once parsed.
    return [piece for piece in pieces if visible_text(piece).strip()]


def split_html(
    blocks: list[str],
    limit: int = MAX_MESSAGE_LENGTH,
    *,
    separator: str = "\n\n",
    max_entities: int = MAX_ENTITIES,
    continued: str = "",
) -> list[str]:
    """Pack well-formed HTML blocks into as few messages as fit Telegram's limits.

    Whole blocks go together, joined by `separator`; a block longer than a message is cut
    at line or word boundaries, its open tags closed and reopened across the cut. Every part
    after the first starts with `continued` (a heading such as "1. Name (continued)").
    """
    heading_units = visible_length(continued) + 1 if continued else 0
    heading_entities = entity_count(continued) if continued else 0
    max_units = limit - heading_units
    block_entities = max_entities - heading_entities
    if max_units <= 0 or block_entities <= 0:
        raise ValueError("the continuation heading leaves no room for text")
    separator_units = visible_length(separator)

    pieces: list[tuple[str, int, int]] = []
    for block in blocks:
        if not visible_text(block).strip():
            continue
        units, entities = visible_length(block), entity_count(block)
        if units <= max_units and entities <= block_entities:
            pieces.append((block, units, entities))
            continue
        for piece in _split_block(block, max_units, block_entities):
            pieces.append((piece, visible_length(piece), entity_count(piece)))

    parts: list[str] = []
    current: list[str] = []
    used_units = used_entities = 0
    for piece, units, entities in pieces:
        room_units = limit if not parts else max_units
        room_entities = max_entities if not parts else block_entities
        extra = separator_units if current else 0
        if current and (used_units + extra + units > room_units or used_entities + entities > room_entities):
            parts.append(separator.join(current))
            current, used_units, used_entities, extra = [], 0, 0, 0
        current.append(piece)
        used_units += extra + units
        used_entities += entities
    if current:
        parts.append(separator.join(current))
    if continued:
        parts = parts[:1] + [f"{continued}\n{part}" for part in parts[1:]]
    return parts

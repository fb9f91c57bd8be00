"""Telegram's HTML parse mode, as the Bot API server parses it, for the fake Bot API.

Follows TDLib's `parse_html` rule by rule: the supported tags only, proper nesting, `&lt;`
`&gt;` `&amp;` `&quot;` and numeric references decoded (any other `&...` stays literal text),
byte offsets in the error messages, entity offsets in UTF-16 code units. Written from the
documented behaviour; it shares no code with the formatter it checks.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

SUPPORTED_TAGS = frozenset(
    {"a", "b", "strong", "i", "em", "s", "strike", "del", "u", "ins"}
    | {"tg-spoiler", "tg-emoji", "span", "pre", "code", "blockquote"}
)
_ENTITY_TYPES = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
}
_NAMED = {b"lt": ord("<"), b"gt": ord(">"), b"amp": ord("&"), b"quot": ord('"')}
_SPACES = frozenset(b" \t\r\n\v\f\0")  # TDLib's is_space, NUL included: the text is a C string
_HEX_DIGITS = frozenset(b"0123456789abcdefABCDEF")
_LINK_SCHEMES = ("http://", "https://", "tg://", "ton://")


class EntityParseError(ValueError):
    """Telegram's "can't parse entities" 400, with its description."""


@dataclass(slots=True)
class ParsedText:
    """The text a user sees and the entities over it (offsets in UTF-16 code units)."""

    text: str
    entities: list[dict[str, Any]] = field(default_factory=list)


@dataclass(slots=True)
class _Open:
    tag: str
    argument: str
    offset: int  # UTF-16 offset in the result
    result_position: int  # byte position in the result


def utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _at(data: bytes, index: int) -> int:
    """The byte at `index`, NUL past the end, as TDLib reads its C string."""
    return data[index] if index < len(data) else 0


def _is_space(byte: int) -> bool:
    return byte in _SPACES


def _decode_reference(data: bytes, position: int) -> tuple[int, int] | None:
    """The code point of a reference at `position` and where it ends, or None if literal."""
    end = position + 1
    code = 0
    if _at(data, position + 1) == ord("#"):
        end += 1
        if _at(data, position + 2) == ord("x"):
            end += 1
            while _at(data, end) in _HEX_DIGITS:
                code = code * 16 + int(chr(data[end]), 16)
                end += 1
        else:
            while ord("0") <= _at(data, end) <= ord("9"):
                code = code * 10 + data[end] - ord("0")
                end += 1
        if code == 0 or code >= 0x10FFFF or end - position >= 10:
            return None
    else:
        while chr(_at(data, end)).isascii() and chr(_at(data, end)).isalpha():
            end += 1
        code = _NAMED.get(data[position + 1 : end], 0)
        if code == 0:
            return None
    return code, end + 1 if _at(data, end) == ord(";") else end


def _check_link(url: str) -> str | None:
    """The link Telegram keeps for an `a` tag, or None (then the entity is silently dropped)."""
    url = url.strip()
    if not url or any(char.isspace() for char in url):
        return None
    lowered = url.lower()
    if lowered.startswith(_LINK_SCHEMES):
        return url if len(url) > lowered.index("://") + 3 else None
    if "://" in url or ":" in url.split("/", 1)[0].split(".", 1)[0]:
        return None  # another scheme, such as javascript: or mailto:
    host = url.split("/", 1)[0]
    return f"http://{url}" if "." in host else None


def _start_tag(data: bytes, begin: int, index: int) -> tuple[str, str, int]:
    """Read a start tag from after its `<`; return (tag, argument, index of its `>`)."""
    while not _is_space(_at(data, index)) and _at(data, index) != ord(">"):
        index += 1
    if _at(data, index) == 0:
        raise EntityParseError(f"Unclosed start tag at byte offset {begin}")
    tag = data[begin + 1 : index].decode("utf-8", "replace").lower()
    if tag not in SUPPORTED_TAGS:
        raise EntityParseError(f'Unsupported start tag "{tag}" at byte offset {begin}')

    argument = ""
    while _at(data, index) != ord(">"):
        while _at(data, index) != 0 and _is_space(_at(data, index)):
            index += 1
        if _at(data, index) == ord(">"):
            break
        name_begin = index
        while not _is_space(_at(data, index)) and _at(data, index) not in b"=>/\"'":
            index += 1
        name = data[name_begin:index].decode("utf-8", "replace")
        if not name:
            raise EntityParseError(f'Empty attribute name in the tag "{tag}" at byte offset {begin}')
        while _at(data, index) != 0 and _is_space(_at(data, index)):
            index += 1
        if _at(data, index) != ord("="):
            if _at(data, index) == 0:
                raise EntityParseError(f'Unclosed start tag "{tag}" at byte offset {begin}')
            if tag == "blockquote" and name == "expandable":
                argument = "1"
            continue
        index += 1
        while _at(data, index) != 0 and _is_space(_at(data, index)):
            index += 1
        if _at(data, index) == 0:
            raise EntityParseError(f'Unclosed start tag "{tag}" at byte offset {begin}')
        value, index = _attribute_value(data, index)
        if _at(data, index) == 0:
            raise EntityParseError(f"Unclosed start tag at byte offset {begin}")
        if (tag, name) in (("a", "href"), ("tg-emoji", "emoji-id")):
            argument = value
        elif tag == "code" and name == "class" and value.startswith("language-"):
            argument = value[len("language-") :]
        elif tag == "span" and name == "class" and value.startswith("tg-"):
            argument = value[len("tg-") :]
        elif tag == "blockquote" and name == "expandable":
            argument = "1"
    if tag == "span" and argument != "spoiler":
        raise EntityParseError(f'Tag "span" must have class "tg-spoiler" at byte offset {begin}')
    return tag, argument, index


def _attribute_value(data: bytes, index: int) -> tuple[str, int]:
    """A name token (lowercased) or a quoted string with its references decoded."""
    quote = _at(data, index)
    if quote not in (ord('"'), ord("'")):
        begin = index
        while chr(_at(data, index)).isascii() and (chr(_at(data, index)).isalnum() or _at(data, index) in b".-"):
            index += 1
        if not _is_space(_at(data, index)) and _at(data, index) != ord(">"):
            raise EntityParseError(f"Unexpected end of name token at byte offset {begin}")
        return data[begin:index].decode("utf-8", "replace").lower(), index
    index += 1
    value = bytearray()
    while _at(data, index) != quote and _at(data, index) != 0:
        if _at(data, index) == ord("&"):
            decoded = _decode_reference(data, index)
            if decoded:
                value += chr(decoded[0]).encode("utf-8")
                index = decoded[1]
                continue
        value.append(data[index])
        index += 1
    if _at(data, index) == quote:
        index += 1
    return value.decode("utf-8", "replace"), index


def _entity(open_tag: _Open, length: int, result: bytearray) -> dict[str, Any] | None:
    kind = _ENTITY_TYPES.get(open_tag.tag)
    entity: dict[str, Any] = {"offset": open_tag.offset, "length": length}
    if kind:
        return {"type": kind, **entity}
    if open_tag.tag == "a":
        url = open_tag.argument or result[open_tag.result_position :].decode("utf-8")
        link = _check_link(url)
        return {"type": "text_link", **entity, "url": link} if link else None
    if open_tag.tag == "tg-emoji":
        if not open_tag.argument.isdigit() or not 0 < int(open_tag.argument) < 2**63:
            raise EntityParseError("Invalid custom emoji identifier specified")
        return {"type": "custom_emoji", **entity, "custom_emoji_id": open_tag.argument}
    if open_tag.tag == "blockquote":
        return {"type": "expandable_blockquote" if open_tag.argument else "blockquote", **entity}
    if open_tag.tag == "code":
        return {"type": "code", **entity, **({"language": open_tag.argument} if open_tag.argument else {})}
    return {"type": "pre", **entity}


def _merge_pre_code(entities: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """`<pre><code class="language-x">` is one pre entity with a language; a bare code has none."""
    merged: list[dict[str, Any]] = []
    for entity in entities:
        last = merged[-1] if merged else None
        same_span = last is not None and (last["offset"], last["length"]) == (entity["offset"], entity["length"])
        if entity["type"] == "pre" and same_span and last["type"] == "code" and "language" in last:
            last["type"] = "pre"
            continue
        merged.append(entity)
    for entity in merged:
        if entity["type"] == "code":
            entity.pop("language", None)
    return merged


def _strip(text: str, entities: list[dict[str, Any]]) -> tuple[str, list[dict[str, Any]]]:
    """Trim surrounding whitespace as Telegram does, clipping the entities to what is left."""
    leading = utf16_length(text) - utf16_length(text.lstrip())
    text = text.strip()
    size = utf16_length(text)
    kept = []
    for entity in entities:
        start = max(entity["offset"] - leading, 0)
        end = min(entity["offset"] + entity["length"] - leading, size)
        if end > start:
            kept.append({**entity, "offset": start, "length": end - start})
    return text, kept


def parse_html(html: str) -> ParsedText:
    """Parse `html` as Telegram does; raise `EntityParseError` with Telegram's message."""
    data = html.encode("utf-8")
    result = bytearray()
    entities: list[dict[str, Any]] = []
    nested: list[_Open] = []
    utf16 = 0
    decoded_surrogate = False
    index = 0
    while index < len(data):
        byte = data[index]
        if byte == ord("&"):
            decoded = _decode_reference(data, index)
            if decoded:
                code, index = decoded
                utf16 += 2 if code > 0xFFFF else 1
                decoded_surrogate |= 0xD800 <= code <= 0xDFFF
                result += chr(code).encode("utf-8", "surrogatepass")
                continue
        if byte != ord("<"):
            result.append(byte)
            if byte & 0xC0 != 0x80:  # the first byte of a character
                utf16 += 2 if byte >= 0xF0 else 1
            index += 1
            continue

        begin = index
        index += 1
        if _at(data, index) != ord("/"):
            tag, argument, index = _start_tag(data, begin, index)
            nested.append(_Open(tag, argument, utf16, len(result)))
            index += 1
            continue

        if not nested:
            raise EntityParseError(f"Unexpected end tag at byte offset {begin}")
        while not _is_space(_at(data, index)) and _at(data, index) != ord(">"):
            index += 1
        end_tag = data[begin + 2 : index].decode("utf-8", "replace").lower()
        while _is_space(_at(data, index)) and _at(data, index) != 0:
            index += 1
        if _at(data, index) != ord(">"):
            raise EntityParseError(f"Unclosed end tag at byte offset {begin}")
        open_tag = nested.pop()
        if end_tag and end_tag != open_tag.tag:
            raise EntityParseError(
                f'Unmatched end tag at byte offset {begin}, expected "</{open_tag.tag}>", found "</{end_tag}>"'
            )
        if utf16 > open_tag.offset:
            entity = _entity(open_tag, utf16 - open_tag.offset, result)
            if entity:
                entities.append(entity)
        index += 1

    if nested:
        raise EntityParseError(f'Can\'t find end tag corresponding to start tag "{nested[-1].tag}"')
    if decoded_surrogate:
        raise EntityParseError(
            "Text contains invalid Unicode characters after decoding HTML entities, "
            "check for unmatched surrogate code units"
        )
    text, entities = _strip(result.decode("utf-8"), _merge_pre_code(entities))
    entities.sort(key=lambda entity: (entity["offset"], -entity["length"]))
    return ParsedText(text, entities)

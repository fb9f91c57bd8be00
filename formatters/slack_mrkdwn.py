"""mrkdwn text for Slack: escaping, links, and cutting text to a limit without breaking it.

Lengths are Slack lengths (UTF-16 units, see `slack_limits.slack_length`). A cut never falls
inside an entity such as `&amp;` or a link `<url|label>`, and prefers a line break, then a
space, then (for text without spaces) a punctuation mark.
"""

from __future__ import annotations


from paperwire.formatters.slack_limits import slack_length
from paperwire.formatters.text import ELLIPSIS, one_line

__all__ = ["ELLIPSIS", "cut_point", "escape_mrkdwn", "link", "prefix_end", "split_mrkdwn"]

# Where a line without spaces (Chinese, Japanese) may still be broken gracefully.
_SOFT_BREAKS = "。！？；，、.!?;,"


def escape_mrkdwn(text: str) -> str:
    """Escape the three characters Slack treats as control characters in mrkdwn, and only them."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def link(url: str, label_text: str) -> str:
    """A mrkdwn link `<url|label>`; the label is escaped and the URL cannot close the link early."""
    safe_url = escape_mrkdwn(url.strip()).replace("|", "%7C").replace(" ", "%20")
    return f"<{safe_url}|{escape_mrkdwn(one_line(label_text)) or safe_url}>"


def split_mrkdwn(text: str, limit: int) -> list[str]:
    """Cut escaped mrkdwn into pieces of at most `limit`: at lines, then words, never inside `&amp;` or `<…>`."""
    pieces: list[str] = []
    current = ""
    for line in text.split("\n"):
        while slack_length(line) > limit:
            cut = cut_point(line, limit)
            head, line = line[:cut].rstrip(), line[cut:].lstrip()
            if current:
                pieces.append(current)
                current = ""
            if head.strip():
                pieces.append(head)
        if not line.strip():
            continue
        if current and slack_length(current) + 1 + slack_length(line) <= limit:
            current += "\n" + line
        else:
            if current:
                pieces.append(current)
            current = line
    if current:
        pieces.append(current)
    return pieces


def cut_point(line: str, limit: int) -> int:
    """Where to cut `line` so that the head fits in `limit`: a space, a punctuation mark, or anywhere."""
    end = prefix_end(line, limit)
    cut = end
    space = line.rfind(" ", 0, end + 1)
    if space > end // 2:
        cut = space
    else:
        soft = max(line.rfind(mark, 0, end) for mark in _SOFT_BREAKS)
        if soft > end // 2:
            cut = soft + 1
    # Never split an entity such as `&amp;` or a link `<url|label>`.
    amp = line.rfind("&", max(0, cut - 5), cut)
    if amp != -1 and ";" not in line[amp:cut]:
        cut = amp
    opening = line.rfind("<", 0, cut)
    if opening != -1 and ">" not in line[opening:cut] and opening > 0:
        cut = opening
    return max(cut, 1)


def prefix_end(text: str, limit: int) -> int:
    """The largest index `i` such that `text[:i]` is at most `limit` UTF-16 units."""
    units = 0
    for index, char in enumerate(text):
        units += 2 if ord(char) > 0xFFFF else 1
        if units > limit:
            return index
    return len(text)

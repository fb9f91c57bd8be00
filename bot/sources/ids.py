"""Every way people paste an arXiv paper, reduced to the bare id the store keys on."""

from __future__ import annotations

import re

from paperwire.bot.models import split_arxiv_id

_ARXIV_PREFIX = re.compile(r"^arxiv:\s*", re.IGNORECASE)
# Host and route of a paper page; the id (and maybe a version, `.pdf`, a query) follows.
_PAPER_URL = re.compile(
    r"^(?:https?://)?(?:www\.|export\.)?"
    r"(?:arxiv\.org/(?:abs|pdf|html)|(?:huggingface|hf)\.co/papers)/(?P<rest>.+)$",
    re.IGNORECASE,
)
_TRAILING_PUNCTUATION = ".,;:!?)]}>\"'"


def normalize_arxiv_ref(text: str) -> str | None:
    """The arXiv id without version in `text`, or None when `text` names no arXiv paper.

    Takes bare ids (`2602.13515`, `2602.13515v2`, `cs/0501001`), `arXiv:` ids, arXiv
    abs/pdf/html URLs (also export.arxiv.org) and Hugging Face paper URLs, with or without
    scheme, trailing slash, query or fragment, and Slack's `<url|label>` link form.
    """
    candidate = _unwrap_slack_link(text.strip())
    candidate = _ARXIV_PREFIX.sub("", candidate, count=1)
    match = _PAPER_URL.match(candidate)
    if match:
        candidate = _path_id(match.group("rest"))
    candidate = candidate.rstrip(_TRAILING_PUNCTUATION)
    # `\d` matches any Unicode digit; an id is ASCII.
    if not candidate.isascii() or any(character.isspace() for character in candidate):
        return None
    split = split_arxiv_id(candidate)
    return split[0] if split else None


def _unwrap_slack_link(text: str) -> str:
    if text.startswith("<") and text.endswith(">"):
        return text[1:-1].split("|", 1)[0].strip()
    return text


def _path_id(rest: str) -> str:
    """`2602.13515v2.pdf?x=1#y` or `cs/0501001/` -> the id part with its version."""
    for separator in ("?", "#"):
        rest = rest.split(separator, 1)[0]
    rest = rest.rstrip("/")
    if rest.lower().endswith(".pdf"):
        rest = rest[: -len(".pdf")]
    return rest

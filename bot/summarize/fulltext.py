"""The first sections of a paper's arXiv HTML, as plain text, for `llm.full_text = true`.

Fetched politely (one request at a time, at least `min_interval` seconds apart, as arXiv
asks) and cached on disk, so a paper is downloaded once whatever the number of digests
and languages. The cache keeps the whole extracted text; the token budget is applied when
it is read, so changing the budget needs no new download.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from html.parser import HTMLParser
from pathlib import Path

import aiohttp

from paperwire.bot.summarize.budget import estimate_tokens

log = logging.getLogger(__name__)

MAX_CACHED_CHARS = 200_000

# Elements whose text is not prose: code, navigation, figures and tables (their numbers
# out of context would read as claims), and math (replaced by its alt text).
_SKIPPED_TAGS = frozenset(
    {"script", "style", "nav", "header", "footer", "figure", "table", "button", "svg", "noscript", "math", "head"}
)
# LaTeXML classes of parts that are not the paper's opening sections, or repeat the abstract.
_SKIPPED_CLASSES = frozenset(
    {
        "ltx_abstract", "ltx_authors", "ltx_bibliography", "ltx_appendix", "ltx_page_footer", "ltx_TOC",
        "ltx_note", "ltx_dates", "ltx_role_footnote",
    }
)
_VOID_TAGS = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source", "track", "wbr"}
)
_BLOCK_TAGS = frozenset({"p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "dd", "dt", "blockquote"})
_LATEX_SYMBOLS = {r"\times": "×", r"\%": "%", r"\sim": "~", r"\approx": "≈", r"\pm": "±", r"\leq": "≤", r"\geq": "≥"}
_LATEX_COMMAND = re.compile(r"\\[A-Za-z]+|[{}$^_]")
_WHITESPACE = re.compile(r"\s+")


def _latex_to_text(alttext: str) -> str:
    for command, symbol in _LATEX_SYMBOLS.items():
        alttext = alttext.replace(command, symbol)
    return _LATEX_COMMAND.sub("", alttext)


class _ArticleText(HTMLParser):
    """Paragraphs of an arXiv (LaTeXML) HTML page, in order, split by section."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self._open: list[tuple[str, bool]] = []  # (tag, starts a skipped part)
        self._skipping = 0
        self._buffer: list[str] = []
        self._in_section = False
        self.section_paragraphs: list[str] = []
        self.other_paragraphs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _VOID_TAGS:
            return
        attributes = dict(attrs)
        classes = set((attributes.get("class") or "").split())
        skipped = tag in _SKIPPED_TAGS or bool(classes & _SKIPPED_CLASSES)
        if tag == "math" and not self._skipping and attributes.get("alttext"):
            self._buffer.append(" " + _latex_to_text(attributes["alttext"] or "") + " ")
        if tag in _BLOCK_TAGS:
            self._flush()
        if tag == "section" and not skipped:
            self._in_section = True
        self._open.append((tag, skipped))
        self._skipping += skipped

    def handle_endtag(self, tag: str) -> None:
        if tag in _VOID_TAGS or all(open_tag != tag for open_tag, _ in self._open):
            return
        if tag in _BLOCK_TAGS:
            self._flush()
        while self._open:
            open_tag, skipped = self._open.pop()
            self._skipping -= skipped
            if open_tag == tag:
                break

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self._buffer.append(data)

    def _flush(self) -> None:
        text = _WHITESPACE.sub(" ", "".join(self._buffer)).strip()
        self._buffer.clear()
        if text:
            (self.section_paragraphs if self._in_section else self.other_paragraphs).append(text)

    def close(self) -> None:
        super().close()
        self._flush()


def extract_article_text(html: str) -> str:
    """The sections of an arXiv HTML paper as paragraphs; the page's prose if it has no sections."""
    parser = _ArticleText()
    parser.feed(html)
    parser.close()
    paragraphs = parser.section_paragraphs or parser.other_paragraphs
    return "\n\n".join(paragraphs)[:MAX_CACHED_CHARS]


def first_sections(text: str, token_budget: int) -> str:
    """Whole paragraphs from the start of `text` up to about `token_budget` tokens."""
    kept: list[str] = []
    used = 0
    for paragraph in text.split("\n\n"):
        cost = estimate_tokens(paragraph)
        if used + cost > token_budget:
            if not kept:  # one huge paragraph: cut it rather than return nothing
                kept.append(paragraph[: token_budget * 4].rsplit(" ", 1)[0])
            break
        kept.append(paragraph)
        used += cost
    return "\n\n".join(kept)


class FullTextFetcher:
    """Fetches `<base_url>/html/<id>`, one request at a time, and keeps the text on disk."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        cache_dir: Path,
        *,
        base_url: str = "https://arxiv.org",
        min_interval: float = 3.0,
        token_budget: int = 3000,
        timeout: float = 30.0,
    ) -> None:
        self._session = session
        self._cache_dir = cache_dir
        self._base_url = base_url.rstrip("/")
        self._min_interval = min_interval
        self._token_budget = token_budget
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._lock = asyncio.Lock()
        self._last_request = float("-inf")
        self.requests = 0

    def _cache_path(self, arxiv_id: str) -> Path:
        return self._cache_dir / f"{arxiv_id.replace('/', '_')}.txt"

    def _read_cache(self, arxiv_id: str) -> str | None:
        try:
            return self._cache_path(arxiv_id).read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        except (OSError, UnicodeDecodeError) as error:
            log.warning("unreadable full-text cache for %s (%s); fetching again", arxiv_id, error)
            return None

    def _write_cache(self, arxiv_id: str, text: str) -> None:
        path = self._cache_path(arxiv_id)
        partial = path.with_suffix(".part")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            partial.write_text(text, encoding="utf-8")
            partial.replace(path)  # readers never see half a file
        except OSError as error:
            log.warning("cannot cache the full text of %s in %s: %s", arxiv_id, path.parent, error)

    async def fetch(self, arxiv_id: str) -> str | None:
        """The first sections of the paper within the token budget; None when there is no HTML.

        Never raises for network trouble: the card is then written from the abstract alone.
        """
        text = self._read_cache(arxiv_id)
        if text is None:
            async with self._lock:
                text = self._read_cache(arxiv_id)  # a concurrent call may have fetched it
                if text is None:
                    text = await self._download(arxiv_id)
        if not text:
            return None
        return first_sections(text, self._token_budget)

    async def _download(self, arxiv_id: str) -> str | None:
        wait = self._last_request + self._min_interval - time.monotonic()
        if wait > 0:
            await asyncio.sleep(wait)
        url = f"{self._base_url}/html/{arxiv_id}"
        self.requests += 1
        try:
            async with self._session.get(url, timeout=self._timeout) as response:
                if response.status == 404:
                    # No HTML rendering for this paper: remembered as an empty file.
                    self._write_cache(arxiv_id, "")
                    return ""
                if response.status != 200:
                    log.warning("arXiv HTML for %s: HTTP %d; using the abstract only", arxiv_id, response.status)
                    return None
                html = await response.text(errors="replace")
        except (aiohttp.ClientError, TimeoutError) as error:
            log.warning("arXiv HTML for %s failed: %s; using the abstract only", arxiv_id, type(error).__name__)
            return None
        finally:
            self._last_request = time.monotonic()
        text = extract_article_text(html)
        self._write_cache(arxiv_id, text)
        return text

"""Hugging Face payloads at the edge: validate each item, map it to a Paper, skip the bad ones.

Real Daily Papers files contain Python-repr strings instead of objects, a wrapped list and
items from older schemas; one bad item must never cost the rest of the day. A repr string is
read back with `ast.literal_eval`, which accepts only literals and never runs code.
"""

from __future__ import annotations

import ast
import logging
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from paperwire.bot.models import DayPapers, Paper, split_arxiv_id
from paperwire.bot.sources.errors import SourceError

logger = logging.getLogger(__name__)


class HFAuthor(BaseModel):
    model_config = ConfigDict(extra="ignore")

    name: str = ""
    hidden: bool = False


class HFOrganization(BaseModel):
    model_config = ConfigDict(extra="ignore")

    name: str | None = None
    fullname: str | None = None

    @property
    def display_name(self) -> str | None:
        return self.fullname or self.name or None


class HFPaper(BaseModel):
    """A paper as HF describes it: `item.paper` in the daily list, the body of /api/papers/{id}."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    id: str
    title: str | None = None
    summary: str | None = None
    authors: list[HFAuthor] = Field(default_factory=list)
    published_at: datetime | None = Field(default=None, alias="publishedAt")
    upvotes: int | None = None
    ai_summary: str | None = None
    ai_keywords: list[str] | None = None
    github_repo: str | None = Field(default=None, alias="githubRepo")
    project_page: str | None = Field(default=None, alias="projectPage")
    github_stars: int | None = Field(default=None, alias="githubStars")
    organization: HFOrganization | None = None


class HFDailyItem(BaseModel):
    """One entry of /api/daily_papers; the outer title and summary back up the inner ones."""

    model_config = ConfigDict(extra="ignore")

    paper: HFPaper
    title: str | None = None
    summary: str | None = None
    thumbnail: str | None = None
    organization: HFOrganization | None = None


def daily_items(raw: object, origin: str) -> list[Any]:
    """The list of items in a daily payload: a bare list, or `{"status","date","count","data"}`."""
    if isinstance(raw, list):
        return raw
    data = raw.get("data") if isinstance(raw, dict) else None
    if isinstance(data, list):
        return data
    raise SourceError(
        f"{origin}: expected a list of papers (or an object with a 'data' list), got {_kind(raw)}"
    )


def parse_daily_payload(raw: object, list_day: date, origin: str) -> DayPapers:
    """Turn one day's payload into papers; bad or repeated items are logged and listed in `skipped`."""
    items = daily_items(raw, origin)
    if isinstance(raw, dict):
        _check_wrapped_date(raw, list_day, origin)
    papers: list[Paper] = []
    skipped: list[str] = []
    seen: set[str] = set()
    for index, item in enumerate(items):
        try:
            paper = _paper_from_item(item, list_day)
        except _BadItem as problem:
            _skip(skipped, origin, index, _item_id(item), str(problem))
            continue
        if paper.arxiv_id in seen:
            _skip(skipped, origin, index, paper.arxiv_id, "repeats an earlier item of the day")
            continue
        seen.add(paper.arxiv_id)
        papers.append(paper)
    return DayPapers(list_day=list_day, papers=papers, skipped=skipped)


def parse_paper_payload(raw: object, origin: str) -> Paper:
    """Turn the body of /api/papers/{id} (fields at top level) into a Paper."""
    if not isinstance(raw, dict):
        raise SourceError(f"{origin}: expected a paper object, got {_kind(raw)}")
    try:
        model = HFPaper.model_validate(raw)
        return _paper_from_models(model, None, None, None)
    except ValidationError as error:
        raise SourceError(f"{origin}: not a usable paper: {_first_problem(error)}") from None
    except _BadItem as problem:
        raise SourceError(f"{origin}: not a usable paper: {problem}") from None


class _BadItem(Exception):
    """An item that cannot become a Paper; the message says why in a few words."""


def _paper_from_item(item: object, list_day: date) -> Paper:
    if isinstance(item, str):
        item = _literal_item(item)
    if not isinstance(item, dict):
        raise _BadItem(f"is {_kind(item)}, not an object")
    try:
        model = HFDailyItem.model_validate(item)
    except ValidationError as error:
        raise _BadItem(_first_problem(error)) from None
    return _paper_from_models(model.paper, model, list_day, model.organization)


# A repr longer than this is not an item of the list (the longest real one is about 20 kB);
# literal_eval's cost and recursion grow with its input, so a bound keeps a bad file cheap.
_MAX_REPR_CHARS = 1_000_000


def _literal_item(text: str) -> dict[str, Any]:
    """An item saved as its Python repr (`{'paper': {...}}`), read back as a dict.

    `ast.literal_eval` builds only literals (strings, numbers, lists, dicts, True/None), so
    a string holding a call or a name is refused, never run.
    """
    if len(text) > _MAX_REPR_CHARS:
        raise _BadItem("is a string too long to be an item")
    try:
        value = ast.literal_eval(text.strip())
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        raise _BadItem("is a string, not an object or its Python repr") from None
    if not isinstance(value, dict):
        raise _BadItem(f"is a string holding {_kind(value)}, not an object")
    return value


def _paper_from_models(
    paper: HFPaper, outer: HFDailyItem | None, list_day: date | None, outer_org: HFOrganization | None
) -> Paper:
    split = split_arxiv_id(paper.id)
    if split is None:
        raise _BadItem(f"id {paper.id!r} is not an arXiv id")
    arxiv_id, version = split
    title = collapse_whitespace(paper.title or (outer.title if outer else None) or "")
    if not title:
        raise _BadItem("has no title")
    abstract = paper.summary or (outer.summary if outer else None) or ""
    organization = paper.organization or outer_org
    return Paper(
        arxiv_id=arxiv_id,
        version=version,
        title=title,
        abstract=collapse_whitespace(abstract),
        authors=[name for author in paper.authors if (name := collapse_whitespace(author.name))],
        published_at=paper.published_at,
        list_day=list_day,
        upvotes=paper.upvotes or 0,
        ai_summary=collapse_whitespace(paper.ai_summary or "") or None,
        ai_keywords=[keyword.strip() for keyword in paper.ai_keywords or [] if keyword.strip()],
        github_repo=paper.github_repo or None,
        project_page=paper.project_page or None,
        github_stars=paper.github_stars,
        organization=organization.display_name if organization else None,
        thumbnail_url=_https_url(outer.thumbnail if outer else None),
    )


def _https_url(value: str | None) -> str | None:
    """A picture URL we are willing to hand to Telegram and Slack: https, no spaces or quotes."""
    if not value:
        return None
    value = value.strip()
    if not value.startswith("https://") or len(value) > 2000 or any(c in value for c in ' "<>\\'):
        return None
    return value


def collapse_whitespace(text: str) -> str:
    """Titles and abstracts arrive hard-wrapped; one space between words reads and matches better."""
    return " ".join(text.split())


def _check_wrapped_date(raw: dict[str, Any], list_day: date, origin: str) -> None:
    stated = raw.get("date")
    if isinstance(stated, str) and stated != list_day.isoformat():
        logger.warning("%s: payload says date %s, reading it as %s", origin, stated, list_day)


def _skip(skipped: list[str], origin: str, index: int, item_id: str | None, why: str) -> None:
    label = f"item {index}" + (f" ({item_id})" if item_id else "")
    logger.warning("%s: skipped %s: %s", origin, label, why)
    skipped.append(f"{label}: {why}")


def _item_id(item: object) -> str | None:
    """The paper id of a raw item when one can be seen, for naming it in a warning."""
    if isinstance(item, str) and len(item) <= _MAX_REPR_CHARS:
        try:
            item = ast.literal_eval(item.strip())
        except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
            return None
    paper = item.get("paper") if isinstance(item, dict) else None
    paper_id = paper.get("id") if isinstance(paper, dict) else None
    return paper_id if isinstance(paper_id, str) else None


def _first_problem(error: ValidationError) -> str:
    first = error.errors()[0]
    where = ".".join(str(part) for part in first["loc"])
    more = f" (+{error.error_count() - 1} more)" if error.error_count() > 1 else ""
    return f"{where}: {first['msg']}{more}"


# bool before int: True is an int to Python, a boolean to JSON.
_JSON_KINDS: tuple[tuple[type, str], ...] = (
    (bool, "a boolean"),
    (str, "a string"),
    (int, "a number"),
    (float, "a number"),
    (list, "a list"),
    (dict, "an object"),
)


def _kind(value: object) -> str:
    """How JSON would call the value, for messages: `a string`, `null`, `a list`."""
    if value is None:
        return "null"
    for kind, name in _JSON_KINDS:
        if isinstance(value, kind):
            return name
    return f"a {type(value).__name__}"

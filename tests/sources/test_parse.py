"""parse_daily_payload / parse_paper_payload: real-world shapes kept, bad items skipped by name."""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime

import pytest

from paperwire.bot.sources.errors import SourceError
from paperwire.bot.sources.parse import parse_daily_payload, parse_paper_payload
from tests.fakes.hf import make_item, make_paper

DAY = date(2026, 2, 20)


def test_item_maps_every_field() -> None:
    item = make_item(
        "2602.13515v2",
        "  Sparse Routing for\n   Invented Models ",
        "We invent a method.\n  It is invented.",
        upvotes=42,
        ai_keywords=["sparse routing", " invented models "],
        github="https://github.com/example/invented",
        ai_summary="An invented summary.",
        github_stars=7,
        project_page="https://example.invalid/project",
        organization="Invented Lab",
        authors=["Ada Example", "Bo Sample"],
    )

    day = parse_daily_payload([item], DAY, "test")

    assert day.list_day == DAY
    assert day.skipped == []
    [paper] = day.papers
    assert paper.arxiv_id == "2602.13515"
    assert paper.version == 2
    assert paper.title == "Sparse Routing for Invented Models"
    assert paper.abstract == "We invent a method. It is invented."
    assert paper.authors == ["Ada Example", "Bo Sample"]
    assert paper.published_at == datetime(2026, 2, 19, 17, 59, tzinfo=UTC)
    assert paper.list_day == DAY
    assert paper.upvotes == 42
    assert paper.ai_summary == "An invented summary."
    assert paper.ai_keywords == ["sparse routing", "invented models"]
    assert paper.github_repo == "https://github.com/example/invented"
    assert paper.github_stars == 7
    assert paper.project_page == "https://example.invalid/project"
    assert paper.organization == "Invented Lab"


def test_old_item_without_ai_fields_gets_defaults() -> None:
    item = make_item("2406.00001", "An Old Invented Paper", "Old abstract.")
    del item["paper"]["discussionId"]

    [paper] = parse_daily_payload([item], DAY, "test").papers

    assert paper.ai_summary is None
    assert paper.ai_keywords == []
    assert paper.github_repo is None
    assert paper.github_stars is None
    assert paper.organization is None
    assert paper.version is None


def test_outer_title_summary_and_organization_back_up_the_inner_ones() -> None:
    item = make_item("2602.00002", "Outer Title", "Outer abstract.")
    del item["paper"]["title"]
    item["paper"]["summary"] = ""
    item["organization"] = {"name": "outer-org"}

    [paper] = parse_daily_payload([item], DAY, "test").papers

    assert paper.title == "Outer Title"
    assert paper.abstract == "Outer abstract."
    assert paper.organization == "outer-org"


def test_wrapped_list_is_read() -> None:
    items = [make_item("2602.00001", "First"), make_item("2602.00002", "Second")]
    wrapped = {"status": "success", "date": DAY.isoformat(), "count": 2, "data": items}

    day = parse_daily_payload(wrapped, DAY, "test")

    assert [paper.arxiv_id for paper in day.papers] == ["2602.00001", "2602.00002"]


def test_wrapped_list_with_another_date_warns(caplog: pytest.LogCaptureFixture) -> None:
    wrapped = {"status": "success", "date": "2026-02-19", "count": 0, "data": []}

    with caplog.at_level(logging.WARNING):
        parse_daily_payload(wrapped, DAY, "wrapped.json")

    assert "payload says date 2026-02-19" in caplog.text


def _bad(item_id: str, **changes: object) -> dict[str, object]:
    item = make_item(item_id, f"Title of {item_id}", "Abstract.")
    item["paper"].update(changes)
    return item


def test_bad_items_are_skipped_by_name_and_the_day_goes_on(caplog: pytest.LogCaptureFixture) -> None:
    no_id = make_item("2602.00004", "No Id")
    del no_id["paper"]["id"]
    no_title = make_item("2602.00005", "")
    no_paper = {"title": "Paper key missing"}
    items: list[object] = [
        make_item("2602.00001", "Good One"),
        "not a Python literal at all",
        _bad("2602.00002", upvotes="many"),
        _bad("2602.00003", authors="Ada Example"),
        no_id,
        no_title,
        _bad("2602.00006", title=17),
        _bad("not-an-id"),
        42,
        None,
        no_paper,
        make_item("2602.00007", "Good Two"),
    ]

    with caplog.at_level(logging.WARNING, logger="paperwire.bot.sources.parse"):
        day = parse_daily_payload(items, DAY, "2026-02-20.json")

    assert [paper.arxiv_id for paper in day.papers] == ["2602.00001", "2602.00007"]
    assert len(day.skipped) == len(items) - 2
    assert day.skipped[0] == "item 1: is a string, not an object or its Python repr"
    assert day.skipped[1].startswith("item 2 (2602.00002): paper.upvotes")
    assert day.skipped[2].startswith("item 3 (2602.00003): paper.authors")
    assert day.skipped[3].startswith("item 4: paper.id")
    assert day.skipped[4] == "item 5 (2602.00005): has no title"
    assert day.skipped[5].startswith("item 6 (2602.00006): paper.title")
    assert day.skipped[6] == "item 7 (not-an-id): id 'not-an-id' is not an arXiv id"
    assert day.skipped[7] == "item 8: is a number, not an object"
    assert day.skipped[8] == "item 9: is null, not an object"
    warnings = [record for record in caplog.records if record.levelno == logging.WARNING]
    assert len(warnings) == len(day.skipped)
    assert all("2026-02-20.json" in record.getMessage() for record in warnings)
    assert "item 2 (2602.00002)" in warnings[1].getMessage()


def test_duplicate_id_in_a_day_keeps_the_first() -> None:
    items = [
        make_item("2602.00001", "First Copy", upvotes=5),
        make_item("2602.00001v2", "Second Copy", upvotes=9),
    ]

    day = parse_daily_payload(items, DAY, "test")

    assert [paper.title for paper in day.papers] == ["First Copy"]
    assert day.skipped == ["item 1 (2602.00001): repeats an earlier item of the day"]


def test_null_optional_fields_are_accepted() -> None:
    item = make_item("2602.00001", "Nulls")
    item["paper"].update(githubRepo=None, ai_keywords=None, upvotes=None, organization=None)

    [paper] = parse_daily_payload([item], DAY, "test").papers

    assert paper.github_repo is None
    assert paper.ai_keywords == []
    assert paper.upvotes == 0


@pytest.mark.parametrize("payload", [{"status": "error"}, "not a list", 3, None, {"data": "x"}])
def test_payload_that_is_no_list_is_a_clear_error(payload: object) -> None:
    with pytest.raises(SourceError, match="origin.json: expected a list of papers"):
        parse_daily_payload(payload, DAY, "origin.json")


def test_paper_payload_reads_top_level_fields() -> None:
    raw = make_paper("2602.13515", "A Single\nInvented Paper", "Abstract here.", upvotes=3, ai_keywords=["x"])

    paper = parse_paper_payload(raw, "hf paper")

    assert paper.arxiv_id == "2602.13515"
    assert paper.title == "A Single Invented Paper"
    assert paper.abstract == "Abstract here."
    assert paper.upvotes == 3
    assert paper.ai_keywords == ["x"]
    assert paper.list_day is None


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        (["a list"], "expected a paper object"),
        ({"title": "No id"}, "id: Field required"),
        ({"id": "2602.00001"}, "has no title"),
        ({"id": "2602.00001", "title": "T", "upvotes": "many"}, "upvotes"),
    ],
)
def test_unusable_paper_payload_is_a_clear_error(raw: object, problem: str) -> None:
    with pytest.raises(SourceError, match=problem):
        parse_paper_payload(raw, "hf paper")


def test_the_list_thumbnail_is_kept_only_as_a_plain_https_url() -> None:
    good = make_item("2602.00001", "Pictured")
    plain_http = make_item("2602.00002", "Plain http") | {"thumbnail": "http://example.invalid/a.png"}
    hostile = make_item("2602.00003", "Hostile") | {"thumbnail": 'https://x.invalid/a.png"><script>'}
    missing = {key: value for key, value in make_item("2602.00004", "None").items() if key != "thumbnail"}
    day = parse_daily_payload([good, plain_http, hostile, missing], date(2026, 2, 20), "test")
    urls = {paper.arxiv_id: paper.thumbnail_url for paper in day.papers}
    assert urls == {
        "2602.00001": "https://example.invalid/thumbnails/2602.00001.png",
        "2602.00002": None,
        "2602.00003": None,
        "2602.00004": None,
    }


def test_an_item_saved_as_its_python_repr_is_read_back() -> None:
    item = make_item("2602.04242", "Invented Repr Paper", "We invent a repr.", upvotes=9, ai_keywords=["repr"])
    item["paper"]["hidden"] = False  # True, False and None are Python spellings in a repr
    item["paper"]["note"] = None

    day = parse_daily_payload([repr(item), make_item("2602.00001", "Good One")], DAY, "repr.json")

    assert day.skipped == []
    assert [paper.arxiv_id for paper in day.papers] == ["2602.04242", "2602.00001"]
    assert day.papers[0].title == "Invented Repr Paper"
    assert day.papers[0].upvotes == 9 and day.papers[0].ai_keywords == ["repr"]


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("__import__('os').system('echo owned')", "is a string, not an object or its Python repr"),
        ("{'paper': open('/etc/passwd').read()}", "is a string, not an object or its Python repr"),
        ("{'paper': {'id': '2602.1'", "is a string, not an object or its Python repr"),
        ("['a', 'list']", "is a string holding a list, not an object"),
        ("{'paper': 'a repr string'}", "paper: Input should be a valid dictionary"),
    ],
)
def test_a_string_that_is_not_a_literal_item_is_skipped_with_a_warning(
    text: str, why: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="paperwire.bot.sources.parse"):
        day = parse_daily_payload([text, make_item("2602.00001", "Good One")], DAY, "bad.json")

    assert [paper.arxiv_id for paper in day.papers] == ["2602.00001"]
    assert len(day.skipped) == 1 and day.skipped[0].startswith("item 0")
    assert why in day.skipped[0]
    assert "bad.json: skipped item 0" in caplog.text

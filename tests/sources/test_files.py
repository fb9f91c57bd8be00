"""FileSource and read_file over folders this test writes: dated files, wrapped lists, bad names, bad JSON."""

from __future__ import annotations

import json
import logging
from datetime import date
from pathlib import Path

import pytest

from paperwire.bot.sources.errors import SourceError
from paperwire.bot.sources.files import FileSource, read_file
from tests.fakes.hf import make_item, make_items


def write(path: Path, payload: object) -> Path:
    path.write_text(json.dumps(payload), encoding="utf-8")
    return path


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    write(tmp_path / "2026-02-19.json", make_items(3, start=10000))
    write(tmp_path / "2026-02-20.json", [*make_items(2, start=20000), "{'paper': 'a repr string'}"])
    write(
        tmp_path / "2026-02-18.json",
        {"status": "success", "date": "2026-02-18", "count": 1, "data": [make_item("2602.30000", "Wrapped")]},
    )
    (tmp_path / "README.md").write_text("not a day", encoding="utf-8")
    return tmp_path


def test_one_dated_file(folder: Path) -> None:
    day = read_file(folder / "2026-02-19.json")

    assert day.list_day == date(2026, 2, 19)
    assert len(day.papers) == 3
    assert {paper.list_day for paper in day.papers} == {date(2026, 2, 19)}


def test_an_explicit_date_wins_over_the_name(folder: Path) -> None:
    day = read_file(folder / "2026-02-19.json", date(2026, 1, 5))

    assert day.list_day == date(2026, 1, 5)


def test_an_undated_file_needs_a_date(tmp_path: Path) -> None:
    path = write(tmp_path / "saved.json", make_items(2))

    with pytest.raises(SourceError, match="saved.json is not named YYYY-MM-DD.json; pass --date"):
        read_file(path)
    assert len(read_file(path, date(2026, 2, 20)).papers) == 2


def test_wrapped_file(folder: Path) -> None:
    day = read_file(folder / "2026-02-18.json")

    assert [paper.title for paper in day.papers] == ["Wrapped"]


def test_folder_days_are_sorted_and_read_in_order(folder: Path) -> None:
    source = FileSource(folder)

    assert source.days() == [date(2026, 2, 18), date(2026, 2, 19), date(2026, 2, 20)]
    days = list(source.iter_days())
    assert [day.list_day for day in days] == source.days()
    assert [len(day.papers) for day in days] == [1, 3, 2]
    assert len(days[2].skipped) == 1 and days[2].skipped[0].startswith("item 2: paper: Input should be a valid")
    assert source.problems == []


def test_read_day_from_a_folder(folder: Path) -> None:
    source = FileSource(folder)

    assert len(source.read_day(date(2026, 2, 19)).papers) == 3
    with pytest.raises(SourceError, match="no file for 2026-02-17"):
        source.read_day(date(2026, 2, 17))


def test_badly_named_json_files_are_ignored_with_a_warning(
    folder: Path, caplog: pytest.LogCaptureFixture
) -> None:
    write(folder / "latest.json", make_items(1))
    write(folder / "2026-13-40.json", make_items(1))
    source = FileSource(folder)

    with caplog.at_level(logging.WARNING, logger="paperwire.bot.sources.files"):
        days = source.days()
        source.days()

    assert len(days) == 3
    assert caplog.text.count("latest.json") == 1  # warned once, however often listed
    assert "2026-13-40.json" in caplog.text
    assert "README.md" not in caplog.text
    assert len(source.problems) == 2


def test_invalid_json_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "2026-02-20.json"
    path.write_text('[{"paper": ', encoding="utf-8")

    with pytest.raises(SourceError, match=r"2026-02-20.json is not valid JSON \(line 1"):
        read_file(path)


def test_not_utf8_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "2026-02-20.json"
    path.write_bytes(b'["\xff\xfe"]')

    with pytest.raises(SourceError, match="2026-02-20.json"):
        read_file(path)


def test_folder_iteration_skips_a_broken_file_and_goes_on(
    folder: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (folder / "2026-02-19.json").write_text("{not json", encoding="utf-8")
    write(folder / "2026-02-23.json", {"status": "error", "message": "no data key"})
    source = FileSource(folder)

    with caplog.at_level(logging.WARNING, logger="paperwire.bot.sources.files"):
        days = list(source.iter_days())

    assert [day.list_day for day in days] == [date(2026, 2, 18), date(2026, 2, 20)]
    assert len(source.problems) == 2
    assert source.problems[0].startswith("2026-02-19.json: ")
    assert "expected a list of papers" in source.problems[1]
    assert "skipped 2026-02-19.json" in caplog.text


def test_file_source_over_one_file(folder: Path) -> None:
    source = FileSource(folder / "2026-02-19.json")

    assert source.days() == [date(2026, 2, 19)]
    assert [len(day.papers) for day in source.iter_days()] == [3]
    with pytest.raises(SourceError, match="holds 2026-02-19, not 2026-02-20"):
        source.read_day(date(2026, 2, 20))


def test_file_source_over_an_undated_file(tmp_path: Path) -> None:
    path = write(tmp_path / "export.json", make_items(4))

    with pytest.raises(SourceError, match="pass --date"):
        FileSource(path).days()
    [day] = FileSource(path, list_day=date(2026, 2, 20)).iter_days()
    assert day.list_day == date(2026, 2, 20)
    assert len(day.papers) == 4


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="does not exist"):
        read_file(tmp_path / "2026-02-20.json")


def test_empty_folder(tmp_path: Path) -> None:
    source = FileSource(tmp_path)

    assert source.days() == []
    assert list(source.iter_days()) == []

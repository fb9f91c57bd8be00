"""The file source over the real archive in ../shared/data/hf-daily, when it is there."""

from __future__ import annotations

import logging
from datetime import date
from pathlib import Path

import pytest

from paperwire.bot.sources.files import FileSource, read_file

DATA = Path(__file__).resolve().parents[3] / "shared" / "data" / "hf-daily"

pytestmark = [
    pytest.mark.realdata,
    pytest.mark.skipif(not DATA.is_dir(), reason=f"{DATA} is absent"),
]


def test_the_whole_archive_reads(caplog: pytest.LogCaptureFixture) -> None:
    source = FileSource(DATA)

    with caplog.at_level(logging.WARNING):
        days = list(source.iter_days())

    assert len(days) == 570
    assert source.problems == []
    assert sum(len(day.skipped) for day in days) == 300
    assert all(skip.endswith("is a string, not an object") for day in days for skip in day.skipped)
    # The 22 files with repr strings hold nothing else, so those days come out empty.
    assert sorted(day.list_day for day in days if day.skipped) == sorted(
        day.list_day for day in days if not day.papers
    )
    assert sum(1 for day in days if day.skipped) == 22
    assert sum(len(day.papers) for day in days) == 9_431
    assert len({paper.arxiv_id for day in days for paper in day.papers}) == 9_427
    assert all(paper.title and paper.abstract for day in days for paper in day.papers)


def test_the_wrapped_file_reads() -> None:
    day = read_file(DATA / "2025-01-10.json")

    assert day.list_day == date(2025, 1, 10)
    assert day.papers == []  # its nine items are all repr strings
    assert len(day.skipped) == 9

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
    # The 300 items of 22 files saved as Python-repr strings are read back, so no day is empty.
    assert sum(len(day.skipped) for day in days) == 0
    assert all(day.papers for day in days)
    recovered = [day for day in days if date(2024, 12, 11) <= day.list_day <= date(2025, 1, 10)]
    assert len(recovered) == 22 and sum(len(day.papers) for day in recovered) == 300
    assert sum(len(day.papers) for day in days) == 9_731
    assert len({paper.arxiv_id for day in days for paper in day.papers}) == 9_727
    assert all(paper.title and paper.abstract for day in days for paper in day.papers)


def test_the_wrapped_file_reads() -> None:
    day = read_file(DATA / "2025-01-10.json")

    assert day.list_day == date(2025, 1, 10)
    # its nine items are all repr strings, read back with ast.literal_eval
    assert len(day.papers) == 9 and day.skipped == []
    assert all(paper.title and paper.abstract and paper.authors for paper in day.papers)

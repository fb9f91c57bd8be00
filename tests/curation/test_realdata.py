"""Optional: curation over real Daily Papers responses in ../shared/data (skipped when absent)."""

from __future__ import annotations

from pathlib import Path

import pytest

from paperwire.bot.curation.select import curate
from paperwire.bot.curation.taxonomy import load_taxonomy
from paperwire.bot.sources.files import read_file
from paperwire.config.settings import DEFAULT_TOPICS_FILE

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "hf-daily"

pytestmark = [
    pytest.mark.realdata,
    pytest.mark.skipif(not DATA.is_dir(), reason=f"no real data at {DATA}"),
]


def test_twenty_real_days_each_give_picks_and_account_for_every_paper() -> None:
    taxonomy = load_taxonomy(DEFAULT_TOPICS_FILE)
    files = sorted(DATA.glob("????-??-??.json"))[-20:]
    picked: set[str] = set()
    topics_seen: set[str] = set()
    for path in files:
        day = read_file(path)
        curation = curate(day.list_day, day.papers, taxonomy, picked_before=picked)
        assert curation.picks, path.name
        assert len(curation.picks) <= 6
        seen = [p.paper.arxiv_id for p in curation.picks]
        seen += [e.paper.arxiv_id for e in curation.exclusions]
        assert sorted(seen) == sorted(paper.arxiv_id for paper in day.papers), path.name
        assert all(e.reason["en"] and e.reason["zh"] for e in curation.exclusions)
        picked |= {pick.paper.arxiv_id for pick in curation.picks}
        topics_seen |= {pick.topic for pick in curation.picks}
    assert len(topics_seen) >= 4

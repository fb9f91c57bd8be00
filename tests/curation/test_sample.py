"""The shipped sample days: real API format, invented papers, and a digest worth showing."""

from __future__ import annotations

import json
import re
from collections import Counter
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from paperwire.bot.curation.select import curate
from paperwire.bot.curation.taxonomy import Taxonomy, load_taxonomy
from paperwire.bot.models import Curation, DayPapers
from paperwire.bot.sources.files import read_file
from paperwire.config.settings import DEFAULT_TOPICS_FILE

SAMPLE = Path(__file__).resolve().parents[2] / "bot" / "sample"
DAYS = (date(2026, 2, 19), date(2026, 2, 20))
NOW = datetime(2026, 2, 21, 8, 30, tzinfo=UTC)


@pytest.fixture(scope="module")
def taxonomy() -> Taxonomy:
    return load_taxonomy(DEFAULT_TOPICS_FILE)


def sample_day(day: date) -> DayPapers:
    return read_file(SAMPLE / f"{day}.json")


def curated(day: date, taxonomy: Taxonomy, picked_before: set[str] | None = None) -> Curation:
    papers = sample_day(day).papers
    return curate(day, papers, taxonomy, picked_before=picked_before or set(), now=NOW)


@pytest.mark.parametrize("day", DAYS)
def test_sample_files_use_the_daily_papers_format(day: date) -> None:
    items = json.loads((SAMPLE / f"{day}.json").read_text(encoding="utf-8"))
    assert isinstance(items, list) and len(items) >= 10
    for item in items:
        inner = item["paper"]
        assert re.fullmatch(r"2602\.1\d{4}", inner["id"])
        assert inner["title"] == item["title"] and inner["summary"] == item["summary"]
        assert inner["submittedOnDailyAt"] == f"{day}T00:00:00.000Z"
        assert {"_id", "name", "hidden"} <= set(inner["authors"][0])
        assert isinstance(inner["upvotes"], int) and inner["ai_summary"] and inner["ai_keywords"]
        assert 3 <= inner["summary"].count(". ") + 1 <= 9
        assert {"publishedAt", "thumbnail", "numComments", "submittedBy"} <= set(item)
    day_papers = sample_day(day)
    assert day_papers.skipped == [] and len(day_papers.papers) == len(items)


def test_sample_ids_are_distinct_across_days() -> None:
    ids = [paper.arxiv_id for day in DAYS for paper in sample_day(day).papers]
    assert len(ids) == len(set(ids))


def test_the_sample_holds_a_hostile_title() -> None:
    titles = [paper.title for paper in sample_day(DAYS[1]).papers]
    assert any("<b>" in title and "&" in title for title in titles)


def test_the_shipped_day_picks_six_papers_across_topics(taxonomy: Taxonomy) -> None:
    curation = curated(DAYS[1], taxonomy)
    assert len(curation.picks) == 6
    assert len({pick.topic for pick in curation.picks}) >= 3
    assert any("<b>" in pick.paper.title for pick in curation.picks)
    assert {pick.stars for pick in curation.picks} == {2, 3}
    kinds = Counter(exclusion.kind for exclusion in curation.exclusions)
    assert kinds["family"] >= 1 and kinds["paper_type"] >= 5 and kinds["below_cut"] >= 1
    families = {e.family for e in curation.exclusions if e.family}
    assert {
        "diffusion-generation",
        "technical-report",
        "benchmark-dataset",
        "pure-theory",
        "policy-risk",
        "hardware",
    } <= families
    assert len(curation.picks) + len(curation.exclusions) == len(sample_day(DAYS[1]).papers)


def test_the_shipped_day_records_both_matches_when_a_family_wins(taxonomy: Taxonomy) -> None:
    curation = curated(DAYS[1], taxonomy)
    video = next(e for e in curation.exclusions if e.family == "diffusion-generation")
    assert video.reason["en"] == (
        "off the focus topics: image/video generation (its words also touch Efficient LLM)"
    )
    assert video.reason["zh"] == "偏离关注方向：图像/视频生成（也涉及高效大模型的关键词）"


def test_the_day_before_also_makes_a_digest(taxonomy: Taxonomy) -> None:
    curation = curated(DAYS[0], taxonomy)
    assert len(curation.picks) == 6
    assert len({pick.topic for pick in curation.picks}) >= 4
    assert {e.kind for e in curation.exclusions} == {"family", "paper_type"}
    assert all(not e.reason["en"].startswith("below the cut") for e in curation.exclusions)


def test_picks_of_the_day_before_stay_picked_once(taxonomy: Taxonomy) -> None:
    earlier = {pick.paper.arxiv_id for pick in curated(DAYS[0], taxonomy).picks}
    later = curated(DAYS[1], taxonomy, picked_before=earlier)
    assert not earlier & {pick.paper.arxiv_id for pick in later.picks}


def test_the_sample_days_must_reads_lead_its_picks(taxonomy: Taxonomy) -> None:
    picks = curated(date(2026, 2, 20), taxonomy).picks
    stars = [pick.stars for pick in picks]
    assert 2 in stars and 3 in stars  # both levels, so the order below is tested
    assert stars == sorted(stars, reverse=True)
    assert [pick.rank for pick in picks] == list(range(1, len(picks) + 1))

"""Picking a day's papers: ranking, the per-topic cap, and a reason for every paper left out."""

from __future__ import annotations

import random
import re
from collections import Counter
from datetime import UTC, date, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from paperwire.bot.curation.select import curate, score_paper
from paperwire.bot.curation.taxonomy import Taxonomy, parse_taxonomy
from paperwire.bot.models import Curation, Paper
from tests.curation.models import keyword_model

DAY = date(2026, 2, 20)
NOW = datetime(2026, 2, 21, 8, 30, tzinfo=UTC)

TAXONOMY = """\
[[topic]]
id = "alpha"
name = { en = "Alpha", zh = "阿尔法" }
keywords = ["alpha"]

[[topic]]
id = "beta"
name = { en = "Beta", zh = "贝塔" }
keywords = ["beta"]

[[topic]]
id = "gamma"
name = { en = "Gamma", zh = "伽马" }
keywords = ["gamma"]

[[family]]
id = "gen"
name = { en = "Generation", zh = "生成" }
keywords = ["genny"]
reason = { en = "generation, outside the topics", zh = "生成，偏离方向" }

[[family]]
id = "report"
kind = "paper_type"
name = { en = "Technical report", zh = "技术报告" }
keywords = ["technical report"]
title_keywords = ["technical report"]
reason = { en = "technical report of a single model", zh = "单一模型的技术报告" }
"""


@pytest.fixture(scope="module")
def taxonomy() -> Taxonomy:
    return parse_taxonomy(TAXONOMY, "select.toml")


def paper(arxiv_id: str, title: str, upvotes: int = 10, **fields: object) -> Paper:
    fields.setdefault("published_at", datetime(2026, 2, 19, tzinfo=UTC))
    return Paper(arxiv_id, title, upvotes=upvotes, **fields)  # type: ignore[arg-type]


def run(papers: list[Paper], taxonomy: Taxonomy, **options: object) -> Curation:
    options.setdefault("model", keyword_model(taxonomy))
    return curate(DAY, papers, taxonomy, now=NOW, **options)  # type: ignore[arg-type]


def assert_accounted_for(papers: list[Paper], curation: Curation) -> None:
    """Every paper of the input appears exactly once, in the picks or the exclusions."""
    seen = [id(pick.paper) for pick in curation.picks] + [id(e.paper) for e in curation.exclusions]
    assert Counter(seen) == Counter(id(item) for item in papers)


def mixed_day() -> list[Paper]:
    return [
        paper("2602.00001", "Alpha one", 90, github_repo="https://github.com/a/one"),
        paper("2602.00002", "Alpha two", 80),
        paper("2602.00003", "Alpha three", 70),
        paper("2602.00004", "Alpha four", 60),
        paper("2602.00005", "Beta one", 50),
        paper("2602.00006", "Beta two", 40),
        paper("2602.00007", "Gamma one", 30),
        paper("2602.00008", "Gamma two", 5),
        paper("2602.00009", "Genny genny: an alpha model", 300, ai_keywords=["genny"]),
        paper("2602.00010", "Zeta-9 Technical Report", 200, ai_keywords=["beta"]),
        paper("2602.00011", "Poetry meters", 100),
        paper("2602.00012", "Beta three", 1),
    ]


def test_every_paper_is_picked_or_excluded_exactly_once(taxonomy: Taxonomy) -> None:
    papers = mixed_day()
    curation = run(papers, taxonomy)
    assert_accounted_for(papers, curation)
    assert curation.list_day == DAY
    assert len(curation.picks) == 6
    assert [pick.rank for pick in curation.picks] == [1, 2, 3, 4, 5, 6]
    scores = [pick.score for pick in curation.picks]
    assert scores == sorted(scores, reverse=True)


def test_the_per_topic_cap_holds(taxonomy: Taxonomy) -> None:
    papers = mixed_day()
    curation = run(papers, taxonomy, per_topic_cap=2)
    assert max(Counter(pick.topic for pick in curation.picks).values()) <= 2
    capped = [e for e in curation.exclusions if e.kind == "topic_cap"]
    assert [e.paper.arxiv_id for e in capped] == ["2602.00003", "2602.00004"]
    assert capped[0].topic == "alpha"
    assert capped[0].reason["en"] == "on topic, but Alpha already has 2 picks: ranked 3rd of 9 candidates"
    assert capped[0].reason["zh"] == "方向相关，但阿尔法已入选 2 篇：在 9 篇候选中排第 3"
    assert_accounted_for(papers, curation)


def test_a_paper_in_two_topics_moves_to_its_second_when_the_first_is_full(
    taxonomy: Taxonomy,
) -> None:
    papers = [
        paper("2602.00001", "Alpha one", 90),
        paper("2602.00002", "Alpha two", 80),
        paper("2602.00003", "Alpha and gamma", 70),
    ]
    # Two topics' keywords make the third paper the strongest; a judge ranks it last.
    weaker = lambda scores: {key: value * (0.75 if key == "2602.00003" else 1) for key, value in scores.items()}  # noqa: E731
    curation = run(papers, taxonomy, per_topic_cap=2, adjust_scores=weaker)
    assert sorted((pick.paper.arxiv_id, pick.topic) for pick in curation.picks) == [
        ("2602.00001", "alpha"),
        ("2602.00002", "alpha"),
        ("2602.00003", "gamma"),
    ]


def test_a_paper_picked_before_is_not_picked_again(taxonomy: Taxonomy) -> None:
    papers = mixed_day()
    curation = run(papers, taxonomy, picked_before={"2602.00001"})
    assert "2602.00001" not in {pick.paper.arxiv_id for pick in curation.picks}
    (earlier,) = [e for e in curation.exclusions if e.kind == "picked_before"]
    assert earlier.paper.arxiv_id == "2602.00001"
    assert earlier.reason == {"en": "picked in an earlier digest", "zh": "已在之前的日报中入选"}
    assert "2602.00001" not in {c.paper.arxiv_id for c in curation.candidates}
    assert_accounted_for(papers, curation)


def test_papers_below_the_cut_say_where_they_ranked_never_a_bare_score(taxonomy: Taxonomy) -> None:
    papers = mixed_day()
    curation = run(papers, taxonomy, max_papers=3, per_topic_cap=3)
    below = [e for e in curation.exclusions if e.kind == "below_cut"]
    assert below
    for exclusion in below:
        assert exclusion.score <= curation.picks[-1].score
        assert re.fullmatch(r"on topic, but the picks were stronger: ranked \d+(st|nd|rd|th) of 9 candidates", exclusion.reason["en"])
        assert re.fullmatch(r"方向相关，但入选论文更强：在 9 篇候选中排第 \d+", exclusion.reason["zh"])
    assert below[0].reason["en"] == "on topic, but the picks were stronger: ranked 4th of 9 candidates"


def test_a_near_tie_is_told_apart_by_its_rank(taxonomy: Taxonomy) -> None:
    papers = [paper("2602.00001", "Alpha one", 10), paper("2602.00002", "Beta one", 10)]
    # Same score, so upvotes and then the id decide; the reason says it came second.
    curation = run(papers, taxonomy, max_papers=1)
    (below,) = curation.exclusions
    assert below.paper.arxiv_id == "2602.00002"
    assert below.reason["en"] == "on topic, but the picks were stronger: ranked 2nd of 2 candidates"


def test_a_family_excludes_and_records_the_topic_it_also_matched(taxonomy: Taxonomy) -> None:
    curation = run(mixed_day(), taxonomy)
    by_id = {e.paper.arxiv_id: e for e in curation.exclusions}
    generated = by_id["2602.00009"]
    assert (generated.kind, generated.family, generated.topic) == ("family", "gen", "alpha")
    assert generated.reason == {
        "en": "off the focus topics: generation (its words also touch Alpha)",
        "zh": "偏离关注方向：生成（也涉及阿尔法的关键词）",
    }
    report = by_id["2602.00010"]
    assert (report.kind, report.family) == ("paper_type", "report")
    assert report.reason == {"en": "technical report of a single model (Beta)", "zh": "单一模型的技术报告（贝塔）"}
    unmatched = by_id["2602.00011"]
    assert unmatched.kind == "no_topic"
    assert unmatched.reason == {"en": "off the focus topics: no focus topic fits", "zh": "偏离关注方向：不属于任何关注方向"}


def test_a_family_without_a_topic_gives_its_plain_reason(taxonomy: Taxonomy) -> None:
    curation = run([paper("2602.00001", "Genny for all")], taxonomy)
    (excluded,) = curation.exclusions
    assert excluded.reason == {"en": "off the focus topics: generation", "zh": "偏离关注方向：生成"}
    assert excluded.topic is None


def test_every_reason_is_written_in_both_languages(taxonomy: Taxonomy) -> None:
    before = {"2602.00012"}
    curation = run(mixed_day(), taxonomy, max_papers=3, per_topic_cap=1, picked_before=before)
    kinds = {e.kind for e in curation.exclusions}
    assert kinds == {"family", "paper_type", "below_cut", "topic_cap", "picked_before", "no_topic"}
    for exclusion in curation.exclusions:
        assert exclusion.reason["en"].strip() and exclusion.reason["zh"].strip()
        assert exclusion.reason["en"] != exclusion.reason["zh"]


def test_near_misses_come_first_in_the_exclusions(taxonomy: Taxonomy) -> None:
    curation = run(mixed_day(), taxonomy, max_papers=3, picked_before={"2602.00012"})
    order = [e.kind for e in curation.exclusions]
    assert order.index("below_cut") < order.index("family") < order.index("no_topic")
    assert order[-1] == "picked_before"


def test_the_order_does_not_depend_on_the_input_order(taxonomy: Taxonomy) -> None:
    papers = mixed_day()
    expected = run(papers, taxonomy, max_papers=4)
    for seed in range(5):
        shuffled = papers[:]
        random.Random(seed).shuffle(shuffled)
        again = run(shuffled, taxonomy, max_papers=4)
        assert [p.paper.arxiv_id for p in again.picks] == [p.paper.arxiv_id for p in expected.picks]
        assert [e.paper.arxiv_id for e in again.exclusions] == [
            e.paper.arxiv_id for e in expected.exclusions
        ]


def test_ties_break_by_upvotes_then_id(taxonomy: Taxonomy) -> None:
    same = {"published_at": None}
    papers = [
        paper("2602.00003", "Alpha c", 10, **same),
        paper("2602.00002", "Alpha b", 10, **same),
        paper("2602.00001", "Alpha a", 10, **same),
    ]
    curation = run(papers, taxonomy)
    picked = [pick.paper.arxiv_id for pick in curation.picks]
    assert picked == ["2602.00001", "2602.00002", "2602.00003"]
    assert len({pick.score for pick in curation.picks}) == 1


def test_stars_mark_the_strong_top_picks(taxonomy: Taxonomy) -> None:
    strong = {"github_repo": "https://github.com/x/y", "project_page": "https://x.github.io"}
    papers = [
        paper("2602.00001", "Alpha alpha", 400, ai_keywords=["alpha"], **strong),
        paper("2602.00002", "Beta", 3),
        paper("2602.00003", "Gamma", 0, published_at=None),
    ]
    stars = {p.paper.arxiv_id: p.stars for p in run(papers, taxonomy).picks}
    assert stars == {"2602.00001": 3, "2602.00002": 2, "2602.00003": 2}


def test_candidates_are_the_topic_papers_left_out_best_first(taxonomy: Taxonomy) -> None:
    curation = run(mixed_day(), taxonomy, max_papers=3, per_topic_cap=2)
    picked = {pick.paper.arxiv_id for pick in curation.picks}
    candidate_ids = [c.paper.arxiv_id for c in curation.candidates]
    near_misses = {
        e.paper.arxiv_id for e in curation.exclusions if e.kind in ("below_cut", "topic_cap")
    }
    assert set(candidate_ids) == near_misses and not picked & set(candidate_ids)
    assert "2602.00009" not in candidate_ids  # excluded by a family for everyone
    scores = [c.score for c in curation.candidates]
    assert scores == sorted(scores, reverse=True)
    assert [c.rank for c in curation.candidates] == list(range(4, 4 + len(candidate_ids)))
    assert {c.topic for c in curation.candidates} <= {"alpha", "beta", "gamma"}


def test_a_paper_listed_twice_counts_once(taxonomy: Taxonomy) -> None:
    first, second = paper("2602.00001", "Alpha one", 10), paper("2602.00001", "Alpha one", 10)
    curation = run([first, second], taxonomy)
    assert [pick.paper for pick in curation.picks] == [first]
    assert curation.exclusions[0].paper is second
    assert curation.exclusions[0].reason["en"] == "listed twice on this day; counted once"


def test_no_papers_no_picks(taxonomy: Taxonomy) -> None:
    assert run([], taxonomy) == Curation(list_day=DAY, picks=[], exclusions=[], candidates=[])


def test_the_score_is_quality_first_and_upvotes_only_order_near_ties() -> None:
    base = paper("2602.00001", "x", 10, published_at=None)
    assert score_paper(base, 0.9) > score_paper(paper("2602.00001", "x", 100_000), 0.8)
    assert score_paper(paper("2602.00001", "x", 100), 0.7) > score_paper(base, 0.7)
    assert score_paper(paper("2602.00001", "x", 10, github_repo="https://github.com/a/b"), 0.7) > score_paper(base, 0.7)
    # Halving or scaling every count by 1.5 moves a score by at most a tenth of a point.
    for upvotes in (0, 1, 3, 10, 57, 300, 5000):
        for factor in (0.5, 1.5):
            moved = score_paper(paper("2602.00001", "x", round(upvotes * factor)), 0.7) - score_paper(
                paper("2602.00001", "x", upvotes), 0.7
            )
            assert abs(moved) <= 0.11


HOSTILE = "<script>alert(1)</script> & Alpha \u202eRTL\u202c 🤖 &amp; {0} %s"


def test_hostile_titles_and_long_abstracts_pass_through(taxonomy: Taxonomy) -> None:
    long_abstract = ("Alpha results with <b>markup</b> & emoji 🤖. " * 200)[:5000]
    papers = [
        paper("2602.00001", HOSTILE, 5, abstract=long_abstract),
        paper("2602.00002", "\u202e" + "Genny " * 50, 5, abstract=long_abstract),
        paper("2602.00003", "", 0),
    ]
    curation = run(papers, taxonomy)
    assert_accounted_for(papers, curation)
    assert curation.picks[0].paper.title == HOSTILE
    for exclusion in curation.exclusions:
        assert "<script>" not in exclusion.reason["en"]  # reasons never quote titles


TITLES = ["Alpha", "Beta", "Gamma", "Genny", "Other", "Alpha beta", "Z-1 Technical Report"]


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(TITLES),
            st.integers(min_value=0, max_value=500),
            st.integers(min_value=0, max_value=40),
        ),
        max_size=30,
    ),
    st.integers(min_value=1, max_value=8),
    st.integers(min_value=1, max_value=4),
    st.sets(st.integers(min_value=0, max_value=40), max_size=5),
)
def test_invariants_hold_for_any_day(
    rows: list[tuple[str, int, int]], max_papers: int, cap: int, before: set[int]
) -> None:
    taxonomy = parse_taxonomy(TAXONOMY, "select.toml")
    papers = [
        paper(f"2602.{number:05d}", title, upvotes) for title, upvotes, number in rows
    ]
    picked_before = {f"2602.{number:05d}" for number in before}
    curation = curate(
        DAY, papers, taxonomy, max_papers=max_papers, per_topic_cap=cap,
        picked_before=picked_before, now=NOW, model=keyword_model(taxonomy),
    )
    assert_accounted_for(papers, curation)
    assert len(curation.picks) <= max_papers
    assert all(count <= cap for count in Counter(p.topic for p in curation.picks).values())
    picked_ids = [pick.paper.arxiv_id for pick in curation.picks]
    assert len(picked_ids) == len(set(picked_ids))
    assert not set(picked_ids) & picked_before
    for exclusion in curation.exclusions:
        assert exclusion.reason["en"] and exclusion.reason["zh"]


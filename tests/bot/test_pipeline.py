"""The pipeline end to end on the shipped sample days: idempotent builds, both languages,
per-topic digests, trends, and the `digest`/`import` verbs as a user types them."""

from __future__ import annotations

import asyncio
import json
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

from paperwire.bot.cli import main
from paperwire.bot.sample import SAMPLE_DIR
from paperwire.bot.curation.taxonomy import load_taxonomy
from paperwire.bot.pipeline import Pipeline, PipelineOptions, default_list_day
from paperwire.bot.sources.files import read_file
from paperwire.bot.store.database import Database
from paperwire.bot.store.schema import digests, exclusions, picks, summaries
from paperwire.bot.summarize.extractive import ExtractiveSummarizer
from paperwire.config.settings import DEFAULT_TOPICS_FILE
from tests.fakes.hf import FakeHF, make_item
from tests.fakes.llm import FakeLLM

DAY = date(2026, 2, 20)
EARLIER = date(2026, 2, 19)


def pipeline_for(db: Database, **options: object) -> Pipeline:
    return Pipeline(db, load_taxonomy(DEFAULT_TOPICS_FILE), ExtractiveSummarizer(), PipelineOptions(**options))  # type: ignore[arg-type]


async def ingest_samples(pipeline: Pipeline) -> None:
    for day in (EARLIER, DAY):
        await pipeline.ingest(read_file(SAMPLE_DIR / f"{day}.json", day), "sample")


async def row_counts(db: Database) -> tuple[int, ...]:
    async with db.connect() as connection:
        return tuple(
            [(await connection.execute(select(func.count()).select_from(t))).scalar_one() for t in (digests, picks, exclusions, summaries)]
        )


async def test_rebuilding_a_day_changes_nothing(db: Database) -> None:
    pipeline = pipeline_for(db)
    await ingest_samples(pipeline)
    first = await pipeline.build(DAY, "en")
    counts = await row_counts(db)
    await ingest_samples(pipeline)  # the same source again
    second = await pipeline.build(DAY, "en")
    assert first is not None and second is not None
    assert await row_counts(db) == counts
    assert [e.paper.arxiv_id for e in first.entries] == [e.paper.arxiv_id for e in second.entries]
    assert [e.card for e in first.entries] == [e.card for e in second.entries]
    assert first.generated_at == second.generated_at
    assert first.stats["digest_id"] == second.stats["digest_id"]


async def test_two_concurrent_builds_make_one_digest(db: Database) -> None:
    pipeline = pipeline_for(db)
    await ingest_samples(pipeline)
    one, two = await asyncio.gather(pipeline.build(DAY, "en"), pipeline.build(DAY, "en"))
    assert one is not None and two is not None
    assert one.stats["digest_id"] == two.stats["digest_id"]
    assert (await row_counts(db))[0] == 1


async def test_every_paper_is_picked_or_excluded_with_reasons_in_both_languages(db: Database) -> None:
    pipeline = pipeline_for(db)
    await ingest_samples(pipeline)
    english = await pipeline.build(DAY, "en")
    chinese = await pipeline.build(DAY, "zh")
    assert english is not None and chinese is not None
    listed = read_file(SAMPLE_DIR / f"{DAY}.json", DAY).papers
    accounted = [e.paper.arxiv_id for e in english.entries] + [x.paper.arxiv_id for x in english.exclusions]
    assert sorted(accounted) == sorted(p.arxiv_id for p in listed)
    assert len(english.entries) == 6
    assert all(x.reason["en"] and x.reason["zh"] for x in english.exclusions)
    # One curation shared by both languages.
    assert [e.paper.arxiv_id for e in chinese.entries] == [e.paper.arxiv_id for e in english.entries]
    assert english.published == date(2026, 2, 21)
    assert chinese.topic_names["agentic-rl"] != english.topic_names["agentic-rl"]


async def test_a_paper_picked_earlier_is_not_picked_again(db: Database) -> None:
    pipeline = pipeline_for(db)
    await ingest_samples(pipeline)
    earlier = await pipeline.build(EARLIER, "en")
    assert earlier is not None
    again = earlier.entries[0].paper
    # The same paper shows up on the next day's list too.
    day = read_file(SAMPLE_DIR / f"{DAY}.json", DAY)
    again.list_day = DAY
    again.upvotes = 10_000
    day.papers.append(again)
    await pipeline.ingest(day, "sample")
    later = await pipeline.build(DAY, "en")
    assert later is not None
    assert again.arxiv_id not in [e.paper.arxiv_id for e in later.entries]
    reasons = {x.paper.arxiv_id: x.kind for x in later.exclusions}
    assert reasons[again.arxiv_id] == "picked_before"


async def test_topic_digest_reaches_beyond_the_global_top_n_by_the_topic_cap(db: Database) -> None:
    pipeline = pipeline_for(db, per_topic_cap=1)
    await ingest_samples(pipeline)
    overall = await pipeline.build(DAY, "en")
    agents = await pipeline.build(DAY, "en", ["agentic-rl"])
    assert overall is not None and agents is not None
    assert agents.only_topics == ["agentic-rl"]
    assert agents.entries and all(e.pick.topic == "agentic-rl" for e in agents.entries)
    # Papers the global digest left out only for the per-topic cap reach this chat.
    beyond = {e.paper.arxiv_id for e in agents.entries} - {e.paper.arxiv_id for e in overall.entries}
    capped = {x.paper.arxiv_id for x in overall.exclusions if x.kind == "topic_cap"}
    assert beyond and beyond <= capped
    assert agents.stats["digest_id"] != overall.stats["digest_id"]


async def test_topic_digest_never_picks_below_the_curations_cut(db: Database) -> None:
    pipeline = pipeline_for(db, max_papers=2)
    await ingest_samples(pipeline)
    overall = await pipeline.build(DAY, "en")
    assert overall is not None
    below = {x.paper.arxiv_id: x.topic for x in overall.exclusions if x.kind == "below_cut"}
    for topic in {topic for topic in below.values() if topic}:
        chat = await pipeline.build(DAY, "en", [topic])
        assert chat is not None
        assert not {e.paper.arxiv_id for e in chat.entries} & set(below), topic


async def test_trends_compare_today_with_trailing_days(db: Database) -> None:
    pipeline = pipeline_for(db)
    await ingest_samples(pipeline)
    digest = await pipeline.build(DAY, "en")
    assert digest is not None
    by_topic = {trend.topic: trend for trend in digest.trends}
    assert set(by_topic) == {t.id for t in pipeline.taxonomy.topics}
    assert sum(t.listed for t in digest.trends) > 0
    assert sum(t.picked for t in digest.trends) == len(digest.entries)  # picks counted as picks
    assert all(t.listed_days == 1 for t in digest.trends)  # the day before is the one stored
    assert any(t.listed_avg > 0 for t in digest.trends)


async def test_an_empty_day_builds_nothing(db: Database) -> None:
    pipeline = pipeline_for(db)
    assert await pipeline.build(date(2026, 2, 21), "en") is None


def test_default_list_day_is_the_last_weekday_before_today() -> None:
    from datetime import UTC, datetime

    assert default_list_day(datetime(2026, 2, 23, 8, tzinfo=UTC)) == date(2026, 2, 20)  # Monday -> Friday
    assert default_list_day(datetime(2026, 2, 21, 8, tzinfo=UTC)) == date(2026, 2, 20)  # Saturday -> Friday
    assert default_list_day(datetime(2026, 2, 20, 8, tzinfo=UTC)) == date(2026, 2, 19)


def test_digest_verb_offline_on_the_sample(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    out = tmp_path / "post.md"
    assert main(["digest", "--source", "sample"]) == 0
    first = capsys.readouterr().out
    assert first.startswith("---\ntitle: \"Daily AI Papers - 2026-02-21\"")
    assert main(["digest", "--source", "sample", "--lang", "zh", "--out", str(out), "--stats"]) == 0
    err = capsys.readouterr().err
    assert "## 论文详解" in out.read_text(encoding="utf-8")
    assert '"prompt_tokens": 0' in err
    assert main(["digest", "--source", "sample"]) == 0
    assert capsys.readouterr().out == first


def test_digest_verb_usage_errors(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    undated = tmp_path / "saved.json"
    undated.write_text("[]", encoding="utf-8")
    assert main(["digest", "--source", str(undated)]) == 2
    assert "--date" in capsys.readouterr().err
    assert main(["digest", "--source", str(tmp_path / "missing.json")]) == 2
    assert main(["digest", "--date", "20-02-2026", "--source", "sample"]) == 2


def test_digest_verb_without_network_says_so_in_one_line(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PAPERWIRE_SOURCES__HF_BASE_URL", "http://127.0.0.1:9")  # nothing listens there
    monkeypatch.setenv("PAPERWIRE_SOURCES__MAX_RETRIES", "0")
    assert main(["digest", "--date", "2026-02-20"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--source" in err[0] and "Traceback" not in err[0]


async def test_digest_verb_from_the_api(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    items = json.loads((SAMPLE_DIR / f"{DAY}.json").read_text(encoding="utf-8"))
    async with FakeHF(days={DAY: items, date(2026, 2, 21): []}) as hf:
        monkeypatch.setenv("PAPERWIRE_SOURCES__HF_BASE_URL", hf.base_url)
        assert await asyncio.to_thread(main, ["digest", "--date", "2026-02-20"]) == 0
        assert "## Excluded papers" in capsys.readouterr().out
        assert await asyncio.to_thread(main, ["digest", "--date", "2026-02-21"]) == 0
        assert "no papers that day" in capsys.readouterr().err
        assert await asyncio.to_thread(main, ["digest", "--date", "2099-01-01"]) == 2


def test_import_verb_counts_and_skips(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    folder = tmp_path / "saved"
    folder.mkdir()
    good = [make_item("2602.00001", "Agentic RL for tool use", "We propose an agent.")]
    (folder / "2026-02-18.json").write_text(json.dumps(good + ["{'paper': 'a python repr'}", {"no": "id"}]))
    (folder / "2026-02-19.json").write_text(json.dumps({"status": "ok", "date": "2026-02-19", "count": 1, "data": good}))
    (folder / "2026-02-20.json").write_text("{ not json")
    assert main(["import", str(folder), "--quiet"]) == 0
    out = capsys.readouterr().out
    # The same paper on a second day is unchanged, so it is not counted as updated.
    assert "1 papers loaded, 0 updated, 1 unchanged, 3 items skipped" in out
    assert main(["import", str(folder), "--quiet"]) == 0
    captured = capsys.readouterr()
    assert "0 papers loaded, 0 updated, 2 unchanged, 3 items skipped" in captured.out
    # What was skipped is told once, with examples, not a line per item.
    skipped_lines = [line for line in captured.err.splitlines() if "skipped" in line]
    assert len(skipped_lines) == 1 and "skipped 3 items; the first 3:" in skipped_lines[0]


def test_import_recovers_items_saved_as_python_reprs(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    folder = tmp_path / "saved"
    folder.mkdir()
    items = [make_item("2412.00001", "Invented repr paper one"), make_item("2412.00002", "Invented repr paper two")]
    (folder / "2024-12-11.json").write_text(json.dumps([repr(item) for item in items] + ["print('not a literal')"]))
    assert main(["import", str(folder), "--quiet"]) == 0
    assert "2 papers loaded, 0 updated, 0 unchanged, 1 items skipped" in capsys.readouterr().out
    assert main(["import", str(folder), "--quiet"]) == 0
    assert "0 papers loaded, 0 updated, 2 unchanged, 1 items skipped" in capsys.readouterr().out


async def test_llm_cards_are_cached_and_counted(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    async with FakeLLM() as llm:
        monkeypatch.setenv("PAPERWIRE_LLM__BASE_URL", llm.base_url)
        monkeypatch.setenv("PAPERWIRE_LLM__API_KEY", "sk-test-secret")
        monkeypatch.setenv("PAPERWIRE_LLM__MODEL", "fake-model")
        assert await asyncio.to_thread(main, ["digest", "--source", "sample", "--stats"]) == 0
        captured = capsys.readouterr()
        calls = llm.calls
        assert calls >= 6
        stats = json.loads(captured.err.split("paperwire: stats ", 1)[1].splitlines()[0])
        assert stats["llm_cards"] == 6 and stats["prompt_tokens"] > 0 and stats["completion_tokens"] > 0
        assert "sk-test-secret" not in captured.err
        assert await asyncio.to_thread(main, ["digest", "--source", "sample"]) == 0
        assert llm.calls == calls  # the rebuild made no call


async def test_llm_failures_fall_back_and_the_digest_is_published(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    async with FakeLLM(default_mode="500") as llm:
        monkeypatch.setenv("PAPERWIRE_LLM__BASE_URL", llm.base_url)
        monkeypatch.setenv("PAPERWIRE_LLM__API_KEY", "sk-test")
        monkeypatch.setenv("PAPERWIRE_LLM__MAX_RETRIES", "0")
        assert await asyncio.to_thread(main, ["digest", "--source", "sample", "--stats"]) == 0
        captured = capsys.readouterr()
        assert "### 6." in captured.out
        assert '"extractive_cards": 6' in captured.err


async def test_the_judge_reorders_and_its_reason_is_recorded(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    listed = read_file(SAMPLE_DIR / f"{DAY}.json", DAY).papers
    # The rules put "Hindsight Credit" (2602.15023) just below the cut; the judge keeps it
    # and drops every other paper, so it moves into the picks.
    verdicts = [
        {"arxiv_id": p.arxiv_id, "topic": "none", "keep": p.arxiv_id == "2602.15023",
         "reason_en": "close to earlier work", "reason_zh": "与已有工作相近"}
        for p in listed
    ]
    async with FakeLLM() as llm:
        llm.say(json.dumps({"verdicts": verdicts}))
        monkeypatch.setenv("PAPERWIRE_LLM__BASE_URL", llm.base_url)
        monkeypatch.setenv("PAPERWIRE_LLM__API_KEY", "sk-test")
        monkeypatch.setenv("PAPERWIRE_LLM__JUDGE", "true")
        assert await asyncio.to_thread(main, ["digest", "--date", "2026-02-20", "--source", str(SAMPLE_DIR / "2026-02-20.json")]) == 0
    post = capsys.readouterr().out
    picks = post.split("## Excluded papers")[0]
    assert "Hindsight Credit" in picks
    assert "close to earlier work" in post.split("## Excluded papers")[1]


async def test_a_failing_judge_leaves_the_rules_alone(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    async with FakeLLM() as llm:
        llm.say("this is not json")
        monkeypatch.setenv("PAPERWIRE_LLM__BASE_URL", llm.base_url)
        monkeypatch.setenv("PAPERWIRE_LLM__API_KEY", "sk-test")
        monkeypatch.setenv("PAPERWIRE_LLM__JUDGE", "true")
        assert await asyncio.to_thread(main, ["digest", "--date", "2026-02-20", "--source", str(SAMPLE_DIR / "2026-02-20.json")]) == 0
    post = capsys.readouterr().out
    assert "Hindsight Credit" in post.split("## Excluded papers")[1]

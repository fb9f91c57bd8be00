"""Trends compare like with like over the days actually stored; the footer names the list day
and the source; a day without picks is a draft post and, when asked for, a short notice."""

from __future__ import annotations

import asyncio
import json
from datetime import date, timedelta
from pathlib import Path

import pytest

from paperwire.bot.cli import main
from paperwire.bot.curation.taxonomy import load_taxonomy
from paperwire.bot.models import Language
from paperwire.bot.pipeline import Pipeline, PipelineOptions
from paperwire.bot.sample import SAMPLE_DIR
from paperwire.bot.sources.files import read_file
from paperwire.bot.store.database import Database
from paperwire.bot.summarize.extractive import ExtractiveSummarizer
from paperwire.config.settings import DEFAULT_TOPICS_FILE
from paperwire.formatters.labels import label
from paperwire.formatters.markdown import render_markdown
from tests.fakes.hf import make_item
from tests.fakes.telegram import FakeTelegram, RateLimits

FIRST = date(2026, 3, 2)  # a Monday


def list_days(count: int) -> list[date]:
    """`count` weekdays from FIRST."""
    days, day = [], FIRST
    while len(days) < count:
        if day.weekday() < 5:
            days.append(day)
        day += timedelta(days=1)
    return days


def day_like_the_sample(day: date, number: int):
    """The sample list under new arXiv ids, so no paper counts as picked before."""
    papers = read_file(SAMPLE_DIR / "2026-02-20.json", date(2026, 2, 20))
    for paper in papers.papers:
        paper.arxiv_id = f"26{number:02d}.{paper.arxiv_id.split('.')[1]}"
        paper.list_day = day
    papers.list_day = day
    return papers


async def pipeline_with_days(db: Database, count: int) -> tuple[Pipeline, list[date]]:
    pipeline = Pipeline(db, load_taxonomy(DEFAULT_TOPICS_FILE), ExtractiveSummarizer(), PipelineOptions())
    days = list_days(count)
    for number, day in enumerate(days, start=1):
        await pipeline.ingest(day_like_the_sample(day, number), "fixture")
        await pipeline.curate_day(day)
    return pipeline, days


@pytest.mark.parametrize("language", ["en", "zh"])
async def test_a_short_history_is_named_by_its_days_and_nothing_is_usual(db: Database, language: Language) -> None:
    pipeline, days = await pipeline_with_days(db, 3)
    digest = await pipeline.build(days[-1], language)
    assert digest is not None and digest.entries
    assert {trend.picked_days for trend in digest.trends} == {2}
    assert {trend.listed_days for trend in digest.trends} == {2}
    # picks against picks: today's picks per topic, and the same curation on the days before
    assert sum(trend.picked for trend in digest.trends) == len(digest.entries)
    assert sum(trend.picked_avg for trend in digest.trends) == pytest.approx(len(digest.entries))
    post = render_markdown(digest)
    trends = post.split(f"## {label(language, 'trends')}")[1].split("---")[0]
    assert label(language, "trend_few", days=2) in trends
    assert "usual" not in trends.replace(label("en", "trend_few", days=2), "") and "平时" not in trends
    assert "30" not in trends and "7 天" not in trends


async def test_five_earlier_days_let_a_trend_be_called_usual_or_not(db: Database) -> None:
    pipeline, days = await pipeline_with_days(db, 7)
    digest = await pipeline.build(days[-1], "en")
    assert digest is not None
    assert {trend.picked_days for trend in digest.trends} == {6}
    post = render_markdown(digest)
    trends = post.split("## Trends")[1]
    assert "too few" not in trends
    assert "over the 6 list days before" in trends
    # the same picks every day: as usual, so neither busier nor quieter
    assert "busier" not in trends and "quieter" not in trends


async def test_the_footer_names_the_list_day_and_source_not_the_build_time(db: Database) -> None:
    pipeline, days = await pipeline_with_days(db, 1)
    for language in ("en", "zh"):
        digest = await pipeline.build(days[0], language)  # type: ignore[arg-type]
        assert digest is not None
        footer = render_markdown(digest).rstrip().splitlines()[-1]
        assert days[0].isoformat() in footer and "Hugging Face Daily Papers" in footer
        assert digest.generated_at.strftime("%Y-%m-%d") not in footer  # built today, a list of March 2026


# ---------------------------------------------------------------- a day without picks

NO_PICK_DAY = "2026-03-04"


def write_day_without_picks(folder: Path) -> Path:
    items = [
        make_item("2603.01001", "Medieval Poetry and Its Meters", "We study rhyme in twelfth-century poems."),
        make_item("2603.01002", "Yeast Protein Folding Under Heat", "We measure folding rates of yeast proteins."),
        make_item("2603.01003", "Soil Moisture from Satellite Images", "We map soil moisture across farms."),
    ]
    path = folder / f"{NO_PICK_DAY}.json"
    path.write_text(json.dumps(items))
    return path


@pytest.mark.parametrize("language", ["en", "zh"])
def test_a_day_without_picks_is_a_draft(tmp_path: Path, capsys: pytest.CaptureFixture[str], language: str) -> None:
    source = write_day_without_picks(tmp_path)
    assert main(["digest", "--source", str(source), "--lang", language]) == 0
    post = capsys.readouterr().out
    front = post.split("---")[1]
    assert "draft: true" in front and "draft: false" not in front
    assert "Medieval Poetry" in post  # the excluded table still says why


@pytest.fixture
async def telegram() -> FakeTelegram:
    async with FakeTelegram(limits=RateLimits.off()) as server:
        yield server


@pytest.mark.parametrize("notice", [True, False])
async def test_a_day_without_picks_sends_a_short_notice_when_asked(
    telegram: FakeTelegram, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, notice: bool
) -> None:
    source = write_day_without_picks(tmp_path)
    monkeypatch.setenv("PAPERWIRE_TELEGRAM__TOKEN", telegram.token)
    monkeypatch.setenv("PAPERWIRE_TELEGRAM__BASE_URL", telegram.base_url)
    monkeypatch.setenv("PAPERWIRE_TELEGRAM__CHATS", '[{"id": "-1001", "language": "zh"}, "-1002"]')
    monkeypatch.setenv("PAPERWIRE_DIGEST__EMPTY_DAY_NOTICE", "true" if notice else "false")
    assert await asyncio.to_thread(main, ["publish", "--source", str(source), "--date", NO_PICK_DAY]) == 0
    chinese, english = telegram.sent_to("-1001"), telegram.sent_to("-1002")
    if not notice:
        assert chinese == [] and english == []
        return
    assert [message["text"] for message in english] == [
        label("en", "no_picks_day", date=NO_PICK_DAY, papers=3)
    ]
    assert [message["text"] for message in chinese] == [
        label("zh", "no_picks_day", date=NO_PICK_DAY, papers=3)
    ]
    # a second publish of the same day sends nothing new
    assert await asyncio.to_thread(main, ["publish", "--source", str(source), "--date", NO_PICK_DAY]) == 0
    assert len(telegram.sent_to("-1002")) == 1

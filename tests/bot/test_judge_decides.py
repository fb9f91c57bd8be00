"""With the judge on, its keep or drop stands for the day (its reason in the post, in both
languages), except where a paper-type or family rule excludes the paper."""

from __future__ import annotations

import asyncio
import json

import pytest

from paperwire.bot.cli import main
from paperwire.bot.sample import SAMPLE_DIR
from tests.fakes.llm import FakeLLM

SOURCE = str(SAMPLE_DIR / "2026-02-20.json")
# An editor's answers for the sample day: two of the rules' picks go, the two papers the
# rules put just below the cut come in, and a technical report is "kept" by mistake.
KEEP = {"2602.14417", "2602.14690", "2602.14761", "2602.14978", "2602.15023", "2602.15106", "2602.14220"}
DROPPED = {"2602.14852": "a narrow terminal tool", "2602.14533": "close to earlier work"}


def verdicts() -> str:
    papers = json.loads((SAMPLE_DIR / "2026-02-20.json").read_text())
    answers = []
    for item in papers:
        arxiv_id = item["paper"]["id"]
        reason = DROPPED.get(arxiv_id, "off the focus topics")
        answers.append(
            {"arxiv_id": arxiv_id, "topic": "none", "keep": arxiv_id in KEEP,
             "reason_en": "fits" if arxiv_id in KEEP else reason,
             "reason_zh": "符合方向" if arxiv_id in KEEP else f"不收录：{reason}"}
        )
    return json.dumps({"verdicts": answers})


def picks_of(post: str, heading: str) -> set[str]:
    papers = post.split(heading)[0]
    return {arxiv_id for arxiv_id in KEEP | set(DROPPED) if f"arxiv.org/abs/{arxiv_id}" in papers}


async def test_the_editors_answers_give_the_editors_picks(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    async with FakeLLM() as llm:
        llm.say(verdicts())
        monkeypatch.setenv("PAPERWIRE_LLM__BASE_URL", llm.base_url)
        monkeypatch.setenv("PAPERWIRE_LLM__API_KEY", "sk-test")
        monkeypatch.setenv("PAPERWIRE_LLM__JUDGE", "true")
        assert await asyncio.to_thread(main, ["digest", "--date", "2026-02-20", "--source", SOURCE]) == 0
        english = capsys.readouterr().out
        assert await asyncio.to_thread(main, ["digest", "--date", "2026-02-20", "--source", SOURCE, "--lang", "zh"]) == 0
        chinese = capsys.readouterr().out
    six = KEEP - {"2602.14220"}  # the technical report stays excluded by its paper-type rule
    assert picks_of(english, "## Excluded papers") == six
    assert picks_of(chinese, "## 排除论文说明") == six
    excluded_en = english.split("## Excluded papers")[1]
    excluded_zh = chinese.split("## 排除论文说明")[1]
    assert "the judge: a narrow terminal tool" in excluded_en
    assert "评审：不收录：close to earlier work" in excluded_zh
    assert "Kestrel-2 Technical Report" in excluded_en and "the judge" not in excluded_en.split("Kestrel-2")[1].split("\n")[0]

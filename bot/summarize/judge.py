"""An optional LLM judge for curation: one batched call over the day's titles and summaries.

It proposes a topic and keep/drop with a reason for each paper; `merge_judgement` folds
that into the rule scores. The judge only advises: on any failure it returns None and the
rules alone decide, and family exclusions stay with the rules whatever it says.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

import openai
from pydantic import BaseModel, ValidationError, field_validator

from paperwire.bot.models import LocalizedText, Paper
from paperwire.bot.summarize.budget import TokenBudget
from paperwire.bot.summarize.llm import BudgetExhausted, Refusal, ServerDialect, TokenUsage, ask_json, parse_json_object

log = logging.getLogger(__name__)

JUDGE_PROMPT_VERSION = "judge-1"
NO_TOPIC = "none"
MAX_SUMMARY_CHARS = 400
MAX_REASON_CHARS = 200

_SYSTEM = (
    "You help curate a daily digest of new AI research papers for a research group.\n"
    "The group follows these topics (id: description):\n{topics}\n"
    "For every paper the user lists, decide whether it belongs in the digest: keep it when it "
    "makes a substantial contribution to one of the topics; drop it when it is off-topic, a "
    "technical report, survey or user study, a narrow application, or close to earlier work.\n"
    "Judge only from the title and summary given. Answer with one JSON object and nothing else: "
    '{"verdicts": [{"arxiv_id": "...", "topic": "<topic id or none>", "keep": true|false, '
    '"reason_en": "<short reason in English>", "reason_zh": "<同一理由的简体中文>"}]}, '
    "one verdict per paper, in the order given."
)


class JudgeVerdict(BaseModel):
    """The judge's advice on one paper."""

    arxiv_id: str
    topic: str | None = None
    keep: bool
    reason_en: str = ""
    reason_zh: str = ""

    @field_validator("reason_en", "reason_zh")
    @classmethod
    def _short(cls, value: str) -> str:
        # A reason is a table cell in the digest; a rambling one is cut, not refused.
        value = " ".join(value.split())
        return value if len(value) <= MAX_REASON_CHARS else value[: MAX_REASON_CHARS - 1] + "…"

    @property
    def reason(self) -> LocalizedText:
        return {"en": self.reason_en, "zh": self.reason_zh or self.reason_en}


class _JudgeAnswer(BaseModel):
    verdicts: list[JudgeVerdict]


def _response_format(topic_ids: Sequence[str]) -> dict[str, Any]:
    verdict = {
        "type": "object",
        "properties": {
            "arxiv_id": {"type": "string"},
            "topic": {"type": "string", "enum": [*topic_ids, NO_TOPIC]},
            "keep": {"type": "boolean"},
            "reason_en": {"type": "string"},
            "reason_zh": {"type": "string"},
        },
        "required": ["arxiv_id", "topic", "keep", "reason_en", "reason_zh"],
        "additionalProperties": False,
    }
    schema = {
        "type": "object",
        "properties": {"verdicts": {"type": "array", "items": verdict}},
        "required": ["verdicts"],
        "additionalProperties": False,
    }
    return {"type": "json_schema", "json_schema": {"name": "curation_verdicts", "strict": True, "schema": schema}}


def judge_messages(
    papers: Sequence[Paper], topic_ids: Sequence[str], topic_descriptions: Mapping[str, str] | None = None
) -> list[dict[str, str]]:
    """The one batched request: the topics, then one line per paper (title and summary)."""
    descriptions = topic_descriptions or {}
    topics = "\n".join(f"- {topic}: {descriptions.get(topic, topic)}" for topic in topic_ids)
    lines = []
    for paper in papers:
        summary = (paper.ai_summary or paper.abstract or "").strip().replace("\n", " ")
        if len(summary) > MAX_SUMMARY_CHARS:
            summary = summary[:MAX_SUMMARY_CHARS].rsplit(" ", 1)[0] + "…"
        lines.append(f"[{paper.arxiv_id}] {paper.title.strip()} — {summary}")
    return [
        {"role": "system", "content": _SYSTEM.replace("{topics}", topics)},
        {"role": "user", "content": "Papers of the day:\n" + "\n".join(lines)},
    ]


async def judge_day(
    client: openai.AsyncOpenAI,
    model: str,
    papers: Sequence[Paper],
    topic_ids: Sequence[str],
    *,
    topic_descriptions: Mapping[str, str] | None = None,
    budget: TokenBudget | None = None,
    dialect: ServerDialect | None = None,
    usage: TokenUsage | None = None,
) -> dict[str, JudgeVerdict] | None:
    """Verdicts by arXiv id for the day's papers, or None on any failure (the rules then decide).

    Papers the answer leaves out get no verdict; a topic outside `topic_ids` becomes None.
    Tokens spent are added to `usage` and committed to `budget` when given.
    """
    if not papers:
        return {}
    usage = usage if usage is not None else TokenUsage()
    known = {paper.arxiv_id for paper in papers}
    try:
        content = await ask_json(
            client,
            model,
            judge_messages(papers, topic_ids, topic_descriptions),
            response_format=_response_format(topic_ids),
            dialect=dialect or ServerDialect(),
            max_tokens=min(200 + 90 * len(papers), 16_000),
            usage=usage,
            budget=budget,
        )
        answer = _JudgeAnswer.model_validate(parse_json_object(content))
    except (openai.OpenAIError, BudgetExhausted, Refusal, ValueError, ValidationError) as error:
        log.warning("curation judge failed (%s: %s); the rules alone decide", type(error).__name__, error)
        return None
    verdicts: dict[str, JudgeVerdict] = {}
    for verdict in answer.verdicts:
        if verdict.arxiv_id not in known:
            continue
        if verdict.topic not in topic_ids:
            verdict = verdict.model_copy(update={"topic": None})
        verdicts[verdict.arxiv_id] = verdict
    if not verdicts:
        log.warning("curation judge named none of the day's papers; the rules alone decide")
        return None
    return verdicts


def merge_judgement(
    curation_scores: Mapping[str, float],
    verdicts: Mapping[str, JudgeVerdict] | None,
    *,
    weight: float = 0.3,
) -> dict[str, float]:
    """Rule scores nudged by the judge: keep raises a score by `weight` of itself, drop lowers it.

    Scale-free, so it works whatever range the rules score in; a paper the rules scored 0
    (no topic, or an excluded family) stays at 0, so the judge can reorder but not resurrect.
    Papers without a verdict, and every paper when `verdicts` is None, keep their rule score.
    """
    if not 0 <= weight <= 1:
        raise ValueError("weight must be between 0 and 1")
    merged = dict(curation_scores)
    for arxiv_id, score in curation_scores.items():
        verdict = (verdicts or {}).get(arxiv_id)
        if verdict is not None:
            merged[arxiv_id] = score + weight * abs(score) * (1 if verdict.keep else -1)
    return merged

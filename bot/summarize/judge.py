"""An optional LLM judge for curation: one batched call over the day's titles and summaries.

It proposes a topic and keep/drop with a reason for each paper, and `apply_verdicts` makes
that decision stand: a kept paper is picked and a dropped one excluded with the judge's
reason, unless a paper-type or family rule excluded it. On any failure the judge returns
None and the rules alone decide.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import openai
from pydantic import BaseModel, ValidationError, field_validator

from paperwire.bot.models import Curation, Exclusion, LocalizedText, Paper, Pick
from paperwire.bot.summarize.base import LLMSpend
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


@dataclass(slots=True)
class JudgeReport:
    """The judge's verdicts on a day (None when it failed) and what asking cost."""

    verdicts: dict[str, JudgeVerdict] | None
    spend: LLMSpend = field(default_factory=LLMSpend)

    def record(self) -> dict[str, Any]:
        """What is kept with the day's curation: the spend, and every verdict with its reason."""
        verdicts = None
        if self.verdicts is not None:
            verdicts = {arxiv_id: verdict.model_dump(exclude={"arxiv_id"}) for arxiv_id, verdict in self.verdicts.items()}
        return {**self.spend.as_dict("judge"), "verdicts": verdicts}


# Exclusions the judge cannot overturn: the paper-type and family rules, and repeats.
RULE_LOCKED: frozenset[str] = frozenset({"family", "paper_type", "picked_before"})
LIFTED_STARS = 2
# Order of the exclusion table: near misses, the judge's drops, rule exclusions, the rest.
_GROUP = {"topic_cap": 0, "below_cut": 0, "judge": 1, "family": 2, "paper_type": 2, "no_topic": 3, "picked_before": 4}


def apply_verdicts(
    curation: Curation,
    verdicts: Mapping[str, JudgeVerdict],
    *,
    max_papers: int,
    per_topic_cap: int,
) -> Curation:
    """The rules' curation with the judge's keep or drop standing for every paper it judged.

    A paper the judge keeps is picked (best rule score first, within `max_papers` and the
    per-topic cap) and one it drops is excluded with the judge's reason, unless a paper-type
    or family rule (or an earlier pick) excluded it: those stay as the rules said. Papers the
    judge left out keep the rules' decision. Deterministic for the same verdicts.
    """
    wanted: list[Pick] = []
    rule_candidates: list[Pick] = []
    excluded: list[Exclusion] = []
    for pick in curation.picks:
        verdict = verdicts.get(pick.paper.arxiv_id)
        if verdict is not None and not verdict.keep:
            excluded.append(_dropped(pick.paper, verdict, pick.score, pick.topic))
        else:
            wanted.append(pick)
    for pick in curation.candidates:
        verdict = verdicts.get(pick.paper.arxiv_id)
        if verdict is None:
            rule_candidates.append(pick)
        elif verdict.keep:
            wanted.append(pick)
        # a dropped candidate already has its rule exclusion, replaced below
    candidate_ids = {pick.paper.arxiv_id for pick in curation.candidates}
    for exclusion in curation.exclusions:
        verdict = verdicts.get(exclusion.paper.arxiv_id)
        if verdict is None or exclusion.kind in RULE_LOCKED:
            excluded.append(exclusion)
            continue
        if not verdict.keep:
            excluded.append(_dropped(exclusion.paper, verdict, exclusion.score, exclusion.topic))
            continue
        if exclusion.paper.arxiv_id in candidate_ids:
            continue  # its Pick is in `wanted` already
        topic = exclusion.topic or verdict.topic
        if topic is None:  # kept, but neither the rules nor the judge name a topic to file it under
            excluded.append(exclusion)
            continue
        wanted.append(Pick(exclusion.paper, topic=topic, score=exclusion.score, stars=LIFTED_STARS, rank=0))
    picks, overflow = _fill(wanted, max_papers, per_topic_cap)
    excluded += [_overflowed(pick, per_topic_cap, topic_full) for pick, topic_full in overflow]
    excluded.sort(key=lambda e: (_GROUP.get(e.kind, len(_GROUP)), -e.score, e.paper.arxiv_id))
    rest = sorted([pick for pick, _ in overflow] + rule_candidates, key=lambda p: (-p.score, p.paper.arxiv_id))
    candidates = [replace(pick, rank=len(picks) + number) for number, pick in enumerate(rest, start=1)]
    return Curation(list_day=curation.list_day, picks=picks, exclusions=excluded, candidates=candidates)


def _fill(
    wanted: list[Pick], max_papers: int, per_topic_cap: int
) -> tuple[list[Pick], list[tuple[Pick, bool]]]:
    """Kept papers best first into the picks; the rest with whether their topic was full."""
    picks: list[Pick] = []
    overflow: list[tuple[Pick, bool]] = []
    per_topic: Counter[str] = Counter()
    for pick in sorted(wanted, key=lambda p: (-p.score, p.rank or 10**6, p.paper.arxiv_id)):
        if len(picks) >= max_papers:
            overflow.append((pick, False))
        elif per_topic[pick.topic] >= per_topic_cap:
            overflow.append((pick, True))
        else:
            per_topic[pick.topic] += 1
            picks.append(replace(pick, rank=len(picks) + 1))
    return picks, overflow


def _dropped(paper: Paper, verdict: JudgeVerdict, score: float, topic: str | None) -> Exclusion:
    reason = verdict.reason
    return Exclusion(
        paper=paper,
        kind="judge",
        reason={
            "en": f"the judge: {reason['en'] or 'not a fit for the digest'}",
            "zh": f"评审：{reason['zh'] or '不适合收录'}",
        },
        score=score,
        topic=topic,
    )


def _overflowed(pick: Pick, per_topic_cap: int, topic_full: bool) -> Exclusion:
    if topic_full:
        reason = {
            "en": f"kept by the judge, but its topic already has {per_topic_cap} stronger picks",
            "zh": f"评审建议保留，但该方向已有 {per_topic_cap} 篇更强的入选",
        }
        return Exclusion(paper=pick.paper, kind="topic_cap", reason=reason, score=pick.score, topic=pick.topic)
    reason = {
        "en": "kept by the judge, but the day's picks were full with stronger papers",
        "zh": "评审建议保留，但当日入选名额已满",
    }
    return Exclusion(paper=pick.paper, kind="below_cut", reason=reason, score=pick.score, topic=pick.topic)

"""Invented papers and digests for formatter tests: `make_paper`, `make_card`, `make_digest`.

Nothing here comes from real API data; titles and abstracts are made up.
"""

from __future__ import annotations

from datetime import date, datetime

import pytest

from paperwire.bot.models import Card, Digest, DigestEntry, Exclusion, Language, Paper, Pick, TopicTrend

LIST_DAY = date(2026, 2, 20)
PUBLISHED = date(2026, 2, 21)
GENERATED_AT = datetime(2026, 2, 21, 9, 0)
HOSTILE_TITLE = "Pipe|Dream <script>alert('x')</script>: *Bold* _claims_ [link](http://evil) # 100% `code`"

TOPIC_NAMES: dict[str, dict[str, str]] = {
    "en": {"agentic-rl": "Agentic RL", "efficient-llm": "Efficient LLM", "world-models": "World models"},
    "zh": {"agentic-rl": "智能体强化学习", "efficient-llm": "高效大模型", "world-models": "世界模型"},
}


def make_paper(number: int = 1, **fields: object) -> Paper:
    """An invented paper; `number` makes the id and default title unique."""
    values: dict[str, object] = {
        "arxiv_id": f"2602.{10000 + number}",
        "title": f"Paper{number}: Learning Invented Things at Scale",
        "abstract": f"We propose Paper{number}, an invented method. It improves accuracy by {number}.5%.",
        "authors": [f"Author {number}A", f"Author {number}B"],
        "list_day": LIST_DAY,
        "upvotes": 10 * number,
    }
    values.update(fields)
    return Paper(**values)  # type: ignore[arg-type]


def make_card(**fields: object) -> Card:
    """A card with every field filled; pass a field as "" or [] to leave it out."""
    values: dict[str, object] = {
        "one_liner": "An invented method that learns invented things.",
        "core_innovation": "We propose an invented method.",
        "innovation_points": ["A first invented module.", "A second invented loss."],
        "results": ["Improves accuracy by 9.8% on InventedBench.", "Runs 16.2x faster."],
        "key_insight": "We find that invented things are learnable.",
        "fits": "Useful for invented tasks.",
        "limitations": "Our method is limited to English.",
        "next_action": "Code is available at https://github.com/example/invented.",
        "method": "extractive",
    }
    values.update(fields)
    return Card(**values)  # type: ignore[arg-type]


def make_entry(
    number: int = 1,
    *,
    topic: str = "agentic-rl",
    stars: int = 3,
    paper: Paper | None = None,
    card: Card | None = None,
) -> DigestEntry:
    paper = paper or make_paper(number)
    pick = Pick(paper=paper, topic=topic, score=10.0 - number, stars=stars, rank=number)
    return DigestEntry(pick=pick, card=card or make_card())


def make_exclusion(
    number: int,
    *,
    title: str | None = None,
    reason_en: str = "image/video generation, outside the topics",
    reason_zh: str = "图像/视频生成，偏离核心方向",
) -> Exclusion:
    paper = make_paper(100 + number, **({"title": title} if title is not None else {}))
    return Exclusion(paper=paper, kind="family", reason={"en": reason_en, "zh": reason_zh}, family="diffusion-generation")


def make_digest(
    language: Language = "en",
    *,
    entries: list[DigestEntry] | None = None,
    exclusions: list[Exclusion] | None = None,
    trends: list[TopicTrend] | None = None,
    only_topics: list[str] | None = None,
) -> Digest:
    """A digest of three picks in two topics, two exclusions and some trend history."""
    if entries is None:
        entries = [
            make_entry(1, topic="agentic-rl", stars=3),
            make_entry(2, topic="efficient-llm", stars=2),
            make_entry(3, topic="agentic-rl", stars=2),
        ]
    if exclusions is None:
        exclusions = [make_exclusion(1), make_exclusion(2, reason_en="a technical report", reason_zh="技术报告")]
    if trends is None:
        trends = [
            # six earlier days stored: enough to say what is usual
            TopicTrend("agentic-rl", picked=2, listed=5, picked_avg=0.5, listed_avg=4.2, picked_days=6, listed_days=6),  # busier
            TopicTrend("efficient-llm", picked=1, listed=3, picked_avg=1.2, listed_avg=3.0, picked_days=6, listed_days=6),  # as usual
            TopicTrend("world-models", picked=0, listed=2, picked_avg=2.0, listed_avg=2.5, picked_days=6, listed_days=6),  # quieter
        ]
    return Digest(
        list_day=LIST_DAY,
        published=PUBLISHED,
        language=language,
        entries=entries,
        exclusions=exclusions,
        trends=trends,
        topic_names=dict(TOPIC_NAMES[language]),
        generated_at=GENERATED_AT,
        only_topics=only_topics or [],
    )


@pytest.fixture(params=["en", "zh"])
def language(request: pytest.FixtureRequest) -> Language:
    """Run a test once per digest language."""
    return request.param

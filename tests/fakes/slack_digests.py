"""Invented digests for the Slack tests: ordinary ones and ones full of hostile text.

Every title, author and sentence here is made up; nothing comes from real API data.
"""

from __future__ import annotations

from datetime import date, datetime, timezone

from paperwire.bot.models import Card, Digest, DigestEntry, Exclusion, Language, Paper, Pick

TOPIC_NAMES: dict[str, dict[str, str]] = {
    "en": {"efficient-llm": "Efficient LLM", "agentic-rl": "Agentic RL", "vla": "VLA"},
    "zh": {"efficient-llm": "高效大模型", "agentic-rl": "智能体强化学习", "vla": "视觉语言动作"},
}
TOPICS = ("efficient-llm", "agentic-rl", "vla")

LONG_TITLE = "Quasi-Linear Sparse Routing for Extremely Long Contexts " * 8  # about 450 characters
LONG_ABSTRACT = ("We study a made-up routing scheme & report invented numbers < 3% > 1x. " * 80)[:5000]
HOSTILE_TITLE = "<script>alert(1)</script> & <@U123> <!channel> <https://evil.example|click> R&D"
RTL_TEXT = "نموذج لغوي صغير للاستدلال السريع — מודל שפה קטן"
EMOJI_TEXT = "🚀 Fast 🧠 reasoning 👩‍🔬 with 🇺🇳 flags and 🙂 faces"


def make_paper(number: int = 1, **overrides: object) -> Paper:
    """A plausible invented paper; `number` makes ids and titles distinct."""
    values: dict[str, object] = {
        "arxiv_id": f"2602.{10000 + number:05d}",
        "title": f"TinyRouter-{number}: Cheap Token Routing for Small Language Models",
        "abstract": "We propose an invented routing method that skips layers for easy tokens.",
        "authors": ["Ada Example", "Bo Placeholder", "Chen Imaginary"],
        "list_day": date(2026, 2, 20),
        "upvotes": 10 + number,
        "github_repo": f"https://github.com/example/tinyrouter-{number}",
    }
    values.update(overrides)
    return Paper(**values)  # type: ignore[arg-type]


def make_card(**overrides: object) -> Card:
    values: dict[str, object] = {
        "one_liner": "Routes easy tokens past most layers to save compute.",
        "core_innovation": "A learned gate decides per token how many layers to run.",
        "innovation_points": ["A per-token depth gate", "A distillation loss for the gate"],
        "results": ["Fewer layers run on average in the invented setup"],
        "key_insight": "Most tokens need little depth.",
        "fits": "Serving small models on modest hardware",
        "limitations": "Only tested on the invented benchmark",
        "next_action": "Try the gate on a local model",
    }
    values.update(overrides)
    return Card(**values)  # type: ignore[arg-type]


def make_entry(number: int = 1, *, paper: Paper | None = None, card: Card | None = None, stars: int = 3) -> DigestEntry:
    paper = paper or make_paper(number)
    pick = Pick(paper=paper, topic=TOPICS[(number - 1) % len(TOPICS)], score=1.0 / number, stars=stars, rank=number)
    return DigestEntry(pick=pick, card=card or make_card())


def make_exclusion(
    number: int, *, reason: str = "image/video generation, outside the topics", **paper_fields: object
) -> Exclusion:
    paper = make_paper(100 + number, **paper_fields)
    return Exclusion(
        paper=paper,
        kind="family",
        reason={"en": reason, "zh": "图像/视频生成，偏离核心方向"},
        family="diffusion-generation",
    )


def make_digest(
    entries: list[DigestEntry] | None = None,
    *,
    language: Language = "en",
    exclusions: list[Exclusion] | None = None,
    only_topics: list[str] | None = None,
) -> Digest:
    return Digest(
        list_day=date(2026, 2, 20),
        published=date(2026, 2, 21),
        language=language,
        entries=entries if entries is not None else [make_entry(number) for number in range(1, 7)],
        exclusions=exclusions if exclusions is not None else [make_exclusion(number) for number in range(3)],
        trends=[],
        topic_names=TOPIC_NAMES[language],
        generated_at=datetime(2026, 2, 21, 8, 30, tzinfo=timezone.utc),
        only_topics=only_topics or [],
    )


def hostile_entries() -> list[DigestEntry]:
    """Entries built to break a renderer: injection, huge text, RTL, emoji, empty fields."""
    injection = make_entry(
        1,
        paper=make_paper(1, title=HOSTILE_TITLE, authors=["<@U999>", "A & B", "<!here>"], github_repo="evil|repo>"),
        card=make_card(
            one_liner="Uses <!everyone> & <#C123> to <https://x.example|trick> readers",
            core_innovation="A > B & C < D, with *bold* and _under_ and `code` left as typed",
            results=["<script>alert('x')</script>", "AT&T-style & bare ampersands"],
        ),
    )
    huge = make_entry(
        2,
        paper=make_paper(2, title=LONG_TITLE, abstract=LONG_ABSTRACT, authors=[f"Author {n}" for n in range(300)]),
        card=make_card(
            core_innovation=LONG_ABSTRACT,
            innovation_points=[LONG_ABSTRACT[:1500], LONG_ABSTRACT[:2999]],
            results=[LONG_ABSTRACT] * 12,
            key_insight=LONG_ABSTRACT,
            fits=LONG_ABSTRACT,
        ),
    )
    unbroken = make_entry(
        3,
        paper=make_paper(3, title="长" * 400),
        card=make_card(core_innovation="稀疏注意力" * 1500, results=["&" * 4000, "<" * 3500]),
        stars=2,
    )
    rtl = make_entry(4, paper=make_paper(4, title=RTL_TEXT * 3), card=make_card(key_insight=RTL_TEXT * 100))
    emoji = make_entry(
        5,
        paper=make_paper(5, title=EMOJI_TEXT * 6, github_repo="example/emoji-repo"),
        card=make_card(one_liner=EMOJI_TEXT, results=[EMOJI_TEXT * 80]),
    )
    sparse = make_entry(
        6,
        paper=make_paper(6, title="   ", authors=[], github_repo=None),
        card=Card(one_liner="Only a one-liner is known."),
    )
    return [injection, huge, unbroken, rtl, emoji, sparse]

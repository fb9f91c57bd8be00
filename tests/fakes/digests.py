"""Invented papers and digests for formatter and delivery tests; no real paper text."""

from __future__ import annotations

from datetime import date, datetime, timezone

from paperwire.bot.models import Card, Digest, DigestEntry, Exclusion, Language, Paper, Pick, TopicTrend

LIST_DAY = date(2026, 2, 20)
TOPIC_NAMES: dict[str, dict[str, str]] = {
    "en": {"efficient-llm": "Efficient LLM", "agentic-rl": "Agentic RL", "vla": "VLA"},
    "zh": {"efficient-llm": "高效大模型", "agentic-rl": "智能体强化学习", "vla": "视觉-语言-动作"},
}
_TOPICS = list(TOPIC_NAMES["en"])

# Text a careless formatter would break: tags, bare ampersands, references, RTL, emoji.
HOSTILE_TITLE = 'Q<script>alert("x")</script>: Why <b>Bold & Brave</b> Agents Fail &amp; Recover'
HOSTILE_SNIPPETS = [
    "Scores rise when a < b and c > d, unlike <b>unbalanced tags",
    "Rock & Roll &nbsp; &lt;not a tag&gt; &#x1F600; &#0; &",
    "مرحبا بالعالم: نموذج لغوي صغير يعمل على الهاتف",
    "Emoji everywhere 🚀🧠🤖 with astral 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 and a zero\u200bwidth joiner 👩‍🔬",
    "</i></b>closing tags first <br> and <a href='javascript:alert(1)'>a link</a>",
    "A NUL\x00, a bell\x07 and a lone \ud800 surrogate,\r\nthen a new line",
]


def make_paper(number: int = 1, *, title: str | None = None, abstract: str | None = None, **fields: object) -> Paper:
    """An invented paper with an id like 2602.0000N."""
    paper = Paper(
        arxiv_id=f"2602.{number:05d}",
        title=title if title is not None else f"Paper{number}: An Invented Method for Sparse Things {number}",
        abstract=abstract if abstract is not None else f"We invent method {number}. It improves a made-up score.",
        authors=[f"Author {number}-{i}" for i in range(3)],
        list_day=LIST_DAY,
        upvotes=10 + number,
        github_repo=f"https://github.com/example/paper{number}",
    )
    for name, value in fields.items():
        setattr(paper, name, value)
    return paper


def make_card(number: int = 1, *, text: str | None = None, length: int = 0) -> Card:
    """A filled card; `text` goes into every field, `length` pads the key insight."""
    base = text if text is not None else f"Invented finding {number} holds on a made-up benchmark"
    return Card(
        one_liner=f"{base} (one-liner)",
        core_innovation=f"{base} (core)",
        innovation_points=[f"{base} (point {i})" for i in (1, 2, 3)],
        results=[f"{base} (result {i})" for i in (1, 2)],
        key_insight=(f"{base} (insight) " + "word " * (length // 5)).strip(),
        fits=f"{base} (fits)",
        limitations=f"{base} (limits)",
        next_action=f"{base} (next)",
    )


def make_entry(number: int = 1, *, paper: Paper | None = None, card: Card | None = None, stars: int = 3) -> DigestEntry:
    paper = paper or make_paper(number)
    pick = Pick(paper=paper, topic=_TOPICS[(number - 1) % len(_TOPICS)], score=1.0 / number, stars=stars, rank=number)
    return DigestEntry(pick=pick, card=card or make_card(number))


def make_exclusion(number: int, *, title: str | None = None, reason: str | None = None) -> Exclusion:
    paper = make_paper(100 + number, title=title)
    text = reason or f"invented reason {number}"
    return Exclusion(paper=paper, kind="below_cut", reason={"en": text, "zh": f"{text}（中文）"})


def make_digest(language: Language = "en", n_papers: int = 3, *, hostile: bool = False, n_excluded: int = 2) -> Digest:
    """A digest of invented papers; `hostile` fills every text field with text that breaks HTML."""
    entries = []
    for number in range(1, n_papers + 1):
        if hostile:
            text = HOSTILE_SNIPPETS[(number - 1) % len(HOSTILE_SNIPPETS)]
            authors = ["O'Brien <ob@example.org>", "A & B"]
            paper = make_paper(number, title=HOSTILE_TITLE, abstract=text, authors=authors)
            entries.append(make_entry(number, paper=paper, card=make_card(number, text=text)))
        else:
            entries.append(make_entry(number, stars=3 if number % 2 else 2))
    exclusions = [make_exclusion(number) for number in range(1, n_excluded + 1)]
    return Digest(
        list_day=LIST_DAY,
        published=date(2026, 2, 21),
        language=language,
        entries=entries,
        exclusions=exclusions,
        trends=[TopicTrend("efficient-llm", 2, 5, 1.4, 4.1, 6, 6), TopicTrend("agentic-rl", 1, 4, 2.0, 3.8, 6, 6)],
        topic_names=TOPIC_NAMES[language],
        generated_at=datetime(2026, 2, 21, 9, 0, tzinfo=timezone.utc),
    )

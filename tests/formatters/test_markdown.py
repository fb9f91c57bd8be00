"""The Markdown blog post, section by section, in both languages."""

from __future__ import annotations

import re
from datetime import date

import pytest
import yaml

from paperwire.bot.models import Digest, Language, TopicTrend
from paperwire.formatters.labels import label, stars
from paperwire.formatters.markdown import render_markdown
from paperwire.formatters.text import join_list, short_name, trend_observations
from tests.formatters.conftest import (
    HOSTILE_TITLE,
    make_card,
    make_digest,
    make_entry,
    make_exclusion,
    make_paper,
)

_CELL_SPLIT = re.compile(r"(?<!\\)\|")


# The reference writes the Chinese title's date as 2026年02月21日.
TITLE = {"en": "Daily AI Papers - 2026-02-21", "zh": "Daily AI Papers - 2026年02月21日"}


def front_matter(markdown: str) -> tuple[dict[str, object], list[str]]:
    """The parsed front matter (and its keys in order) of a post."""
    assert markdown.startswith("---\n")
    end = markdown.index("\n---\n", 4)
    block = markdown[4:end]
    keys = [line.split(":", 1)[0] for line in block.splitlines()]
    return yaml.safe_load(block), keys


def body(markdown: str) -> str:
    return markdown[markdown.index("\n---\n", 4) + 5 :]


def headings(markdown: str) -> list[str]:
    return [line for line in body(markdown).splitlines() if line.startswith("#")]


def section(markdown: str, heading: str) -> str:
    """The text under `## heading`, up to the next `## ` heading or the footer rule."""
    text = body(markdown)
    start = text.index(f"## {heading}\n")
    rest = text[start + len(heading) + 4 :]
    ends = [index for index in (rest.find("\n## "), rest.find("\n---\n")) if index >= 0]
    return rest[: min(ends)] if ends else rest


def paper_sections(markdown: str, language: Language) -> list[str]:
    papers = section(markdown, label(language, "papers"))
    return re.split(r"\n(?=### \d+\. )", papers.strip())


def table_rows(text: str) -> list[list[str]]:
    """The data rows of the one table in `text`, each split into cells on unescaped pipes."""
    lines = [line for line in text.splitlines() if line.startswith("|")]
    assert len(lines) >= 2, text
    assert set(lines[1].replace(" ", "")) <= {"|", "-"}
    rows = []
    for line in lines[2:]:
        assert line.endswith("|")
        rows.append([cell.strip() for cell in _CELL_SPLIT.split(line)[1:-1]])
    return rows


def header_cells(text: str) -> list[str]:
    line = next(line for line in text.splitlines() if line.startswith("|"))
    return [cell.strip() for cell in _CELL_SPLIT.split(line)[1:-1]]


# ---------------------------------------------------------------- front matter and title


def test_front_matter_keys_and_values(language: Language) -> None:
    digest = make_digest(language)
    data, keys = front_matter(render_markdown(digest))
    names = [digest.topic_names["agentic-rl"], digest.topic_names["efficient-llm"]]
    assert keys == ["title", "published", "description", "tags", "category", "draft"]
    assert data == {
        "title": TITLE[language],
        "published": date(2026, 2, 21),
        "description": label(language, "description", count=3, topics=join_list(names, language)),
        "tags": names,
        "category": "Papers",
        "draft": False,
    }


def test_front_matter_stays_valid_yaml_with_hostile_topic_names(language: Language) -> None:
    digest = make_digest(language)
    digest.topic_names["agentic-rl"] = 'Agents: "RL" #1 ] [ {x} \\ \u2028 line\x85 end'
    data, _ = front_matter(render_markdown(digest))
    assert data["tags"][0] == 'Agents: "RL" #1 ] [ {x} \\ line end'
    assert 'Agents: "RL"' in data["description"]


def test_headings_in_order(language: Language) -> None:
    digest = make_digest(language)
    markdown = render_markdown(digest)
    titles = [entry.paper.title for entry in digest.entries]
    assert headings(markdown) == [
        f"# {TITLE[language]}",
        f"## {label(language, 'preview')}",
        f"## {label(language, 'papers')}",
        f"### 1. {titles[0]}",
        f"### 2. {titles[1]}",
        f"### 3. {titles[2]}",
        f"## {label(language, 'excluded')}",
        f"## {label(language, 'summary')}",
        f"## {label(language, 'trends')}",
    ]


def test_zh_uses_chinese_labels() -> None:
    markdown = render_markdown(make_digest("zh"))
    for word in ("今日预览", "论文详解", "排除论文说明", "总结", "今日趋势观察", "作者", "链接", "方向",
                 "核心创新", "实验结果", "关键洞察", "适合场景", "局限性", "必读", "可选", "来源"):
        assert word in markdown
    for word in ("Preview", "Authors", "Core innovation", "Must read", "Generated on"):
        assert word not in markdown


def test_only_topics_line_under_the_title(language: Language) -> None:
    digest = make_digest(language, only_topics=["agentic-rl", "world-models"])
    lines = body(render_markdown(digest)).strip().splitlines()
    names = join_list([digest.topic_names["agentic-rl"], digest.topic_names["world-models"]], language)
    assert lines[0].startswith("# ")
    assert lines[2] == "> " + label(language, "only_topics", topics=names)


def test_no_only_topics_line_by_default(language: Language) -> None:
    markdown = render_markdown(make_digest(language))
    assert label(language, "only_topics", topics="X").split("X")[0] not in markdown


def test_topic_name_falls_back_to_the_id(language: Language) -> None:
    digest = make_digest(language, entries=[make_entry(1, topic="brand-new-topic")])
    markdown = render_markdown(digest)
    assert front_matter(markdown)[0]["tags"] == ["brand-new-topic"]
    assert f"**{label(language, 'topic')}**: brand-new-topic" in markdown


# ---------------------------------------------------------------- preview and papers


def test_preview_counts_topics_and_lists_each_paper(language: Language) -> None:
    digest = make_digest(language)
    digest.entries[1].card = make_card(one_liner="A second, different contribution.")
    text = section(render_markdown(digest), label(language, "preview"))
    names = join_list([digest.topic_names["agentic-rl"], digest.topic_names["efficient-llm"]], language)
    assert label(language, "preview_line", count=3, topics=names) in text
    bullets = [line for line in text.splitlines() if line.startswith("- ")]
    if language == "zh":  # English excerpts in a Chinese post: the line names the topic instead
        topics = [digest.topic_names[entry.pick.topic] for entry in digest.entries]
        assert bullets == [f"- **Paper{n}**: {topic}" for n, topic in enumerate(topics, 1)]
        return
    assert bullets == [
        "- **Paper1**: An invented method that learns invented things.",
        "- **Paper2**: A second, different contribution.",
        "- **Paper3**: An invented method that learns invented things.",
    ]


def test_paper_section_has_every_part(language: Language) -> None:
    digest = make_digest(language)
    first = paper_sections(render_markdown(digest), language)[0]
    paper = digest.entries[0].paper
    assert first.startswith(f"### 1. {paper.title}\n")
    assert f"**{label(language, 'authors')}**: Author 1A, Author 1B" in first
    assert f"**{label(language, 'link')}**: [arXiv](https://arxiv.org/abs/{paper.arxiv_id})" in first
    assert f"**{label(language, 'topic')}**: {digest.topic_names['agentic-rl']}" in first
    assert stars(3, language) in first
    assert f"**{label(language, 'core_innovation')}**: We propose an invented method." in first
    assert "1. A first invented module.\n2. A second invented loss." in first
    assert f"**{label(language, 'results')}**:" in first
    assert "- Improves accuracy by 9.8% on InventedBench.\n- Runs 16.2x faster." in first
    assert f"**{label(language, 'key_insight')}**: We find that invented things are learnable." in first
    assert f"**{label(language, 'takeaways')}**:" in first
    assert f"- ✅ **{label(language, 'fits')}**: Useful for invented tasks." in first
    assert f"- ⚠️ **{label(language, 'limitations')}**: Our method is limited to English." in first
    assert f"- 📌 **{label(language, 'next_action')}**: Code is available at" in first
    assert label(language, "summary_extractive") in first
    # The parts come in the digest's order.
    order = ["authors", "link", "topic", "core_innovation", "results", "key_insight", "takeaways"]
    positions = [first.index(f"**{label(language, key)}**") for key in order]
    assert positions == sorted(positions)


def test_stars_per_paper(language: Language) -> None:
    sections = paper_sections(render_markdown(make_digest(language)), language)
    assert stars(3, language) in sections[0]
    assert stars(2, language) in sections[1]
    assert stars(3, language) not in sections[1]


def test_missing_fields_leave_no_trace(language: Language) -> None:
    bare = make_card(core_innovation="", innovation_points=[], key_insight="", fits="", limitations="",
                     next_action="")
    fits_only = make_card(limitations="", next_action="", results=[], innovation_points=[])
    digest = make_digest(language, entries=[make_entry(1, card=bare), make_entry(2, card=fits_only)])
    first, second = paper_sections(render_markdown(digest), language)
    for key in ("core_innovation", "key_insight", "takeaways", "fits", "limitations", "next_action"):
        assert f"**{label(language, key)}**" not in first
    assert f"**{label(language, 'results')}**" in first
    assert f"**{label(language, 'core_innovation')}**: We propose an invented method.\n\n**" in second
    assert f"**{label(language, 'results')}**" not in second
    assert f"**{label(language, 'fits')}**" in second
    for key in ("limitations", "next_action"):
        assert f"**{label(language, key)}**" not in second
    assert "⚠️" not in second and "📌" not in second


def test_points_without_a_core_sentence_keep_their_label(language: Language) -> None:
    card = make_card(core_innovation="", innovation_points=["Only a point."])
    text = paper_sections(render_markdown(make_digest(language, entries=[make_entry(1, card=card)])), language)[0]
    assert f"**{label(language, 'core_innovation')}**:\n\n1. Only a point." in text


def test_llm_cards_say_so(language: Language) -> None:
    digest = make_digest(language, entries=[make_entry(1, card=make_card(method="llm"))])
    text = paper_sections(render_markdown(digest), language)[0]
    assert label(language, "summary_llm") in text
    assert label(language, "summary_extractive") not in text


def test_many_authors_are_cut(language: Language) -> None:
    paper = make_paper(1, authors=[f"Author {n}" for n in range(30)])
    text = render_markdown(make_digest(language, entries=[make_entry(1, paper=paper)]))
    line = next(line for line in text.splitlines() if line.startswith(f"**{label(language, 'authors')}**"))
    assert "Author 9" in line and "Author 10" not in line
    assert ("et al." if language == "en" else "等") in line


def test_no_authors_no_line(language: Language) -> None:
    paper = make_paper(1, authors=[])
    text = render_markdown(make_digest(language, entries=[make_entry(1, paper=paper)]))
    assert f"**{label(language, 'authors')}**" not in text


def test_code_link_only_for_a_real_repository(language: Language) -> None:
    entries = [
        make_entry(1, paper=make_paper(1, github_repo="https://github.com/example/repo")),
        make_entry(2, paper=make_paper(2, github_repo="javascript:alert(1)")),
        make_entry(3, paper=make_paper(3, github_repo="https://github.com/x/y) [evil](http://e")),
    ]
    first, second, third = paper_sections(render_markdown(make_digest(language, entries=entries)), language)
    code = label(language, "button_code")
    assert f"[{code}](https://github.com/example/repo)" in first
    assert f"[{code}](" not in second and "javascript" not in second
    # A "URL" with spaces is no repository: no code link, and nothing of it becomes a link.
    assert f"[{code}](" not in third and "](http://e" not in third


# ---------------------------------------------------------------- excluded, summary, trends, footer


def test_excluded_table_has_a_row_per_exclusion(language: Language) -> None:
    digest = make_digest(language, exclusions=[make_exclusion(n) for n in range(1, 6)])
    text = section(render_markdown(digest), label(language, "excluded"))
    assert header_cells(text) == [label(language, "paper"), label(language, "reason")]
    rows = table_rows(text)
    assert len(rows) == len(digest.exclusions) == 5
    for row, exclusion in zip(rows, digest.exclusions):
        assert row[0] == f"[{exclusion.paper.title}]({exclusion.paper.abs_url})"
        assert row[1] == exclusion.reason[language]


def test_excluded_reason_falls_back_to_english_then_kind() -> None:
    english_only = make_exclusion(1)
    english_only.reason = {"en": "only in English"}
    no_reason = make_exclusion(2)
    no_reason.reason = {}
    text = section(render_markdown(make_digest("zh", exclusions=[english_only, no_reason])), "排除论文说明")
    assert [row[1] for row in table_rows(text)] == ["only in English", "family"]


def test_no_exclusions_says_so(language: Language) -> None:
    text = section(render_markdown(make_digest(language, exclusions=[])), label(language, "excluded"))
    assert label(language, "excluded_none") in text
    assert "|" not in text


def test_summary_table(language: Language) -> None:
    digest = make_digest(language)
    if language == "zh":  # cards written in Chinese (an LLM's), so the contribution column stays
        for entry in digest.entries:
            entry.card = make_card(one_liner="本文提出一种新方法。", core_innovation="本文提出一种新方法。", method="llm")
    text = section(render_markdown(digest), label(language, "summary"))
    assert header_cells(text) == [
        label(language, "paper"),
        label(language, "topic"),
        label(language, "core_contribution"),
        label(language, "stars"),
    ]
    rows = table_rows(text)
    assert len(rows) == 3
    for row, entry in zip(rows, digest.entries):
        assert row == [
            short_name(entry.paper.title),
            digest.topic_names[entry.pick.topic],
            entry.card.one_liner,
            stars(entry.pick.stars, language),
        ]


def test_chinese_post_without_a_model_says_its_cards_are_english_excerpts() -> None:
    digest = make_digest("zh")  # the fixture cards are English, as the extractive summarizer's are
    markdown = render_markdown(digest)
    papers = section(markdown, "论文详解")
    assert papers.count("英文原文摘录") >= len(digest.entries)
    summary = section(markdown, "总结")
    assert header_cells(summary) == ["论文", "方向", "推荐度"]
    assert "…" not in summary and "invented" not in summary
    assert "英文原文摘录" not in render_markdown(make_digest("en"))


def test_summary_cuts_a_long_contribution(language: Language) -> None:
    card = make_card(one_liner="word " * 200, method="llm")
    text = section(render_markdown(make_digest(language, entries=[make_entry(1, card=card)])),
                   label(language, "summary"))
    cell = table_rows(text)[0][2]
    assert cell.endswith("…") and len(cell) <= 140


def test_trends_section_lists_the_observations(language: Language) -> None:
    digest = make_digest(language)
    text = section(render_markdown(digest), label(language, "trends"))
    bullets = [line[2:] for line in text.splitlines() if line.startswith("- ")]
    assert bullets == trend_observations(digest)
    assert len(bullets) == 4  # the mix, busier, as usual, quieter
    assert any(bullet.startswith(digest.topic_names["agentic-rl"]) for bullet in bullets)


def test_trends_without_history(language: Language) -> None:
    digest = make_digest(language, trends=[TopicTrend("agentic-rl", picked=2, listed=3)])
    text = section(render_markdown(digest), label(language, "trends"))
    assert label(language, "trend_none") in text


def test_footer_names_the_list_day_and_source_not_the_build_time(language: Language) -> None:
    markdown = render_markdown(make_digest(language))  # built 2026-02-21 09:00 UTC
    last = markdown.rstrip("\n").splitlines()[-1]
    expected = label(language, "footer", source="Hugging Face Daily Papers", list_day="2026-02-20")
    assert last == "*" + expected.replace("|", "\\|") + "*"
    assert "2026-02-20" in last and "Hugging Face Daily Papers" in last
    assert "09:00" not in last and "2026-02-21" not in last
    assert markdown.endswith("*\n") and not markdown.endswith("\n\n")


# ---------------------------------------------------------------- empty digest and hostile text


def test_no_picks_gives_a_short_post(language: Language) -> None:
    digest = make_digest(language, entries=[], trends=[])
    markdown = render_markdown(digest)
    data, _ = front_matter(markdown)
    assert data["description"] == label(language, "description_none")
    assert data["tags"] == []
    assert data["draft"] is True  # a day without picks is not published as a post
    assert headings(markdown) == [f"# {TITLE[language]}", f"## {label(language, 'excluded')}"]
    none = label(language, "description_none")
    assert f"\n{none[:1].upper()}{none[1:]}\n" in body(markdown)
    assert len(table_rows(section(markdown, label(language, "excluded")))) == 2
    assert "2026-02-20" in markdown.splitlines()[-1]


def test_no_picks_and_no_exclusions(language: Language) -> None:
    markdown = render_markdown(make_digest(language, entries=[], exclusions=[], trends=[]))
    assert headings(markdown) == [f"# {TITLE[language]}"]
    assert len(markdown.splitlines()) < 20


def hostile_digest(language: Language) -> Digest:
    paper = make_paper(1, title=HOSTILE_TITLE, authors=["<b>Eve</b> | Mallory", "*star*"])
    card = make_card(
        one_liner="Beats <img src=x onerror=alert(1)> by 5% | see [here](http://x)",
        innovation_points=["2. looks like a list", "- so does this"],
        results=["1. numbered claim of 9.8%", "+ plus", "# not a heading"],
        key_insight="Line one\nline two\r\n| --- |",
    )
    exclusion = make_exclusion(1, title=HOSTILE_TITLE, reason_en="off | topic <b>", reason_zh="偏离 | 方向 <b>")
    return make_digest(language, entries=[make_entry(1, paper=paper, card=card)], exclusions=[exclusion])


def test_hostile_text_cannot_break_the_tables(language: Language) -> None:
    markdown = render_markdown(hostile_digest(language))
    excluded = table_rows(section(markdown, label(language, "excluded")))
    summary = table_rows(section(markdown, label(language, "summary")))
    assert len(excluded) == 1 and len(excluded[0]) == 2
    assert len(summary) == 1 and len(summary[0]) == (4 if language == "en" else 3)
    assert excluded[0][1] == ("off \\| topic &lt;b&gt;" if language == "en" else "偏离 \\| 方向 &lt;b&gt;")


def test_hostile_text_is_shown_literally(language: Language) -> None:
    markdown = render_markdown(hostile_digest(language))
    assert "<script>" not in markdown and "<img" not in markdown and "<b>" not in markdown
    assert "&lt;script&gt;alert('x')&lt;/script&gt;" in markdown
    assert "\\*Bold\\* \\_claims\\_ \\[link\\](http://evil) \\# 100% \\`code\\`" in markdown
    assert "](http://x)" not in markdown.replace("\\](http://x)", "")
    # Every heading is still one line, and the paper keeps its number.
    assert sum(line.startswith("### ") for line in markdown.splitlines()) == 1
    assert "Line one line two \\| --- \\|" in markdown


def test_card_text_cannot_start_a_nested_list(language: Language) -> None:
    markdown = render_markdown(hostile_digest(language))
    assert "1. 2\\. looks like a list" in markdown
    assert "2. \\- so does this" in markdown
    assert "- 1\\. numbered claim of 9.8%" in markdown
    assert "- \\+ plus" in markdown
    assert "- \\# not a heading" in markdown


def test_hostile_front_matter_still_parses(language: Language) -> None:
    digest = hostile_digest(language)
    digest.topic_names["agentic-rl"] = "---\ntitle: pwned"
    data, keys = front_matter(render_markdown(digest))
    assert keys == ["title", "published", "description", "tags", "category", "draft"]
    assert data["tags"] == ["--- title: pwned"]
    assert data["title"] == TITLE[language]


@pytest.mark.parametrize("title", ["", "   ", "\n\t"])
def test_blank_title_falls_back_to_the_id(language: Language, title: str) -> None:
    paper = make_paper(1, title=title)
    markdown = render_markdown(make_digest(language, entries=[make_entry(1, paper=paper)]))
    assert f"### 1. {paper.arxiv_id}" in markdown
    assert f"- **{paper.arxiv_id}**" in markdown


def test_rendering_is_pure_and_repeatable(language: Language) -> None:
    digest = make_digest(language)
    assert render_markdown(digest) == render_markdown(digest)

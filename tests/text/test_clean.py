"""Paper text cleaned once at ingestion: LaTeX to text, placeholders resolved, invisible junk out."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from paperwire.bot.models import Paper
from paperwire.bot.text.clean import clean_paper, clean_text, strip_control_characters

REPO = "https://github.com/example-lab/SlimCache/tree/main/serving"


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        (r"we propose \textsc{SlimCache}, a cache", "we propose SlimCache, a cache"),
        (r"reaching 72.6\% accuracy", "reaching 72.6% accuracy"),
        (r"reaching 72.6\\% accuracy", "reaching 72.6% accuracy"),
        ("the latent--real gap over 1--16 steps", "the latent–real gap over 1–16 steps"),
        ("a cache---and a merger", "a cache—and a merger"),
        (r"$CoT$-$Pass@K$ rises", "CoT-Pass@K rises"),
        (r"the $\alpha$-Cache and $\pi^3$", "the α-Cache and π³"),
        (r"a \textbf{\textit{nested}} name", "a nested name"),
        (r"{\em SlimCache} is {\it fast}", "SlimCache is fast"),
        (r"2.3\times faster, p\approx0.4", "2.3× faster, p≈0.4"),
        ("near 2times speedup, 3 times faster", "near 2× speedup, 3 times faster"),
        (r"cost (\$0.34) per query", "cost ($0.34) per query"),
        (r"we present \ours, which \ours\ improves", "we present ours, which ours improves"),
        (r"na\"{\i}ve and \"Ust\"un and the model\'s output", "naïve and Üstün and the model's output"),
        ("``quoted'' text", "“quoted” text"),
        (r"Bench~v1.6 and \~8B models", "Bench v1.6 and ~8B models"),
        (r"code at \url{https://example.org/x}", "code at https://example.org/x"),
        (r"see https://example.org/a\_b", "see https://example.org/a_b"),
        ("costs $5 and $10 per run", "costs $5 and $10 per run"),  # currency, not math
        ("plain prose stays as it is.", "plain prose stays as it is."),
    ],
)
def test_latex_becomes_the_text_it_shows(raw: str, clean: str) -> None:
    assert clean_text(raw) == clean


def test_placeholder_glued_to_a_cut_url_becomes_the_papers_link_on_that_host() -> None:
    text = "Code is available at https://github.com/example-lab/SlimCache/serving{this https URL}."
    assert clean_text(text, [REPO]) == f"Code is available at {REPO}."


def test_placeholder_without_a_link_is_removed() -> None:
    assert clean_text("Our page is at {this https URL}.") == "Our page is at."
    assert clean_text("See https://example.org/x{this http URL} now.") == "See https://example.org/x now."
    assert clean_text("Our page is at {this https URL}.", [REPO]) == f"Our page is at {REPO}."


def test_control_and_override_characters_are_removed_newlines_and_tabs_kept() -> None:
    raw = "Slim\x00Cache\u202e gnivres\u202c \ufeffcache\x07\x1b[31m\nnext\tline\r\nend\x85"
    assert clean_text(raw) == "SlimCache gnivres cache[31m\nnext\tline\nend"
    for char in "\u202a\u202b\u202d\u2066\u2067\u2068\u2069":
        assert strip_control_characters(f"a{char}b") == "ab"


@given(st.text())
def test_cleaned_text_has_no_control_or_override_characters(text: str) -> None:
    cleaned = clean_text(text)
    assert "\x00" not in cleaned
    assert not any(
        unicodedata.category(char) in ("Cc", "Cs") and char not in "\n\t" for char in cleaned
    )
    assert not set(cleaned) & set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\ufeff")
    assert clean_text(cleaned) == cleaned or "\\" in text or "$" in text or "{" in text


def test_clean_paper_cleans_every_field_in_place() -> None:
    paper = Paper(
        arxiv_id="2602.00001",
        title="\u202eSlimCache\u202c: \\textsc{Predictive} Eviction\x00",
        abstract=r"We propose SlimCache, 72.6\% faster. Code: https://github.com/example-lab/SlimCache/serving{this https URL}.",
        ai_summary="SlimCache is fast\x00.",
        authors=["Ada\x00 Lovelace", "\u2066"],
        ai_keywords=["kv\x00 cache"],
        organization="Lab\u202e",
        github_repo=REPO,
    )
    assert clean_paper(paper) is paper
    assert paper.title == "SlimCache: Predictive Eviction"
    assert paper.abstract == f"We propose SlimCache, 72.6% faster. Code: {REPO}."
    assert paper.ai_summary == "SlimCache is fast."
    assert paper.authors == ["Ada Lovelace"]
    assert paper.ai_keywords == ["kv cache"]
    assert paper.organization == "Lab"


def test_a_repository_named_in_the_abstract_becomes_the_code_link() -> None:
    paper = clean_paper(Paper(arxiv_id="2602.00002", title="T", abstract="Code: https://github.com/example-lab/slim-cache."))
    assert paper.github_repo == "https://github.com/example-lab/slim-cache"
    kept = clean_paper(Paper(arxiv_id="2602.00003", title="T", abstract="See https://github.com/a/b.", github_repo="c/d"))
    assert kept.github_repo == "c/d"

"""The extractive summarizer: fields found, nothing invented, numbers grounded, gaps left empty."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from paperwire.bot.models import Card, Paper
from paperwire.bot.summarize.base import Summarizer, SummaryResult
from paperwire.bot.summarize.extractive import (
    MAX_FIELD_CHARS,
    MAX_ONE_LINER_CHARS,
    MAX_POINTS,
    MAX_RESULTS,
    ExtractiveSummarizer,
    summarize_extractive,
)
from paperwire.bot.summarize.sentences import normalize_space, numbers_supported
from tests.conftest import SHARED_DATA

# Invented abstracts, one sentence per role, so each field has one right answer.
CONTEXT = "Long-context language models remain expensive to serve, yet existing caches waste memory."
CONTRIBUTION = "In this paper, we propose SlimCache, a key-value cache that evicts tokens by predicted reuse."
METHOD_1 = "SlimCache scores each token with a lightweight reuse predictor trained on attention traces."
METHOD_2 = "A second module merges evicted tokens into compact summary slots."
RESULT_1 = "On LongBench, SlimCache cuts memory by 62.5% and decodes 2.3x faster than full caching."
RESULT_2 = "It also outperforms three eviction baselines at equal budget."
INSIGHT = "We find that token reuse is highly predictable from the first 2 layers."
FITS = "SlimCache is applicable to any decoder-only model without retraining."
LIMITATION = "We leave multi-turn dialogue workloads to future work."
RELEASE = "Code is available at https://example.org/slimcache."

FULL_ABSTRACT = " ".join(
    [CONTEXT, CONTRIBUTION, METHOD_1, METHOD_2, RESULT_1, RESULT_2, INSIGHT, FITS, LIMITATION, RELEASE]
)


def paper(abstract: str = FULL_ABSTRACT, *, title: str = "SlimCache: Predictive Eviction for KV Caches",
          ai_summary: str | None = None) -> Paper:
    return Paper(arxiv_id="2602.00001", title=title, abstract=abstract, ai_summary=ai_summary)


def fields(card: Card) -> list[str]:
    """Every text a card would show."""
    single = [card.one_liner, card.core_innovation, card.key_insight, card.fits, card.limitations, card.next_action]
    return [text for text in single + card.innovation_points + card.results if text]


def drawn_from_source(text: str, source: str, name: str = "") -> bool:
    """`text` is a stretch of `source`, allowing a capitalised first letter, a closing ellipsis
    and the paper's name standing for the "It" that followed the sentence introducing it."""
    text = text.removesuffix("…")
    variants = [text]
    if name and text.startswith(name + "'s "):
        variants += ["its " + text[len(name) + 3 :]]
    elif name and text.startswith(name + " "):
        variants += ["it " + text[len(name) + 1 :]]
    source = normalize_space(source)
    return any(v[1:] in source and v[:1].lower() in source.lower() for v in variants)


def assert_grounded(card: Card, item: Paper) -> None:
    name = item.title.partition(":")[0].strip() if ":" in item.title else ""
    for text in fields(card):
        assert numbers_supported(text, item.source_text), text
        sources = [item.abstract, item.ai_summary or "", item.title]
        assert any(drawn_from_source(text, source, name) for source in sources), text


# ---------------------------------------------------------------- the fields


def test_each_field_gets_its_sentence() -> None:
    card = summarize_extractive(paper())
    assert card.method == "extractive"
    assert card.one_liner == "We propose SlimCache, a key-value cache that evicts tokens by predicted reuse."
    assert card.core_innovation == card.one_liner
    assert card.innovation_points == [METHOD_1, METHOD_2]
    assert card.results == [f"{RESULT_1} {RESULT_2}"]  # "It also ..." stays with what "it" is
    assert card.key_insight == INSIGHT
    assert card.fits == FITS
    assert card.limitations == LIMITATION
    assert card.next_action == ""  # a code link is a link, not a next step


def test_the_hf_summary_is_the_one_liner() -> None:
    summary = "SlimCache predicts which tokens will be reused and evicts the rest. It is fast."
    card = summarize_extractive(paper(ai_summary=summary))
    assert card.one_liner == "SlimCache predicts which tokens will be reused and evicts the rest."
    assert card.core_innovation.startswith("We propose SlimCache")


def test_the_context_is_nobodys_result() -> None:
    abstract = (
        "Prior caches lose 40% of accuracy on long inputs. However, existing methods suffer from limitations. "
        + CONTRIBUTION
    )
    card = summarize_extractive(paper(abstract))
    assert card.results == [] and card.limitations == ""
    assert card.core_innovation.startswith("We propose SlimCache")


def test_fields_the_text_cannot_support_stay_empty() -> None:
    card = summarize_extractive(paper(CONTEXT + " " + CONTRIBUTION))
    assert card.core_innovation
    assert card.innovation_points == []
    assert card.results == []
    assert (card.key_insight, card.fits, card.limitations, card.next_action) == ("", "", "", "")


def test_limitations_of_others_are_not_the_papers_limitations() -> None:
    abstract = " ".join(
        [
            CONTRIBUTION,
            "Our analysis reveals critical limitations of current long-context models.",
            "Recognizing these limitations, we use SlimCache to build a new benchmark.",
            "This work will advance future research on caching.",
            "Existing systems cannot serve million-token inputs.",
        ]
    )
    assert summarize_extractive(paper(abstract)).limitations == ""


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        ("However, our method cannot yet handle streaming inputs.", "Our method cannot yet handle streaming inputs."),
        ("A limitation of our approach is its reliance on attention traces.", None),
        ("We leave multilingual evaluation to future work.", None),
        ("SlimCache is still limited to single-GPU serving.", None),
        ("Despite these results, our cache still struggles with streaming inputs.", None),
    ],
)
def test_stated_limitations_are_found(sentence: str, expected: str | None) -> None:
    card = summarize_extractive(paper(CONTRIBUTION + " " + RESULT_1 + " " + sentence))
    assert card.limitations == (expected or sentence)


def test_enumerated_contributions_become_points() -> None:
    abstract = (
        "We present SlimCache, a serving system that (1) predicts token reuse from attention traces; "
        "(2) merges evicted tokens into summary slots; and (3) schedules eviction asynchronously. "
        + RESULT_1
    )
    card = summarize_extractive(paper(abstract))
    assert card.core_innovation == "We present SlimCache, a serving system"
    assert card.innovation_points == [
        "Predicts token reuse from attention traces",
        "Merges evicted tokens into summary slots",
        "Schedules eviction asynchronously.",
    ]


def test_enumerated_results_become_bullets() -> None:
    abstract = (
        CONTRIBUTION + " SlimCache outperforms all baselines: (1) on LongBench it saves 62.5% memory; "
        "(2) on RULER it decodes 2.3x faster."
    )
    card = summarize_extractive(paper(abstract))
    assert card.results == [
        "SlimCache outperforms all baselines",
        "On LongBench it saves 62.5% memory",
        "On RULER it decodes 2.3x faster.",
    ]


def test_points_and_results_are_capped() -> None:
    methods = [f"Module {n} refines the cache with a dedicated mechanism." for n in range(8)]
    results = [f"On benchmark {n}, it improves accuracy by {n}.5%." for n in range(8)]
    card = summarize_extractive(paper(" ".join([CONTRIBUTION, *methods, *results])))
    assert len(card.innovation_points) == MAX_POINTS
    assert len(card.results) == MAX_RESULTS
    assert card.results[0] == "On benchmark 0, it improves accuracy by 0.5%."


def test_no_contribution_cue_uses_what_the_authors_did() -> None:
    abstract = (
        "Retrieval helps language models. Although prior work varied document counts, it did not control length. "
        "We evaluate seven models on a controlled multi-hop task. Our results indicate that more documents "
        "hurt even at fixed length."
    )
    card = summarize_extractive(paper(abstract, title="More Documents, Same Length"))
    assert card.core_innovation == "We evaluate seven models on a controlled multi-hop task."
    assert card.key_insight == "Our results indicate that more documents hurt even at fixed length."


def test_leading_connectives_are_trimmed() -> None:
    abstract = "To address this gap, we introduce SlimCache. Moreover, it is 2.3x faster than full caching."
    card = summarize_extractive(paper(abstract))
    assert card.core_innovation == "We introduce SlimCache."
    assert card.results == ["SlimCache is 2.3x faster than full caching."]  # "it" right after naming it


# ---------------------------------------------------------------- reading as a summary


def test_a_dangling_reference_comes_with_its_antecedent_or_not_at_all() -> None:
    abstract = " ".join(
        [
            CONTRIBUTION,
            "SlimCache lowers the eviction error of prior caches by 31% on RULER.",
            "This improvement is preserved after 4-bit quantization.",
            "Serving stacks must weigh memory against recomputation.",
            "These cost-uncertainty tradeoffs are rarely measured.",
            RESULT_1,
        ]
    )
    card = summarize_extractive(paper(abstract))
    shown = fields(card)
    assert not any(text.startswith(("This improvement", "These cost")) for text in shown)
    assert (
        "SlimCache lowers the eviction error of prior caches by 31% on RULER. "
        "This improvement is preserved after 4-bit quantization."
    ) in card.results
    assert_grounded(card, paper(abstract))


def test_a_lead_in_pointing_back_is_trimmed() -> None:
    abstract = CONTRIBUTION + " " + RESULT_1 + " These results suggest that reuse is predictable from early layers."
    card = summarize_extractive(paper(abstract))
    assert card.key_insight == "Reuse is predictable from early layers."


def test_results_before_the_contribution_are_kept() -> None:
    abstract = (
        "SlimCache reaches 56.5 on LongBench and 71.2% on RULER, the best open result. "
        "Serving long contexts is costly. " + CONTRIBUTION + " " + METHOD_1
    )
    card = summarize_extractive(paper(abstract))
    assert card.core_innovation.startswith("We propose SlimCache")
    assert card.results == ["SlimCache reaches 56.5 on LongBench and 71.2% on RULER, the best open result."]


def test_a_list_cut_into_fragments_is_numbered_once() -> None:
    abstract = (
        "We present SlimCache, a serving system with three innovations: (1) Reuse Predictor, which scores tokens. "
        "(2) Slot Merger, which folds evicted tokens into summaries. (3) Async Scheduler, which hides eviction. "
        + RESULT_1
    )
    card = summarize_extractive(paper(abstract))
    assert card.core_innovation == "We present SlimCache, a serving system with three innovations"
    assert card.innovation_points == [
        "Reuse Predictor, which scores tokens.",
        "Slot Merger, which folds evicted tokens into summaries.",
        "Async Scheduler, which hides eviction.",
    ]
    assert not any(text.lstrip().startswith("(") for text in fields(card))


def test_a_contribution_listed_as_items_leads_with_the_first() -> None:
    abstract = "Our contributions are threefold. (1) We propose SlimCache, a reuse-aware cache. (2) We build a merger. " + RESULT_1
    card = summarize_extractive(paper(abstract))
    assert card.core_innovation == "We propose SlimCache, a reuse-aware cache."
    assert card.innovation_points == ["We build a merger."]


def test_a_contribution_that_answers_the_sentence_before_it_shows_that_sentence() -> None:
    abstract = (
        "Caches waste memory. We argue that eviction should follow predicted reuse. "
        "We introduce SlimCache, a cache that embodies this principle. " + RESULT_1
    )
    card = summarize_extractive(paper(abstract))
    assert card.core_innovation == (
        "We argue that eviction should follow predicted reuse. We introduce SlimCache, a cache that embodies this principle."
    )


def test_the_main_contribution_comes_before_a_further_one() -> None:
    abstract = (
        "Caches waste memory. We tackle this with SlimCache, a cache that evicts by predicted reuse. "
        + RESULT_1 + " We further introduce SlimCache-Lite, a variant for small GPUs."
    )
    card = summarize_extractive(paper(abstract))
    assert card.core_innovation.startswith("Caches waste memory. We tackle this with SlimCache")
    assert card.innovation_points == ["We further introduce SlimCache-Lite, a variant for small GPUs."]


def test_a_sentence_listing_the_parts_gives_the_points_not_results() -> None:
    abstract = (
        CONTRIBUTION + " SlimCache provides three key contributions: (1) a reuse predictor, (2) a slot merger with "
        "a 2.3x smaller footprint, and (3) an async scheduler. " + RESULT_1
    )
    card = summarize_extractive(paper(abstract))
    assert card.innovation_points == [
        "A reuse predictor", "A slot merger with a 2.3x smaller footprint", "An async scheduler."
    ]
    assert card.results == [RESULT_1]


def test_no_sentence_is_shown_twice() -> None:
    abstract = " ".join([CONTRIBUTION, RESULT_1, RESULT_1, RESULT_1, RESULT_1, INSIGHT])
    card = summarize_extractive(paper(abstract))
    sentences = [sentence for text in fields(card)[1:] for sentence in text.split(". ")]
    assert len(sentences) == len(set(sentences))
    assert card.results == [RESULT_1]


def test_takeaways_come_from_the_texts_own_cues() -> None:
    abstract = " ".join(
        [CONTRIBUTION, RESULT_1, "Future work should extend SlimCache to multi-tenant serving.", RELEASE]
    )
    card = summarize_extractive(paper(abstract))
    assert card.next_action == "Future work should extend SlimCache to multi-tenant serving."
    assert "https://" not in " ".join(fields(card))  # the code link belongs with the links
    assert summarize_extractive(paper(CONTRIBUTION + " " + RESULT_1)).next_action == ""
    serves = "SlimCache serves as a testbed for cache eviction research."
    assert summarize_extractive(paper(" ".join([CONTRIBUTION, RESULT_1, serves]))).fits == serves
    hope = "We hope SlimCache will be a valuable resource and inspire future work."
    card = summarize_extractive(paper(" ".join([CONTRIBUTION, RESULT_1, hope])))
    assert (card.fits, card.next_action) == ("", "")  # the authors' wish is neither


# ---------------------------------------------------------------- odd input


def test_empty_abstract_without_summary_falls_back_to_the_title() -> None:
    card = summarize_extractive(paper("", title="  SlimCache:\n Predictive Eviction "))
    assert card.one_liner == "SlimCache: Predictive Eviction"
    assert fields(card) == [card.one_liner]


def test_empty_abstract_uses_the_hf_summary() -> None:
    card = summarize_extractive(paper("", ai_summary="We propose SlimCache. It is 2.3x faster."))
    assert card.one_liner == "We propose SlimCache."
    assert card.results == ["SlimCache is 2.3x faster."]


def test_a_5000_character_abstract_and_a_hostile_title() -> None:
    hostile = "((([*+?{}\\|^$ <script>alert(1)</script>: \x00\u202e" * 20
    long_sentence = "We propose " + "a very long clause with 12.5% and 3.0x " * 120
    abstract = (long_sentence + ". " + FULL_ABSTRACT * 4)[:5000]
    item = paper(abstract, title=hostile)
    card = summarize_extractive(item)
    assert len(card.one_liner) <= MAX_ONE_LINER_CHARS
    assert all(len(text) <= MAX_FIELD_CHARS for text in fields(card))
    assert_grounded(card, item)


@pytest.mark.parametrize("token", ["9" * 6000, "a" * 390 + "16.2xy" * 30, "x" * 399 + "16.25%" * 9])
def test_one_giant_token_is_cut_without_halving_a_number(token: str) -> None:
    item = paper("We propose " + token + ".")
    card = summarize_extractive(item)
    assert card.core_innovation.endswith("…")
    assert_grounded(card, item)


@pytest.mark.parametrize("abstract", ["....", "!!! ??? ...", "(1) (2) (3)", "e.g. et al. vs.", "。。。"])
def test_punctuation_only_abstracts(abstract: str) -> None:
    item = paper(abstract)
    assert_grounded(summarize_extractive(item), item)


# ---------------------------------------------------------------- nothing invented


def test_fixture_cards_are_grounded() -> None:
    for item in (paper(), paper(ai_summary="SlimCache is 2.3x faster."), paper(CONTEXT)):
        assert_grounded(summarize_extractive(item), item)


_NUMBER = st.one_of(
    st.integers(0, 100000).map(str),
    st.integers(1, 99999).map(lambda n: f"{n // 100}.{n % 100}"),
    st.integers(1, 999).map(lambda n: f"{n},{n:03d}"),
)
_UNIT = st.sampled_from(["", "%", " %", "x", " x", "×", "B", "k", " billion", "-fold", " times", "$\\times$"])
_FILLER = st.sampled_from(
    ["the model", "on Bench-2", "e.g. Qwen2.5-7B", "et al.", "vs. the baseline", "(1)", "(ii)", "tokens",
     "across 3 tasks", "v1.2.3", "with", "and", "accuracy", "Fig. 4", "i.e. less memory", "1)", "our method"]
)
_OPENERS = st.sampled_from(
    ["We propose", "We introduce", "This paper presents", "However,", "Specifically,", "Our method achieves",
     "It outperforms", "We find that", "A limitation of our approach is", "Code is available at", "Moreover,",
     "Experiments show", "This enables applications in", "We leave", "It", "Existing work"]
)


@st.composite
def sentences(draw: st.DrawFn) -> str:
    words = [draw(_OPENERS)]
    for _ in range(draw(st.integers(0, 8))):
        words.append(draw(st.one_of(_FILLER, st.tuples(_NUMBER, _UNIT).map("".join))))
    return " ".join(words) + draw(st.sampled_from([".", ".", "!", "?", ";", ""]))


@st.composite
def abstracts(draw: st.DrawFn) -> Paper:
    text = draw(st.lists(sentences(), min_size=0, max_size=12).map(" ".join))
    noise = draw(st.text(max_size=40))
    summary = draw(st.one_of(st.none(), sentences()))
    return paper(text + " " + noise, title=draw(st.text(max_size=60)), ai_summary=summary)


@settings(max_examples=300, deadline=None)
@given(abstracts())
def test_every_number_in_every_field_occurs_in_the_paper(item: Paper) -> None:
    card = summarize_extractive(item)
    assert_grounded(card, item)
    assert len(card.innovation_points) <= MAX_POINTS and len(card.results) <= MAX_RESULTS


# ---------------------------------------------------------------- as a Summarizer


async def test_summarizer_protocol() -> None:
    summarizer: Summarizer = ExtractiveSummarizer()
    assert summarizer.cache_key == ("extractive", "extractive-2")
    for language in ("en", "zh"):
        result = await summarizer.summarize(paper(), language)
        assert isinstance(result, SummaryResult)
        assert result.card == summarize_extractive(paper())  # the paper's own words in both
        assert (result.model, result.prompt_version) == ("extractive", "extractive-2")
        assert result.prompt_tokens == result.completion_tokens == 0


# ---------------------------------------------------------------- real data (optional)


def _real_papers(limit: int) -> list[Paper]:
    files = sorted(SHARED_DATA.glob("*.json"))
    papers: list[Paper] = []
    for path in random.Random(7).sample(files, min(20, len(files))):
        payload = json.loads(Path(path).read_text(encoding="utf-8"))
        items = payload.get("data", []) if isinstance(payload, dict) else payload
        for item in items:
            if isinstance(item, dict) and isinstance(item.get("paper"), dict):
                raw = item["paper"]
                papers.append(
                    Paper(arxiv_id=raw.get("id", ""), title=raw.get("title", ""), abstract=raw.get("summary", ""),
                          ai_summary=raw.get("ai_summary"))
                )
    return papers[:limit]


@pytest.mark.realdata
@pytest.mark.skipif(not SHARED_DATA.is_dir(), reason="../shared/data is absent")
def test_real_abstracts_are_grounded() -> None:
    papers = _real_papers(400)
    assert papers
    filled = 0
    for item in papers:
        card = summarize_extractive(item)
        assert_grounded(card, item)
        filled += bool(card.core_innovation)
    assert filled > len(papers) * 0.8

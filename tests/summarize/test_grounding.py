"""The grounding check: numbers and names absent from the source are dropped, present ones kept."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from paperwire.bot.models import Card
from paperwire.bot.summarize.grounding import GroundingSource, check_card, check_sentence, extract_names
from paperwire.bot.summarize.sentences import split_sentences

SOURCE = (
    "Title: SparseFlow: Learned Block Sparsity for Long-Context Decoding\n"
    "Abstract: We propose SparseFlow, a block-sparse attention for Llama-3-8B. "
    "It speeds up decoding by 16.2× at 128K context and keeps 95 % of dense accuracy on LongBench. "
    "It improves GSM8K accuracy by 2.3 points and solves 1,000 tasks of SWE-bench Verified. "
    "Accuracy on MATH-500 rises from 45.1 to 52.3%. Training used 8 H100 GPUs and 1.5 billion tokens."
)


def grounded(text: str) -> bool:
    return check_sentence(text, GroundingSource(SOURCE)).supported


# --- numbers -------------------------------------------------------------------------------


def test_numbers_in_the_source_are_kept_whatever_their_spelling() -> None:
    assert grounded("SparseFlow decodes 16.2x faster.")
    assert grounded("SparseFlow decodes 16.2 times faster.")
    assert grounded("It keeps 95% of the accuracy.")
    assert grounded("It solves 1000 tasks.")
    assert grounded("It was trained on 1.5B tokens.")
    assert grounded("It handles 128k context.")


def test_numbers_absent_from_the_source_are_unsupported() -> None:
    assert not grounded("It decodes 17.5× faster.")
    assert not grounded("It keeps 96% of the accuracy.")
    assert not grounded("It needs 2,000 tasks.")


def test_a_unit_is_part_of_the_claim() -> None:
    assert not grounded("It decodes 16.2% faster.")  # the source says 16.2×, not 16.2%
    assert not grounded("It keeps 95× the accuracy.")
    assert not grounded("It trains on 1.5M tokens.")  # 1.5 billion, not million


def test_points_are_not_percent() -> None:
    assert grounded("GSM8K improves by 2.3 pp.")
    assert grounded("GSM8K improves by 2.3 percentage points.")
    assert not grounded("GSM8K improves by 2.3%.")


def test_range_carries_its_unit_to_the_first_number() -> None:
    assert grounded("Accuracy on MATH-500 rises from 45.1% to 52.3%.")


# --- names ---------------------------------------------------------------------------------


def test_names_in_the_source_are_kept_case_and_separator_insensitively() -> None:
    assert grounded("It is evaluated on gsm8k and LongBench.")
    assert grounded("It runs on Llama 3 8B.")
    assert grounded("It solves tasks of SWE-Bench Verified.")


def test_names_absent_from_the_source_are_unsupported() -> None:
    assert not grounded("It beats GPT-4o.")
    assert not grounded("It tops MMLU-Pro.")
    assert not grounded("It solves tasks of SWE-bench Lite.")  # a different split of a known benchmark
    assert not grounded("It runs on Llama-3-70B.")
    assert not grounded("It is built on DeepSeek.")


def test_generic_acronyms_are_not_claims() -> None:
    check = check_sentence("LLMs and VLMs with a KV cache on GPUs", GroundingSource(SOURCE))
    assert check.claims == [] and check.supported


def test_extract_names_reads_hyphenated_versioned_and_multi_word_names() -> None:
    text = "We use Qwen2.5-7B-Instruct, HumanEval+ and SWE-bench Verified via vLLM."
    names = [name for name, _, _ in extract_names(text)]
    assert names == ["Qwen2.5-7B-Instruct", "HumanEval+", "SWE-bench Verified", "vLLM"]


def test_numbers_inside_names_are_not_separate_claims() -> None:
    check = check_sentence("Llama-3-8B on GSM8K", GroundingSource(SOURCE))
    assert check.claims == ["Llama-3-8B", "GSM8K"]


# --- Chinese output --------------------------------------------------------------------------


def test_chinese_sentences_are_checked_the_same_way() -> None:
    assert grounded("SparseFlow在Llama-3-8B上将解码加速16.2倍。")
    assert grounded("在GSM8K上提升2.3个百分点。")
    assert grounded("在LongBench上保持95%的准确率。")
    assert not grounded("在LongBench上保持99%的准确率。")
    assert not grounded("在MMLU-Pro上表现最好。")
    assert not grounded("解码加速２０倍。")  # full-width digits are read too


def test_chinese_card_drops_only_the_unsupported_sentence() -> None:
    card = Card(
        one_liner="本文提出SparseFlow。",
        key_insight="在LongBench上保持95%的准确率。在MMLU-Pro上提升7.1个百分点。学到的路由可以迁移。",
        method="llm",
    )
    cleaned, checked, dropped = check_card(card, SOURCE)
    assert cleaned.key_insight == "在LongBench上保持95%的准确率。学到的路由可以迁移。"
    assert cleaned.one_liner == "本文提出SparseFlow。"
    assert (checked, dropped) == (5, 2)  # SparseFlow, LongBench, 95%; MMLU-Pro, 7.1pp


# --- whole cards -----------------------------------------------------------------------------


def test_check_card_drops_sentences_and_items_and_counts_claims() -> None:
    card = Card(
        one_liner="SparseFlow speeds up decoding by 16.2× on Llama-3-8B.",
        core_innovation="A learned router picks blocks. It reaches 99.1% on HumanEval.",
        innovation_points=["1. Block sparsity learned from dense attention.", "2. Beats GPT-4o by 12%."],
        results=["95 % of dense accuracy on LongBench.", "SOTA on MMLU-Pro."],
        key_insight="Learned sparsity transfers.",
        method="llm",
    )
    cleaned, checked, dropped = check_card(card, SOURCE)

    assert cleaned.one_liner == card.one_liner
    assert cleaned.core_innovation == "A learned router picks blocks."
    assert cleaned.innovation_points == ["Block sparsity learned from dense attention."]
    assert cleaned.results == ["95 % of dense accuracy on LongBench."]
    assert cleaned.method == "llm"
    # claims: 16.2x, SparseFlow, Llama-3-8B, 99.1%, HumanEval, GPT-4o, 12%, 95%, LongBench, MMLU-Pro
    assert (checked, dropped) == (10, 5)


def test_card_without_claims_is_unchanged() -> None:
    card = Card(one_liner="A router learns which attention blocks matter.", fits="Long documents.")
    assert check_card(card, SOURCE) == (card, 0, 0)


def test_check_is_deterministic() -> None:
    card = Card(one_liner="SparseFlow is 20× faster on MMLU.", results=["2.3 points on GSM8K."])
    assert check_card(card, SOURCE) == check_card(card, SOURCE)


_SOURCE_SENTENCES = split_sentences(SOURCE.split("Abstract: ", 1)[1])


@given(
    one_liner=st.sampled_from(_SOURCE_SENTENCES),
    results=st.lists(st.sampled_from(_SOURCE_SENTENCES), max_size=4),
)
def test_a_card_made_of_source_sentences_loses_nothing(one_liner: str, results: list[str]) -> None:
    card = Card(one_liner=one_liner, results=results, method="llm")
    cleaned, checked, dropped = check_card(card, SOURCE)
    assert cleaned == card and dropped == 0

"""Pairs, not just numbers: a sentence pairing true numbers with the wrong things is dropped,
in English and in Chinese, and one pairing them as the source does is kept."""

from __future__ import annotations

from collections.abc import AsyncIterator

import openai
import pytest

from paperwire.bot.models import Card, Language
from paperwire.bot.summarize.extractive import ExtractiveSummarizer
from paperwire.bot.summarize.grounding import GroundingSource, check_card, check_sentence
from paperwire.bot.summarize.llm import LLMSummarizer
from tests.fakes.llm import FakeLLM, invented_papers

SOURCE = (
    "Title: BlockPrune: Sparse Kernels for Fast Decoding\n"
    "Abstract: We propose BlockPrune, a sparse attention kernel. "
    "It reaches 95% sparsity and a 16.2x speedup on Llama-3-8B. "
    "It reports 92% on LongMemEval and 93.2% on LoCoMo. "
    "Training used 8 H100 GPUs and 1.5 billion tokens. "
    "Accuracy on MATH-500 rises from 45.1 to 52.3%."
)


def kept(claim: str) -> bool:
    return check_sentence(claim, GroundingSource(SOURCE)).supported


def test_the_swapped_pair_is_dropped() -> None:
    check = check_sentence("BlockPrune gives a 95% speedup at 16.2x sparsity.", GroundingSource(SOURCE))
    assert not check.supported
    assert {claim.split()[0] for claim in check.unsupported} == {"95%", "16.2x"}


def test_pairs_as_the_source_states_them_are_kept_in_any_order() -> None:
    assert kept("BlockPrune reaches 95% sparsity and a 16.2x speedup.")
    assert kept("A 16.2x speedup at 95% sparsity.")
    assert kept("It was trained on 1.5B tokens.")
    assert kept("It used 8 GPUs.")
    assert kept("Accuracy on MATH-500 rises from 45.1% to 52.3%.")  # a number with no measure word of its own
    assert kept("On LoCoMo it reports 93.2%.")


def test_a_number_with_what_its_sentence_does_not_measure_is_dropped() -> None:
    assert not kept("It reaches 95% accuracy.")  # 95% is a sparsity; accuracy is MATH-500's, elsewhere
    assert not kept("It reports 93.2% on LongMemEval and 92% on LoCoMo.")  # benchmarks swapped


@pytest.mark.parametrize(
    ("claim", "supported"),
    [
        ("在16.2倍稀疏度下实现95%加速。", False),
        ("在95%稀疏度下实现16.2倍加速。", True),
        ("在95%的稀疏度下实现16.2倍的加速。", True),
        ("BlockPrune在LoCoMo上达到93.2%。", True),
    ],
)
def test_chinese_claims_are_read_through_the_metric_glossary(claim: str, supported: bool) -> None:
    assert kept(claim) is supported


@pytest.mark.parametrize("language", ["en", "zh"])
def test_check_card_drops_only_the_mispaired_sentence(language: Language) -> None:
    swapped = "在16.2倍稀疏度下实现95%加速。" if language == "zh" else "It gives a 95% speedup at 16.2x sparsity."
    right = "在95%稀疏度下实现16.2倍加速。" if language == "zh" else "It reaches 95% sparsity and a 16.2x speedup."
    card = Card(one_liner="BlockPrune is a sparse attention kernel.", results=[swapped, right])
    checked, claims, dropped = check_card(card, SOURCE)
    assert checked.results == [right]
    assert dropped == 2 and claims >= 4


@pytest.fixture
async def client() -> AsyncIterator[tuple[FakeLLM, openai.AsyncOpenAI]]:
    async with FakeLLM(default_mode="swapped_pair") as fake:
        client = openai.AsyncOpenAI(base_url=fake.base_url, api_key="test", max_retries=0)
        yield fake, client
        await client.close()


@pytest.mark.parametrize("language", ["en", "zh"])
async def test_a_model_answer_that_swaps_a_pair_loses_that_sentence(client, language: Language) -> None:
    fake, openai_client = client
    summarizer = LLMSummarizer(openai_client, "fake-model", fallback=ExtractiveSummarizer(), max_retries=0)
    paper = invented_papers()[0]
    result = await summarizer.summarize(paper, language)
    assert result.card.method == "llm"
    assert not any("by 128K at 16.2×" in line for line in result.card.results)
    assert result.claims_dropped >= 1
    assert fake.calls == 1

"""Cards written by any OpenAI-compatible chat API, checked against the paper's own text.

One paper's failure (timeout, 429, 5xx, refusal, unusable output, an exhausted token
budget) gives that paper the extractive card and never stops the digest. Which JSON
response format the server accepts is learnt from its 400 answers and remembered.
"""

from __future__ import annotations

import asyncio
import copy
import json
import logging
import re
from dataclasses import dataclass
from typing import Any

import openai
from pydantic import ValidationError

from paperwire.bot.models import Card, Language, Paper
from paperwire.bot.summarize.base import SummaryResult, Summarizer
from paperwire.bot.summarize.budget import TokenBudget, estimate_tokens
from paperwire.bot.summarize.fulltext import FullTextFetcher
from paperwire.bot.summarize.grounding import check_card, strip_enumerator
from paperwire.bot.summarize.prompts import PROMPT_VERSION, card_messages, card_response_format, repair_message, source_block

log = logging.getLogger(__name__)

_FENCE = re.compile(r"^\s*```(?:json)?\s*(.*?)\s*```\s*$", re.DOTALL)
_REFUSAL = re.compile(
    r"I(?:'m| am) sorry|I can(?:no|')t (?:help|assist|comply)|I(?:'m| am) (?:unable|not able) to"
    r"|cannot (?:help|assist) with|抱歉|无法(?:帮助|协助|提供|完成)|不能(?:帮助|协助)",
    re.IGNORECASE,
)
# Response formats from most to least structured; a server that rejects one gets the next.
_FORMAT_LEVELS = ("json_schema", "json_object", "none")


class BudgetExhausted(Exception):
    """The digest's token budget cannot cover another call."""


class Refusal(Exception):
    """The model declined to answer."""


class UnusableAnswer(Exception):
    """The answer could not be turned into the JSON asked for, even after one repair."""


@dataclass(slots=True)
class TokenUsage:
    """Tokens one paper (or one judge call) spent, whatever became of the answer."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    calls: int = 0  # requests sent (each 400 the dialect learnt from included)


@dataclass(slots=True)
class ServerDialect:
    """What the server turned out to accept, learnt from its 400 answers and kept for later calls."""

    format_level: int = 0
    token_parameter: str = "max_tokens"

    def request_options(self, response_format: dict[str, Any], max_tokens: int) -> dict[str, Any]:
        options: dict[str, Any] = {self.token_parameter: max_tokens}
        level = _FORMAT_LEVELS[self.format_level]
        if level == "json_schema":
            options["response_format"] = response_format
        elif level == "json_object":
            options["response_format"] = {"type": "json_object"}
        return options

    def learn(self, error: openai.BadRequestError) -> bool:
        """Adapt to a 400 about a request option; False when the 400 is about something else."""
        text = f"{error.message} {error.body}".lower()
        if ("response_format" in text or "json_schema" in text or "json_object" in text) and (
            self.format_level < len(_FORMAT_LEVELS) - 1
        ):
            self.format_level += 1
            log.warning("LLM server rejected the response format; using %s", _FORMAT_LEVELS[self.format_level])
            return True
        if "max_tokens" in text and self.token_parameter == "max_tokens":
            self.token_parameter = "max_completion_tokens"
            log.warning("LLM server rejected max_tokens; using max_completion_tokens")
            return True
        return False


async def ask_json(
    client: openai.AsyncOpenAI,
    model: str,
    messages: list[dict[str, str]],
    *,
    response_format: dict[str, Any],
    dialect: ServerDialect,
    max_tokens: int,
    usage: TokenUsage,
    budget: TokenBudget | None = None,
) -> str:
    """One chat completion asked to answer JSON; returns its text.

    Raises BudgetExhausted before sending when the budget cannot cover the call, Refusal when
    the model declines, and the SDK's own errors (timeouts, 429 and 5xx after its retries).
    Tokens go to `usage` and `budget` as the server reports them, estimated if it reports none.
    """
    prompt_estimate = sum(estimate_tokens(message["content"]) + 4 for message in messages)
    estimate = prompt_estimate + max_tokens
    reservation = budget.reserve(estimate) if budget is not None else None
    if budget is not None and reservation is None:
        raise BudgetExhausted(f"{estimate} tokens needed, {budget.remaining} left")
    try:
        while True:
            options = dialect.request_options(response_format, max_tokens)
            usage.calls += 1
            try:
                completion = await client.chat.completions.create(model=model, messages=messages, **options)
                break
            except openai.BadRequestError as error:
                if not dialect.learn(error):
                    raise
    except BaseException:
        if reservation is not None and budget is not None:
            budget.release(reservation)
        raise
    if completion.usage is not None:
        prompt_tokens, completion_tokens = completion.usage.prompt_tokens, completion.usage.completion_tokens
    else:  # a server that reports no usage still spends: count our estimate, not zero
        answer = (completion.choices[0].message.content or "") if completion.choices else ""
        prompt_tokens, completion_tokens = prompt_estimate, estimate_tokens(answer)
    usage.prompt_tokens += prompt_tokens
    usage.completion_tokens += completion_tokens
    if reservation is not None and budget is not None:
        budget.commit(reservation, prompt_tokens, completion_tokens)
    if not completion.choices:
        raise UnusableAnswer("the answer has no choices")
    choice = completion.choices[0]
    if choice.message.refusal:
        raise Refusal(choice.message.refusal)
    if choice.finish_reason == "content_filter":
        raise Refusal("stopped by the content filter")
    return choice.message.content or ""


def parse_json_object(content: str) -> dict[str, Any]:
    """The JSON object in an answer, tolerating a Markdown code fence around it."""
    fenced = _FENCE.match(content)
    data = json.loads(fenced.group(1) if fenced else content)
    if not isinstance(data, dict):
        raise ValueError(f"expected a JSON object, got {type(data).__name__}")
    return data


def parse_card(content: str) -> Card:
    """Validate an answer as a card (method "llm"); ValueError says what is wrong, for the repair."""
    try:
        data = parse_json_object(content)
    except json.JSONDecodeError as error:
        raise ValueError(f"the answer is not valid JSON ({error})") from None
    data.pop("method", None)
    try:
        card = Card.model_validate(data)
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in problem['loc']) or 'answer'}: {problem['msg']}"
            for problem in error.errors(include_url=False)
        )
        raise ValueError(f"the JSON does not match the card schema ({problems})") from None
    return _tidy(card)


def _tidy(card: Card) -> Card:
    update: dict[str, Any] = {"method": "llm"}
    for name, value in card:
        if isinstance(value, str) and name != "method":
            update[name] = value.strip()
        elif isinstance(value, list):
            update[name] = [strip_enumerator(item).strip() for item in value if item.strip()]
    return card.model_copy(update=update)


def _is_refusal(card: Card) -> bool:
    return not card.one_liner or bool(_REFUSAL.search(card.one_liner))


class LLMSummarizer:
    """A Summarizer over an OpenAI-compatible chat API, falling back to `fallback` per paper."""

    def __init__(
        self,
        client: openai.AsyncOpenAI,
        model: str,
        *,
        fallback: Summarizer,
        budget: TokenBudget | None = None,
        concurrency: int = 4,
        timeout: float = 60,
        full_text: FullTextFetcher | None = None,
        max_retries: int = 1,
        max_tokens: int = 1200,
    ) -> None:
        # One SDK retry absorbs a blip (it honours Retry-After); more would stall the digest.
        self._client = client.with_options(max_retries=max_retries, timeout=timeout)
        self.model = model
        self._fallback = fallback
        self.budget = budget
        self._semaphore = asyncio.Semaphore(concurrency)
        self._full_text = full_text
        self._max_tokens = max_tokens
        self._dialect = ServerDialect()

    @property
    def prompt_version(self) -> str:
        # Cards written with the full text are a different prompt: switching it on
        # must not keep serving abstract-only cards from the cache.
        return f"{PROMPT_VERSION}+fulltext" if self._full_text is not None else PROMPT_VERSION

    @property
    def cache_key(self) -> tuple[str, str]:
        return self.model, self.prompt_version

    @property
    def dialect(self) -> ServerDialect:
        return self._dialect

    def with_budget(self, budget: TokenBudget | None) -> LLMSummarizer:
        """This summarizer with one digest's budget; client, concurrency limit and dialect are shared."""
        other = copy.copy(self)
        other.budget = budget
        return other

    def estimate_tokens(self, paper: Paper, language: Language, full_text: str | None = None) -> int:
        """What a first call for `paper` reserves from the budget."""
        messages = card_messages(paper, language, full_text)
        return sum(estimate_tokens(message["content"]) + 4 for message in messages) + self._max_tokens

    async def summarize(self, paper: Paper, language: Language) -> SummaryResult:
        full_text = await self._full_text.fetch(paper.arxiv_id) if self._full_text is not None else None
        messages = card_messages(paper, language, full_text)
        usage = TokenUsage()
        try:
            async with self._semaphore:
                card = await self._ask_card(messages, language, usage)
        except BudgetExhausted as error:
            log.info("paper %s gets an extractive card: %s", paper.arxiv_id, error)
            return await self._fall_back(paper, language, usage, cacheable=False)
        except (Refusal, UnusableAnswer) as error:
            log.warning("paper %s gets an extractive card: %s: %s", paper.arxiv_id, type(error).__name__, error)
            return await self._fall_back(paper, language, usage)
        except openai.OpenAIError as error:
            status = getattr(error, "status_code", None)
            log.warning(
                "paper %s gets an extractive card for now: %s%s", paper.arxiv_id, type(error).__name__,
                f" (HTTP {status})" if status else "",
            )
            # No answer was had: a timeout, 429 or 5xx may pass, and a bad key or URL gets
            # fixed, so this paper is asked again next time rather than cached as extractive.
            return await self._fall_back(paper, language, usage, cacheable=False)
        card, checked, dropped = check_card(card, source_block(paper, full_text))
        if not card.one_liner and not card.core_innovation:
            log.warning(
                "paper %s gets an extractive card: grounding removed its core fields (%d of %d claims unsupported)",
                paper.arxiv_id, dropped, checked,
            )
            return await self._fall_back(paper, language, usage, checked, dropped)
        if not card.one_liner:
            card = card.model_copy(update={"one_liner": card.core_innovation, "core_innovation": ""})
        return SummaryResult(
            card=card,
            model=self.model,
            prompt_version=self.prompt_version,
            prompt_tokens=usage.prompt_tokens,
            completion_tokens=usage.completion_tokens,
            claims_checked=checked,
            claims_dropped=dropped,
            calls=usage.calls,
        )

    async def _ask_card(self, messages: list[dict[str, str]], language: Language, usage: TokenUsage) -> Card:
        """A validated card, asking once more with the error when the first answer is unusable."""
        content = await self._ask(messages, usage)
        try:
            return self._card_from(content)
        except ValueError as error:
            log.info("invalid card answer, asking for a repair: %s", error)
            repair = [*messages, {"role": "assistant", "content": content}, repair_message(str(error), language)]
        content = await self._ask(repair, usage)
        try:
            return self._card_from(content)
        except ValueError as error:
            raise UnusableAnswer(f"still invalid after a repair: {error}") from None

    async def _ask(self, messages: list[dict[str, str]], usage: TokenUsage) -> str:
        return await ask_json(
            self._client,
            self.model,
            messages,
            response_format=card_response_format(),
            dialect=self._dialect,
            max_tokens=self._max_tokens,
            usage=usage,
            budget=self.budget,
        )

    @staticmethod
    def _card_from(content: str) -> Card:
        try:
            card = parse_card(content)
        except ValueError:
            if _REFUSAL.search(content[:300]):
                raise Refusal(content[:120].strip()) from None
            raise
        if _is_refusal(card):
            raise Refusal(card.one_liner[:120] or "empty one_liner")
        return card

    async def _fall_back(
        self,
        paper: Paper,
        language: Language,
        usage: TokenUsage,
        checked: int = 0,
        dropped: int = 0,
        *,
        cacheable: bool = True,
    ) -> SummaryResult:
        """The fallback's card, marked extractive, carrying what the failed attempt cost."""
        result = await self._fallback.summarize(paper, language)
        return SummaryResult(
            card=result.card.model_copy(update={"method": "extractive"}),
            model=result.model,
            prompt_version=result.prompt_version,
            prompt_tokens=usage.prompt_tokens,
            completion_tokens=usage.completion_tokens,
            claims_checked=checked,
            claims_dropped=dropped,
            calls=usage.calls,
            cacheable=cacheable,
        )

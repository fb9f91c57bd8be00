"""A fake OpenAI-compatible chat API on a local port: `POST /v1/chat/completions`.

It answers like a small model that reads the prompt: in the "valid" mode it writes a card
out of the abstract it was sent (in Chinese when the system prompt asks for it), and a
judge request gets verdicts. Other modes misbehave the way real servers and models do:
invalid JSON, a number or benchmark the abstract does not contain, a refusal, a slow
answer, 429 with Retry-After, 500, a 400 for an unsupported response format. It reports
token usage and records every request, how many were in flight at once and at most.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Self

from aiohttp import web

from tests.fakes.server import start_local
from paperwire.bot.models import Paper

MODES = (
    "valid",  # a grounded card (or judge verdicts) built from the prompt
    "fenced",  # the valid answer inside a ```json fence, as some local servers send it
    "invalid_json",  # a truncated JSON object
    "wrong_types",  # valid JSON whose innovation_points is a string, not a list
    "hallucinated_number",  # results and key insight state numbers the abstract lacks
    "hallucinated_benchmark",  # a result names a benchmark and a model the abstract lacks
    "hallucinated_core",  # one_liner and core_innovation both state invented numbers
    "swapped_pair",  # a result restates an abstract sentence with two of its numbers swapped
    "refusal",  # message.refusal set, no content
    "refusal_text",  # a plain-text apology instead of JSON
    "empty_card",  # JSON with every field empty
    "slow",  # a valid answer after `slow_seconds`
    "429",  # rate limited, with Retry-After
    "500",  # server error
    "reject_json_schema",  # 400 if the request asks for a json_schema response format
)

_ARXIV_LINE = re.compile(r"^arXiv: (\S+)$", re.MULTILINE)
_TITLE_LINE = re.compile(r"^Title: (.+)$", re.MULTILINE)
_SECTION = re.compile(r"^Abstract:\n(.*?)(?:\n\n(?:Hugging Face summary|Full text)|\Z)", re.MULTILINE | re.DOTALL)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z])")
_NUMBER = re.compile(r"(?<![A-Za-z\d.,-])\d+(?:[.,]\d+)*\s?(?:%|×|x\b|[kKMB]\b)?")
_TOKEN = re.compile(r"(?<![\w.-])[A-Za-z][A-Za-z0-9.+-]*[A-Za-z0-9+]")
_PAPER_LINE = re.compile(r"^\[(\S+)\] (.*)$", re.MULTILINE)
_TOPIC_LINE = re.compile(r"^- ([a-z0-9-]+): ", re.MULTILINE)


@dataclass
class FakeLLM:
    """Scripted answers: `script(...)` queues modes; else `by_paper[arxiv_id]`; else `default_mode`."""

    latency: float = 0.0  # every answer waits this long (the benchmark's model speed)
    default_mode: str = "valid"
    by_paper: dict[str, str] = field(default_factory=dict)
    supports_json_schema: bool = True  # False: every json_schema request gets a 400
    supports_response_format: bool = True  # False: json_object is refused as well
    rejects_max_tokens: bool = False  # like OpenAI's reasoning models: wants max_completion_tokens
    reports_usage: bool = True  # False: answers carry no `usage`, as some local servers do
    slow_seconds: float = 5.0
    retry_after: str = "1"
    model: str = "fake-model"
    requests: list[dict[str, Any]] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)
    in_flight: int = 0
    max_in_flight: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    base_url: str = ""
    _script: deque[str] = field(default_factory=deque)
    _contents: deque[str] = field(default_factory=deque)
    _runner: web.AppRunner | None = None
    _closing: asyncio.Event | None = None

    @property
    def calls(self) -> int:
        return len(self.requests)

    def script(self, *modes: str) -> None:
        """The next requests, in arrival order, answer in these modes."""
        for mode in modes:
            if mode not in MODES:
                raise ValueError(f"unknown mode {mode!r}; one of {', '.join(MODES)}")
        self._script.extend(modes)

    def say(self, *contents: str) -> None:
        """The next successful answers carry exactly these message contents."""
        self._contents.extend(contents)

    async def start(self) -> Self:
        self._closing = asyncio.Event()
        app = web.Application()
        app.add_routes([web.post("/v1/chat/completions", self._completions)])
        self._runner, origin = await start_local(app, access_log=None, shutdown_timeout=1.0)
        self.base_url = f"{origin}/v1"
        return self

    async def stop(self) -> None:
        if self._closing is not None:
            self._closing.set()  # release sleeping handlers so shutdown is quick
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Self:
        return await self.start()

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    async def _pause(self, seconds: float) -> None:
        if seconds > 0 and self._closing is not None:
            try:
                await asyncio.wait_for(self._closing.wait(), seconds)
            except TimeoutError:
                pass

    async def _completions(self, request: web.Request) -> web.Response:
        if not request.headers.get("Authorization", "").startswith("Bearer "):
            return self._reply(_error(401, "You didn't provide an API key.", "invalid_request_error"))
        try:
            body = await request.json()
        except json.JSONDecodeError:
            problem = "We could not parse the JSON body of your request."
            return self._reply(_error(400, problem, "invalid_request_error"))
        self.requests.append(body)
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            await self._pause(self.latency)
            return self._reply(await self._answer(body))
        finally:
            self.in_flight -= 1

    def _reply(self, response: web.Response) -> web.Response:
        self.statuses.append(response.status)
        return response

    async def _answer(self, body: dict[str, Any]) -> web.Response:
        messages = body.get("messages") or []
        system = next((m.get("content") or "" for m in messages if m.get("role") == "system"), "")
        user = next((m.get("content") or "" for m in messages if m.get("role") == "user"), "")
        format_type = (body.get("response_format") or {}).get("type")
        if format_type == "json_schema" and not self.supports_json_schema:
            return _unsupported_format()
        if format_type == "json_object" and not self.supports_response_format:
            return _unsupported_format()
        if "max_tokens" in body and self.rejects_max_tokens:
            return _error(
                400,
                "Unsupported parameter: 'max_tokens' is not supported with this model. "
                "Use 'max_completion_tokens' instead.",
                "invalid_request_error",
                param="max_tokens",
            )
        mode = self._mode(user)
        if mode == "reject_json_schema":
            if format_type == "json_schema":
                return _unsupported_format()
            mode = "valid"
        if mode == "429":
            return _error(429, "Rate limit reached for requests", "requests", headers={"Retry-After": self.retry_after})
        if mode == "500":
            return _error(500, "The server had an error while processing your request.", "server_error")
        if mode == "slow":
            await self._pause(self.slow_seconds)
            mode = "valid"
        judge = "curate a daily digest" in system
        refusal = None
        if mode == "refusal":
            content, refusal = None, "I'm sorry, but I can't help with that."
        elif mode == "refusal_text":
            content = "I'm sorry, but I cannot help with that request."
        elif mode == "invalid_json":
            content = '{"one_liner": "An unfinished answer, "core_innovation": '
        elif self._contents:
            content = self._contents.popleft()
        elif judge:
            content = json.dumps(_verdicts(system, user), ensure_ascii=False)
        else:
            content = _card_answer(mode, user, chinese="简体中文" in system)
        return self._completion(body, messages, content, refusal)

    def _mode(self, user: str) -> str:
        if self._script:
            return self._script.popleft()
        found = _ARXIV_LINE.search(user)
        if found and found.group(1) in self.by_paper:
            return self.by_paper[found.group(1)]
        return self.default_mode

    def _completion(
        self, body: dict[str, Any], messages: list[dict[str, Any]], content: str | None, refusal: str | None
    ) -> web.Response:
        prompt_tokens = sum(len(str(m.get("content") or "")) for m in messages) // 4 + 1
        completion_tokens = len(content or refusal or "") // 4 + 1
        self.prompt_tokens += prompt_tokens
        self.completion_tokens += completion_tokens
        payload = {
            "id": f"chatcmpl-fake-{len(self.requests)}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": body.get("model", self.model),
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": content, "refusal": refusal},
                    "logprobs": None,
                    "finish_reason": "stop",
                }
            ],
        }
        if self.reports_usage:
            payload["usage"] = {
                "prompt_tokens": prompt_tokens,
                "completion_tokens": completion_tokens,
                "total_tokens": prompt_tokens + completion_tokens,
            }
        return web.json_response(payload)


def _error(
    status: int, message: str, kind: str, *, param: str | None = None, headers: dict[str, str] | None = None
) -> web.Response:
    body = {"error": {"message": message, "type": kind, "param": param, "code": None}}
    return web.json_response(body, status=status, headers=headers)


def _unsupported_format() -> web.Response:
    return _error(
        400,
        "Invalid parameter: 'response_format' of type 'json_schema' is not supported with this model.",
        "invalid_request_error",
        param="response_format",
    )


def _abstract_sentences(user: str) -> tuple[str, list[str]]:
    title = _TITLE_LINE.search(user)
    section = _SECTION.search(user)
    abstract = " ".join(section.group(1).split()) if section else ""
    sentences = [s.strip() for s in _SENTENCE_END.split(abstract) if s.strip()]
    return (title.group(1).strip() if title else "this paper"), sentences


def _card_answer(mode: str, user: str, *, chinese: bool) -> str:
    title, sentences = _abstract_sentences(user)
    card = _chinese_card(title, sentences) if chinese else _english_card(sentences)
    if mode == "hallucinated_number":
        card["results"].append("推理速度提升41.7倍。" if chinese else "It speeds up inference by 41.7× over the baseline.")
        card["key_insight"] = "显存占用降低63%。" if chinese else "It cuts memory use by 63%."
    elif mode == "hallucinated_benchmark":
        card["results"].append(
            "在MMLU-Pro上超过Llama-3-70B。" if chinese else "It beats Llama-3-70B on the MMLU-Pro benchmark."
        )
    elif mode == "hallucinated_core":
        card["one_liner"] = "在ImageNet-21K上达到99.9%的准确率。" if chinese else "It reaches 99.9% accuracy on ImageNet-21K."
        card["core_innovation"] = "计算量减少7.3倍。" if chinese else "It needs 7.3× less compute than prior work."
    elif mode == "swapped_pair":
        swapped = next((s for s in map(_swap_two_numbers, sentences) if s), None)
        if swapped:
            card["results"].append(swapped)
    elif mode == "wrong_types":
        card["innovation_points"] = "; ".join(card["innovation_points"]) or "a single point"
    elif mode == "empty_card":
        card = {key: [] if isinstance(value, list) else "" for key, value in card.items()}
    content = json.dumps(card, ensure_ascii=False)
    return f"```json\n{content}\n```" if mode == "fenced" else content


_PLAIN_NUMBER = re.compile(r"(?<![A-Za-z\d.,-])\d+(?:\.\d+)?\s?(?:%|×|x\b|[kKMB]\b)?")


def _swap_two_numbers(sentence: str) -> str | None:
    """The sentence with its first two different numbers (units and all) exchanged."""
    spans = [(m.group().strip(), m.start(), m.start() + len(m.group().strip())) for m in _PLAIN_NUMBER.finditer(sentence)]
    for index, (first, start1, end1) in enumerate(spans):
        for second, start2, end2 in spans[index + 1 :]:
            if first != second:
                return sentence[:start1] + second + sentence[end1:start2] + first + sentence[end2:]
    return None


def _english_card(sentences: list[str]) -> dict[str, Any]:
    with_numbers = [s for s in sentences if re.search(r"\d", s)]
    plain = [s for s in sentences if s not in with_numbers]
    contribution = next((s for s in sentences if re.search(r"\b(?:propose|introduce|present)", s)), "")
    contribution = contribution or (sentences[0] if sentences else "The paper studies a new method.")
    others = [s for s in plain if s != contribution]
    return {
        "one_liner": contribution,
        "core_innovation": others[0] if others else "",
        "innovation_points": others[1:3],
        "results": with_numbers[:3],
        "key_insight": sentences[-1] if sentences and sentences[-1] != contribution else "",
        "fits": "",
        "limitations": "",
        "next_action": "Read the method section.",
    }


def _chinese_card(title: str, sentences: list[str]) -> dict[str, Any]:
    head = title.split(":")[0].strip()
    results = []
    for sentence in sentences:
        numbers = [n.strip() for n in _NUMBER.findall(sentence)]
        if not numbers:
            continue
        names = [token for token in _TOKEN.findall(sentence) if _looks_like_name(token)]
        where = f"在{'、'.join(names)}上" if names else ""
        results.append(f"{where}取得{'、'.join(numbers)}的结果。")
    return {
        "one_liner": f"本文提出{head}。",
        "core_innovation": f"{head}的核心思路见摘要。",
        "innovation_points": ["给出新的方法设计。", "给出系统的实验验证。"],
        "results": results[:3],
        "key_insight": "摘要表明该方法有效。",
        "fits": "",
        "limitations": "",
        "next_action": "阅读方法部分。",
    }


def _looks_like_name(token: str) -> bool:
    has_digit_and_capital = any(c.isdigit() for c in token) and any(c.isupper() for c in token)
    return has_digit_and_capital or bool(re.search(r"[a-z][A-Z]|[A-Z]{2,}", token))


def _verdicts(system: str, user: str) -> dict[str, Any]:
    """Keep a paper when its title or summary names a word of a topic id; else drop it."""
    topics = _TOPIC_LINE.findall(system)
    verdicts = []
    for arxiv_id, text in _PAPER_LINE.findall(user):
        lowered = text.lower()
        topic = next((t for t in topics if any(word in lowered for word in t.split("-") if len(word) > 2)), None)
        verdicts.append(
            {
                "arxiv_id": arxiv_id,
                "topic": topic or "none",
                "keep": topic is not None,
                "reason_en": f"fits {topic}" if topic else "outside the topics",
                "reason_zh": f"符合 {topic}" if topic else "偏离核心方向",
            }
        )
    return {"verdicts": verdicts}


def invented_papers() -> list[Paper]:
    """Six made-up papers with numbers, benchmarks and model names in their abstracts."""
    return [
        Paper(
            arxiv_id="2602.90001",
            title="SparseFlow: Learned Block Sparsity for Long-Context Decoding",
            abstract=(
                "Long-context decoding is dominated by the cost of attention over the KV cache. "
                "We propose SparseFlow, a block-sparse attention whose blocks are chosen by a small learned router. "
                "The router is distilled from dense attention maps and adds no extra parameters to the base model. "
                "On Llama-3-8B, SparseFlow speeds up decoding by 16.2× at 128K context while keeping 95 % of the "
                "dense accuracy on LongBench. "
                "It also improves GSM8K accuracy by 2.3 points over a fixed-pattern sparse baseline. "
                "Routers learned this way transfer across model sizes."
            ),
            ai_summary="SparseFlow learns which attention blocks matter and skips the rest during decoding.",
        ),
        Paper(
            arxiv_id="2602.90002",
            title="ToolPilot: Reinforcement Learning for Multi-Turn Tool Use",
            abstract=(
                "Agents that call tools over many turns are hard to train with sparse rewards. "
                "We introduce ToolPilot, which assigns turn-level credit from verifiable tool outcomes. "
                "Training uses 1,000 synthetic tasks and a curriculum over task length. "
                "ToolPilot raises the success rate on ToolBench-Hard from 41.5% to 58.0% with Qwen2.5-7B-Instruct. "
                "Turn-level credit matters more than the curriculum in our ablations."
            ),
        ),
        Paper(
            arxiv_id="2602.90003",
            title="GridWorld-X: A World Model for Embodied Planning",
            abstract=(
                "Planning in the physical world needs models that predict the result of actions. "
                "We present GridWorld-X, a latent world model trained on 3M robot transitions. "
                "Plans made inside the model succeed in 72% of held-out manipulation tasks. "
                "The model is trained without any reward labels."
            ),
        ),
        Paper(
            arxiv_id="2602.90004",
            title="QuantMix: Mixed-Precision Quantization without Calibration Data",
            abstract=(
                "Post-training quantization usually needs calibration data. "
                "We propose QuantMix, which picks a bit width per layer from weight statistics alone. "
                "QuantMix compresses a 70B model to 4.25 bits per weight "
                "with a perplexity increase of 0.31 on WikiText-2. "
                "No calibration data or gradient is needed."
            ),
        ),
        Paper(
            arxiv_id="2602.90005",
            title="Debate Agents Agree Too Early",
            abstract=(
                "Multi-agent debate is a popular way to improve answers. "
                "We present a study of when debating agents converge. "
                "Across 12 model pairs, agents agree after 2 rounds in 87% of debates, often on a wrong answer. "
                "Forcing one dissenting agent improves accuracy on StrategyQA by 4.1 points."
            ),
        ),
        Paper(
            arxiv_id="2602.90006",
            title="VeriReward: Verifiable Rewards for Open-Ended Proofs",
            abstract=(
                "Rewarding open-ended mathematical proofs is difficult. "
                "We introduce VeriReward, which checks each proof step with a formal verifier. "
                "With GRPO training, VeriReward lifts the proof pass rate of DeepSeek-Prover "
                "from 48.2% to 61.7% on MiniF2F. "
                "Step-level checks reduce reward hacking."
            ),
        ),
    ]

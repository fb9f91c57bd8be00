"""Builds the LLM summarizer from the settings (the composition root calls this)."""

from __future__ import annotations

from contextlib import AsyncExitStack

import aiohttp
import openai

from bot.summarize.base import Summarizer
from bot.summarize.fulltext import FullTextFetcher
from bot.summarize.llm import LLMSummarizer
from config.settings import Settings


def build_llm_summarizer(
    settings: Settings, http: aiohttp.ClientSession, fallback: Summarizer, stack: AsyncExitStack
) -> LLMSummarizer:
    llm = settings.llm
    # Keyless local servers (Ollama, vLLM) still need some key for the SDK.
    api_key = llm.api_key.get_secret_value() if llm.api_key is not None else "none"
    client = openai.AsyncOpenAI(base_url=llm.base_url, api_key=api_key, timeout=llm.timeout_seconds)
    stack.push_async_callback(client.close)
    full_text = None
    if llm.full_text:
        full_text = FullTextFetcher(
            http,
            settings.data_dir / "cache" / "arxiv-html",
            base_url=llm.arxiv_html_base_url,
            min_interval=settings.sources.arxiv_interval_seconds,
            token_budget=llm.full_text_tokens,
        )
    return LLMSummarizer(
        client,
        llm.model,
        fallback=fallback,
        concurrency=llm.concurrency,
        timeout=llm.timeout_seconds,
        full_text=full_text,
        max_retries=llm.max_retries,
        max_tokens=llm.max_tokens,
    )

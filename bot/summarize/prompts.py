"""The card prompts, one per language, and the JSON schema the model must answer in.

Bump PROMPT_VERSION whenever a prompt or the schema changes: it is part of the summary
cache key, so cached cards written under an older prompt are not served again.
"""

from __future__ import annotations

import typing
from typing import Any

from paperwire.bot.models import Card, Language, Paper

PROMPT_VERSION = "card-1"

# The card fields the model writes; `method` is ours to set, never the model's.
CARD_FIELDS: tuple[str, ...] = tuple(name for name in Card.model_fields if name != "method")

_FIELD_HINTS: dict[Language, dict[str, str]] = {
    "en": {
        "one_liner": "one sentence: what the paper contributes",
        "core_innovation": "one sentence on the core idea",
        "innovation_points": "2-3 short points on what is new, without numbering",
        "results": "result bullets, numbers copied exactly from the source",
        "key_insight": "one or two sentences: the lesson a reader should keep",
        "fits": "where the method helps, only if the source says so",
        "limitations": "limitations the source states; empty if it states none",
        "next_action": "one concrete thing a reader could do next (read, try, compare)",
    },
    "zh": {
        "one_liner": "一句话：论文的贡献",
        "core_innovation": "一句话：核心思路",
        "innovation_points": "2-3 条创新点，不要编号",
        "results": "实验结果要点，数字照抄原文",
        "key_insight": "一到两句：读者应记住的洞察",
        "fits": "适合场景，仅限原文提到的",
        "limitations": "原文明确写出的局限；没有则留空",
        "next_action": "读者下一步可以做的一件具体的事（阅读、试用、对比）",
    },
}

_SYSTEM: dict[Language, str] = {
    "en": (
        "You write one card of a daily digest of new AI research papers for researchers.\n"
        "Use only the source text the user gives (title, abstract, Hugging Face summary and, "
        "when present, an excerpt of the full text).\n"
        "Rules:\n"
        "- Never state a number, benchmark, dataset, model or result the source does not contain. "
        "Copy numbers with their units and names exactly as the source writes them.\n"
        "- When the source does not support a field, leave it empty (\"\" or []). Do not guess "
        "limitations, uses or results.\n"
        "- Write in English, plain text, no Markdown, no numbering.\n"
        "Answer with one JSON object and nothing else, with these keys:\n{fields}"
    ),
    "zh": (
        "你为研究人员撰写 AI 论文日报中的一张论文卡片。\n"
        "只能使用用户给出的原文（标题、摘要、Hugging Face 摘要，以及可能提供的正文节选）。\n"
        "规则：\n"
        "- 绝不写出原文没有的数字、基准、数据集、模型或结论。数字及其单位、基准和模型名称"
        "必须与原文写法一致（名称保留英文原文）。\n"
        "- 原文无法支持的字段留空（\"\" 或 []），不要臆测局限、场景或结果。\n"
        "- 用简体中文书写，纯文本，不用 Markdown，不要编号。\n"
        "只输出一个 JSON 对象（JSON object），不要输出其他内容，键如下：\n{fields}"
    ),
}

_REPAIR: dict[Language, str] = {
    "en": (
        "Your answer could not be used: {error}\n"
        "Reply with only the corrected JSON object, with the keys and types asked for."
    ),
    "zh": "你的回答无法使用：{error}\n请只回复修正后的 JSON 对象，键和类型按要求给出。",
}


def _field_list(language: Language) -> str:
    lines = []
    for name in CARD_FIELDS:
        kind = "list of strings" if _is_list_field(name) else "string"
        lines.append(f'- "{name}" ({kind}): {_FIELD_HINTS[language][name]}')
    return "\n".join(lines)


def _is_list_field(name: str) -> bool:
    return typing.get_origin(Card.model_fields[name].annotation) is list


def source_block(paper: Paper, full_text: str | None = None) -> str:
    """The source text as the model sees it; the grounding check uses the same text."""
    parts = [f"arXiv: {paper.arxiv_id}", f"Title: {paper.title}"]
    if paper.abstract:
        parts.append(f"Abstract:\n{paper.abstract.strip()}")
    if paper.ai_summary:
        parts.append(f"Hugging Face summary:\n{paper.ai_summary.strip()}")
    if full_text:
        parts.append(f"Full text (first sections):\n{full_text.strip()}")
    return "\n\n".join(parts)


def card_messages(paper: Paper, language: Language, full_text: str | None = None) -> list[dict[str, str]]:
    """The chat messages that ask for one paper's card in `language`."""
    system = _SYSTEM[language].replace("{fields}", _field_list(language))
    return [
        {"role": "system", "content": system},
        {"role": "user", "content": source_block(paper, full_text)},
    ]


def repair_message(error: str, language: Language) -> dict[str, str]:
    """The follow-up user message that sends a parse or validation error back once."""
    return {"role": "user", "content": _REPAIR[language].replace("{error}", error[:600])}


def card_response_format() -> dict[str, Any]:
    """An OpenAI `json_schema` response format built from Card (strict: every key required)."""
    properties: dict[str, Any] = {}
    for name in CARD_FIELDS:
        description = Card.model_fields[name].description or name
        if _is_list_field(name):
            properties[name] = {"type": "array", "items": {"type": "string"}, "description": description}
        else:
            properties[name] = {"type": "string", "description": description}
    schema = {
        "type": "object",
        "properties": properties,
        "required": list(CARD_FIELDS),
        "additionalProperties": False,
    }
    return {"type": "json_schema", "json_schema": {"name": "paper_card", "strict": True, "schema": schema}}


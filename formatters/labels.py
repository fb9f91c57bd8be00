"""Every word a rendered digest shows, one table per language.

Formatters look labels up here and nowhere else, so a new language is one more table.
"""

from __future__ import annotations

from datetime import date
from typing import Final

EN: Final[dict[str, str]] = {
    "title": "Daily AI Papers - {date}",
    "date_format": "%Y-%m-%d",
    "description": "{count} picks in {topics}",
    "description_none": "no picks today",
    "preview": "Preview",
    "preview_line": "{count} papers picked today, in {topics}.",
    "papers": "Papers",
    "authors": "Authors",
    "authors_more": "{authors}, et al.",
    "link": "Link",
    "topic": "Topic",
    "must_read": "Must read",
    "optional": "Optional",
    "core_innovation": "Core innovation",
    "results": "Results",
    "key_insight": "Key insight",
    "takeaways": "Takeaways",
    "fits": "Fits",
    "limitations": "Limitations",
    "next_action": "Next action",
    "excluded": "Excluded papers",
    "excluded_none": "Every paper of the day was picked.",
    "paper": "Paper",
    "reason": "Reason",
    "summary": "Summary",
    "core_contribution": "Core contribution",
    "stars": "Stars",
    "trends": "Trends",
    "trend_line": "{topic}: {picked} picked today ({picked_avg} a day over {picked_span}), {listed} listed ({listed_avg} a day)",
    "trend_up": "{topic} is busier than usual: {picked} picked today against {picked_avg} a day over {picked_span}.",
    "trend_down": "{topic} is quieter than usual: {picked} picked today against {picked_avg} a day over {picked_span}.",
    "trend_none": "Not enough history yet to compare against earlier days.",
    "trend_few": "Earlier list days stored: {days}, too few to say what is usual.",
    "trend_line_listed": "{topic}: {picked} picked today; {listed} listed ({listed_avg} a day over {listed_span})",
    "trend_up_listed": "{topic} is busier than usual on the list: {listed} listed today against {listed_avg} a day over {listed_span}.",
    "trend_down_listed": "{topic} is quieter than usual on the list: {listed} listed today against {listed_avg} a day over {listed_span}.",
    "days_span_one": "the list day before",
    "days_span": "the {days} list days before",
    "trend_mix": "Today's picks: {mix}.",
    "footer": "Source: {source}, list of {list_day}",
    "summary_extractive": "summary drawn from the abstract",
    "excerpt_note": "",
    "summary_llm": "summary written by a language model, checked against the abstract",
    "only_topics": "Only your topics: {topics}",
    "button_arxiv": "arXiv",
    "button_pdf": "PDF",
    "button_hf": "Hugging Face",
    "button_code": "Code",
    "button_excluded": "Excluded papers",
    "no_digest": "No digest for {date} yet.",
    "no_papers_day": "No papers on the Daily Papers list for {date}.",
    "no_picks_day": "No picks from the Daily Papers list of {date}: none of its {papers} papers fits the topics.",
    "more": "(continued)",
    "archive": "Archive",
    "archive_title": "Daily AI Papers archive",
    "archive_empty": "No digest has been published yet.",
    "archive_picks": "{count} picks",
    "feed_digests": "Daily AI Papers",
    "feed_papers": "Daily AI Papers: picked papers",
    "feed_papers_topic": "Daily AI Papers: {topic}",
    "page_not_found": "Not found",
    "other_language": "中文",
}

ZH: Final[dict[str, str]] = {
    "title": "Daily AI Papers - {date}",
    "date_format": "%Y年%m月%d日",
    "description": "今日精选 {count} 篇，方向：{topics}",
    "description_none": "今日无精选",
    "preview": "今日预览",
    "preview_line": "今日共精选 {count} 篇论文，方向：{topics}。",
    "papers": "论文详解",
    "authors": "作者",
    "authors_more": "{authors} 等",
    "link": "链接",
    "topic": "方向",
    "must_read": "必读",
    "optional": "可选",
    "core_innovation": "核心创新",
    "results": "实验结果",
    "key_insight": "关键洞察",
    "takeaways": "要点",
    "fits": "适合场景",
    "limitations": "局限性",
    "next_action": "下一步",
    "excluded": "排除论文说明",
    "excluded_none": "今日所有论文均已入选。",
    "paper": "论文",
    "reason": "原因",
    "summary": "总结",
    "core_contribution": "核心贡献",
    "stars": "推荐度",
    "trends": "今日趋势观察",
    "trend_line": "{topic}：今日入选 {picked} 篇（{picked_span}日均 {picked_avg} 篇），列表 {listed} 篇（日均 {listed_avg} 篇）",
    "trend_up": "{topic} 比平时更活跃：今日入选 {picked} 篇，{picked_span}日均 {picked_avg} 篇。",
    "trend_down": "{topic} 比平时更安静：今日入选 {picked} 篇，{picked_span}日均 {picked_avg} 篇。",
    "trend_none": "历史数据尚不足以与前几天比较。",
    "trend_few": "此前仅存有 {days} 个列表日的数据，尚不足以判断常态。",
    "trend_line_listed": "{topic}：今日入选 {picked} 篇；列表 {listed} 篇（{listed_span}日均 {listed_avg} 篇）",
    "trend_up_listed": "{topic} 在列表中比平时更活跃：今日 {listed} 篇，{listed_span}日均 {listed_avg} 篇。",
    "trend_down_listed": "{topic} 在列表中比平时更安静：今日 {listed} 篇，{listed_span}日均 {listed_avg} 篇。",
    "days_span_one": "此前 1 个列表日",
    "days_span": "此前 {days} 个列表日",
    "trend_mix": "今日精选分布：{mix}。",
    "footer": "来源：{source}（{list_day} 列表）",
    "summary_extractive": "摘要取自论文摘要原文",
    "excerpt_note": "以下内容为论文摘要的英文原文摘录（未配置语言模型，未翻译）",
    "summary_llm": "摘要由语言模型撰写，并已对照论文摘要核查",
    "only_topics": "仅限订阅方向：{topics}",
    "button_arxiv": "arXiv",
    "button_pdf": "PDF",
    "button_hf": "Hugging Face",
    "button_code": "代码",
    "button_excluded": "排除论文",
    "no_digest": "{date} 暂无日报。",
    "no_papers_day": "{date} 的 Daily Papers 列表没有论文。",
    "no_picks_day": "{date} 的 Daily Papers 列表（{papers} 篇）中没有符合关注方向的论文，今日无精选。",
    "more": "（续）",
    "archive": "归档",
    "archive_title": "Daily AI Papers 归档",
    "archive_empty": "还没有发布过日报。",
    "archive_picks": "精选 {count} 篇",
    "feed_digests": "Daily AI Papers",
    "feed_papers": "Daily AI Papers：精选论文",
    "feed_papers_topic": "Daily AI Papers：{topic}",
    "page_not_found": "未找到",
    "other_language": "English",
}

TABLES: Final[dict[str, dict[str, str]]] = {"en": EN, "zh": ZH}


def label(language: str, key: str, **values: object) -> str:
    """The label `key` in `language` (English when the language is unknown), formatted."""
    table = TABLES.get(language, EN)
    text = table.get(key, EN[key])
    return text.format(**values) if values else text


def digest_title(language: str, published: date) -> str:
    """`Daily AI Papers - 2026-02-21`, or with the date as Chinese writes it (`2026年02月21日`)."""
    return label(language, "title", date=published.strftime(label(language, "date_format")))


def stars(count: int, language: str) -> str:
    """`⭐⭐⭐ Must read` or `⭐⭐ Optional`."""
    return "⭐" * count + " " + label(language, "must_read" if count >= 3 else "optional")

"""Every word a command reply shows that the digest labels do not: one table per language.

Digest words (paper, topic, stars, excluded, ...) stay in formatters/labels.py; this holds
usage lines, refusals, confirmations and list headings, in English and Chinese.
"""

from __future__ import annotations

from typing import Final

from paperwire.bot.models import Language
from paperwire.bot.views import MessageKind, MessageView

EN: Final[dict[str, str]] = {
    # Usage: one line per command, then what it does.
    "usage_today": "today",
    "about_today": "the latest digest",
    "usage_digest": "digest [YYYY-MM-DD | today | yesterday]",
    "about_digest": "the digest of one Daily Papers list day",
    "usage_paper": "paper <arXiv id | arXiv or Hugging Face link | title words>",
    "about_paper": "one paper's card, looked up on demand if it is not stored",
    "usage_search": "search <words>",
    "about_search": "the best matches among every stored paper",
    "usage_related": "related <arXiv id | link>",
    "about_related": "the five stored papers nearest to one paper in what they say",
    "related_title": "Related to {title}",
    "related_empty": "No stored paper is close to {id} yet.",
    "bad_paper_id": "\"{value}\" is not an arXiv id or link.",
    "usage_topics": "topics",
    "about_topics": "the topics, with their papers over the last 7 list days",
    "usage_topic": "topic <name> [days]",
    "about_topic": "recent papers of one topic (default 7 days, at most 90)",
    "usage_excluded": "excluded [YYYY-MM-DD | today | yesterday]",
    "about_excluded": "the papers left out of a digest, and why",
    "usage_trends": "trends [days]",
    "about_trends": "papers per topic over time (default 7 days, at most 90)",
    "usage_subscribe": "subscribe [topic ...]",
    "about_subscribe": "get the digest in this chat, for these topics (all when none is named)",
    "usage_unsubscribe": "unsubscribe",
    "about_unsubscribe": "stop the digest in this chat",
    "usage_settings": "settings [time HH:MM] [tz Area/City] [lang zh|en]",
    "about_settings": "this chat's delivery time, time zone and language (shown when given nothing)",
    "usage_help": "help [command]",
    "about_help": "this list",
    "usage_line": "Usage: {usage}",
    "commands_line": "Commands: {commands}. Type help for details.",
    "help_title": "Commands",
    "help_note": "Dates are Daily Papers list days: YYYY-MM-DD, today (the latest digest) or "
    "yesterday (the one before). Topics go by id or name, e.g. efficient-llm.",
    # What is wrong with a command line.
    "empty": "Type a command.",
    "unknown_command": "I do not know the command \"{command}\".",
    "too_long": "That is too long: at most {limit} characters after the command.",
    "no_arguments": "This command takes nothing after it.",
    "missing_argument": "Something is missing after the command.",
    "bad_date": "\"{value}\" is not a day; use YYYY-MM-DD (e.g. 2026-02-20), today or yesterday.",
    "bad_days": "\"{value}\" is not a number of days; use a whole number from 1 to {max}.",
    "bad_setting": "\"{value}\" is not a setting; the settings are time, tz and lang.",
    "setting_needs_value": "{setting} needs a value after it.",
    "bad_time": "\"{value}\" is not a time; use HH:MM on a 24-hour clock, e.g. time 09:00.",
    "bad_timezone": "\"{value}\" is not a time zone; use an IANA name, e.g. tz Europe/Berlin or tz Asia/Shanghai.",
    "bad_language": "\"{value}\" is not a language paperwire speaks; use lang en or lang zh.",
    # Refusals and failures.
    "rate_limited": "You are sending commands faster than {limit} a minute. Please wait {seconds} s and try again.",
    "internal_error": "Sorry, something went wrong while answering that. It has been logged; please try again later.",
    "admins_only": "Only an admin of this chat can change its subscription.",
    # Days and digests.
    "no_digest_yet": "No digest has been published yet.",
    "no_digest_before": "There is no digest before the latest one ({date}).",
    "no_list_stored": "No Daily Papers list is stored for {date}.",
    "no_lists_stored": "No Daily Papers lists are stored yet.",
    "stored_days": "Stored list days run from {first} to {last}; try digest {last}.",
    # Papers.
    "paper_not_found_id": "arXiv has no paper {id}.",
    "paper_not_found_title": "No stored paper is titled \"{text}\". Try: search {text}",
    "paper_bad_link": "That link names no arXiv paper. Use an id such as 2602.13515, arXiv:2602.13515 "
    "or cs/0501001, or an arxiv.org or huggingface.co/papers link.",
    "source_unavailable": "Hugging Face and arXiv could not be reached to look up {id}; please try again later.",
    "card_picked": "Picked in the digest of the {date} list.",
    "card_listed": "On the Daily Papers list of {date}.",
    "card_fetched": "Looked up on demand; not on a stored Daily Papers list.",
    "card_matched": "Best title match for \"{text}\".",
    # Search and topics.
    "search_title": "Search: {words}",
    "search_empty": "Nothing stored matches \"{words}\".",
    "unknown_topic": "There is no topic \"{name}\". Topics: {topics}.",
    "topic_title": "{name}: the {days} days to {end}",
    "topic_empty": "No papers in {name} over the {days} days to {end}.",
    "topics_title": "Topics: papers over the last {count} list days ({start} to {end})",
    "topics_title_empty": "Topics",
    "topics_columns": "id|name|papers",
    "topics_note": "Type topic <name> for one topic's recent papers.",
    "trends_title": "Papers per topic, {start} to {end} ({count} list days)",
    "trends_columns": "topic|total|per day|by day",
    "trends_empty": "No Daily Papers lists are stored in the {days} days to {end}.",
    # Subscriptions.
    "subscription_title": "This chat's subscription",
    "subscribed": "This chat now gets the digest.",
    "unsubscribed": "This chat no longer gets the digest. Type subscribe to get it again.",
    "not_subscribed": "This chat has no subscription; there is nothing to stop.",
    "settings_saved": "Settings saved.",
    "settings_saved_inactive": "Settings saved. This chat does not get the digest yet; type subscribe to start.",
    "unknown_topics": "There is no topic {names}. Topics: {topics}.",
    "field_status": "Status",
    "field_topics": "Topics",
    "field_time": "Delivery time",
    "field_timezone": "Time zone",
    "field_language": "Language",
    "status_active": "subscribed",
    "status_inactive": "not subscribed",
    "status_stopped": "stopped ({reason})",
    "status_none": "not subscribed; these are the defaults",
    "all_topics": "all topics",
    "language_en": "English",
    "language_zh": "Chinese (中文)",
}

ZH: Final[dict[str, str]] = {
    "usage_today": "today",
    "about_today": "最新一期日报",
    "usage_digest": "digest [YYYY-MM-DD | today | yesterday]",
    "about_digest": "某个 Daily Papers 列表日的日报",
    "usage_paper": "paper <arXiv 编号 | arXiv 或 Hugging Face 链接 | 标题关键词>",
    "about_paper": "一篇论文的卡片；未收录的论文会即时查询",
    "usage_search": "search <关键词>",
    "about_search": "在所有已收录论文中搜索",
    "usage_related": "related <arXiv 编号 | 链接>",
    "about_related": "与某篇论文内容最接近的五篇已收录论文",
    "related_title": "与 {title} 相关",
    "related_empty": "暂无与 {id} 相近的已收录论文。",
    "bad_paper_id": "“{value}” 不是 arXiv 编号或链接。",
    "usage_topics": "topics",
    "about_topics": "所有方向及最近 7 个列表日的论文数",
    "usage_topic": "topic <方向> [天数]",
    "about_topic": "某个方向的近期论文（默认 7 天，最多 90 天）",
    "usage_excluded": "excluded [YYYY-MM-DD | today | yesterday]",
    "about_excluded": "未入选日报的论文及原因",
    "usage_trends": "trends [天数]",
    "about_trends": "各方向论文数随时间的变化（默认 7 天，最多 90 天）",
    "usage_subscribe": "subscribe [方向 ...]",
    "about_subscribe": "在本会话订阅日报，可只订部分方向（不填则订阅全部）",
    "usage_unsubscribe": "unsubscribe",
    "about_unsubscribe": "停止向本会话推送日报",
    "usage_settings": "settings [time HH:MM] [tz 时区] [lang zh|en]",
    "about_settings": "本会话的推送时间、时区和语言（不带参数时显示当前设置）",
    "usage_help": "help [命令]",
    "about_help": "显示本列表",
    "usage_line": "用法：{usage}",
    "commands_line": "可用命令：{commands}。输入 help 查看说明。",
    "help_title": "命令",
    "help_note": "日期指 Daily Papers 列表日：YYYY-MM-DD、today（最新一期）或 yesterday（上一期）。"
    "方向可用编号或名称，例如 efficient-llm。",
    "empty": "请输入命令。",
    "unknown_command": "没有 “{command}” 这个命令。",
    "too_long": "输入过长：命令后最多 {limit} 个字符。",
    "no_arguments": "这个命令后面不需要参数。",
    "missing_argument": "命令后缺少参数。",
    "bad_date": "“{value}” 不是日期；请用 YYYY-MM-DD（如 2026-02-20）、today 或 yesterday。",
    "bad_days": "“{value}” 不是天数；请用 1 到 {max} 之间的整数。",
    "bad_setting": "没有 “{value}” 这个设置；可设置 time、tz 和 lang。",
    "setting_needs_value": "{setting} 后面需要一个值。",
    "bad_time": "“{value}” 不是时间；请用 24 小时制 HH:MM，例如 time 09:00。",
    "bad_timezone": "“{value}” 不是时区；请用 IANA 名称，例如 tz Asia/Shanghai 或 tz Europe/Berlin。",
    "bad_language": "不支持 “{value}”；请用 lang zh 或 lang en。",
    "rate_limited": "命令发送过快：每分钟最多 {limit} 条。请等待 {seconds} 秒后再试。",
    "internal_error": "抱歉，处理这条命令时出错了。错误已记录，请稍后再试。",
    "admins_only": "只有本会话的管理员可以修改订阅。",
    "no_digest_yet": "还没有发布过日报。",
    "no_digest_before": "最新一期（{date}）之前没有日报。",
    "no_list_stored": "没有收录 {date} 的 Daily Papers 列表。",
    "no_lists_stored": "还没有收录任何 Daily Papers 列表。",
    "stored_days": "已收录的列表日从 {first} 到 {last}；可试试 digest {last}。",
    "paper_not_found_id": "arXiv 上没有论文 {id}。",
    "paper_not_found_title": "没有标题为 “{text}” 的已收录论文。试试：search {text}",
    "paper_bad_link": "这个链接不是 arXiv 论文。请使用 2602.13515、arXiv:2602.13515、cs/0501001 这样的编号，"
    "或 arxiv.org、huggingface.co/papers 的链接。",
    "source_unavailable": "暂时无法连接 Hugging Face 和 arXiv 查询 {id}，请稍后再试。",
    "card_picked": "入选 {date} 列表的日报。",
    "card_listed": "出现在 {date} 的 Daily Papers 列表中。",
    "card_fetched": "即时查询所得，不在已收录的 Daily Papers 列表中。",
    "card_matched": "标题最匹配 “{text}” 的论文。",
    "search_title": "搜索：{words}",
    "search_empty": "没有与 “{words}” 匹配的已收录论文。",
    "unknown_topic": "没有 “{name}” 这个方向。可选方向：{topics}。",
    "topic_title": "{name}：截至 {end} 的 {days} 天",
    "topic_empty": "截至 {end} 的 {days} 天内，{name} 方向没有论文。",
    "topics_title": "方向：最近 {count} 个列表日（{start} 至 {end}）的论文数",
    "topics_title_empty": "方向",
    "topics_columns": "编号|名称|论文数",
    "topics_note": "输入 topic <方向> 查看该方向的近期论文。",
    "trends_title": "各方向论文数，{start} 至 {end}（{count} 个列表日）",
    "trends_columns": "方向|合计|日均|逐日",
    "trends_empty": "截至 {end} 的 {days} 天内没有收录 Daily Papers 列表。",
    "subscription_title": "本会话的订阅",
    "subscribed": "本会话已订阅日报。",
    "unsubscribed": "本会话已停止接收日报。输入 subscribe 可重新订阅。",
    "not_subscribed": "本会话没有订阅，无需停止。",
    "settings_saved": "设置已保存。",
    "settings_saved_inactive": "设置已保存。本会话尚未订阅日报；输入 subscribe 开始接收。",
    "unknown_topics": "没有方向 {names}。可选方向：{topics}。",
    "field_status": "状态",
    "field_topics": "方向",
    "field_time": "推送时间",
    "field_timezone": "时区",
    "field_language": "语言",
    "status_active": "已订阅",
    "status_inactive": "未订阅",
    "status_stopped": "已停止（{reason}）",
    "status_none": "未订阅；以下为默认设置",
    "all_topics": "全部方向",
    "language_en": "英文 (English)",
    "language_zh": "中文",
}

TABLES: Final[dict[str, dict[str, str]]] = {"en": EN, "zh": ZH}


def message(language: str, key: str, **values: object) -> str:
    """The reply text `key` in `language` (English when unknown), formatted with `values`."""
    table = TABLES.get(language, EN)
    text = table.get(key, EN[key])
    return text.format(**values) if values else text


def text_reply(language: Language, kind: MessageKind, *lines: str) -> MessageView:
    """A short reply of already worded lines."""
    return MessageView(language, list(lines), kind)


def usage_line(language: str, command: str) -> str:
    """`Usage: <the command's syntax>`."""
    return message(language, "usage_line", usage=message(language, f"usage_{command}"))

"""Render command replies (bot/views.py) as Markdown that also reads as plain text: the CLI's output.

Pure and total: any view in, a string out. Paper text is put on one line and made safe for
the Markdown around it (table cells, link text); it is not otherwise escaped, so a
terminal shows titles as written.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from paperwire.bot.models import Digest
from paperwire.bot.views import (
    CardView,
    DigestView,
    ExcludedView,
    HelpView,
    MessageView,
    PaperListItem,
    PaperListView,
    SubscriptionView,
    TopicsView,
    TrendsView,
    View,
)
from paperwire.formatters.card import CardDocument, build_card, exclusion_reason
from paperwire.formatters.labels import digest_title, label, stars
from paperwire.formatters.text import join_list, one_line, shorten, trend_observations

_ONE_LINER_CHARS = 200
_LIST_TITLE_CHARS = 120
_MAX_AUTHORS = 8
_SPARK = "▁▂▃▄▅▆▇█"


def render_view(view: View) -> str:
    """The reply as Markdown text, ending in one newline."""
    renderer = _RENDERERS.get(type(view))
    if renderer is None:  # tests/formatters/test_view_renderers.py keeps this from happening
        raise TypeError(f"no renderer for {type(view).__name__}")
    lines = renderer(view)
    return "\n".join(lines).strip("\n") + "\n"


# ---------------------------------------------------------------- text helpers


def _cell(text: str) -> str:
    return one_line(text).replace("|", "\\|")


def _link_text(text: str) -> str:
    return one_line(text).replace("[", "(").replace("]", ")")


def _link(text: str, url: str) -> str:
    return f"[{_link_text(text)}]({url.replace(' ', '%20').replace(')', '%29')})"


# ---------------------------------------------------------------- views


def _message(view: MessageView) -> list[str]:
    return [one_line(line) for line in view.lines]


def _digest(view: DigestView) -> list[str]:
    digest: Digest = view.digest
    language = digest.language
    names = digest.topic_names
    lines = [f"# {digest_title(language, digest.published)}"]
    if digest.only_topics:
        only = join_list([names.get(topic, topic) for topic in digest.only_topics], language)
        lines += ["", f"_{label(language, 'only_topics', topics=only)}_"]
    lines += ["", f"## {label(language, 'preview')}", ""]
    if digest.entries:
        topics = join_list([names.get(topic, topic) for topic in digest.topics], language)
        lines += [label(language, "preview_line", count=len(digest.entries), topics=topics), ""]
    else:
        lines += [label(language, "description_none"), ""]
    for number, entry in enumerate(digest.entries, 1):
        document = build_card(entry, language, names)
        line = f"{number}. **{document.short_name}** {'⭐' * document.stars}"
        one_liner = shorten(document.line_summary, _ONE_LINER_CHARS)
        if one_liner:
            line += f" — {one_liner}"
        lines.append(line)
        lines.append(f"   {_link('arXiv:' + document.arxiv_id, document.abs_url)} · `paper {document.arxiv_id}`")
    excluded = f"**{label(language, 'excluded')}**: {len(digest.exclusions)}"
    lines += ["", f"{excluded} · `excluded {digest.list_day.isoformat()}`"]
    observations = trend_observations(digest)
    if observations:
        lines += ["", f"## {label(language, 'trends')}", ""]
        lines += [f"- {one_line(sentence)}" for sentence in observations]
    footer = label(
        language,
        "footer",
        source=digest.source,
        list_day=digest.list_day.isoformat(),
    )
    lines += ["", f"*{footer}*"]
    return lines


def render_card_lines(document: CardDocument) -> list[str]:
    """A paper section as in the Markdown post: header lines, then the card's fields."""
    language = document.language
    lines = [f"### {document.title}", ""]
    if document.authors:
        lines.append(f"**{label(language, 'authors')}**: {document.authors_line(_MAX_AUTHORS)}  ")
    links = [
        _link(f"arXiv:{document.arxiv_id}" if link.kind == "arxiv" else link.label, link.url) for link in document.links
    ]
    lines.append(f"**{label(language, 'link')}**: {' · '.join(links)}  ")
    topic_parts = ([document.topic_name] if document.topic_name else []) + (
        [stars(document.stars, language)] if document.stars > 0 else []
    )
    if topic_parts:
        lines.append(f"**{label(language, 'topic')}**: {' · '.join(topic_parts)}")
    if document.excerpt_note:
        lines += ["", f"> {document.excerpt_note}"]
    if document.one_liner:
        lines += ["", f"_{document.one_liner}_"]
    core, points = document.core_innovation, document.points
    if core or points:
        lines += ["", f"**{label(language, 'core_innovation')}**" + (f": {core}" if core else "")]
        lines += [f"{number}. {point}" for number, point in enumerate(points, 1)]
    if document.results:
        lines += ["", f"**{label(language, 'results')}**"] + [f"- {result}" for result in document.results]
    if document.key_insight:
        lines += ["", f"**{label(language, 'key_insight')}**: {document.key_insight}"]
    if document.takeaways:
        lines += ["", f"**{label(language, 'takeaways')}**"]
        lines += [f"- {item.mark} **{item.label}**: {item.text}" for item in document.takeaways]
    lines += ["", f"_{document.method_note}_"]
    return lines


def _card(view: CardView) -> list[str]:
    lines = render_card_lines(build_card(view.entry, view.language, view.topic_names))
    if view.note:
        lines[-1] += f" · {one_line(view.note)}"
    return lines


def _list_item(number: int, item: PaperListItem) -> str:
    title = shorten(one_line(item.paper.title), _LIST_TITLE_CHARS)
    details = [f"`{item.paper.arxiv_id}`"]
    if item.list_day is not None:
        details.append(item.list_day.isoformat())
    if item.topic_name or item.topic:
        details.append(one_line(item.topic_name or item.topic))
    if item.stars:
        details.append("⭐" * item.stars)
    return f"{number}. {_link(title, item.paper.abs_url)} — {' · '.join(details)}"


def _paper_list(view: PaperListView) -> list[str]:
    lines = [f"## {one_line(view.title)}", ""]
    if not view.items:
        lines.append(one_line(view.empty))
    lines += [_list_item(number, item) for number, item in enumerate(view.items, 1)]
    if view.note:
        lines += ["", one_line(view.note)]
    return lines


def _excluded(view: ExcludedView) -> list[str]:
    language = view.language
    lines = [f"## {label(language, 'excluded')} · {view.list_day.isoformat()}", ""]
    if not view.exclusions:
        return lines + [label(language, "excluded_none")]
    lines += [f"| {label(language, 'paper')} | {label(language, 'reason')} |", "|---|---|"]
    for exclusion in view.exclusions:
        title = shorten(one_line(exclusion.paper.title), _LIST_TITLE_CHARS)
        lines.append(f"| {_cell(_link(title, exclusion.paper.abs_url))} | {_cell(exclusion_reason(exclusion, language))} |")
    return lines


def _topics(view: TopicsView) -> list[str]:
    lines = [f"## {one_line(view.title)}", ""]
    lines += ["| " + " | ".join(_cell(column) for column in view.columns) + " |", "|---|---|---:|"]
    lines += [f"| `{row.id}` | {_cell(row.name)} | {row.count} |" for row in view.rows]
    if view.note:
        lines += ["", one_line(view.note)]
    return lines


def sparkline(counts: list[int], top: int) -> str:
    """One character per day, scaled to `top`; a day with nothing is a dot."""
    if top <= 0:
        return "·" * len(counts)
    levels = len(_SPARK)
    return "".join("·" if count <= 0 else _SPARK[min(levels - 1, (count * levels - 1) // top)] for count in counts)


def _trends(view: TrendsView) -> list[str]:
    lines = [f"## {one_line(view.title)}", ""]
    if not view.days:
        return lines + [one_line(view.empty)]
    top = max((count for row in view.rows for count in row.counts), default=0)
    lines += ["| " + " | ".join(_cell(column) for column in view.columns) + " |", "|---|---:|---:|---|"]
    for row in view.rows:
        per_day = row.total / len(view.days)
        lines.append(f"| {_cell(row.name)} | {row.total} | {per_day:.1f} | `{sparkline(row.counts, top)}` |")
    return lines


def _subscription(view: SubscriptionView) -> list[str]:
    lines = [one_line(view.note), ""] if view.note else []
    lines += [f"## {one_line(view.title)}", ""]
    lines += [f"- **{one_line(name)}**: {one_line(value)}" for name, value in view.fields]
    return lines


def _help(view: HelpView) -> list[str]:
    lines = [f"## {one_line(view.title)}", ""]
    lines += [f"- `{usage}` — {one_line(about)}" for usage, about in view.commands]
    if view.note:
        lines += ["", one_line(view.note)]
    return lines


_RENDERERS: dict[type, Callable[[Any], list[str]]] = {
    MessageView: _message,
    DigestView: _digest,
    CardView: _card,
    PaperListView: _paper_list,
    ExcludedView: _excluded,
    TopicsView: _topics,
    TrendsView: _trends,
    SubscriptionView: _subscription,
    HelpView: _help,
}

# Every view type this target renders (a test checks it is every view type there is).
RENDERED_VIEWS = frozenset(_RENDERERS)

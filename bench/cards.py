"""How the extractive cards read, over every picked paper of the saved Daily Papers archive.

Imports every day into a fresh SQLite store in a temporary folder (no network), builds the
digest of each day in English and Chinese, renders every card as the reader gets it (the
card document, the Markdown post, the Telegram messages) and counts what reads badly:

    python bench/cards.py [DATA_DIR] [--days N] [--show K]

DATA_DIR defaults to ../shared/data/hf-daily next to the repository; `--days` limits the
run to the last N list days, `--show` prints K random English cards for reading.

Targets (issue 12): fields opening with an unresolved reference <= 2%; LaTeX commands,
placeholders, control characters, duplicated sentences and shortened fields ending inside a
number 0; cards with a results section when the abstract states a number >= 95%; Telegram
cards with a picture when the list has a thumbnail >= 95%.

The checks are this program's own (regular expressions written here), not the summarizer's:
a benchmark that reused the code it measures would agree with it by construction.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import random
import re
import sys
import tempfile
import time
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from paperwire.bot.curation.taxonomy import load_taxonomy  # noqa: E402
from paperwire.bot.models import Digest  # noqa: E402
from paperwire.bot.pipeline import Pipeline  # noqa: E402
from paperwire.bot.sources.errors import SourceError  # noqa: E402
from paperwire.bot.sources.files import FileSource  # noqa: E402
from paperwire.bot.store import papers as paper_store  # noqa: E402
from paperwire.bot.store.database import Database  # noqa: E402
from paperwire.bot.summarize.extractive import ExtractiveSummarizer  # noqa: E402
from paperwire.config.settings import DEFAULT_TOPICS_FILE  # noqa: E402
from paperwire.formatters.card import CardDocument, build_card  # noqa: E402
from paperwire.formatters.markdown import render_markdown  # noqa: E402
from paperwire.formatters.telegram import render_card  # noqa: E402

DEFAULT_DATA = ROOT.parent / "shared" / "data" / "hf-daily"

# A sentence that leans on one before it. "Our method"/"This framework" refer to the paper's
# own method, which the card's core innovation names; those count as resolved when it is there.
_REFERENCE = re.compile(
    r"^(?:this|these|those|that|it|its|they|their|them|such|both|the latter|the former|here)\b", re.IGNORECASE
)
_OWN_METHOD = re.compile(
    r"^(?:our|this|the proposed|the resulting)\s+(?:[\w-]+\s+){0,2}?"
    r"(?:method|methods|approach|framework|model|models|system|pipeline|technique|algorithm|architecture|design"
    r"|agent|paradigm|strategy|work|paper|study|report|survey|article|benchmark|dataset|recipe|solution|policy"
    r"|training|tool|library)\b",
    re.IGNORECASE,
)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z(\"“])")
_LATEX = re.compile(r"\\[A-Za-z]+|\\[%&$_#{}]|\$[^$\s][^$]{0,60}\$|(?<![-!<])--(?![->])|``|''")
_PLACEHOLDER = re.compile(r"this https? URL", re.IGNORECASE)
_BIDI = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\ufeff")
_ENDS_IN_NUMBER = re.compile(r"\d[.,]?\d*\s*…$|\d[.,]…$")
_STATED_NUMBER = re.compile(
    r"(?<![\w.])\d+(?:\.\d+)?\s?(?:%|×|x(?![A-Za-z])|-fold|\s?times\b)|(?<![\w.\-])\d+\.\d+(?![\w.])"
)
_CODE_URL = re.compile(r"^(?:code|our code|the code)[^.]{0,40}(?:https?://|github\.com)\S+\.?$", re.IGNORECASE)


@dataclass
class Tally:
    cards: int = 0
    fields: int = 0
    unresolved: int = 0
    latex: int = 0
    placeholders: int = 0
    controls: int = 0
    duplicates: int = 0
    cut_fields: int = 0
    cut_in_number: int = 0
    numbered_abstracts: int = 0
    with_results: int = 0
    no_takeaway: int = 0
    bare_code_next: int = 0
    with_limitations: int = 0
    with_fits: int = 0
    with_next: int = 0
    thumbnails: int = 0
    telegram_pictures: int = 0
    zh_cards: int = 0
    zh_marked: int = 0
    zh_table_cut: int = 0
    zh_titles: int = 0
    zh_titles_dated: int = 0
    examples: dict[str, list[str]] = field(default_factory=dict)

    def example(self, kind: str, text: str) -> None:
        bucket = self.examples.setdefault(kind, [])
        if len(bucket) < 3:
            bucket.append(text if kind == "cut in a number" else text[:220])


def card_fields(document: CardDocument) -> list[tuple[str, str]]:
    items = [("one_liner", document.one_liner), ("core", document.core_innovation)]
    items += [("point", text) for text in document.points]
    items += [("result", text) for text in document.results]
    items += [("insight", document.key_insight)]
    items += [(takeaway.key, takeaway.text) for takeaway in document.takeaways]
    return [(name, text) for name, text in items if text]


def opens_unresolved(text: str, has_core: bool) -> bool:
    first = _SENTENCE_END.split(text.strip(), maxsplit=1)[0]
    if _OWN_METHOD.match(first):
        return not has_core
    return bool(_REFERENCE.match(first))


def control_count(text: str) -> int:
    return sum(
        1 for char in text if char in _BIDI or (unicodedata.category(char) == "Cc" and char not in "\n\t")
    )


def sentences(text: str) -> list[str]:
    return [" ".join(part.lower().split()).rstrip(".…") for part in _SENTENCE_END.split(text) if len(part) > 25]


def check_english(tally: Tally, digest: Digest, posts: list[str]) -> list[CardDocument]:
    documents = []
    for number, entry in enumerate(digest.entries, 1):
        document = build_card(entry, "en", digest.topic_names)
        documents.append(document)
        tally.cards += 1
        fields = card_fields(document)
        has_core = bool(document.core_innovation)
        seen: Counter[str] = Counter()
        for name, text in fields:
            if name == "one_liner":  # the preview line repeats the card by design
                continue
            tally.fields += 1
            if opens_unresolved(text, has_core):
                tally.unresolved += 1
                tally.example("unresolved", f"{entry.paper.arxiv_id} {name}: {text}")
            for sentence in sentences(text):
                seen[sentence] += 1
            if text.endswith("…"):
                tally.cut_fields += 1
                if _ENDS_IN_NUMBER.search(text):
                    tally.cut_in_number += 1
                    tally.example("cut in a number", f"{entry.paper.arxiv_id} {name}: {text}")
        repeated = sum(count - 1 for count in seen.values() if count > 1)
        if repeated:
            tally.duplicates += repeated
            tally.example("duplicate", f"{entry.paper.arxiv_id}: {[s for s, c in seen.items() if c > 1][0]}")
        shown = [document.title, *document.authors, *(text for _, text in fields)]
        for text in shown:
            latex = len(_LATEX.findall(text))
            if latex:
                tally.latex += latex
                tally.example("latex", f"{entry.paper.arxiv_id}: {text}")
            if _PLACEHOLDER.search(text):
                tally.placeholders += 1
                tally.example("placeholder", f"{entry.paper.arxiv_id}: {text}")
            tally.controls += control_count(text)
        if _STATED_NUMBER.search(entry.paper.abstract):
            tally.numbered_abstracts += 1
            if document.results:
                tally.with_results += 1
            else:
                tally.example("no results", f"{entry.paper.arxiv_id}: {entry.paper.abstract}")
        keys = {takeaway.key for takeaway in document.takeaways}
        tally.no_takeaway += not keys
        tally.with_fits += "fits" in keys
        tally.with_limitations += "limitations" in keys
        tally.with_next += "next_action" in keys
        next_action = next((t.text for t in document.takeaways if t.key == "next_action"), "")
        if next_action and _CODE_URL.match(next_action):
            tally.bare_code_next += 1
            tally.example("bare code link", f"{entry.paper.arxiv_id}: {next_action}")
        messages = render_card(entry, "en", number, digest.topic_names)
        for message in messages:
            tally.controls += control_count(message.text)
        if entry.paper.thumbnail_url:
            tally.thumbnails += 1
            tally.telegram_pictures += any(message.photo or message.preview_url for message in messages)
    for post in posts:
        tally.controls += control_count(post.replace("\n", ""))
    return documents


def check_chinese(tally: Tally, digest: Digest, post: str) -> None:
    tally.zh_titles += 1
    tally.zh_titles_dated += f"{digest.published:%Y年%m月%d日}" in post
    for entry in digest.entries:
        document = build_card(entry, "zh", digest.topic_names)
        tally.zh_cards += 1
        tally.zh_marked += "英文原文摘录" in document.method_note or "英文原文摘录" in post
    summary = post.split("## 总结", 1)[-1].split("\n##", 1)[0]
    rows = [[cell.strip() for cell in line.strip("|").split(" | ")] for line in summary.splitlines() if line.startswith("|")]
    if rows and "核心贡献" in rows[0]:
        column = rows[0].index("核心贡献")
        tally.zh_table_cut += sum(1 for row in rows[2:] if len(row) > column and row[column].endswith("…"))


def percent(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f}%" if whole else "n/a"


def report(tally: Tally, days: int, elapsed: float) -> None:
    print(f"days built: {days} (en and zh), cards: {tally.cards}, fields checked: {tally.fields}, {elapsed:.0f} s")
    print(f"fields opening with an unresolved reference: {tally.unresolved} ({percent(tally.unresolved, tally.fields)})"
          "   (target <= 2%)")
    print(f"LaTeX commands: {tally.latex}   placeholders: {tally.placeholders}   control characters: {tally.controls}"
          "   (target 0 each)")
    print(f"duplicated sentences: {tally.duplicates}   (target 0)")
    print(f"shortened fields: {tally.cut_fields} ({percent(tally.cut_fields, tally.fields)}), "
          f"ending inside a number: {tally.cut_in_number}   (target 0)")
    print(f"cards with a results section when the abstract states a number: {tally.with_results}/"
          f"{tally.numbered_abstracts} ({percent(tally.with_results, tally.numbered_abstracts)})   (target >= 95%)")
    print(f"Telegram cards with a picture when the list has a thumbnail: {tally.telegram_pictures}/{tally.thumbnails} "
          f"({percent(tally.telegram_pictures, tally.thumbnails)})   (target >= 95%)")
    print(f"takeaways: none {percent(tally.no_takeaway, tally.cards)}, fits {percent(tally.with_fits, tally.cards)}, "
          f"limitations {percent(tally.with_limitations, tally.cards)}, next action "
          f"{percent(tally.with_next, tally.cards)} (a bare code link: {tally.bare_code_next})")
    print(f"zh: cards marked as English excerpts {tally.zh_marked}/{tally.zh_cards}, summary-table contribution "
          f"cells cut {tally.zh_table_cut}, titles dated 年月日 {tally.zh_titles_dated}/{tally.zh_titles}")
    for kind, texts in tally.examples.items():
        print(f"\n  e.g. {kind}:")
        for text in texts:
            print(f"    {text}")


async def run(data: Path, last_days: int, show: int) -> int:
    logging.basicConfig(level=logging.ERROR, stream=sys.stderr)
    with tempfile.TemporaryDirectory(prefix="paperwire-cards-") as scratch:
        db = Database(f"sqlite+aiosqlite:///{Path(scratch) / 'cards.sqlite3'}")
        await db.start()
        try:
            pipeline = Pipeline(db, load_taxonomy(DEFAULT_TOPICS_FILE), ExtractiveSummarizer())
            source = FileSource(data)
            started = time.perf_counter()
            for day in source.days():
                try:
                    await pipeline.ingest(source.read_day(day), f"bench {day}.json")
                except SourceError as error:
                    print(f"skipped {day}: {error}", file=sys.stderr)
            async with db.connect() as connection:
                days = await paper_store.known_list_days(connection)
            days = days[-last_days:] if last_days else days
            tally = Tally()
            documents: list[CardDocument] = []
            for day in days:
                english = await pipeline.build(day, "en")
                chinese = await pipeline.build(day, "zh")
                if english is None or chinese is None:
                    continue
                documents += check_english(tally, english, [render_markdown(english)])
                check_chinese(tally, chinese, render_markdown(chinese))
            report(tally, len(days), time.perf_counter() - started)
            for document in random.Random(12).sample(documents, min(show, len(documents))):
                print(f"\n=== {document.arxiv_id} {document.title}")
                for name, text in card_fields(document):
                    print(f"  [{name}] {text}")
        finally:
            await db.close()
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data_dir", nargs="?", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--days", type=int, default=0, help="only the last N list days (default: all)")
    parser.add_argument("--show", type=int, default=0, help="print K random English cards")
    args = parser.parse_args()
    if not args.data_dir.is_dir():
        print(f"no data directory at {args.data_dir}", file=sys.stderr)
        return 1
    return asyncio.run(run(args.data_dir, args.days, args.show))


if __name__ == "__main__":
    sys.exit(main())

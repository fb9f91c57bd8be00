"""Benchmark: the grounding check's pair test over real abstracts.

For every abstract sentence that states two or more different numbers:
- the sentence itself, and each of its clauses, checked against the abstract, must be kept
  (a verbatim claim is never dropped: false drops);
- the same sentence with two of its numbers swapped must be dropped (caught swaps).
Prints the counts, rates and the time per sentence check.

    .venv/bin/python bench/pairs.py [DATA_DIR] [--days N]
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from paperwire.bot.sources.files import FileSource  # noqa: E402
from paperwire.bot.summarize.grounding import GroundingSource, check_sentence  # noqa: E402
from paperwire.bot.summarize.pairs import number_uses  # noqa: E402
from paperwire.bot.summarize.grounding import extract_names  # noqa: E402
from paperwire.bot.summarize.sentences import number_spans, normalize_space, split_sentences  # noqa: E402

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "hf-daily"
_CLAUSE = re.compile(r",\s+|;\s+|\s+while\s+|\s+and\s+(?=[a-z]+\s+\d)")


def swapped(sentence: str) -> str | None:
    """The sentence with its first two different numbers (units included) exchanged."""
    names = extract_names(sentence)
    spans = [
        (number, start, end)
        for number, start, end in number_spans(sentence)
        if not any(s <= start < e for _, s, e in names)
    ]
    for i, (first, start1, end1) in enumerate(spans):
        for second, start2, end2 in spans[i + 1 :]:
            if first != second:
                return (
                    sentence[:start1] + sentence[start2:end2] + sentence[end1:start2]
                    + sentence[start1:end1] + sentence[end2:]
                )
    return None


def main(args: argparse.Namespace) -> None:
    source = FileSource(args.data)
    days = source.days()[-args.days :] if args.days else source.days()
    sentences = clauses = clause_drops = sentence_drops = swaps = caught = with_owned = 0
    checks = 0
    spent = 0.0
    seen: set[str] = set()
    for day in days:
        for paper in source.read_day(day).papers:
            if paper.arxiv_id in seen or not paper.abstract:
                continue
            seen.add(paper.arxiv_id)
            text = f"Title: {paper.title}\nAbstract: {paper.abstract}"
            grounding = GroundingSource(text)
            for sentence in split_sentences(paper.abstract):
                sentence = normalize_space(sentence)
                if len({number for number, _, _ in number_spans(sentence)}) < 2:
                    continue
                sentences += 1
                started = time.perf_counter()
                kept = check_sentence(sentence, grounding).supported
                spent += time.perf_counter() - started
                checks += 1
                sentence_drops += not kept
                for clause in _CLAUSE.split(sentence):
                    if number_spans(clause):
                        clauses += 1
                        clause_drops += not check_sentence(clause, grounding).supported
                variant = swapped(sentence)
                if variant is None or variant == sentence:
                    continue
                uses = number_uses(variant, extract_names(variant))
                if not any(use.owns for use in uses):
                    continue
                with_owned += 1
                swaps += 1
                started = time.perf_counter()
                caught += not check_sentence(variant, grounding).supported
                spent += time.perf_counter() - started
                checks += 1
    print(f"days={len(days)} papers={len(seen)} sentences_with_2+_numbers={sentences}")
    print(f"verbatim sentences dropped: {sentence_drops} of {sentences} ({100 * sentence_drops / max(sentences, 1):.2f}%)")
    print(f"verbatim clauses dropped:   {clause_drops} of {clauses} ({100 * clause_drops / max(clauses, 1):.2f}%)")
    print(f"swapped pairs caught:       {caught} of {swaps} ({100 * caught / max(swaps, 1):.1f}%)")
    print(f"check time: {1e6 * spent / max(checks, 1):.0f} us per sentence ({checks} checks)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", nargs="?", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--days", type=int, default=0, help="only the last N days (default: all)")
    main(parser.parse_args())

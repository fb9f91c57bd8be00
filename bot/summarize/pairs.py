"""Pairs, not just numbers: a number is supported only with the thing it measures.

"95% speedup at 16.2x sparsity" holds two numbers the source has ("95% sparsity and a
16.2x speedup") paired the wrong way. Each number in a sentence owns the words around it
(a metric, benchmark or quantity word: "speedup", "accuracy", "GSM8K", "tokens"), up to
the next number or clause break, a word between two numbers going to the nearer one. A
claim's number is supported by a source sentence stating the same number when

- some word it owns occurs in that sentence, owned there by the same number or by none
  (what it measures is said there, and not of another figure), and
- the word it qualifies directly in the claim ("95% speedup") is not qualified directly
  by another number, and not by this one, in that sentence (a swapped pair).

A number that owns no word ("rises from 45.1% to 52.3%") is checked by presence alone.
Chinese text is read through a small glossary of metric words, so a Chinese card is
checked against an English abstract by what its numbers measure too. Regex only.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field

from paperwire.bot.summarize.sentences import bare_number, number_spans, normalize_space, split_sentences

# How far (in tokens) a word may stand from a number and still be what it measures.
WINDOW = 5

_WORD_WITH_DIGITS = re.compile(r"(?<![A-Za-z0-9])[A-Za-z]+\d[A-Za-z0-9]*(?:[-_.+/][A-Za-z0-9]+)*")
_LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:[-_.+/'][A-Za-z0-9]+)*")
# Clause breaks: a word across one of these does not qualify a number.
_BREAK = re.compile(r"[,;:()\[\]，；：（）、]|\s(?:while|whereas|but|whilst)\s")

# Chinese metric and quantity words, read as the English stems they stand for.
_GLOSSARY: dict[str, str] = {
    "加速": "speed", "提速": "speed", "速度": "speed", "加快": "speed", "倍速": "speed",
    "稀疏": "spars", "准确率": "accur", "准确度": "accur", "精度": "accur", "正确率": "accur",
    "成功率": "succe", "通过率": "pass", "胜率": "win", "错误率": "error", "内存": "memor",
    "显存": "memor", "延迟": "laten", "时延": "laten", "吞吐": "throu", "参数": "param",
    "上下文": "conte", "困惑度": "perpl", "压缩": "compr", "任务": "task", "解码": "decod",
    "令牌": "token", "词元": "token", "计算量": "compu", "算力": "compu", "成本": "cost",
    "比特": "bit", "样本": "sampl", "奖励": "rewar", "得分": "score", "分数": "score",
    "能耗": "energ", "训练": "train", "推理": "infer", "数据": "data", "轮次": "round", "步数": "step",
}
_GLOSSARY_TERM = re.compile("|".join(sorted(map(re.escape, _GLOSSARY), key=len, reverse=True)))
_CJK = re.compile(r"[\u3400-\u9fff]")

# Words that measure nothing: function words, the verbs that carry any figure, and units
# the number already has. They neither pair a number nor break a pair.
STOPWORDS = frozenset(
    """
    a an the of on in at to by for from with within into over under than and or as is are was were be been being
    it its this that these those which who we our they their there here up down only just about around nearly
    almost roughly approximately approx more less fewer most least higher lower better worse up to per each
    achieve achieves achieved achieving reach reaches reached reaching obtain obtains obtained attain attains
    attained get gets got yield yields yielded show shows showed shown demonstrate demonstrates deliver delivers
    improve improves improved improving improvement improvements outperform outperforms outperformed
    surpass surpasses surpassed exceed exceeds exceeded beat beats increase increases increased reduce reduces
    reduced reducing reduction boost boosts boosted raise raises raised rise rises rising lift lifts lifted cut
    cuts drop drops keep keeps kept retain retains retained maintain maintains preserve preserves preserving
    use uses used using require requires need needs while respectively relative absolute average overall
    times fold percent percentage point points pp pt pts x also even still all both same new our up
    """.split()
)


def _stem(word: str) -> str:
    """A crude stem that makes "speeds"/"speedup", "sparse"/"sparsity", "decoding"/"decode" meet."""
    word = word.lower()
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        word = word[:-1]
    return word[:5]


@dataclass(slots=True)
class _Token:
    kind: str  # "number", "word" (a measure word, stemmed or a name key) or "filler"
    value: str
    start: int


def _tokens(text: str, names: list[tuple[str, int, int]]) -> list[_Token | None]:
    """The sentence as tokens in order; None marks a clause break."""
    found: list[tuple[int, _Token | None]] = []
    taken = [False] * len(text)

    def take(start: int, end: int) -> None:
        for index in range(start, end):
            taken[index] = True

    for name, start, end in names:  # "Llama-3-8B", "GSM8K": measure words, their digits no numbers
        # "SWE-bench Verified" pairs as "swe-bench": which split it is, the name check decides.
        found.append((start, _Token("word", name.split()[0].lower(), start)))
        take(start, end)
    for match in _WORD_WITH_DIGITS.finditer(text):  # "gsm8k", "qwen2.5": words, not numbers
        if not any(taken[match.start() : match.end()]):
            found.append((match.start(), _Token("word", match.group().lower(), match.start())))
            take(match.start(), match.end())
    for number, start, end in number_spans(text):
        if not any(taken[start:end]):
            found.append((start, _Token("number", number, start)))
            take(start, end)
    for match in _BREAK.finditer(text):
        if not any(taken[match.start() : match.end()]):
            found.append((match.start(), None))
            take(match.start(), match.end())
    for match in _GLOSSARY_TERM.finditer(text):
        if not any(taken[match.start() : match.end()]):
            found.append((match.start(), _Token("word", _GLOSSARY[match.group()], match.start())))
            take(match.start(), match.end())
    for match in _CJK.finditer(text):
        if not taken[match.start()]:
            found.append((match.start(), _Token("filler", match.group(), match.start())))
    for match in _LATIN_WORD.finditer(text):
        if any(taken[match.start() : match.end()]):
            continue
        word = match.group()
        kind = "filler" if word.lower() in STOPWORDS else "word"
        found.append((match.start(), _Token(kind, _stem(word) if kind == "word" else word, match.start())))
    found.sort(key=lambda item: item[0])
    return [token for _, token in found]


@dataclass(slots=True)
class NumberUse:
    """One number in one sentence: the words it owns, and those right beside it."""

    number: str
    owns: set[str] = field(default_factory=set)
    beside: set[str] = field(default_factory=set)


def number_uses(text: str, names: list[tuple[str, int, int]]) -> list[NumberUse]:
    """Each number of one sentence with the measure words it owns (see the module doc)."""
    tokens = _tokens(text, names)
    numbers = [index for index, token in enumerate(tokens) if token is not None and token.kind == "number"]
    uses = {index: NumberUse(tokens[index].value) for index in numbers}  # type: ignore[union-attr]
    for index, token in enumerate(tokens):
        if token is None or token.kind != "word":
            continue
        best: list[tuple[int, int]] = []
        for number_index in numbers:
            low, high = sorted((index, number_index))
            between = tokens[low + 1 : high]
            if None in between or any(t is not None and t.kind == "number" for t in between):
                continue  # across a clause break, or another number is nearer on that side
            distance = high - low
            if distance <= WINDOW:
                best.append((distance, number_index))
        if not best:
            continue
        nearest = min(distance for distance, _ in best)
        for distance, number_index in best:
            if distance == nearest:
                uses[number_index].owns.add(token.value)
    for index in numbers:
        uses[index].beside = _beside(tokens, index)
    return [uses[index] for index in numbers]


def _beside(tokens: list[_Token | None], index: int) -> set[str]:
    """The word a number qualifies directly: "95% sparsity", "a 16.2x speedup", "accuracy of
    72.6%", "92% on LongMemEval"."""
    words: set[str] = set()
    after = tokens[index + 1] if index + 1 < len(tokens) else None
    if after is not None and after.kind == "word":
        words.add(after.value)
    elif after is not None and after.value.lower() == "on" and index + 2 < len(tokens):
        benchmark = tokens[index + 2]  # "92% on LongMemEval"
        if benchmark is not None and benchmark.kind == "word":
            words.add(benchmark.value)
    if index >= 2:
        before, word = tokens[index - 1], tokens[index - 2]
        if before is not None and before.kind == "filler" and before.value.lower() == "of" and word is not None and word.kind == "word":
            words.add(word.value)
    return words


@dataclass(slots=True)
class _SourceSentence:
    words: set[str]
    uses: list[NumberUse]


class PairIndex:
    """The source's sentences, each with its numbers and what they measure, for many lookups."""

    def __init__(self, text: str, names_of) -> None:
        self._by_number: dict[str, list[_SourceSentence]] = defaultdict(list)
        for sentence in split_sentences(text):
            sentence = normalize_space(sentence)
            uses = number_uses(sentence, names_of(sentence))
            if not uses:
                continue
            words = {t.value for t in _tokens(sentence, names_of(sentence)) if t is not None and t.kind == "word"}
            entry = _SourceSentence(words, uses)
            for key in {key for use in uses for key in (use.number, bare_number(use.number))}:
                self._by_number[key].append(entry)

    def mispaired(self, use: NumberUse) -> bool:
        """True when the source states `use.number` but never with what the claim pairs it with."""
        if not use.owns:
            return False
        sentences = self._by_number.get(use.number)
        if not sentences and _carries_unit(use.number):  # "from 45.1 to 52.3%" states 45.1%
            sentences = self._by_number.get(bare_number(use.number))
        if not sentences:
            return False  # absent numbers are the presence check's to report
        return not any(self._pairs_in(use, sentence) for sentence in sentences)

    @staticmethod
    def _pairs_in(use: NumberUse, sentence: _SourceSentence) -> bool:
        same = [u for u in sentence.uses if _same_number(use.number, u.number)]
        others = [u for u in sentence.uses if not _same_number(use.number, u.number)]
        own_words = set().union(*(u.owns for u in same))
        other_words = set().union(*(u.owns for u in others))
        # What it measures is said there, with this number or at least with no other one.
        measured = any(
            word in sentence.words and (word in own_words or word not in other_words) for word in use.owns
        )
        own_beside = set().union(*(u.beside for u in same))
        others_beside = set().union(*(u.beside for u in others))
        swapped = (use.beside & others_beside) - own_beside
        return measured and not swapped


def _same_number(claim: str, source: str) -> bool:
    """The same number: a bare claim matches the value with any unit, a percentage or
    factor matches the bare value (the first number of a range)."""
    if claim == source or claim == bare_number(source):
        return True
    return _carries_unit(claim) and bare_number(claim) == source


def _carries_unit(number: str) -> bool:
    return number.endswith(("%", "x"))

"""A summarizer that needs no LLM: it picks the card's fields out of the abstract.

Every field is a sentence (or a clause of one) that the abstract or the HF `ai_summary`
already contains, at most trimmed of a leading connective or cut at a word boundary, so
nothing in a card can be invented. A field the text has nothing for stays empty.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable

from bot.models import Card, Language, Paper
from bot.summarize.base import SummaryResult
from bot.summarize.sentences import normalize_space, split_sentences

MODEL = "extractive"
PROMPT_VERSION = "extractive-1"

MAX_FIELD_CHARS = 400
MAX_ONE_LINER_CHARS = 300
MAX_POINTS = 3
MAX_RESULTS = 4
ELLIPSIS = "…"

# A measured figure: a percentage, a speed-up, a decimal standing on its own ("Qwen2.5"
# and "GPT-4.1" are names, "(1)" is an enumerator, "12K pairs" is a size, not a result).
_MEASURE = re.compile(r"\d(?:\s?(?:%|％|\\%|[x×](?![A-Za-z])|\$?\\times)|(?<![A-Za-z\d.\-]\d)\d*\.\d)")
_ENUMERATOR = re.compile(r"\((?:\d|i{1,3}|iv|v|[a-e])\)\s*|(?:(?<=\s)|^)(?:\d|i{1,3}|iv|v)\)\s+")
_CUT_NUMBER = re.compile(r"\d\S*$")
_ENUMERATED_TAIL = re.compile(r"[\s,;:]*(?:\band\b|\bor\b)?[\s,;:]*$")
_LEADING_CONNECTIVE = re.compile(
    r"^(?:(?:however|moreover|furthermore|additionally|in addition|specifically|concretely|in particular"
    r"|to this end|in this (?:paper|work|study)|here|finally|overall|notably|importantly|besides|also"
    r"|as a result|thus|therefore|consequently|meanwhile|first(?:ly)?|second(?:ly)?|third(?:ly)?|then"
    r"|next|lastly|further|crucially|empirically|experimentally|in summary|in conclusion|to summarize"
    r"|to (?:address|tackle|overcome|solve|bridge|fill|mitigate|alleviate|close)[^,]{0,80})\s*,\s*)+",
    re.IGNORECASE,
)
_TRAILING_CONNECTOR = re.compile(
    r"[\s,:;—-]*\b(?:that|which|to|by|with|including|consisting of|comprising|where|and|via)?[\s,:;—-]*$",
    re.IGNORECASE,
)


def _forms(stem: str, *endings: str) -> list[str]:
    return [stem + ending for ending in ("", *endings)]


# Every cue word and word pair, mapped to the bits of the cue sets holding it, so that a
# sentence meets all cues in two set intersections: a regex scan per cue would cost ten
# times more, and 50 papers must take a few milliseconds.
_WORD_BITS: dict[str, int] = {}
_PAIR_BITS: dict[tuple[str, str], int] = {}
_NEXT_BIT = itertools.count()
_PUNCTUATION = str.maketrans({char: " " for char in ".,;:!?()[]{}\"“”‘’`/\\|<>=+*&^%$#@~«»…—–"})


class _Cues:
    """Cue words and word pairs that mark one kind of sentence."""

    def __init__(self, phrases: Iterable[str]) -> None:
        self.bit = 1 << next(_NEXT_BIT)
        for phrase in phrases:
            words = tuple(phrase.split())
            if len(words) == 1:
                _WORD_BITS[words[0]] = _WORD_BITS.get(words[0], 0) | self.bit
            elif len(words) == 2:
                _PAIR_BITS[words] = _PAIR_BITS.get(words, 0) | self.bit
            else:
                raise ValueError(f"a cue is one or two words, not {phrase!r}")

    def found_in(self, sentence: _Sentence) -> bool:
        return bool(sentence.cues & self.bit)


class _Sentence:
    """A sentence and the cue sets it meets (a bit per `_Cues`)."""

    __slots__ = ("index", "text", "lower", "cues", "_measured")

    def __init__(self, index: int, text: str) -> None:
        self.index = index
        self.text = text
        self.lower = text.lower()
        tokens = self.lower.translate(_PUNCTUATION).split()
        cues = 0
        for word in _WORD_BITS.keys() & tokens:
            cues |= _WORD_BITS[word]
        for pair in _PAIR_BITS.keys() & zip(tokens, tokens[1:]):
            cues |= _PAIR_BITS[pair]
        self.cues = cues
        self._measured: bool | None = None

    @property
    def measured(self) -> bool:
        """Whether the sentence states a measured figure (looked up only when asked)."""
        if self._measured is None:
            self._measured = bool(_MEASURE.search(self.text))
        return self._measured


_WE_CONTRIBUTE = ["propose", "introduce", "present", "develop", "design", "build", "construct", "formulate",
                  "devise", "establish", "contribute", "curate", "create"]
CONTRIBUTION = _Cues(
    [f"we {verb}" for verb in _WE_CONTRIBUTE]
    + [f"{adverb} {verb}" for adverb in ("first", "further", "then", "also", "hereby", "newly")
       for verb in _WE_CONTRIBUTE]
    + [f"{det} {noun}" for det in ("this", "our") for noun in ("paper", "work", "study", "report")]
    + ["here we", "present paper", "present work", "put forward"]
)
CONTRIBUTION_WEAK = _Cues(
    f"our {noun}" for noun in ("method", "approach", "framework", "model", "system", "algorithm", "technique")
)
CONTEXT = _Cues(
    ["yet", "however", "challenge", "challenges", "challenging", "existing", "remain", "remains", "limited",
     "despite", "although", "recent", "recently", "prior", "previous", "conventional", "traditional",
     "current", "currently", *_forms("suffer", "s", "ing"), *_forms("struggle", "s"), "struggling",
     *_forms("lack", "s", "ing")]
    + [f"{aux} {verb}" for aux in ("has", "have")
       for verb in ("become", "emerged", "shown", "demonstrated", "achieved")]
)
RELEASE_THINGS = _Cues(
    ["code", "codes", "data", "dataset", "datasets", "model", "models", "weights", "checkpoints", "benchmark",
     "benchmarks", "implementation", "demo", "page", "toolkit", "library"]
)
RELEASE_WORDS = _Cues(["available", "release", "released", "open-source", "open-sourced", "publicly"])
RELEASE = _Cues(
    ["we release", "we open-source", "will release", "will open-source", "available at", "released at"]
)
LIMITATION = _Cues(
    ["limitation", "limitations", "shortcoming", "shortcomings", "drawback", "drawbacks", "weakness",
     "weaknesses"]
)
LIMITATION_WEAK = _Cues(
    ["limited to", "remains limited", "not yet", "cannot", "can not", "fails to", "fail to", "unable to",
     "remains challenging", "remain challenging", "remains open", "remains unclear", "remains difficult"]
    + [f"still {verb}" for verb in ("struggle", "struggles", "lags", "lag", "lacks", "lack", "falls", "suffers",
                                     "requires", "require")]
)
# Most limitations an abstract names belong to earlier work; these say the paper's own.
_DEFERRED = re.compile(r"\bwe leave\b|\bleft (?:for|to|as) future\b|\bbeyond the scope of (?:this|our)\b")
_OWN_LIMITATION = re.compile(
    r"\b(?:limitations?|shortcomings?|drawbacks?) of (?:our|the proposed|this)\b"
    r"|\b(?:our|this|the proposed) (?:[\w-]+ ){0,2}(?:still )?(?:has|have|is|are|remains?) (?:still |also )?"
    r"(?:some |several |certain |a few )?(?:limit|restricted|constrained|not yet|unable)"
)
_CONCESSIVE = ("however", "nevertheless", "nonetheless", "that said", "still,", "although our", "while our")
_OWN_WORK = ("method", "methods", "approach", "framework", "model", "models", "system", "algorithm", "agent",
             "pipeline", "technique", "design", "work", "study", "solution", "policy")
# The paper's own artefact, not "our results" or "our analysis" (which report on others).
SELF_REFERENCE = _Cues(
    [f"{det} {noun}" for det in ("our", "this", "proposed") for noun in _OWN_WORK]
)
RESULT = _Cues(
    [*_forms("outperform", "s", "ed", "ing"), *_forms("surpass", "es", "ed", "ing"), "state-of-the-art", "sota",
     "speedup", "speedups", "speed-up", "speed-ups", *_forms("exceed", "s", "ed", "ing"), "beats",
     *_forms("achieve", "s", "d"), "achieving", "improves", "improving", "improvement", "improvements",
     *_forms("boost", "s", "ing"), "rivals", "rivaling", "competitive", "gain", "gains", "reduces",
     "reducing", "reduction", "on par", "new record"]
    + [f"{subject} {verb}" for subject in ("experiments", "results", "evaluations", "evaluation")
       for verb in ("show", "shows", "demonstrate", "demonstrates", "confirm")]
)
RESULT_SUBJECT = _Cues(
    ["experiments", "experimental", "empirical", "evaluations", "evaluation", "results", "benchmarks"]
)
RESULT_VERB = _Cues(
    [*_forms("show", "s"), *_forms("demonstrate", "s"), *_forms("confirm", "s"), *_forms("validate", "s"),
     "verify", "verifies"]
)
FITS = _Cues(
    ["applicable to", "useful for", "useful in", "suited for", "suited to", "suitable for", "plug-and-play",
     "drop-in", "compatible with", "practical for", "practical in", "paves the", "pave the",
     "real-world deployment", "real-world applications", "real-world use"]
    + [f"be {verb}" for verb in ("used", "applied", "deployed", "integrated", "plugged", "combined")]
)
NEGATED_FIT = _Cues(["not suitable", "not suited", "not applicable", "not useful", "not compatible", "unsuitable"])
STILL = _Cues(["still"])
# "Enables" says where a method helps only when what it enables is a use, not a mechanism.
ENABLES = _Cues(["enable", "enables", "enabling"])
USES = _Cues(
    ["application", "applications", "deployment", "deploy", "use", "practitioners", "real-time", "on-device",
     "edge", "downstream", "users", "scenarios", "settings", "devices", "consumer", "practical"]
)
INSIGHT = _Cues(
    [f"we {verb}" for verb in ("find", "found", "show", "observe", "discover", "reveal", "argue", "identify",
                               "highlight", "note")]
    + [*_forms("reveal", "s"), *_forms("suggest", "s"), *_forms("indicate", "s"), *_forms("highlight", "s"),
       *_forms("underscore", "s"), *_forms("expose", "s"), "implies", "insight", "insights", "finding", "findings",
       "surprising", "surprisingly", "interestingly", "counterintuitive", "counter-intuitive", "lesson", "lessons"]
    + [f"key {noun}" for noun in ("insight", "finding", "observation", "idea", "factor", "role", "to")]
    + ["the key", "these results", "our analysis", "find that", "found that", "show that", "shows that"]
)
METHOD = _Cues(
    ["specifically", "concretely", "consists", "comprises", "composed", *_forms("leverage", "s", "d"), "leveraging",
     *_forms("incorporate", "s", "d"), "incorporating", *_forms("integrate", "s", "d"), "integrating",
     *_forms("employ", "s", "ed", "ing"), *_forms("utilize", "s", "d"), "built on", "built upon", "based on",
     "module", "modules", "mechanism", "pipeline", "stage", "stages", "objective", "architecture"]
    + [f"we {verb}" for verb in ("use", "adopt", "train", "apply", "decompose", "reframe", "treat", "cast",
                                 "frame", "model", "first", "further", "then", "also", "additionally")]
)


class ExtractiveSummarizer:
    """The summarizer used when no LLM is configured; cheap enough to run on every pick."""

    @property
    def cache_key(self) -> tuple[str, str]:
        return MODEL, PROMPT_VERSION

    async def summarize(self, paper: Paper, language: Language) -> SummaryResult:
        # The card stays in the paper's own language whatever `language` is: translating
        # would need a model, and the labels around it are already localised.
        return SummaryResult(card=summarize_extractive(paper), model=MODEL, prompt_version=PROMPT_VERSION)


def summarize_extractive(paper: Paper) -> Card:
    """Fill a card from the paper's abstract and HF summary, leaving unsupported fields empty."""
    summary_sentences = split_sentences(paper.ai_summary or "")
    pool = split_sentences(paper.abstract) or summary_sentences
    sentences = [_Sentence(i, text) for i, text in enumerate(pool)]
    name = _method_name(paper.title)

    contribution = _find_contribution(sentences, name)
    roles = _assign_roles(sentences, contribution, name)

    by_role: dict[str, list[_Sentence]] = {}
    for sentence in sentences:
        by_role.setdefault(roles.get(sentence.index, ""), []).append(sentence)

    def having(role: str) -> list[_Sentence]:
        return by_role.get(role, [])

    core_innovation = ""
    points: list[str] = []
    if contribution:
        head, points = _split_enumeration(contribution.text)
        core_innovation = _clip(_trim(head), MAX_FIELD_CHARS)
    results = having("result")
    first_result = min((s.index for s in results), default=len(sentences))
    method = [s for s in having("method") if s.index < first_result or METHOD.found_in(s)]
    if not points and method:
        points = _split_enumeration(method[0].text)[1] or [_trim(s.text) for s in method]
    points = [_clip(point, MAX_FIELD_CHARS) for point in points[:MAX_POINTS]]

    if summary_sentences:
        one_liner = summary_sentences[0]
    elif contribution:
        one_liner = _trim(contribution.text)
    else:
        plain = [s for s in sentences if roles.get(s.index) != "context"] or sentences
        one_liner = _trim(plain[0].text) if plain else normalize_space(paper.title)

    return Card(
        one_liner=_clip(one_liner, MAX_ONE_LINER_CHARS),
        core_innovation=core_innovation,
        innovation_points=points,
        results=[_clip(item, MAX_FIELD_CHARS) for item in _result_items(results)],
        key_insight=_first(having("insight")),
        fits=_first(having("fits")),
        limitations=_first(having("limitation")),
        next_action=_first(having("next_action")),
        method="extractive",
    )


def _method_name(title: str) -> str:
    """The paper's own name for its method ("EnvHarness" in "EnvHarness: ..."), lowercased."""
    head, colon, _ = title.partition(":")
    head = normalize_space(head)
    if colon and 0 < len(head) <= 40 and len(head.split()) <= 4:
        return head.lower()
    return ""


def _find_contribution(sentences: list[_Sentence], name: str) -> _Sentence | None:
    """The sentence saying what the paper contributes ("We propose ...", "This paper ...")."""
    for sentence in sentences:
        if CONTRIBUTION.found_in(sentence):
            return sentence
    for sentence in sentences:
        if CONTRIBUTION_WEAK.found_in(sentence) and not sentence.measured:
            return sentence
    if name:
        for sentence in sentences:
            if name in sentence.lower and not CONTEXT.found_in(sentence):
                return sentence
    # Last resort: the first thing the authors say they did ("We evaluate ...").
    for sentence in sentences:
        if sentence.lower.startswith("we ") and not sentence.measured:
            return sentence
    return None


def _assign_roles(sentences: list[_Sentence], contribution: _Sentence | None, name: str) -> dict[int, str]:
    """Give each sentence after the contribution the one card field it can serve."""
    if contribution:
        # Sentences before the contribution set the scene: nobody's result or limitation.
        return {s.index: _role(s, name) for s in sentences[contribution.index + 1 :]}
    roles: dict[int, str] = {}
    in_scene = True
    for s in sentences:
        in_scene = in_scene and (CONTEXT.found_in(s) or LIMITATION.found_in(s))
        roles[s.index] = "context" if in_scene else _role(s, name)
    return roles


def _role(sentence: _Sentence, name: str) -> str:
    """Which field a sentence serves, by priority: the strongest, most explicit cue wins."""
    if _announces_release(sentence):
        return "next_action"
    insight = INSIGHT.found_in(sentence)
    if _states_limitation(sentence, name, insight):
        return "limitation"
    if sentence.measured:
        return "result"
    if CONTRIBUTION.found_in(sentence):
        return "method"  # a further contribution ("We further introduce ...")
    if (
        RESULT.found_in(sentence) or (RESULT_SUBJECT.found_in(sentence) and RESULT_VERB.found_in(sentence))
    ) and not sentence.lower.startswith(("to improve", "to achieve", "to reduce")):
        return "result"
    if (
        FITS.found_in(sentence)
        or (ENABLES.found_in(sentence) and USES.found_in(sentence) and not sentence.lower.startswith("to enable"))
    ) and not NEGATED_FIT.found_in(sentence):
        return "fits"
    if insight:
        return "insight"
    return "method"


def _states_limitation(sentence: _Sentence, name: str, insight: bool) -> bool:
    """A limitation of the paper's own work, not of the earlier work it improves on."""
    lower = sentence.lower
    if _DEFERRED.search(lower):
        return True
    if insight:
        return False  # "Our analysis reveals limitations of current models" is a finding.
    conceding = lower.startswith(_CONCESSIVE)
    own = (
        SELF_REFERENCE.found_in(sentence)
        or bool(name and name in lower)
        or (conceding and (" our " in lower[:20] or " the proposed " in lower[:25]))
    )
    if not own:
        return False
    if _OWN_LIMITATION.search(lower):
        return True
    # "Our method still lacks X" concedes too, when the paper's own work is the subject.
    subject_first = lower.startswith(("our ", "the proposed ", "this ")) or bool(name and lower.startswith(name))
    conceding = conceding or (STILL.found_in(sentence) and subject_first)
    return conceding and (LIMITATION.found_in(sentence) or LIMITATION_WEAK.found_in(sentence))


def _announces_release(sentence: _Sentence) -> bool:
    """Code, data or models made available: the one next step the text itself offers."""
    return (
        RELEASE.found_in(sentence)
        or "http://" in sentence.lower
        or "https://" in sentence.lower
        or "github.com" in sentence.lower
        or (RELEASE_THINGS.found_in(sentence) and RELEASE_WORDS.found_in(sentence))
    )


def _split_enumeration(text: str) -> tuple[str, list[str]]:
    """Split "X that (1) does A; and (2) does B." into ("X", ["Does A", "Does B"])."""
    if ")" not in text:
        return text, []
    parts = _ENUMERATOR.split(text)
    items = [_capitalize(item) for part in parts[1:] if (item := _ENUMERATED_TAIL.sub("", part).strip())]
    if len(items) < 2:
        return text, []
    head = _TRAILING_CONNECTOR.sub("", parts[0]).strip()
    return (head if len(head.split()) >= 4 else text), items


def _result_items(results: list[_Sentence]) -> list[str]:
    """Up to MAX_RESULTS bullets: measured sentences first, in the abstract's order, with an
    enumerated sentence ("X: (1) ...; (2) ...") split into its parts."""
    measured = [s for s in results if s.measured]
    others = [s for s in results if not s.measured]
    items: list[str] = []
    for sentence in sorted((measured + others)[:MAX_RESULTS], key=lambda s: s.index):
        head, parts = _split_enumeration(sentence.text)
        items.extend([_trim(head), *parts] if parts else [_trim(sentence.text)])
    return items[:MAX_RESULTS]


def _first(sentences: list[_Sentence]) -> str:
    return _clip(_trim(sentences[0].text), MAX_FIELD_CHARS) if sentences else ""


def _trim(text: str) -> str:
    """Drop leading connectives ("However, ", "To this end, ") and capitalise what is left."""
    trimmed = _LEADING_CONNECTIVE.sub("", text).strip()
    return _capitalize(trimmed or text)


def _capitalize(text: str) -> str:
    # ASCII only: "ß".upper() is "SS" and "µ".upper() is a Greek letter, not the same text.
    return text[0].upper() + text[1:] if text and "a" <= text[0] <= "z" else text


def _clip(text: str, limit: int) -> str:
    """Cut at a word boundary so that no number is ever split into a different number."""
    if len(text) <= limit:
        return text
    cut = text.rfind(" ", 0, limit)
    if cut < limit // 2:
        # One giant token: cut inside it, but from its first digit on, so that no number
        # or unit is kept in part ("16.25" -> "16.2", "16.2xy" -> "16.2x").
        return _CUT_NUMBER.sub("", text[:limit]).rstrip(" ,;:") + ELLIPSIS
    return text[:cut].rstrip(" ,;:") + ELLIPSIS

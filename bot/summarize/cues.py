"""The cue phrases and patterns the extractive summarizer reads sentences by.

Tables, not logic: which words mark a contribution, a result, an insight, a limitation
or a release, and the small sentence record the summarizer scores.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable

# A measured figure: a percentage, a speed-up, a decimal standing on its own ("Qwen2.5"
# and "GPT-4.1" are names, "(1)" is an enumerator, "12K pairs" is a size, not a result).
_MEASURE = re.compile(r"\d(?:\s?(?:%|％|\\%|[x×](?![A-Za-z])|\$?\\times|percent\b)|(?<![A-Za-z\d.\-]\d)\d*\.\d)")
ENUMERATOR = re.compile(r"\((?:\d|i{1,3}|iv|v|[a-e])\)\s*|(?:(?<=\s)|^)(?:\d|i{1,3}|iv|v)\)\s+")
CUT_NUMBER = re.compile(r"\d\S*$")
ENUMERATED_TAIL = re.compile(r"[\s,;:]*(?:\band\b|\bor\b)?[\s,;:]*$")
LEADING_CONNECTIVE = re.compile(
    r"^(?:(?:however|moreover|furthermore|additionally|in addition|specifically|concretely|in particular"
    r"|to this end|in this (?:paper|work|study)|here|finally|overall|notably|importantly|besides|also|instead"
    r"|as a result|thus|therefore|consequently|meanwhile|first(?:ly)?|second(?:ly)?|third(?:ly)?|then"
    r"|next|lastly|further|crucially|empirically|experimentally|in summary|in conclusion|to summarize"
    r"|to (?:address|tackle|overcome|solve|bridge|fill|mitigate|alleviate|close)[^,]{0,80})\s*,\s*)+",
    re.IGNORECASE,
)
# A lead-in that only points back at what came before ("These results suggest that X",
# "Building on this finding, we ..."): trimmed, so what is left stands on its own.
REFERRING_LEAD = re.compile(
    r"^(?:(?:these|such|this|which|both|all)\s+(?:(?:empirical|experimental|extensive|key|main)\s+)?"
    r"(?:results?|findings?|experiments?|observations?|analys[ie]s|evaluations?|outcomes?|improvements?|gains?)?\s*"
    r"(?:collectively\s+|further\s+|clearly\s+|strongly\s+|together\s+|also\s+)?"
    r"(?:suggest|indicate|show|demonstrate|reveal|highlight|confirm|imply|underscore|establish|validate|verify)(?:s|es)?"
    r"\s+that\s+"
    r"|(?:building\s+(?:up)?on|drawing\s+(?:on|from)|based\s+on|motivated\s+by|inspired\s+by|guided\s+by|given"
    r"|taking|leveraging|using|with|in\s+light\s+of|following|beyond|under|from)\s+"
    r"(?:this|these|those|such|that|the\s+above|its|their)\b[^,]{0,80},\s*(?=(?:we|our|it|they|this\s+(?:paper|work|study))\b|(?-i:[A-Z])))",
    re.IGNORECASE,
)
# A sentence that leans on the one before it ("This improvement is preserved ...", "It
# then ...", "Such designs ..."): shown with that sentence or not at all.
REFERENCE_OPENER = re.compile(
    r"^(?:this|these|those|that|it|its|they|their|them|such|both|the latter|the former|here|thereby|there)\b",
    re.IGNORECASE,
)
PRONOUN_OPENER = re.compile(r"^(?:it|its|they|their)\b", re.IGNORECASE)
# "Our method ...", "This framework ...", "The proposed model ...": the paper's own work, which
# the card's core innovation introduces, so the reference is resolved when that is shown.
OWN_WORK_OPENER = re.compile(
    r"^(?:our|this|the\s+proposed|the\s+resulting|the\s+new)\s+(?:[\w-]+\s+){0,2}?"
    r"(?:method|methods|approach|framework|model|models|system|pipeline|technique|algorithm|architecture|design"
    r"|agent|paradigm|strategy|work|paper|study|benchmark|dataset|recipe|solution|policy|tool|library|suite"
    r"|protocol|simulator|platform|toolkit|family)\b",
    re.IGNORECASE,
)
# A sentence listing the parts of the method ("X provides four key contributions: (1) ...").
LISTS_PARTS = re.compile(
    r"\b(?:contributions?|components?|features|innovations|modules|stages|steps|parts|pillars|principles"
    r"|designs|techniques|mechanisms)\b[^.;]{0,40}?:?\s*\(?(?:1|i|a)\)",
    re.IGNORECASE,
)
# A list item the sentence splitter cut from its list ("(2) Unified RL that scales.").
LIST_FRAGMENT = re.compile(r"^\(?(?:\d{1,2}|i{1,3}|iv|v|vi{0,3}|[a-h])\)\s")
TRAILING_CONNECTOR = re.compile(
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

    def found_in(self, sentence: Sentence) -> bool:
        return bool(sentence.cues & self.bit)


class Sentence:
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
RELEASE_WORDS = _Cues(["available", "release", "released", "open-sourced", "publicly"])
RELEASE = _Cues(
    ["we release", "we open-source", "will release", "will open-source", "available at", "released at",
     "be released", "publicly release", "are released", "is released", "be found", "found at"]
)
# What the text itself proposes as the next step (a release of code is a link, not a step).
NEXT_STEP = _Cues(
    ["future work", "future research", "future directions", "future direction", "future studies", "future efforts",
     "we plan", "we recommend", "we encourage", "we call", "calls for", "call for", "we advocate", "we urge",
     "we invite", "open avenues", "opens avenues", "new avenues",
     "research directions", "open questions", "open problems", "should consider", "should prioritize",
     "practitioners should", "researchers should", "developers should"]
)
CLOSING_HOPE = _Cues(["we hope", "we believe", "we envision", "we anticipate", "we expect"])
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
DEFERRED = re.compile(r"\bwe leave\b|\bleft (?:for|to|as) future\b|\bbeyond the scope of (?:this|our)\b")
OWN_LIMITATION = re.compile(
    r"\b(?:limitations?|shortcomings?|drawbacks?) of (?:our|the proposed|this)\b"
    r"|\b(?:our|this|the proposed) (?:[\w-]+ ){0,2}(?:still )?(?:has|have|is|are|remains?) (?:still |also )?"
    r"(?:some |several |certain |a few )?(?:limit|restricted|constrained|not yet|unable)"
)
CONCESSIVE = ("however", "nevertheless", "nonetheless", "that said", "still,", "although our", "while our")
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
     "real-world deployment", "real-world applications", "real-world use", "ideal for", "well-suited", "well suited",
     "natural fit", "readily applied", "easily integrated", "seamlessly integrated", "practical solution",
     "practical choice", "resource-constrained", "low-resource settings"]
    + [f"be {verb}" for verb in ("used", "applied", "deployed", "integrated", "plugged", "combined")]
)
# What the paper's own artefact is for ("X serves as a testbed for ...", "a valuable resource").
SERVES_AS = _Cues(["serves as", "serve as", "valuable resource", "valuable tool", "valuable testbed", "testbed for",
                   "foundation for", "resource for"])
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

"""A summarizer that needs no LLM: it picks the card's fields out of the abstract.

Every field is a sentence (or a clause of one) that the abstract or the HF `ai_summary`
already contains, at most trimmed of a leading connective or cut at a word boundary, so
nothing in a card can be invented. A field the text has nothing for stays empty.
"""

from __future__ import annotations

import re

from paperwire.bot.models import Card, Language, Paper
from paperwire.bot.summarize.base import SummaryResult
from paperwire.bot.summarize.cues import (
    CONCESSIVE,
    CONTEXT,
    CONTRIBUTION,
    CLOSING_HOPE,
    CONTRIBUTION_WEAK,
    DEFERRED,
    ENABLES,
    ENUMERATED_TAIL,
    ENUMERATOR,
    FITS,
    INSIGHT,
    LEADING_CONNECTIVE,
    LIMITATION,
    LIMITATION_WEAK,
    LIST_FRAGMENT,
    LISTS_PARTS,
    METHOD,
    NEGATED_FIT,
    NEXT_STEP,
    OWN_LIMITATION,
    OWN_WORK_OPENER,
    PRONOUN_OPENER,
    REFERENCE_OPENER,
    REFERRING_LEAD,
    RELEASE,
    RELEASE_THINGS,
    RELEASE_WORDS,
    RESULT,
    RESULT_SUBJECT,
    RESULT_VERB,
    SELF_REFERENCE,
    SERVES_AS,
    STILL,
    Sentence,
    TRAILING_CONNECTOR,
    USES,
)
from paperwire.bot.summarize.sentences import normalize_space, split_sentences
from paperwire.bot.text.shorten import shorten

MODEL = "extractive"
PROMPT_VERSION = "extractive-2"

MAX_FIELD_CHARS = 400
MAX_ONE_LINER_CHARS = 300
MAX_POINTS = 3
MAX_RESULTS = 4

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
    pool = _join_list_fragments(split_sentences(paper.abstract)) or summary_sentences
    sentences = [Sentence(i, text) for i, text in enumerate(pool)]
    name = _method_name(paper.title)

    contribution = _find_contribution(sentences, name)
    roles = _assign_roles(sentences, contribution, name)
    picker = _Picker(sentences, contribution, _display_name(paper.title))
    picker.used.update(_repeats(pool))

    def having(role: str) -> list[Sentence]:
        return [s for s in sentences if roles.get(s.index) == role]

    core_innovation = ""
    points: list[str] = []
    if contribution:
        core_innovation, points = picker.contribution()
    results = having("result")
    first_result = min((s.index for s in results), default=len(sentences))
    method = [s for s in having("method") if s.index < first_result or METHOD.found_in(s)]
    if not points and method:
        listing = next((s for s in method if LISTS_PARTS.search(s.text)), method[0])
        enumerated = _split_enumeration(listing.text)[1]
        if enumerated and picker.claim([listing]):
            points = enumerated
        else:
            points = picker.items(method, MAX_POINTS)
    points = [_shorten(point) for point in points[:MAX_POINTS]]

    if summary_sentences:
        one_liner = summary_sentences[0]
    elif contribution:
        one_liner = core_innovation or _trim(contribution.text)
    else:
        plain = [s for s in sentences if roles.get(s.index) != "context"] or sentences
        one_liner = _trim(plain[0].text) if plain else normalize_space(paper.title)

    return Card(
        one_liner=shorten(one_liner, MAX_ONE_LINER_CHARS),
        core_innovation=core_innovation,
        innovation_points=points,
        results=[_shorten(item) for item in picker.results(results)],
        key_insight=picker.first(having("insight")),
        fits=picker.first(having("fits")),
        limitations=picker.first(having("limitation")),
        next_action=picker.first(having("next_action")),
        method="extractive",
    )


class _Picker:
    """Hands out sentences to the card's fields so that none is shown twice and none that
    leans on an earlier sentence ("This improvement ...", "It then ...") is shown without it."""

    def __init__(self, sentences: list[Sentence], contribution: Sentence | None, display_name: str) -> None:
        self.sentences = sentences
        self.contribution_sentence = contribution
        self.display_name = display_name
        self.used: set[int] = set()

    def claim(self, chosen: list[Sentence]) -> bool:
        if any(s.index in self.used for s in chosen):
            return False
        self.used.update(s.index for s in chosen)
        return True

    def contribution(self) -> tuple[str, list[str]]:
        """The core innovation (the sentence naming the contribution, with the one it leans
        on when it opens with a reference) and the points it enumerates."""
        sentence = self.contribution_sentence
        assert sentence is not None
        self.used.add(sentence.index)
        raw_head, points = _split_enumeration(sentence.text)
        head = _trim(raw_head)
        if points and not _names_contribution(head) and _names_contribution(points[0]):
            # "Our contributions are threefold: (1) We propose X ...": the first item is the core.
            head, points = points[0], points[1:]
        elif (
            (_leans_back(head) and not OWN_WORK_OPENER.match(head))
            or _EARLY_REFERENCE.match(head)
            or _INNER_REFERENCE.search(head)
        ):
            earlier = self._antecedents(sentence)
            # Shown as the abstract has them, so only the first sentence loses its connective.
            joined = " ".join([_trim(earlier[0].text), *(s.text for s in earlier[1:]), raw_head]) if earlier else ""
            if earlier and len(joined) <= MAX_FIELD_CHARS and self.claim(earlier):
                head = joined
        return _shorten(head), points

    def items(self, candidates: list[Sentence], limit: int) -> list[str]:
        """Up to `limit` field items from `candidates`, in the abstract's order; a sentence
        leaning on the previous item joins that item."""
        items: list[str] = []
        last: int | None = None
        for sentence in candidates:
            if sentence.index in self.used or (len(items) >= limit and sentence.index - 1 != last):
                continue
            text = self._resolved(sentence, joinable=last)
            if text is None:
                continue
            if text.startswith(_JOIN):
                joined = f"{items[-1]} {text[len(_JOIN):]}"
                if len(joined) > MAX_FIELD_CHARS:  # too long to show whole: not at all
                    self.used.discard(sentence.index)
                    continue
                items[-1] = joined
            elif len(items) < limit:
                items.append(text)
            else:
                self.used.discard(sentence.index)
                continue
            last = sentence.index
        return items

    def results(self, results: list[Sentence]) -> list[str]:
        """Up to MAX_RESULTS bullets: measured sentences first, in the abstract's order, with an
        enumerated sentence ("X: (1) ...; (2) ...") split into its parts."""
        measured = [s for s in results if s.measured]
        others = [s for s in results if not s.measured]
        chosen = sorted((measured + others)[: MAX_RESULTS + 2], key=lambda s: s.index)
        items: list[str] = []
        for text in self.items(chosen, MAX_RESULTS):
            head, parts = _split_enumeration(text)
            if not parts:
                items.append(text)
            elif _REPORTING_HEAD.search(head):  # "Our key findings reveal": the items say it
                items.extend(parts)
            else:
                items.extend([_trim(head), *parts])
        return items[:MAX_RESULTS]

    def first(self, candidates: list[Sentence]) -> str:
        items = self.items(candidates, 1)
        return _shorten(items[0]) if items else ""

    def _resolved(self, sentence: Sentence, joinable: int | None) -> str | None:
        """The sentence as a field can show it, `_JOIN`-prefixed when it continues the item
        before it; None when what it refers to cannot be shown with it."""
        text = _trim(sentence.text)
        if not _leans_back(text):
            self.used.add(sentence.index)
            return text
        if OWN_WORK_OPENER.match(text) and self.contribution_sentence is not None:
            self.used.add(sentence.index)
            return text  # "Our method ...": the core innovation above introduces it
        previous = sentence.index - 1
        if joinable is not None and previous == joinable:
            self.used.add(sentence.index)
            return _JOIN + sentence.text
        contribution = self.contribution_sentence
        if (
            contribution is not None
            and previous == contribution.index
            and self.display_name
            and PRONOUN_OPENER.match(text)
            and self.display_name.lower() in contribution.lower
        ):
            # "We propose X. It achieves ...": "it" is X, named in the core innovation above.
            self.used.add(sentence.index)
            return _name_for_pronoun(text, self.display_name)
        earlier = self._antecedents(sentence)
        if not earlier or not self.claim(earlier):
            return None
        joined = " ".join([_trim(earlier[0].text), *(s.text for s in earlier[1:]), sentence.text])
        if len(joined) > MAX_FIELD_CHARS:
            self.used.difference_update(s.index for s in earlier)
            return None
        self.used.add(sentence.index)
        return joined

    def _antecedents(self, sentence: Sentence) -> list[Sentence]:
        """The sentences before `sentence` it needs: the previous one, and further back while
        each of those opens with a reference too (at most three)."""
        chain: list[Sentence] = []
        index = sentence.index - 1
        while index >= 0 and len(chain) < 3:
            earlier = self.sentences[index]
            chain.insert(0, earlier)
            if not _leans_back(_trim(earlier.text)):
                return chain
            index -= 1
        return []


_JOIN = "\x00join:"
# "We address them with X", "We tackle these issues by ...": the contribution answers the
# sentence before it, which it then needs.
# "... a system that embodies this philosophy": the philosophy is the sentence before.
_INNER_REFERENCE = re.compile(
    r"\b(?:this|these|such)\s+(?!paper|work|study|report|article|survey|end\b|way\b|setting|task\b)[a-z-]+"
    r"(?:\s*[.,;]|\s+(?:and|by|with|through|in|to|for)\b)",
)
_EARLY_REFERENCE = re.compile(
    r"^we (?:\w+ ){0,2}?(?:them|these|those|this (?:problem|issue|challenge|gap|limitation)s?"
    r"|this(?= (?:by|with|through|via|using)\b)|such)\b",
    re.IGNORECASE,
)


def _leans_back(text: str) -> bool:
    """Whether `text` opens by pointing at something said before it (not at the paper itself)."""
    if not REFERENCE_OPENER.match(text):
        return False
    lower = text.lower()
    return not lower.startswith(("this paper", "this work", "this study", "this report", "this article",
                                 "this survey", "this position paper", "this thesis", "this technical report"))


def _names_contribution(text: str) -> bool:
    return CONTRIBUTION.found_in(Sentence(0, text))


def _name_for_pronoun(text: str, name: str) -> str:
    """"It achieves ..." -> "X achieves ..."; "Its ..." -> "X's ..."."""
    word, _, rest = text.partition(" ")
    if word.lower() == "its":
        return f"{name}'s {rest}"
    if word.lower() in ("they", "their"):
        return text
    return f"{name} {rest}"


def _repeats(sentences: list[str]) -> set[int]:
    """The positions of sentences an abstract repeats (pasted twice): shown once, at the first."""
    seen: set[str] = set()
    repeats = set()
    for index, sentence in enumerate(sentences):
        key = " ".join(sentence.lower().split())
        if key in seen:
            repeats.add(index)
        seen.add(key)
    return repeats


def _join_list_fragments(sentences: list[str]) -> list[str]:
    """Put list items the splitter cut apart ("... three parts: (1) A.", "(2) B.") back into
    the sentence that opens the list, so the list is read (and numbered) once."""
    joined: list[str] = []
    for sentence in sentences:
        if joined and LIST_FRAGMENT.match(sentence):
            joined[-1] = f"{joined[-1]} {sentence}"
        else:
            joined.append(sentence)
    return joined


def _display_name(title: str) -> str:
    """The paper's own name for its method as the title writes it ("EnvHarness"), or ""."""
    head, colon, _ = title.partition(":")
    head = normalize_space(head)
    if colon and 0 < len(head) <= 40 and len(head.split()) <= 3:
        return head
    return ""


def _method_name(title: str) -> str:
    """The paper's own name for its method ("EnvHarness" in "EnvHarness: ..."), lowercased."""
    head, colon, _ = title.partition(":")
    head = normalize_space(head)
    if colon and 0 < len(head) <= 40 and len(head.split()) <= 4:
        return head.lower()
    return ""


def _find_contribution(sentences: list[Sentence], name: str) -> Sentence | None:
    """The sentence saying what the paper contributes ("We propose ...", "This paper ...").

    "We further introduce ..." adds to a contribution stated before it, perhaps without a
    cue word ("We address them with X, a recipe ..."): the sentence naming the paper's method
    with "we" comes first then."""
    cued = [s for s in sentences if CONTRIBUTION.found_in(s)]
    primary = next((s for s in cued if not s.lower.startswith(_SECONDARY)), None)
    named = next(
        (s for s in sentences if name and name in s.lower and " we " in f" {s.lower}" and not CONTEXT.found_in(s)
         and not s.measured),
        None,
    )
    if named and (primary is None or (named.index < primary.index and cued[0].lower.startswith(_SECONDARY))):
        return named
    if primary or cued:
        return primary or cued[0]
    for sentence in sentences:
        if CONTRIBUTION_WEAK.found_in(sentence) and not sentence.measured:
            return sentence
    if name:
        for sentence in sentences:
            if name in sentence.lower and not CONTEXT.found_in(sentence):
                return sentence
    # Last resort: the first thing the authors say they did ("We evaluate ...").
    for sentence in sentences:
        if _trim(sentence.text).lower().startswith("we ") and not sentence.measured:
            return sentence
    return None


def _assign_roles(sentences: list[Sentence], contribution: Sentence | None, name: str) -> dict[int, str]:
    """Give each sentence after the contribution the one card field it can serve."""
    if contribution:
        # Sentences before the contribution set the scene: nobody's result or limitation,
        # except a measured result the paper states first ("X reaches 56.5 on OSWorld. We ...").
        roles = {s.index: _role(s, name) for s in sentences[contribution.index + 1 :]}
        for s in sentences[: contribution.index]:
            if _states_own_result(s, name):
                roles[s.index] = "result"
        return roles
    roles: dict[int, str] = {}
    in_scene = True
    for s in sentences:
        in_scene = in_scene and (CONTEXT.found_in(s) or LIMITATION.found_in(s))
        roles[s.index] = "context" if in_scene else _role(s, name)
    return roles


def _states_own_result(sentence: Sentence, name: str) -> bool:
    """A measured sentence about the paper's own work, wherever it stands."""
    if not sentence.measured or CONTEXT.found_in(sentence):
        return False
    lower = sentence.lower
    return bool(name and name in lower) or lower.startswith(("we ", "our ")) or RESULT.found_in(sentence)


def _role(sentence: Sentence, name: str) -> str:
    """Which field a sentence serves, by priority: the strongest, most explicit cue wins."""
    if LISTS_PARTS.search(sentence.text):
        return "method"  # "X provides four key contributions: (1) ...": the points, not a result
    if _announces_release(sentence):
        # The code's link belongs with the card's links; downloading it is no next step.
        return "release"
    if CLOSING_HOPE.found_in(sentence) and not sentence.measured:
        return "closing"  # "We hope X inspires future work": the authors' wish, no step to take
    if NEXT_STEP.found_in(sentence) and not DEFERRED.search(sentence.lower):
        return "next_action"
    if INSIGHT.found_in(sentence) and ENUMERATOR.search(sentence.text) and LISTED_FINDINGS.search(sentence.text):
        return "result"  # "Our key findings reveal that (1) ...; (2) ...": the study's results
    insight = INSIGHT.found_in(sentence)
    if _states_limitation(sentence, name, insight):
        return "limitation"
    if sentence.measured:
        return "result"
    if sentence.lower.startswith(_STEP_OPENERS):
        return "method"  # "First, X does ...; Second, ...": the parts of the method
    if CONTRIBUTION.found_in(sentence):
        return "method"  # a further contribution ("We further introduce ...")
    if (
        RESULT.found_in(sentence) or (RESULT_SUBJECT.found_in(sentence) and RESULT_VERB.found_in(sentence))
    ) and not sentence.lower.startswith(("to improve", "to achieve", "to reduce")):
        return "result"
    if (
        FITS.found_in(sentence)
        or (ENABLES.found_in(sentence) and USES.found_in(sentence) and not sentence.lower.startswith("to enable"))
        or (SERVES_AS.found_in(sentence) and _about_own_work(sentence, name))
    ) and not NEGATED_FIT.found_in(sentence):
        return "fits"
    if insight:
        return "insight"
    return "method"


_REPORTING_HEAD = re.compile(
    r"\b(?:reveals?|shows?|indicates?|demonstrates?|suggests?|finds?|found|include|includes|are|is)\s*:?$"
    r"|\b(?:insights|findings|observations|lessons|conclusions|takeaways)\b[^.;]{0,40}:?$",
    re.IGNORECASE,
)
LISTED_FINDINGS = re.compile(r"\b(?:findings|results|experiments|analys[ie]s|observations)\b", re.IGNORECASE)
_CONCEDED_CLAUSE = re.compile(r"^(?:despite|although|though|while|even though|even with)\b[^,]{0,120},\s*")
_SECONDARY = ("we further", "we also", "we additionally", "we then", "further,", "additionally,", "finally,",
              "we finally", "moreover,", "furthermore,", "in addition,")
_STEP_OPENERS = ("first,", "second,", "third,", "fourth,", "firstly,", "secondly,", "thirdly,", "specifically,",
                  "concretely,")


def _about_own_work(sentence: Sentence, name: str) -> bool:
    lower = sentence.lower
    return SELF_REFERENCE.found_in(sentence) or bool(name and name in lower) or lower.startswith(("it ", "our "))


def _states_limitation(sentence: Sentence, name: str, insight: bool) -> bool:
    """A limitation of the paper's own work, not of the earlier work it improves on."""
    lower = sentence.lower
    if DEFERRED.search(lower):
        return True
    # "Despite these results, our model still struggles with X": the main clause concedes.
    main = _CONCEDED_CLAUSE.sub("", lower)
    if main != lower and main.startswith(("our ", "the proposed ")) and LIMITATION_WEAK.found_in(sentence):
        return True
    if insight:
        return False  # "Our analysis reveals limitations of current models" is a finding.
    conceding = lower.startswith(CONCESSIVE)
    own = (
        SELF_REFERENCE.found_in(sentence)
        or bool(name and name in lower)
        or (conceding and (" our " in lower[:20] or " the proposed " in lower[:25]))
    )
    if not own:
        return False
    if OWN_LIMITATION.search(lower):
        return True
    # "Our method still lacks X" concedes too, when the paper's own work is the subject.
    subject_first = lower.startswith(("our ", "the proposed ", "this ")) or bool(name and lower.startswith(name))
    conceding = conceding or (STILL.found_in(sentence) and subject_first)
    return conceding and (LIMITATION.found_in(sentence) or LIMITATION_WEAK.found_in(sentence))


def _announces_release(sentence: Sentence) -> bool:
    """Code, data or models made available: the one next step the text itself offers."""
    return (
        RELEASE.found_in(sentence)
        or "http://" in sentence.lower
        or "https://" in sentence.lower
        or "github.com" in sentence.lower
        or (RELEASE_THINGS.found_in(sentence) and RELEASE_WORDS.found_in(sentence) and not sentence.measured)
    )


def _split_enumeration(text: str) -> tuple[str, list[str]]:
    """Split "X that (1) does A; and (2) does B." into ("X", ["Does A", "Does B"])."""
    if ")" not in text:
        return text, []
    parts = ENUMERATOR.split(text)
    items = [_capitalize(item) for part in parts[1:] if (item := ENUMERATED_TAIL.sub("", part).strip())]
    if len(items) < 2:
        return text, []
    head = TRAILING_CONNECTOR.sub("", parts[0]).strip()
    return (head if len(head.split()) >= 4 else text), items


def _trim(text: str) -> str:
    """Drop leading connectives ("However, ", "To this end, ") and lead-ins that only point
    back ("These results suggest that ") and capitalise what is left."""
    trimmed = LEADING_CONNECTIVE.sub("", text).strip()
    trimmed = REFERRING_LEAD.sub("", trimmed).strip()
    return _capitalize(trimmed or text)


def _capitalize(text: str) -> str:
    # ASCII only: "ß".upper() is "SS" and "µ".upper() is a Greek letter, not the same text.
    return text[0].upper() + text[1:] if text and "a" <= text[0] <= "z" else text


def _shorten(text: str) -> str:
    """A field at most MAX_FIELD_CHARS long, cut by the one shortening rule of every renderer."""
    return shorten(text, MAX_FIELD_CHARS)

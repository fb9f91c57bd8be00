"""A summarizer that needs no LLM: it picks the card's fields out of the abstract.

Every field is a sentence (or a clause of one) that the abstract or the HF `ai_summary`
already contains, at most trimmed of a leading connective or cut at a word boundary, so
nothing in a card can be invented. A field the text has nothing for stays empty.
"""

from __future__ import annotations

from paperwire.bot.models import Card, Language, Paper
from paperwire.bot.summarize.base import SummaryResult
from paperwire.bot.summarize.cues import (
    CONCESSIVE,
    CONTEXT,
    CONTRIBUTION,
    CONTRIBUTION_WEAK,
    CUT_NUMBER,
    DEFERRED,
    ENABLES,
    ENUMERATED_TAIL,
    ENUMERATOR,
    FITS,
    INSIGHT,
    LEADING_CONNECTIVE,
    LIMITATION,
    LIMITATION_WEAK,
    METHOD,
    NEGATED_FIT,
    OWN_LIMITATION,
    RELEASE,
    RELEASE_THINGS,
    RELEASE_WORDS,
    RESULT,
    RESULT_SUBJECT,
    RESULT_VERB,
    SELF_REFERENCE,
    STILL,
    Sentence,
    TRAILING_CONNECTOR,
    USES,
)
from paperwire.bot.summarize.sentences import normalize_space, split_sentences

MODEL = "extractive"
PROMPT_VERSION = "extractive-1"

MAX_FIELD_CHARS = 400
MAX_ONE_LINER_CHARS = 300
MAX_POINTS = 3
MAX_RESULTS = 4
ELLIPSIS = "…"

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
    sentences = [Sentence(i, text) for i, text in enumerate(pool)]
    name = _method_name(paper.title)

    contribution = _find_contribution(sentences, name)
    roles = _assign_roles(sentences, contribution, name)

    by_role: dict[str, list[Sentence]] = {}
    for sentence in sentences:
        by_role.setdefault(roles.get(sentence.index, ""), []).append(sentence)

    def having(role: str) -> list[Sentence]:
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


def _find_contribution(sentences: list[Sentence], name: str) -> Sentence | None:
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


def _assign_roles(sentences: list[Sentence], contribution: Sentence | None, name: str) -> dict[int, str]:
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


def _role(sentence: Sentence, name: str) -> str:
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


def _states_limitation(sentence: Sentence, name: str, insight: bool) -> bool:
    """A limitation of the paper's own work, not of the earlier work it improves on."""
    lower = sentence.lower
    if DEFERRED.search(lower):
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
        or (RELEASE_THINGS.found_in(sentence) and RELEASE_WORDS.found_in(sentence))
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


def _result_items(results: list[Sentence]) -> list[str]:
    """Up to MAX_RESULTS bullets: measured sentences first, in the abstract's order, with an
    enumerated sentence ("X: (1) ...; (2) ...") split into its parts."""
    measured = [s for s in results if s.measured]
    others = [s for s in results if not s.measured]
    items: list[str] = []
    for sentence in sorted((measured + others)[:MAX_RESULTS], key=lambda s: s.index):
        head, parts = _split_enumeration(sentence.text)
        items.extend([_trim(head), *parts] if parts else [_trim(sentence.text)])
    return items[:MAX_RESULTS]


def _first(sentences: list[Sentence]) -> str:
    return _clip(_trim(sentences[0].text), MAX_FIELD_CHARS) if sentences else ""


def _trim(text: str) -> str:
    """Drop leading connectives ("However, ", "To this end, ") and capitalise what is left."""
    trimmed = LEADING_CONNECTIVE.sub("", text).strip()
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
        return CUT_NUMBER.sub("", text[:limit]).rstrip(" ,;:") + ELLIPSIS
    return text[:cut].rstrip(" ,;:") + ELLIPSIS

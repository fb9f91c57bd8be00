"""What kind of paper this is, read from its title and abstract.

The editor picks method papers; a technical report of one model, a survey or position
paper, a benchmark or dataset, a user study, a policy or risk report, an analysis without a
new method, pure theory and a narrow application are left out, each with its own reason.
The rules are plain patterns so the reason can quote what decided it (`evidence`); the
taxonomy names the types it excludes (families with `kind = "paper_type"`), so a user who
wants benchmarks deletes that family.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from paperwire.bot.models import Paper

METHOD = "method"
# Type ids, each the id of the taxonomy family that excludes it.
TECHNICAL_REPORT = "technical-report"
SURVEY = "survey"
BENCHMARK = "benchmark-dataset"
USER_STUDY = "user-study"
POLICY_RISK = "policy-risk"
ANALYSIS = "analysis"
THEORY = "pure-theory"
HARDWARE = "hardware"
PAPER_TYPES = (TECHNICAL_REPORT, SURVEY, BENCHMARK, USER_STUDY, POLICY_RISK, ANALYSIS, THEORY, HARDWARE)


@dataclass(frozen=True, slots=True)
class PaperType:
    """The type read from a paper, and the words that showed it (empty for a method)."""

    id: str
    evidence: str = ""

    @property
    def is_method(self) -> bool:
        return self.id == METHOD


def _rx(*patterns: str) -> re.Pattern[str]:
    # Matched against lower-cased text without re.IGNORECASE: case folding in the engine
    # defeats its literal-prefix search and costs 30x on a day's abstracts.
    # A leading \b also hides each branch's first characters from the engine, so it would
    # try every position; the branches start at a word's first letter by their own words.
    return re.compile("|".join(f"(?:{p.removeprefix(chr(92) + 'b')})" for p in patterns))


# A proposal of its own: the paper brings a method even if it also measures or releases.
_PROPOSES = _rx(
    r"\bwe (?:propose|develop|design|devise)\b",
    r"\bwe introduce (?:a |an )?(?:novel |new |simple |general |unified |scalable |efficient )*"
    r"(?:method|approach|algorithm|framework|technique|training|objective|mechanism|strategy|paradigm)",
    r"\bour (?:method|approach|algorithm)\b",
    r"\b(?:a|an) (?:novel|new) (?:method|approach|algorithm|framework|technique|objective|training)\b",
    r"\b(?:a|an) (?:simple |effective |efficient |general |principled |lightweight |plug-and-play |"
    r"training-free )+(?:method|approach|algorithm|framework|technique)\b",
)

_TITLE_RULES: tuple[tuple[str, re.Pattern[str]], ...] = (
    (TECHNICAL_REPORT, _rx(r"\btech(?:nical)? report\b", r"\bsystem card\b", r"\bmodel card\b")),
    (SURVEY, _rx(
        r"\bsurvey\b", r"\ba (?:systematic |comprehensive |critical )?review\b", r"^position:",
        r"\bposition paper\b", r"\bsok\b", r"\ba tutorial\b", r"\broadmap\b", r"\bthe next frontier\b",
        r"\bopportunities and challenges\b", r"\bchallenges and opportunities\b", r"\bperspectives?\b",
        r"\bsynthesis and opportunities\b", r"\blessons (?:learned|from)\b", r"\ba primer\b",
    )),
    (BENCHMARK, _rx(
        r"\w+bench\b", r"\bbenchmark(?:s|ing)?\b", r"\bdatasets?\b", r"\bleaderboard\b", r"\barena\b",
        r"\bcorpus\b", r"\bevaluation suite\b", r"\btest ?bed\b", r"-gym\b",
    )),
    (HARDWARE, _rx(r"\b(?:hardware|accelerators?|fpgas?|asics?|photonic|neuromorphic|in-memory computing|"
                   r"systolic|chips?)\b")),
    (USER_STUDY, _rx(r"\buser stud(?:y|ies)\b", r"\binterview stud(?:y|ies)\b", r"\bfield study\b",
                     r"\bcase study\b")),
    (POLICY_RISK, _rx(r"\bgovernance\b", r"\bregulat(?:ion|ory)\b", r"\brisk (?:report|assessment|management)\b",
                      r"\bsecurity assessment\b", r"\bpolicymakers?\b", r"\bfrontier ai risks?\b")),
)

_ABSTRACT_RULES: tuple[tuple[str, re.Pattern[str]], ...] = (
    (TECHNICAL_REPORT, _rx(
        r"\b(?:this|our|the present) (?:technical )?report\b",
        r"\bin this (?:technical )?report\b",
        r"\bwe (?:present|introduce|release|open-source) [a-z0-9][\w.\-]*(?: [\w.\-]*\d[\w.\-]*)?,? "
        r"(?:a|an|our|the) (?:[\w\-]+ ){0,4}?(?:\d+(?:\.\d+)?[bm]\b|open-source|open-weight|open)"
        r"[\w\- ]{0,40}?(?:model|llm|series|family)\b",
        r"\bwe (?:present|introduce|release) [a-z0-9][\w.\-]*(?: [\w.\-]*\d[\w.\-]*)?,? "
        r"(?:a|an|our) (?:new |open |compact )?(?:family|series) of\b",
        r"\b(?:family|series|suite) of (?:open|open-source|open-weight)?[\w\- ]{0,30}(?:models|llms)\b",
        r"\bwe (?:open-source|release) (?:the )?(?:model )?weights\b",
    )),
    (SURVEY, _rx(
        r"\b(?:this|our|in this) (?:survey|review|position paper|perspective|sok)\b",
        r"\bwe (?:survey|review) (?:the |recent |existing )", r"\bcomprehensive (?:survey|review|overview)\b",
        r"\bsystematic (?:literature )?review\b", r"\bliterature review\b",
        r"\b(?:we|this paper) argues? that\b", r"\bwe call for\b", r"\bwe advocate\b",
    )),
    (BENCHMARK, _rx(
        r"\bwe (?:introduce|present|propose|construct|build|release|curate|create|develop)[^.;]{0,70}?"
        r"\b(?:benchmark|dataset|corpus|test ?bed|evaluation (?:suite|framework)|leaderboard)\b",
        r"\b(?:a|the) (?:new |novel |large-scale |comprehensive |challenging |unified )*"
        r"(?:benchmark|dataset) (?:for|to|that|designed|of|comprising|containing|with)\b",
    )),
    (USER_STUDY, _rx(
        r"\buser stud(?:y|ies)\b", r"\bsemi-structured interviews?\b", r"\binterview(?:ed|s) with\b",
        r"\(\s*n\s*=\s*\d+\s*\)", r"\b\d+ (?:participants|drivers|respondents|interviewees)\b",
        r"\bwithin-subjects?\b", r"\bbetween-subjects?\b", r"\bwizard-of-oz\b", r"\bparticipants (?:rated|reported)\b",
    )),
    (POLICY_RISK, _rx(
        r"\bpolicymakers?\b", r"\bpolicy (?:makers?|recommendations?|implications)\b", r"\bai governance\b",
        r"\bregulators?\b", r"\bregulatory\b", r"\b(?:catastrophic|systemic|societal|frontier) risks?\b",
        r"\brisk (?:assessment|management|report)\b", r"\blegislation\b",
    )),
    (ANALYSIS, _rx(
        r"\bwe (?:systematically |empirically |comprehensively )?"
        r"(?:investigate|analy[sz]e|examine|study|characteri[sz]e|revisit|probe) (?:whether|how|why|when|what)\b",
        r"\b(?:an|this|our) (?:empirical|systematic|large-scale|comprehensive|in-depth) "
        r"(?:study|analysis|investigation)\b",
        r"\bwe (?:find|show|observe|reveal|uncover) that\b",
        r"\bwe ask (?:how|whether|what|when)\b",
    )),
    (THEORY, _rx(
        r"\bwe prove\b", r"\bwe (?:establish|derive) (?:a |the |tight |new )?(?:upper |lower )?"
        r"(?:bounds?|theorem|convergence|rates?)\b", r"\bsample complexity\b", r"\bregret bound\b",
        r"\bgeneralization bounds?\b", r"\bprovably\b",
    )),
)

# Words that settle the type whatever else the abstract says.
_SURE_SURVEY = _rx(r"\b(?:this|our) (?:position paper|survey|perspective paper)\b", r"\bin this survey\b",
                   r"\bthis paper surveys\b")
_EVALUATION_TITLE = _rx(r"\b(?:holistic |systematic |comprehensive )?evaluation of\b", r"^evaluating\b",
                        r"\ba holistic evaluation\b")
_RELEASE_TITLE = _rx(r"\bv\d+(?:\.\d+)+\b", r"[a-z]-?\d+\.\d+\b", r"\bpreview\b")
_RELEASE_ABSTRACT = _rx(r"\bwe (?:present|introduce|release) [a-z0-9][\w.\-]*[\-\s]?\d+(?:\.\d+)+")

_ANALYSIS_TITLE = _rx(
    r"^(?:on|understanding|rethinking|revisiting|demystifying|investigating|examining|probing|"
    r"what|why|when|how|do|does|did|can|is|are|should|towards understanding)\b",
    r"\ba closer look\b", r"\ban empirical (?:study|analysis|investigation)\b", r"\bthe role of\b",
    r"\b(?:matters?|hypothesis)\b", r"\bis (?:enough|plenty|all you need)\b", r"\bless is more\b",
    r"\bhow much\b",
)
_EXPERIMENTS = _rx(r"\bexperiments?\b", r"\boutperforms?\b", r"\bstate-of-the-art\b", r"\bempirical(?:ly)?\b")


def detect_type(paper: Paper) -> PaperType:
    """The paper's type; METHOD unless a rule's words are found (and, for some, no proposal)."""
    title = (paper.title or "").lower()
    abstract = (paper.abstract or "").lower()
    proposes = bool(_PROPOSES.search(abstract))
    title_hits = {kind: match.group(0) for kind, rule in _TITLE_RULES if (match := rule.search(title))}
    abstract_hits = {kind: match.group(0) for kind, rule in _ABSTRACT_RULES if (match := rule.search(abstract))}

    # A title that names its type says what the paper is, whatever else the abstract offers.
    if HARDWARE in title_hits:
        return PaperType(HARDWARE, title_hits[HARDWARE])
    if TECHNICAL_REPORT in title_hits:
        return PaperType(TECHNICAL_REPORT, title_hits[TECHNICAL_REPORT])
    if (sure := _SURE_SURVEY.search(abstract)) is not None:
        return PaperType(SURVEY, sure.group(0))
    if SURVEY in title_hits and (SURVEY in abstract_hits or not proposes):
        return PaperType(SURVEY, title_hits[SURVEY])
    if USER_STUDY in title_hits and not proposes:
        return PaperType(USER_STUDY, title_hits[USER_STUDY])
    if USER_STUDY in abstract_hits and not proposes:
        return PaperType(USER_STUDY, abstract_hits[USER_STUDY])
    if POLICY_RISK in title_hits and (POLICY_RISK in abstract_hits or not proposes):
        return PaperType(POLICY_RISK, title_hits[POLICY_RISK])
    if SURVEY in abstract_hits and not proposes:
        return PaperType(SURVEY, abstract_hits[SURVEY])
    if TECHNICAL_REPORT in abstract_hits and not proposes:
        return PaperType(TECHNICAL_REPORT, abstract_hits[TECHNICAL_REPORT])
    if BENCHMARK in title_hits and (BENCHMARK in abstract_hits or not proposes):
        return PaperType(BENCHMARK, title_hits[BENCHMARK])
    if BENCHMARK in abstract_hits and not proposes:
        return PaperType(BENCHMARK, abstract_hits[BENCHMARK])
    if (evaluation := _EVALUATION_TITLE.search(title)) is not None and not proposes:
        return PaperType(BENCHMARK, evaluation.group(0))
    if (release := _RELEASE_TITLE.search(title)) is not None and _RELEASE_ABSTRACT.search(abstract) and not proposes:
        return PaperType(TECHNICAL_REPORT, release.group(0))
    if POLICY_RISK in abstract_hits and not proposes and len(_ABSTRACT_RULES[4][1].findall(abstract)) >= 2:
        return PaperType(POLICY_RISK, abstract_hits[POLICY_RISK])
    if THEORY in abstract_hits and not proposes and not _EXPERIMENTS.search(abstract):
        return PaperType(THEORY, abstract_hits[THEORY])
    analysis_title = _ANALYSIS_TITLE.search(title)
    if not proposes and analysis_title and ANALYSIS in abstract_hits:
        return PaperType(ANALYSIS, analysis_title.group(0))
    return PaperType(METHOD)


def type_flags(paper_type: PaperType) -> list[float]:
    """One 0/1 feature per type, in PAPER_TYPES order (for the relevance model)."""
    return [1.0 if paper_type.id == kind else 0.0 for kind in PAPER_TYPES]

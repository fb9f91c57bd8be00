"""Paper text made plain once, where papers enter the store.

Abstracts arrive as their authors typed them for arXiv: LaTeX commands (`\\textsc{X}`,
`72.6\\%`, `latent--real`), inline math (`$CoT$`), arXiv's `{this https URL}` placeholder
for a link it cut out, and now and then a NUL, a stray control character or a right-to-left
override that would reorder a chat message. Everything downstream (classification, search,
summaries, the grounding check, every renderer) reads the cleaned text, so none of them
needs to know about LaTeX, and a NUL never reaches PostgreSQL (which refuses it in text).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from paperwire.bot.models import Paper

# Commands whose argument is the text itself: `\textsc{FastCuRL}` -> `FastCuRL`.
_TEXT_COMMANDS = (
    "textsc|textbf|textit|texttt|textrm|textsf|textup|textnormal|text|emph|mathrm|mathbf|mathit|mathsf"
    "|mathtt|mathcal|mathbb|operatorname|underline|uline|b|url|textsuperscript|textsubscript|mbox|hbox"
)
# Commands (with an optional braced argument) that say nothing a reader needs.
_DROPPED = r"color|allowbreak|nobreakdash|fireicon|xspace|newline|linebreak|label|cite|citep|citet|ref|vspace|hspace"
_SYMBOLS = {
    "alpha": "α", "beta": "β", "gamma": "γ", "delta": "δ", "epsilon": "ε", "varepsilon": "ε", "zeta": "ζ",
    "eta": "η", "theta": "θ", "kappa": "κ", "lambda": "λ", "mu": "μ", "nu": "ν", "xi": "ξ", "pi": "π",
    "rho": "ρ", "sigma": "σ", "tau": "τ", "phi": "φ", "varphi": "φ", "chi": "χ", "psi": "ψ", "omega": "ω",
    "Gamma": "Γ", "Delta": "Δ", "Theta": "Θ", "Lambda": "Λ", "Xi": "Ξ", "Pi": "Π", "Sigma": "Σ",
    "Phi": "Φ", "Psi": "Ψ", "Omega": "Ω",
    "times": "×", "pm": "±", "mp": "∓", "approx": "≈", "sim": "~", "neq": "≠", "ne": "≠", "leq": "≤",
    "le": "≤", "geq": "≥", "ge": "≥", "infty": "∞", "deg": "°", "circ": "°", "cdot": "·", "to": "→",
    "rightarrow": "→", "leftarrow": "←", "Rightarrow": "⇒", "uparrow": "↑", "downarrow": "↓", "ll": "≪",
    "gg": "≫", "in": "∈", "sum": "Σ", "prod": "Π", "partial": "∂", "nabla": "∇", "checkmark": "✓",
    "textgreater": ">", "textless": "<", "textasciitilde": "~", "ldots": "…", "dots": "…", "cdots": "…",
    "max": "max", "min": "min", "log": "log", "exp": "exp", "LaTeX": "LaTeX", "TeX": "TeX",
    "eg": "e.g.", "ie": "i.e.", "etc": "etc.", "etal": "et al.", "vs": "vs.",
    "circone": "(1)", "circtwo": "(2)", "circthree": "(3)", "circfour": "(4)", "circfive": "(5)",
    "textendash": "–", "textemdash": "—", "S": "§",
}
_ACCENTS = {"'": "\u0301", "`": "\u0300", '"': "\u0308", "^": "\u0302", "~": "\u0303", "=": "\u0304", ".": "\u0307"}
_ESCAPED = {"%": "%", "&": "&", "$": "$", "_": "_", "#": "#", "{": "{", "}": "}", ",": " ", ";": " ",
            ":": " ", "!": "", " ": " ", "/": "", "~": "~"}

_PLACEHOLDER = re.compile(r"(?P<url>(?:https?://)?[^\s{}()<>\"]*)\{this https? URL\}", re.IGNORECASE)
_GITHUB_REPO = re.compile(r"https://github\.com/[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]*[A-Za-z0-9_-]")
_URL_HOST = re.compile(r"^(?:https?://)?([^/\s]+)(/[^\s]*)?")
_HREF = re.compile(r"\\href\{([^{}]*)\}\{([^{}]*)\}")
_FOOTNOTE = re.compile(r"\\footnote\{([^{}]*)\}")
_TEXT_COMMAND = re.compile(rf"\\(?:{_TEXT_COMMANDS})\s*\{{([^{{}}]*)\}}")
_GROUP_STYLE = re.compile(r"\{\\(?:it|em|bf|sc|tt|rm|sf|bfseries|itshape|scshape)\s+([^{}]*)\}")
_DROPPED_COMMAND = re.compile(rf"\\(?:{_DROPPED})(?![A-Za-z])(?:\s*\{{[^{{}}]*\}})?")
_BRACED_ACCENT = re.compile(r"\\([`'\"^~=.])\s*\{\s*(\\?[A-Za-z])\s*\}")
_BARE_ACCENT = re.compile(r"\\([`'\"^~=.])([A-Za-z])")
_POSSESSIVE = re.compile(r"(?<=[A-Za-z])\\'(?=s\b)")
_MATH = re.compile(r"\\\((.{1,80}?)\\\)|(?<![\\$])\$(?![\s\d])([^$\n]{1,80}?)(?<!\s)\$(?!\d)")
_SUPERSCRIPT = re.compile(r"\^\{([^{}]*)\}|\^(\\?[A-Za-z0-9*+\-]\w*)")
_SUBSCRIPT = re.compile(r"_\{([^{}]*)\}")
_SUPERSCRIPT_DIGITS = str.maketrans("0123456789+-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻")
_CURRENCY = re.compile(r"\\(?=\d)(?!\d\))")
_ENUMERATOR = re.compile(r"\\(?=\d\))")
_ESCAPE = re.compile(r"\\+([%&$_#{},;:! /~])")
_COMMAND = re.compile(r"\\([A-Za-z]+)(?:\{\})?\\?")
_EMPTY_BRACES = re.compile(r"\{\}")
_BRACED_WORD = re.compile(r"\{([^{}\s]*)\}")
_GLUED_TIMES = re.compile(r"(?<=\d)times\b")
_TIE = re.compile(r"(?<=[\w}.)])~(?=[A-Za-z\\(])")
_QUOTES = (("``", "“"), ("''", "”"))
_QUOTED = re.compile(r"(?:``|'')([^'`\n]{1,120}?)''")
_URL = re.compile(r"https?://[^\s{}]+")
_URL_COMMAND = re.compile(r"\\url\s*\{([^{}]*)\}")
_DASHES = re.compile(r"(?<![-!<])-{2,3}(?![->])")
_SPACES = re.compile(r"(?<=\S) {2,}")
_LEFTOVER = re.compile(r"\\(?=[A-Za-z])")
# Invisible characters that reorder or hide text (bidirectional embeddings, overrides and
# isolates, the byte-order mark); C0/C1 controls are found by category, tab and newline kept.
_INVISIBLE = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\ufeff")
_KEPT_CONTROLS = frozenset("\n\t")


def strip_control_characters(text: str) -> str:
    """`text` without NUL, other control characters (newline and tab kept; a carriage return
    becomes a newline), bidirectional overrides and isolates, and the byte-order mark."""
    if text.isprintable() and not _INVISIBLE.intersection(text):
        return text
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return "".join(
        char
        for char in text
        if char in _KEPT_CONTROLS
        or (char not in _INVISIBLE and unicodedata.category(char) not in ("Cc", "Cs"))
    )


def clean_text(text: str, links: Iterable[str] = ()) -> str:
    """Paper prose with LaTeX turned into the text it shows, arXiv's `{this https URL}`
    placeholders resolved from `links` (the paper's own code and project URLs) or dropped,
    and control and bidirectional-override characters removed."""
    text = strip_control_characters(text)
    if "times" in text:
        text = _GLUED_TIMES.sub("×", text)  # "2$\times$" arrives as "2times" once HF drops the math
    if "{this" in text.lower():
        text = _resolve_placeholders(text, [link for link in links if link])
    if "\\" in text or "$" in text or "--" in text or "``" in text or "''" in text or "~" in text:
        text = _plain_latex(text)
    return text


def clean_paper(paper: Paper) -> Paper:
    """Clean every text field of `paper` in place (and return it): prose fields lose their
    LaTeX and placeholders, every field loses control and override characters. A GitHub
    repository the abstract names becomes the paper's code link when it has none, so the
    card shows it with its links rather than as a sentence."""
    links = [paper.github_repo or "", paper.project_page or ""]
    paper.title = " ".join(clean_text(paper.title, links).split()) or paper.title.strip()
    paper.abstract = clean_text(paper.abstract, links)
    if paper.ai_summary:
        paper.ai_summary = clean_text(paper.ai_summary, links) or None
    paper.authors = [name for name in (strip_control_characters(a).strip() for a in paper.authors) if name]
    paper.ai_keywords = [word for word in (strip_control_characters(k).strip() for k in paper.ai_keywords) if word]
    for name in ("github_repo", "project_page", "organization", "thumbnail_url"):
        value = getattr(paper, name)
        if value:
            setattr(paper, name, strip_control_characters(value).strip() or None)
    if not paper.github_repo:
        named = _GITHUB_REPO.search(paper.abstract)
        paper.github_repo = named.group().rstrip(".") if named else None
    return paper


def _resolve_placeholders(text: str, links: list[str]) -> str:
    """`…/Agent0-VL{this https URL}` becomes the paper's own link on the same host (the
    placeholder stands for the part of a URL arXiv cut), a bare placeholder the first link."""

    def replace(match: re.Match[str]) -> str:
        before = match.group("url")
        if before and "." in before:
            host = _host(before)
            same = [link for link in links if _host(link) == host]
            return same[0] if same else before
        return before + (links[0] if links else "")

    resolved = _PLACEHOLDER.sub(replace, text)
    return re.sub(r"\s+([.,;])", r"\1", resolved) if resolved != text else resolved


def _host(url: str) -> str:
    match = _URL_HOST.match(url.strip())
    return match.group(1).lower().removeprefix("www.") if match else ""


def _plain_latex(text: str) -> str:
    if "\\" in text:  # links inside commands first, before URLs are set apart from prose
        text = _HREF.sub(lambda m: m.group(2) if m.group(2) == m.group(1) else f"{m.group(2)} ({m.group(1)})", text)
        text = _URL_COMMAND.sub(r"\1", text)
        text = _FOOTNOTE.sub(r" (\1)", text)
    if "~" in text:
        text = _TIE.sub(" ", text)
    text = _protect_urls(text, _tex_to_text)
    text = _QUOTED.sub(r"“\1”", text)  # ''Aha moment'' as well as ``Aha moment''
    for tex, typographic in _QUOTES:
        text = text.replace(tex, typographic)
    return _SPACES.sub(" ", text)


def _protect_urls(text: str, convert) -> str:  # noqa: ANN001 - a str -> str function
    """Apply `convert` to the prose between URLs only: `a--b` in a host or `~user` in a
    path is part of the address."""
    pieces: list[str] = []
    start = 0
    for match in _URL.finditer(text):
        pieces.append(convert(text[start : match.start()]))
        pieces.append(match.group().replace("\\_", "_").replace("\\#", "#").replace("\\allowbreak", ""))
        start = match.end()
    pieces.append(convert(text[start:]))
    return "".join(pieces)


def _tex_to_text(text: str) -> str:
    if "\\" in text or "$" in text:
        for _ in range(3):  # nested commands: \textbf{\textit{X}}
            before = text
            text = _TEXT_COMMAND.sub(r"\1", text)
            text = _GROUP_STYLE.sub(r"\1", text)
            if text == before:
                break
        text = _DROPPED_COMMAND.sub("", text)
        text = _POSSESSIVE.sub("'", text)
        text = _BRACED_ACCENT.sub(_accented, text)
        text = _BARE_ACCENT.sub(_accented, text)
        text = _MATH.sub(_math, text)
        text = _ENUMERATOR.sub("", text)
        text = _CURRENCY.sub("$", text)
        text = _ESCAPE.sub(lambda m: _ESCAPED[m.group(1)], text)
        text = _COMMAND.sub(_command, text)
        text = _EMPTY_BRACES.sub("", text)
        text = _BRACED_WORD.sub(r"\1", text)
        text = _LEFTOVER.sub("", text)
    if "--" in text:
        text = _DASHES.sub(lambda m: "—" if len(m.group()) == 3 else "–", text)
    return text


def _accented(match: re.Match[str]) -> str:
    letter = match.group(2).lstrip("\\")
    letter = {"i": "i", "j": "j"}.get(letter, letter)
    return unicodedata.normalize("NFC", letter + _ACCENTS[match.group(1)])


def _command(match: re.Match[str]) -> str:
    """A known symbol as its character; an author's own macro (`\\method`, `\\ours`) as its
    name, which is the best the text offers for what it stood for."""
    name = match.group(1)
    return _SYMBOLS.get(name, name)


def _math(match: re.Match[str]) -> str:
    """Simple inline math as text: `$CoT$` -> CoT, `$\\pi^3$` -> π³, `$^*$` -> *."""
    body = match.group(1) if match.group(1) is not None else match.group(2)
    body = _SUPERSCRIPT.sub(_superscript, body)
    body = _SUBSCRIPT.sub(r"\1", body)
    body = _TEXT_COMMAND.sub(r"\1", body)
    body = _COMMAND.sub(_command, body)
    body = body.replace("{", "").replace("}", "")
    return body.strip()


def _superscript(match: re.Match[str]) -> str:
    value = match.group(1) if match.group(1) is not None else match.group(2)
    value = _COMMAND.sub(_command, _TEXT_COMMAND.sub(r"\1", value)).replace("{", "").replace("}", "")
    if value and all(char in "0123456789+-" for char in value):
        return value.translate(_SUPERSCRIPT_DIGITS)
    return value

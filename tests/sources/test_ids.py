"""normalize_arxiv_ref: every form people paste gives the bare id; nothing else does, nothing raises."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from paperwire.bot.models import split_arxiv_id
from paperwire.bot.sources.ids import normalize_arxiv_ref


@pytest.mark.parametrize(
    "text",
    [
        "2602.13515",
        "2602.13515v2",
        " 2602.13515v12 \n",
        "arXiv:2602.13515",
        "arxiv:2602.13515v2",
        "ARXIV: 2602.13515",
        "https://arxiv.org/abs/2602.13515",
        "https://arxiv.org/abs/2602.13515v2",
        "http://arxiv.org/abs/2602.13515/",
        "https://arxiv.org/pdf/2602.13515",
        "https://arxiv.org/pdf/2602.13515v2.pdf",
        "https://arxiv.org/pdf/2602.13515.pdf",
        "https://arxiv.org/html/2602.13515v1",
        "https://arxiv.org/html/2602.13515v1/",
        "https://www.arxiv.org/abs/2602.13515",
        "https://export.arxiv.org/abs/2602.13515v3",
        "arxiv.org/abs/2602.13515",
        "arxiv.org/abs/2602.13515?context=cs.LG",
        "https://arxiv.org/abs/2602.13515#section",
        "https://huggingface.co/papers/2602.13515",
        "https://huggingface.co/papers/2602.13515/",
        "huggingface.co/papers/2602.13515?utm_source=chat",
        "https://hf.co/papers/2602.13515",
        "hf.co/papers/2602.13515#community",
        "<https://arxiv.org/abs/2602.13515v2>",
        "<https://huggingface.co/papers/2602.13515|Invented paper>",
        "https://arxiv.org/abs/2602.13515.",
    ],
)
def test_new_style_forms(text: str) -> None:
    assert normalize_arxiv_ref(text) == "2602.13515"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2401.1234", "2401.1234"),  # four-digit sequence numbers before 2015
        ("cs/0501001", "cs/0501001"),
        ("cs/0501001v2", "cs/0501001"),
        ("arXiv:hep-th/9901001", "hep-th/9901001"),
        ("math.GT/0309136v1", "math.GT/0309136"),
        ("https://arxiv.org/abs/cs/0501001", "cs/0501001"),
        ("https://arxiv.org/pdf/cs/0501001v1.pdf", "cs/0501001"),
        ("https://arxiv.org/abs/hep-th/9901001v3/", "hep-th/9901001"),
    ],
)
def test_other_forms(text: str, expected: str) -> None:
    assert normalize_arxiv_ref(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "sparse attention",
        "2602.135",
        "2602.1351515",
        "2602.13515v",
        "2602. 13515",
        "\uff12\uff16\uff10\uff12.\uff11\uff13\uff15\uff11\uff15",  # full-width digits: not an arXiv id
        "https://example.com/abs/2602.13515",
        "https://arxiv.org/list/cs.LG/recent",
        "https://huggingface.co/models/2602.13515",
        "arxiv:",
        "cs/050100",
    ],
)
def test_not_a_paper(text: str) -> None:
    assert normalize_arxiv_ref(text) is None


_PREFIXES = st.sampled_from(
    [
        "",
        "arXiv:",
        "https://arxiv.org/abs/",
        "arxiv.org/pdf/",
        "hf.co/papers/",
        "<https://arxiv.org/html/",
        "cs/",
    ]
)
_TAILS = st.sampled_from(["", "v2", ".pdf", "/", "?x=1", "#y", ">", "|label>", "\n"])
_PASTED = st.one_of(
    st.text(),
    st.tuples(_PREFIXES, st.text(alphabet="0123456789.v/", max_size=14), _TAILS).map("".join),
    st.tuples(_PREFIXES, st.text(max_size=14), _TAILS).map("".join),
)


@given(_PASTED)
def test_never_raises_and_returns_a_bare_id(text: str) -> None:
    result = normalize_arxiv_ref(text)

    if result is not None:
        assert split_arxiv_id(result) == (result, None)
        assert result.isascii()


@given(st.integers(0, 9999), st.integers(0, 99999), st.integers(1, 30))
def test_round_trips_through_an_abs_url(month: int, number: int, version: int) -> None:
    arxiv_id = f"{month:04d}.{number:05d}"

    assert normalize_arxiv_ref(f"https://arxiv.org/abs/{arxiv_id}v{version}") == arxiv_id

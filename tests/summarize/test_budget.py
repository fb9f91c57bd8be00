"""The per-digest token budget: reservations, commits and the cut-off."""

from __future__ import annotations

import pytest

from paperwire.bot.summarize.budget import TokenBudget, estimate_tokens


def test_reservations_count_against_the_limit_until_committed() -> None:
    budget = TokenBudget(1000)
    first = budget.reserve(600)
    assert first is not None and budget.remaining == 400
    assert budget.reserve(500) is None and budget.refused == 1

    budget.commit(first, prompt_tokens=200, completion_tokens=100)

    assert (budget.prompt_tokens, budget.completion_tokens, budget.used) == (200, 100, 300)
    assert budget.reserved == 0 and budget.remaining == 700
    assert budget.reserve(500) is not None


def test_release_frees_a_reservation_once() -> None:
    budget = TokenBudget(100)
    reservation = budget.reserve(80)
    assert reservation is not None
    budget.release(reservation)
    budget.release(reservation)
    budget.commit(reservation, 0, 0)
    assert budget.reserved == 0 and budget.remaining == 100


def test_no_limit_never_refuses_but_still_counts() -> None:
    budget = TokenBudget(None)
    reservation = budget.reserve(10**9)
    assert reservation is not None and budget.remaining is None
    budget.commit(reservation, 5, 7)
    assert budget.used == 12


def test_zero_budget_refuses_every_call() -> None:
    budget = TokenBudget(0)
    assert budget.reserve(1) is None


def test_negative_budget_is_an_error() -> None:
    with pytest.raises(ValueError):
        TokenBudget(-1)


def test_estimate_counts_cjk_heavier_than_ascii() -> None:
    assert estimate_tokens("a" * 400) == 101
    assert estimate_tokens("中" * 100) == 101
    assert estimate_tokens("") == 1

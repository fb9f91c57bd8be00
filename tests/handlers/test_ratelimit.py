"""The per-user sliding window, on a clock the tests move."""

from __future__ import annotations

import pytest

from paperwire.handlers.ratelimit import RateLimiter
from tests.handlers.conftest import FakeClock


def test_a_user_gets_the_limit_per_window_and_no_more() -> None:
    clock = FakeClock()
    limiter = RateLimiter(3, 60.0, clock)

    assert [limiter.check("a").allowed for _ in range(3)] == [True, True, True]
    refused = limiter.check("a")
    assert not refused.allowed and refused.retry_after == pytest.approx(60.0)
    assert limiter.check("b").allowed


def test_the_window_slides() -> None:
    clock = FakeClock()
    limiter = RateLimiter(2, 60.0, clock)
    limiter.check("a")
    clock.advance(30)
    limiter.check("a")

    clock.advance(29)
    assert not limiter.check("a").allowed
    clock.advance(1.5)  # the first command is now more than a minute old
    assert limiter.check("a").allowed
    refused = limiter.check("a")
    assert not refused.allowed and refused.retry_after_seconds == 30  # 29.5 s, rounded up


def test_refusals_do_not_count_and_the_user_is_told_once_per_window() -> None:
    clock = FakeClock()
    limiter = RateLimiter(1, 60.0, clock)
    limiter.check("a")

    first, second = limiter.check("a"), limiter.check("a")
    clock.advance(60)
    assert limiter.check("a").allowed
    third = limiter.check("a")

    assert (first.already_told, second.already_told, third.already_told) == (False, True, False)


def test_idle_users_are_forgotten_when_the_table_is_large() -> None:
    clock = FakeClock()
    limiter = RateLimiter(1, 60.0, clock)
    for user in range(10_000):
        limiter.check(user)
    clock.advance(61)

    limiter.check("new")

    assert len(limiter) == 1


def test_nonsense_limits_are_refused() -> None:
    with pytest.raises(ValueError):
        RateLimiter(0)

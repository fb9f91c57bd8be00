"""The time- and size-limited cache behind reply and subscription caching."""

from __future__ import annotations

from paperwire.handlers.cache import TTLCache
from tests.handlers.conftest import FakeClock


def test_entries_expire_after_the_ttl() -> None:
    clock = FakeClock()
    cache: TTLCache[str] = TTLCache(10, clock=clock)
    cache.put("a", "one")

    clock.advance(9.9)
    assert cache.get("a") == "one"
    clock.advance(0.1)
    assert cache.get("a") is None and len(cache) == 0


def test_the_least_recently_used_entry_goes_first() -> None:
    cache: TTLCache[int] = TTLCache(60, size=2, clock=FakeClock())
    cache.put("a", 1)
    cache.put("b", 2)
    cache.get("a")
    cache.put("c", 3)

    assert (cache.get("a"), cache.get("b"), cache.get("c")) == (1, None, 3)


def test_drop_clear_and_a_zero_ttl() -> None:
    cache: TTLCache[int] = TTLCache(60, clock=FakeClock())
    cache.put("a", 1)
    cache.put("b", 2)
    cache.drop("a")
    cache.drop("missing")
    assert (cache.get("a"), cache.get("b")) == (None, 2)
    cache.clear()
    assert len(cache) == 0

    off: TTLCache[int] = TTLCache(0, clock=FakeClock())
    off.put("a", 1)
    assert off.get("a") is None

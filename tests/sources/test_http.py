"""The shared HTTP pieces: reading Retry-After and naming a service."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from paperwire.bot.sources.http import parse_retry_after, service_name

NOW = datetime(2026, 2, 20, 12, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        ("7", 7.0),
        (" 0.5 ", 0.5),
        ("0", 0.0),
        ("-3", 0.0),
        ("Fri, 20 Feb 2026 12:00:30 GMT", 30.0),
        ("Fri, 20 Feb 2026 11:00:00 GMT", 0.0),  # already past
        (None, None),
        ("", None),
        ("soon", None),
        ("nan", None),
        ("inf", None),
    ],
)
def test_parse_retry_after(header: str | None, seconds: float | None) -> None:
    assert parse_retry_after(header, now=NOW) == seconds


@pytest.mark.parametrize(
    ("base_url", "name"),
    [
        ("https://huggingface.co", "Hugging Face (huggingface.co)"),
        ("http://127.0.0.1:8123/", "Hugging Face (127.0.0.1:8123)"),
        ("huggingface.co", "Hugging Face (huggingface.co)"),
    ],
)
def test_service_name(base_url: str, name: str) -> None:
    assert service_name("Hugging Face", base_url) == name

"""`paperwire publish` of the sample day against the fake Bot API, as the delivery tests run it."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from paperwire.bot.cli import main
from tests.fakes.telegram import FakeTelegram

REPO = Path(__file__).resolve().parents[2]
CHATS = ["-1001", "-1002", "4242"]
PUBLISH = ["publish", "--source", "sample", "--date", "2026-02-20"]
MESSAGES = 7  # the sample day: the overview and six cards


def telegram_env(monkeypatch: pytest.MonkeyPatch, fake: FakeTelegram, database_url: str, **extra: str) -> dict[str, str]:
    """Settings for publishing to CHATS through the fake; rates raised so tests run fast."""
    values = {
        "PAPERWIRE_TELEGRAM__TOKEN": fake.token,
        "PAPERWIRE_TELEGRAM__BASE_URL": fake.base_url,
        "PAPERWIRE_TELEGRAM__CHATS": '["-1001", "-1002", "4242"]',
        "PAPERWIRE_TELEGRAM__RATE_PER_BOT": "1000",
        "PAPERWIRE_TELEGRAM__RATE_PER_PRIVATE_CHAT": "200",
        "PAPERWIRE_TELEGRAM__RATE_PER_GROUP_PER_MINUTE": "12000",
        "PAPERWIRE_DATABASE__URL": database_url,
    } | extra
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    return values


async def publish(*extra: str) -> int:
    """`paperwire publish` of the sample day, in a thread as a user's command would run."""
    return await asyncio.to_thread(main, [*PUBLISH, *extra])

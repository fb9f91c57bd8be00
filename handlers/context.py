"""Who typed a command, and where: what a platform adapter hands the command core."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from paperwire.bot.models import Language

ChatKind = Literal["private", "group", "channel", "cli"]


@dataclass(frozen=True, slots=True)
class CommandContext:
    """Who typed the command, and where; the platform adapter answers `is_admin` for the chat.

    `language` forces the reply language (`paperwire ask --lang`); otherwise the chat's
    subscription language is used, else the default.
    """

    platform: str
    chat_id: str
    user_id: str
    chat_kind: ChatKind = "private"
    is_admin: bool = False
    language: Language | None = None

    @property
    def may_change_subscription(self) -> bool:
        """In groups and channels only admins may; in a private chat or the CLI, anyone."""
        return self.chat_kind in ("private", "cli") or self.is_admin

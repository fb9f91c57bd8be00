"""What every chat platform provides, so the rest of the code can treat them all alike."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from pydantic import BaseModel, SecretStr

from paperwire.bot.delivery.publish import Renderer
from paperwire.bot.delivery.worker import Sender
from paperwire.bot.parts import Part, Redactor
from paperwire.config.settings import SECRET_KEYS, ChatTarget, Settings
from paperwire.handlers.core import CommandCore

if TYPE_CHECKING:  # typing only: the composition root imports the platforms
    from paperwire.bot.app import Services


@dataclass(frozen=True, slots=True)
class PlatformStatus:
    """Whether the platform sends (it has the credential to), and in words how it runs or why not."""

    sends: bool
    detail: str

    @property
    def serves(self) -> bool:
        """Whether its part of the service (commands, buttons) runs: "on ..." in /healthz."""
        return self.detail.startswith("on")


class Platform(Protocol):
    """A chat platform: its settings, whether it is on, its renderers, sender and service part."""

    name: str
    credential_errors: tuple[type[Exception], ...]

    def settings(self, settings: Settings) -> BaseModel: ...

    def status(self, settings: Settings) -> PlatformStatus: ...

    def chats(self, settings: Settings) -> Sequence[ChatTarget]: ...

    def chats_setting(self) -> str: ...

    def secrets(self, settings: Settings) -> list[str]: ...

    def in_flight(self, settings: Settings) -> str: ...

    def problems(self, settings: Settings) -> list[str]: ...

    render_payloads: Renderer
    preview_payload: Callable[[dict], str]

    def notice_payload(self, text: str) -> dict: ...

    def open_sender(self, services: Services) -> AbstractAsyncContextManager[Sender]: ...

    def refused_credential(self, error: Exception) -> bool: ...

    def service_part(self, services: Services, core: CommandCore, redact: Redactor) -> Part: ...


class PlatformBase:
    """The parts every platform computes the same way from its settings section."""

    name: ClassVar[str]
    section: ClassVar[str]
    chats_key: ClassVar[str]

    def settings(self, settings: Settings) -> Any:
        return getattr(settings, self.section)

    def chats(self, settings: Settings) -> Sequence[ChatTarget]:
        return getattr(self.settings(settings), self.chats_key)

    def chats_setting(self) -> str:
        """The setting that lists the chats to deliver to, e.g. `telegram.chats`."""
        return f"{self.section}.{self.chats_key}"

    def secrets(self, settings: Settings) -> list[str]:
        """The values of this platform's secret keys (config/settings.py SECRET_KEYS), for redaction."""
        section = self.settings(settings)
        values = [getattr(section, key, None) for (name, key) in SECRET_KEYS if name == self.section]
        return [value.get_secret_value() for value in values if isinstance(value, SecretStr)]

    def in_flight(self, settings: Settings) -> str:
        return self.settings(settings).in_flight

    def problems(self, settings: Settings) -> list[str]:
        """Settings that cannot work together, one line each (`paperwire config check`)."""
        return []


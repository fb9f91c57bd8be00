"""A chat platform is one object, registered once in the composition root."""

from __future__ import annotations

import re
from pathlib import Path

from pydantic import SecretStr

from paperwire.bot.app import PLATFORMS, enabled_platforms, platform_named, previewers, renderers
from paperwire.bot.parts import Redactor
from paperwire.config.settings import SECRET_KEYS, Settings

REPOSITORY = Path(__file__).resolve().parents[2]
# A platform's own modules, where its name may appear; plus config/settings.py, whose
# sections and secret keys are the platforms' settings.
OWN_MODULES = re.compile(
    r"^(bot/platforms/|bot/delivery/(telegram|slack)\.py|bot/(telegram|slack)_app\.py|handlers/(telegram|slack)\.py"
    r"|formatters/(telegram|slack)[a-z_]*\.py|config/settings\.py)"
)
BRANCH = re.compile(r"""["'](telegram|slack)["']|settings\.(telegram|slack)\b""")


def test_nothing_outside_a_platforms_modules_branches_on_its_name() -> None:
    offenders = []
    for folder in ("bot", "handlers", "formatters", "config"):
        for path in sorted((REPOSITORY / folder).rglob("*.py")):
            relative = path.relative_to(REPOSITORY).as_posix()
            if OWN_MODULES.match(relative) or "/migrations/" in relative:
                continue
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if BRANCH.search(line):
                    offenders.append(f"{relative}:{number}: {line.strip()}")
    assert not offenders, "\n".join(offenders)


def test_every_platform_is_complete_and_registered_once() -> None:
    names = [platform.name for platform in PLATFORMS]
    assert len(names) == len(set(names))
    assert set(renderers()) == set(previewers()) == set(names)
    for platform in PLATFORMS:
        assert platform_named(platform.name) is platform
        assert platform.notice_payload("x")  # a notice renders on every platform


def test_enabled_is_computed_one_way() -> None:
    settings = Settings()
    assert enabled_platforms(settings) == []
    for platform in PLATFORMS:
        status = platform.status(settings)
        assert not status.sends and status.detail.startswith("off: ")


def test_redaction_reads_every_secret_key_of_the_settings() -> None:
    settings = Settings()
    values = {}
    for number, (section, key) in enumerate(SECRET_KEYS):
        value = f"secret-value-{number}"
        setattr(getattr(settings, section), key, SecretStr(value))
        values[(section, key)] = value
    redact = Redactor(settings)
    text = " ".join(values.values())
    assert "secret-value" not in redact(text)
    for platform in PLATFORMS:
        mine = {value for (section, _), value in values.items() if section == platform.name}
        assert set(platform.secrets(settings)) == mine

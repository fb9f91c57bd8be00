"""`paperwire config check` on broken configurations: the exit code, one line naming the key
and what is wrong, and never a secret."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from paperwire.bot.cli import main

SECRETS = ("123456:SECRET-telegram-token", "xoxb-SECRET-slack", "hunter2-db-password")


def check(capsys: pytest.CaptureFixture[str], tmp_path: Path, toml: str | None = None) -> tuple[int, str]:
    """Run `paperwire [--config FILE] config check`; (exit code, everything it printed)."""
    argv = ["config", "check"]
    if toml is not None:
        path = tmp_path / "paperwire.toml"
        path.write_text(toml, encoding="utf-8")
        argv = ["--config", str(path), *argv]
    code = main(argv)
    captured = capsys.readouterr()
    output = captured.out + captured.err
    for secret in SECRETS:
        assert secret not in output
    return code, output


def line_with(output: str, *words: str) -> str:
    lines = [line for line in output.splitlines() if all(word in line for word in words)]
    assert lines, f"no line with {words} in:\n{output}"
    return lines[0]


@pytest.fixture(autouse=True)
def _secrets_in_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Real-looking secrets are set, so a check that printed one would be caught."""
    monkeypatch.setenv("PAPERWIRE_TELEGRAM__TOKEN", SECRETS[0])
    monkeypatch.setenv("PAPERWIRE_SLACK__BOT_TOKEN", SECRETS[1])


def test_a_good_configuration_passes_and_says_what_is_on(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, output = check(capsys, tmp_path, '[schedule]\ntimezone = "Asia/Shanghai"\nbuild_time = "08:30"\n')
    assert code == 0, output
    assert "telegram: on (long polling)" in output
    assert line_with(output, "slack: off", "PAPERWIRE_SLACK__APP_TOKEN")


@pytest.mark.parametrize(
    ("toml", "key", "detail"),
    [
        ('[schedule]\ntimezone = "Mars/Olympus"\n', "schedule.timezone", "IANA name"),
        ('[schedule]\nbuild_time = "25:99"\n', "schedule.build_time", "HH:MM"),
        ('[schedule]\ndelivery_time = "9am"\n', "schedule.delivery_time", "HH:MM"),
        ('[schedule]\ndays = ["mon", "funday"]\n', "schedule.days", "'mon'"),
        ('langauge = "zh"\n', "langauge", "not a setting"),
        ('[digest]\nmax_papers = 0\n', "digest.max_papers", "max_papers = 6"),
        (f'[telegram]\ntoken = "{SECRETS[0]}"\n', "telegram.token", "PAPERWIRE_TELEGRAM__TOKEN"),
        (f'[slack]\nbot_token = "{SECRETS[1]}"\n', "slack.bot_token", "PAPERWIRE_SLACK__BOT_TOKEN"),
        (
            f'[database]\nurl = "postgresql+asyncpg://pw:{SECRETS[2]}@db.example/pw"\n',
            "database.url",
            "PAPERWIRE_DATABASE__URL",
        ),
    ],
)
def test_a_setting_that_cannot_be_used_is_named_with_the_fix(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, toml: str, key: str, detail: str
) -> None:
    code, output = check(capsys, tmp_path, toml)
    assert code == 2
    assert line_with(output, key, detail)


def test_an_unknown_key_inside_a_section_is_named(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, output = check(capsys, tmp_path, '[digest]\nlangauge = "zh"\n')
    assert code == 2
    assert line_with(output, "digest.langauge", "not a setting")


def test_a_chat_following_an_unknown_topic(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, output = check(capsys, tmp_path, '[telegram]\nchats = [{ id = "-1001", topics = ["quantum-knitting"] }]\n')
    assert code == 1
    line = line_with(output, "telegram.chats", "-1001", "quantum-knitting")
    assert "agentic-rl" in line  # the known topics, to pick from


def test_an_unreachable_database_without_its_password(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv("PAPERWIRE_DATABASE__URL", f"postgresql+asyncpg://pw:{SECRETS[2]}@127.0.0.1:{port}/pw")
    code, output = check(capsys, tmp_path)
    assert code == 1
    assert line_with(output, "database.url", "cannot reach", "***")


def test_webhook_mode_without_its_secret(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, output = check(capsys, tmp_path, '[telegram]\nwebhook_url = "https://bot.example.org"\n')
    assert code == 1
    assert line_with(output, "telegram.webhook_secret", "PAPERWIRE_TELEGRAM__WEBHOOK_SECRET")

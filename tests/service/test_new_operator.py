"""Issue 13, what a new operator trips over: each item through the real CLI in a subprocess."""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import sqlite3
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.fakes.hf import make_item
from tests.fakes.telegram import FakeTelegram, RateLimits
from tests.service.conftest import ServeProcess, free_port
from tests.service.new_operator_cases import CASES, SECRETS, BrokenConfig, prepare

PAPERWIRE = Path(sys.executable).parent / "paperwire"
SAMPLE_DAY, EARLIER_DAY = "2026-02-20", "2026-02-19"


def environment(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("PAPERWIRE_")}
    env.update(PAPERWIRE_DATA_DIR=str(tmp_path / "data"), PTB_TIMEDELTA="1", **extra)
    return env


def paperwire(tmp_path: Path, *argv: str, **extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(PAPERWIRE), *argv], capture_output=True, text=True, env=environment(tmp_path, **extra), cwd=tmp_path, timeout=120
    )


async def paperwire_async(tmp_path: Path, *argv: str, **extra: str) -> tuple[int, str, str]:
    """The CLI in a subprocess while this test's event loop serves a fake."""
    process = await asyncio.create_subprocess_exec(
        str(PAPERWIRE), *argv, env=environment(tmp_path, **extra), cwd=tmp_path,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(process.communicate(), timeout=120)
    return process.returncode or 0, out.decode(), err.decode()


def database(tmp_path: Path) -> Path:
    return tmp_path / "data" / "paperwire.sqlite3"


def checksum(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def rows(tmp_path: Path, query: str) -> list[tuple]:
    with sqlite3.connect(f"file:{database(tmp_path)}?mode=ro", uri=True) as connection:
        return connection.execute(query).fetchall()


def table_counts(tmp_path: Path) -> dict[str, int]:
    tables = [name for (name,) in rows(tmp_path, "SELECT name FROM sqlite_master WHERE type = 'table'")]
    return {table: rows(tmp_path, f'SELECT count(*) FROM "{table}"')[0][0] for table in tables}


@pytest.fixture
def built(tmp_path: Path) -> Path:
    """The sample day built into a fresh data folder (2026-02-19 stored, without a digest)."""
    result = paperwire(tmp_path, "digest", "--source", "sample")
    assert result.returncode == 0, result.stderr
    return tmp_path


# ------------------------------------------------------------------ configuration


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_a_configuration_mistake_is_one_line_with_exit_2(tmp_path: Path, case: BrokenConfig) -> None:
    argv, extra = prepare(case, tmp_path)
    result = paperwire(tmp_path, *argv, **extra)
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 2, result.stderr
    assert len(lines) == 1 and lines[0].startswith("paperwire: configuration error: "), result.stderr
    assert all(word in lines[0] for word in case.expect), lines[0]
    assert not any(secret in result.stdout + result.stderr for secret in SECRETS)
    assert not database(tmp_path).exists()


def test_every_mistake_at_once_and_unknown_variables_by_name(tmp_path: Path) -> None:
    (tmp_path / "paperwire.toml").write_text('[telegram]\ntoken = "123:abc-SECRET"\n[digest]\nmax_papers = 0\n')
    result = paperwire(
        tmp_path, "config", "check", "--config", "paperwire.toml",
        PAPERWIRE_LOG_LEVEL="LOUD", PAPERWIRE_DIGSET__LANGUAGE="zh",
    )  # fmt: skip
    assert result.returncode == 2
    errors = [line for line in result.stderr.splitlines() if "configuration error" in line]
    assert [word for word in ("telegram.token", "digest.max_papers", "log_level") if any(word in e for e in errors)] == [
        "telegram.token", "digest.max_papers", "log_level",
    ]  # fmt: skip
    assert "PAPERWIRE_DIGSET__LANGUAGE" in result.stderr and "PAPERWIRE_DIGEST__LANGUAGE" in result.stderr
    assert "123:abc-SECRET" not in result.stderr + result.stdout


def test_lists_in_the_environment_take_json_or_commas(tmp_path: Path) -> None:
    for chats in ('["-1001", "@mychannel"]', "-1001,@mychannel"):
        result = paperwire(
            tmp_path, "publish", "--source", "sample", "--dry-run",
            PAPERWIRE_TELEGRAM__CHATS=chats, PAPERWIRE_SCHEDULE__DAYS="mon,tue",
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
        assert "=== telegram -1001 (en)" in result.stdout and "=== telegram @mychannel (en)" in result.stdout


def test_config_check_writes_nothing_anywhere(tmp_path: Path) -> None:
    result = paperwire(tmp_path, "config", "check")
    assert result.returncode == 0, result.stderr
    assert "does not exist yet" in result.stdout
    assert not (tmp_path / "data").exists()
    # The same verb with --config after it.
    (tmp_path / "paperwire.toml").write_text('[digest]\nlanguage = "zh"\n')
    after = paperwire(tmp_path, "config", "check", "--config", "paperwire.toml")
    before = paperwire(tmp_path, "--config", "paperwire.toml", "config", "check")
    assert after.returncode == before.returncode == 0 and "digest.language: zh" in after.stdout
    assert not (tmp_path / "data").exists()


def test_config_check_on_an_existing_database_leaves_it_as_it_was(built: Path) -> None:
    before = checksum(database(built))
    result = paperwire(built, "config", "check")
    assert result.returncode == 0 and "schema up to date" in result.stdout, result.stdout + result.stderr
    assert checksum(database(built)) == before


async def test_urls_are_masked_in_healthz_and_the_log(tmp_path: Path) -> None:
    secret_url = f"http://u:{SECRETS[3]}@llm.example.org/v1?api-key={SECRETS[2]}"
    process = ServeProcess(environment(tmp_path, PAPERWIRE_LLM__BASE_URL=secret_url), tmp_path / "serve.log", free_port())
    process.start()
    try:
        health = await process.wait_healthy()
        assert "llm.example.org" in json.dumps(health)
    finally:
        await process.stop()
    shown = json.dumps(health) + process.log()
    assert SECRETS[2] not in shown and SECRETS[3] not in shown
    assert "***@llm.example.org" in shown


# ------------------------------------------------------------------ dry runs and configured chats


def test_a_dry_run_writes_nothing(built: Path) -> None:
    before, counts = checksum(database(built)), table_counts(built)
    for day in (SAMPLE_DAY, EARLIER_DAY):  # a built day, and a stored day never curated
        result = paperwire(built, "publish", "--dry-run", "--date", day, PAPERWIRE_TELEGRAM__CHATS="-1001,@chan")
        assert result.returncode == 0, result.stderr
        assert "=== telegram -1001 (en)" in result.stdout
    assert checksum(database(built)) == before
    assert table_counts(built) == counts


def test_a_dry_run_on_a_fresh_machine_creates_no_database(tmp_path: Path) -> None:
    result = paperwire(tmp_path, "publish", "--source", "sample", "--dry-run", PAPERWIRE_TELEGRAM__CHATS="-1001")
    assert result.returncode == 0, result.stderr
    assert "=== telegram -1001 (en)" in result.stdout
    assert not database(tmp_path).exists()


@pytest.fixture
async def telegram() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram(limits=RateLimits.off()) as fake:
        yield fake


def telegram_env(fake: FakeTelegram, chats: str) -> dict[str, str]:
    return {
        "PAPERWIRE_TELEGRAM__TOKEN": fake.token,
        "PAPERWIRE_TELEGRAM__BASE_URL": fake.base_url,
        "PAPERWIRE_TELEGRAM__CHATS": chats,
        "PAPERWIRE_TELEGRAM__RATE_PER_BOT": "1000",
        "PAPERWIRE_TELEGRAM__RATE_PER_PRIVATE_CHAT": "200",
        "PAPERWIRE_TELEGRAM__RATE_PER_GROUP_PER_MINUTE": "12000",
    }


async def test_configured_chats_follow_the_configuration_on_every_publish(tmp_path: Path, telegram: FakeTelegram) -> None:
    code, _, err = await paperwire_async(
        tmp_path, "publish", "--source", "sample", "--date", EARLIER_DAY, **telegram_env(telegram, "-1001,-1002")
    )
    assert code == 0, err
    first = {chat: len(telegram.sent_to(chat)) for chat in ("-1001", "-1002")}
    assert first["-1001"] > 0 and first["-1002"] > 0

    # -1002 leaves the configuration; -1001 changes its language; -1003 is added.
    chats = '[{"id": "-1001", "language": "zh"}, "-1003"]'
    code, _, err = await paperwire_async(
        tmp_path, "publish", "--source", "sample", "--date", SAMPLE_DAY, **telegram_env(telegram, chats)
    )
    assert code == 0, err
    assert len(telegram.sent_to("-1002")) == first["-1002"]  # removed: nothing new
    new_for_1001 = telegram.sent_to("-1001")[first["-1001"]:]
    assert new_for_1001 and "今日预览" in new_for_1001[0]["text"]  # the changed language is used
    assert telegram.sent_to("-1003")  # added
    removed = rows(tmp_path, "SELECT active, deactivated_reason FROM subscriptions WHERE chat_id = '-1002'")
    assert removed == [(0, "removed from the configuration")]
    kept = rows(tmp_path, "SELECT count(*) FROM deliveries WHERE chat_id = '-1002'")
    assert kept[0][0] == first["-1002"]  # its history stays


def test_a_chats_topics_never_reach_below_the_cut(tmp_path: Path) -> None:
    chats = '[{"id": "-1001", "topics": ["agentic-rl"]}]'
    result = paperwire(
        tmp_path, "publish", "--source", "sample", "--dry-run",
        PAPERWIRE_TELEGRAM__CHATS=chats, PAPERWIRE_DIGEST__MAX_PAPERS="2",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    digest = paperwire(tmp_path, "digest", "--source", "sample", PAPERWIRE_DIGEST__MAX_PAPERS="2")
    below = [line for line in digest.stdout.splitlines() if "below the cut" in line]
    assert below
    for line in below:
        title = line.split("|")[1].strip().strip("*")[:30]
        assert title not in result.stdout, title


# ------------------------------------------------------------------ idempotency


def test_a_stored_post_is_served_as_stored_after_an_import(built: Path) -> None:
    first = paperwire(built, "digest", "--date", SAMPLE_DAY, "--source", "sample")
    folder = built / "more"
    folder.mkdir()
    items = [make_item(f"2602.0{n:04d}", f"Agentic reinforcement learning study {n}", "An agentic RL method.") for n in range(9)]
    (folder / "2026-02-18.json").write_text(json.dumps(items))
    assert paperwire(built, "import", str(folder), "--quiet").returncode == 0
    again = paperwire(built, "digest", "--date", SAMPLE_DAY, "--source", "sample")
    assert first.returncode == again.returncode == 0
    assert again.stdout == first.stdout


# ------------------------------------------------------------------ offline


def refused_url() -> str:
    return f"http://127.0.0.1:{free_port()}"


def test_paper_offline_answers_not_found_offline_without_retrying(built: Path) -> None:
    down = {"PAPERWIRE_SOURCES__HF_BASE_URL": refused_url(), "PAPERWIRE_SOURCES__ARXIV_BASE_URL": refused_url()}
    result = paperwire(built, "ask", "paper 2602.99999", **down)
    assert result.returncode == 1
    assert result.stdout.strip().splitlines()[0].startswith("2602.99999: not found offline")
    assert "retry" not in result.stderr and result.stderr.strip() == ""


def test_digest_offline_falls_back_or_fails_in_one_line(built: Path) -> None:
    down = {"PAPERWIRE_SOURCES__HF_BASE_URL": refused_url()}
    stored = paperwire(built, "digest", "--date", SAMPLE_DAY, **down)
    assert stored.returncode == 0 and stored.stdout.startswith("---")
    assert len(stored.stderr.strip().splitlines()) == 1 and "using the 14 papers already stored" in stored.stderr
    missing = paperwire(built, "digest", "--date", "2026-01-07", **down)
    assert missing.returncode == 1
    assert len(missing.stderr.strip().splitlines()) == 1 and "--source" in missing.stderr
    assert "retry" not in stored.stderr + missing.stderr


# ------------------------------------------------------------------ CLI mistakes


def test_path_and_argument_mistakes_are_one_line(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("not a day")
    cases = [
        (("digest", "--source", "sample", "--out", "/nonexistent/dir/x.md"), "does not exist"),
        (("digest", "--source", "sample", "--out", str(tmp_path)), "is a folder"),
        (("import", str(tmp_path / "notes.txt")), "YYYY-MM-DD.json"),
        (("import", str(tmp_path / "missing")), "no such file"),
    ]
    for argv, words in cases:
        result = paperwire(tmp_path, *argv)
        assert result.returncode == 2, (argv, result.stderr)
        assert len(result.stderr.strip().splitlines()) == 1 and words in result.stderr, (argv, result.stderr)
        assert "--date" not in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "data").exists()  # checked before any work


def test_help_says_where_the_data_lives(tmp_path: Path) -> None:
    result = paperwire(tmp_path, "--help")
    assert result.returncode == 0 and "PAPERWIRE_DATA_DIR" in result.stdout and "paperwire" in result.stdout


# ------------------------------------------------------------------ read commands


def test_read_commands_never_curate_build_or_write(built: Path) -> None:
    counts = table_counts(built)
    excluded = paperwire(built, "ask", f"excluded {EARLIER_DAY}")
    assert "No digest has been built for 2026-02-19" in excluded.stdout
    for line in ("topics", "topic agentic-rl", "trends"):  # one window, stated in the reply
        result = paperwire(built, "ask", line)
        assert result.returncode == 0, (line, result.stdout, result.stderr)
        assert "the last 2 list days (2026-02-19 to 2026-02-20)" in result.stdout, (line, result.stdout)
    for line in (f"excluded {SAMPLE_DAY}", "paper 2602.14417"):
        result = paperwire(built, "ask", line)
        assert result.returncode == 0, (line, result.stdout, result.stderr)
    unknown = paperwire(built, "ask", "help nonsense")
    assert 'I do not know the command "nonsense"' in unknown.stdout
    assert table_counts(built) == counts


def test_yesterday_is_the_previous_list_day(built: Path) -> None:
    result = paperwire(built, "ask", "digest yesterday")
    assert "There is no digest for 2026-02-19" in result.stdout
    assert paperwire(built, "digest", "--date", EARLIER_DAY, "--source", "sample").returncode == 0
    assert paperwire(built, "ask", "digest yesterday").stdout.startswith("# Daily AI Papers - 2026-02-20")


def test_the_local_chats_settings_do_not_outlive_its_subscription(built: Path) -> None:
    def help_language() -> str:
        return "zh" if "命令" in paperwire(built, "ask", "help").stdout else "en"

    paperwire(built, "ask", "settings lang zh")
    assert help_language() == "en"  # settings alone: the operator's asks stay in digest.language
    paperwire(built, "ask", "subscribe")
    assert help_language() == "zh"
    paperwire(built, "ask", "unsubscribe")
    assert help_language() == "en"


def test_import_tells_what_it_skipped_once(tmp_path: Path) -> None:
    folder = tmp_path / "saved"
    folder.mkdir()
    good = [make_item("2602.00001", "Agentic RL for tool use", "We propose an agent.")]
    (folder / "2026-02-18.json").write_text(json.dumps(good + [{"no": "id"}] * 5 + [7]))
    first = paperwire(tmp_path, "import", str(folder), "--quiet")
    again = paperwire(tmp_path, "import", str(folder), "--quiet")
    assert "1 papers loaded, 0 updated, 0 unchanged, 6 items skipped" in first.stdout
    assert "0 papers loaded, 0 updated, 1 unchanged, 6 items skipped" in again.stdout
    skipped = [line for line in again.stderr.splitlines() if "skipped" in line]
    assert len(skipped) == 1 and "the first 3" in skipped[0]

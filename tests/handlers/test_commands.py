"""The command table is the one place a command is described; everything else reads it."""

from __future__ import annotations

from pathlib import Path

import yaml

from paperwire.handlers import commands
from paperwire.handlers.commands import BY_NAME, SPECS, help_view, slack_usage_hint
from paperwire.handlers.messages import EN, ZH
from paperwire.handlers.telegram import command_menu

MANIFEST = Path(__file__).resolve().parents[2] / "config" / "slack-manifest.yaml"


def test_the_slack_manifest_usage_hint_agrees_with_the_table() -> None:
    manifest = yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))
    [papers] = [command for command in manifest["features"]["slash_commands"] if command["command"] == "/papers"]
    assert papers["usage_hint"] == slack_usage_hint()
    for entry in papers["usage_hint"].split(" | "):
        assert entry.split()[0] in BY_NAME


def test_menu_and_help_list_every_command_in_table_order() -> None:
    names = [spec.name for spec in SPECS]
    assert [command.command for command in command_menu("en")] == names
    assert len(help_view(None, "zh").commands) == len(names)
    assert help_view("topic", "en").commands == [(BY_NAME["topic"].usage("en"), BY_NAME["topic"].about("en"))]


def test_every_command_has_words_in_every_language() -> None:
    for spec in SPECS:
        for table in (EN, ZH):
            assert f"usage_{spec.name}" in table and f"about_{spec.name}" in table, spec.name


def test_each_parsed_kind_has_one_row() -> None:
    kinds = [spec.kind for spec in SPECS]
    assert len(kinds) == len(set(kinds))
    assert commands.spec_of(commands.parse_command("yesterday")).name == "digest"


def test_only_changes_to_the_chat_need_an_admin() -> None:
    assert {spec.name for spec in SPECS if spec.admin_only} == {"subscribe", "unsubscribe", "settings", "taste"}
    assert not BY_NAME["taste"].needs_admin(commands.parse_command("taste"))
    assert BY_NAME["taste"].needs_admin(commands.parse_command("taste reset"))
    assert not BY_NAME["like"].needs_admin(commands.parse_command("like 2602.00001"))
    assert not BY_NAME["settings"].needs_admin(commands.parse_command("settings"))
    assert BY_NAME["settings"].needs_admin(commands.parse_command("settings lang zh"))

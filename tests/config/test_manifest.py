"""The Slack app manifest creates a working app in one paste: scopes, /papers, interactivity, Socket Mode."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

MANIFEST = Path(__file__).resolve().parents[2] / "config" / "slack-manifest.yaml"


@pytest.fixture(scope="module")
def manifest() -> dict[str, Any]:
    return yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))


def test_bot_scopes_cover_posting_commands_and_channel_checks(manifest: dict[str, Any]) -> None:
    scopes = manifest["oauth_config"]["scopes"]["bot"]
    assert {"chat:write", "commands", "channels:read", "groups:read"} <= set(scopes)
    assert len(scopes) == len(set(scopes))
    assert "user" not in manifest["oauth_config"]["scopes"]  # no user token is ever needed


def test_the_papers_command_is_declared_without_a_url_for_socket_mode(manifest: dict[str, Any]) -> None:
    (command,) = manifest["features"]["slash_commands"]
    assert command["command"] == "/papers"
    assert command["should_escape"] is False
    assert "url" not in command  # Socket Mode delivers it; a URL is only for HTTP mode
    assert 1 <= len(command["description"]) <= 2000
    assert 1 <= len(command["usage_hint"]) <= 1000


def test_interactivity_and_socket_mode_are_on(manifest: dict[str, Any]) -> None:
    settings = manifest["settings"]
    assert settings["socket_mode_enabled"] is True
    assert settings["interactivity"]["is_enabled"] is True
    assert "request_url" not in settings["interactivity"]
    assert settings["token_rotation_enabled"] is False


def test_display_fields_are_within_slacks_manifest_limits(manifest: dict[str, Any]) -> None:
    display = manifest["display_information"]
    assert 1 <= len(display["name"]) <= 35
    assert 1 <= len(display["description"]) <= 140
    assert 175 <= len(display["long_description"]) <= 4000
    assert 1 <= len(manifest["features"]["bot_user"]["display_name"]) <= 80
    assert manifest["_metadata"]["major_version"] == 1


def test_the_manifest_holds_no_secret(manifest: dict[str, Any]) -> None:
    text = MANIFEST.read_text(encoding="utf-8")
    assert re.search(r"x(oxb|oxp|app)-[0-9A-Za-z-]{8,}", text) is None

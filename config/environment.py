"""`PAPERWIRE_*` environment variables read into the settings tree, one problem per line.

pydantic-settings' own reader turns a list that is not JSON into a long traceback and drops
unknown variables silently. This reader knows the settings tree: a list takes JSON or, for
plain lists of ids and names, a comma-separated form; a variable that names no setting is
reported by name with the closest one it may have meant.
"""

from __future__ import annotations

import difflib
import json
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel

PREFIX = "PAPERWIRE_"
# Variables that are not settings but that paperwire or its tests read.
NOT_SETTINGS = frozenset({"PAPERWIRE_CONFIG", "PAPERWIRE_TEST_DATABASE_URL"})


@dataclass(slots=True)
class EnvironmentReading:
    values: dict[str, Any] = field(default_factory=dict)
    # (section, key) or (key,) -> the variable it came from, to name it in errors.
    variables: dict[tuple[str, ...], str] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)


def variable_name(*path: str) -> str:
    return PREFIX + "__".join(part.upper() for part in path)


def _unwrap(annotation: Any) -> Any:
    """`X | None` -> X."""
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        options = [arg for arg in typing.get_args(annotation) if arg is not type(None)]
        if len(options) == 1:
            return options[0]
    return annotation


def _is_list(annotation: Any) -> bool:
    return typing.get_origin(_unwrap(annotation)) is list


def _is_section(annotation: Any) -> bool:
    annotation = _unwrap(annotation)
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def known_variables(model: type[BaseModel]) -> dict[str, tuple[tuple[str, ...], Any]]:
    """Every variable the settings tree answers to -> (path, annotation)."""
    known: dict[str, tuple[tuple[str, ...], Any]] = {}
    for name, info in model.model_fields.items():
        known[variable_name(name)] = ((name,), info.annotation)
        if _is_section(info.annotation):
            section = _unwrap(info.annotation)
            for sub, sub_info in section.model_fields.items():
                known[variable_name(name, sub)] = ((name, sub), sub_info.annotation)
    return known


def read_environment(model: type[BaseModel], environ: Mapping[str, str]) -> EnvironmentReading:
    reading = EnvironmentReading()
    known = known_variables(model)
    for raw_name, raw_value in environ.items():
        name = raw_name.upper()
        if not name.startswith(PREFIX) or name in NOT_SETTINGS:
            continue
        if name not in known:
            reading.unknown.append(_unknown_message(raw_name, known))
            continue
        path, annotation = known[name]
        try:
            value = _convert(raw_value, annotation, path)
        except ValueError as error:
            reading.problems.append(f"{'.'.join(path)} ({raw_name}={_shown(path, raw_value)}): {error}")
            continue
        reading.variables[path] = raw_name
        target = reading.values
        for part in path[:-1]:
            existing = target.get(part)
            if not isinstance(existing, dict):
                existing = target[part] = {}
            target = existing
        if isinstance(target.get(path[-1]), dict) and isinstance(value, dict):
            target[path[-1]] = {**value, **target[path[-1]]}  # the specific variable wins
        else:
            target[path[-1]] = value
    return reading


def _shown(path: tuple[str, ...], value: str) -> str:
    from paperwire.config.masking import mask_urls

    if path[-1] in ("token", "bot_token", "app_token", "signing_secret", "webhook_secret", "api_key"):
        return "'***'"
    return repr(mask_urls(value))


def _convert(value: str, annotation: Any, path: tuple[str, ...]) -> Any:
    if _is_section(annotation):
        return _json(value, dict, f"a JSON object, e.g. {variable_name(path[0])}='{{\"key\": \"value\"}}'")
    if _is_list(annotation):
        text = value.strip()
        if text.startswith("["):
            return _json(
                text, list, 'a JSON list, e.g. \'["a", "b"]\', or comma-separated names, e.g. a,b'
            )
        return [item.strip() for item in text.split(",") if item.strip()]
    return value


def _json(text: str, kind: type, form: str) -> Any:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as error:
        raise ValueError(f"is not valid JSON ({error.msg} at character {error.pos}); expected {form}") from None
    if not isinstance(value, kind):
        raise ValueError(f"is JSON but not a {'list' if kind is list else 'table'}; expected {form}")
    return value


def _unknown_message(name: str, known: Mapping[str, Any]) -> str:
    close = difflib.get_close_matches(name.upper(), list(known), n=1, cutoff=0.75)
    hint = f"; did you mean {close[0]}?" if close else ""
    return f"environment variable {name} is not a paperwire setting and is ignored{hint}"

"""Saved Daily Papers responses on disk: one file, or a folder of `YYYY-MM-DD.json`.

A folder is read day by day; a broken file is logged, recorded and skipped so an import of
hundreds of days does not stop at one.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from datetime import date
from pathlib import Path

from paperwire.bot.models import DayPapers
from paperwire.bot.sources.errors import SourceError
from paperwire.bot.sources.parse import parse_daily_payload

logger = logging.getLogger(__name__)


def date_from_name(path: Path) -> date | None:
    """The list day a file is named for (`2026-02-20.json`), or None."""
    if path.suffix.lower() != ".json":
        return None
    try:
        return date.fromisoformat(path.stem)
    except ValueError:
        return None


def _undated(path: Path) -> SourceError:
    return SourceError(
        f"{path.name} is not named YYYY-MM-DD.json; pass --date to say which list day it holds"
    )


def read_file(path: Path, list_day: date | None = None) -> DayPapers:
    """One saved response; the day is `list_day`, else the file's name, else an error asking for it."""
    day = list_day or date_from_name(path)
    if day is None:
        raise _undated(path)
    try:
        raw = json.loads(path.read_bytes())
    except FileNotFoundError:
        raise SourceError(f"{path} does not exist") from None
    except OSError as error:
        raise SourceError(f"cannot read {path}: {error.strerror or error}") from None
    except UnicodeDecodeError:
        raise SourceError(f"{path} is not UTF-8 text") from None
    except json.JSONDecodeError as error:
        raise SourceError(
            f"{path} is not valid JSON (line {error.lineno}, column {error.colno}: {error.msg})"
        ) from None
    return parse_daily_payload(raw, day, str(path))


class FileSource:
    """Days read from saved API responses; `problems` lists every file ignored or skipped."""

    def __init__(self, path: Path, *, list_day: date | None = None) -> None:
        self.path = path
        self.list_day = list_day
        self.problems: list[str] = []

    def days(self) -> list[date]:
        """The list days available, oldest first."""
        if not self.path.is_dir():
            day = self.list_day or date_from_name(self.path)
            if day is None:
                raise _undated(self.path)
            return [day]
        return sorted(self._folder_files())

    def read_day(self, day: date) -> DayPapers:
        """The papers of one day; SourceError if there is no such file or it cannot be read."""
        if not self.path.is_dir():
            if day not in self.days():
                raise SourceError(f"{self.path} holds {self.days()[0]}, not {day}")
            return read_file(self.path, day)
        path = self.path / f"{day.isoformat()}.json"
        if not path.is_file():
            raise SourceError(f"no file for {day} in {self.path}")
        return read_file(path, day)

    def iter_days(self) -> Iterator[DayPapers]:
        """Every day in order; in a folder a broken file is skipped with a warning and recorded."""
        if not self.path.is_dir():
            yield self.read_day(self.days()[0])
            return
        for day, path in sorted(self._folder_files().items()):
            try:
                yield read_file(path, day)
            except SourceError as error:
                logger.warning("skipped %s: %s", path.name, error)
                self.problems.append(f"{path.name}: {error}")

    def _folder_files(self) -> dict[date, Path]:
        files: dict[date, Path] = {}
        for path in self.path.iterdir():
            if path.suffix.lower() != ".json" or not path.is_file():
                continue
            day = date_from_name(path)
            if day is None:
                problem = f"{path.name}: the name is not a date (YYYY-MM-DD.json)"
                if problem not in self.problems:  # warn once, however often the folder is listed
                    logger.warning("ignored %s", problem)
                    self.problems.append(problem)
                continue
            files[day] = path
        return files

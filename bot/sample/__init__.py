"""The shipped sample days: saved Daily Papers responses, so the first command works offline."""

from __future__ import annotations

from datetime import date
from pathlib import Path

SAMPLE_DIR = Path(__file__).resolve().parent
SAMPLE_DAY = date(2026, 2, 20)

"""Make a synthetic archive for scale benchmarks from the real Daily Papers responses.

    python bench/synth.py OUT [--data DIR] [--copies N]

Writes N copies (default 10, ~94k papers) of every saved day into OUT as
`YYYY-MM-DD.json` files shaped like the real API: copy 0 keeps the real days, copy k moves
every day k x 1,000 days back and gives each paper a fresh arXiv id of its new month, so no
id or day repeats across copies. Nothing is written into the repository; `paperwire import
OUT` loads the result like any saved archive.
"""

from __future__ import annotations

import argparse
import ast
import json
import sys
from collections import defaultdict
from datetime import date, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA = REPO.parent / "shared" / "data" / "hf-daily"
SHIFT_DAYS = 1000


def read_items(path: Path) -> list[dict]:
    """A saved day's items as dicts: the wrapped form unwrapped, repr strings read as literals."""
    raw = json.loads(path.read_text())
    items = raw.get("data", []) if isinstance(raw, dict) else raw
    result = []
    for item in items:
        if isinstance(item, str):
            try:
                item = ast.literal_eval(item)
            except (ValueError, SyntaxError):
                continue
        if isinstance(item, dict) and isinstance(item.get("paper"), dict):
            result.append(item)
    return result


def synthesize(data: Path, out: Path, copies: int) -> tuple[int, int]:
    """Write the copies; returns (days, papers) written."""
    out.mkdir(parents=True, exist_ok=True)
    days = sorted(path for path in data.glob("*.json") if path.stem[:4].isdigit())
    serial: dict[str, int] = defaultdict(int)
    written_days = written_papers = 0
    for copy in range(copies):
        for path in days:
            day = date.fromisoformat(path.stem) - timedelta(days=SHIFT_DAYS * copy)
            items = read_items(path)
            if copy:
                month = day.strftime("%y%m")
                for item in items:
                    serial[month] += 1
                    # Real months hold ~450 papers: 9xxxx never meets a real id of that month.
                    item["paper"] = {**item["paper"], "id": f"{month}.{90000 + serial[month]:05d}"}
            (out / f"{day.isoformat()}.json").write_text(json.dumps(items))
            written_days += 1
            written_papers += len(items)
    return written_days, written_papers


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--copies", type=int, default=10)
    args = parser.parse_args()
    if not args.data.is_dir():
        sys.exit(f"no data folder at {args.data}; pass --data DIR")
    days, papers = synthesize(args.data, args.out, args.copies)
    print(f"wrote {days} list days, {papers} papers to {args.out}")


if __name__ == "__main__":
    main()

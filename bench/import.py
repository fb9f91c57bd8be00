"""Import the whole real archive into a fresh SQLite store; print time, peak RSS and skips.

    python bench/import.py [DATA_DIR]      (default: ../shared/data/hf-daily)

Target (issue 2): under 30 s and under 300 MB peak RSS for 9,431 papers.
"""

from __future__ import annotations

import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = ROOT.parent / "shared" / "data" / "hf-daily"


def main() -> int:
    data = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_DATA
    if not data.is_dir():
        print(f"no data folder at {data}; pass one", file=sys.stderr)
        return 2
    paperwire = Path(sys.executable).with_name("paperwire")
    with tempfile.TemporaryDirectory() as scratch:
        env = {**os.environ, "PAPERWIRE_DATA_DIR": scratch}
        env.pop("PAPERWIRE_DATABASE__URL", None)
        started = time.perf_counter()
        result = subprocess.run(
            [str(paperwire), "import", str(data), "--quiet"], env=env, capture_output=True, text=True, check=False
        )
        elapsed = time.perf_counter() - started
        peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        size_mb = (Path(scratch) / "paperwire.sqlite3").stat().st_size / 1e6
    if result.returncode != 0:
        print(result.stderr, file=sys.stderr)
        return 1
    warnings = [line for line in result.stderr.splitlines() if "WARNING" in line]
    string_items = sum(1 for line in warnings if "not an object" in line or "str" in line)
    print(result.stdout.strip())
    print(f"files:        {len(list(data.glob('*.json')))}")
    print(f"wall time:    {elapsed:.1f} s   (target < 30 s)")
    print(f"peak RSS:     {peak_mb:.0f} MB   (target < 300 MB)")
    print(f"database:     {size_mb:.1f} MB")
    print(f"warnings:     {len(warnings)} lines naming skipped items ({string_items} about non-object items)")
    match = re.search(r"(\d+) items skipped", result.stdout)
    print(f"skipped:      {match.group(1) if match else '?'} items")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Rebuild the shipped relevance model (bot/curation/relevance.npz) from the editor labels.

    python scripts/train_relevance.py [--labels DIR] [--data DIR] [--out FILE]

Reads eval/labels/days/*.json (ids and labels) and the paper text from the saved Daily
Papers responses, fits the pick, must-read and topic heads (bot/curation/training.py) over
the shipped text model's features, the taxonomy's keyword scores and the paper type, and
writes their weights as plain arrays. Deterministic: the same labels give the same file.
bench/relevance.py measures the same fitting on days held out from it.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from paperwire.bot.curation.relevance import MODEL_FILE  # noqa: E402
from paperwire.bot.curation.taxonomy import load_taxonomy  # noqa: E402
from paperwire.bot.curation.training import fit_relevance, load_labelled  # noqa: E402
from paperwire.bot.similar.lsa import shipped_model  # noqa: E402
from paperwire.config.settings import DEFAULT_TOPICS_FILE  # noqa: E402

DEFAULT_DATA = REPO.parent / "shared" / "data" / "hf-daily"
DEFAULT_LABELS = REPO / "eval" / "labels" / "days"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--labels", type=Path, default=DEFAULT_LABELS)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--out", type=Path, default=MODEL_FILE)
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    if not args.data.is_dir():
        print(f"no saved Daily Papers at {args.data}", file=sys.stderr)
        return 1
    examples = load_labelled(args.labels, args.data)
    if not examples:
        print(f"no labelled papers found under {args.labels}", file=sys.stderr)
        return 1
    model = fit_relevance(examples, load_taxonomy(DEFAULT_TOPICS_FILE), shipped_model())
    model.save(args.out)
    days = len({example.day for example in examples})
    picked = sum(example.label != "exclude" for example in examples)
    size = args.out.stat().st_size / 1e6
    print(f"{len(examples)} labelled papers on {days} days ({picked} picks); wrote {args.out} ({size:.2f} MB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

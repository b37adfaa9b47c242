"""`scalecore variance FILE`: seed mean, seed std, SNR and intervals per model from a long table of scores."""

from __future__ import annotations

import argparse
import json
from typing import Any

from .._scores import COLUMNS, ScoreTensor
from ..errors import InvalidInputError, ScalecoreError
from ..variance import seed_stats


def add_parsers(sub: Any) -> None:
    """Register the `variance` subcommand on the CLI's subparsers."""
    p = sub.add_parser(
        "variance",
        help="seed mean, std, SNR and intervals per model from a CSV or Parquet long table of scores",
        description="Reads a long table with one row per (item, model, seed[, checkpoint]) and a score, and prints "
        "each model's seed mean, seed standard deviation, signal-to-noise ratio, item-bootstrap interval and (for "
        "0/1 scores) binomial interval. With a checkpoint column, the last checkpoint is used.",
    )
    p.add_argument("file", help="a .csv or .parquet file")
    for role in COLUMNS:
        p.add_argument(f"--{role}", help=f"column holding the {role} (default {role})")
    p.add_argument("--level", type=float, default=0.95, help="confidence level of the intervals")
    p.add_argument("--resamples", type=int, default=1000, help="item-bootstrap resamples")
    p.add_argument(
        "--random-seed", type=int, default=None, help="seed of the item bootstrap (default: fresh, shown by --json)"
    )
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.set_defaults(run=run)


def _read(path: str, columns: dict[str, str]) -> ScoreTensor:
    try:
        if path.endswith(".parquet"):
            return ScoreTensor.from_parquet(path, **columns)
        return ScoreTensor.from_csv(path, **columns)
    except ScalecoreError:
        raise
    except (OSError, ValueError) as exc:  # unreadable file, bad encoding, malformed Parquet
        raise InvalidInputError(f"file: cannot read {path!r} ({exc})") from None


def run(args: argparse.Namespace) -> int:
    columns = {role: getattr(args, role) for role in COLUMNS if getattr(args, role)}
    scores = _read(args.file, columns)
    stats = seed_stats(scores, level=args.level, n_resamples=args.resamples, seed=args.random_seed)
    at = scores.checkpoints[-1] if scores.checkpoints is not None else None
    if args.json:
        out = stats.to_dict()
        out["checkpoint"] = at
        print(json.dumps(out, indent=2))
        return 0
    kind = "0/1" if stats.binary else "continuous"
    where = f", at checkpoint {at!r} (the last)" if at is not None else ""
    shape = f"{stats.n_items} items, {len(stats.models)} models, {stats.n_seeds} seeds"
    print(f"{args.file}: {shape}, {kind} scores{where}")
    print(stats.table())
    print(f"(seed std over seeds, n - 1; SNR = mean / seed std; bootstrap: {stats.n_resamples} item resamples)")
    return 0

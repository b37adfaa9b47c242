"""The `scalecore` command line: one small module per group of subcommands.

`scalecore fit|bootstrap|allocate|isoflop|frontier|kde|bound|report|variance|backtest|suggest|demo`; every command
reads CSV or Parquet files with a column mapping (``--N params --D tokens --loss val_loss``), prints an aligned table
(or JSON with ``--json``) and, where a picture helps, writes one with ``--plot out.png``. Errors are one line on
stderr and exit status 2.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from .. import __version__
from . import allocate, backtest, bound, demo, fit, isoflop, kde, report, suggest, variance
from ._common import run_guarded

__all__ = ["main", "parser"]


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="scalecore",
        description="Scaling-law fits, intervals, allocations, IsoFLOP analyses, densities and bounds.",
    )
    p.add_argument("--version", action="version", version=f"scalecore {__version__}")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in (fit, allocate, isoflop, kde, bound, report, variance, backtest, suggest, demo):
        module.add_parsers(sub)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status (0 on success, 2 on a usage or input error)."""
    args = parser().parse_args(argv)
    return run_guarded(args)

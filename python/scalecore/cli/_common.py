"""What every subcommand shares: reading tables (CSV or Parquet) with a column mapping, printing aligned tables
and JSON, and writing figures. Every failure is an InvalidInputError whose text is the one line the user sees."""

from __future__ import annotations

import argparse
import csv
import json
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import InvalidInputError, ScalecoreError
from ..runs import Runs

# The Runs columns a file's columns can be mapped to from the command line.
RUN_COLUMNS = ("N", "D", "C", "x", "loss", "group", "weight")


def add_columns(p: argparse.ArgumentParser) -> None:
    """--N params --D tokens --loss val_loss ...: which of the file's columns holds each input."""
    g = p.add_argument_group("columns (default: the file's columns named N, D, C, x, loss, group, weight)")
    for name in RUN_COLUMNS:
        g.add_argument(f"--{name}", metavar="COLUMN", help=f"the file's column holding {name}")


def add_output(p: argparse.ArgumentParser, *, plot: str | None = None) -> None:
    p.add_argument("--json", action="store_true", help="print the result as JSON (for machines)")
    if plot is not None:
        p.add_argument("--plot", metavar="PNG", help=f"write {plot} to this file (needs matplotlib)")


def read_table(path: str) -> Mapping[str, Any]:
    """The columns of a CSV (header row) or Parquet file as NumPy arrays (numeric where every value parses)."""
    p = Path(path)
    if not p.is_file():
        raise InvalidInputError(f"file: no such file {path!r}")
    if p.suffix.lower() in (".parquet", ".pq"):
        return _read_parquet(p)
    try:
        with p.open(newline="", encoding="utf-8-sig") as fh:
            reader = csv.reader(fh)
            header = next(reader, None)
            rows = list(reader)
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise InvalidInputError(f"file: cannot read {path!r} as CSV ({exc})") from None
    if not header:
        raise InvalidInputError(f"file: {path!r} is empty (a CSV file needs a header row)")
    rows = [r for r in rows if r]
    if not rows:
        raise InvalidInputError(f"file: {path!r} has a header but no data rows")
    for i, r in enumerate(rows):
        if len(r) != len(header):
            raise InvalidInputError(
                f"file: {path!r} is not a valid CSV: data row {i + 1} has {len(r)} fields, the header has {len(header)}"
            )
    return {name: _column([r[j] for r in rows]) for j, name in enumerate(header)}


def _column(values: list[str]) -> Any:
    try:
        return np.array([float(v) for v in values])
    except ValueError:
        return np.array(values)


def _read_parquet(p: Path) -> Mapping[str, Any]:
    try:
        import pyarrow.parquet as pq
    except ImportError:  # pragma: no cover - depends on the environment
        raise InvalidInputError("file: reading Parquet needs pyarrow (pip install pyarrow)") from None
    try:
        table = pq.read_table(str(p))
    except Exception as exc:  # pyarrow raises its own error types for a file that is not Parquet
        raise InvalidInputError(f"file: cannot read {str(p)!r} as Parquet ({type(exc).__name__}: {exc})") from None
    return {name: table.column(name).to_numpy() for name in table.column_names}


def column(table: Mapping[str, Any], name: str, path: str) -> Any:
    if name not in table:
        raise InvalidInputError(f"column {name!r} not found in {path!r}; its columns are {list(table)}")
    return table[name]


def read_runs(path: str, args: argparse.Namespace) -> Runs:
    """The runs of a file, its columns mapped by --N, --D, --loss, ... (unmapped ones taken by name)."""
    table = read_table(path)
    mapping = {k: getattr(args, k) for k in RUN_COLUMNS if getattr(args, k, None)}
    for k in RUN_COLUMNS:
        if k not in mapping and k in table:
            mapping[k] = k
    if "loss" not in mapping:
        raise InvalidInputError(
            f"--loss: {path!r} has no column named loss; name it with --loss (columns: {list(table)})"
        )
    return Runs(**{k: column(table, v, path) for k, v in mapping.items()})


def parse_json(arg: str, text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidInputError(f"{arg}: not valid JSON ({exc})") from None


def _plain(value: Any) -> Any:
    """JSON-ready: NumPy values as Python ones, NaN and infinities as null (JSON has neither)."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, np.ndarray):
        return _plain(value.tolist())
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def emit_json(value: Any) -> None:
    print(json.dumps(_plain(value), indent=2, allow_nan=False))


def fmt(value: Any, digits: int = 5) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else ""
    v = float(value)
    return "nan" if math.isnan(v) else f"{v:.{digits}g}"


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """An aligned text table: the first column left-aligned, the others right-aligned."""
    cells = [[fmt(c) for c in r] for r in rows]
    widths = [max([len(h)] + [len(r[j]) for r in cells]) for j, h in enumerate(headers)]

    def line(values: Sequence[str]) -> str:
        first = values[0].ljust(widths[0])
        rest = [v.rjust(w) for v, w in zip(values[1:], widths[1:], strict=True)]
        return "  ".join([first, *rest]).rstrip()

    return "\n".join([line(headers), line(["-" * w for w in widths]), *(line(r) for r in cells)])


def interval(ci: Any) -> str:
    lo, hi = (float(v) for v in ci)
    return f"[{lo:.5g}, {hi:.5g}]"


def save_figure(fig: Any, path: str) -> None:
    try:
        fig.savefig(path, dpi=120)
    except (OSError, ValueError) as exc:
        raise InvalidInputError(f"--plot: cannot write {path!r} ({exc})") from None
    print(f"figure written to {path}")


def run_guarded(args: argparse.Namespace) -> int:
    """Run a subcommand; scalecore's own errors become one line on stderr and exit status 2."""
    import sys

    try:
        return int(args.run(args))
    except ScalecoreError as exc:
        print(f"scalecore: error: {exc}", file=sys.stderr)
        return 2
    except ImportError as exc:  # an optional dependency (matplotlib, pyarrow) the command needs
        print(f"scalecore: error: {exc}", file=sys.stderr)
        return 2

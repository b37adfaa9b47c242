"""`scalecore allocate`: compute-optimal N and D per budget, from parameters or from a file of runs (with
bootstrap intervals when asked)."""

from __future__ import annotations

import argparse
import warnings
from typing import Any

import numpy as np

from ..allocation import Allocation, allocate
from ..errors import ExtrapolationWarning, InvalidInputError
from ..fit import fit
from ..fit_bootstrap import bootstrap
from ..laws import names as law_names
from ._common import add_columns, add_output, emit_json, interval, parse_json, read_runs, save_figure, table


def add_parsers(sub: Any) -> None:
    p = sub.add_parser(
        "allocate",
        help="compute-optimal N and D for budgets, from law parameters or a file of runs",
        description="Compute-optimal model size N, tokens D and loss per compute budget (C = 6 N D by default).",
    )
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--params", help='law parameters as JSON, e.g. \'{"E": 1.69, "A": 406.4, ...}\'')
    src.add_argument("--fit", metavar="FILE", help="a CSV or Parquet file of runs to fit first")
    p.add_argument("--compute", type=float, nargs="+", required=True, help="budgets in FLOPs")
    p.add_argument("--law", default="chinchilla", choices=law_names())
    p.add_argument("--inference-tokens", type=float, default=None, help="lifetime inference tokens")
    p.add_argument("--bootstrap", type=int, default=0, metavar="B", help="with --fit: bootstrap refits for intervals")
    p.add_argument("--seed", type=int, default=0, help="bootstrap seed (default 0)")
    add_output(p, plot="N and D against compute")
    add_columns(p)
    p.set_defaults(run=run)


def print_allocation(alloc: Allocation) -> None:
    n_ci = None if alloc.N_ci is None else np.reshape(alloc.N_ci, (-1, 2))
    d_ci = None if alloc.D_ci is None else np.reshape(alloc.D_ci, (-1, 2))
    headers = ["compute (FLOPs)", "N_opt", *(["N interval"] if n_ci is not None else []), "D_opt"]
    headers += [*(["D interval"] if d_ci is not None else []), "D/N", "loss", "extrapolated"]
    rows = []
    for i, c in enumerate(np.atleast_1d(alloc.compute)):
        n, d = np.atleast_1d(alloc.N)[i], np.atleast_1d(alloc.D)[i]
        row: list[Any] = [f"{c:.4g}", n]
        if n_ci is not None:
            row.append(interval(n_ci[i]))
        row.append(d)
        if d_ci is not None:
            row.append(interval(d_ci[i]))
        row += [d / n, np.atleast_1d(alloc.loss)[i], bool(np.atleast_1d(alloc.extrapolated)[i])]
        rows.append(row)
    level = f" ({alloc.level:.0%} bootstrap intervals)" if n_ci is not None and alloc.level else ""
    print(f"compute-optimal allocation, {alloc.law} law{level}:")
    print(table(headers, rows))
    if np.any(alloc.extrapolated):
        print("(extrapolated: the optimum lies outside the N or D range of the fitted runs)")


def run(args: argparse.Namespace) -> int:
    source: Any
    if args.params:
        source = parse_json("--params", args.params)
        if not isinstance(source, dict):
            raise InvalidInputError(f"--params: expected a JSON object of parameters, got {args.params!r}")
        if args.bootstrap:
            raise InvalidInputError("--bootstrap: needs runs (--fit FILE), not --params")
    elif args.bootstrap > 0:
        source = bootstrap(
            read_runs(args.fit, args), args.law, n_resamples=args.bootstrap, seed=args.seed, progress=False
        )
    else:
        source = fit(read_runs(args.fit, args), args.law)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ExtrapolationWarning)  # reported in the table's last column
        alloc = allocate(source, compute=args.compute, law=args.law, inference_tokens=args.inference_tokens)
    if args.json:
        emit_json({**alloc.to_dict(), "law": alloc.law, "extrapolated": alloc.extrapolated})
    else:
        print_allocation(alloc)
    if args.plot:
        from .. import plot

        save_figure(plot.frontier(alloc), args.plot)
    return 0

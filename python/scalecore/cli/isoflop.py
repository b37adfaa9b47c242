"""`scalecore isoflop FILE` (approach 2 of Hoffmann et al. 2022) and `scalecore frontier FILE` (approach 1)."""

from __future__ import annotations

import argparse
import warnings
from typing import Any

import numpy as np

from ..errors import DroppedBudgetWarning
from ..isoflop import efficient_frontier, isoflop
from ._common import add_columns, add_output, emit_json, interval, read_runs, save_figure, table


def add_parsers(sub: Any) -> None:
    p = sub.add_parser(
        "isoflop",
        help="IsoFLOP analysis: each budget's optimal model size and N_opt ~ C^a",
        description="Fit a parabola (or cubic) of loss against ln N per compute budget, take its minimum, and fit "
        "N_opt = k C^a across budgets. The file needs N and C (or N and D, C = 6 N D) and loss.",
    )
    p.add_argument("file", help="a .csv (header row) or .parquet file, one row per run")
    p.add_argument("--degree", type=int, default=2, choices=[2, 3], help="polynomial degree per budget")
    p.add_argument("--resamples", type=int, default=0, metavar="B", help="bootstrap replicates for intervals")
    p.add_argument("--level", type=float, default=0.95, help="confidence level (default 0.95)")
    p.add_argument("--seed", type=int, default=0, help="bootstrap seed (default 0)")
    p.add_argument("--strict", action="store_true", help="refuse budgets without a usable minimum (default: drop)")
    add_output(p, plot="the profiles with their minima and N_opt against compute")
    add_columns(p)
    p.set_defaults(run=run_isoflop)

    f = sub.add_parser(
        "frontier",
        help="efficient frontier of training curves: lowest loss per compute and N_opt ~ C^a",
        description="Each distinct N (or --group) is one model's training curve (rows of N, D or C, loss); the "
        "frontier is the lowest interpolated loss at each compute, with N_opt ~ C^a and L(C) = E + A C^-alpha.",
    )
    f.add_argument("file", help="a .csv (header row) or .parquet file, one row per point of a training curve")
    f.add_argument("--points", type=int, default=256, help="log-spaced computes along the frontier")
    add_output(f)
    add_columns(f)
    f.set_defaults(run=run_frontier)


def run_isoflop(args: argparse.Namespace) -> int:
    runs = read_runs(args.file, args)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DroppedBudgetWarning)  # listed under the table, and in the JSON
        res = isoflop(
            runs, args.degree, n_resamples=args.resamples, level=args.level, seed=args.seed, strict=args.strict
        )
    if args.json:
        emit_json(
            {
                "exponent": res.exponent,
                "coefficient": res.coefficient,
                "exponent_ci": res.exponent_ci,
                "C": res.C,
                "N_opt": res.N_opt,
                "D_opt": res.D_opt,
                "loss_opt": res.loss_opt,
                "N_opt_ci": res.N_opt_ci,
                "dropped": [{"C": c, "reason": why} for c, why in res.dropped],
            }
        )
    else:
        ci = (
            ""
            if res.exponent_ci is None
            else f" {interval(res.exponent_ci)} ({res.level:.0%}, {res.n_resamples} resamples)"
        )
        print(f"N_opt = {res.coefficient:.4g} C^{res.exponent:.4f}{ci}; D_opt ~ C^{res.data_exponent:.4f}")
        headers = [
            "compute (FLOPs)",
            "N_opt",
            *(["N_opt interval"] if res.N_opt_ci is not None else []),
            "D_opt",
            "loss",
        ]
        rows: list[list[Any]] = []
        for i, c in enumerate(res.C):
            cis = [] if res.N_opt_ci is None else [interval(res.N_opt_ci[i])]
            rows.append([f"{c:.4g}", res.N_opt[i], *cis, res.D_opt[i], res.loss_opt[i]])
        print(table(headers, rows))
        for c, why in res.dropped:
            print(f"dropped C={c:.4g}: {why}")
    if args.plot:
        from .. import plot

        save_figure(plot.isoflop(res, runs), args.plot)
    return 0


def run_frontier(args: argparse.Namespace) -> int:
    res = efficient_frontier(read_runs(args.file, args), n_grid=args.points)
    fitted = {"exponent": res.exponent, "coefficient": res.coefficient, "E": res.E, "A": res.A, "alpha": res.alpha}
    if args.json:
        emit_json({**fitted, "C": res.C, "loss": res.loss, "N": res.N})
        return 0
    print(f"N_opt = {res.coefficient:.4g} C^{res.exponent:.4f}; L(C) = {res.E:.4g} + {res.A:.4g} C^-{res.alpha:.4f}")
    idx = np.unique(np.linspace(0, len(res.C) - 1, 9).round().astype(int))
    print(
        table(
            ["compute (FLOPs)", "N on the frontier", "loss"], [[f"{res.C[i]:.4g}", res.N[i], res.loss[i]] for i in idx]
        )
    )
    print(f"({len(idx)} of {len(res.C)} frontier points; --json prints all)")
    return 0

"""`scalecore suggest FILE`: which runs to train next so that the interval of a target shrinks most
(`scalecore.suggest_runs`), from a file of candidate runs or a log-spaced grid of model sizes and budgets."""

from __future__ import annotations

import argparse
from typing import Any

import numpy as np

from ..errors import InvalidInputError
from ..fit import OBJECTIVES, fit
from ..fit_bootstrap import bootstrap
from ..laws import names as law_names
from ..suggest import suggest_runs
from ._common import add_columns, add_output, column, emit_json, interval, read_runs, read_table, table


def add_parsers(sub: Any) -> None:
    p = sub.add_parser(
        "suggest",
        help="which runs to train next to shrink the interval of N_opt (or another target) most",
        description="Fit the law to the runs, then choose up to --k candidate runs within --budget FLOPs that shrink "
        "most the expected interval of --target (greedy design on the Fisher information at the fit). Candidates "
        "come from --candidates FILE (columns N and D, or the names given by --N and --D) or --grid.",
    )
    p.add_argument("file", help="a .csv (header row) or .parquet file, one row per run")
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--candidates", metavar="FILE", help="a CSV or Parquet file of candidate runs (N and D)")
    src.add_argument(
        "--grid",
        type=float,
        nargs=4,
        metavar=("N_MIN", "N_MAX", "C_MIN", "C_MAX"),
        help="candidates on a log grid of model sizes and compute budgets (D = C / (6 N))",
    )
    p.add_argument("--grid-size", type=int, nargs=2, default=[14, 6], metavar=("N_POINTS", "C_POINTS"))
    p.add_argument("--k", type=int, default=5, help="runs to choose (default 5)")
    p.add_argument("--budget", type=float, default=None, help="total compute of the chosen runs, FLOPs")
    p.add_argument("--target", default="N_opt", help="N_opt, D_opt, loss_opt, tokens_per_param, a, b or a parameter")
    p.add_argument("--compute", type=float, default=1e24, help="the budget the target is taken at (default 1e24)")
    p.add_argument("--law", default="chinchilla", choices=law_names(), help="a law of N and D")
    p.add_argument("--objective", default="huber_log", choices=OBJECTIVES)
    p.add_argument("--level", type=float, default=0.95, help="confidence level of the intervals (default 0.95)")
    p.add_argument("--resamples", type=int, default=0, metavar="B", help="bootstrap refits: the interval as a check")
    p.add_argument("--seed", type=int, default=0, help="bootstrap seed (default 0)")
    add_output(p)
    add_columns(p)
    p.set_defaults(run=run)


def _candidates(args: argparse.Namespace) -> dict[str, Any]:
    if args.grid is not None:
        n_lo, n_hi, c_lo, c_hi = args.grid
        if min(args.grid_size) < 1:
            raise InvalidInputError(f"--grid-size: needs positive counts, got {args.grid_size}")
        if min(args.grid) <= 0:
            raise InvalidInputError(f"--grid: needs positive bounds, got {args.grid}")
        n, c = np.meshgrid(np.geomspace(n_lo, n_hi, args.grid_size[0]), np.geomspace(c_lo, c_hi, args.grid_size[1]))
        return {"N": n.ravel(), "D": c.ravel() / (6.0 * n.ravel())}
    cand = read_table(args.candidates)
    return {k: column(cand, getattr(args, k) or k, args.candidates) for k in ("N", "D")}


def run(args: argparse.Namespace) -> int:
    runs = read_runs(args.file, args)
    candidates = _candidates(args)
    if args.resamples > 0:
        source: Any = bootstrap(
            runs, args.law, n_resamples=args.resamples, seed=args.seed, objective=args.objective, progress=False
        )
    else:
        source = fit(runs, args.law, objective=args.objective)
    s = suggest_runs(
        source, candidates, budget=args.budget, k=args.k, target=args.target, compute=args.compute, level=args.level
    )
    if args.json:
        emit_json(
            {
                "target": s.target,
                "compute": args.compute,
                "value": s.value,
                "level": s.level,
                "runs": {"N": s.N, "D": s.D, "compute": s.compute, "candidate": s.index},
                "interval_before": list(s.interval_before),
                "interval_after": list(s.interval_after),
                "interval_bootstrap": None if s.interval_bootstrap is None else list(s.interval_bootstrap),
                "shrinkage": s.shrinkage,
            }
        )
        return 0
    at = f" at {args.compute:.3g} FLOPs" if s.target in ("N_opt", "D_opt", "loss_opt", "tokens_per_param") else ""
    print(f"{s.target}{at} = {s.value:.4g}; {len(s.N)} runs chosen of {len(candidates['N'])} candidates")
    rows = [[k + 1, n, d, c] for k, (n, d, c) in enumerate(zip(s.N, s.D, s.compute, strict=True))]
    print(table(["order", "N", "D", "compute (FLOPs)"], rows))
    print(f"total compute {float(np.sum(s.compute)):.4g} FLOPs")
    print(f"expected {s.level:.0%} interval of {s.target}{at}:")
    print(f"  now               {interval(s.interval_before)}")
    print(f"  after these runs  {interval(s.interval_after)} (width x {s.shrinkage:.3f})")
    if s.interval_bootstrap is not None:
        print(f"  bootstrap, now    {interval(s.interval_bootstrap)} (a check of the approximation)")
    return 0

"""`scalecore report FILE`: fit a law and print what Li et al. 2025 ("(Mis)Fitting") ask a paper to state about
the fit, as Markdown (default) or JSON."""

from __future__ import annotations

import argparse
from typing import Any

from ..fit import OBJECTIVES, fit
from ..fit_bootstrap import bootstrap
from ..laws import names as law_names
from ..report import report
from ._common import add_columns, read_runs


def add_parsers(sub: Any) -> None:
    p = sub.add_parser(
        "report",
        help="a publishable report of a fit (data, accounting, law, optimiser, convergence, intervals)",
        description="Fit a law and report the (Mis)Fitting checklist of Li et al. 2025 in Markdown or JSON.",
    )
    p.add_argument("file", help="a .csv (header row) or .parquet file, one row per run")
    p.add_argument("--law", default="chinchilla", choices=law_names())
    p.add_argument("--objective", default="huber_log", choices=OBJECTIVES)
    p.add_argument("--bootstrap", type=int, default=0, metavar="B", help="bootstrap refits for intervals")
    p.add_argument("--seed", type=int, default=0, help="bootstrap seed (default 0)")
    p.add_argument("--format", default="markdown", choices=["markdown", "json"])
    p.add_argument("--json", action="store_true", help="the same as --format json")
    p.add_argument("--source", help="where the runs come from (stated in the report)")
    p.add_argument("--filters", help="what was left out before fitting")
    p.add_argument("--parameters", help="how parameters were counted, e.g. 'non-embedding'")
    p.add_argument("--flops", help="how FLOPs were counted, e.g. '6ND'")
    add_columns(p)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    runs = read_runs(args.file, args)
    boot = None
    if args.bootstrap > 0:
        boot = bootstrap(
            runs, args.law, n_resamples=args.bootstrap, seed=args.seed, objective=args.objective, progress=False
        )
        res = boot.fit
    else:
        res = fit(runs, args.law, objective=args.objective)
    rep = report(
        res,
        runs=runs,
        boot=boot,
        data=args.source or args.file,
        filters=args.filters,
        parameters=args.parameters,
        flops=args.flops,
    )
    print(rep.to_json() if args.json or args.format == "json" else rep.to_markdown())
    return 0

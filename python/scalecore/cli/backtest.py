"""`scalecore backtest FILE`: fit a law on the small runs and score its predictions of the large ones; with several
`--law`s, rank them by extrapolation error (`scalecore.backtest`, `scalecore.backtest_table`)."""

from __future__ import annotations

import argparse
from typing import Any

import numpy as np

from ..backtest import SCORES, BacktestResult, backtest, backtest_table
from ..fit import OBJECTIVES
from ..laws import names as law_names
from ._common import add_columns, add_output, emit_json, interval, read_runs, save_figure, table


def add_parsers(sub: Any) -> None:
    p = sub.add_parser(
        "backtest",
        help="fit on the small runs, score the predictions of the large ones; rank several laws",
        description="Fit the law on the runs whose --split column is at most --cut (default: hold out the top "
        "--holdout fraction) and score its predictions of the others: relative and log errors per held-out run, "
        "the error at the largest run and in N_opt at the largest budget. Several --law values are ranked.",
    )
    p.add_argument("file", help="a .csv (header row) or .parquet file, one row per run")
    p.add_argument("--law", nargs="+", default=["chinchilla"], choices=law_names(), help="one law, or several to rank")
    p.add_argument("--objective", default="huber_log", choices=OBJECTIVES)
    p.add_argument("--init", default="auto", choices=["auto", "hoffmann"], help="start grid (default auto)")
    p.add_argument("--split", default="C", help="the column to cut along: C (compute), N, D, x, ... (default C)")
    p.add_argument("--cut", type=float, nargs="+", default=None, help="fit on runs with split <= cut (one fold each)")
    p.add_argument("--holdout", type=float, default=0.25, help="without --cut: the share held out (default 0.25)")
    p.add_argument("--resamples", type=int, default=0, metavar="B", help="bootstrap refits for score intervals")
    p.add_argument("--level", type=float, default=0.95, help="confidence level of the intervals (default 0.95)")
    p.add_argument("--seed", type=int, default=0, help="bootstrap seed (default 0)")
    p.add_argument("--rank-by", default="rms_log_error", choices=SCORES, help="score that ranks several laws")
    add_output(p, plot="the fit region, the held-out runs and the predictions (first --law)")
    add_columns(p)
    p.set_defaults(run=run)


def _options(args: argparse.Namespace) -> dict[str, Any]:
    return {
        "split": args.split,
        "cut": args.cut,
        "holdout": args.holdout,
        "n_resamples": args.resamples,
        "seed": args.seed,
        "level": args.level,
        "objective": args.objective,
        "init": args.init,
    }


def _as_dict(res: BacktestResult) -> dict[str, Any]:
    return {
        "law": res.law,
        "objective": res.objective,
        "split": res.split,
        "scores": {s: res.score(s) for s in SCORES},
        "folds": [
            {
                "cut": f.cut,
                "n_train": int(f.train.sum()),
                "heldout": f.heldout,
                "observed": f.observed,
                "predicted": f.predicted,
                "relative_error": f.relative_error,
                "log_error": f.log_error,
                **{s: getattr(f, s) for s in SCORES},
                "intervals": {k: list(v) for k, v in f.intervals.items()},
            }
            for f in res.folds
        ],
    }


def _print(res: BacktestResult, key: str, split_values: Any) -> None:
    last = res.folds[-1]
    print(
        f"{res.law} law ({res.objective}), split {res.split}: {len(res.folds)} fold(s); the last fits "
        f"{int(last.train.sum())} of {res.n_runs} runs and predicts {len(last.heldout)}"
    )
    headers = ["cut", "n fit", "n held out", *SCORES]
    rows = []
    for f in res.folds:
        cells = [
            getattr(f, s) if s not in f.intervals else f"{getattr(f, s):.4g} {interval(f.intervals[s])}" for s in SCORES
        ]
        rows.append([f"{f.cut:.4g}", int(f.train.sum()), len(f.heldout), *cells])
    print(table(headers, rows))
    if last.intervals:
        print(f"({res.level:.0%} bootstrap intervals in brackets)")
    print()
    rel, log = last.relative_error, last.log_error
    rows = [
        [int(i), split_values[i], o, p, r, e]
        for i, o, p, r, e in zip(last.heldout, last.observed, last.predicted, rel, log, strict=True)
    ]
    print(table(["held-out run", key, "observed", "predicted", "relative error", "log error"], rows))


def run(args: argparse.Namespace) -> int:
    runs = read_runs(args.file, args)
    options = _options(args)
    key = "C" if args.split == "compute" else args.split
    split_values = getattr(runs, key) if runs.has(key) else np.full(len(runs), np.nan)
    if len(args.law) == 1:
        res = backtest(runs, args.law[0], **options)
        if args.json:
            emit_json(_as_dict(res))
        else:
            _print(res, key, split_values)
        first = res
    else:
        ranked = backtest_table(runs, list(args.law), rank_by=args.rank_by, **options)
        if args.json:
            emit_json({"rank_by": args.rank_by, "results": [_as_dict(r) for r in ranked.results]})
        else:
            print(f"{len(args.law)} laws backtested on the split {ranked.best.split}, ranked by {args.rank_by}")
            rows = [[k + 1, r.label, *(r.score(s) for s in SCORES)] for k, r in enumerate(ranked.results)]
            print(table(["rank", "law", *SCORES], rows))
        first = next(r for r in ranked.results if r.law == args.law[0])
    if args.plot:
        from .. import plot

        save_figure(plot.backtest(first, runs, x=key if runs.has(key) else None), args.plot)
    return 0

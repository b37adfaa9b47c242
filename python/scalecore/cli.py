"""The `scalecore` command line: `scalecore demo`, `scalecore fit FILE`."""

from __future__ import annotations

import argparse
import contextlib
import csv
import json
import sys
import time
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from . import __version__, _variance_cli
from .allocation import Allocation, allocate
from .bootstrap import BootstrapAllocation, bootstrap
from .datasets import chinchilla_sweep
from .errors import ExtrapolationWarning, InvalidInputError, ScalecoreError
from .fit import FitResult, fit
from .kde import KDE
from .runs import Runs

DEMO_BUDGETS = np.array([1e21, 1e22, 1e23, 1e24, 1e25])


def _read(path: str, args: argparse.Namespace) -> Runs:
    mapping = {k: v for k, v in (("N", args.N), ("D", args.D), ("C", args.C), ("loss", args.loss)) if v}
    if path.endswith(".parquet"):
        return Runs.from_parquet(path, **mapping)
    return Runs.from_csv(path, **mapping)


def _print_fit(res: FitResult, seconds: float) -> None:
    print(f"law {res.law}, objective {res.objective_name} (delta {res.delta:g}), {res.n_runs} runs")
    screened = f"screened {res.n_screened} grid starts, " if res.n_screened else ""
    print(
        f"fitted in {seconds * 1e3:.0f} ms: {screened}{res.n_starts} minimised, {res.n_at_best} reached the best "
        f"optimum; {'converged' if res.converged else 'NOT converged: ' + res.stop}"
    )
    for name, value in res.params.items():
        print(f"  {name:>6} = {value:.6g}")
    print(f"  objective = {res.objective:.6g}; Hessian condition number {res.identifiability['condition_number']:.3g}")


def _print_allocation(alloc: Allocation, boot: BootstrapAllocation | None) -> None:
    print(f"\ncompute-optimal allocation{' (95 % intervals)' if boot else ''}:")
    print(f"{'compute (FLOPs)':>16} {'N_opt':>31} {'D_opt':>32} {'D/N':>6} {'loss':>7}")
    for i, (c, n, d, lo, x) in enumerate(zip(alloc.compute, alloc.N, alloc.D, alloc.loss, alloc.extrapolated)):
        n_ci = f"[{boot.N_ci[i, 0]:.3g}, {boot.N_ci[i, 1]:.3g}]" if boot else ""
        d_ci = f"[{boot.D_ci[i, 0]:.3g}, {boot.D_ci[i, 1]:.3g}]" if boot else ""
        flag = "  extrapolated" if x else ""
        print(f"{c:16.3g} {n:9.4g} {n_ci:<22} {d:9.4g} {d_ci:<22} {d / n:6.1f} {lo:7.4f}{flag}")


def _demo(args: argparse.Namespace) -> int:
    if args.data:
        runs = _read(args.data, args)
        print(f"data: {args.data}: {runs!r}")
    else:
        runs = chinchilla_sweep(seed=args.seed)
        print(f"data: scalecore.datasets.chinchilla_sweep(seed={args.seed}), simulated from Hoffmann et al.'s law")
        print(f"      {runs!r}")
    t0 = time.perf_counter()
    res = fit(runs, "chinchilla", init=args.init)
    _print_fit(res, time.perf_counter() - t0)
    if args.bootstrap > 0:
        t0 = time.perf_counter()
        boot = bootstrap(runs, "chinchilla", n_resamples=args.bootstrap, seed=args.seed)
        print(
            f"\n{args.bootstrap} pairs-bootstrap refits in {time.perf_counter() - t0:.2f} s "
            f"({boot.n_failed} failed); 95 % percentile intervals:"
        )
        for name in ("E", "A", "B", "alpha", "beta", "a"):
            lo, hi = boot.ci(name)
            value = boot.distribution(name)[0]
            print(f"  {name:>6} = {value:<10.6g} [{lo:.6g}, {hi:.6g}]")
        print("  (a = beta / (alpha + beta), the exponent of N_opt ~ C^a)")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ExtrapolationWarning)
            alloc = res.allocate(DEMO_BUDGETS)
        _print_allocation(alloc, boot.allocate(DEMO_BUDGETS))
    else:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ExtrapolationWarning)
            alloc = res.allocate(DEMO_BUDGETS)
        _print_allocation(alloc, None)
    if alloc.extrapolated.any():
        print("(extrapolated: the optimum lies outside the N or D range of the fitted runs)")
    return 0


def _fit(args: argparse.Namespace) -> int:
    runs = _read(args.file, args)
    t0 = time.perf_counter()
    res = fit(runs, args.law, objective=args.objective, init=args.init)
    if args.json:
        print(res.to_json(indent=2))
    else:
        _print_fit(res, time.perf_counter() - t0)
    return 0


def _allocate(args: argparse.Namespace) -> int:
    if args.params:
        try:
            params = json.loads(args.params)
        except json.JSONDecodeError as exc:
            raise InvalidInputError(f"--params: not valid JSON ({exc})") from None
        source: Any = params
    else:
        source = fit(_read(args.fit, args), args.law)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ExtrapolationWarning)
        alloc = allocate(source, compute=args.compute, law=args.law, inference_tokens=args.inference_tokens)
    if args.json:
        print(json.dumps(alloc.to_dict(), indent=2))
    else:
        _print_allocation(alloc, None)
        if alloc.extrapolated.any():
            print("(extrapolated: the optimum lies outside the N or D range of the fitted runs)")
    return 0


def _kde(args: argparse.Namespace) -> int:
    p = Path(args.file)
    if not p.is_file():
        raise InvalidInputError(f"file: no such file {args.file!r}")
    with p.open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    if not rows or args.column not in rows[0]:
        raise InvalidInputError(f"--column: {args.column!r} is not a column of {args.file!r}")
    values = np.array([float(r[args.column]) for r in rows])
    bandwidth: Any = args.bandwidth
    with contextlib.suppress(ValueError):  # a number, else a rule name
        bandwidth = float(bandwidth)
    kde = KDE(values, bandwidth=bandwidth, kernel=args.kernel)
    x, density = kde.grid(args.grid)
    if args.json:
        print(
            json.dumps({"bandwidth": float(np.ravel(kde.bandwidth)[0]), "x": x.tolist(), "density": density.tolist()})
        )
        return 0
    region = " and ".join(f"[{lo:.6g}, {hi:.6g}]" for lo, hi in kde.hdi(0.95))
    print(f"{len(values)} values of {args.column}; bandwidth {np.ravel(kde.bandwidth)[0]:.6g} ({args.bandwidth})")
    print(f"mode {float(np.ravel(kde.mode())[0]):.6g}; 95 % highest-density interval {region}")
    print(f"quantiles 5/50/95 %: {', '.join(f'{q:.6g}' for q in np.ravel(kde.quantile([0.05, 0.5, 0.95])))}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="scalecore", description="Scaling-law fits, intervals and allocations.")
    parser.add_argument("--version", action="version", version=f"scalecore {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    def columns(p: argparse.ArgumentParser) -> None:
        p.add_argument("--N", help="column holding parameters (default N)")
        p.add_argument("--D", help="column holding training tokens (default D)")
        p.add_argument("--C", help="column holding training FLOPs (default C)")
        p.add_argument("--loss", help="column holding the loss (default loss)")

    demo = sub.add_parser("demo", help="fit the chinchilla law to the embedded sweep (or --data FILE)")
    demo.add_argument("--data", help="a CSV or Parquet file of runs instead of the embedded sweep")
    demo.add_argument("--seed", type=int, default=0, help="seed of the embedded sweep")
    demo.add_argument("--init", default="auto", choices=["auto", "hoffmann"])
    demo.add_argument("--bootstrap", type=int, default=1000, help="pairs-bootstrap refits for intervals (0: none)")
    columns(demo)
    demo.set_defaults(run=_demo)

    fitp = sub.add_parser("fit", help="fit a law to a CSV or Parquet file of runs")
    fitp.add_argument("file")
    fitp.add_argument("--law", default="chinchilla")
    fitp.add_argument("--objective", default="huber_log")
    fitp.add_argument("--init", default="auto", choices=["auto", "hoffmann"])
    fitp.add_argument("--json", action="store_true", help="print the result as JSON")
    columns(fitp)
    fitp.set_defaults(run=_fit)

    alloc = sub.add_parser("allocate", help="compute-optimal N and D for budgets, from parameters or runs")
    src = alloc.add_mutually_exclusive_group(required=True)
    src.add_argument("--params", help='law parameters as JSON, e.g. \'{"E": 1.69, "A": 406.4, ...}\'')
    src.add_argument("--fit", help="a CSV or Parquet file of runs to fit first")
    alloc.add_argument("--compute", type=float, nargs="+", required=True, help="budgets in FLOPs")
    alloc.add_argument("--law", default="chinchilla")
    alloc.add_argument("--inference-tokens", type=float, default=None, help="lifetime inference tokens")
    alloc.add_argument("--json", action="store_true")
    columns(alloc)
    alloc.set_defaults(run=_allocate)

    kdep = sub.add_parser("kde", help="kernel density of one column of a CSV file")
    kdep.add_argument("file")
    kdep.add_argument("--column", required=True)
    kdep.add_argument("--bandwidth", default="isj_botev", help="a rule name (see docs/kde.md) or a number")
    kdep.add_argument("--kernel", default="gaussian")
    kdep.add_argument("--grid", type=int, default=512, help="grid points for --json output")
    kdep.add_argument("--json", action="store_true")
    kdep.set_defaults(run=_kde)

    _variance_cli.add_parser(sub)

    args = parser.parse_args(argv)
    try:
        return int(args.run(args))
    except ScalecoreError as exc:
        print(f"scalecore: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

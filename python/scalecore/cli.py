"""The `scalecore` command line: `scalecore demo`, `scalecore fit FILE`."""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from collections.abc import Sequence

import numpy as np

from . import __version__
from .allocation import Allocation
from .datasets import chinchilla_sweep
from .errors import ExtrapolationWarning, ScalecoreError
from .fit import FitResult, fit
from .runs import Runs

DEMO_BUDGETS = np.array([1e21, 1e22, 1e23, 1e24, 1e25])


def _read(path: str, args: argparse.Namespace) -> Runs:
    mapping = {k: v for k, v in (("N", args.N), ("D", args.D), ("C", args.C), ("loss", args.loss)) if v}
    if path.endswith(".parquet"):
        return Runs.from_parquet(path, **mapping)
    return Runs.from_csv(path, **mapping)


def _print_fit(res: FitResult, seconds: float) -> None:
    print(f"law {res.law}, objective {res.objective_name} (delta {res.delta:g}), {res.n_runs} runs")
    print(
        f"fitted in {seconds * 1e3:.0f} ms: {res.n_at_best} of {res.n_starts} starts at the best optimum, "
        f"{'converged' if res.converged else 'NOT converged: ' + res.stop}"
    )
    for name, value in res.params.items():
        print(f"  {name:>6} = {value:.6g}")
    print(f"  objective = {res.objective:.6g}; Hessian condition number {res.identifiability['condition_number']:.3g}")


def _print_allocation(alloc: Allocation) -> None:
    print(f"{'compute (FLOPs)':>16} {'N_opt':>11} {'D_opt':>11} {'D/N':>7} {'loss':>7}")
    for c, n, d, lo, x in zip(alloc.compute, alloc.N, alloc.D, alloc.loss, alloc.extrapolated):
        flag = "  extrapolated" if x else ""
        print(f"{c:16.3g} {n:11.4g} {d:11.4g} {d / n:7.1f} {lo:7.4f}{flag}")


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
    a = res.params["beta"] / (res.params["alpha"] + res.params["beta"])
    print(f"compute-optimal scaling: N_opt ~ C^{a:.4f}, D_opt ~ C^{1 - a:.4f}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ExtrapolationWarning)
        alloc = res.allocate(DEMO_BUDGETS)
    _print_allocation(alloc)
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

    args = parser.parse_args(argv)
    try:
        return int(args.run(args))
    except ScalecoreError as exc:
        print(f"scalecore: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

"""`scalecore demo`: a short tour on the embedded sweep (or --data FILE): fit, bootstrap intervals, the
compute-optimal allocation with intervals and, with matplotlib installed, a figure in the current directory."""

from __future__ import annotations

import argparse
import importlib.util
import time
import warnings
from typing import Any

import numpy as np

from ..allocation import Allocation
from ..datasets import chinchilla_sweep
from ..errors import ExtrapolationWarning, InvalidInputError
from ..fit_bootstrap import bootstrap
from ._common import add_columns, read_runs, save_figure
from .allocate import print_allocation
from .fit import print_fit

BUDGETS = np.array([1e21, 1e22, 1e23, 1e24, 1e25])


def add_parsers(sub: Any) -> None:
    p = sub.add_parser(
        "demo",
        help="a short tour: fit, bootstrap intervals and the compute-optimal allocation of the embedded sweep",
    )
    p.add_argument("--data", help="a CSV or Parquet file of runs instead of the embedded sweep")
    p.add_argument("--seed", type=int, default=0, help="seed of the embedded sweep and of the bootstrap")
    p.add_argument("--init", default="auto", choices=["auto", "hoffmann"])
    p.add_argument("--bootstrap", type=int, default=200, help="pairs-bootstrap refits for intervals (default 200)")
    p.add_argument(
        "--plot",
        default="scalecore-demo.png",
        metavar="PNG",
        help="figure of the fit written here when matplotlib is installed (default scalecore-demo.png; '' for none)",
    )
    add_columns(p)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    if args.data:
        runs = read_runs(args.data, args)
        print(f"data: {args.data}: {runs!r}")
    else:
        runs = chinchilla_sweep(seed=args.seed)
        print(f"data: scalecore.datasets.chinchilla_sweep(seed={args.seed}), simulated from Hoffmann et al.'s law")
        print(f"      {runs!r}")
    if args.bootstrap < 0:
        raise InvalidInputError(f"--bootstrap: must be a number of refits, 0 or more, got {args.bootstrap}")
    n_boot = int(args.bootstrap)
    t0 = time.perf_counter()
    boot = bootstrap(runs, "chinchilla", n_resamples=max(n_boot, 1), seed=args.seed, init=args.init, progress=False)
    print()
    print_fit(boot.fit, time.perf_counter() - t0, boot if n_boot else None)
    print()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ExtrapolationWarning)  # flagged in the table
        alloc = boot.fit.allocate(BUDGETS)
    if n_boot:
        b = boot.allocate(BUDGETS)
        alloc = Allocation(
            compute=alloc.compute,
            N=alloc.N,
            D=alloc.D,
            loss=alloc.loss,
            extrapolated=alloc.extrapolated,
            law=alloc.law,
            N_ci=b.N_ci,
            D_ci=b.D_ci,
            loss_ci=b.loss_ci,
            level=b.level,
        )
    print_allocation(alloc)
    if args.plot and importlib.util.find_spec("matplotlib") is not None:
        from .. import plot

        print()
        save_figure(plot.fit(boot.fit, runs, boot if n_boot else None), args.plot)
    return 0

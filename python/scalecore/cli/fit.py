"""`scalecore fit FILE` (with `--bootstrap B` for intervals) and `scalecore bootstrap FILE`."""

from __future__ import annotations

import argparse
import time
from typing import Any

from ..fit import OBJECTIVES, FitResult, fit
from ..fit_bootstrap import SCHEMES, BootstrapResult, bootstrap
from ..laws import names as law_names
from ._common import add_columns, add_output, emit_json, fmt, interval, read_runs, save_figure, table


def add_parsers(sub: Any) -> None:
    p = sub.add_parser(
        "fit",
        help="fit a law to a CSV or Parquet file of runs",
        description="Fit a scaling law by multi-start L-BFGS; --bootstrap B adds pairs-bootstrap intervals.",
    )
    _fit_options(p)
    p.add_argument("--bootstrap", type=int, default=0, metavar="B", help="bootstrap refits for intervals (0: none)")
    _boot_options(p, seed_default=0)
    add_output(p, plot="the fitted curves over the runs (with bands when bootstrapped)")
    add_columns(p)
    p.set_defaults(run=run_fit)

    b = sub.add_parser(
        "bootstrap",
        help="bootstrap intervals of a law's parameters (and its allocation exponent) from a file of runs",
        description="Refit the law to resampled runs and report intervals of every parameter and derived exponent.",
    )
    _fit_options(b)
    b.add_argument("--resamples", type=int, default=1000, metavar="B", help="bootstrap refits (default 1000)")
    b.add_argument("--scheme", default="pairs", choices=SCHEMES, help="how the runs are resampled")
    b.add_argument("--method", default="percentile", choices=["percentile", "basic", "bca"], help="interval method")
    _boot_options(b, seed_default=0)
    add_output(b, plot="a corner plot of the bootstrap samples")
    add_columns(b)
    b.set_defaults(run=run_bootstrap)


def _fit_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("file", help="a .csv (header row) or .parquet file, one row per run")
    p.add_argument("--law", default="chinchilla", choices=law_names())
    p.add_argument("--objective", default="huber_log", choices=OBJECTIVES)
    p.add_argument("--init", default="auto", choices=["auto", "hoffmann"], help="start grid (default auto)")


def _boot_options(p: argparse.ArgumentParser, *, seed_default: int) -> None:
    p.add_argument("--level", type=float, default=0.95, help="confidence level of the intervals (default 0.95)")
    p.add_argument("--seed", type=int, default=seed_default, help=f"bootstrap seed (default {seed_default})")


def diagnostics(res: FitResult, seconds: float) -> dict[str, Any]:
    return {
        "converged": res.converged,
        "stop": res.stop,
        "objective": res.objective,
        "n_runs": res.n_runs,
        "n_starts": res.n_starts,
        "n_at_best": res.n_at_best,
        "condition_number": res.identifiability["condition_number"],
        "seconds": seconds,
    }


def intervals(boot: BootstrapResult, names: list[str], method: str = "percentile") -> dict[str, list[float]]:
    return {n: list(boot.ci(n, method=method)) for n in names}


def _quantities(res: FitResult) -> list[str]:
    # The allocation exponents a = beta/(alpha+beta) and b = alpha/(alpha+beta) exist for two-input laws.
    return list(res.params) + (["a", "b"] if res.law in ("chinchilla", "chinchilla_tied") else [])


def print_fit(res: FitResult, seconds: float, boot: BootstrapResult | None, method: str = "percentile") -> None:
    print(f"{res.law} law, {res.objective_name} objective (delta {res.delta:g}), {res.n_runs} runs")
    status = "converged" if res.converged else f"NOT converged ({res.stop})"
    print(
        f"fitted in {seconds * 1e3:.0f} ms: {res.n_starts} starts minimised, {res.n_at_best} reached the best optimum; "
        f"{status}; Hessian condition number {res.identifiability['condition_number']:.3g}"
    )
    if boot is None:
        print(table(["parameter", "estimate"], [[k, v] for k, v in res.params.items()]))
        return
    print(
        f"{boot.n_resamples} {boot.scheme} bootstrap refits ({boot.n_failed} failed, seed {boot.seed}); "
        f"{boot.level:.0%} {method} intervals"
    )
    rows = []
    for name in _quantities(res):
        est, _ = boot.distribution(name)
        rows.append([name, est, interval(boot.ci(name, method=method)), boot.se(name)])
    print(table(["quantity", "estimate", "interval", "se"], rows))
    if "a" in _quantities(res):
        print("(a = beta / (alpha + beta): N_opt ~ C^a; b = alpha / (alpha + beta): D_opt ~ C^b)")


def _fit_and_boot(args: argparse.Namespace, n_boot: int) -> tuple[Any, FitResult, float, BootstrapResult | None]:
    runs = read_runs(args.file, args)
    t0 = time.perf_counter()
    boot = None
    if n_boot > 0:
        boot = bootstrap(
            runs,
            args.law,
            n_resamples=n_boot,
            seed=args.seed,
            level=args.level,
            scheme=getattr(args, "scheme", "pairs"),
            objective=args.objective,
            init=args.init,
            progress=False,
        )
        res = boot.fit
    else:
        res = fit(runs, args.law, objective=args.objective, init=args.init)
    return runs, res, time.perf_counter() - t0, boot


def _output(args: argparse.Namespace, runs: Any, res: FitResult, seconds: float, boot: Any, method: str) -> None:
    if args.json:
        out: dict[str, Any] = {
            "law": res.law,
            "params": res.params,
            "diagnostics": diagnostics(res, seconds),
            "fit": res.to_dict(),
        }
        if boot is not None:
            out["intervals"] = intervals(boot, _quantities(res), method)
            out["bootstrap"] = {
                "n_resamples": boot.n_resamples,
                "n_failed": boot.n_failed,
                "scheme": boot.scheme,
                "seed": boot.seed,
                "level": boot.level,
                "method": method,
            }
        emit_json(out)
    else:
        print_fit(res, seconds, boot, method)
    if args.plot:
        from .. import plot

        fig = plot.corner(boot) if args.command == "bootstrap" else plot.fit(res, runs, boot)
        save_figure(fig, args.plot)


def run_fit(args: argparse.Namespace) -> int:
    runs, res, seconds, boot = _fit_and_boot(args, args.bootstrap)
    _output(args, runs, res, seconds, boot, "percentile")
    return 0


def run_bootstrap(args: argparse.Namespace) -> int:
    runs, res, seconds, boot = _fit_and_boot(args, args.resamples)
    _output(args, runs, res, seconds, boot, args.method)
    return 0


__all__ = ["add_parsers", "diagnostics", "fmt", "intervals", "print_fit"]

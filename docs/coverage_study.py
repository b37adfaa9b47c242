"""The coverage study of docs/intervals.md: how often a nominal 95 % interval covers the true value.

Data sets are simulated from known laws with multiplicative log-normal noise (the noise the Gaussian-log-noise
likelihood assumes, at 1 % in loss, about the seed-to-seed scatter of the final loss of ladder runs):

- the Chinchilla law with Hoffmann et al.'s (2022) fitted values, E = 1.69, A = 406.4, B = 410.7, alpha = 0.34,
  beta = 0.28, on 10, 20 and 100 runs with N log-uniform over 1e7..3e9 and 1 to 100 tokens per parameter; the
  quantity is the compute-optimal N_opt at C = 1e24 FLOPs (an extrapolation of three or more decades);
- a power law with a constant, L = E + A x^-alpha (E = 2, A = 20, alpha = 0.3), on 5 and 10 runs log-spaced over
  x = 1e6..1e9; the quantity is the exponent alpha.

Each data set gets four intervals: the pairs bootstrap (percentile, `sc.bootstrap(..., objective="lsq_log")`),
the profile likelihood with the small-sample F calibration (`sc.profile`, the default) and with Wilks'
chi-squared one (`sc.profile(..., small_sample=False)`, "profile_chi2"), and the Laplace posterior
(`sc.posterior(method="laplace")`, flat priors over the law's box). Results are appended to a JSON-lines
file as they come, so that an interrupted run resumes and a method can be added later; `--table` prints the
coverage table (with each figure's Monte Carlo standard error) and the `COVERAGE` literal that
`python/scalecore/_coverage.py` holds.

    nice -n 19 python docs/coverage_study.py --out coverage.jsonl          # simulate (hours on a shared machine)
    python docs/coverage_study.py --out coverage.jsonl --table              # the table
"""

from __future__ import annotations

import argparse
import json
import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scalecore as sc

NOISE = 0.01
LEVEL = 0.95
COMPUTE = 1e24
CHINCHILLA = {"E": 1.69, "A": 406.4, "B": 410.7, "alpha": 0.34, "beta": 0.28}
POWER = {"E": 2.0, "A": 20.0, "alpha": 0.3}
METHODS = ("bootstrap", "profile", "profile_chi2", "laplace")


@dataclass(frozen=True)
class Case:
    law: str
    n_runs: int
    quantity: str

    @property
    def key(self) -> str:
        return f"{self.law}/{self.n_runs}"


CASES = (
    Case("chinchilla", 10, "N_opt"),
    Case("chinchilla", 20, "N_opt"),
    Case("chinchilla", 100, "N_opt"),
    Case("power", 5, "alpha"),
    Case("power", 10, "alpha"),
)


def truth(case: Case) -> float:
    if case.law == "chinchilla":
        p = CHINCHILLA
        g = (p["alpha"] * p["A"] / (p["beta"] * p["B"])) ** (1 / (p["alpha"] + p["beta"]))
        return float(g * (COMPUTE / 6) ** (p["beta"] / (p["alpha"] + p["beta"])))
    return POWER["alpha"]


def simulate(case: Case, index: int) -> sc.Runs:
    """Data set `index` of `case`: its own seeded stream, so any subset can be recomputed alone."""
    rng = np.random.default_rng([17, case.n_runs, 0 if case.law == "chinchilla" else 1, index])
    noise = np.exp(NOISE * rng.standard_normal(case.n_runs))
    if case.law == "chinchilla":
        p = CHINCHILLA
        N = 10 ** rng.uniform(7.0, 9.5, case.n_runs)
        D = N * 10 ** rng.uniform(0.0, 2.0, case.n_runs)
        clean = p["E"] + p["A"] / N ** p["alpha"] + p["B"] / D ** p["beta"]
        return sc.Runs(N=N, D=D, loss=clean * noise)
    x = np.logspace(6.0, 9.0, case.n_runs)
    return sc.Runs(x=x, loss=(POWER["E"] + POWER["A"] * x ** -POWER["alpha"]) * noise)


def bootstrap_ci(case: Case, runs: sc.Runs, seed: int) -> tuple[float, float]:
    boot = sc.bootstrap(runs, case.law, objective="lsq_log", n_resamples=400, seed=seed, n_threads=1, progress=False)
    if case.quantity == "N_opt":
        lo, hi = boot.allocate(COMPUTE).N_ci
    else:
        lo, hi = boot.ci(case.quantity)
    return float(lo), float(hi)


def profile_ci(case: Case, runs: sc.Runs, seed: int, small_sample: bool = True) -> tuple[float, float]:
    compute = COMPUTE if case.quantity == "N_opt" else None
    lo, hi = sc.profile(runs, case.law, case.quantity, compute=compute, level=LEVEL, small_sample=small_sample).ci
    return float(lo), float(hi)


def profile_chi2_ci(case: Case, runs: sc.Runs, seed: int) -> tuple[float, float]:
    return profile_ci(case, runs, seed, small_sample=False)


def laplace_ci(case: Case, runs: sc.Runs, seed: int) -> tuple[float, float]:
    post = sc.posterior(runs, case.law, method="laplace", n_draws=4000, seed=seed, n_threads=1)
    if case.quantity == "N_opt":
        lo, hi = np.ravel(post.allocate(COMPUTE).N_ci)
    else:
        lo, hi = post.ci(case.quantity)
    return float(lo), float(hi)


INTERVALS: dict[str, Callable[[Case, sc.Runs, int], tuple[float, float]]] = {
    "bootstrap": bootstrap_ci,
    "profile": profile_ci,
    "profile_chi2": profile_chi2_ci,
    "laplace": laplace_ci,
}


def done(path: Path) -> set[tuple[str, str, int]]:
    if not path.exists():
        return set()
    rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    return {(r["case"], r["method"], r["index"]) for r in rows}


def simulate_all(path: Path, methods: list[str], n_sets: int, cases: list[Case]) -> None:
    seen = done(path)
    with path.open("a") as out:
        for index in range(n_sets):
            for case in cases:
                runs = None
                for method in methods:
                    if (case.key, method, index) in seen:
                        continue
                    runs = simulate(case, index) if runs is None else runs
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore")
                        try:
                            lo, hi = INTERVALS[method](case, runs, index)
                        except (sc.ScalecoreError, ValueError) as err:
                            lo, hi = math.nan, math.nan
                            print(f"{case.key} {method} #{index}: {err}", flush=True)
                    row = {"case": case.key, "method": method, "index": index, "lo": lo, "hi": hi}
                    out.write(json.dumps(row) + "\n")
                    out.flush()


def table(path: Path) -> dict[str, dict[str, float]]:
    """Coverage per case and method with its Monte Carlo standard error sqrt(p (1 - p) / sets); an interval
    the method could not give (e.g. N_opt undefined for some draws, a negative exponent) counts as not
    covering and is also counted apart, as is an interval with an open end (one the data did not bound)."""
    rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    cover: dict[str, dict[str, float]] = {}
    print("| law, runs | quantity | interval | data sets | coverage | MC s.e. | failed | open | median width / truth |")
    print("|---|---|---|---|---|---|---|---|---|")
    for case in CASES:
        t = truth(case)
        cover[case.key] = {}
        for method in METHODS:
            mine = [r for r in rows if r["case"] == case.key and r["method"] == method]
            if not mine:
                continue
            lo = np.array([r["lo"] for r in mine], dtype=float)
            hi = np.array([r["hi"] for r in mine], dtype=float)
            failed = np.isnan(lo) | np.isnan(hi)
            # an end the data did not bound: infinite, or 0 for a positive quantity
            open_end = ~failed & (np.isinf(lo) | np.isinf(hi) | (lo == 0.0))
            hit = (lo <= t) & (t <= hi)
            with np.errstate(invalid="ignore"):
                width = np.median((hi - lo)[~failed] / t) if (~failed).any() else math.nan
            cover[case.key][method] = round(float(hit.mean()), 3)
            se = math.sqrt(hit.mean() * (1.0 - hit.mean()) / len(mine))
            print(
                f"| {case.law}, {case.n_runs} | {case.quantity} | {method} | {len(mine)} | {hit.mean():.1%} | "
                f"{se:.1%} | {failed.sum()} | {open_end.sum()} | {width:.3g} |"
            )
    print("\nCOVERAGE =", json.dumps(cover, indent=4))
    return cover


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, default=Path("coverage.jsonl"))
    ap.add_argument("--methods", default=",".join(METHODS))
    ap.add_argument("--cases", default=",".join(c.key for c in CASES))
    ap.add_argument("--n-sets", type=int, default=500)
    ap.add_argument("--table", action="store_true")
    args = ap.parse_args()
    if args.table:
        table(args.out)
        return
    wanted = args.cases.split(",")
    simulate_all(args.out, args.methods.split(","), args.n_sets, [c for c in CASES if c.key in wanted])


if __name__ == "__main__":
    main()

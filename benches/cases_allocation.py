"""Allocation and IsoFLOP benchmarks: scalecore's Rust core against the NumPy/SciPy references.

- compute-optimal allocation for 10,000 budgets under each law of N and D (chinchilla closed form;
  kaplan, overtrained, data_constrained and chinchilla with inference cost by iso-cost search) against
  `scalecore._reference.allocation` (per budget: a vectorised scan, then `scipy.optimize.minimize_scalar`);
- IsoFLOP with 1000 bootstrap resamples for 9 budgets x 10 runs (target: under a second) against the
  NumPy reference refitting every resample with `np.polyfit`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scalecore as sc
from run import Case
from scalecore._reference import allocation as ref_alloc
from scalecore._reference import isoflop as ref_iso

HOFFMANN = sc.datasets.HOFFMANN_PARAMS
DATABLATIONS = {
    "E": float(np.exp(0.6254804)),
    "A": float(np.exp(6.255414)),
    "B": float(np.exp(7.3049974)),
    "alpha": 0.3526596,
    "beta": 0.3526596,
    "R_N_star": 5.309743,
    "R_D_star": 15.387756,
}
LAWS: dict[str, tuple[str, dict[str, float], dict[str, Any]]] = {
    "chinchilla": ("chinchilla", HOFFMANN, {}),
    "kaplan": ("kaplan", {"N_c": 8.8e13, "D_c": 5.4e13, "alpha_N": 0.076, "alpha_D": 0.095}, {}),
    "overtrained": ("overtrained", {"E": 1.8, "a": 400.0, "b": 360.0, "eta": 0.14}, {}),
    "data_constrained": ("data_constrained", DATABLATIONS, {"unique_tokens": 25e9}),
    "chinchilla+inference": ("chinchilla", HOFFMANN, {"inference_tokens": 1e13}),
}


def _check_allocation(ours: Any, theirs: tuple[np.ndarray, np.ndarray, np.ndarray]) -> tuple[bool, str]:
    rel = np.abs(ours.loss / theirs[2] - 1)
    worse = np.max((ours.loss - theirs[2]) / theirs[2])
    ok = bool(rel.max() < 1e-9 and worse < 1e-12)
    return ok, f"max |loss rel diff| {rel.max():.1e}, ours worse by at most {max(worse, 0.0):.1e}"


def _allocation_cases(quick: bool) -> list[Case]:
    n = 1000 if quick else 10_000
    compute = np.geomspace(1e18, 1e26, n)
    cases = []
    for label, (law, params, extra) in LAWS.items():
        theta = sc.laws.get(law).to_internal(params)

        def ours(law: str = law, params: dict[str, float] = params, extra: dict[str, Any] = extra) -> Any:
            return sc.allocate(params, compute=compute, law=law, **extra)

        if label == "chinchilla":

            def theirs(params: dict[str, float] = params) -> Any:
                return ref_alloc.chinchilla_closed_form(params, compute)

            baseline = "numpy closed form"
        else:

            def theirs(law: str = law, theta: np.ndarray = theta, extra: dict[str, Any] = extra) -> Any:
                return ref_alloc.allocate(
                    law,
                    theta,
                    compute,
                    inference_tokens=extra.get("inference_tokens", 0.0),
                    unique_tokens=extra.get("unique_tokens"),
                )

            baseline = "scipy minimize_scalar"
        cases.append(
            Case(
                name=f"allocate {label} ({n} budgets)",
                ours=ours,
                baselines=[(baseline, theirs)],
                check=_check_allocation,
                repeat=3,
            )
        )
    # A user's cost function: the search runs in Rust and calls the callable once per step for all budgets.
    n_cost = 100 if quick else 1000
    cost_budgets = np.geomspace(1e18, 1e26, n_cost)
    cases.append(
        Case(
            name=f"allocate chinchilla, cost=callable ({n_cost} budgets)",
            ours=lambda: sc.allocate(HOFFMANN, compute=cost_budgets, cost=lambda N, D: 6.0 * N * D),
            baselines=[("numpy closed form", lambda: ref_alloc.chinchilla_closed_form(HOFFMANN, cost_budgets))],
            check=_check_allocation,
            target="callable called per step, not per budget",
            repeat=3,
        )
    )
    return cases


def _isoflop_reference(runs: sc.Runs, n_resamples: int, seed: int) -> np.ndarray:
    """Both stages per resample, in NumPy (its own random streams, so a statistical comparison)."""
    rng = np.random.default_rng(seed)
    budgets = np.unique(runs.C)
    groups = [np.flatnonzero(c == runs.C) for c in budgets]
    x, y = np.log(runs.N), runs.loss
    out = np.full(n_resamples, np.nan)
    for r in range(n_resamples):
        ln_n = []
        for g in groups:
            w = np.bincount(rng.integers(0, len(g), len(g)), minlength=len(g)).astype(float)
            m = ref_iso.budget_minimum(x[g], y[g], w, 2, 7)
            if m is None:
                break
            ln_n.append(m[0])
        if len(ln_n) == len(groups):
            out[r] = ref_iso.exponent(np.log(budgets), np.array(ln_n))[0]
    return out


def _isoflop_cases(quick: bool) -> list[Case]:
    runs = sc.datasets.chinchilla_sweep(seed=0)
    n_resamples = 200 if quick else 1000

    def ours() -> Any:
        return sc.isoflop(runs, n_resamples=n_resamples, seed=0)

    def theirs() -> Any:
        return _isoflop_reference(runs, n_resamples, seed=0)

    def check(o: Any, t: np.ndarray) -> tuple[bool, str]:
        ok_t = t[np.isfinite(t)]
        ref_ci = np.percentile(ok_t, [2.5, 97.5])
        width = ref_ci[1] - ref_ci[0]
        agree = abs(o.exponent_ci[0] - ref_ci[0]) < 0.25 * width and abs(o.exponent_ci[1] - ref_ci[1]) < 0.25 * width
        note = (
            f"a={o.exponent:.4f}, CI [{o.exponent_ci[0]:.4f}, {o.exponent_ci[1]:.4f}] vs reference "
            f"[{ref_ci[0]:.4f}, {ref_ci[1]:.4f}]; failed {o.n_failed} vs {int(np.isnan(t).sum())}"
        )
        return bool(agree), note

    return [
        Case(
            name=f"isoflop bootstrap {n_resamples} x 9 budgets x 10 runs",
            ours=ours,
            baselines=[("numpy polyfit per resample", theirs)],
            check=check,
            target="(target < 1 s)",
            repeat=3,
        )
    ]


def cases(quick: bool) -> list[Case]:
    return _allocation_cases(quick) + _isoflop_cases(quick)

"""Benchmarks of sc.bounds against the NumPy/SciPy reference (scalecore._reference.bounds), with correctness.

- the Dirichlet-process bound on a 1000 x 1000 (p, T) grid (and on 1e6 scattered points, where no two
  neighbours share p, so no per-row reuse is possible);
- compute-optimal allocations of that bound for 10,000 budgets (grid + bracketed minimiser per budget;
  the reference re-solves at C e^(+-h) for the local exponent, scalecore differentiates implicitly);
- the one-log shape's Lambert-W allocation for 1e6 budgets against scipy.special.lambertw;
- the Gaussian linear-regression oracle against a NumPy Monte Carlo of the same size.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scalecore as sc
from run import Case
from scalecore._reference import bounds as ref

D, K, B = 64, 10.0, 1.0


def _rel(a: Any, b: Any) -> float:
    return float(np.max(np.abs(np.asarray(a) / np.asarray(b) - 1.0)))


def _check_values(tol: float) -> Any:
    def check(ours: Any, theirs: Any) -> tuple[bool, str]:
        err = _rel(ours, theirs)
        return err <= tol, f"max rel diff {err:.1e}"

    return check


def _check_allocation(ours: Any, theirs: dict[str, Any]) -> tuple[bool, str]:
    dp = _rel(ours.p, theirs["p"])
    dv = _rel(ours.value, theirs["value"])
    ds = float(np.max(np.abs(ours.local_exponent - theirs["local_exponent"])))
    ok = dp <= 1e-5 and dv <= 1e-9 and ds <= 2e-3
    return ok, f"p* rel {dp:.1e}, U* rel {dv:.1e}, slope abs {ds:.1e}"


def _check_regression(ours: Any, theirs: tuple[float, float, float]) -> tuple[bool, str]:
    gap = abs(ours.information - theirs[0])
    se = float(np.hypot(ours.standard_error, theirs[1]))
    return gap <= 4 * se, f"I {ours.information:.4f} vs {theirs[0]:.4f} (gap {gap / se:.1f} se)"


def cases(quick: bool) -> list[Case]:
    n_grid = 200 if quick else 1000
    n_budgets = 500 if quick else 10_000
    n_lambert = 10_000 if quick else 1_000_000
    n_mc = 5_000 if quick else 50_000
    bound = sc.bounds.DirichletProcessTeacher(D, K, B)

    p = np.geomspace(D + 1, 1e12, n_grid)[:, None]
    T = np.geomspace(1.0, 1e14, n_grid)[None, :]
    rng = np.random.default_rng(0)
    p_scattered = np.exp(rng.uniform(np.log(D + 1), np.log(1e12), n_grid * n_grid))
    T_scattered = np.exp(rng.uniform(0.0, np.log(1e14), n_grid * n_grid))
    budgets = np.geomspace(1e10, 1e24, n_budgets)
    lambert_budgets = np.geomspace(1e3, 1e20, n_lambert)
    inverse_log = sc.bounds.InverseLog(1.0, 0.0, 1.0)

    def reference_bound(p: Any, T: Any) -> Any:
        return ref.dirichlet_process_teacher(p, T, D, K, B)[0]

    # A bound given by Python callables (the Chinchilla shape): Rust's search calls them once per step.
    n_custom = 100 if quick else 1000
    custom_budgets = np.geomspace(1e10, 1e24, n_custom)
    custom = sc.bounds.DecomposedBound(lambda p: 406.4 * p**-0.34, lambda p, T: 410.7 * T**-0.28)

    def custom_reducible(p: Any, T: Any) -> Any:
        return 406.4 * p**-0.34 + 410.7 * T**-0.28

    return [
        Case(
            name=f"bounds: Dirichlet-process U on {n_grid}x{n_grid} (p,T) grid",
            ours=lambda: bound.evaluate(p, T),
            baselines=[("numpy/scipy reference", lambda: reference_bound(p, T))],
            check=_check_values(1e-12),
            target="ratio vs reference (grid)",
            repeat=3,
        ),
        Case(
            name=f"bounds: Dirichlet-process U at {n_grid * n_grid} scattered points",
            ours=lambda: bound.evaluate(p_scattered, T_scattered),
            baselines=[("numpy/scipy reference", lambda: reference_bound(p_scattered, T_scattered))],
            check=_check_values(1e-12),
            target="ratio vs reference (no row reuse)",
            repeat=3,
        ),
        Case(
            name=f"bounds: Dirichlet-process allocation, {n_budgets} budgets",
            ours=lambda: sc.bounds.allocate(bound, budgets),
            baselines=[
                ("numpy/scipy reference", lambda: ref.allocate_numerical(reference_bound, budgets, D + 1.0)),
            ],
            check=_check_allocation,
            target="grid + Brent per budget, p*, T*, U*, terms, slope",
            repeat=3,
        ),
        Case(
            name=f"bounds: DecomposedBound (Python callables) allocation, {n_custom} budgets",
            ours=lambda: sc.bounds.allocate(custom, custom_budgets),
            baselines=[
                ("numpy/scipy reference", lambda: ref.allocate_numerical(custom_reducible, custom_budgets, 1.0)),
            ],
            check=_check_allocation,
            target="callables called per search step, not per budget",
            repeat=3,
        ),
        Case(
            name=f"bounds: one-log Lambert-W allocation, {n_lambert} budgets",
            ours=lambda: sc.bounds.allocate(inverse_log, lambert_budgets).p,
            baselines=[
                ("scipy.special.lambertw", lambda: ref.inverse_log_allocation(1.0, 0.0, 1.0, lambert_budgets)[0]),
            ],
            check=_check_values(1e-12),
            target="closed form",
            repeat=3,
        ),
        Case(
            name=f"bounds: regression oracle d=5 T=50, {n_mc} replicates",
            ours=lambda: sc.bounds.linear_regression_information(5, 50, 0.2, 1.0, n_mc=n_mc, seed=0),
            baselines=[("numpy Monte Carlo", lambda: ref.linear_regression_information(5, 50, 0.2, 1.0, n_mc, 1))],
            check=_check_regression,
            target="agree within Monte Carlo error",
        ),
    ]

"""Fleet benchmarks: `sc.fit_many` against a `scipy.optimize.curve_fit` loop, the way a user fits many
learning curves without scalecore (docs/fleets.md).

- 1,000,000 curves of 20 points, power law with constant, least squares in linear space (curve_fit's
  objective). The curve_fit loop is timed on 1000 curves spread over the fleet and scaled to the whole
  (it would take hours); on those 1000 the objective of every fit_many fit is checked against
  curve_fit's (at least as good, to 1e-9 relative). Target: under 20 s, 20x the loop.
- 10,000 curves x 1,000 pairs-bootstrap resamples (percentile intervals); the baseline refits 3 curves'
  resamples with curve_fit (from the full-data optimum) and is scaled. Target: under 60 s.
- Joint fits per key (`group=`, `shared=["alpha"]`): 1,000 tasks x 3 architectures x 15 points, one exponent
  per task. The baseline is the NumPy/SciPy reference joint fit (`scalecore._reference.joint.fit_joint`:
  every group fitted alone from every 10th start of the reference power grid (15 of 150), then the joint
  objective by L-BFGS-B) looped over 5 tasks spread over the fleet and scaled; on those the joint objective of
  fit_many must be as low (1e-6).
Peak memory (the process's maximum resident set so far) is recorded in the notes.
"""

from __future__ import annotations

import resource
import warnings
from typing import Any

import numpy as np
import scalecore as sc
from run import Case
from scipy.optimize import curve_fit

N_POINTS = 20


def _fleet(n_groups: int, seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    steps = np.geomspace(100, 1e5, N_POINTS)
    e = rng.uniform(0.5, 2.0, n_groups)
    a = rng.uniform(5.0, 50.0, n_groups)
    alpha = rng.uniform(0.2, 0.8, n_groups)
    x = np.tile(steps, n_groups)
    task = np.repeat(np.arange(n_groups), N_POINTS)
    loss = (e[task] + a[task] * x ** -alpha[task]) * np.exp(0.01 * rng.standard_normal(x.size))
    return {"task": task, "step": x, "loss": loss}


def _power(x: np.ndarray, e: float, a: float, alpha: float) -> np.ndarray:
    return e + a * x**-alpha


def _curve_fit(x: np.ndarray, y: np.ndarray, p0: Any = None) -> np.ndarray:
    if p0 is None:
        e0 = 0.9 * y.min()
        p0 = (e0, (y[0] - e0) * x[0] ** 0.5, 0.5)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return np.asarray(curve_fit(_power, x, y, p0=p0, maxfev=10_000)[0])
    except RuntimeError:
        return np.full(3, np.nan)


def _sse(p: np.ndarray, x: np.ndarray, y: np.ndarray) -> float:
    r = _power(x, *p) - y
    return float(r @ r) if np.isfinite(r).all() else np.inf


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _fit_cases(quick: bool) -> list[Case]:
    n = 10_000 if quick else 1_000_000
    data = _fleet(n)
    sample = np.linspace(0, n - 1, 1000).astype(int)

    def ours() -> Any:
        return sc.fit_many(data, "power", by="task", x="step", objective="lsq", progress=False)

    def loop() -> Any:
        x, y = data["step"].reshape(n, N_POINTS), data["loss"].reshape(n, N_POINTS)
        return {int(g): _curve_fit(x[g], y[g]) for g in sample}

    def check(table: Any, theirs: dict[int, np.ndarray]) -> tuple[bool, str]:
        x, y = data["step"].reshape(n, N_POINTS), data["loss"].reshape(n, N_POINTS)
        worse, failed = 0, 0
        for g, p in theirs.items():
            mine = np.array([table.params[k][g] for k in ("E", "A", "alpha")])
            f_ours, f_theirs = _sse(mine, x[g], y[g]), _sse(p, x[g], y[g])
            failed += not np.isfinite(f_theirs)
            worse += f_ours > f_theirs * (1 + 1e-9) + 1e-300
        ok = worse == 0 and bool(table.converged.all())
        return ok, (
            f"{worse}/1000 sampled fits worse than curve_fit's ({failed} curve_fit failures); "
            f"{int(table.converged.sum())}/{n} converged; peak RSS {_peak_mb():.0f} MB;"
        )

    return [
        Case(
            f"fit_many {n:,} curves x {N_POINTS} (power, lsq)",
            ours,
            [("curve_fit loop (1000, scaled)", loop)],
            check,
            target="target < 20 s and >= 20x",
            baseline_scale=n / 1000,
        )
    ]


def _bootstrap_cases(quick: bool) -> list[Case]:
    n, b = (200, 200) if quick else (10_000, 1000)
    data = _fleet(n, seed=1)
    sample = [0, n // 2, n - 1]

    def ours() -> Any:
        return sc.fit_many(data, "power", by="task", x="step", objective="lsq", n_resamples=b, seed=0, progress=False)

    def loop() -> Any:
        rng = np.random.default_rng(0)
        x, y = data["step"].reshape(n, N_POINTS), data["loss"].reshape(n, N_POINTS)
        out = {}
        for g in sample:
            p_hat = _curve_fit(x[g], y[g])
            alphas = []
            for _ in range(b):
                i = rng.integers(0, N_POINTS, N_POINTS)
                alphas.append(_curve_fit(x[g][i], y[g][i], p0=p_hat)[2])
            out[g] = np.nanpercentile(alphas, [2.5, 97.5])
        return out

    def check(table: Any, theirs: dict[int, np.ndarray]) -> tuple[bool, str]:
        ratios = [(table.high["alpha"][g] - table.low["alpha"][g]) / (theirs[g][1] - theirs[g][0]) for g in sample]
        ok = all(0.7 < r < 1.4 for r in ratios)
        failed = int(table.n_failed.sum())
        return ok, (
            f"alpha interval width / curve_fit bootstrap's: {', '.join(f'{r:.2f}' for r in ratios)}; "
            f"{failed} of {n * b} refits failed; peak RSS {_peak_mb():.0f} MB;"
        )

    return [
        Case(
            f"fit_many {n:,} curves x {b} resamples",
            ours,
            [("curve_fit bootstrap (3, scaled)", loop)],
            check,
            target="target < 60 s",
            baseline_scale=n / len(sample),
        )
    ]


def _joint_fleet(n_keys: int, n_points: int = 15, seed: int = 2) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    steps = np.geomspace(100, 1e5, n_points)
    task = np.repeat(np.arange(n_keys), 3 * n_points)
    arch = np.tile(np.repeat(np.arange(3), n_points), n_keys)
    x = np.tile(steps, 3 * n_keys)
    e, a = rng.uniform(0.8, 2.0, (n_keys, 3)), rng.uniform(5.0, 40.0, (n_keys, 3))
    alpha = rng.uniform(0.25, 0.6, n_keys)
    loss = (e[task, arch] + a[task, arch] * x ** -alpha[task]) * np.exp(0.01 * rng.standard_normal(x.size))
    return {"task": task, "arch": arch, "step": x, "loss": loss}


def _joint_cases(quick: bool) -> list[Case]:
    from scalecore._reference import joint as ref
    from scalecore._reference.fit import power_grid

    n = 100 if quick else 1000
    data = _joint_fleet(n)
    sample = np.linspace(0, n - 1, 5).astype(int)
    starts = power_grid()[::10]

    def ours() -> Any:
        return sc.fit_many(data, "power", by="task", x="step", group="arch", shared=["alpha"], progress=False)

    def loop() -> Any:
        out = {}
        for t in sample:
            rows = data["task"] == t
            cols = {"x": data["step"][rows]}
            out[int(t)] = ref.fit_joint("power", cols, data["loss"][rows], data["arch"][rows], [2], starts)
        return out

    def check(table: Any, theirs: dict[int, dict[str, Any]]) -> tuple[bool, str]:
        worse = sum(table.objective[t] > r["objective"] * (1 + 1e-6) for t, r in theirs.items())
        ok = worse == 0 and bool(table.converged.all())
        return ok, (
            f"{worse}/{len(theirs)} sampled keys worse than the reference's joint objective; "
            f"{int(table.converged.sum())}/{n} converged; peak RSS {_peak_mb():.0f} MB;"
        )

    return [
        Case(
            f"fit_many joint: {n:,} tasks x 3 groups x 15 points, shared alpha",
            ours,
            [("scipy reference joint fit (5, scaled)", loop)],
            check,
            target="as good as the reference, faster",
            baseline_scale=n / len(sample),
        )
    ]


def cases(quick: bool) -> list[Case]:
    return _fit_cases(quick) + _bootstrap_cases(quick) + _joint_cases(quick)

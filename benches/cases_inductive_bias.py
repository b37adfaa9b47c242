"""Inductive-bias benchmarks: the maximum-likelihood non-central chi-squared fit against scipy.stats.ncx2.fit (with
the location fixed at 0, the model both fit), and the log-CDF against scipy.stats.ncx2.logcdf.

A fit agrees when its mean log-likelihood is at least SciPy's (less 1e-6 nats); the log-CDF agrees to 1e-10
relative where SciPy is finite and counts where SciPy underflows to -inf while scalecore stays finite."""

from __future__ import annotations

from typing import Any

import numpy as np
import scalecore as sc
from run import Case  # type: ignore[import-not-found]
from scalecore._reference import inductive_bias as ref
from scipy import stats


def _mean_ll(x: np.ndarray, k: float, lam: float, scale: float) -> float:
    return float(np.mean(stats.ncx2.logpdf(x, k, lam, scale=scale)))


def cases(quick: bool) -> list[Case]:
    n = 2_000 if quick else 10_000
    x = stats.ncx2.rvs(6.0, 4.0, scale=0.02, size=n, random_state=np.random.default_rng(0))

    def ours_fit() -> Any:
        p = sc.inductive_bias(x, float(np.median(x)), n_resamples=0).params
        return p["k"], p["lam"], p["scale"]

    def scipy_fit() -> Any:
        k, lam, _, scale = stats.ncx2.fit(x, floc=0)
        return k, lam, scale

    def reference_fit() -> Any:
        return ref.fit_ncx2(x)[:3]

    def check_fit(o: Any, t: Any) -> tuple[bool, str]:
        lo, lt = _mean_ll(x, *o), _mean_ll(x, *t)
        return lo >= lt - 1e-6, f"loglik ours {lo:.6f} theirs {lt:.6f}"

    rng = np.random.default_rng(1)
    m = 20_000 if quick else 200_000
    q, k, lam = rng.uniform(1e-4, 40, m), rng.uniform(0.5, 40, m), rng.uniform(0.1, 60, m)

    def check_cdf(o: Any, t: Any) -> tuple[bool, str]:
        o, t = np.asarray(o), np.asarray(t)
        fin = np.isfinite(t) & (t < -1e-6)
        rel = float(np.max(np.abs(o[fin] - t[fin]) / np.abs(t[fin])))
        rescued = int(np.sum(~np.isfinite(t) & np.isfinite(o)))
        return rel <= 1e-10 and bool(np.all(np.isfinite(o))), f"max rel {rel:.1e}, {rescued} finite where scipy -inf"

    return [
        Case(
            name=f"ncx2 ML fit, n={n}",
            ours=ours_fit,
            baselines=[("scipy ncx2.fit floc=0", scipy_fit), ("reference Nelder-Mead", reference_fit)],
            check=check_fit,
            target=">= 20x faster than scipy ncx2.fit, as likely",
            repeat=3,
        ),
        Case(
            name=f"ncx2 logcdf, {m} points",
            ours=lambda: sc.ncx2_logcdf(q, k, lam),
            baselines=[("scipy ncx2.logcdf", lambda: stats.ncx2.logcdf(q, k, lam))],
            check=check_cdf,
            target="1e-10 where scipy finite; finite where it underflows",
            repeat=3,
        ),
    ]

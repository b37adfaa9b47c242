"""Profile-likelihood intervals: `sc.profile` and `ProfileResult` (docs/intervals.md).

Likelihood: ln(loss_i) = ln(law(inputs_i; theta)) + noise_i, the noise Gaussian with an unknown scale sigma
(the posterior's model). Profiling sigma out leaves -2 ln L = n ln SSR(theta) + const, SSR the sum of squared
log residuals, so the optimum is the least-squares fit in log space (``objective="lsq_log"``) and the interval
of a quantity psi at level 1 - alpha is every value whose deviance n ln(SSR_psi / SSR_min) is at most a
critical value, SSR_psi being the least SSR with the quantity held at psi and every other parameter refitted
(Venzon & Moolgavkar 1988). By default the critical value is the small-sample one,
n ln(1 + F_{1,n-k}(1 - alpha) / (n - k)) for k parameters: exact for a law linear in its parameters, the
profile-t interval of Bates & Watts (1988, "Nonlinear Regression Analysis and Its Applications", 6.1);
``small_sample=False`` gives Wilks' (1938) chi-squared(1) quantile, which the coverage study found too narrow
with few runs. The quantity is a public parameter, or for the Chinchilla law the allocation exponent "a"
(N_opt proportional to C^a) or "N_opt" at a budget ``compute``. The coverage study in docs/intervals.md
measures how often each interval covers the truth at 5 to 100 runs.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import _core
from . import intervals as iv
from ._coverage import warn_if_poor
from ._fit_spec import as_runs
from ._validation import FloatArray, positive_float
from ._validation import n_threads as check_threads
from .errors import InvalidInputError, ScalecoreWarning
from .fit import FitResult, fit
from .laws import Law
from .laws import get as get_law

__all__ = ["ProfileResult", "profile"]


@dataclass(frozen=True)
class ProfileResult:
    """A profile-likelihood interval. ``estimate`` and ``ci`` are public values (N_opt in parameters, a
    positive coefficient as itself); an end the deviance never crosses is infinite (0 or 1 for "a").
    ``path`` holds the profile points evaluated, columns (value, deviance), value in public units;
    ``small_sample`` says which critical value (``critical``) the deviance was compared with."""

    law: str
    quantity: str
    estimate: float
    ci: iv.ConfidenceInterval
    level: float
    critical: float
    n_runs: int
    n_refits: int
    params: dict[str, float]
    path: FloatArray = field(repr=False)
    compute: float | None = None
    small_sample: bool = True
    fit: FitResult | None = field(default=None, repr=False)

    @property
    def bounded(self) -> bool:
        """Whether both ends are crossings of the critical deviance (not the quantity's open ends)."""
        lo, hi = self.ci
        floor = 0.0 if self.quantity == "a" or _is_log(get_law(self.law), self.quantity) else -math.inf
        ceiling = 1.0 if self.quantity == "a" else math.inf
        return floor < lo and hi < ceiling

    def __repr__(self) -> str:
        at = f" at C = {self.compute:.3g}" if self.compute is not None else ""
        lo, hi = self.ci
        return (
            f"ProfileResult({self.law}, {self.quantity}{at} = {self.estimate:.6g}, {self.level:.0%} profile-likelihood "
            f"interval [{lo:.6g}, {hi:.6g}] ({'F' if self.small_sample else 'chi-squared'} calibration), "
            f"{self.n_runs} runs)"
        )


def _is_log(law: Law, quantity: str) -> bool:
    if quantity == "N_opt":
        return True
    if quantity in law.param_names:
        return bool(law.log_params[law.param_names.index(quantity)])
    return False


def profile(
    runs: Any,
    law: str | Law = "chinchilla",
    quantity: str = "alpha",
    *,
    compute: float | None = None,
    level: float = 0.95,
    small_sample: bool = True,
    flops_per_param_token: float = 6.0,
    init: Any = "auto",
    n_threads: int | None = None,
    warn: bool = True,
) -> ProfileResult:
    """The profile-likelihood interval of `quantity` given `runs` (model in the module documentation).

    quantity: a parameter of `law` (e.g. "alpha", "E"), or for the Chinchilla law "a" (the exponent of
        N_opt in C) or "N_opt" (needs `compute`, the budget C in FLOPs, with C = flops_per_param_token N D).
    small_sample: compare the deviance with n ln(1 + F_{1,n-k}(level) / (n - k)) (the default) rather than
        chi-squared(1)'s quantile, which is right only as the number of runs grows.
    init: the start strategy of the least-squares fit the profile starts from (as in `sc.fit`).
    warn: a ScalecoreWarning when the coverage study measured poor coverage for this interval at this many
        runs (docs/intervals.md).
    """
    r = as_runs(runs)
    lw = get_law(law)
    if not isinstance(quantity, str):
        raise InvalidInputError(f"quantity: must be a parameter name, 'a' or 'N_opt', got {quantity!r}")
    lv = iv.level(level)
    if not isinstance(small_sample, bool):
        raise InvalidInputError(f"small_sample: must be True or False, got {small_sample!r}")
    f = positive_float("flops_per_param_token", flops_per_param_token)
    c = None if compute is None else positive_float("compute", compute)
    threads = check_threads(n_threads)
    columns = {name: getattr(r, name) for name in lw.inputs if r.has(name)}
    k = len(lw.param_names)
    if len(r) <= k:
        raise InvalidInputError(
            f"runs: the {lw.name} law has {k} parameters; a profile likelihood needs more runs, got {len(r)}"
        )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ScalecoreWarning)
        start = fit(r, lw, objective="lsq_log", init=init, n_threads=threads)
    est, lo, hi, critical, theta, _ssr, path, n_refits = _core.profile_likelihood(
        lw.name,
        lw.columns(columns),
        r.loss,
        np.asarray(start.handle.theta, dtype=np.float64).tolist(),
        quantity,
        compute=c,
        flops_per_param_token=f,
        level=lv,
        small_sample=small_sample,
    )
    path = np.array(path, dtype=np.float64)
    if _is_log(lw, quantity):
        est, lo, hi = math.exp(est), math.exp(lo), math.exp(hi)
        path[:, 0] = np.exp(path[:, 0])
    if warn:
        warn_if_poor("profile" if small_sample else "profile_chi2", lw.name, quantity, len(r), stacklevel=2)
    return ProfileResult(
        law=lw.name,
        quantity=quantity,
        estimate=float(est),
        ci=iv.ConfidenceInterval(float(lo), float(hi)),
        level=lv,
        critical=float(critical),
        n_runs=len(r),
        n_refits=int(n_refits),
        params=lw.to_public(np.asarray(theta)),
        path=path,
        compute=c,
        small_sample=small_sample,
        fit=start,
    )

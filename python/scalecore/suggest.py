"""Experiment design: which runs to train next so that the interval of a target quantity shrinks most.

At the fit, the information the runs carry about the law's internal parameters is the Fisher information
of the Gaussian log-noise model, F = J^T J / sigma^2 (J the Jacobian of the log predictions, sigma the
scale of the log residuals), and the delta method turns it into the variance of a target g:
grad(g)^T F^-1 grad(g). A new run with Jacobian row j adds j j^T / sigma^2, a rank-one update, so the
variance after adding it is known before it is trained. `suggest_runs` adds, greedily, the affordable
candidate that lowers that variance most until `k` runs are chosen or the compute budget is spent
(sequential optimal design for a nonlinear model at its current estimate: Atkinson, Donev & Tobias
2007, "Optimum Experimental Designs, with SAS", ch. 17), then improves the batch as a whole by Fedorov's
(1972, "Theory of Optimal Experiments") exchange: each chosen run is swapped for the affordable candidate
that lowers the variance after all k runs most, until no swap helps (greedy choices are made one at a
time; the first run chosen can be a poor partner for the later ones). Jacobians and the target's gradient come from
central differences of the core's predictions and derived quantities under 2k perturbed parameter
vectors, in one call each. See docs/suggest.md.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from statistics import NormalDist
from typing import Any

import numpy as np

from . import _core
from . import intervals as iv
from ._validation import FloatArray, as_float_array, positive_float, real
from .errors import InvalidInputError
from .fit import FitResult
from .fit_bootstrap import BootstrapResult
from .laws import Law
from .laws import get as get_law
from .runs import Runs

__all__ = ["Suggestion", "suggest_runs"]

# Targets evaluated through the core's derived quantities at a compute budget; positive, so their
# intervals are taken on the log scale (symmetric in ratio, never below zero).
_AT_COMPUTE = ("N_opt", "D_opt", "loss_opt", "tokens_per_param")

# Exchange passes over the batch after the greedy choice (each pass tries every swap; few are ever needed).
_EXCHANGE_PASSES = 10


@dataclass(frozen=True)
class Suggestion:
    """The chosen runs (in the order chosen) and the target's expected interval before and after them."""

    target: str
    value: float
    N: FloatArray
    D: FloatArray
    compute: FloatArray
    index: np.ndarray[Any, np.dtype[np.int64]] = field(repr=False)
    sd_before: float
    sd_after: float
    interval_before: iv.ConfidenceInterval
    interval_after: iv.ConfidenceInterval
    level: float
    log_scale: bool
    interval_bootstrap: iv.ConfidenceInterval | None = None

    @property
    def shrinkage(self) -> float:
        """Expected width after / width before (on the scale of the intervals)."""
        return self.sd_after / self.sd_before

    def to_frame(self) -> Any:
        import pandas as pd

        return pd.DataFrame({"N": self.N, "D": self.D, "compute": self.compute, "candidate": self.index})

    def __repr__(self) -> str:
        runs = ", ".join(f"(N={n:.3g}, D={d:.3g})" for n, d in zip(self.N, self.D, strict=True))
        return (
            f"Suggestion({self.target} = {self.value:.4g}: {self.level:.0%} interval [{self.interval_before[0]:.4g}, "
            f"{self.interval_before[1]:.4g}] -> [{self.interval_after[0]:.4g}, {self.interval_after[1]:.4g}] "
            f"expected after {len(self.N)} runs: {runs})"
        )


def _candidates(candidates: Any) -> tuple[FloatArray, FloatArray]:
    if isinstance(candidates, Runs):
        return candidates.N, candidates.D
    if not isinstance(candidates, Mapping) or "N" not in candidates or "D" not in candidates:
        raise InvalidInputError("candidates: expected Runs or a mapping with N and D arrays (one candidate per row)")
    n = as_float_array("candidates['N']", candidates["N"], positive=True, allow_empty=True)
    d = as_float_array("candidates['D']", candidates["D"], positive=True, allow_empty=True)
    if len(n) != len(d):
        raise InvalidInputError(f"candidates: N has {len(n)} values but D has {len(d)}")
    if not len(n):
        raise InvalidInputError("candidates: is empty")
    return n, d


def _columns(law: Law, n: FloatArray, d: FloatArray, f: float) -> dict[str, FloatArray]:
    runs = Runs(N=n, D=d, loss=np.ones(len(n)), flops_per_param_token=f)
    return {name: getattr(runs, name) for name in law.inputs}


def _target_values(law: Law, target: str, thetas: FloatArray, compute: float | None, f: float) -> FloatArray:
    if target in law.param_names:
        i = law.param_names.index(target)
        return np.exp(thetas[:, i]) if law.log_params[i] else thetas[:, i]
    if target in _AT_COMPUTE and compute is None:
        raise InvalidInputError(f"compute: the target {target!r} needs a budget, e.g. compute=1e24")
    return np.asarray(
        _core.derived_quantity(
            law.name, target, thetas, compute=None if compute is None else float(compute), flops_per_param_token=f
        )
    )


def _variance(info: FloatArray, rows: FloatArray, grad: FloatArray, sigma2: float) -> float:
    """Delta-method variance of the target after adding runs with Jacobian `rows`."""
    cov = np.linalg.pinv(info + rows.T @ rows / sigma2, hermitian=True)
    return float(grad @ cov @ grad)


def _exchange(
    chosen: list[int],
    info: FloatArray,
    j_new: FloatArray,
    grad: FloatArray,
    sigma2: float,
    cost: FloatArray,
    limit: float,
    var: float,
) -> float:
    """Fedorov exchange on `chosen` (in place) within the budget; returns the variance after the batch."""
    for _ in range(_EXCHANGE_PASSES):
        swapped = False
        for pos in range(len(chosen)):
            others = chosen[:pos] + chosen[pos + 1 :]
            room = limit - float(cost[others].sum())
            for c in np.flatnonzero(cost <= room):
                if c in chosen:
                    continue
                v = _variance(info, j_new[[*others, int(c)]], grad, sigma2)
                if v < var * (1 - 1e-9):
                    chosen[pos], var, swapped = int(c), v, True
        if not swapped:
            break
    return var


def suggest_runs(
    fit_or_boot: FitResult | BootstrapResult,
    candidates: Any,
    *,
    budget: float | None = None,
    k: int = 5,
    target: str = "N_opt",
    compute: float | None = 1e24,
    level: float = 0.95,
    flops_per_param_token: float = 6.0,
) -> Suggestion:
    """Choose up to `k` runs from `candidates` (N, D pairs) of total compute at most `budget` that shrink
    most the interval of `target`: "N_opt", "D_opt", "loss_opt" or "tokens_per_param" at `compute`,
    "a" or "b" (chinchilla's allocation exponents), or a parameter name.

    From a BootstrapResult the bootstrap interval of the target is reported beside the Fisher interval
    before (``interval_bootstrap``), as a check of the approximation the design rests on.
    """
    if isinstance(fit_or_boot, BootstrapResult):
        base = fit_or_boot.fit
    elif isinstance(fit_or_boot, FitResult):
        base = fit_or_boot
    else:
        raise InvalidInputError(
            f"fit_or_boot: expected a FitResult or BootstrapResult, got {type(fit_or_boot).__name__}"
        )
    law = get_law(base.law)
    if not set(law.inputs) <= {"N", "D", "C", "M"}:
        raise InvalidInputError(f"fit_or_boot: run design needs a law of N and D, not {law.name} {law.inputs}")
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
        raise InvalidInputError(f"k: must be a positive integer, got {k!r}")
    lv = iv.level(level)
    if not isinstance(target, str):
        raise InvalidInputError(f"target: must be the name of a quantity or parameter, got {target!r:.60}")
    compute = None if compute is None else positive_float("compute", compute)
    f = positive_float("flops_per_param_token", flops_per_param_token)
    cand_n, cand_d = _candidates(candidates)
    cost = f * cand_n * cand_d
    limit = math.inf if budget is None else real("budget", budget)
    if not limit > 0:
        raise InvalidInputError(f"budget: must be positive, got {budget!r}")
    if not (cost <= limit).any():
        raise InvalidInputError(f"budget: {limit:.3g} FLOPs affords none of the candidates (cheapest {cost.min():.3g})")

    theta = np.asarray(base.handle.theta, dtype=np.float64)
    p = len(theta)
    h = 1e-5 * (1.0 + np.abs(theta))
    steps = np.vstack([theta + np.diag(h), theta - np.diag(h)])
    existing = {name: np.asarray(v) for name, v in base.handle.columns.items() if name in law.inputs}
    log_scale = target in _AT_COMPUTE
    g = _target_values(law, target, np.vstack([theta, steps]), compute, f)
    if not np.isfinite(g).all():
        raise InvalidInputError(f"target: {target!r} is not defined at the fit (e.g. no interior optimum)")
    gv = np.log(g) if log_scale else g
    grad = (gv[1 : p + 1] - gv[p + 1 :]) / (2 * h)

    def jacobian(cols: Mapping[str, FloatArray]) -> FloatArray:
        pred = np.log(np.asarray(_core.predict_draws(law.name, steps, dict(cols))))
        return np.asarray(((pred[:p] - pred[p:]) / (2 * h)[:, None]).T)

    j_old, j_new = jacobian(existing), jacobian(_columns(law, cand_n, cand_d, f))
    fitted = np.asarray(base.handle.predict(existing))
    resid = np.asarray(base.residuals)
    log_resid = resid if base.objective_name in ("huber_log", "lsq_log", "asymmetric") else resid / fitted
    sigma2 = float(np.sum(log_resid**2) / max(len(log_resid) - p, 1))
    info = j_old.T @ j_old / sigma2
    cov = np.linalg.pinv(info, hermitian=True)
    var_before = float(grad @ cov @ grad)

    chosen: list[int] = []
    spent, var = 0.0, var_before
    available = np.ones(len(cand_n), dtype=bool)
    while len(chosen) < k:
        # Keep enough budget for the runs still to choose at the cheapest remaining cost, so that a
        # budget fits k runs whenever it can (plain greedy would spend it all on the first few).
        later = k - len(chosen) - 1
        reserve = float(np.sort(cost[available])[1 : later + 1].sum()) if later > 0 else 0.0
        ok = available & (spent + cost + reserve <= limit)
        if not ok.any():
            ok = available & (spent + cost <= limit)
        if not ok.any():
            break
        sj = j_new @ cov  # rows: S j_c
        gain = (sj @ grad) ** 2 / (sigma2 + np.einsum("ij,ij->i", sj, j_new))
        gain[~ok] = -np.inf
        best = int(np.argmax(gain))
        chosen.append(best)
        available[best] = False
        spent += float(cost[best])
        var = var - float(gain[best])
        cov = cov - np.outer(sj[best], sj[best]) / (sigma2 + float(sj[best] @ j_new[best]))

    var = _exchange(chosen, info, j_new, grad, sigma2, cost, limit, var)

    z = NormalDist().inv_cdf((1 + lv) / 2)
    centre = float(gv[0])

    def interval(sd: float) -> iv.ConfidenceInterval:
        lo, hi = centre - z * sd, centre + z * sd
        return iv.ConfidenceInterval(*(map(math.exp, (lo, hi)) if log_scale else (lo, hi)))

    sd_before, sd_after = math.sqrt(max(var_before, 0.0)), math.sqrt(max(var, 0.0))
    boot_iv = None
    if isinstance(fit_or_boot, BootstrapResult):
        quantity = target if target in law.param_names or target in _AT_COMPUTE or target in ("a", "b") else None
        if quantity is not None:
            at = compute if target in _AT_COMPUTE else None
            boot_iv = fit_or_boot.ci(quantity, level=lv, compute=at)
    idx = np.array(chosen, dtype=np.int64)
    return Suggestion(
        target=target,
        value=float(g[0]),
        N=cand_n[idx],
        D=cand_d[idx],
        compute=cost[idx],
        index=idx,
        sd_before=sd_before,
        sd_after=sd_after,
        interval_before=interval(sd_before),
        interval_after=interval(sd_after),
        level=lv,
        log_scale=log_scale,
        interval_bootstrap=boot_iv,
    )

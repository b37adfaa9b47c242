"""Inductive bias as the information needed to reach a target error (Boopathy et al. 2024, "Towards Exact
Computation of Inductive Bias"; docs/methods.md section 8).

The errors of hypotheses sampled from a hypothesis space are fitted by maximum likelihood with a scaled non-central
chi-squared; the inductive bias needed for a target error eps is -log2 P(error <= eps) under the fit, evaluated deep
in the lower tail by a log-space Poisson mixture (`ncx2_logcdf`), with a bootstrap interval over the sampled errors.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from . import _core
from . import _options as options
from ._validation import _show, as_float_array, integer, positive_float, real
from ._validation import n_threads as _n_threads
from .errors import ConvergenceWarning, ExtrapolationWarning, InvalidInputError
from .intervals import seed as _seed

__all__ = ["InductiveBiasResult", "inductive_bias", "ncx2_logcdf"]


def _as_float(name: str, value: Any) -> NDArray[np.float64]:
    try:
        if np.iscomplexobj(value):
            raise InvalidInputError(f"{name}: complex numbers are not accepted, got {_show(value)}")
        return np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise InvalidInputError(f"{name}: cannot be read as numbers ({exc}); got {_show(value)}") from None


def ncx2_logcdf(x: Any, k: Any, lam: Any, scale: Any = 1.0) -> Any:
    """log P(scale * X <= x) for X non-central chi-squared with `k` degrees of freedom and non-centrality `lam`.

    The Poisson mixture of central chi-squared CDFs summed in log space, so the value stays finite and accurate far
    in the lower tail where `scipy.stats.ncx2.logcdf` returns -inf; from lam = 1e5 a convolution integral, and from
    k + lam = 1e16 the saddle-point approximation, whose error is below a double's resolution there
    (docs/inductive_bias.md). Arguments broadcast; scalars in, a float out. k > 0, lam >= 0, scale > 0 (finite);
    x <= 0 gives -inf. A quadrature that does not settle raises `ConvergenceError` instead of returning NaN.
    """
    arrays = [_as_float(n, v) for n, v in (("x", x), ("k", k), ("lam", lam), ("scale", scale))]
    try:
        bx, bk, bl, bs = np.broadcast_arrays(*arrays)
    except ValueError:
        shapes = ", ".join(f"{n} {a.shape}" for n, a in zip(("x", "k", "lam", "scale"), arrays))
        raise InvalidInputError(f"x: the arguments do not broadcast together ({shapes})") from None
    out = _core.ncx2_logcdf(bx.ravel(), bk.ravel(), bl.ravel(), bs.ravel()).reshape(bx.shape)
    return float(out) if out.ndim == 0 else out


@dataclass(frozen=True)
class InductiveBiasResult:
    """The inductive bias needed to reach error `eps`, under a scaled non-central chi-squared fit of the errors.

    `bits` and `nats` are -log P(error <= eps) in base 2 and e; `ci` is the bootstrap percentile interval of `bits`
    at `level` (None without resamples) from the bootstrap stream `seed`;
    `params` holds k, lam and scale; `empirical_fraction` is the fraction of
    sampled errors at or below eps when eps lies inside the sampled range (a cross-check), else None. `converged`
    says whether the fit of all errors converged and `n_failed` counts the bootstrap refits that failed or did not
    converge (left out of `bootstrap_bits` and `ci`); either raises a `ConvergenceWarning`.
    """

    bits: float
    nats: float
    ci: tuple[float, float] | None
    level: float
    params: dict[str, float]
    eps: float
    empirical_fraction: float | None
    n_errors: int
    log_likelihood: float
    converged: bool
    n_failed: int
    bootstrap_bits: NDArray[np.float64] = field(repr=False)
    seed: int = 0

    def __repr__(self) -> str:
        ci = "None" if self.ci is None else f"({self.ci[0]:.4g}, {self.ci[1]:.4g})"
        p = ", ".join(f"{k}={v:.4g}" for k, v in self.params.items())
        return (
            f"InductiveBiasResult(bits={self.bits:.4g}, ci={ci} at {self.level:g}, eps={self.eps:g}, "
            f"n_errors={self.n_errors}, {p})"
        )


def inductive_bias(
    errors: Any,
    eps: float,
    *,
    n_resamples: int = 200,
    level: float = 0.95,
    seed: Any = None,
    n_threads: int | None = None,
    progress: Any = None,
) -> InductiveBiasResult:
    """Inductive bias -log2 P(error <= eps) from the test errors of sampled hypotheses (Boopathy et al. 2024).

    The errors are fitted by maximum likelihood with a scaled non-central chi-squared (k, lam, scale) started from
    the cumulant match; the log-CDF at `eps` is evaluated in log space. `n_resamples` bootstrap refits over the
    errors (replicate i draws from the stream (seed, i): the same result for any thread count) give the interval
    `ci` on the bits; `seed` is None (fresh entropy, recorded in the result), a numpy Generator or an
    integer. An `ExtrapolationWarning` is raised when eps lies below every sampled error: the answer then
    rests on the fitted tail alone.
    """
    e = as_float_array("errors", errors, positive=True)
    eps_v = positive_float("eps", eps)
    n_resamples = integer("n_resamples", n_resamples, minimum=0)
    seed_ = _seed(seed)
    with options.progress(progress, "inductive bias") as callback:
        fit, log_p, boot, n_failed, ci = _core.inductive_bias(
            e,
            eps_v,
            n_resamples=int(n_resamples),
            seed=seed_,
            level=real("level", level),
            n_threads=_n_threads(n_threads),
            progress=callback,
        )
    k, lam, scale, log_likelihood, converged, _ = fit
    if not converged:
        warnings.warn(
            f"the non-central chi-squared fit of the {e.size} errors did not converge (k={k:.4g}, lam={lam:.4g}, "
            f"scale={scale:.4g}); its bits rest on an unconverged optimum",
            ConvergenceWarning,
            stacklevel=2,
        )
    if n_failed:
        warnings.warn(
            f"{n_failed} of {n_resamples} bootstrap refits failed or did not converge and were left out of the "
            f"interval (n_failed on the result)",
            ConvergenceWarning,
            stacklevel=2,
        )
    lo, hi = float(e.min()), float(e.max())
    inside = lo <= eps_v <= hi
    if eps_v < lo:
        expected = e.size * math.exp(log_p)
        warnings.warn(
            f"eps={eps_v:g} lies below every sampled error (smallest {lo:g}); the fit expects {expected:.3g} of the "
            f"{e.size} errors below it, so the inductive bias is an extrapolation of the fitted tail",
            ExtrapolationWarning,
            stacklevel=2,
        )
    return InductiveBiasResult(
        bits=-log_p / math.log(2.0),
        nats=-log_p,
        ci=None if ci is None else (float(ci[0]), float(ci[1])),
        level=float(level),
        params={"k": k, "lam": lam, "scale": scale},
        eps=eps_v,
        empirical_fraction=float(np.mean(e <= eps_v)) if inside else None,
        n_errors=int(e.size),
        log_likelihood=log_likelihood,
        converged=converged,
        n_failed=int(n_failed),
        bootstrap_bits=boot,
        seed=seed_,
    )

"""The framework of docs/bounds.md section 1: the identity L_T = I(F; H_T) / T, the two-sided
rate-distortion bound and the sample complexity, and the Bernoulli-logit divergence the instances
bound (section 2)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .. import _core
from .._shape import _ndim
from .._validation import FloatArray, as_float_array, positive_float
from .._validation import n_threads as check_threads
from ..errors import InvalidInputError


def bernoulli_logit_kl(u: Any, v: Any) -> FloatArray:
    """KL(Bern(sigmoid(u)) || Bern(sigmoid(v))) in nats, broadcasting; the instances use its bound (u - v)^2 / 8
    (docs/bounds.md section 2)."""
    ua = as_float_array("u", u, ndim=_ndim("u", u))
    va = as_float_array("v", v, ndim=_ndim("v", v))
    # With q = sigmoid(u): KL = q (ln q - ln r) + (1 - q)(ln(1 - q) - ln(1 - r)), and ln sigmoid(x) = -log1p(e^-x).
    log_q, log_1q = -np.logaddexp(0.0, -ua), -np.logaddexp(0.0, ua)
    q = np.exp(log_q)
    log_r, log_1r = -np.logaddexp(0.0, -va), -np.logaddexp(0.0, va)
    return np.asarray(q * (log_q - log_r) + (1.0 - q) * (log_1q - log_1r), dtype=np.float64)


def error_from_information(information: Any, T: Any) -> FloatArray:
    """The identity L_T = I(F; H_T) / T: the average reducible error (nats) of the Bayesian predictor over
    T samples equals the information the data carry about the latent function, divided by T."""
    i = as_float_array("information", information, nonnegative=True, ndim=_ndim("information", information))
    t = as_float_array("T", T, positive=True, ndim=_ndim("T", T))
    with np.errstate(over="ignore"):
        out = np.asarray(i / t, dtype=np.float64)
    if not np.all(np.isfinite(out)):
        raise InvalidInputError(f"T: information / T overflows for T = {T!r:.60} (information {information!r:.60})")
    return out


# A tabulation finer than this adds nothing to the two-sided bound (its sup and inf move by less than the
# table's own rounding) and would only exhaust memory: H is called on, and stores, every point.
_MAX_GRID = 10**8


@dataclass(frozen=True, eq=False)  # array fields: element-wise == has no single truth value
class TwoSidedBound:
    """sup_eps min(H_eps/T, eps) <= L_T <= inf_eps (H_eps/T + eps), for each T."""

    T: FloatArray
    lower: FloatArray
    upper: FloatArray


@dataclass(frozen=True, init=False, eq=False)
class RateDistortion:
    """The framework's bounds from a rate-distortion curve H_eps (nats; docs/bounds.md section 1).

    ``RateDistortion(H, eps)`` takes a table (H at increasing eps, H non-increasing);
    ``RateDistortion(H, eps_range=(lo, hi))`` takes a vectorised callable H(eps), tabulated on ``n_grid``
    log-spaced points for the two-sided bound and called directly for the sample complexity. The sup
    and inf run over the tabulated points, each of which gives a valid bound by itself, so the results
    are rigorous for the table given.
    """

    eps: FloatArray
    H: FloatArray
    function: Callable[[FloatArray], Any] | None = field(default=None, repr=False)

    def __init__(
        self,
        H: Any,
        eps: Any = None,
        *,
        eps_range: tuple[float, float] | None = None,
        n_grid: int = 4097,
    ) -> None:
        function: Callable[[FloatArray], Any] | None = None
        if callable(H):
            if eps_range is None or eps is not None:
                raise InvalidInputError("eps_range: a callable H needs eps_range=(lo, hi) (and no eps table)")
            if not (isinstance(eps_range, (tuple, list)) and len(eps_range) == 2):
                raise InvalidInputError(f"eps_range: must be a pair (lo, hi), got {eps_range!r:.60}")
            lo = positive_float("eps_range", eps_range[0])
            hi = positive_float("eps_range", eps_range[1])
            if not hi > lo:
                raise InvalidInputError(f"eps_range: needs lo < hi, got {eps_range!r}")
            if isinstance(n_grid, bool) or not isinstance(n_grid, int) or not 2 <= n_grid <= _MAX_GRID:
                raise InvalidInputError(f"n_grid: must be an integer in [2, {_MAX_GRID}], got {n_grid!r}")
            function = H
            e = np.geomspace(lo, hi, n_grid)
            e[0], e[-1] = lo, hi
            h = as_float_array("H", np.broadcast_to(np.asarray(H(e), dtype=np.float64), e.shape), nonnegative=True)
        else:
            if eps is None:
                raise InvalidInputError("eps: a tabulated H needs the eps values it is tabulated at")
            e = as_float_array("eps", eps, positive=True)
            h = as_float_array("H", H, nonnegative=True)
        # The Rust side checks lengths, ordering and monotonicity with messages naming eps or H.
        _core.rate_distortion_bound(e, h, np.ones(1))
        object.__setattr__(self, "eps", e)
        object.__setattr__(self, "H", h)
        object.__setattr__(self, "function", function)

    def evaluate(self, T: Any, *, n_threads: int | None = None) -> TwoSidedBound:
        t = as_float_array("T", T, positive=True, ndim=np.ndim(T))
        flat = np.ascontiguousarray(t).ravel()
        lo, up = _core.rate_distortion_bound(self.eps, self.H, flat, n_threads=check_threads(n_threads))
        return TwoSidedBound(t, lo.reshape(t.shape), up.reshape(t.shape))

    def lower(self, T: Any) -> FloatArray:
        return self.evaluate(T).lower

    def upper(self, T: Any) -> FloatArray:
        return self.evaluate(T).upper

    def sample_complexity(self, eps: Any) -> FloatArray:
        """Upper bounds ceil(2 H_{eps/2} / eps) on the samples needed for error eps; eps/2 must lie in the
        tabulated range (for a table, H is read at the next smaller tabulated eps, which keeps the bound)."""
        target = as_float_array("eps", eps, positive=True, ndim=np.ndim(eps))
        flat = np.ascontiguousarray(target).ravel()
        if self.function is None:
            return _core.rate_distortion_sample_complexity(self.eps, self.H, flat).reshape(target.shape)
        lo, hi = float(self.eps[0]), float(self.eps[-1])
        half = flat / 2.0
        outside = ~((half >= lo) & (half <= hi))
        if outside.any():
            raise InvalidInputError(
                f"eps: needs H at eps/2 = {half[outside][0]!r}, outside the tabulated range [{lo}, {hi}]"
            )
        h = as_float_array("H", np.broadcast_to(np.asarray(self.function(half), dtype=np.float64), half.shape))
        return np.asarray(np.ceil(2.0 * h / flat), dtype=np.float64).reshape(target.shape)

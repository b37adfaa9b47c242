"""Kernel density estimation: `sc.KDE` (methods.md section 4).

One estimator, f(x) = sum_i w_i K_h(x - x_i) with normalised weights w_i, evaluated either exactly (a windowed
sum over the sorted sample, log-sum-exp for ``logpdf``) or, for the Gaussian kernel in 1-D, by moment binning,
FFT convolution and cubic Hermite interpolation to a requested relative tolerance.

Bandwidth means the kernel's standard deviation (as in KDEpy and scikit-learn's Gaussian), for every kernel.
The rules are named by their formula, because libraries give the same name to different formulas
(sigma: weighted standard deviation; A = min(sigma, IQR / 1.349); n: the effective sample size n_eff):

=========================== ================================ ============ ======================= ==============
scalecore name              formula (1-D)                    scipy        statsmodels             KDEpy
=========================== ================================ ============ ======================= ==============
``"scott"``                 sigma n^(-1/5)                   'scott'      -                       -
``"normal_reference"``      (4 / 3n)^(1/5) sigma             'silverman'  -                       -
                            = 1.059 sigma n^(-1/5)
``"normal_reference_robust"`` 1.059 A n^(-1/5)               -            'scott',                'silverman'
                                                                          'normal_reference'
``"scott_robust"``          A n^(-1/5)                       -            -                       'scott'
``"rule_of_thumb"``         0.9 A n^(-1/5) (Silverman 1986)  -            'silverman'             -
``"isj"``                   improved Sheather-Jones as       -            -                       'ISJ'
                            methods.md and KDEpy 1.1.12 do it
``"isj_botev"``             improved Sheather-Jones scaled   -            -                       -
                            by the grid range (Botev 2010)
``"loo_ml"``                argmax leave-one-out likelihood  -            'cv_ml' (KDEMultivariate) -
a float                     the kernel standard deviation    -            a float                 a float
=========================== ================================ ============ ======================= ==============

``"silverman"`` is refused on purpose: scipy, statsmodels and KDEpy mean three different formulas by it.
``"isj"`` follows methods.md (bandwidth = sqrt(t) times the data range) and so reproduces KDEpy's ISJ. That
converts the diffusion time with the data range although t was found on a grid padded by at least 6 data units
(KDEpy issues #199 and #201): the result is half of Botev's bandwidth whenever the data range is at least 12 and
shrinks further, scale-dependently, below. ``"isj_botev"`` scales by the grid range as Botev et al.'s own code
does (scale-equivariant: isj_botev(a x) = a isj_botev(x)); prefer it when the data's units are arbitrary.

In d > 1 dimensions the kernel is Gaussian with a bandwidth matrix H (its covariance): ``"scott"`` and
``"normal_reference"`` give H = c^2 Cov with c = n^(-1/(d+4)) and (4 / ((d + 2) n))^(1/(d+4)) (scipy's
'scott' and 'silverman'); a float h gives H = h^2 I; a d x d symmetric positive definite matrix is H itself.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import _core
from ._validation import FloatArray, as_float_array, one_of, positive_float
from ._validation import n_threads as check_threads
from .errors import InvalidInputError

__all__ = ["BANDWIDTH_RULES", "KDE", "KERNELS", "METHODS", "KDEDiagnostics"]

KERNELS = ("gaussian", "epanechnikov", "biweight", "triweight", "tophat", "cosine", "laplace")
BANDWIDTH_RULES = (
    "scott",
    "normal_reference",
    "normal_reference_robust",
    "scott_robust",
    "rule_of_thumb",
    "isj",
    "isj_botev",
    "loo_ml",
)
METHODS = ("auto", "exact", "binned")
_MULTIVARIATE_RULES = ("scott", "normal_reference")
_IQR_NORMAL = 1.3489795003921634  # interquartile range of the standard normal
# Half-width of each kernel's support in standard deviations (None: unbounded).
_SUPPORT = {
    "gaussian": None,
    "laplace": None,
    "epanechnikov": math.sqrt(5.0),
    "biweight": math.sqrt(7.0),
    "triweight": 3.0,
    "tophat": math.sqrt(3.0),
    "cosine": 1.0 / math.sqrt(1.0 - 8.0 / math.pi**2),
}
# `auto` uses the binned method once the exact sum would cost more than this many kernel terms.
_AUTO_EXACT_TERMS = 2e7
# Binned values below this fraction of the peak are recomputed exactly (FFT rounding is ~1e-16 of the peak).
_BINNED_FLOOR = 1e-10
# The binned grid as the extension returns it: start, step, density, derivative, peak, smallest and largest
# sample, and the sorted samples near either extreme (positions, normalised weights).
_Grid = tuple[float, float, FloatArray, FloatArray, float, float, float, FloatArray, FloatArray]


@dataclass(frozen=True)
class KDEDiagnostics:
    """Biroli & Mezard (2024) diagnostics per query point: ``n_eff`` = (sum k)^2 / sum k^2 over the weighted
    kernel terms k_i, the effective number of points the density at that point rests on, and ``max_share``,
    the largest single term's share of the sum. ``n_eff`` near 1 / ``max_share`` near 1 means a few points
    dominate (the extreme-value regime); a query no point reaches gets n_eff 0 and max_share NaN."""

    x: FloatArray = field(repr=False)
    n_eff: FloatArray = field(repr=False)
    max_share: FloatArray = field(repr=False)

    def __repr__(self) -> str:
        if self.n_eff.size == 0:
            return "KDEDiagnostics(0 queries)"
        return (
            f"KDEDiagnostics({self.n_eff.size} queries, n_eff min {np.min(self.n_eff):.4g} "
            f"median {np.median(self.n_eff):.4g}, max_share max {np.nanmax(self.max_share):.4g})"
            if np.any(np.isfinite(self.max_share))
            else f"KDEDiagnostics({self.n_eff.size} queries, no point contributes)"
        )


def _weighted_quantile(x: FloatArray, w: FloatArray | None, q: float) -> float:
    if w is None:
        return float(np.percentile(x, 100.0 * q))
    order = np.argsort(x, kind="stable")
    xs, ws = x[order], w[order]
    # Plotting positions at the middle of each point's weight, interpolated (= np.percentile for equal weights
    # up to the n / (n - 1) convention).
    cum = np.cumsum(ws) - 0.5 * ws
    return float(np.interp(q, cum / cum[-1] if cum[-1] > 0 else cum, xs))


def _weighted_cov(x: FloatArray, w: FloatArray | None) -> FloatArray:
    """np.cov with reliability weights (scipy.stats.gaussian_kde's convention); rows are samples."""
    return np.atleast_2d(np.cov(x, rowvar=False, aweights=w, bias=False))


class KDE:
    """Kernel density estimate of 1-D or multivariate samples.

    Parameters
    ----------
    samples : array_like, shape (n,) or (n, d)
        Data, one row per sample (note: scipy's gaussian_kde takes (d, n)).
    bandwidth : str, float or (d, d) array
        A rule from the table in the module docstring, the kernel standard deviation, or (d > 1) the
        bandwidth matrix.
    kernel : str
        One of gaussian, epanechnikov, biweight, triweight, tophat, cosine, laplace (d > 1: gaussian only).
    weights : array_like, optional
        Non-negative per-sample weights (not all zero); normalised internally. ``n_eff`` = (sum w)^2 / sum w^2
        replaces n in the rules.
    method : "auto", "exact" or "binned"
        ``exact`` is the windowed direct sum; ``binned`` (1-D Gaussian only) is accurate to ``tolerance``
        (relative, wherever the density exceeds 1e-3 of its maximum; below 1e-10 of the maximum and outside
        the data range +- 12 bandwidths it falls back to the exact sum). ``auto`` uses binned for large
        problems when it applies. cdf, sf, quantile and the diagnostics are always exact.
    tolerance : float
        Relative accuracy target of the binned method (default 1e-6).
    n_threads : int, optional
        Threads for the heavy calls (default: SCALECORE_NUM_THREADS or all cores); results do not depend on it.
    """

    def __init__(
        self,
        samples: Any,
        bandwidth: Any = "scott",
        kernel: str = "gaussian",
        weights: Any = None,
        method: str = "auto",
        tolerance: float = 1e-6,
        n_threads: int | None = None,
    ) -> None:
        raw = np.asarray(samples) if not isinstance(samples, np.ndarray) else samples
        ndim = 2 if getattr(raw, "ndim", 1) == 2 and raw.shape[1] != 1 else 1
        x = as_float_array(
            "samples", raw if ndim == 2 or getattr(raw, "ndim", 1) != 2 else raw[:, 0], ndim=ndim, finite=False
        )
        # One summing pass instead of an elementwise finiteness test (NaN and inf propagate into the sum); the precise
        # check, which names the offending value, runs only when the sum is not finite.
        with np.errstate(over="ignore", invalid="ignore"):
            total_x = float(np.sum(x))
        if not math.isfinite(total_x):
            as_float_array("samples", x, ndim=ndim)
        self._x: FloatArray = x
        self.d: int = 1 if x.ndim == 1 else int(x.shape[1])
        n = int(x.shape[0])
        if weights is not None:
            w = as_float_array("weights", weights, nonnegative=True)
            if w.shape[0] != n:
                raise InvalidInputError(f"weights: has {w.shape[0]} values for {n} samples")
            total = float(np.sum(w))
            if not total > 0:
                raise InvalidInputError("weights: are all zero")
            self._w: FloatArray | None = w / total
            self.n_eff: float = float(1.0 / np.sum(self._w**2))
        else:
            self._w = None
            self.n_eff = float(n)
        self.n: int = n
        self.kernel: str = one_of("kernel", kernel, KERNELS)
        if self.d > 1 and self.kernel != "gaussian":
            raise InvalidInputError(f"kernel: multivariate data support the gaussian kernel only, got {kernel!r}")
        self.method: str = one_of("method", method, METHODS)
        if self.method == "binned" and (self.d > 1 or self.kernel != "gaussian"):
            raise InvalidInputError(
                f"method: 'binned' is available for 1-D data with the gaussian kernel, got d={self.d}, "
                f"kernel={self.kernel!r}; use 'exact'"
            )
        tol = positive_float("tolerance", tolerance)
        if not 1e-12 <= tol <= 0.1:
            raise InvalidInputError(f"tolerance: must be in [1e-12, 0.1], got {tolerance!r}")
        self.tolerance: float = tol
        self.n_threads: int | None = check_threads(n_threads)
        self._sorted: tuple[FloatArray, FloatArray] | None = None
        self._grid: _Grid | None = None
        self.rule: str = "user"
        self.bandwidth_matrix: FloatArray = self._choose_bandwidth(bandwidth)
        self._prepare_whitening()

    # --- bandwidth -------------------------------------------------------------------------------------

    def _choose_bandwidth(self, bandwidth: Any) -> FloatArray:
        d = self.d
        if isinstance(bandwidth, str):
            if bandwidth == "silverman":
                raise InvalidInputError(
                    "bandwidth: 'silverman' names different formulas in scipy (1.059 sd n^-1/5: use "
                    "'normal_reference'), statsmodels (0.9 min(sd, IQR/1.349) n^-1/5: use 'rule_of_thumb') and "
                    "KDEpy (1.059 min(sd, IQR/1.349) n^-1/5: use 'normal_reference_robust')"
                )
            rule = one_of("bandwidth", bandwidth, BANDWIDTH_RULES)
            if d > 1 and rule not in _MULTIVARIATE_RULES:
                raise InvalidInputError(
                    f"bandwidth: rule {rule!r} is 1-D only; for d > 1 use one of {list(_MULTIVARIATE_RULES)}, "
                    "a float or a bandwidth matrix"
                )
            self.rule = rule
            return self._rule_matrix(rule)
        if d > 1 and np.ndim(bandwidth) == 2:
            h = as_float_array("bandwidth", bandwidth, ndim=2)
            if h.shape != (d, d) or not np.allclose(h, h.T, rtol=1e-12, atol=0.0):
                raise InvalidInputError(f"bandwidth: a bandwidth matrix must be symmetric {d}x{d}, got shape {h.shape}")
            try:
                np.linalg.cholesky(h)
            except np.linalg.LinAlgError:
                raise InvalidInputError("bandwidth: the bandwidth matrix is not positive definite") from None
            return h
        h_scalar = positive_float("bandwidth", bandwidth)
        return np.eye(d) * h_scalar**2

    def _robust_scale(self, sigma: float) -> float:
        iqr = _weighted_quantile(self._x, self._w, 0.75) - _weighted_quantile(self._x, self._w, 0.25)
        a = iqr / _IQR_NORMAL
        return min(sigma, a) if a > 0 else sigma

    def _rule_matrix(self, rule: str) -> FloatArray:
        d, n = self.d, self.n_eff
        used = self._x if self._w is None else self._x[self._w > 0]
        distinct = used.shape[0] >= 2 and bool(np.any(used != used[0]))
        if not distinct or n <= 1.0 + 1e-9:
            raise InvalidInputError(
                f"bandwidth: the data-driven rule {rule!r} needs at least two distinct samples "
                f"(got n={self.n}, n_eff={n:.3g}); pass a float bandwidth"
            )
        if rule in ("scott", "normal_reference"):
            # Computed in scipy's order of operations (weights 1/n, n_eff = 1 / sum w^2) so that the bandwidth
            # matrix equals scipy's to the last bit, not just to rounding.
            w = self.weights
            cov = _weighted_cov(self._x, w)
            neff = 1.0 / float(np.sum(w**2))
            c = np.power(neff, -1.0 / (d + 4)) if rule == "scott" else np.power(neff * (d + 2.0) / 4.0, -1.0 / (d + 4))
            if d > 1 and np.linalg.matrix_rank(cov) < d:
                raise InvalidInputError("samples: the sample covariance is singular (collinear columns)")
            return np.asarray(cov * c**2, dtype=np.float64)
        sigma = math.sqrt(float(_weighted_cov(self._x, self._w)[0, 0]))
        if rule == "normal_reference_robust":
            h = (4.0 / 3.0) ** 0.2 * self._robust_scale(sigma) * n**-0.2
        elif rule == "scott_robust":
            h = self._robust_scale(sigma) * n**-0.2
        elif rule == "rule_of_thumb":
            h = 0.9 * self._robust_scale(sigma) * n**-0.2
        elif rule in ("isj", "isj_botev"):
            h = _core.kde_isj(self._x, self._w, "botev" if rule == "isj_botev" else "kdepy")
        else:  # loo_ml
            xs, ws = self._sorted_sample()
            h_ref = (4.0 / 3.0) ** 0.2 * sigma * n**-0.2
            h = _core.kde_loo_ml(xs, ws, h_ref / 50.0, h_ref * 3.0, n_threads=self.n_threads)
        return np.array([[h * h]])

    @property
    def bandwidth(self) -> float | FloatArray:
        """1-D: the kernel standard deviation h; d > 1: the bandwidth matrix."""
        if self.d == 1:
            return float(math.sqrt(self.bandwidth_matrix[0, 0]))
        return np.array(self.bandwidth_matrix, dtype=np.float64)

    @property
    def _h(self) -> float:
        return float(math.sqrt(self.bandwidth_matrix[0, 0]))

    @property
    def weights(self) -> FloatArray:
        """Normalised weights (equal when none were given)."""
        return np.full(self.n, 1.0 / self.n) if self._w is None else np.array(self._w, dtype=np.float64)

    @property
    def samples(self) -> FloatArray:
        """A copy of the samples."""
        return np.array(self._x, dtype=np.float64)

    def _prepare_whitening(self) -> None:
        if self.d == 1:
            return
        chol = np.ascontiguousarray(np.linalg.cholesky(self.bandwidth_matrix))
        self._chol: FloatArray = chol
        self._log_norm: float = -0.5 * self.d * math.log(2 * math.pi) - float(np.sum(np.log(np.diag(chol))))

    # --- evaluation --------------------------------------------------------------------------------------

    def _sorted_sample(self) -> tuple[FloatArray, FloatArray]:
        if self._sorted is None:
            self._sorted = _core.kde_sort(self._x, self._w)
        return self._sorted

    def _queries(self, x: Any) -> tuple[FloatArray, tuple[int, ...]]:
        try:
            arr = np.asarray(x, dtype=np.float64)
        except (TypeError, ValueError):
            raise InvalidInputError(f"x: cannot be read as numbers, got {x!r:.60}") from None
        if self.d == 1:
            q = as_float_array("x", np.ravel(arr), ndim=1, allow_empty=True)
            return q, tuple(np.shape(arr))
        if arr.ndim == 1 and arr.shape[0] == self.d:
            arr = arr[None, :]
            shape: tuple[int, ...] = ()
        else:
            shape = (arr.shape[0],) if arr.ndim == 2 else arr.shape
        if arr.ndim != 2 or arr.shape[1] != self.d:
            raise InvalidInputError(f"x: expected points of dimension {self.d} as shape (m, {self.d}), got {arr.shape}")
        q = as_float_array("x", arr, ndim=2, allow_empty=True)
        return q, shape

    def _use_binned(self, m: int) -> bool:
        if self.d > 1 or self.kernel != "gaussian" or self.method == "exact":
            return False
        if self.method == "binned":
            return True
        if self.n * m < _AUTO_EXACT_TERMS:
            return False
        span = float(np.max(self._x) - np.min(self._x)) if self._grid is None else 0.0
        return self._grid is not None or _core.kde_binned_size(span, self._h, self.tolerance) <= 2**22

    def _binned_grid(self) -> _Grid:
        if self._grid is None:
            self._grid = _core.kde_binned_grid(self._x, self._w, self._h, self.tolerance, n_threads=self.n_threads)
        return self._grid

    def _exact_1d(self, q: FloatArray, quantity: str) -> FloatArray:
        xs, ws = self._sorted_sample()
        return _core.kde_exact(xs, ws, self._h, self.kernel, q, quantity, n_threads=self.n_threads)

    def _exact_fallback(self, q: FloatArray, quantity: str) -> FloatArray:
        """Exact values where the binned grid is not accurate enough. These are almost always queries beyond the
        extreme samples, for which the binned pass already collected (and sorted) the only samples that matter,
        those within 10 bandwidths of the extremes; elsewhere the whole sample is sorted."""
        _, _, _, _, _, lo, hi, tail_x, tail_w = self._binned_grid()
        if self._sorted is not None or not np.all((q <= lo) | (q >= hi)):
            return self._exact_1d(q, quantity)
        return _core.kde_exact(tail_x, tail_w, self._h, self.kernel, q, quantity, n_threads=self.n_threads)

    def _density(self, q: FloatArray, log: bool) -> FloatArray:
        if self.d > 1:
            logsum, _, _ = _core.kde_exact_nd(self._x, self.weights, self._chol, q, n_threads=self.n_threads)
            out = logsum + self._log_norm
            return out if log else np.exp(out)
        if q.size and self._use_binned(q.size):
            start, step, f, df, peak, *_ = self._binned_grid()
            values, fallback = _core.kde_interpolate(
                start, step, f, df, peak, q, _BINNED_FLOOR, n_threads=self.n_threads
            )
            if log:
                values = np.log(np.where(fallback, 1.0, values))
            if fallback.any():
                values[fallback] = self._exact_fallback(q[fallback], "logpdf" if log else "pdf")
            return values
        return self._exact_1d(q, "logpdf" if log else "pdf")

    def pdf(self, x: Any) -> FloatArray:
        """Density at `x` (1-D: any shape, returned in the same shape; d > 1: shape (m, d) -> (m,))."""
        q, shape = self._queries(x)
        return self._density(q, log=False).reshape(shape)

    __call__ = pdf

    def logpdf(self, x: Any) -> FloatArray:
        """Log density, finite far in the tails where the density underflows (Gaussian, Laplace)."""
        q, shape = self._queries(x)
        return self._density(q, log=True).reshape(shape)

    def _require_1d(self, what: str) -> None:
        if self.d > 1:
            raise InvalidInputError(f"{what}: available for 1-D estimates only (this one has d={self.d})")

    def cdf(self, x: Any) -> FloatArray:
        """P(X <= x) under the estimate (exact sum, accurate in relative terms in the lower tail)."""
        self._require_1d("cdf")
        q, shape = self._queries(x)
        return self._exact_1d(q, "cdf").reshape(shape)

    def sf(self, x: Any) -> FloatArray:
        """Survival function P(X > x), accurate in relative terms in the upper tail."""
        self._require_1d("sf")
        q, shape = self._queries(x)
        return self._exact_1d(q, "sf").reshape(shape)

    def quantile(self, p: Any) -> FloatArray:
        """Inverse cdf at probabilities `p` in (0, 1): safeguarded Newton steps on the exact cdf (or sf above
        the median, for relative accuracy in the upper tail), to about 1e-12 of the bandwidth."""
        self._require_1d("quantile")
        probs, shape = self._queries(p)
        if np.any((probs <= 0) | (probs >= 1)):
            bad = probs[(probs <= 0) | (probs >= 1)][0]
            raise InvalidInputError(f"p: probabilities must lie strictly between 0 and 1, got {bad!r}")
        h = self._h
        reach = (_SUPPORT[self.kernel] or 60.0) * h
        lo = np.full(probs.shape, float(np.min(self._x)) - reach)
        hi = np.full(probs.shape, float(np.max(self._x)) + reach)
        upper = probs > 0.5
        target = np.where(upper, 1.0 - probs, probs)
        x = np.array([_weighted_quantile(self._x, self._w, float(v)) for v in probs]) if probs.size else probs.copy()
        for _ in range(200):
            c = np.where(upper, -self._exact_1d(x, "sf"), self._exact_1d(x, "cdf"))
            g = c - np.where(upper, -target, target)  # increasing in x
            lo = np.where(g < 0, x, lo)
            hi = np.where(g >= 0, x, hi)
            dens = self._exact_1d(x, "pdf")
            with np.errstate(divide="ignore", invalid="ignore"):
                step = np.where(dens > 0, g / dens, np.inf)
            nxt = x - step
            bisect = ~((nxt > lo) & (nxt < hi))
            nxt = np.where(bisect, 0.5 * (lo + hi), nxt)
            done = (np.abs(nxt - x) <= 1e-12 * h) | (hi - lo <= 1e-12 * h)
            x = nxt
            if np.all(done):
                break
        return x.reshape(shape)

    def grid(
        self, n: int = 2048, lo: float | None = None, hi: float | None = None, cut: float = 3.0
    ) -> tuple[FloatArray, FloatArray]:
        """Density on `n` equispaced points from `lo` to `hi` (default: the data range extended by `cut`
        bandwidths, or the kernel support): returns (x, density)."""
        self._require_1d("grid")
        if not isinstance(n, (int, np.integer)) or n < 2:
            raise InvalidInputError(f"n: must be an integer >= 2, got {n!r}")
        pad = positive_float("cut", cut) * self._h
        a = float(np.min(self._x)) - pad if lo is None else float(lo)
        b = float(np.max(self._x)) + pad if hi is None else float(hi)
        if not (math.isfinite(a) and math.isfinite(b) and a < b):
            raise InvalidInputError(f"lo, hi: need finite lo < hi, got {a!r}, {b!r}")
        x = np.linspace(a, b, int(n))
        return x, self._density(x, log=False)

    def mode(self) -> float | FloatArray:
        """Location of the highest density. 1-D: the best point of a fine grid refined by golden-section
        search on the exact density; d > 1: Gaussian mean-shift from the densest sample point."""
        if self.d > 1:
            return self._mode_nd()
        x, f = self.grid(n=4097, cut=3.0)
        k = int(np.argmax(f))
        a, b = x[max(k - 1, 0)], x[min(k + 1, x.size - 1)]
        g = 0.5 * (math.sqrt(5.0) - 1.0)
        c, d = b - g * (b - a), a + g * (b - a)

        def pdf(v: float) -> float:
            return float(self._exact_1d(np.array([v]), "pdf")[0])

        fc, fd = pdf(c), pdf(d)
        while b - a > 1e-10 * self._h:
            if fc > fd:
                b, d, fd = d, c, fc
                c = b - g * (b - a)
                fc = pdf(c)
            else:
                a, c, fc = c, d, fd
                d = a + g * (b - a)
                fd = pdf(d)
        best = 0.5 * (a + b)
        return best if pdf(best) >= f[k] else float(x[k])

    def _mode_nd(self) -> FloatArray:
        candidates = self._x if self.n <= 2000 else self._x[:: max(1, self.n // 2000)]
        start = candidates[int(np.argmax(self.logpdf(candidates)))]
        inv = np.linalg.inv(self.bandwidth_matrix)
        w = self.weights
        point = start.copy()
        for _ in range(500):
            diff = self._x - point
            logk = -0.5 * np.einsum("ij,jk,ik->i", diff, inv, diff)
            k = w * np.exp(logk - logk.max())
            nxt = (k[:, None] * self._x).sum(axis=0) / k.sum()
            if np.max(np.abs(nxt - point)) <= 1e-12 * math.sqrt(float(np.max(np.diag(self.bandwidth_matrix)))):
                point = nxt
                break
            point = nxt
        return np.asarray(point, dtype=np.float64)

    def hdi(self, level: float = 0.95) -> list[tuple[float, float]]:
        """Highest-density region holding probability `level`, as a list of intervals (several when the
        density is multimodal): the density threshold is found on a fine grid, each boundary is refined to
        where the exact density crosses it."""
        self._require_1d("hdi")
        lev = positive_float("level", level)
        if not lev < 1:
            raise InvalidInputError(f"level: must lie strictly between 0 and 1, got {level!r}")
        reach = (_SUPPORT[self.kernel] or 6.0) * self._h
        x, f = self.grid(n=2**14 + 1, lo=float(np.min(self._x)) - reach, hi=float(np.max(self._x)) + reach)
        dx = x[1] - x[0]
        order = np.argsort(f)[::-1]
        mass = np.cumsum(f[order]) * dx
        threshold = float(f[order][min(int(np.searchsorted(mass, lev * mass[-1])), f.size - 1)])
        above = f >= threshold
        edges = np.flatnonzero(np.diff(above.astype(np.int8)))
        starts = [0] if above[0] else []

        def pdf(v: float) -> float:
            return float(self._exact_1d(np.array([v]), "pdf")[0]) - threshold

        def crossing(i: int) -> float:
            # The threshold is a grid value, so widen the bracket by a step on each side to be sure the exact
            # density crosses inside it.
            a, b = float(x[max(i - 1, 0)]), float(x[min(i + 2, x.size - 1)])
            fa = pdf(a)
            if (fa > 0) == (pdf(b) > 0):
                return float(0.5 * (x[i] + x[i + 1]))
            for _ in range(60):
                mid = 0.5 * (a + b)
                if (pdf(mid) > 0) == (fa > 0):
                    a = mid
                else:
                    b = mid
            return 0.5 * (a + b)

        bounds = [float(x[0])] if starts else []
        bounds += [crossing(int(i)) for i in edges]
        if above[-1]:
            bounds.append(float(x[-1]))
        return [(bounds[i], bounds[i + 1]) for i in range(0, len(bounds) - 1, 2)]

    def diagnostics(self, x: Any) -> KDEDiagnostics:
        """Per query point: effective number of contributing points and the largest term's share."""
        q, shape = self._queries(x)
        if self.d > 1:
            _, n_eff, share = _core.kde_exact_nd(self._x, self.weights, self._chol, q, n_threads=self.n_threads)
        else:
            xs, ws = self._sorted_sample()
            n_eff, share = _core.kde_diagnostics(xs, ws, self._h, self.kernel, q, n_threads=self.n_threads)
        return KDEDiagnostics(x=q, n_eff=n_eff.reshape(shape), max_share=share.reshape(shape))

    # --- plumbing ----------------------------------------------------------------------------------------

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["_sorted"] = None  # caches are rebuilt on demand
        state["_grid"] = None
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)

    def __repr__(self) -> str:
        bw = f"{self._h:.6g}" if self.d == 1 else f"matrix {self.d}x{self.d}"
        weighted = f", n_eff={self.n_eff:.6g}" if self._w is not None else ""
        return (
            f"KDE(n={self.n}{weighted}, d={self.d}, kernel={self.kernel!r}, bandwidth={bw} ({self.rule}), "
            f"method={self.method!r})"
        )

"""What `sc.KDE` offers beyond densities (scipy.stats.gaussian_kde's methods; docs/kde.md): draws from the
estimate, probabilities of intervals and boxes, integrals against a Gaussian or another estimate, marginals,
a copy with another bandwidth, and scipy's callable bandwidth.

`KDE` is immutable, so where scipy's `set_bandwidth` changes the estimator in place, `KDE.with_bandwidth`
returns a new one (`scalecore.compat.gaussian_kde` keeps scipy's mutating method). The integrals of two
Gaussians are closed forms: the integral of N(x - x_i; 0, H) N(x; m, C) over x is N(m - x_i; 0, H + C), so
`integrate_gaussian` and `integrate_kde` are densities of an estimator whose bandwidth matrix is the sum of
the covariances, evaluated exactly by the core (Silverman 1986, "Density Estimation for Statistics and Data
Analysis", section 3.4).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import _core
from ._options import seed as check_seed
from ._shape import restore
from ._validation import FloatArray
from .errors import InvalidInputError


def _keep(kde: Any) -> dict[str, Any]:
    """The constructor arguments of `kde` other than the samples and the bandwidth."""
    return {
        "kernel": kde.kernel,
        # The weights as given; after unpickling only the normalised ones are left (None when equal).
        "weights": kde._given_weights if kde._given_weights is not None or not kde._handle.weighted else kde.weights,
        "method": kde.method,
        "tolerance": kde.tolerance,
        "n_threads": kde.n_threads,
        "bounds": kde.bounds,
    }


def _floats(name: str, value: Any) -> FloatArray:
    """`value` as a float64 array: numbers, +-inf allowed, NaN refused."""
    try:
        if isinstance(value, (str, bytes)) or value is None or np.iscomplexobj(value):
            raise InvalidInputError(f"{name}: must be real numbers, got {value!r:.60}")
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError, OverflowError):
        raise InvalidInputError(f"{name}: cannot be read as numbers, got {value!r:.60}") from None
    if np.isnan(arr).any():
        raise InvalidInputError(f"{name}: must not be NaN, got {value!r:.60}")
    return arr


def _require_1d(kde: Any, what: str) -> None:
    if kde.d != 1:
        raise InvalidInputError(f"{what}: available for 1-D estimates only (this one has d={kde.d}); use integrate_box")


def _gaussian_unbounded(kde: Any, what: str) -> None:
    """The closed forms hold for the unbounded Gaussian estimate only."""
    if kde.kernel != "gaussian":
        raise InvalidInputError(
            f"kernel: {what} has a closed form for the gaussian kernel only, got {kde.kernel!r}; "
            "integrate the density numerically (kde.pdf on a grid) for other kernels"
        )
    if kde.bounds is not None:
        raise InvalidInputError(f"bounds: {what} has no closed form for a reflected (bounded) estimate")


# --- draws ---------------------------------------------------------------------------------------------------


def resample(kde: Any, size: Any, seed: Any) -> FloatArray:
    if size is None:
        size = int(kde.n_eff)  # scipy's default: the effective sample size
    if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or not 0 <= size < 2**63:
        raise InvalidInputError(f"size: must be a non-negative integer, got {size!r:.60}")
    draws: FloatArray = kde._handle.resample(int(size), check_seed(seed))
    return draws


# --- probabilities of intervals and boxes ----------------------------------------------------------------------


def integrate_box_1d(kde: Any, low: Any, high: Any) -> Any:
    _require_1d(kde, "integrate_box_1d")
    lo, hi = np.broadcast_arrays(_floats("low", low), _floats("high", high))
    q = np.ascontiguousarray(np.concatenate([lo.ravel(), hi.ravel()]))
    m = lo.size
    cdf, sf = kde._handle.tail(q, False), kde._handle.tail(q, True)
    # Each difference from the tail where both ends sit, so that a far tail interval keeps its relative accuracy.
    upper = cdf[:m] + cdf[m:] > 1.0
    mass = np.where(upper, sf[:m] - sf[m:], cdf[m:] - cdf[:m])
    return restore(mass, lo.shape)


def integrate_box(kde: Any, low: Any, high: Any) -> float:
    lo, hi = _floats("low", low), _floats("high", high)
    for name, v in (("low", lo), ("high", hi)):
        if v.size != kde.d or v.ndim > 1:
            raise InvalidInputError(f"{name}: expected {kde.d} values (one per dimension), got shape {v.shape}")
    if kde.d == 1:
        return float(integrate_box_1d(kde, lo.item(), hi.item()))
    h = kde.bandwidth_matrix
    if kde.kernel == "gaussian" and np.count_nonzero(h - np.diag(np.diag(h))) > 0:
        # A full bandwidth matrix: scipy's own method, its multivariate normal CDF (Genz's quasi-Monte Carlo
        # integration, absolute error about 1e-5) per sample point, with a fixed stream so that calls repeat.
        from scipy.stats import multivariate_normal

        x = kde.samples
        values = multivariate_normal.cdf(hi - x, lower_limit=lo - x, cov=h, rng=np.random.default_rng(0))
        return float(np.atleast_1d(values) @ kde.weights)
    return float(kde._handle.box_probability(np.ascontiguousarray(lo), np.ascontiguousarray(hi)))


# --- closed-form Gaussian integrals ----------------------------------------------------------------------------


def _summed(kde: Any, extra: FloatArray) -> _core.KdeEstimator:
    """The Gaussian estimator of `kde`'s sample with bandwidth matrix H + `extra`, evaluated exactly."""
    total = kde.bandwidth_matrix + extra
    bandwidth: Any = float(np.sqrt(total[0, 0])) if kde.d == 1 else _symmetric(total)
    w = kde.weights
    return _core.KdeEstimator(kde.samples, bandwidth, "gaussian", w, "exact", 1e-6, kde.n_threads)


def _points(kde: Any, x: FloatArray) -> FloatArray:
    return np.ascontiguousarray(x.reshape(-1) if kde.d == 1 else x.reshape(-1, kde.d))


def integrate_gaussian(kde: Any, mean: Any, cov: Any) -> float:
    _gaussian_unbounded(kde, "integrate_gaussian")
    d = kde.d
    m = _floats("mean", mean).reshape(-1)
    c = np.atleast_2d(_floats("cov", cov))
    if m.shape != (d,) or not np.isfinite(m).all():
        raise InvalidInputError(f"mean: expected {d} finite values, got {mean!r:.60}")
    if c.shape != (d, d) or not np.isfinite(c).all() or not np.allclose(c, c.T, rtol=1e-12, atol=0.0):
        raise InvalidInputError(f"cov: expected a finite symmetric {d}x{d} matrix, got {cov!r:.60}")
    if np.linalg.eigvalsh(c).min() < 0.0:
        raise InvalidInputError(f"cov: must be positive semi-definite, got {cov!r:.60}")
    est = _summed(kde, c)
    return float(est.density(_points(kde, m), False)[0])


def integrate_kde(kde: Any, given: Any) -> float:
    other: Any = given  # a KDE (its attributes are KDE's, not the base class's)
    if not isinstance(given, KDEMethods):
        raise InvalidInputError(f"other: must be a scalecore KDE, got {type(other).__name__}")
    if other.d != kde.d:
        raise InvalidInputError(f"other: has d={other.d}, this estimate d={kde.d}")
    _gaussian_unbounded(kde, "integrate_kde")
    if other.kernel != "gaussian" or other.bounds is not None:
        raise InvalidInputError("other: integrate_kde has a closed form for two unbounded gaussian estimates only")
    est = _summed(kde, other.bandwidth_matrix)
    return float(est.density(_points(kde, other.samples), False) @ other.weights)


# --- new estimators from this one ------------------------------------------------------------------------------


def marginal(kde: Any, dimensions: Any) -> Any:
    d = kde.d
    dims = np.atleast_1d(np.asarray(dimensions, dtype=object))
    if (
        dims.ndim != 1
        or dims.size == 0
        or not all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in dims)
    ):
        raise InvalidInputError(f"dimensions: expected one or more integer indices, got {dimensions!r:.60}")
    idx = [int(v) for v in dims]
    if any(not -d <= v < d for v in idx):
        raise InvalidInputError(f"dimensions: indices must be in [-{d}, {d}), got {idx}")
    idx = [v % d for v in idx]
    if len(set(idx)) != len(idx):
        raise InvalidInputError(f"dimensions: must be unique, got {idx}")
    if kde.kernel != "gaussian" and len(idx) != d:
        # A radial kernel's marginal is not the same kernel in fewer dimensions (only the Gaussian's is).
        raise InvalidInputError(
            f"kernel: the marginal of the radial {kde.kernel!r} kernel is not a {kde.kernel!r} kernel; "
            "marginal needs the gaussian kernel"
        )
    x = kde.samples
    block = kde.bandwidth_matrix[np.ix_(idx, idx)]
    if len(idx) == 1:
        return type(kde)(x if d == 1 else x[:, idx[0]], float(np.sqrt(block[0, 0])), **_keep(kde))
    return type(kde)(x[:, idx], np.ascontiguousarray(block), **_keep(kde))


def with_bandwidth(kde: Any, bandwidth: Any) -> Any:
    return type(kde)(kde.samples, bandwidth, **_keep(kde))


def callable_bandwidth(cls: Any, samples: FloatArray, rule: Any, weights: Any, *options: Any) -> Any:
    """scipy's convention for a callable `bw_method`: `rule` receives the estimator (here a `KDE` of the same
    samples, weights and options with the "scott" bandwidth) and returns a factor f; the kernel covariance is
    f^2 times the weighted data covariance (np.cov with aweights, ddof 1), so the 1-D bandwidth is f times
    the weighted standard deviation."""
    kernel, method, tolerance, n_threads, bounds = options
    built = cls(samples, "scott", kernel, weights, method, tolerance, n_threads, bounds)
    factor = rule(built)
    if isinstance(factor, (str, bytes, bool)) or not isinstance(factor, (int, float, np.integer, np.floating)):
        raise InvalidInputError(f"bandwidth: the callable must return a positive number, it returned {factor!r:.60}")
    f = float(factor)
    if not (np.isfinite(f) and f > 0.0):
        raise InvalidInputError(f"bandwidth: the callable must return a positive number, it returned {f}")
    cov = np.atleast_2d(np.cov(samples, rowvar=False, aweights=weights))
    if samples.ndim == 1:
        return f * float(np.sqrt(cov[0, 0]))
    return _symmetric(f * f * cov)


def _symmetric(m: FloatArray) -> FloatArray:
    """The lower triangle mirrored (what scipy's Cholesky factor reads): np.cov's products, and sums of
    symmetric matrices, can differ from their transposes in the last bit."""
    return np.ascontiguousarray(np.tril(m) + np.tril(m, -1).T)


class KDEMethods:
    """scipy.stats.gaussian_kde's methods of `sc.KDE` (a base class of it, so that kde.py stays small)."""

    def resample(self, size: int | None = None, *, seed: Any = None) -> FloatArray:
        """`size` draws from the estimate (default: int(n_eff), as scipy), shape (size,) in 1-D and (size, d)
        in d > 1 (rows are points; scipy returns (d, size)). Exact for every kernel; bounded estimates draw
        from the reflected density, so no draw leaves the bounds. `seed`: None, an integer, a numpy Generator
        or RandomState; the draws depend on the seed only, not on the thread count."""
        return resample(self, size, seed)

    def integrate_box_1d(self, low: Any, high: Any) -> Any:
        """P(low <= X <= high) (1-D, every kernel, bounded too), from the exact cdf; arrays broadcast."""
        return integrate_box_1d(self, low, high)

    def integrate_box(self, low: Any, high: Any) -> float:
        """Probability of the box [low, high] (one bound per dimension). Exact for the gaussian kernel with a
        diagonal bandwidth matrix; a full matrix uses scipy's multivariate normal CDF as scipy does (absolute
        error ~1e-5); other kernels in d > 1 are refused (no closed form). 1-D: `integrate_box_1d`."""
        return integrate_box(self, low, high)

    def integrate_gaussian(self, mean: Any, cov: Any) -> float:
        """The integral of this density times the normal density N(mean, cov) (gaussian kernel, unbounded)."""
        return integrate_gaussian(self, mean, cov)

    def integrate_kde(self, other: Any) -> float:
        """The integral of the product of this density and `other`'s (both gaussian, unbounded)."""
        return integrate_kde(self, other)

    def marginal(self, dimensions: Any) -> Any:
        """The estimate of the kept `dimensions` (indices, negative from the end): a new KDE over those columns
        with the matching block of the bandwidth matrix (gaussian kernel; a radial kernel's marginal is not
        that kernel)."""
        return marginal(self, dimensions)

    def with_bandwidth(self, bandwidth: Any) -> Any:
        """A new KDE of the same samples, weights and options with `bandwidth` (any form the constructor takes).
        KDE is immutable: this is scipy's `set_bandwidth` without the mutation."""
        return with_bandwidth(self, bandwidth)

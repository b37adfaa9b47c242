"""`gaussian_kde` with scipy.stats.gaussian_kde's class interface (docs/methods.md section 4): the same
attributes (dataset (d, n), weights, neff, factor, covariance, cho_cov, inv_cov, log_det), bandwidth rules
('scott', 'silverman', a scalar factor or a callable of the estimator) and methods.

Densities and the Gaussian integrals (`integrate_gaussian`, `integrate_kde`) are sums of Gaussians evaluated by
scalecore's estimator in the core: the product of two Gaussians integrates to a Gaussian of the summed
covariances, so both integrals are a density of an estimator with bandwidth matrix cov_1 + cov_2. Resampling
draws as scipy draws (a normal offset, then the kernel index), so a seed gives scipy's numbers. Deliberate
differences: results are float64 for every input (scipy keeps float32 in float32 and long double in long
double); `integrate_box` in d > 1 uses scipy's multivariate normal CDF as scipy does.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy import linalg, special
from scipy.stats import multivariate_normal

from .. import _core

__all__ = ["gaussian_kde"]

_SINGULAR = (
    "The data appears to lie in a lower-dimensional subspace of the space in which it is expressed. This has "
    "resulted in a singular data covariance matrix, which cannot be treated using the algorithms implemented in "
    "`gaussian_kde`. Consider performing principal component analysis / dimensionality reduction and using "
    "`gaussian_kde` with the transformed data."
)
_TOO_FEW = (
    "Number of dimensions is greater than number of samples. This results in a singular data covariance matrix, "
    "which cannot be treated using the algorithms implemented in `gaussian_kde`. Note that `gaussian_kde` "
    "interprets each *column* of `dataset` to be a point; consider transposing the input to `dataset`."
)


def _estimator(dataset: Any, covariance: Any, weights: Any) -> _core.KdeEstimator:
    """A Gaussian estimator of the (d, n) `dataset` with kernel covariance `covariance`, evaluated exactly."""
    d = dataset.shape[0]
    samples = np.ascontiguousarray(dataset.T if d > 1 else dataset[0], dtype=np.float64)
    cov = np.asarray(covariance, dtype=np.float64)
    # The lower triangle mirrored: what scipy's Cholesky factor reads (np.cov's product may be asymmetric by
    # rounding in high dimensions).
    bandwidth: Any = float(np.sqrt(cov[0, 0])) if d == 1 else np.ascontiguousarray(np.tril(cov) + np.tril(cov, -1).T)
    return _core.KdeEstimator(samples, bandwidth, "gaussian", np.asarray(weights, np.float64), "exact", 1e-6)


class gaussian_kde:  # noqa: N801 (scipy's name)
    """scipy.stats.gaussian_kde, computed by scalecore (see the module notes)."""

    def __init__(self, dataset: Any, bw_method: Any = None, weights: Any = None) -> None:
        self.dataset = np.atleast_2d(np.asarray(dataset))
        if not self.dataset.size > 1:
            raise ValueError("`dataset` input should have multiple elements.")
        self.d, self.n = self.dataset.shape
        if weights is not None:
            w = np.atleast_1d(weights).astype(float)
            self._weights = w / np.sum(w)
            if self._weights.ndim != 1:
                raise ValueError("`weights` input should be one-dimensional.")
            if len(self._weights) != self.n:
                raise ValueError("`weights` input should be of length n")
            self._neff = 1.0 / float(self._weights @ self._weights)
        if self.d > self.n:
            raise ValueError(_TOO_FEW)
        self._cache: tuple[bytes, _core.KdeEstimator] | None = None
        try:
            self.set_bandwidth(bw_method=bw_method)
        except linalg.LinAlgError as e:
            raise linalg.LinAlgError(_SINGULAR) from e

    # --- weights and bandwidth (scipy's definitions) ------------------------------------------------------

    @property
    def weights(self) -> Any:
        try:
            return self._weights
        except AttributeError:
            self._weights = np.ones(self.n) / self.n
            return self._weights

    @property
    def neff(self) -> float:
        try:
            return self._neff
        except AttributeError:
            self._neff = 1.0 / float(self.weights @ self.weights)
            return self._neff

    def scotts_factor(self) -> float:
        return float(np.power(self.neff, -1.0 / (self.d + 4)))

    def silverman_factor(self) -> float:
        return float(np.power(self.neff * (self.d + 2.0) / 4.0, -1.0 / (self.d + 4)))

    # A class attribute, as in scipy: subclasses override it and users assign to it.
    covariance_factor: Any = scotts_factor

    def set_bandwidth(self, bw_method: Any = None) -> None:
        if bw_method is None:
            pass
        elif isinstance(bw_method, str) and bw_method == "scott":
            self.covariance_factor = self.scotts_factor
        elif isinstance(bw_method, str) and bw_method == "silverman":
            self.covariance_factor = self.silverman_factor
        elif np.isscalar(bw_method) and not isinstance(bw_method, str):
            self._bw_method: Any = "use constant"
            self.covariance_factor = lambda: bw_method
        elif callable(bw_method):
            self._bw_method = bw_method
            self.covariance_factor = lambda: self._bw_method(self)
        else:
            raise ValueError("`bw_method` should be 'scott', 'silverman', a scalar or a callable.")
        self._compute_covariance()

    def _compute_covariance(self) -> None:
        self.factor = self.covariance_factor()
        if not hasattr(self, "_data_cho_cov"):
            self._data_covariance = np.atleast_2d(np.cov(self.dataset, rowvar=True, bias=False, aweights=self.weights))
            self._data_cho_cov = linalg.cholesky(self._data_covariance, lower=True)
        self.covariance = self._data_covariance * self.factor**2
        self.cho_cov = (self._data_cho_cov * self.factor).astype(np.float64)
        self.log_det = 2 * np.log(np.diag(self.cho_cov * np.sqrt(2 * np.pi))).sum()

    @property
    def inv_cov(self) -> Any:
        self.factor = self.covariance_factor()
        self._data_covariance = np.atleast_2d(np.cov(self.dataset, rowvar=True, bias=False, aweights=self.weights))
        return linalg.inv(self._data_covariance) / self.factor**2

    # --- densities ----------------------------------------------------------------------------------------

    def _core(self) -> _core.KdeEstimator:
        """The core estimator of the current dataset, weights and covariance (rebuilt when any changed)."""
        key = b"".join(
            np.ascontiguousarray(a, np.float64).tobytes() for a in (self.dataset, self.weights, self.covariance)
        )
        cache = getattr(self, "_cache", None)  # subclasses may build themselves without __init__
        if cache is None or cache[0] != key:
            cache = (key, _estimator(self.dataset, self.covariance, self.weights))
            self._cache = cache
        return cache[1]

    def _points(self, points: Any) -> Any:
        pts = np.atleast_2d(np.asarray(points))
        d, m = pts.shape
        if d != self.d:
            if d == 1 and m == self.d:
                pts = np.reshape(pts, (self.d, 1))
            else:
                raise ValueError(f"points have dimension {d}, dataset has dimension {self.d}")
        return np.ascontiguousarray(pts.T if self.d > 1 else pts[0], dtype=np.float64)

    def evaluate(self, points: Any) -> Any:
        return self._core().density(self._points(points), False)

    __call__ = evaluate

    def pdf(self, x: Any) -> Any:
        return self.evaluate(x)

    def logpdf(self, x: Any) -> Any:
        return self._core().density(self._points(x), True)

    # --- integrals ----------------------------------------------------------------------------------------

    def integrate_gaussian(self, mean: Any, cov: Any) -> Any:
        m = np.atleast_1d(np.squeeze(mean))
        c = np.atleast_2d(cov)
        if m.shape != (self.d,):
            raise ValueError(f"mean does not have dimension {self.d}")
        if c.shape != (self.d, self.d):
            raise ValueError(f"covariance does not have dimension {self.d}")
        est = _estimator(self.dataset, self.covariance + c, self.weights)
        return est.density(np.ascontiguousarray(m.reshape(1, -1) if self.d > 1 else m, dtype=np.float64), False)[0]

    def integrate_box_1d(self, low: Any, high: Any) -> Any:
        if self.d != 1:
            raise ValueError("integrate_box_1d() only handles 1D pdfs")
        stdev = np.ravel(np.sqrt(self.covariance))[0]
        delta = special.ndtr(np.ravel((high - self.dataset) / stdev)) - special.ndtr(
            np.ravel((low - self.dataset) / stdev)
        )
        return self.weights @ delta

    def integrate_box(self, low_bounds: Any, high_bounds: Any, maxpts: Any = None, *, rng: Any = None) -> Any:
        low, high = low_bounds - self.dataset.T, high_bounds - self.dataset.T
        values = multivariate_normal.cdf(high, lower_limit=low, cov=self.covariance, maxpts=maxpts, rng=rng)
        return np.asarray(values) @ self.weights

    def integrate_kde(self, other: gaussian_kde) -> Any:
        if other.d != self.d:
            raise ValueError("KDEs are not the same dimensionality")
        small, large = (other, self) if other.n < self.n else (self, other)
        est = _estimator(large.dataset, small.covariance + large.covariance, large.weights)
        pts = np.ascontiguousarray(small.dataset.T if self.d > 1 else small.dataset[0], dtype=np.float64)
        return est.density(pts, False) @ small.weights

    # --- sampling and marginals ---------------------------------------------------------------------------

    def resample(self, size: int | None = None, seed: Any = None) -> Any:
        if size is None:
            size = int(self.neff)
        random_state = seed if isinstance(seed, (np.random.Generator, np.random.RandomState)) else None
        if random_state is None:
            random_state = np.random.mtrand._rand if seed is None else np.random.RandomState(seed)
        norm = np.transpose(random_state.multivariate_normal(np.zeros((self.d,), float), self.covariance, size=size))
        indices = random_state.choice(self.n, size=size, p=self.weights)
        return self.dataset[:, indices] + norm

    def marginal(self, dimensions: Any) -> gaussian_kde:
        dims = np.atleast_1d(dimensions)
        if not np.issubdtype(dims.dtype, np.integer):
            raise ValueError(
                "Elements of `dimensions` must be integers - the indices of the marginal variables being retained."
            )
        n = len(self.dataset)
        original_dims = dims.copy()
        dims[dims < 0] = n + dims[dims < 0]
        if len(np.unique(dims)) != len(dims):
            raise ValueError("All elements of `dimensions` must be unique.")
        i_invalid = (dims < 0) | (dims >= n)
        if np.any(i_invalid):
            raise ValueError(f"Dimensions {original_dims[i_invalid]} are invalid for a distribution in {n} dimensions.")
        return gaussian_kde(self.dataset[dims], bw_method=self.covariance_factor(), weights=self.weights)

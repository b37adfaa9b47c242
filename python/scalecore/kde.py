"""Kernel density estimation: `sc.KDE` (docs/methods.md section 4).

One estimator, f(x) = sum_i w_i K_h(x - x_i) with normalised weights w_i, evaluated either exactly (a windowed
sum over the sorted sample, log-sum-exp for ``logpdf``) or, for the 1-D Gaussian, by moment binning, FFT
convolution and cubic Hermite interpolation to a requested relative tolerance. On grids the 1-D compact
kernels are summed exactly by difference arrays of their polynomial pieces, in O(n + grid).

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
                            docs/methods.md and KDEpy 1.1.12 do it
``"isj_botev"``             improved Sheather-Jones scaled   -            -                       -
                            by the grid range (Botev 2010)
``"loo_ml"``                argmax leave-one-out likelihood  -            'cv_ml' (KDEMultivariate) -
a float                     the kernel standard deviation    -            a float                 a float
=========================== ================================ ============ ======================= ==============

With weights, sigma and the IQR are weighted (equal weights are no weights, for every rule); KDEpy's rules
ignore weights, so its column holds for unweighted data only. ``"silverman"`` is refused on purpose: scipy,
statsmodels and KDEpy mean three different formulas by it.
``"isj"`` follows docs/methods.md (bandwidth = sqrt(t) times the data range) and so reproduces KDEpy's ISJ. That
converts the diffusion time with the data range although t was found on a grid padded by at least 6 data units
(KDEpy issues #199 and #201): the result is half of Botev's bandwidth whenever the data range is at least 12 and
shrinks further, scale-dependently, below. ``"isj_botev"`` scales by the grid range as Botev et al.'s own code
does (scale-equivariant: isj_botev(a x) = a isj_botev(x)); prefer it when the data's units are arbitrary.

In d > 1 dimensions the kernel is radial in the whitened difference, k(|L^-1 (x - x_i)| / a) with H = L L^T
(KDEpy's Euclidean-norm kernels; for the Gaussian H is the kernel's covariance): ``"scott"`` and
``"normal_reference"`` give H = c^2 Cov with c = n^(-1/(d+4)) and (4 / ((d + 2) n))^(1/(d+4)) (scipy's
'scott' and 'silverman'); a float h gives H = h^2 I; a d x d symmetric positive definite matrix is H itself;
a sequence of d entries (values or rule names) gives H = diag(h_1^2, ..., h_d^2), each rule applied to its
margin. In d = 2 ``"isj"``/``"isj_botev"`` are Botev et al.'s 2-D ISJ (a diagonal H; ``["isj", "isj"]`` is
per margin); other rule names, and ISJ in d >= 3, are applied to every margin that way (docs/kde.md).

The estimator (sample, weights, bandwidth rules, method choice, binned grid, every query) lives in the Rust core
as one `_core.KdeEstimator`; this module validates arguments and shapes results, one core call per query.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import _chunks, _core
from ._kde_args import bandwidth_arg as _bandwidth
from ._kde_args import bounds_arg as _bounds
from ._kde_args import number as _number
from ._kde_methods import KDEMethods, callable_bandwidth
from ._results_io import ResultIO
from ._shape import restore
from ._validation import FloatArray, as_float_array
from ._validation import n_threads as check_threads
from .errors import BandwidthWarning, InvalidInputError

__all__ = ["BANDWIDTH_RULES", "KDE", "KERNELS", "METHODS", "KDEDiagnostics"]

# The option names are the core's (one list each, exported by the extension).
KERNELS: tuple[str, ...] = tuple(_core.KDE_KERNELS)
BANDWIDTH_RULES: tuple[str, ...] = tuple(_core.KDE_RULES)
METHODS: tuple[str, ...] = tuple(_core.KDE_METHODS)


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


def _text(name: str, value: Any) -> str:
    if not isinstance(value, str):
        raise InvalidInputError(f"{name}: must be a string, got {value!r:.60}")
    return value


def _as_array(name: str, value: Any) -> FloatArray:
    """`value` as a float64 array without a copy: the core copies what it keeps (so nothing the caller passed
    in is modified or aliased) and checks finiteness and signs."""
    if value is None:
        raise InvalidInputError(f"{name}: a value is required, got None")
    try:
        if np.iscomplexobj(value):
            raise InvalidInputError(f"{name}: complex numbers are not accepted, got {value!r:.60}")
        return np.atleast_1d(np.asarray(value, dtype=np.float64))
    except (TypeError, ValueError) as exc:
        raise InvalidInputError(f"{name}: cannot be read as numbers ({exc}); got {value!r:.60}") from None


def _samples(samples: Any) -> FloatArray:
    """Samples as (n,) or (n, d); an (n, 1) column is 1-D."""
    x = _as_array("samples", samples)
    if x.ndim == 2 and x.shape[1] == 1:
        x = x[:, 0]
    if x.ndim > 2:
        raise InvalidInputError(f"samples: expected a 1-D or (n, d) array, got shape {x.shape}")
    if x.size == 0:
        raise InvalidInputError("samples: is empty")
    return x


def _flat_queries(name: str, x: Any) -> tuple[FloatArray, tuple[int, ...]]:
    try:
        if np.iscomplexobj(x):
            raise InvalidInputError(f"{name}: complex numbers are not accepted, got {x!r:.60}")
        arr = np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError):
        raise InvalidInputError(f"{name}: cannot be read as numbers, got {x!r:.60}") from None
    return as_float_array(name, np.ravel(arr), ndim=1, allow_empty=True), tuple(np.shape(arr))


class KDE(KDEMethods, ResultIO):
    """Kernel density estimate of 1-D or multivariate samples.

    Parameters
    ----------
    samples : array_like, shape (n,) or (n, d)
        Data, one row per sample (note: scipy's gaussian_kde takes (d, n)).
    bandwidth : str, float, sequence of d entries or (d, d) array
        A rule from the table in the module docstring, the kernel standard deviation, or (d > 1) the
        bandwidth matrix. A sequence gives each dimension its own kernel standard deviation, each a number
        or a 1-D rule applied to that margin (``[0.3, "isj"]``): H = diag(h_1^2, ..., h_d^2). In d = 2
        "isj" and "isj_botev" are Botev et al.'s (2010) 2-D ISJ, a diagonal H ignoring the correlation; in
        d > 1 other rules than "scott" and "normal_reference" are applied to each margin the same way. An
        ISJ bandwidth whose fixed-point equation has no root falls back to "normal_reference_robust" (per
        margin in d > 1) with a `BandwidthWarning` that names the reason. A callable: scipy's convention.
    kernel : str
        One of gaussian, epanechnikov, biweight, triweight, tophat, cosine, laplace, tri, tricube (any d; in
        d > 1 ``mode`` needs the gaussian).
    weights : array_like, optional
        Non-negative per-sample weights (not all zero); normalised internally. ``n_eff`` = (sum w)^2 / sum w^2
        replaces n in the rules. Equal weights are the same as none, for every rule.
    method : "auto", "exact" or "binned"
        ``exact`` is the windowed direct sum; ``binned`` (d <= 2; pointwise, the 1-D Gaussian only) is accurate
        to ``tolerance`` (relative, wherever the density exceeds 1e-3 of its maximum; below 1e-10 of the maximum
        and outside the data range +- 12 bandwidths it falls back to the exact sum). ``auto`` uses binned for
        large problems when it applies. Unless ``exact``, ``grid`` sums compact kernels exactly on the grid.
        cdf, sf, quantile and the diagnostics are always exact.
    tolerance : float
        Relative accuracy target of the binned method (default 1e-6), in [1e-12, 0.1].
    n_threads : int, optional
        Threads for the heavy calls (default: SCALECORE_NUM_THREADS or all cores); results do not depend on it.
    bounds : (lo, hi), optional
        Support of the density (1-D), either end None for a half-line: ``(0, None)``, ``(0, 1)``. The estimate
        is reflected at the bounds (Silverman 1986, section 2.10), so pdf, logpdf, cdf and sf integrate to 1
        on them and are 0 outside; quantile, mode and grid stay inside. ``hdi`` is not available with bounds.
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
        bounds: Any = None,
    ) -> None:
        x = _samples(samples)
        w = None if weights is None else _as_array("weights", weights)
        if callable(bandwidth):
            bandwidth = callable_bandwidth(type(self), x, bandwidth, w, kernel, method, tolerance, n_threads, bounds)
        self._handle = _core.KdeEstimator(
            x,
            _bandwidth(bandwidth),
            _text("kernel", kernel),
            w,
            _text("method", method),
            _number("tolerance", tolerance),
            check_threads(n_threads),
            bounds=_bounds(bounds),
        )
        for note in self._handle.bandwidth_notes:
            warnings.warn(note, BandwidthWarning, stacklevel=2)
        self._d: int = self._handle.d
        # The rule's name when a rule's bandwidth was reloaded as a number (`load`), and the weights as given
        self._rule: str | None = None
        self._given_weights = None if w is None else np.array(w, dtype=np.float64, copy=True)

    # --- what it is (the handle's, read on demand) ---------------------------------------------------------

    @property
    def d(self) -> int:
        return self._d

    @property
    def n(self) -> int:
        return self._handle.n

    @property
    def n_eff(self) -> float:
        """Effective sample size (sum w)^2 / sum w^2 (n when unweighted)."""
        return self._handle.n_eff

    @property
    def kernel(self) -> str:
        return self._handle.kernel

    @property
    def method(self) -> str:
        return self._handle.method

    @property
    def tolerance(self) -> float:
        return self._handle.tolerance

    @property
    def n_threads(self) -> int | None:
        return self._handle.n_threads

    @property
    def rule(self) -> str:
        """The bandwidth rule's name, or "user" for a given bandwidth."""
        return self._rule or self._handle.rule

    @property
    def bounds(self) -> tuple[float, float] | None:
        """The support (lo, hi), infinite where open; None when unbounded."""
        return self._handle.bounds

    @property
    def bandwidth_matrix(self) -> FloatArray:
        return self._handle.bandwidth_matrix

    @property
    def bandwidth(self) -> float | FloatArray:
        """1-D: the kernel standard deviation h; d > 1: the bandwidth matrix."""
        return self._handle.h if self._d == 1 else self._handle.bandwidth_matrix

    @property
    def weights(self) -> FloatArray:
        """Normalised weights (equal when none were given)."""
        return self._handle.weights

    @property
    def samples(self) -> FloatArray:
        """A copy of the samples."""
        return self._handle.samples

    # --- results that last: save / load / to_frame (pickling is the handle's) ----------------------------

    def _state(self) -> dict[str, Any]:
        h = self._handle
        return {
            "samples": h.samples,
            "weights": self._given_weights if self._given_weights is not None or not h.weighted else h.weights,
            "bandwidth": float(h.h) if self._d == 1 else h.bandwidth_matrix,
            "kernel": h.kernel,
            "method": h.method,
            "tolerance": h.tolerance,
            "n_threads": h.n_threads,
            "rule": self.rule,
            "bounds": h.bounds,
        }

    def __getstate__(self) -> dict[str, Any]:
        # The handle pickles the estimator compactly (samples and normalised weights); the weights as given
        # serve only `save`, and a pickled copy saves the normalised ones instead.
        return {**self.__dict__, "_given_weights": None}

    @classmethod
    def _from_state(cls, state: dict[str, Any]) -> KDE:
        """The bandwidth the rule chose is reloaded as a number (the same kernel width, not recomputed)."""
        rule = state.pop("rule")
        out = cls(**state)
        out._rule = rule
        return out

    def _table(self) -> dict[str, Any]:
        x = self._handle.samples
        cols = {"x": x} if self._d == 1 else {f"x{j}": x[:, j] for j in range(self._d)}
        return {**cols, "weight": self._handle.weights}

    # --- queries: one core call each -----------------------------------------------------------------------

    def _queries(self, x: Any) -> tuple[FloatArray, tuple[int, ...]]:
        if self._d == 1:
            return _flat_queries("x", x)
        try:
            arr = np.asarray(x, dtype=np.float64)
        except (TypeError, ValueError):
            raise InvalidInputError(f"x: cannot be read as numbers, got {x!r:.60}") from None
        if arr.ndim == 1 and arr.shape[0] == self._d:
            arr = arr[None, :]
            shape: tuple[int, ...] = ()
        else:
            shape = (arr.shape[0],) if arr.ndim == 2 else arr.shape
        if arr.ndim != 2 or arr.shape[1] != self._d:
            raise InvalidInputError(
                f"x: expected points of dimension {self._d} as shape (m, {self._d}), got {arr.shape}"
            )
        return as_float_array("x", arr, ndim=2, allow_empty=True), shape

    def pdf(self, x: Any, *, map: Callable[..., Iterable[Any]] | None = None, chunk_size: int = 100_000) -> Any:
        """Density at `x` (1-D: any shape, returned in the same shape; d > 1: shape (m, d) -> (m,)).
        map: a map-like callable (builtins.map, an executor's map, `scalecore.distributed.dask_map(client)`)
        that evaluates blocks of `chunk_size` queries with this estimator shipped once; the result equals
        the local one bit for bit."""
        return self._density(x, False, map, chunk_size)

    __call__ = pdf

    def logpdf(self, x: Any, *, map: Callable[..., Iterable[Any]] | None = None, chunk_size: int = 100_000) -> Any:
        """Log density, finite far in the tails where the density underflows (Gaussian, Laplace); `map` and
        `chunk_size` as for `pdf`."""
        return self._density(x, True, map, chunk_size)

    def _density(self, x: Any, log: bool, map_: Any, chunk_size: Any) -> Any:
        size = _chunks.check_map(map_, chunk_size)
        q, shape = self._queries(x)
        if map_ is None:
            return restore(self._handle.density(q, log), shape)
        return restore(_chunks.density(self._handle, q, log, map_, size), shape)

    def cdf(self, x: Any) -> Any:
        """P(X <= x) under the estimate (exact sum, accurate in relative terms in the lower tail; 1-D)."""
        q, shape = _flat_queries("x", x)
        return restore(self._handle.tail(q, False), shape)

    def sf(self, x: Any) -> Any:
        """Survival function P(X > x), accurate in relative terms in the upper tail (1-D)."""
        q, shape = _flat_queries("x", x)
        return restore(self._handle.tail(q, True), shape)

    def quantile(self, p: Any) -> Any:
        """Inverse cdf at probabilities `p` in (0, 1): safeguarded Newton steps on the exact cdf (or sf above
        the median, for relative accuracy in the upper tail), to about 1e-12 of the bandwidth (1-D)."""
        probs, shape = _flat_queries("p", p)
        return restore(self._handle.quantile(probs), shape)

    def grid(
        self, n: int = 2048, lo: float | None = None, hi: float | None = None, cut: float = 3.0
    ) -> tuple[FloatArray, FloatArray]:
        """Density on `n` equispaced points from `lo` to `hi` (default: the data range extended by `cut`
        bandwidths): returns (x, density) (1-D)."""
        if not isinstance(n, (int, np.integer)) or isinstance(n, bool) or not 0 <= n < 2**63:
            raise InvalidInputError(f"n: must be an integer >= 2, got {n!r}")
        a = None if lo is None else _number("lo", lo)
        b = None if hi is None else _number("hi", hi)
        return self._handle.grid(int(n), a, b, _number("cut", cut))

    def mode(self) -> float | FloatArray:
        """Location of the highest density. 1-D: the best point of a fine grid refined by golden-section
        search on the exact density; d > 1: Gaussian mean shift from the densest sample point."""
        m = self._handle.mode()
        return float(m[0]) if self._d == 1 else m

    def hdi(self, level: float = 0.95) -> list[tuple[float, float]]:
        """Highest-density region holding probability `level` in (0, 1), as a list of intervals (several when
        the density is multimodal): the density threshold is found on a fine grid, each boundary is refined to
        where the exact density crosses it (1-D)."""
        ends = self._handle.hdi(_number("level", level))
        return [(float(a), float(b)) for a, b in ends.reshape(-1, 2)]

    def diagnostics(self, x: Any) -> KDEDiagnostics:
        """Per query point: effective number of contributing points and the largest term's share."""
        q, shape = self._queries(x)
        n_eff, share = self._handle.diagnostics(q)
        return KDEDiagnostics(x=q, n_eff=restore(n_eff, shape), max_share=restore(share, shape))

    def __repr__(self) -> str:
        h = self._handle
        bw = f"{h.h:.6g}" if self._d == 1 else f"matrix {self._d}x{self._d}"
        weighted = f", n_eff={h.n_eff:.6g}" if h.weighted else ""
        bounds = "" if h.bounds is None else f", bounds={h.bounds}"
        return (
            f"KDE(n={h.n}{weighted}, d={self._d}, kernel={h.kernel!r}, bandwidth={bw} ({self.rule}), "
            f"method={h.method!r}{bounds})"
        )

"""Scaling regimes of a learning curve and the intrinsic dimension of the data (docs/methods.md section 9).

- Hestness et al. 2017 ("Deep Learning Scaling is Predictable, Empirically"): a learning curve passes through a
  small-data region (flat), a power-law region and an irreducible-error floor; a law should be fitted to the
  power-law region once it has been found.
- Bahri, Dyer, Kaplan, Lee & Sharma 2021 ("Explaining Neural Scaling Laws"): variance-limited regimes scale with
  exponent 1; resolution-limited regimes with an exponent set by the data manifold, about 4/d for intrinsic dimension
  d (Sharma & Kaplan 2020, "A Neural Scaling Law from the Dimension of the Data Manifold").
- Intrinsic dimension by TwoNN (Facco et al. 2017) or the Levina & Bickel 2004 maximum-likelihood estimator, on exact
  nearest neighbours computed in the Rust core.

The local exponent of a curve is alpha(x) = -d log(y - floor) / d log x, estimated by least squares over sliding
windows of consecutive points in log-log coordinates, with a residual-bootstrap interval per window.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from . import _core
from ._validation import FloatArray, _show, as_float_array, one_of
from ._validation import n_threads as _n_threads
from .errors import InvalidInputError
from .fit import FitResult, fit
from .intervals import level as _check_level
from .intervals import seed as _seed
from .runs import Runs

__all__ = [
    "IntrinsicDimensionResult",
    "LocalExponentResult",
    "RegionFit",
    "Segment",
    "SegmentsResult",
    "fit_region",
    "intrinsic_dimension",
    "local_exponent",
    "loglog_correlation",
    "segments",
]

KINDS = ("plateau", "power_law", "variance_limited", "floor")


def _curve(x: Any, y: Any, floor: float) -> tuple[FloatArray, FloatArray]:
    """Copies of (x, y) sorted by x; x positive, y above the floor."""
    xa = as_float_array("x", x, positive=True)
    ya = as_float_array("y", y)
    if xa.size != ya.size:
        raise InvalidInputError(f"y: has {ya.size} values but x has {xa.size}")
    if not math.isfinite(floor):
        raise InvalidInputError(f"floor: must be finite, got {_show(floor)}")
    below = np.flatnonzero(~(ya > floor))
    if below.size:
        i = int(below[0])
        raise InvalidInputError(f"y: must lie above the floor {floor:g}, got {ya[i]!r} at position {i}")
    order = np.argsort(xa, kind="stable")
    return xa[order], ya[order]


def _window(window: Any, n: int) -> int:
    if isinstance(window, bool) or not isinstance(window, (int, np.integer)) or window < 3:
        raise InvalidInputError(f"window: must be an integer of at least 3, got {_show(window)}")
    if window > n:
        raise InvalidInputError(f"window: is {window} but the curve has only {n} points")
    return int(window)


def _slopes(lx: FloatArray, ly: FloatArray) -> FloatArray:
    """Least-squares slopes of ly on lx along the last axis."""
    cx = lx - lx.mean(axis=-1, keepdims=True)
    cy = ly - ly.mean(axis=-1, keepdims=True)
    out: FloatArray = (cx * cy).sum(axis=-1) / (cx * cx).sum(axis=-1)
    return out


@dataclass(frozen=True)
class LocalExponentResult:
    """Local exponents -d log(y - floor) / d log x per window of `window` consecutive points.

    `x` is each window's geometric centre; `low` and `high` the bootstrap percentile interval at `level`
    (NaN without resamples) from the bootstrap stream `seed`."""

    x: FloatArray
    exponent: FloatArray
    low: FloatArray
    high: FloatArray
    window: int
    floor: float
    level: float
    seed: int


def local_exponent(
    x: Any,
    y: Any,
    *,
    floor: float = 0.0,
    window: int = 5,
    n_resamples: int = 200,
    level: float = 0.95,
    seed: Any = None,
) -> LocalExponentResult:
    """Local exponent alpha(x) = -d log(y - floor) / d log x over sliding windows, with bootstrap intervals.

    Each window's log-log least-squares line is refitted to its fitted values plus resampled residuals (inflated by
    sqrt(w / (w - 2)) for the two fitted parameters); replicate i resamples with the stream (seed, i) of
    `sc.bootstrap`, so the intervals do not depend on the thread count. `seed` is None (fresh entropy, recorded in
    the result), a numpy Generator or an integer, as in `sc.bootstrap`.
    """
    xs, ys = _curve(x, y, float(floor))
    w = _window(window, xs.size)
    level = _check_level(level)
    seed_ = _seed(seed)
    lx = sliding_window_view(np.log(xs), w)
    ly = sliding_window_view(np.log(ys - floor), w)
    if np.any(np.ptp(lx, axis=-1) == 0):
        raise InvalidInputError("x: a window of the curve has all its x equal; use distinct x or a wider window")
    slope = _slopes(lx, ly)
    centre = np.exp(lx.mean(axis=-1))
    low = np.full(slope.shape, np.nan)
    high = np.full(slope.shape, np.nan)
    if n_resamples > 0:
        idx = _core.bootstrap_indices([w], seed=seed_, count=int(n_resamples))[0]
        intercept = ly.mean(axis=-1) - slope * lx.mean(axis=-1)
        fitted = intercept[:, None] + slope[:, None] * lx
        resid = (ly - fitted) * math.sqrt(w / (w - 2))
        boot = _slopes(lx[:, None, :], fitted[:, None, :] + resid[:, idx])  # windows x replicates
        a = (1 - level) / 2
        high, low = -np.quantile(boot, a, axis=1), -np.quantile(boot, 1 - a, axis=1)
    return LocalExponentResult(
        x=centre,
        exponent=-slope,
        low=low,
        high=high,
        window=w,
        floor=float(floor),
        level=float(level),
        seed=seed_,
    )


def loglog_correlation(x: Any, y: Any) -> float:
    """Pearson correlation of log x and log y: how straight a curve is in log-log coordinates (a power law gives
    |r| near 1, e.g. the r = -0.998 reported for the VAR scaling curves)."""
    xs, ys = _curve(x, y, 0.0)
    if xs.size < 3:
        raise InvalidInputError(f"x: needs at least 3 points, got {xs.size}")
    return float(np.corrcoef(np.log(xs), np.log(ys))[0, 1])


@dataclass(frozen=True)
class Segment:
    """A stretch of a curve: points `start:stop` of the x-sorted curve, of one `kind` (see `KINDS`); power-law
    stretches carry their log-log `exponent`."""

    kind: str
    start: int
    stop: int
    x_min: float
    x_max: float
    exponent: float | None = None


@dataclass(frozen=True)
class SegmentsResult:
    """The segmentation of a curve (sorted by x) into plateau, power-law or variance-limited, and floor."""

    segments: tuple[Segment, ...]
    x: FloatArray = field(repr=False)
    y: FloatArray = field(repr=False)
    local: LocalExponentResult = field(repr=False)

    @property
    def kinds(self) -> list[str]:
        return [s.kind for s in self.segments]

    @property
    def power(self) -> Segment | None:
        """The power-law (or variance-limited) stretch, if one was found."""
        return next((s for s in self.segments if s.kind in ("power_law", "variance_limited")), None)

    def mask(self, region: str = "power") -> np.ndarray[Any, np.dtype[np.bool_]]:
        """Points (in x order) of `region`: "power" (the power-law stretch) or "after_plateau" (power law and
        floor: what a law with an irreducible term describes)."""
        one_of("region", region, ("power", "after_plateau"))
        m = np.zeros(self.x.size, dtype=bool)
        for s in self.segments:
            if s.kind in ("power_law", "variance_limited") or (region == "after_plateau" and s.kind == "floor"):
                m[s.start : s.stop] = True
        return m


def segments(
    x: Any,
    y: Any,
    *,
    floor: float = 0.0,
    window: int = 5,
    flat: float = 0.25,
    variance_tol: float = 0.15,
) -> SegmentsResult:
    """Segment a learning curve into the regions of Hestness et al. 2017 and Bahri et al. 2021.

    Each point takes the local exponent of the window centred on it. Points whose exponent is below `flat` times the
    steepest one are flat (steepest after a running median over three consecutive windows, so that one noisy
    window near a floor, where y - floor is small, does not set the scale): a leading flat run is the small-data
    plateau, a trailing one the irreducible floor, and everything between them the power-law region, whose
    exponent is the log-log slope of y - floor over it. A power-law region with exponent within `variance_tol`
    of 1 is labelled variance-limited.
    """
    xs, ys = _curve(x, y, float(floor))
    w = _window(window, xs.size)
    if not 0 < flat < 1:
        raise InvalidInputError(f"flat: must lie strictly between 0 and 1, got {_show(flat)}")
    local = local_exponent(xs, ys, floor=floor, window=w, n_resamples=0)
    n = xs.size
    centred = np.clip(np.arange(n) - w // 2, 0, local.exponent.size - 1)
    a = local.exponent[centred]
    runs = sliding_window_view(local.exponent, min(3, local.exponent.size))
    steepest = float(np.median(runs, axis=-1).max())
    steep = a > flat * steepest if steepest > 0 else np.zeros(n, dtype=bool)
    parts: list[Segment] = []

    def add(kind: str, start: int, stop: int, exponent: float | None = None) -> None:
        if stop > start:
            parts.append(Segment(kind, start, stop, float(xs[start]), float(xs[stop - 1]), exponent))

    if not steep.any():
        add("plateau", 0, n)
    else:
        first = int(np.argmax(steep))
        last = n - int(np.argmax(steep[::-1]))
        add("plateau", 0, first)
        lx, ly = np.log(xs[first:last]), np.log(ys[first:last] - floor)
        alpha = float(-_slopes(lx, ly)) if last - first >= 2 else float(a[first])
        add("variance_limited" if abs(alpha - 1) <= variance_tol else "power_law", first, last, alpha)
        add("floor", last, n)
    return SegmentsResult(segments=tuple(parts), x=xs, y=ys, local=local)


@dataclass(frozen=True)
class RegionFit:
    """A law fitted to one detected region of a curve: the fit, the segmentation of y - `floor` it came from and the
    points used (`mask`, in the x order of `segments.x`). `floor` is the floor the curve was segmented above (fitted,
    or the one given)."""

    fit: FitResult
    segments: SegmentsResult = field(repr=False)
    mask: np.ndarray[Any, np.dtype[np.bool_]] = field(repr=False)
    region: str = "power"
    floor: float = 0.0


# Rounds of floor estimate and re-segmentation; the region settles in one or two on real curves.
_FLOOR_ROUNDS = 5


def _floor_option(floor: Any) -> float | None:
    """None for "fit", else the known floor as a float."""
    if isinstance(floor, str):
        one_of("floor", floor, ("fit",))
        return None
    if isinstance(floor, bool) or not isinstance(floor, (int, float, np.integer, np.floating)):
        raise InvalidInputError(f'floor: must be "fit" or a finite number, got {_show(floor)}')
    return float(floor)


def _region_mask(
    xs: FloatArray, ys: FloatArray, region: str, known: float | None, window: int, flat: float
) -> tuple[SegmentsResult, np.ndarray[Any, np.dtype[np.bool_]], float]:
    """The segmentation of y - floor, the points of `region` to fit, and the floor (`known`, or fitted)."""
    if known is not None:
        seg = segments(xs, ys, floor=known, window=window, flat=flat)
        return seg, seg.mask(region), known
    seg = segments(xs, ys, window=window, flat=flat)
    mask, used = seg.mask("after_plateau"), 0.0
    for _ in range(_FLOOR_ROUNDS):
        if mask.sum() < 4:
            break
        e = fit(Runs(x=xs[mask], loss=ys[mask]), law="power").params["E"]
        if not e < ys.min():
            break  # the points reach the fitted floor, which cannot be subtracted: the floor stretch stays in
        seg, used = segments(xs, ys, floor=e, window=window, flat=flat), e
        if np.array_equal(seg.mask(region), mask):
            break
        mask = seg.mask(region)
    return seg, mask, used


def fit_region(
    data: Runs | tuple[Any, Any],
    law: str = "power",
    *,
    region: str = "power",
    floor: Any = "fit",
    window: int = 5,
    flat: float = 0.25,
    **fit_options: Any,
) -> RegionFit:
    """Fit `law` (a law of one input x) only to the detected `region` of a curve, calling `sc.fit` on that subset
    with `fit_options`. `data` is a Runs with x and loss, or (x, y).

    The regions are those of `segments` applied to y - floor: region="power" (the default) is the power-law stretch,
    region="after_plateau" the power-law stretch and the floor. floor="fit" (the default) estimates the irreducible
    term E of L = E + A x^-alpha by fitting that law to the curve after its plateau, segments y - E, and repeats on
    the new power-law stretch until it stops changing: segmenting y itself would call the bend of a curve towards
    its own E a floor and drop the points nearest an extrapolation target, which a law with an irreducible term
    needs. When the fitted E is not below every point the floor stretch is kept. A number is a known floor (0 for
    a law without an irreducible term)."""
    if isinstance(data, Runs):
        x, y = data.x, data.loss
    elif isinstance(data, tuple) and len(data) == 2:
        x, y = data
    else:
        raise InvalidInputError(f"data: must be a Runs with x and loss, or a pair (x, y); got {_show(data)}")
    one_of("region", region, ("power", "after_plateau"))
    known = _floor_option(floor)
    xs, ys = _curve(x, y, 0.0 if known is None else known)
    seg, mask, used = _region_mask(xs, ys, region, known, window, flat)
    if mask.sum() < 4:
        raise InvalidInputError(
            f"region: the detected {region!r} region has {int(mask.sum())} points, too few to fit a law; "
            f"segments found: {seg.kinds}"
        )
    result = fit(Runs(x=xs[mask], loss=ys[mask]), law=law, **fit_options)
    return RegionFit(fit=result, segments=seg, mask=mask, region=region, floor=used)


@dataclass(frozen=True)
class IntrinsicDimensionResult:
    """An intrinsic-dimension estimate `d` and the resolution-limited exponent 4/d it predicts (Sharma & Kaplan
    2020), to set beside an exponent fitted to a learning curve."""

    d: float
    method: str
    k: int
    n_points: int
    n_used: int

    @property
    def predicted_exponent(self) -> float:
        return 4.0 / self.d


def intrinsic_dimension(
    points: Any,
    method: str = "twonn",
    *,
    k: int = 10,
    n_threads: int | None = None,
    progress: Callable[[int, int], Any] | None = None,
) -> IntrinsicDimensionResult:
    """Intrinsic dimension of the rows of `points` (n x D): "twonn" (Facco et al. 2017, from the ratio of the two
    nearest distances) or "mle" (Levina & Bickel 2004 with `k` neighbours, pooled as MacKay & Ghahramani 2005).
    Exact nearest neighbours in the Rust core; points whose nearest neighbour is a duplicate are left out."""
    pts = as_float_array("points", points, ndim=2)
    one_of("method", method, ("twonn", "mle"))
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 2:
        raise InvalidInputError(f"k: must be an integer of at least 2, got {_show(k)}")
    d, used = _core.intrinsic_dimension(pts, method, int(k), n_threads=_n_threads(n_threads), progress=progress)
    return IntrinsicDimensionResult(
        d=d, method=method, k=2 if method == "twonn" else int(k), n_points=pts.shape[0], n_used=used
    )

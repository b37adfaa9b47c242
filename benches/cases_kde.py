"""Kernel density benchmarks: scalecore beside scipy gaussian_kde, KDEpy FFTKDE (and
its ISJ), statsmodels KDEUnivariate and scikit-learn KernelDensity, each with its error against the exact sum.

Every case uses one bandwidth (scipy's 'scott') for everybody; errors are max relative errors where the
exact density exceeds 1e-3 of its maximum (the region the binned tolerance is promised on)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import scalecore as sc
from run import Case  # type: ignore[import-not-found]


def _exact(data: np.ndarray, h: float, q: np.ndarray) -> np.ndarray:
    return np.asarray(sc.KDE(data, bandwidth=h, method="exact").pdf(q))


def _max_rel_err(values: np.ndarray, exact: np.ndarray) -> float:
    mask = exact > 1e-3 * exact.max()
    return float(np.max(np.abs(values[mask] - exact[mask]) / exact[mask]))


def _grid_cases(data: np.ndarray, h: float, label: str) -> list[Case]:
    from KDEpy import FFTKDE
    from statsmodels.nonparametric.kde import KDEUnivariate

    grid, _ = FFTKDE(bw=h).fit(data).evaluate(2048)  # KDEpy's own grid; everybody evaluates there
    exact = _exact(data, h, grid)

    def ours() -> Any:
        return grid, sc.KDE(data, bandwidth=h, method="binned").pdf(grid)

    def kdepy() -> Any:
        return grid, FFTKDE(bw=h).fit(data).evaluate(grid)

    def statsmodels() -> Any:
        kde = KDEUnivariate(data)
        kde.fit(bw=h, fft=True, gridsize=2048, cut=3)
        return kde.support, kde.density

    def check(ours_out: Any, theirs: Any) -> tuple[bool, str]:
        g, values = theirs
        theirs_err = _max_rel_err(np.asarray(values), _exact(data, h, np.asarray(g)))
        ours_err = _max_rel_err(ours_out[1], exact)
        return ours_err * 100 <= theirs_err, f"err ours {ours_err:.1e} theirs {theirs_err:.1e}"

    return [
        Case(
            name=f"kde grid 2048, n={label}",
            ours=ours,
            baselines=[("KDEpy FFTKDE", kdepy), ("statsmodels KDEUnivariate fft", statsmodels)],
            check=check,
            target="as fast as KDEpy, >= 100x more accurate",
            repeat=5,
        )
    ]


def _points_cases(data: np.ndarray, h: float, label: str) -> list[Case]:
    from KDEpy import FFTKDE

    rng = np.random.default_rng(1)
    probe = rng.choice(data.size, 4000, replace=False)  # the exact sum at all n points would take hours
    exact = _exact(data, h, data[probe])

    def ours() -> Any:
        return sc.KDE(data, bandwidth=h).pdf(data)

    def kdepy_interp() -> Any:
        x, y = FFTKDE(bw=h).fit(data).evaluate(2**12)
        return np.interp(data, x, y)

    def check(ours_out: Any, theirs: Any) -> tuple[bool, str]:
        ours_err = _max_rel_err(np.asarray(ours_out)[probe], exact)
        theirs_err = _max_rel_err(np.asarray(theirs)[probe], exact)
        return ours_err <= 1e-6, f"err ours {ours_err:.1e} theirs {theirs_err:.1e}"

    return [
        Case(
            name=f"kde at all n points, n={label}",
            ours=ours,
            baselines=[("KDEpy grid + np.interp", kdepy_interp)],
            check=check,
            target="faster than KDEpy+interp at rel err <= 1e-6",
            repeat=3,
        )
    ]


def _exact_cases(data: np.ndarray, h: float, label: str) -> list[Case]:
    from scipy.stats import gaussian_kde

    grid = np.linspace(data.min() - 3 * h, data.max() + 3 * h, 2048)
    factor = h / float(np.std(data, ddof=1))

    def ours() -> Any:
        return sc.KDE(data, bandwidth=h, method="exact", n_threads=2).pdf(grid)

    def scipy() -> Any:
        return gaussian_kde(data, bw_method=factor)(grid)

    def check(ours_out: Any, theirs: Any) -> tuple[bool, str]:
        mask = theirs > 1e-300
        err = float(np.max(np.abs(ours_out[mask] - theirs[mask]) / theirs[mask]))
        return err <= 1e-12, f"rel diff {err:.1e}"

    return [
        Case(
            name=f"kde exact 2048 grid, n={label}, 2 threads",
            ours=ours,
            baselines=[("scipy gaussian_kde", scipy)],
            check=check,
            target=">= 4x scipy throughput",
            repeat=3,
        )
    ]


def _sklearn_cases(data: np.ndarray, h: float, label: str) -> list[Case]:
    try:
        from sklearn.neighbors import KernelDensity
    except ImportError:  # an optional peer: the other rows still run
        return []

    exact = _exact(data, h, data)

    def ours() -> Any:
        return sc.KDE(data, bandwidth=h, method="exact").pdf(data)

    def sklearn() -> Any:
        return np.exp(KernelDensity(bandwidth=h, rtol=1e-4).fit(data[:, None]).score_samples(data[:, None]))

    def check(ours_out: Any, theirs: Any) -> tuple[bool, str]:
        return True, f"err ours {_max_rel_err(ours_out, exact):.1e} theirs {_max_rel_err(theirs, exact):.1e}"

    return [
        Case(
            name=f"kde exact at all n points, n={label}",
            ours=ours,
            baselines=[("sklearn KernelDensity rtol=1e-4", sklearn)],
            check=check,
            target="",
        )
    ]


def _isj_cases(data: np.ndarray, label: str) -> list[Case]:
    from KDEpy import FFTKDE

    def ours() -> Any:
        return sc.KDE(data, bandwidth="isj").bandwidth

    def kdepy() -> Any:
        return FFTKDE(bw="ISJ").fit(data).bw

    def check(ours_out: Any, theirs: Any) -> tuple[bool, str]:
        rel = abs(ours_out / theirs - 1)
        botev = sc.KDE(data, bandwidth="isj_botev").bandwidth
        return rel <= 0.01, f"rel diff {rel:.1e} (Botev's ISJ: {botev:.4g}, KDEpy {theirs:.4g})"

    return [
        Case(
            name=f"kde ISJ bandwidth, n={label}",
            ours=ours,
            baselines=[("KDEpy FFTKDE(bw='ISJ')", kdepy)],
            check=check,
            target="within 1% of KDEpy",
            repeat=3,
        )
    ]


def _isj_2d_cases(n: int, label: str) -> list[Case]:
    from scalecore._reference.isj_2d import isj_2d

    xy = np.random.default_rng(3).multivariate_normal([0.0, 5.0], [[1.0, 0.6], [0.6, 4.0]], n)

    def ours() -> Any:
        return np.sqrt(np.diag(sc.KDE(xy, bandwidth="isj").bandwidth_matrix))

    def check(ours_out: Any, theirs: Any) -> tuple[bool, str]:
        rel = float(np.max(np.abs(ours_out / np.asarray(theirs) - 1)))
        return rel <= 1e-10, f"max rel diff {rel:.1e}, h = {ours_out[0]:.4g}, {ours_out[1]:.4g}"

    return [
        Case(
            name=f"kde ISJ 2-D bandwidth, n={label}",
            ours=ours,
            baselines=[("reference kde2d (NumPy/SciPy)", lambda: isj_2d(xy))],
            check=check,
            target="equal to the kde2d transcription to 1e-10",
            repeat=3,
        )
    ]


def _reference_on_grid(fn: Any, data: np.ndarray, h: float, grid: np.ndarray) -> np.ndarray:
    return np.concatenate([fn(data, h, grid[i : i + 1024]) for i in range(0, grid.size, 1024)])


def _query_cases(data: np.ndarray, label: str) -> list[Case]:
    """quantile, mode and hdi: one core call each, against the reference's brute-force sums on a fine grid
    (the answers agree to the grid's resolution)."""
    from scalecore._reference import kde as ref

    kde = sc.KDE(data, bandwidth="scott", method="exact")
    h = float(kde.bandwidth)
    grid = np.linspace(data.min() - 8 * h, data.max() + 8 * h, 2**13 + 1)
    step = float(grid[1] - grid[0])
    probs = np.linspace(0.01, 0.99, 99)

    def quantile_ref() -> Any:
        return np.interp(probs, _reference_on_grid(ref.cdf, data, h, grid), grid)

    def mode_ref() -> Any:
        return float(grid[np.argmax(_reference_on_grid(ref.pdf, data, h, grid))])

    def hdi_ref() -> Any:
        dens = _reference_on_grid(ref.pdf, data, h, grid)
        desc = np.sort(dens)[::-1]
        threshold = desc[np.searchsorted(np.cumsum(desc) * step, 0.95)]
        above = np.flatnonzero(dens >= threshold)
        return [(float(grid[above[0]]), float(grid[above[-1]]))]

    def close(tol: float) -> Any:
        def check(ours: Any, theirs: Any) -> tuple[bool, str]:
            diff = float(np.max(np.abs(np.ravel(ours) - np.ravel(theirs))))
            return diff <= tol, f"max diff {diff:.1e} (grid step {step:.1e})"

        return check

    return [
        Case(
            name=f"kde quantile 99 probabilities, n={label}",
            ours=lambda: kde.quantile(probs),
            baselines=[("reference cdf grid + interp", quantile_ref)],
            check=close(2 * step),
            target="one core call",
            repeat=5,
        ),
        Case(
            name=f"kde mode, n={label}",
            ours=kde.mode,
            baselines=[("reference pdf grid argmax", mode_ref)],
            check=close(2 * step),
            target="one core call",
            repeat=5,
        ),
        Case(
            name=f"kde hdi 0.95, n={label}",
            ours=lambda: kde.hdi(0.95),
            baselines=[("reference pdf grid threshold", hdi_ref)],
            check=close(2 * step),
            target="one core call",
            repeat=5,
        ),
    ]


def _resample_cases(data: np.ndarray, h: float, label: str, size: int) -> list[Case]:
    from scipy import stats

    factor = h / float(np.std(data, ddof=1))
    kde = sc.KDE(data, bandwidth=h)
    theirs = stats.gaussian_kde(data, bw_method=factor)

    def check(ours_out: Any, scipy_out: Any) -> tuple[bool, str]:
        # Two samples of one distribution: the two-sample Kolmogorov-Smirnov test.
        p = float(stats.ks_2samp(ours_out, np.ravel(scipy_out)).pvalue)
        return p > 1e-4, f"KS p {p:.2g}"

    return [
        Case(
            name=f"kde resample {size:.0e} draws, n={label}",
            ours=lambda: kde.resample(size, seed=0),
            baselines=[("scipy gaussian_kde.resample", lambda: theirs.resample(size, seed=0))],
            check=check,
            target="faster than scipy, same distribution",
            repeat=3,
        )
    ]


def cases(quick: bool) -> list[Case]:
    rng = np.random.default_rng(0)
    n = 10**5 if quick else 10**6
    label = f"1e{round(math.log10(n))}"
    data = rng.standard_normal(n)
    h = float(np.std(data, ddof=1)) * n**-0.2  # scipy's 'scott'
    n_exact = 10**4 if quick else 10**5
    small = data[:n_exact]
    h_small = float(np.std(small, ddof=1)) * n_exact**-0.2
    n_sk = 2000 if quick else 10**4
    h_sk = float(np.std(data[:n_sk], ddof=1)) * n_sk**-0.2
    return (
        _grid_cases(data, h, label)
        + _points_cases(data, h, label)
        + _exact_cases(small, h_small, f"1e{round(math.log10(n_exact))}")
        + _sklearn_cases(data[:n_sk], h_sk, str(n_sk))
        + _isj_cases(data, label)
        + _isj_2d_cases(n, label)
        + _query_cases(data[:n_sk], str(n_sk))
        + _resample_cases(small, h_small, f"1e{round(math.log10(n_exact))}", 10**5 if quick else 10**6)
    )

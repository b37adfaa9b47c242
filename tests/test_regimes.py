"""sc.regimes: intrinsic dimension (against cKDTree references and planted dimensions), local exponents, segments,
region fits (synthetic and the revisiting2022 learning curves)."""

from __future__ import annotations

import csv
import math
from collections import defaultdict
from pathlib import Path

import numpy as np
import pytest
import scalecore as sc
from hypothesis import given
from hypothesis import strategies as st
from scalecore._reference import regimes as ref


def embedded_gaussian(n: int, d: int, dim: int = 64, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    q, _ = np.linalg.qr(rng.standard_normal((dim, d)))
    return rng.standard_normal((n, d)) @ q.T + rng.standard_normal(dim)


@pytest.mark.parametrize("d", [2, 5, 10])
@pytest.mark.parametrize("method", ["twonn", "mle"])
def test_recovers_the_dimension_of_an_embedded_gaussian(d: int, method: str) -> None:
    r = sc.regimes.intrinsic_dimension(embedded_gaussian(20_000, d, seed=d), method)
    assert r.d == pytest.approx(d, rel=0.1)
    assert r.predicted_exponent == pytest.approx(4 / r.d)
    assert r.n_used == 20_000


@given(seed=st.integers(0, 2**32 - 1), n=st.integers(20, 400), dim=st.integers(1, 12), k=st.integers(2, 8))
def test_matches_the_reference(seed: int, n: int, dim: int, k: int) -> None:
    rng = np.random.default_rng(seed)
    pts = rng.standard_normal((n, dim)) * rng.uniform(0.1, 10, dim)
    assert sc.regimes.intrinsic_dimension(pts, "twonn").d == pytest.approx(ref.twonn(pts), rel=1e-9)
    assert sc.regimes.intrinsic_dimension(pts, "mle", k=k).d == pytest.approx(ref.levina_bickel(pts, k), rel=1e-9)


def test_duplicates_and_bad_input() -> None:
    with pytest.raises(sc.InvalidInputError, match=r"^points.*duplicates"):
        sc.regimes.intrinsic_dimension(np.ones((50, 3)))
    pts = embedded_gaussian(300, 2, dim=5)
    pts[1] = pts[0]
    keep = pts.copy()
    assert sc.regimes.intrinsic_dimension(pts).n_used == 298
    assert np.array_equal(pts, keep)
    bad = pts.copy()
    bad[3, 1] = np.nan
    with pytest.raises(sc.InvalidInputError, match=r"^points"):
        sc.regimes.intrinsic_dimension(bad)
    with pytest.raises(sc.InvalidInputError, match=r"^points"):
        sc.regimes.intrinsic_dimension(np.ones(10))
    with pytest.raises(sc.InvalidInputError, match=r"^method"):
        sc.regimes.intrinsic_dimension(pts, "pca")
    with pytest.raises(sc.InvalidInputError, match=r"^k"):
        sc.regimes.intrinsic_dimension(pts, "mle", k=1)
    with pytest.raises(sc.InvalidInputError, match=r"^k"):
        sc.regimes.intrinsic_dimension(pts[:5], "mle", k=10)


def test_thread_count_does_not_change_the_answer() -> None:
    pts = embedded_gaussian(5000, 4, dim=16, seed=3)
    a = sc.regimes.intrinsic_dimension(pts, "mle", n_threads=1)
    b = sc.regimes.intrinsic_dimension(pts, "mle", n_threads=2)
    assert a.d == b.d


@given(seed=st.integers(0, 2**32 - 1), n=st.integers(6, 40), window=st.integers(3, 6))
def test_local_exponents_match_polyfit(seed: int, n: int, window: int) -> None:
    rng = np.random.default_rng(seed)
    x = np.sort(rng.uniform(1, 1e4, n)) + np.arange(n)
    y = 0.1 + 3 * x ** -rng.uniform(0.1, 1.5) * np.exp(rng.normal(0, 0.05, n))
    window = min(window, n)
    r = sc.regimes.local_exponent(x, y, floor=0.05, window=window, n_resamples=50, seed=seed % 1000)
    assert np.allclose(r.exponent, ref.local_exponents(x, y, window, 0.05), rtol=1e-8, atol=1e-10)
    assert np.all(r.low <= r.high)


def test_local_exponent_interval_covers_a_planted_exponent() -> None:
    x = np.logspace(0, 4, 40)
    rng = np.random.default_rng(1)
    y = 2 * x**-0.6 * np.exp(rng.normal(0, 0.02, x.size))
    r = sc.regimes.local_exponent(x, y, window=9, n_resamples=400, seed=2)
    inside = (r.low <= 0.6) & (r.high >= 0.6)
    assert inside.mean() > 0.75
    again = sc.regimes.local_exponent(x, y, window=9, n_resamples=400, seed=2)
    assert np.array_equal(r.low, again.low)
    assert sc.regimes.loglog_correlation(x, y) < -0.99


def synthetic_curve(noise: float = 0.005, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Flat at 1 up to x = 10, then (x / 10)^-0.5 down to a floor of 0.03 (reached at x ~ 1.1e4)."""
    x = np.logspace(0, 6, 61)
    y = np.clip((x / 10) ** -0.5, 0.03, 1.0)
    return x, y * np.exp(np.random.default_rng(seed).normal(0, noise, x.size))


def test_synthetic_curve_is_segmented() -> None:
    x, y = synthetic_curve()
    seg = sc.regimes.segments(x[::-1], y[::-1])  # any order
    assert seg.kinds == ["plateau", "power_law", "floor"]
    plateau, power, floor = seg.segments
    assert 5 <= plateau.x_max <= 20
    assert 5e3 <= power.x_max <= 2.5e4
    assert floor.x_max == x.max()
    assert power.exponent == pytest.approx(0.5, abs=0.05)
    assert seg.mask("power").sum() == power.stop - power.start


def test_variance_limited_and_flat_curves() -> None:
    x = np.logspace(1, 4, 30)
    seg = sc.regimes.segments(x, 0.2 + 5 / x, floor=0.2)
    assert seg.kinds == ["variance_limited"]
    assert seg.power is not None and seg.power.exponent == pytest.approx(1.0, abs=1e-6)
    assert sc.regimes.segments(x, np.full(x.size, 2.0)).kinds == ["plateau"]


def test_bad_curves_are_refused() -> None:
    x = np.logspace(0, 2, 10)
    with pytest.raises(sc.InvalidInputError, match=r"^y"):
        sc.regimes.segments(x, x[:5])
    with pytest.raises(sc.InvalidInputError, match=r"^y"):
        sc.regimes.local_exponent(x, 1 / x, floor=0.5)
    with pytest.raises(sc.InvalidInputError, match=r"^x"):
        sc.regimes.segments(-x, 1 / x)
    with pytest.raises(sc.InvalidInputError, match=r"^window"):
        sc.regimes.local_exponent(x, 1 / x, window=2)
    with pytest.raises(sc.InvalidInputError, match=r"^region"):
        sc.regimes.fit_region((x, 1 / x), region="all")


def test_fit_region_fits_the_power_law_only() -> None:
    x, y = synthetic_curve(noise=0.002)
    rf = sc.regimes.fit_region((x, y), law="power", region="power")
    assert rf.fit.n_runs == int(rf.mask.sum()) < x.size
    assert rf.fit.params["alpha"] == pytest.approx(0.5, abs=0.1)
    runs = sc.Runs(x=x, loss=y)
    assert sc.regimes.fit_region(runs, region="power").fit.params == rf.fit.params
    after = sc.regimes.fit_region(runs)
    assert after.mask.sum() == rf.mask.sum() + (x.size - after.segments.segments[-1].start)


def _revisiting_curves(root: Path) -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    by: dict[str, list[tuple[float, float, int]]] = defaultdict(list)
    with open(root / "revisiting2022" / "curves.csv", newline="") as f:
        for row in csv.DictReader(f):
            by[f"{row['Domain']} {row['Model']}"].append(
                (float(row["Seen Examples"]), float(row["Loss"]), int(row["Training"]))
            )
    out = {}
    for name, rows in by.items():
        a = np.array(rows)
        out[name] = (a[:, 0], a[:, 1], a[:, 2] == 1)
    return out


def _log_error(fit: sc.FitResult, x: np.ndarray, y: np.ndarray) -> float:
    return float(np.mean(np.abs(np.log(fit.predict(x=x)) - np.log(y))))


def extrapolation_errors(root: Path) -> dict[str, tuple[float, float, list[str], tuple[float, float]]]:
    """Per curve: mean |log prediction - log loss| on the held-out rows for the power law fitted to the whole
    training curve and to the detected region, the segments, and the region's x range."""
    out = {}
    for name, (x, y, train) in _revisiting_curves(root).items():
        whole = sc.fit(sc.Runs(x=x[train], loss=y[train]), law="power")
        region = sc.regimes.fit_region((x[train], y[train]), law="power", region="after_plateau", window=3)
        held = ~train
        xs = region.segments.x[region.mask]
        out[name] = (
            _log_error(whole, x[held], y[held]),
            _log_error(region.fit, x[held], y[held]),
            region.segments.kinds,
            (float(xs.min()), float(xs.max())),
        )
    return out


def test_region_fit_on_revisiting2022_does_not_extrapolate_worse(shared_data: Path) -> None:
    figures = extrapolation_errors(shared_data)
    assert len(figures) == 10
    whole = np.array([f[0] for f in figures.values()])
    region = np.array([f[1] for f in figures.values()])
    assert np.all(np.isfinite(region))
    assert region.mean() <= whole.mean() * (1 + 1e-6), figures
    assert np.median(region - whole) <= 1e-9, figures
    assert not math.isnan(float(region.sum()))

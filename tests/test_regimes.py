"""sc.regimes: intrinsic dimension (against cKDTree references and planted dimensions), local exponents, segments,
region fits (synthetic and the revisiting2022 learning curves)."""

from __future__ import annotations

import csv
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
    known = sc.regimes.fit_region(runs, region="power", floor=0.0)
    after = sc.regimes.fit_region(runs, region="after_plateau", floor=0.0)
    assert after.mask.sum() == known.mask.sum() + (x.size - after.segments.segments[-1].start)


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
    training curve and to the detected power-law region (floor fitted), the segments, and the region's x range."""
    out = {}
    for name, (x, y, train) in _revisiting_curves(root).items():
        whole = sc.fit(sc.Runs(x=x[train], loss=y[train]), law="power")
        region = sc.regimes.fit_region((x[train], y[train]), law="power", window=3)
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
    assert np.all(region <= whole * (1 + 1e-6)), figures


def test_a_known_zero_floor_drops_the_bend_towards_e(shared_data: Path) -> None:
    """Segmenting y itself (floor=0) calls the bend of NMT curves towards their E a floor and drops it: the
    region fit then extrapolates worse, which is why the floor is fitted by default."""
    x, y, train = _revisiting_curves(shared_data)["NMT Dec-only"]
    fitted = sc.regimes.fit_region((x[train], y[train]), window=3)
    zero = sc.regimes.fit_region((x[train], y[train]), window=3, floor=0.0)
    assert zero.segments.kinds == ["power_law", "floor"] and zero.floor == 0.0
    assert fitted.segments.kinds == ["power_law"] and 0 < fitted.floor < y[train].min()
    held = ~train
    assert _log_error(zero.fit, x[held], y[held]) > 2 * _log_error(fitted.fit, x[held], y[held])


@pytest.mark.filterwarnings("ignore::scalecore.IdentifiabilityWarning")
def test_dropping_a_plateau_extrapolates_better() -> None:
    """A curve flat at 1 until E + A x^-alpha falls below it: the power law fitted to the whole curve is bent by
    the plateau, the one fitted to the detected region extrapolates two decades further with a far smaller error."""
    x = np.logspace(0, 5, 41)
    law = 0.2 + 30 * x**-0.6
    y = np.minimum(1.0, law) * np.exp(np.random.default_rng(4).normal(0, 0.002, x.size))
    region = sc.regimes.fit_region((x, y))
    assert region.segments.kinds[0] == "plateau" and region.mask[-1]
    whole = sc.fit(sc.Runs(x=x, loss=y), law="power")
    far = np.logspace(5.5, 7, 10)
    truth = 0.2 + 30 * far**-0.6
    assert _log_error(region.fit, far, truth) < 0.2 * _log_error(whole, far, truth)
    assert region.fit.params["alpha"] == pytest.approx(0.6, abs=0.05)


def test_floor_option() -> None:
    x, y = synthetic_curve(noise=0.002)
    with pytest.raises(sc.InvalidInputError, match=r"^floor"):
        sc.regimes.fit_region((x, y), floor="estimate")
    with pytest.raises(sc.InvalidInputError, match=r"^floor"):
        sc.regimes.fit_region((x, y), floor=True)
    with pytest.raises(sc.InvalidInputError, match=r"^y"):
        sc.regimes.fit_region((x, y), floor=0.5)
    known = sc.regimes.fit_region((x, y), floor=0.0)
    assert known.floor == 0.0 and known.segments.kinds == ["plateau", "power_law", "floor"]


def test_local_exponent_seed_none_is_recorded() -> None:
    x = np.logspace(0, 3, 20)
    y = 2 * x**-0.4 * np.exp(np.random.default_rng(6).normal(0, 0.02, x.size))
    r = sc.regimes.local_exponent(x, y, n_resamples=50)
    again = sc.regimes.local_exponent(x, y, n_resamples=50, seed=r.seed)
    assert np.array_equal(r.low, again.low) and np.array_equal(r.high, again.high)
    with pytest.raises(sc.InvalidInputError, match=r"^seed"):
        sc.regimes.local_exponent(x, y, seed="a")

"""sc.KDE against scipy, KDEpy, statsmodels and the pure-NumPy reference (docs/methods.md section 4, issue 4)."""

from __future__ import annotations

import math
import pickle

import numpy as np
import pytest
import scalecore as sc
from hypothesis import given
from hypothesis import strategies as st
from scalecore._reference import kde as ref
from scalecore.kde import KERNELS
from scipy.special import logsumexp
from scipy.stats import gaussian_kde


def _datasets(n: int, seed: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {
        "normal": rng.standard_normal(n),
        "bimodal": np.concatenate([rng.normal(-3, 0.5, n // 2), rng.normal(2, 1.0, n - n // 2)]),
        "skewed": rng.lognormal(0.0, 0.8, n),
        "heavy": rng.standard_t(3, n),
        "clustered": np.round(rng.normal(0, 3, n)) + 1e-3 * rng.standard_normal(n),
    }


def _rel_err(a: np.ndarray, b: np.ndarray, mask: np.ndarray) -> float:
    return float(np.max(np.abs(a[mask] - b[mask]) / np.abs(b[mask])))


# --- exact method against scipy ------------------------------------------------------------------------


@given(
    n=st.integers(2, 300),
    seed=st.integers(0, 2**32 - 1),
    weighted=st.booleans(),
    scale=st.sampled_from([1e-3, 1.0, 1e4]),
)
def test_exact_equals_scipy_gaussian_kde(n: int, seed: int, weighted: bool, scale: float) -> None:
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(n) * scale + rng.uniform(-5, 5) * scale
    w = rng.uniform(0.01, 1.0, n) if weighted else None
    if np.ptp(x) == 0:
        return
    theirs = gaussian_kde(x, weights=w)
    ours = sc.KDE(x, weights=w, method="exact")
    assert ours.bandwidth == pytest.approx(math.sqrt(theirs.covariance[0, 0]), rel=1e-13)
    q = np.linspace(x.min() - 40 * ours.bandwidth, x.max() + 40 * ours.bandwidth, 501)
    want = theirs(q)
    got = ours.pdf(q)
    mask = want > 1e-300
    # Equal to scipy to 1e-12, beyond which scipy's own rounding (it squares differences of whitened
    # coordinates, ~z^2 |x|/h eps) is the gap: measured against an extended-precision sum.
    truth = _extended_precision_1d(x, ours.bandwidth, q, w)
    assert _rel_err(got, truth, mask) <= 1e-12
    assert _rel_err(got, want, mask) <= 1e-12 + _rel_err(want, truth, mask)
    assert np.all(got[~mask] < 1e-290)
    logs = ours.logpdf(q)
    assert np.all(np.isfinite(logs))
    np.testing.assert_allclose(logs[mask], np.log(want[mask]), rtol=1e-12, atol=1e-12)


def _extended_precision_1d(x: np.ndarray, h: float, q: np.ndarray, w: np.ndarray | None) -> np.ndarray:
    ww = np.full(len(x), 1.0 / len(x)) if w is None else w / w.sum()
    z = (q.astype(np.longdouble)[:, None] - x.astype(np.longdouble)[None, :]) / np.longdouble(h)
    dens = (np.exp(-z * z / 2) * ww.astype(np.longdouble)).sum(axis=1) / (np.longdouble(h) * np.sqrt(2 * np.pi))
    return np.asarray(dens, dtype=np.float64)


def test_logpdf_finite_far_in_the_tails() -> None:
    x = np.random.default_rng(0).standard_normal(1000)
    k = sc.KDE(x)
    q = np.array([-1e3, -200.0, 150.0, 1e4])
    assert np.all(gaussian_kde(x)(q) == 0.0)
    got = k.logpdf(q)
    np.testing.assert_allclose(got, ref.logpdf_gaussian(x, k.bandwidth, q), rtol=1e-12)
    lap = sc.KDE(x, kernel="laplace", bandwidth=k.bandwidth)
    z = np.abs(q[:, None] - x[None, :]) / k.bandwidth
    want = logsumexp(-math.sqrt(2.0) * z, axis=1) - math.log(x.size) - 0.5 * math.log(2.0) - math.log(k.bandwidth)
    np.testing.assert_allclose(lap.logpdf(q), want, rtol=1e-12)


@pytest.mark.parametrize("d", [2, 3])
@pytest.mark.parametrize("weighted", [False, True])
def test_multivariate_exact_equals_scipy(d: int, weighted: bool) -> None:
    rng = np.random.default_rng(d)
    a = rng.standard_normal((d, d))
    x = rng.standard_normal((400, d)) @ a
    w = rng.uniform(0.1, 1.0, 400) if weighted else None
    for rule, scipy_rule in [("scott", "scott"), ("normal_reference", "silverman")]:
        theirs = gaussian_kde(x.T, bw_method=scipy_rule, weights=w)
        ours = sc.KDE(x, bandwidth=rule, weights=w)
        np.testing.assert_allclose(ours.bandwidth, theirs.covariance, rtol=1e-12)
        q = rng.standard_normal((300, d)) @ a
        want = theirs(q.T)
        mask = want > 1e-300
        truth = _extended_precision_nd(x, np.asarray(ours.bandwidth), q, w)
        assert _rel_err(ours.pdf(q), truth, mask) <= 1e-12
        scipy_truth = _extended_precision_nd(x, theirs.covariance, q, w)
        assert _rel_err(ours.pdf(q), want, mask) <= 1e-12 + _rel_err(want, scipy_truth, mask)
        np.testing.assert_allclose(ours.logpdf(q)[mask], np.log(want[mask]), rtol=1e-12, atol=1e-12)
    # an explicit bandwidth matrix and the reference formula
    H = np.cov(x, rowvar=False) * 0.3
    q = x[:20] + 0.1
    np.testing.assert_allclose(sc.KDE(x, bandwidth=H).pdf(q), ref.pdf_nd(x, H, q), rtol=1e-12)
    # Far out (squared Mahalanobis distances in the hundreds) rounding in the whitening grows with the
    # distance; against an extended-precision sum ours stays near 1e-12 where scipy drifts to ~1e-10.
    far = rng.standard_normal((100, d)) @ a * 2.5
    exact = _extended_precision_nd(x, np.asarray(sc.KDE(x, weights=w).bandwidth), far, w)
    assert _rel_err(sc.KDE(x, weights=w).pdf(far), exact, exact > 1e-300) <= 1e-11


def _extended_precision_nd(x: np.ndarray, H: np.ndarray, q: np.ndarray, w: np.ndarray | None) -> np.ndarray:
    ww = np.full(len(x), 1.0 / len(x)) if w is None else w / w.sum()
    H_inv = np.linalg.inv(H).astype(np.longdouble)
    H_inv = H_inv @ (2 * np.eye(len(H), dtype=np.longdouble) - H.astype(np.longdouble) @ H_inv)  # Newton step
    diff = q.astype(np.longdouble)[:, None, :] - x.astype(np.longdouble)[None, :, :]
    m = np.einsum("qnd,de,qne->qn", diff, H_inv, diff)
    det = np.prod(np.diag(np.linalg.cholesky(H)).astype(np.longdouble))
    dens = (np.exp(-m / 2) * ww.astype(np.longdouble)).sum(axis=1) / (np.sqrt(2 * np.pi) ** len(H) * det)
    return np.asarray(dens, dtype=np.float64)


# --- kernels against the reference --------------------------------------------------------------------


@pytest.mark.parametrize("kernel", KERNELS)
def test_every_kernel_matches_reference(kernel: str) -> None:
    rng = np.random.default_rng(7)
    x = np.concatenate([rng.normal(0, 1, 300), rng.normal(4, 0.3, 100)])
    w = rng.uniform(0.0, 1.0, 400)
    k = sc.KDE(x, bandwidth=0.4, kernel=kernel, weights=w)
    q = np.linspace(-6, 9, 777)
    want = ref.pdf(x, 0.4, q, kernel, w)
    np.testing.assert_allclose(k.pdf(q), want, rtol=1e-12, atol=1e-14 * want.max())
    np.testing.assert_allclose(k.cdf(q), ref.cdf(x, 0.4, q, kernel, w), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(k.cdf(q) + k.sf(q), 1.0, rtol=1e-12)
    pos = want > 1e-200
    np.testing.assert_allclose(k.logpdf(q)[pos], np.log(want[pos]), rtol=1e-11, atol=1e-11)
    # integrates to one with unit kernel variance
    grid = np.linspace(-10, 13, 200001)
    dens = k.pdf(grid)
    assert np.trapezoid(dens, grid) == pytest.approx(1.0, abs=1e-5)


# --- bandwidth rules -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "rule", ["scott", "normal_reference", "normal_reference_robust", "scott_robust", "rule_of_thumb"]
)
def test_rules_by_formula(rule: str) -> None:
    for name, x in _datasets(999, 3).items():
        assert sc.KDE(x, bandwidth=rule).bandwidth == pytest.approx(ref.rule_bandwidth(x, rule), rel=1e-12), name


def test_rule_aliases_in_other_libraries() -> None:
    from KDEpy.bw_selection import scotts_rule, silvermans_rule
    from statsmodels.nonparametric.bandwidths import bw_scott, bw_silverman

    def scipy_h(x: np.ndarray, method: str) -> float:
        return math.sqrt(gaussian_kde(x, bw_method=method).covariance[0, 0])

    for x in _datasets(1500, 4).values():
        assert sc.KDE(x, bandwidth="scott").bandwidth == pytest.approx(scipy_h(x, "scott"), rel=1e-12)
        assert sc.KDE(x, bandwidth="normal_reference").bandwidth == pytest.approx(scipy_h(x, "silverman"), rel=1e-12)
        assert sc.KDE(x, bandwidth="normal_reference_robust").bandwidth == pytest.approx(
            silvermans_rule(x[:, None]), rel=1e-12
        )
        assert sc.KDE(x, bandwidth="scott_robust").bandwidth == pytest.approx(scotts_rule(x[:, None]), rel=1e-12)
        # statsmodels rounds the normal IQR to 1.349 (1.5e-5 relative away from 1.3489795)
        assert sc.KDE(x, bandwidth="rule_of_thumb").bandwidth == pytest.approx(bw_silverman(x), rel=1e-4)
        assert sc.KDE(x, bandwidth="normal_reference_robust").bandwidth == pytest.approx(bw_scott(x), rel=1e-3)


def test_silverman_is_refused_with_the_alternatives_named() -> None:
    with pytest.raises(sc.InvalidInputError, match="normal_reference"):
        sc.KDE(np.arange(10.0), bandwidth="silverman")


def test_isj_botev_matches_botev_reference_and_is_scale_equivariant() -> None:
    for name, x in _datasets(3000, 5).items():
        h = sc.KDE(x, bandwidth="isj_botev").bandwidth
        assert h == pytest.approx(ref.isj(x), rel=1e-8), name
        assert sc.KDE(x * 1e-3 + 7, bandwidth="isj_botev").bandwidth == pytest.approx(h * 1e-3, rel=1e-8), name


def _isj_collection(sizes: list[int]) -> list[np.ndarray]:
    out = []
    for i, n in enumerate(sizes):
        out += list(_datasets(n, 100 + i).values())
    return out


def _check_isj_against_kdepy(data: list[np.ndarray]) -> None:
    from KDEpy.bw_selection import improved_sheather_jones

    for x in data:
        theirs = improved_sheather_jones(x[:, None])
        assert sc.KDE(x, bandwidth="isj").bandwidth == pytest.approx(theirs, rel=0.01)
        if np.ptp(x) >= 12:  # KDEpy's ISJ is exactly half of Botev's when its absolute padding is inactive
            assert sc.KDE(x, bandwidth="isj_botev").bandwidth == pytest.approx(2 * theirs, rel=0.01)


def test_isj_within_one_percent_of_kdepy() -> None:
    _check_isj_against_kdepy(_isj_collection([100, 1000, 10_000, 30_000]))  # 20 data sets


@pytest.mark.slow
def test_isj_within_one_percent_of_kdepy_large() -> None:
    _check_isj_against_kdepy(_isj_collection([300, 100_000, 1_000_000]))


def test_loo_bandwidth_maximises_loo_likelihood() -> None:
    for name, x in _datasets(300, 6).items():
        k = sc.KDE(x, bandwidth="loo_ml")
        h = k.bandwidth
        assert k._handle.loo_log_likelihood(h) == pytest.approx(ref.loo_log_likelihood(x, h), rel=1e-10)
        grid = np.geomspace(h / 20, h * 20, 400)
        brute = np.array([ref.loo_log_likelihood(x, g) for g in grid])
        best = ref.loo_log_likelihood(x, h)
        assert best >= brute.max() - 1e-9 * abs(brute.max()), name
        # and h is a local maximum at 1e-4 resolution
        assert best >= ref.loo_log_likelihood(x, h * 1.0001)
        assert best >= ref.loo_log_likelihood(x, h / 1.0001)


def test_loo_with_repeated_values_is_refused() -> None:
    with pytest.raises(sc.InvalidInputError, match="leave-one-out"):
        sc.KDE(np.repeat(np.arange(5.0), 3), bandwidth="loo_ml")


# --- binned method -------------------------------------------------------------------------------------


@pytest.mark.parametrize("tolerance", [1e-4, 1e-6, 1e-8])
def test_binned_within_tolerance_of_exact(tolerance: float) -> None:
    rng = np.random.default_rng(8)
    for name, x in _datasets(20_000, 9).items():
        for rule in ["scott", "isj"]:
            w = rng.uniform(0, 1, x.size) if name == "skewed" else None
            exact = sc.KDE(x, bandwidth=rule, weights=w, method="exact")
            binned = sc.KDE(x, bandwidth=exact.bandwidth, weights=w, method="binned", tolerance=tolerance)
            q = np.concatenate(
                [np.linspace(x.min() - 5 * exact.bandwidth, x.max() + 5 * exact.bandwidth, 3000), x[:2000]]
            )
            want = exact.pdf(q)
            got = binned.pdf(q)
            mask = want > 1e-3 * want.max()
            err = _rel_err(got, want, mask)
            assert err <= tolerance, (name, rule, err)
            logs = binned.logpdf(q)
            assert np.all(np.isfinite(logs))
            assert _rel_err(np.exp(logs), want, mask) <= 2 * tolerance


@given(
    seed=st.integers(0, 2**32 - 1),
    n_clusters=st.integers(1, 6),
    log_width=st.floats(-4, 1),
    log_h=st.floats(-2, 0.5),
    tolerance=st.sampled_from([1e-4, 1e-6, 1e-8]),
    weighted=st.booleans(),
)
def test_binned_tolerance_on_random_mixtures(
    seed: int, n_clusters: int, log_width: float, log_h: float, tolerance: float, weighted: bool
) -> None:
    # Clusters much narrower than the bandwidth are the hard case for binning (the kernel's own curvature).
    rng = np.random.default_rng(seed)
    centres = rng.uniform(-10, 10, n_clusters)
    x = rng.choice(centres, 1500) + rng.standard_normal(1500) * 10**log_width
    h = 10**log_h
    w = rng.uniform(0, 1, x.size) if weighted else None
    q = np.concatenate([np.linspace(x.min() - 4 * h, x.max() + 4 * h, 1500), x[:300]])
    want = sc.KDE(x, bandwidth=h, weights=w, method="exact").pdf(q)
    got = sc.KDE(x, bandwidth=h, weights=w, method="binned", tolerance=tolerance).pdf(q)
    mask = want > 1e-3 * want.max()
    assert _rel_err(got, want, mask) <= tolerance


def test_binned_falls_back_to_exact_far_away() -> None:
    x = np.random.default_rng(10).standard_normal(5000)
    k = sc.KDE(x, method="binned")
    q = np.array([-100.0, -4.0, 0.0, 4.5, 60.0])
    np.testing.assert_allclose(k.logpdf(q), ref.logpdf_gaussian(x, k.bandwidth, q), rtol=1e-6)
    assert not k._handle.sorted_ready  # beyond the extremes only the tail samples are used
    np.testing.assert_allclose(k.pdf(q[1:4]), ref.pdf(x, k.bandwidth, q[1:4]), rtol=1e-6)
    # a query in an empty gap inside the data range falls back to the full sorted sample
    gap = np.concatenate([x - 30, x + 30])
    kg = sc.KDE(gap, method="binned", bandwidth=0.2)
    np.testing.assert_allclose(kg.logpdf([0.0]), ref.logpdf_gaussian(gap, 0.2, np.array([0.0])), rtol=1e-9)
    assert kg._handle.sorted_ready


def test_auto_uses_binned_for_large_problems() -> None:
    x = np.random.default_rng(11).standard_normal(200_000)
    k = sc.KDE(x)
    k.pdf(x[:1000])  # 2e8 terms: binned
    assert k._handle.grid_ready
    small = sc.KDE(x[:100])
    small.pdf(x[:100])
    assert not small._handle.grid_ready


# --- queries -------------------------------------------------------------------------------------------


def test_cdf_sf_quantile_mode_hdi() -> None:
    x = _datasets(2000, 12)["bimodal"]
    k = sc.KDE(x, bandwidth="isj")
    q = np.linspace(-8, 8, 101)
    np.testing.assert_allclose(k.cdf(q), ref.cdf(x, k.bandwidth, q), rtol=1e-12, atol=1e-300)
    p = np.array([1e-9, 0.01, 0.3, 0.5, 0.77, 0.999, 1 - 1e-9])
    xq = k.quantile(p)
    np.testing.assert_allclose(np.where(p > 0.5, 1 - k.sf(xq), k.cdf(xq)), p, rtol=1e-9)
    assert k.sf(xq[-1]) == pytest.approx(1e-9, rel=1e-8)
    grid, dens = k.grid(200_001)
    assert k.mode() == pytest.approx(grid[np.argmax(dens)], abs=2 * (grid[1] - grid[0]))
    assert k.pdf(k.mode()) >= dens.max() * (1 - 1e-12)
    intervals = k.hdi(0.9)
    assert len(intervals) == 2  # two well separated modes
    mass = sum(float(k.cdf(b) - k.cdf(a)) for a, b in intervals)
    assert mass == pytest.approx(0.9, abs=2e-3)
    ends = np.array([e for iv in intervals for e in iv])
    np.testing.assert_allclose(k.pdf(ends), k.pdf(ends[0]), rtol=1e-6)
    gx, gy = k.grid(64, lo=-1, hi=1)
    assert gx.shape == gy.shape == (64,)
    assert gx[0] == -1
    assert gx[-1] == 1


def test_pdf_keeps_query_shape() -> None:
    k = sc.KDE(np.random.default_rng(13).standard_normal(50))
    assert k.pdf(0.0).shape == ()
    assert k.pdf(np.zeros((3, 4))).shape == (3, 4)
    assert k.cdf([1.0, 2.0]).shape == (2,)


def test_multivariate_mode_and_queries_of_wrong_dimension() -> None:
    rng = np.random.default_rng(14)
    x = rng.normal([1.0, -2.0], [0.5, 2.0], size=(3000, 2))
    k = sc.KDE(x)
    m = k.mode()
    assert k.pdf(m) >= k.pdf(x).max()
    for delta in ([1e-3, 0], [0, 1e-3], [-1e-3, 0], [0, -1e-3]):
        assert k.pdf(m) >= k.pdf(m + np.array(delta))
    with pytest.raises(sc.InvalidInputError, match="dimension"):
        k.pdf(np.zeros((4, 3)))
    with pytest.raises(sc.InvalidInputError, match="1-D"):
        k.cdf(np.zeros((4, 2)))


# --- diagnostics ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("kernel", ["gaussian", "epanechnikov", "laplace"])
def test_diagnostics_match_brute_force(kernel: str) -> None:
    rng = np.random.default_rng(15)
    x = rng.standard_normal(500)
    w = rng.uniform(0.1, 1, 500)
    k = sc.KDE(x, bandwidth=0.3, kernel=kernel, weights=w)
    q = np.array([-2.0, 0.0, 0.5, 2.1])
    terms = w / w.sum() * ref.kernel_pdf(kernel, (q[:, None] - x[None, :]) / 0.3)
    diag = k.diagnostics(q)
    np.testing.assert_allclose(diag.n_eff, terms.sum(1) ** 2 / (terms**2).sum(1), rtol=1e-10)
    np.testing.assert_allclose(diag.max_share, terms.max(1) / terms.sum(1), rtol=1e-10)
    far = sc.KDE(x, bandwidth=0.3, kernel="epanechnikov").diagnostics([50.0])
    assert far.n_eff[0] == 0
    assert np.isnan(far.max_share[0])
    assert "queries" in repr(diag)


def test_diagnostics_show_the_extreme_value_regime_in_high_dimension() -> None:
    # Biroli & Mezard: with log(n)/d small and a narrow bandwidth, one point dominates each query.
    rng = np.random.default_rng(16)
    x = rng.standard_normal((2000, 20))
    narrow = sc.KDE(x, bandwidth=0.3).diagnostics(rng.standard_normal((50, 20)))
    wide = sc.KDE(x, bandwidth=3.0).diagnostics(rng.standard_normal((50, 20)))
    assert np.median(narrow.max_share) > 0.5
    assert np.median(narrow.n_eff) < 3
    assert np.median(wide.n_eff) > 100


# --- determinism, pickling, inputs ---------------------------------------------------------------------


def test_same_bits_for_any_thread_count() -> None:
    x = np.random.default_rng(17).standard_normal(300_000)
    q = np.linspace(-6, 6, 5000)
    for method in ["exact", "binned"]:
        a = sc.KDE(x, method=method, n_threads=1).pdf(q)
        b = sc.KDE(x, method=method, n_threads=2).pdf(q)
        assert np.array_equal(a, b), method


def test_pickle_round_trip_keeps_bandwidth_and_values() -> None:
    x = np.random.default_rng(18).standard_normal(500)
    k = sc.KDE(x, bandwidth="isj", kernel="biweight", weights=np.arange(500.0))
    k2 = pickle.loads(pickle.dumps(k))
    assert k2.bandwidth == k.bandwidth
    assert k2.rule == "isj"
    assert repr(k2) == repr(k)
    np.testing.assert_array_equal(k2.pdf(x[:10]), k.pdf(x[:10]))
    kb = sc.KDE(x, method="binned")
    kb.pdf(0.0)
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(kb)).pdf(x[:10]), kb.pdf(x[:10]))


def test_inputs_are_not_modified() -> None:
    x = np.random.default_rng(19).standard_normal(100)
    w = np.ones(100)
    x0, w0 = x.copy(), w.copy()
    k = sc.KDE(x, weights=w, bandwidth="isj")
    k.pdf(x)
    k.quantile([0.5])
    assert np.array_equal(x, x0)
    assert np.array_equal(w, w0)
    x[:] = 0  # the estimate keeps its own copy
    assert k.pdf(0.0) == pytest.approx(sc.KDE(x0, weights=w0, bandwidth=k.bandwidth).pdf(0.0), rel=1e-14)


def test_huge_finite_samples_are_accepted() -> None:
    x = np.array([1e308, 1e308, -1e308])  # their sum overflows; they are still finite
    assert sc.KDE(x, bandwidth=1.0, method="exact").pdf(1e308) == pytest.approx(2 / 3 / math.sqrt(2 * math.pi))


def test_weights_n_eff_and_zero_weights() -> None:
    x = np.arange(10.0)
    w = np.array([0, 0, 1, 1, 1, 1, 0, 0, 0, 0.0])
    k = sc.KDE(x, weights=w, bandwidth=0.5)
    assert k.n_eff == pytest.approx(4.0)
    np.testing.assert_allclose(k.pdf([3.5]), sc.KDE(x[2:6], bandwidth=0.5).pdf([3.5]), rtol=1e-14)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"samples": []}, "samples"),
        ({"samples": [1.0]}, "two distinct"),
        ({"samples": [2.0, 2.0, 2.0]}, "two distinct"),
        ({"samples": [1.0], "bandwidth": "isj"}, "two distinct"),
        ({"samples": [1.0, np.nan, 2.0]}, "finite"),
        ({"samples": [1.0, np.inf, 2.0]}, "finite"),
        ({"samples": [1.0, 2.0], "weights": [1.0, np.nan]}, "weights"),
        ({"samples": [1.0, 2.0], "weights": [1.0, -1.0]}, "weights"),
        ({"samples": [1.0, 2.0], "weights": [0.0, 0.0]}, "weights"),
        ({"samples": [1.0, 2.0], "weights": [1.0]}, "weights"),
        ({"samples": [1.0, 2.0], "bandwidth": 0.0}, "bandwidth"),
        ({"samples": [1.0, 2.0], "bandwidth": -1.0}, "bandwidth"),
        ({"samples": [1.0, 2.0], "bandwidth": np.nan}, "bandwidth"),
        ({"samples": [1.0, 2.0], "bandwidth": "wide"}, "bandwidth"),
        ({"samples": [1.0, 2.0], "kernel": "box"}, "kernel"),
        ({"samples": [1.0, 2.0], "method": "fast"}, "method"),
        ({"samples": [1.0, 2.0], "tolerance": 0.0}, "tolerance"),
        ({"samples": [[1.0, 2.0, 0.0], [2.0, 1.0, 3.0], [0.0, 0.0, 1.0]], "method": "binned"}, "d <= 2"),
        ({"samples": [[1.0, 2.0], [2.0, 2.0], [0.0, 2.0]], "bandwidth": "isj"}, "dimension 1: the data-driven"),
        ({"samples": [[1.0, 2.0], [2.0, 1.0]], "bandwidth": [[1.0, 2.0], [2.0, 1.0]]}, "positive definite"),
        ({"samples": np.zeros((2, 2, 2))}, "samples"),
    ],
)
def test_bad_input_raises_invalid_input_error(kwargs: dict[str, object], match: str) -> None:
    with pytest.raises(sc.InvalidInputError, match=match):
        sc.KDE(**kwargs)  # type: ignore[arg-type]


def test_bad_queries_raise_invalid_input_error() -> None:
    k = sc.KDE(np.arange(5.0))
    for bad in ([np.nan], ["a"], [np.inf]):
        with pytest.raises(sc.InvalidInputError, match="x"):
            k.pdf(bad)
    with pytest.raises(sc.InvalidInputError, match="p"):
        k.quantile([0.0, 0.5])
    with pytest.raises(sc.InvalidInputError, match="level"):
        k.hdi(1.5)
    with pytest.raises(sc.InvalidInputError, match="n"):
        k.grid(1)
    with pytest.raises(sc.InvalidInputError, match="n_threads"):
        sc.KDE(np.arange(5.0), n_threads=0)


@pytest.mark.parametrize(
    ("x", "h"), [([0.0], 1e-160), ([0.0], 2.7e-154), ([1e-308, 5e-154], 1e-153), ([1e-308, 5e-154], 1e-155)]
)
def test_binned_density_at_tiny_bandwidths_equals_the_exact_sum(x: list[float], h: float) -> None:
    # Found by the core's KDE fuzzer: the binned grid's derivative, of order 1/h^2, overflowed below h ~ 1e-154
    # (pdf inf, or 1.2e289 where the density is 3.8e152); it is now kept per grid step.
    q = np.array([x[0], x[0] + h, 0.0])
    binned, exact = sc.KDE(x, bandwidth=h, method="binned"), sc.KDE(x, bandwidth=h, method="exact")
    np.testing.assert_allclose(binned.pdf(q), exact.pdf(q), rtol=1e-6)
    np.testing.assert_allclose(binned.logpdf(q), exact.logpdf(q), rtol=1e-6)

"""sc.ncx2_logcdf and sc.inductive_bias against SciPy, high-precision mpmath values and planted parameters."""

from __future__ import annotations

import math
import pickle
import time
import warnings
from typing import Any

import numpy as np
import pytest
import scalecore as sc
from hypothesis import given
from hypothesis import strategies as st
from scalecore._reference import inductive_bias as ref
from scipy import stats

LOG_TINY = math.log(np.finfo(float).tiny)  # below this scipy's CDF is subnormal or zero


def mp_logcdf(x: float, k: float, lam: float) -> float:
    """log P(X <= x), X ~ ncx2(k, lam), as the Poisson mixture in 60-digit arithmetic."""
    mpmath = pytest.importorskip("mpmath")
    with mpmath.workdps(60):
        x_, k_, mu = mpmath.mpf(x), mpmath.mpf(k), mpmath.mpf(lam) / 2
        total = mpmath.mpf(0)
        j = 0
        prev = mpmath.mpf(0)
        while True:
            w = mpmath.exp(-mu + j * mpmath.log(mu) - mpmath.loggamma(j + 1)) if lam > 0 else mpmath.mpf(j == 0)
            term = w * mpmath.gammainc(k_ / 2 + j, 0, x_ / 2, regularized=True)
            total += term
            if j > mu and term < total * mpmath.mpf(10) ** -40 and term <= prev:
                break
            prev = term
            j += 1
            if lam == 0:
                break
        return float(mpmath.log(total))


@given(
    x=st.floats(1e-3, 200.0),
    k=st.floats(0.2, 60.0),
    lam=st.floats(0.0, 80.0),
    scale=st.floats(0.05, 5.0),
)
def test_logcdf_matches_scipy_where_scipy_is_finite(x: float, k: float, lam: float, scale: float) -> None:
    theirs = (
        float(stats.ncx2.logcdf(x, k, lam, scale=scale)) if lam > 0 else float(stats.chi2.logcdf(x, k, scale=scale))
    )
    ours = sc.ncx2_logcdf(x, k, lam, scale)
    if LOG_TINY < theirs < -1e-6:
        assert ours == pytest.approx(theirs, rel=1e-10)
    elif theirs >= -1e-6:
        # log F near 0: scipy's log of a CDF near 1 keeps ~1e-16 absolute accuracy only.
        assert ours == pytest.approx(theirs, rel=1e-10, abs=1e-15)


@pytest.mark.parametrize(
    ("x", "k", "lam"),
    [(0.5, 400.0, 100.0), (1e-8, 3.0, 2000.0), (1.0, 60.0, 800.0), (1e-200, 4.0, 10.0), (1e-30, 20.0, 50.0)],
)
def test_logcdf_stays_finite_and_exact_where_scipy_underflows(x: float, k: float, lam: float) -> None:
    # -inf, or a subnormal CDF whose logarithm has lost digits.
    assert stats.ncx2.logcdf(x, k, lam) < LOG_TINY
    ours = sc.ncx2_logcdf(x, k, lam)
    assert math.isfinite(ours)
    assert ours == pytest.approx(mp_logcdf(x, k, lam), rel=1e-8)


@given(x=st.floats(1e-6, 50.0), k=st.floats(0.5, 30.0), lam=st.floats(0.0, 40.0))
def test_logcdf_matches_mpmath(x: float, k: float, lam: float) -> None:
    exact = mp_logcdf(x, k, lam)
    assert sc.ncx2_logcdf(x, k, lam) == pytest.approx(exact, rel=1e-8, abs=1e-15)


def mp_logcdf_huge_k(x: float, k: float, lam: float) -> float:
    """`mp_logcdf` for shapes near 1e10, where mpmath's incomplete gamma needs ~1e6 series terms: P(k/2, x/2)
    once (as the prefactor times 1F1(1; a + 1; y)), then P(a + j, y) = P(a + j - 1, y) - y^(a+j-1) e^-y / Gamma(a + j)
    in 60-digit arithmetic for the few Poisson terms a small lam needs."""
    mpmath = pytest.importorskip("mpmath")
    with mpmath.workdps(60):
        a, y, mu = mpmath.mpf(k) / 2, mpmath.mpf(x) / 2, mpmath.mpf(lam) / 2

        def prefactor(s: Any) -> Any:
            return mpmath.exp(s * mpmath.log(y) - y - mpmath.loggamma(s + 1))

        p = prefactor(a) * mpmath.hyp1f1(1, a + 1, y, maxterms=10**7)
        total, j = mpmath.mpf(0), 0
        while True:
            term = mpmath.exp(-mu + j * mpmath.log(mu) - mpmath.loggamma(j + 1)) * p
            total += term
            if j > mu and term < total * mpmath.mpf(10) ** -40:
                return float(mpmath.log(total))
            p -= prefactor(a + j)
            j += 1


@pytest.mark.parametrize("z", [-6.0, 0.4])
def test_logcdf_at_a_huge_number_of_degrees_of_freedom_matches_mpmath(z: float) -> None:
    # Beyond k ~ 1e10 the series near the mean used to stop at 1e5 terms, short of its ~1e6: Temme's uniform
    # expansion (Temme 1979) serves there.
    k, lam = 2e10, 3.0
    x = k + lam + z * math.sqrt(2 * (k + 2 * lam))
    assert sc.ncx2_logcdf(x, k, lam) == pytest.approx(mp_logcdf_huge_k(x, k, lam), rel=1e-8)


@pytest.mark.parametrize("z", [-8.0, -3.0, 0.0, 1.5])
def test_logcdf_at_a_huge_lam_is_fast_and_matches_scipy(z: float) -> None:
    # lam = 1e8 took 45 s when each of the ~1.3e5 mixture terms was evaluated afresh; the recurrences take
    # milliseconds (a generous bound here, for a loaded machine).
    k, lam = 5.0, 1e8
    x = k + lam + z * math.sqrt(2 * (k + 2 * lam))
    started = time.perf_counter()
    ours = sc.ncx2_logcdf(x, k, lam)
    assert time.perf_counter() - started < 5.0
    assert ours == pytest.approx(float(stats.ncx2.logcdf(x, k, lam)), rel=1e-10)


def test_logcdf_follows_numpy_conventions() -> None:
    assert isinstance(sc.ncx2_logcdf(1.0, 3.0, 2.0), float)
    x = np.linspace(0.1, 5, 6).reshape(2, 3)
    out = sc.ncx2_logcdf(x, np.array([1.0, 2.0, 3.0]), 2.0, 0.5)
    assert out.shape == (2, 3)
    assert out[1, 2] == sc.ncx2_logcdf(x[1, 2], 3.0, 2.0, 0.5)
    assert sc.ncx2_logcdf(0.0, 3.0, 2.0) == -np.inf
    assert sc.ncx2_logcdf(np.inf, 3.0, 2.0) == 0.0
    big_endian = np.linspace(0.1, 5, 7).astype(">f8")[::2]
    assert np.array_equal(sc.ncx2_logcdf(big_endian, 3.0, 2.0), sc.ncx2_logcdf(big_endian.astype(float), 3.0, 2.0))


@pytest.mark.parametrize(
    ("args", "name"),
    [
        ((1.0, 0.0, 1.0, 1.0), "k"),
        ((1.0, 2.0, -1.0, 1.0), "lam"),
        ((1.0, 2.0, 1.0, 0.0), "scale"),
        ((np.nan, 2.0, 1.0, 1.0), "x"),
        ((np.ones(3), np.ones(2), 1.0, 1.0), "x"),
    ],
)
def test_logcdf_bad_input_is_named(args: tuple[object, ...], name: str) -> None:
    with pytest.raises(sc.InvalidInputError, match=f"^{name}"):
        sc.ncx2_logcdf(*args)


@pytest.mark.parametrize(("k", "lam", "scale", "seed"), [(6.0, 4.0, 0.02, 0), (3.0, 12.0, 0.1, 1), (4.0, 20.0, 1.0, 4)])
def test_fit_recovers_planted_parameters(k: float, lam: float, scale: float, seed: int) -> None:
    x = stats.ncx2.rvs(k, lam, scale=scale, size=10_000, random_state=np.random.default_rng(seed))
    r = sc.inductive_bias(x, float(np.median(x)), n_resamples=0)
    assert r.converged
    p = r.params
    assert p["scale"] == pytest.approx(scale, rel=0.1)
    assert p["k"] + p["lam"] == pytest.approx(k + lam, rel=0.1)
    assert p["k"] == pytest.approx(k, rel=0.35, abs=1.0)
    assert p["lam"] == pytest.approx(lam, rel=0.35, abs=1.0)


@given(seed=st.integers(0, 2**32 - 1), n=st.integers(30, 300))
def test_fit_is_at_least_as_likely_as_the_reference(seed: int, n: int) -> None:
    rng = np.random.default_rng(seed)
    k, lam, scale = rng.uniform(1, 10), rng.uniform(0.5, 10), rng.uniform(0.01, 2)
    x = stats.ncx2.rvs(k, lam, scale=scale, size=n, random_state=rng)
    r = sc.inductive_bias(x, float(np.median(x)), n_resamples=0)
    *_, ll_ref = ref.fit_ncx2(x)
    ll_ours = float(np.mean(stats.ncx2.logpdf(x, r.params["k"], r.params["lam"], scale=r.params["scale"])))
    assert ll_ours == pytest.approx(r.log_likelihood, rel=1e-8, abs=1e-8)
    assert ll_ours >= ll_ref - 1e-6


def test_result_bits_interval_and_cross_check() -> None:
    x = stats.ncx2.rvs(5.0, 3.0, scale=0.05, size=2000, random_state=np.random.default_rng(3))
    keep = x.copy()
    eps = float(np.quantile(x, 0.02))
    r = sc.inductive_bias(x, eps, n_resamples=60, seed=4)
    assert np.array_equal(x, keep)
    assert r.bits == pytest.approx(r.nats / math.log(2))
    assert r.empirical_fraction == pytest.approx(0.02, abs=1e-3)
    assert r.bits == pytest.approx(-math.log2(r.empirical_fraction), rel=0.1)
    assert r.ci is not None and r.ci[0] < r.bits < r.ci[1]
    assert r.bootstrap_bits.size + r.n_failed == 60
    again = sc.inductive_bias(x, eps, n_resamples=60, seed=4, n_threads=1)
    assert np.array_equal(r.bootstrap_bits, again.bootstrap_bits)
    assert pickle.loads(pickle.dumps(r)).bits == r.bits
    assert "bits=" in repr(r)


def test_far_tail_warns_and_stays_finite() -> None:
    x = stats.ncx2.rvs(20.0, 10.0, scale=0.01, size=1000, random_state=np.random.default_rng(5))
    with pytest.warns(sc.ExtrapolationWarning, match="below every sampled error"):
        r = sc.inductive_bias(x, 1e-5, n_resamples=0)
    assert r.empirical_fraction is None and r.ci is None
    assert math.isfinite(r.bits) and r.bits > 100
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        sc.inductive_bias(x, float(np.median(x)), n_resamples=0)


@pytest.mark.parametrize(
    ("errors", "eps", "name"),
    [
        (np.ones(20), 0.0, "eps"),
        (np.ones(20), -1.0, "eps"),
        (np.ones(20), np.nan, "eps"),
        (np.r_[np.ones(19), 0.0], 0.5, "errors"),
        (np.r_[np.ones(19), -1.0], 0.5, "errors"),
        (np.r_[np.ones(19), np.nan], 0.5, "errors"),
        (np.ones(5), 0.5, "errors"),
    ],
)
def test_inductive_bias_bad_input_is_named(errors: np.ndarray, eps: float, name: str) -> None:
    with pytest.raises(sc.InvalidInputError, match=f"^{name}"):
        sc.inductive_bias(errors, eps)


def test_seed_none_is_recorded_and_repeats() -> None:
    x = stats.ncx2.rvs(4.0, 6.0, scale=0.1, size=400, random_state=np.random.default_rng(8))
    eps = float(np.quantile(x, 0.05))
    r = sc.inductive_bias(x, eps, n_resamples=30)
    assert r.ci == sc.inductive_bias(x, eps, n_resamples=30, seed=r.seed).ci
    with pytest.raises(sc.InvalidInputError, match=r"^seed"):
        sc.inductive_bias(x, eps, seed=-3)

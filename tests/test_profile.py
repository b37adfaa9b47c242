"""Profile-likelihood intervals: against a pure-SciPy reference (SLSQP with the quantity as an equality
constraint, brentq on the deviance) on random problems with both calibrations, against the exact t interval
of ordinary least squares where the law is linear in its parameters, nesting across levels, the coverage
warning and bad input."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
import scalecore as sc
from hypothesis import given, settings
from hypothesis import strategies as st
from scalecore import _coverage
from scalecore._reference import profile as ref
from scipy import optimize, stats


def power_runs(seed: int, n: int, noise: float = 0.02) -> tuple[sc.Runs, dict[str, float]]:
    rng = np.random.default_rng(seed)
    p = {"E": float(rng.uniform(1.0, 3.0)), "A": float(rng.uniform(5.0, 50.0)), "alpha": float(rng.uniform(0.2, 0.5))}
    x = np.geomspace(1e4, 1e8, n)
    y = (p["E"] + p["A"] * x ** -p["alpha"]) * np.exp(noise * rng.standard_normal(n))
    return sc.Runs(x=x, loss=y), p


def chinchilla_runs(seed: int, n: int = 30, noise: float = 0.02) -> sc.Runs:
    rng = np.random.default_rng(seed)
    N = 10 ** rng.uniform(7.0, 9.5, n)
    D = N * 10 ** rng.uniform(0.0, 2.0, n)
    clean = 1.69 + 406.4 / N**0.34 + 410.7 / D**0.28
    return sc.Runs(N=N, D=D, loss=clean * np.exp(noise * rng.standard_normal(n)))


def reference(
    runs: sc.Runs, law: str, quantity: str, compute: float | None = None, small_sample: bool = True
) -> tuple[float, float, float]:
    lw = sc.laws.get(law)
    columns = {name: getattr(runs, name) for name in lw.inputs if runs.has(name)}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", sc.ScalecoreWarning)
        start = lw.to_internal(sc.fit(runs, law, objective="lsq_log").params)
    q = ref.quantity_fn(quantity, lw.param_names, compute)
    return ref.profile_interval(law, columns, runs.loss, start, q, small_sample=small_sample)


def power_deviance_at(runs: sc.Runs, name: str, value: float) -> float:
    """n ln(SSR / SSR_min) of the power law in log space with `name` held at `value`, the other two parameters
    by Nelder-Mead from a grid of 49 starts."""
    x, y = runs.x, runs.loss
    fitted = sc.fit(runs, "power", objective="lsq_log").params

    def ssr(p: dict[str, float]) -> float:
        pred = p["E"] + p["A"] * x ** -p["alpha"]
        return float(np.sum((np.log(y) - np.log(pred)) ** 2)) if np.all(pred > 0) else math.inf

    free = [k for k in ("E", "A", "alpha") if k != name]
    best = math.inf
    for a in np.geomspace(0.05, 20.0, 7):
        for b in np.geomspace(0.05, 20.0, 7):
            start = [fitted[free[0]] * a, fitted[free[1]] * b]
            res = optimize.minimize(
                lambda v: ssr({name: value, free[0]: v[0], free[1]: v[1]}),
                start,
                method="Nelder-Mead",
                options={"xatol": 1e-12, "fatol": 1e-16, "maxiter": 4000},
            )
            best = min(best, float(res.fun))
    return len(y) * math.log(best / ssr(fitted))


@settings(max_examples=6, deadline=None)
@given(
    seed=st.integers(0, 2**31),
    n=st.integers(6, 14),
    name=st.sampled_from(["alpha", "E", "A"]),
    small_sample=st.booleans(),
)
def test_power_law_intervals_match_the_scipy_reference(seed: int, n: int, name: str, small_sample: bool) -> None:
    runs, _ = power_runs(seed, n, noise=0.01)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", sc.ScalecoreWarning)
        got = sc.profile(runs, "power", name, small_sample=small_sample)
    est, lo, hi = reference(runs, "power", name, small_sample=small_sample)
    dof = n - 3
    want = n * math.log1p(stats.f.ppf(0.95, 1, dof) / dof) if small_sample else stats.chi2.ppf(0.95, 1)
    assert got.critical == pytest.approx(want, rel=1e-10)
    log = name != "alpha"
    conv = math.exp if log else float
    assert got.estimate == pytest.approx(conv(est), rel=1e-5, abs=1e-7)
    for upper, mine, theirs in zip((False, True), got.ci, (lo, hi), strict=True):
        if math.isinf(theirs):
            assert not math.isfinite(mine) or mine == 0.0
        elif math.isinf(mine):
            # The core walks the law's parameter range only (the reference has none): an end beyond it is
            # reported open, after a walk that reached the range's end without crossing the critical value.
            far_psi, far_dev = got.path[-1] if upper else got.path[0]
            far = math.log(far_psi) if log else far_psi
            assert far_dev < got.critical
            if far < theirs if upper else far > theirs:
                continue
            # The walk passed the reference's end below the critical value: the reference's local search
            # (SLSQP from the previous point) must then have missed a better optimum there, which a multi-start
            # search finds (seed 225, n 6, A: the reference's end 5.1e8 has deviance 3.4, not 8.9).
            assert power_deviance_at(runs, name, conv(theirs)) < got.critical
        else:
            # the ends agree to a small fraction of the interval's width in internal units
            width = hi - lo if math.isfinite(hi - lo) else 1.0
            assert (math.log(mine) if log else mine) == pytest.approx(theirs, abs=2e-3 * width)


@pytest.mark.parametrize("quantity", ["a", "N_opt", "beta"])
def test_chinchilla_quantities_match_the_scipy_reference(quantity: str) -> None:
    runs = chinchilla_runs(3)
    compute = 1e24 if quantity == "N_opt" else None
    got = sc.profile(runs, "chinchilla", quantity, compute=compute)
    est, lo, hi = reference(runs, "chinchilla", quantity, compute)
    log = quantity == "N_opt"
    to_internal = math.log if log else float
    assert to_internal(got.estimate) == pytest.approx(est, abs=1e-5)
    assert got.bounded
    for mine, theirs in zip(got.ci, (lo, hi), strict=True):
        assert to_internal(mine) == pytest.approx(theirs, abs=2e-3 * (hi - lo))


@settings(max_examples=8, deadline=None)
@given(seed=st.integers(0, 2**31), n=st.integers(4, 12), level=st.sampled_from([0.8, 0.95, 0.99]))
def test_small_sample_interval_is_the_exact_t_interval_of_a_linear_law(seed: int, n: int, level: float) -> None:
    # ln L = ln A - alpha ln x is linear in (ln A, alpha): with Gaussian log noise the F-calibrated profile
    # interval of alpha is the classical t interval of the least-squares slope, whatever n.
    sc.laws.define("pure_power_test", "A * x^-alpha", positive=["A"], bounds={"alpha": (-5.0, 5.0)})
    rng = np.random.default_rng(seed)
    x = np.geomspace(1e3, 1e7, n) * np.exp(0.1 * rng.standard_normal(n))
    y = 30.0 * x**-0.3 * np.exp(0.05 * rng.standard_normal(n))
    got = sc.profile(sc.Runs(x=x, loss=y), "pure_power_test", "alpha", level=level)
    line = stats.linregress(np.log(x), np.log(y))
    half = stats.t.ppf(0.5 + level / 2, n - 2) * line.stderr
    assert got.estimate == pytest.approx(-line.slope, abs=1e-8)
    assert got.ci.low == pytest.approx(-line.slope - half, abs=1e-6 * half)
    assert got.ci.high == pytest.approx(-line.slope + half, abs=1e-6 * half)
    wilks = sc.profile(sc.Runs(x=x, loss=y), "pure_power_test", "alpha", level=level, small_sample=False)
    assert wilks.ci.low > got.ci.low and wilks.ci.high < got.ci.high and not wilks.small_sample


def test_n_opt_estimate_is_the_fits_allocation_and_levels_nest() -> None:
    runs = chinchilla_runs(5)
    p95 = sc.profile(runs, "chinchilla", "N_opt", compute=1e23, small_sample=False)
    p99 = sc.profile(runs, "chinchilla", "N_opt", compute=1e23, level=0.99, small_sample=False)
    f95 = sc.profile(runs, "chinchilla", "N_opt", compute=1e23)
    lsq = sc.fit(runs, "chinchilla", objective="lsq_log")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", sc.ExtrapolationWarning)
        n_opt = float(lsq.allocate(1e23).N)
    assert p95.estimate == pytest.approx(n_opt, rel=1e-6)
    assert p99.ci.low < p95.ci.low < p95.estimate < p95.ci.high < p99.ci.high
    assert p95.critical == pytest.approx(3.841458820694124)
    # the small-sample interval contains the large-sample one and its critical value is larger
    assert f95.critical > p95.critical
    assert f95.ci.low < p95.ci.low and p95.ci.high < f95.ci.high
    # the deviance along the path is zero at the estimate and crosses the critical value at the ends
    dev = np.interp(p95.estimate, p95.path[:, 0], p95.path[:, 1])
    assert dev == pytest.approx(0.0, abs=1e-9)
    assert p95.path[:, 1].max() > p95.critical


def test_an_unidentified_end_is_reported_open() -> None:
    # Three decades of x and an exponent so small that E and A trade off: alpha's upper end never crosses.
    x = np.geomspace(1e2, 1e3, 6)
    y = (1.0 + 5.0 * x**-0.05) * np.exp(0.03 * np.random.default_rng(0).standard_normal(6))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", sc.ScalecoreWarning)
        got = sc.profile(sc.Runs(x=x, loss=y), "power", "E")
    assert not got.bounded


def test_the_coverage_warning_reads_the_one_table(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(_coverage.COVERAGE, ("power", "alpha"), {5: {"profile": 0.80, "laplace": 0.93}})
    runs, _ = power_runs(1, 7)
    with pytest.warns(_coverage.CoverageWarning, match="80%.*laplace interval covered 93%"):
        sc.profile(runs, "power", "alpha")
    assert _coverage.recommended("power", "alpha", 7) == "laplace"
    with warnings.catch_warnings():
        warnings.simplefilter("error", _coverage.CoverageWarning)
        sc.profile(runs, "power", "alpha", warn=False)
        sc.profile(runs, "power", "E")  # not studied: no warning


def test_each_calibration_is_warned_from_its_own_row(monkeypatch: pytest.MonkeyPatch) -> None:
    row = {5: {"profile": 0.95, "profile_chi2": 0.70}}
    monkeypatch.setitem(_coverage.COVERAGE, ("power", "alpha"), row)
    runs, _ = power_runs(4, 6)
    with pytest.warns(_coverage.CoverageWarning, match="profile_chi2 interval .* 70%.*profile interval covered 95%"):
        sc.profile(runs, "power", "alpha", small_sample=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error", _coverage.CoverageWarning)
        sc.profile(runs, "power", "alpha")


def test_bad_input_names_the_argument() -> None:
    runs, _ = power_runs(2, 8)
    with pytest.raises(sc.InvalidInputError, match="quantity"):
        sc.profile(runs, "power", "gamma")
    with pytest.raises(sc.InvalidInputError, match="quantity"):
        sc.profile(runs, "power", "N_opt", compute=1e24)
    with pytest.raises(sc.InvalidInputError, match="compute"):
        sc.profile(chinchilla_runs(0), "chinchilla", "N_opt")
    with pytest.raises(sc.InvalidInputError, match="compute"):
        sc.profile(chinchilla_runs(0), "chinchilla", "N_opt", compute=-1.0)
    with pytest.raises(sc.InvalidInputError, match="runs"):
        sc.profile(runs.subset(np.arange(3)), "power", "alpha")
    with pytest.raises(sc.InvalidInputError, match="level"):
        sc.profile(runs, "power", "alpha", level=1.5)
    with pytest.raises(sc.InvalidInputError, match="small_sample"):
        sc.profile(runs, "power", "alpha", small_sample="yes")  # type: ignore[arg-type]
    with pytest.raises(sc.InvalidInputError, match="loss"):
        sc.profile({"x": [1.0, 2.0, 3.0, 4.0, 5.0], "loss": [1.0, np.nan, 1.0, 1.0, 1.0]}, "power")


def test_every_studied_size_has_a_recommended_interval_within_90_to_98_percent() -> None:
    # The acceptance read from the one home of the study's table: at each studied size, the
    # interval recommended covers the truth in 90-98 % of simulated data sets at a nominal 95 %.
    for (law, quantity), sizes in _coverage.COVERAGE.items():
        for n_runs, measured in sizes.items():
            best = _coverage.recommended(law, quantity, n_runs)
            assert best is not None and 0.90 <= measured[best] <= 0.98, (law, quantity, n_runs, measured)


def test_the_measured_table_warns_for_the_chi_squared_profile_with_ten_chinchilla_runs() -> None:
    runs = chinchilla_runs(11, n=10, noise=0.01)
    measured = _coverage.COVERAGE[("chinchilla", "N_opt")][10]
    # what docs/intervals.md reports: Wilks' calibration is poor at 10 runs, the F calibration is not
    assert measured["profile_chi2"] < _coverage.POOR <= measured["profile"]
    with pytest.warns(_coverage.CoverageWarning, match="profile_chi2 interval of N_opt"):
        sc.profile(runs, "chinchilla", "N_opt", compute=1e24, small_sample=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error", _coverage.CoverageWarning)
        sc.profile(runs, "chinchilla", "N_opt", compute=1e24)

"""sc.bounds: the check tables of docs/bounds.md, properties, Rust against the NumPy/SciPy reference, bad input."""

from __future__ import annotations

import math
import pickle
from typing import Any

import numpy as np
import pytest
import scalecore as sc
from hypothesis import assume, given
from hypothesis import strategies as st
from scalecore._reference import bounds as ref

B = sc.bounds


def sig_digits(text: str) -> int:
    mantissa = text.lower().split("e")[0].replace("-", "").replace(".", "").lstrip("0")
    return len(mantissa)


def agrees(got: float, stated: str) -> bool:
    """`got` rounds to the stated value at the number of significant digits it is stated with."""
    value = float(stated)
    unit = 10.0 ** (math.floor(math.log10(abs(value))) - sig_digits(stated) + 1)
    return abs(got - value) <= 0.5 * unit * (1 + 1e-9)


# --- check tables ------------------------------------------------------------------------------------------


def test_tools_check_values() -> None:
    # docs/bounds.md section 2: Bernoulli-logit KL at u = 0, v = 2 and its bound; distinct units for K = 10.
    assert agrees(float(B.bernoulli_logit_kl(0.0, 2.0)), "0.433781")
    assert float(B.bernoulli_logit_kl(0.0, 2.0)) <= (0.0 - 2.0) ** 2 / 8
    u, v = np.linspace(-800, 800, 41)[:, None], np.linspace(-30, 30, 13)[None, :]
    kl = B.bernoulli_logit_kl(u, v)
    assert np.all(np.isfinite(kl))
    assert np.all(kl >= -1e-15)
    assert np.all(kl <= (u - v) ** 2 / 8 + 1e-12)
    kappa = B.DirichletProcessTeacher(64, 10, 1).distinct_units([10, 100, 1000])
    for got, stated in zip(kappa, ["7.188", "24.442", "46.655"], strict=True):
        assert agrees(got, stated)
    assert np.allclose(kappa, ref.distinct_units_dirichlet([10, 100, 1000], 10.0), rtol=1e-13)
    assert B.FiniteTeacher(4, 50, 1).distinct_units([10, 50, 80]).tolist() == [10, 50, 50]


DP_TABLE = [
    # d, C, p*, T*, T*/p*, U*  (docs/bounds.md section 3, K = 10, B = 1)
    (64, "1e12", "2.4130e4", "4.1442e7", "1717.4", "6.3086e-4"),
    (64, "1e16", "1.4467e6", "6.9122e9", "4777.8", "1.0941e-5"),
    (64, "1e20", "1.0268e8", "9.7389e11", "9484.6", "1.5602e-7"),
    (4, "1e16", "1.0914e6", "9.1622e9", "8394.6", "1.105e-6"),
    (256, "1e16", "1.6544e6", "6.0444e9", "3653.4", "3.763e-5"),
]


@pytest.mark.parametrize(("d", "C", "p", "T", "ratio", "U"), DP_TABLE)
def test_dirichlet_process_table(d: int, C: str, p: str, T: str, ratio: str, U: str) -> None:
    r = B.allocate(B.DirichletProcessTeacher(d, 10, 1), float(C))
    assert agrees(r.p[0], p), r
    assert agrees(r.T[0], T), r
    assert agrees(r.tokens_per_param[0], ratio), r
    assert agrees(r.value[0], U), r
    assert r.value[0] == pytest.approx(r.misspecification[0] + r.estimation[0], rel=1e-14)


def test_dirichlet_process_local_slope() -> None:
    # docs/bounds.md section 3: d ln p*/d ln C over successive two-decade steps from 1e12, i.e. at 1e13, 1e15, ...
    r = B.allocate(B.DirichletProcessTeacher(64, 10, 1), [1e13, 1e15, 1e17, 1e19, 1e21])
    assert np.round(r.local_exponent, 3).tolist() == [0.438, 0.451, 0.460, 0.466, 0.470]
    # ... and the two-decade secant slopes themselves.
    c = 10.0 ** np.arange(12, 23, 2)
    p = B.allocate(B.DirichletProcessTeacher(64, 10, 1), c).p
    secant = np.diff(np.log(p)) / np.diff(np.log(c))
    assert np.round(secant, 3).tolist() == [0.438, 0.451, 0.460, 0.466, 0.470]


LAMBERT_TABLE = [
    # C, p*, T*, T*/p*, U*  (docs/bounds.md section 4, a = 1, b0 = 0, b1 = 1)
    ("1e8", "3.313897e3", "3.017595e4", "9.1059", "5.703800e-4"),
    ("1e12", "2.720279e5", "3.676093e6", "13.5137", "7.080158e-6"),
    ("1e16", "2.358585e7", "4.239830e8", "17.9762", "8.243801e-8"),
    ("1e20", "2.109603e9", "4.740228e10", "22.4698", "9.269497e-10"),
]


@pytest.mark.parametrize("method", ["auto", "numerical"])
@pytest.mark.parametrize(("C", "p", "T", "ratio", "U"), LAMBERT_TABLE)
def test_lambert_table(C: str, p: str, T: str, ratio: str, U: str, method: str) -> None:
    r = B.allocate(B.InverseLog(1, 0, 1), float(C), method=method)
    assert agrees(r.p[0], p), r
    assert agrees(r.T[0], T), r
    assert agrees(r.value[0], U), r
    assert agrees(r.tokens_per_param[0], ratio), r


def test_lambert_matches_scipy_and_survives_huge_budgets() -> None:
    c = np.geomspace(1e3, 1e150, 60)
    for a, b0, b1 in [(1.0, 0.0, 1.0), (3.0, 2.0, 0.5), (0.2, 7.0, 3.0)]:
        r = B.allocate(B.InverseLog(a, b0, b1), c)
        p, T = ref.inverse_log_allocation(a, b0, b1, c)
        np.testing.assert_allclose(r.p, p, rtol=1e-12)
        np.testing.assert_allclose(r.T, T, rtol=1e-12)
    # Below aC = b0 + b1 the unconstrained optimum has p < 1, outside the shape's domain: the edge p = 1.
    edge = B.allocate(B.InverseLog(0.2, 7.0, 3.0), 10.0)
    assert edge.p[0] == 1.0
    assert edge.local_exponent[0] == 0.0
    # z = (2aC/b1) e^(2(b0/b1 + 1)) overflows here; the log-form iteration does not.
    r = B.allocate(B.InverseLog(1.0, 500.0, 1.0), [1e300])
    x = math.log(r.p[0])
    assert np.isfinite(r.p[0])
    assert 2 * x + math.log(501.0 + x) == pytest.approx(math.log(1e300), rel=1e-14)


def test_regression_oracle_check() -> None:
    # docs/bounds.md section 5: I = 5.8678 +- 0.0005 nats, Jensen bound 5.99474 (d = 5, T = 50, s2 = 0.2, sigma2 = 1).
    r = B.linear_regression_information(5, 50, 0.2, 1.0, n_mc=40_000, seed=1)
    assert agrees(r.jensen_bound, "5.99474")
    assert agrees(r.error_bound, "0.119895")
    assert abs(r.information - 5.8678) < 4 * math.hypot(r.standard_error, 0.0005)
    assert abs(r.error - 0.11736) < 4 * math.hypot(r.error_standard_error, 0.0005 / 50)
    assert r.information < r.jensen_bound


def test_regression_oracle_agrees_with_reference_and_kl_sum() -> None:
    ours = B.linear_regression_information(3, 20, 0.5, 0.7, n_mc=20_000, seed=5)
    info, se, jensen = ref.linear_regression_information(3, 20, 0.5, 0.7, n_mc=20_000, seed=5)
    assert jensen == pytest.approx(ours.jensen_bound, rel=1e-14)
    assert abs(ours.information - info) < 4 * math.hypot(se, ours.standard_error)
    # The identity L_T = I / T: summing the Bayesian predictor's per-step KLs gives I as well.
    kl, kl_se = ref.linear_regression_kl_sum(3, 20, 0.5, 0.7, n_mc=4000, seed=6)
    assert abs(kl - ours.information) < 4 * math.hypot(kl_se, ours.standard_error)


def test_regression_oracle_same_bits_for_any_thread_count() -> None:
    a = B.linear_regression_information(4, 30, 0.3, 1.0, n_mc=3000, seed=9, n_threads=1)
    b = B.linear_regression_information(4, 30, 0.3, 1.0, n_mc=3000, seed=9, n_threads=2)
    assert a == b
    # More samples than dimensions and fewer take different Gram orientations; both stay below Jensen.
    c = B.linear_regression_information(30, 4, 0.3, 1.0, n_mc=2000, seed=9)
    assert 0 < c.information < c.jensen_bound


# --- properties -----------------------------------------------------------------------------------------------

positive = st.floats(0.01, 100.0)
budgets = st.floats(1e5, 1e24)


@st.composite
def rust_bounds(draw: Any) -> Any:
    kind = draw(st.sampled_from(["linear", "log", "power", "finite", "dp"]))
    if kind == "linear":
        return B.InverseLinear(draw(positive), draw(positive))
    if kind == "log":
        return B.InverseLog(draw(positive), draw(st.floats(0.0, 50.0)), draw(positive))
    if kind == "power":
        return B.PowerLaw(
            draw(st.floats(0.0, 3.0)), draw(positive), draw(positive), *draw(st.tuples(*[st.floats(0.1, 1.5)] * 2))
        )
    d = draw(st.integers(1, 512))
    if kind == "finite":
        return B.FiniteTeacher(d, draw(st.floats(1.0, 1e6)), draw(st.floats(0.1, 10.0)))
    return B.DirichletProcessTeacher(d, draw(st.floats(0.1, 1e3)), draw(st.floats(0.1, 10.0)))


def reference_value(bound: Any, p: Any, T: Any, floor: bool = True) -> Any:
    if isinstance(bound, B.InverseLinear):
        return ref.inverse_linear(p, T, bound.a, bound.b)
    if isinstance(bound, B.InverseLog):
        return ref.inverse_log(p, T, bound.a, bound.b0, bound.b1)
    if isinstance(bound, B.PowerLaw):
        return ref.power_law(p, T, bound.E if floor else 0.0, bound.A, bound.B, bound.alpha, bound.beta)
    if isinstance(bound, B.FiniteTeacher):
        return ref.finite_teacher(p, T, bound.d, bound.N, bound.B)[0]
    return ref.dirichlet_process_teacher(p, T, bound.d, bound.K, bound.B)[0]


@given(
    rust_bounds(),
    st.lists(st.floats(0.0, 25.0), min_size=1, max_size=8),
    st.lists(st.floats(0.0, 30.0), min_size=1, max_size=8),
)
def test_evaluate_nonnegative_decreasing_in_tokens_and_matches_reference(
    bound: Any, log_p: list[float], log_t: list[float]
) -> None:
    p = bound.p_min * np.exp(np.array(log_p))[:, None]
    T = np.exp(np.array(log_t))[None, :]
    terms = bound.terms(p, T)
    assert terms.value.shape == (len(log_p), len(log_t))
    assert np.all(terms.misspecification >= 0)
    assert np.all(terms.estimation >= 0)
    assert np.all(terms.value >= 0)
    np.testing.assert_allclose(terms.value, reference_value(bound, p, T), rtol=1e-12)
    np.testing.assert_array_equal(bound.evaluate(p, T), terms.value)
    later = bound.evaluate(p, T * 1.5)
    assert np.all(later <= terms.value * (1 + 1e-14))


def reducible(bound: Any, p: Any, T: Any) -> Any:
    """The bound less its constant floor (which moves no optimum but would drown the rest in rounding)."""
    return reference_value(bound, p, T, floor=False)


@pytest.mark.parametrize(
    ("p_shape", "t_shape"),
    [((4, 1), (1, 3)), ((4, 1), (3,)), ((1, 4), (3, 1)), ((4,), (3, 1)), ((1, 1), (3,)), ((4, 3), (1, 3)), ((), (3,))],
)
def test_grid_layouts_match_paired_points(p_shape: tuple[int, ...], t_shape: tuple[int, ...]) -> None:
    bound = B.DirichletProcessTeacher(8, 2.0, 1.5)
    p = np.geomspace(9.0, 1e8, int(np.prod(p_shape))).reshape(p_shape)
    T = np.geomspace(1.0, 1e12, int(np.prod(t_shape))).reshape(t_shape)
    out = bound.evaluate(p, T)
    pb, tb = np.broadcast_arrays(p, T)
    assert out.shape == pb.shape
    np.testing.assert_array_equal(out, bound.evaluate(pb.ravel(), tb.ravel()).reshape(pb.shape))
    np.testing.assert_allclose(out, reference_value(bound, p, T), rtol=1e-12)


def numerical_derivative(bound: Any, u: float, c: float, h: float = 1e-4) -> tuple[float, float]:
    g = lambda x: float(reducible(bound, math.exp(x), c / math.exp(x)))  # noqa: E731
    return (g(u + h) - g(u - h)) / (2 * h), g(u)


@given(rust_bounds(), st.lists(budgets, min_size=1, max_size=5), st.sampled_from(["auto", "numerical"]))
def test_allocation_budget_identity_and_first_order_condition(bound: Any, c: list[float], method: str) -> None:
    r = B.allocate(bound, c, method=method)
    np.testing.assert_allclose(r.p * r.T, c, rtol=1e-12, atol=0)
    np.testing.assert_allclose(r.value, bound.evaluate(r.p, r.T), rtol=1e-14)
    for p, budget in zip(r.p, c, strict=True):
        u = math.log(p)
        lo, hi = math.log(bound.p_min), math.log(budget / 2)
        if isinstance(bound, B.FiniteTeacher):
            # kappa has a kink at n = N, where a minimum may sit; the first-order condition holds elsewhere.
            assume(abs(p / (bound.d + 1) - bound.N) > 1e-3 * bound.N)
        unconstrained = method == "auto" and isinstance(bound, (B.InverseLinear, B.PowerLaw))
        if not unconstrained and not (lo + 1e-3 < u < hi - 1e-3):
            continue  # an optimum at the edge of the search interval has no stationarity condition
        slope, g = numerical_derivative(bound, u, budget)
        assert abs(slope) <= 1e-6 * abs(g), (p, budget, slope, g)


@given(rust_bounds(), st.lists(budgets, min_size=1, max_size=4))
def test_numerical_allocation_matches_reference(bound: Any, c: list[float]) -> None:
    r = B.allocate(bound, c, method="numerical")
    out = ref.allocate_numerical(lambda p, T: reducible(bound, p, T), c, bound.p_min)
    # A minimum at the finite teacher's kink (n = N) is located to Brent's tolerance only, on a steep V.
    rtol = 1e-6 if isinstance(bound, B.FiniteTeacher) else 1e-9
    ours_u, theirs_u = r.misspecification + r.estimation, out["value"]
    assert np.all((ours_u <= theirs_u * (1 + 1e-12)) | np.isclose(ours_u, theirs_u, rtol=rtol, atol=0)), (
        ours_u,
        theirs_u,
    )
    for ours, theirs, budget in zip(r.p, out["p"], c, strict=True):
        # Where the bound is flat in ln p its argmin is only known to sqrt(eps)-relative accuracy in the value.
        g_ours, g_theirs = reducible(bound, ours, budget / ours), reducible(bound, theirs, budget / theirs)
        assert g_ours <= g_theirs * (1 + 1e-12) or abs(math.log(ours / theirs)) < 1e-5, (bound, budget, ours, theirs)
    if not isinstance(bound, B.FiniteTeacher):
        interior = (np.log(r.p) > math.log(bound.p_min) + 0.1) & (np.log(r.T) > math.log(2) + 0.1)
        np.testing.assert_allclose(r.local_exponent[interior], out["local_exponent"][interior], atol=2e-3)


@given(st.floats(0.01, 100), st.floats(0.01, 100), st.floats(0.05, 2.0), st.floats(0.05, 2.0), budgets)
def test_closed_forms(a: float, b: float, alpha: float, beta: float, c: float) -> None:
    r = B.allocate(B.InverseLinear(a, b), c)
    assert r.tokens_per_param[0] == pytest.approx(b / a, rel=1e-12)
    assert r.value[0] == pytest.approx(2 * math.sqrt(a * b / c), rel=1e-12)
    assert r.local_exponent[0] == 0.5
    law = B.PowerLaw(1.0, a, b, alpha, beta)
    r = B.allocate(law, c)
    p, T = ref.power_law_allocation(a, b, alpha, beta, c)
    assert r.p[0] == pytest.approx(p, rel=1e-10)
    assert r.T[0] == pytest.approx(T, rel=1e-10)
    assert alpha * a * r.p[0] ** -alpha == pytest.approx(beta * b * r.T[0] ** -beta, rel=1e-10)
    assert r.local_exponent[0] == pytest.approx(beta / (alpha + beta), rel=1e-15)


@given(
    st.lists(st.floats(1e-3, 10.0), min_size=1, max_size=30, unique=True),
    st.lists(st.floats(0.0, 100.0), min_size=30, max_size=30),
    st.lists(st.floats(0.01, 1e8), min_size=1, max_size=10),
)
def test_rate_distortion_two_sided(eps: list[float], h: list[float], T: list[float]) -> None:
    e = np.sort(np.array(eps))
    H = np.sort(np.array(h[: len(e)]))[::-1]
    bound = B.RateDistortion(H, e)
    two = bound.evaluate(T)
    assert np.all(two.lower >= 0)
    assert np.all(two.upper >= two.lower)
    lo, up = ref.two_sided_bound(e, H, T)
    np.testing.assert_allclose(two.lower, lo, rtol=1e-15)
    np.testing.assert_allclose(two.upper, up, rtol=1e-15)
    target = np.concatenate([2 * e, [e[0] + e[-1]]])
    np.testing.assert_array_equal(bound.sample_complexity(target), ref.sample_complexity(e, H, target))


def test_rate_distortion_callable_and_identity() -> None:
    # A d-dimensional Gaussian-like curve H_eps = (d/2) ln(1/eps) (eps < 1): L_T ~ d/(2T) ln T.
    curve = B.RateDistortion(lambda e: 2.5 * np.log(1 / e), eps_range=(1e-9, 1.0))
    two = curve.evaluate(np.array([10.0, 1e3, 1e6]))
    assert np.all(np.diff(two.upper) < 0)
    assert np.all(two.lower <= two.upper)
    assert curve.sample_complexity(0.1)[()] == math.ceil(2 * 2.5 * math.log(1 / 0.05) / 0.1)
    np.testing.assert_array_equal(B.error_from_information([5.0, 6.0], [50, 60]), [0.1, 0.1])


def test_decomposed_bound_with_floor_matches_power_law() -> None:
    law = B.PowerLaw(1.7, 406.4, 410.7, 0.34, 0.28)
    custom = B.DecomposedBound(lambda p: 406.4 * p**-0.34, lambda p, T: 410.7 * T**-0.28, irreducible=1.7)
    a, b = B.allocate(custom, [1e18, 1e22]), B.allocate(law, [1e18, 1e22])
    np.testing.assert_allclose(a.p, b.p, rtol=1e-6)
    np.testing.assert_allclose(a.value, b.value, rtol=1e-14)


def test_decomposed_bound_matches_builtin() -> None:
    custom = B.DecomposedBound(lambda p: 1 / p, lambda p, T: np.log(p) / T)
    builtin = B.InverseLog(1, 0, 1)
    np.testing.assert_allclose(custom.evaluate([10.0, 1e4], 1e3), builtin.evaluate([10.0, 1e4], 1e3), rtol=1e-15)
    a, b = B.allocate(custom, [1e8, 1e12]), B.allocate(builtin, [1e8, 1e12])
    np.testing.assert_allclose(a.p, b.p, rtol=1e-6)
    np.testing.assert_allclose(a.local_exponent, b.local_exponent, atol=1e-3)


def test_compare_exponent() -> None:
    hoffmann = {"E": 1.8172, "A": 482.01, "B": 2085.43, "alpha": 0.3478, "beta": 0.3658}
    cmp = B.compare_exponent(hoffmann, B.DirichletProcessTeacher(64, 10, 1), [1e13, 1e21])
    assert cmp.fitted == pytest.approx(0.3658 / (0.3478 + 0.3658))
    np.testing.assert_allclose(cmp.difference, cmp.bound - cmp.fitted)
    assert "C=1e+13" in repr(cmp)
    same = B.compare_exponent(hoffmann, B.PowerLaw.from_params(hoffmann), [1e20])
    assert same.difference[0] == pytest.approx(0.0, abs=1e-15)


def test_results_deterministic_pickle_and_leave_input_alone() -> None:
    bound = B.DirichletProcessTeacher(32, 5, 2)
    c = np.geomspace(1e6, 1e22, 700)
    before = c.copy()
    one = B.allocate(bound, c, n_threads=1)
    two = B.allocate(bound, c, n_threads=2)
    np.testing.assert_array_equal(c, before)
    for name in ("p", "T", "value", "local_exponent"):
        np.testing.assert_array_equal(getattr(one, name), getattr(two, name))
    back = pickle.loads(pickle.dumps(one))
    np.testing.assert_array_equal(back.p, one.p)
    assert pickle.loads(pickle.dumps(bound)) == bound
    assert "T*/p*" in repr(one)
    assert len(one.to_dict()["p"]) == 700
    grid = bound.evaluate(np.geomspace(33, 1e9, 300)[:, None], np.geomspace(1, 1e12, 50)[None, :], n_threads=1)
    np.testing.assert_array_equal(
        grid, bound.evaluate(np.geomspace(33, 1e9, 300)[:, None], np.geomspace(1, 1e12, 50), n_threads=2)
    )
    eta = bound.optimal_eta(1e5, 1e7)
    assert eta * (1 + eta) == pytest.approx(2 * bound.distinct_units(1e5 / 33) * 32 / (4 * 1e7), rel=1e-12)


# --- bad input --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("make", "name"),
    [
        (lambda: B.DirichletProcessTeacher(0.5, 10, 1), "d"),
        (lambda: B.FiniteTeacher(4, 0, 1), "N"),
        (lambda: B.FiniteTeacher(4, 10, -1), "B"),
        (lambda: B.DirichletProcessTeacher(4, -1, 1), "K"),
        (lambda: B.InverseLinear(-1, 1), "a"),
        (lambda: B.InverseLog(1, -0.5, 1), "b0"),
        (lambda: B.InverseLog(1, 0, 0), "b1"),
        (lambda: B.PowerLaw(1, 1, 1, -0.3, 0.3), "alpha"),
        (lambda: B.PowerLaw(float("nan"), 1, 1, 0.3, 0.3), "E"),
        (lambda: B.allocate(B.InverseLinear(1, 1), [1e6, 0.0]), "compute"),
        (lambda: B.allocate(B.InverseLinear(1, 1), -5.0), "compute"),
        (lambda: B.allocate(B.DirichletProcessTeacher(64, 10, 1), 100.0), "compute"),
        (lambda: B.allocate(B.InverseLinear(1, 1), 1e6, method="grid"), "method"),
        (lambda: B.allocate("chinchilla", 1e6), "bound"),  # type: ignore[arg-type]
        (lambda: B.DirichletProcessTeacher(64, 10, 1).evaluate(10.0, 1e6), "p"),
        (lambda: B.InverseLinear(1, 1).evaluate(10.0, [1.0, -1.0]), "T"),
        (lambda: B.InverseLinear(1, 1).evaluate([1.0, 2.0], [1.0, 2.0, 3.0]), "T"),
        (lambda: B.RateDistortion([3.0, 2.0, 1.0], [0.1, 0.2, 0.3]).sample_complexity(0.1), "eps"),
        (lambda: B.RateDistortion([3.0, 2.0, 1.0], [0.1, 0.2, 0.3]).sample_complexity(1.0), "eps"),
        (lambda: B.RateDistortion(lambda e: -np.log(e), eps_range=(0.1, 1.0)).sample_complexity(0.1), "eps"),
        (lambda: B.RateDistortion([1.0, 2.0, 3.0], [0.1, 0.2, 0.3]), "H"),
        (lambda: B.RateDistortion([3.0, 2.0], [0.2, 0.1]), "eps"),
        (lambda: B.RateDistortion([3.0, 2.0], [0.1, 0.2, 0.3]), "H"),
        (lambda: B.linear_regression_information(0, 10, 1.0, 1.0), "d"),
        (lambda: B.linear_regression_information(3, 10, -1.0, 1.0), "s2"),
        (lambda: B.linear_regression_information(3, 10, 1.0, 1.0, n_mc=1), "n_mc"),
        (lambda: B.compare_exponent({"alpha": 0.3}, B.InverseLinear(1, 1), 1e6), "params"),
    ],
)
def test_bad_input_names_the_argument(make: Any, name: str) -> None:
    with pytest.raises(sc.InvalidInputError, match=rf"^{name}\b"):
        make()


def test_decomposed_bound_callables_are_called_per_step_not_per_budget() -> None:
    calls = []

    def estimation(p: Any, T: Any) -> Any:
        calls.append(len(np.atleast_1d(p)))
        return np.log(p) / T

    custom = B.DecomposedBound(lambda p: 1 / p, estimation)
    B.allocate(custom, [1e8])
    one = len(calls)
    calls.clear()
    many = B.allocate(custom, np.geomspace(1e6, 1e14, 9))
    assert len(calls) < 2 * one  # point by point it would be 9 times as many
    np.testing.assert_allclose(many.p, B.allocate(B.InverseLog(1, 0, 1), np.geomspace(1e6, 1e14, 9)).p, rtol=1e-6)


def test_decomposed_bound_errors_name_the_callables() -> None:
    custom = B.DecomposedBound(lambda p: 1 / p, lambda p, T: 1 / 0)
    with pytest.raises(sc.InvalidInputError, match="estimation"):
        B.allocate(custom, [1e8])
    with pytest.raises(sc.InvalidInputError, match="compute"):
        B.allocate(B.DecomposedBound(lambda p: 1 / p, lambda p, T: 1 / T, p_min=10.0), [15.0])


def test_a_bound_holds_the_core_handle_that_validated_it() -> None:
    bound = B.InverseLog(1, 2, 0.5)
    assert bound._handle.kind == "inverse_log" and bound._handle.params == [1.0, 2.0, 0.5]
    assert bound.p_min == 1.0 and B.FiniteTeacher(8, 100, 1).p_min == 9.0
    again = pickle.loads(pickle.dumps(bound))
    assert again == bound and again.evaluate(1e6, 1e9) == bound.evaluate(1e6, 1e9)
    with pytest.raises(sc.InvalidInputError, match=r"^b1\b"):
        B.InverseLog(1, 2, "0.5")  # type: ignore[arg-type]
    with pytest.raises(sc.InvalidInputError, match=r"^p_min\b"):
        B.DecomposedBound(lambda p: 1 / p, lambda p, T: 1 / T, p_min=0.0)
    with pytest.raises(sc.InvalidInputError, match=r"^irreducible\b"):
        B.DecomposedBound(lambda p: 1 / p, lambda p, T: 1 / T, irreducible=-1.0)
    with pytest.raises(sc.InvalidInputError, match=r"^p\b"):
        B.DecomposedBound(lambda p: 1 / p, lambda p, T: 1 / T).evaluate(-1.0, 1e6)


def test_values_that_overflow_at_valid_points_are_refused_by_name() -> None:
    with pytest.raises(sc.InvalidInputError, match=r"^p\b.*misspecification"):
        B.InverseLinear(1, 2).evaluate(5e-324, 1e9)
    with pytest.raises(sc.InvalidInputError, match=r"^T\b.*estimation"):
        B.InverseLinear(1, 2).evaluate([[1e6]], [5e-324, 1.0])  # the grid path
    # Representable although b1 ln p alone overflows: b1 (ln p / T).
    assert np.isfinite(B.InverseLog(1, 2, 1e308).evaluate(1e6, 1e9))

"""Per-dimension bandwidths, rules applied to each margin in d > 1 (ISJ included), the ISJ fallback with a
BandwidthWarning, and equal weights never changing a rule in any dimension (issue 15; docs/kde.md)."""

from __future__ import annotations

import pickle
import re
import warnings

import numpy as np
import pytest
import scalecore as sc
from hypothesis import given
from hypothesis import strategies as st
from scalecore._reference import kde_bounded as ref
from scalecore.kde import BANDWIDTH_RULES

MARGIN_RULES = [r for r in BANDWIDTH_RULES if r not in ("scott", "normal_reference")]
# Data on which the ISJ fixed-point equation has no root: KDEpy raises "Root finding did not converge".
NO_ROOT = np.r_[np.zeros(50), np.ones(50)]


def _points(n: int, d: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    scales = 10.0 ** rng.uniform(-2, 2, d)
    return rng.standard_t(5, (n, d)) * scales + rng.uniform(-5, 5, d)


@given(
    n=st.integers(2, 80),
    d=st.integers(2, 4),
    seed=st.integers(0, 2**32 - 1),
    weighted=st.booleans(),
    data=st.data(),
)
def test_per_dimension_values_equal_the_product_kernel(
    n: int, d: int, seed: int, weighted: bool, data: st.DataObject
) -> None:
    x = _points(n, d, seed)
    h = np.array(data.draw(st.lists(st.floats(1e-2, 1e2), min_size=d, max_size=d)))
    w = np.random.default_rng(seed + 1).uniform(0.1, 3, n) if weighted else None
    kde = sc.KDE(x, bandwidth=list(h), weights=w)
    np.testing.assert_array_equal(kde.bandwidth_matrix, np.diag(h**2))
    q = x[: min(n, 10)] + 0.3 * h
    want = ref.product_pdf(x, h, q, w)
    np.testing.assert_allclose(kde.pdf(q), want, rtol=1e-10)
    # a 1-D array and a tuple mean the same
    assert np.array_equal(sc.KDE(x, bandwidth=h, weights=w).pdf(q), kde.pdf(q))
    assert np.array_equal(sc.KDE(x, bandwidth=tuple(h), weights=w).pdf(q), kde.pdf(q))
    assert kde.rule == "user"


@pytest.mark.parametrize("rule", MARGIN_RULES)
def test_a_1d_rule_in_d_dimensions_is_applied_to_each_margin(rule: str) -> None:
    rng = np.random.default_rng(11)
    x = np.column_stack([rng.standard_normal(300), rng.lognormal(0, 1, 300), 100 * rng.standard_t(3, 300)])
    kde = sc.KDE(x, bandwidth=rule)
    per_margin = [sc.KDE(x[:, j], bandwidth=rule).bandwidth for j in range(3)]
    np.testing.assert_array_equal(kde.bandwidth_matrix, np.diag(np.square(per_margin)))
    assert kde.rule == rule
    # the same as naming the rule once per dimension
    assert np.array_equal(sc.KDE(x, bandwidth=[rule] * 3).bandwidth_matrix, kde.bandwidth_matrix)
    assert sc.KDE(x, bandwidth=[rule] * 3).rule == rule


@given(n=st.integers(20, 400), seed=st.integers(0, 2**32 - 1), weighted=st.booleans())
def test_isj_per_margin_equals_the_1d_isj_of_each_margin(n: int, seed: int, weighted: bool) -> None:
    x = _points(n, 2, seed)
    w = np.random.default_rng(seed).uniform(0.1, 3, n) if weighted else None
    for rule in ("isj", "isj_botev"):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            kde = sc.KDE(x, bandwidth=[rule, rule], weights=w)  # a bare rule in d = 2 is Botev's 2-D ISJ
            margins = [sc.KDE(x[:, j], bandwidth=rule, weights=w).bandwidth for j in range(2)]
        assert np.array_equal(np.sqrt(np.diag(kde.bandwidth_matrix)), margins)
        # each 1-D fallback warned once, and the 2-D estimate once per dimension that fell back
        assert len(caught) % 2 == 0


def test_mixed_rules_and_values() -> None:
    rng = np.random.default_rng(4)
    x = np.column_stack([rng.standard_normal(500), rng.uniform(0, 50, 500)])
    kde = sc.KDE(x, bandwidth=["isj", 2.5])
    h0 = sc.KDE(x[:, 0], bandwidth="isj").bandwidth
    np.testing.assert_array_equal(kde.bandwidth_matrix, np.diag([h0**2, 6.25]))
    assert kde.rule == "user"
    again = pickle.loads(pickle.dumps(kde))
    q = x[:20]
    assert np.array_equal(again.pdf(q), kde.pdf(q))
    # a different bandwidth per dimension beats one shared value when the scales differ by 50x
    shared = sc.KDE(x, bandwidth=float(np.sqrt(kde.bandwidth_matrix[1, 1])))
    held = np.column_stack([rng.standard_normal(500), rng.uniform(0, 50, 500)])
    assert np.mean(kde.logpdf(held)) > np.mean(shared.logpdf(held))


def test_a_1d_sequence_of_one_value_is_that_bandwidth() -> None:
    x = np.random.default_rng(0).standard_normal(50)
    assert sc.KDE(x, bandwidth=[0.4]).bandwidth == 0.4
    assert sc.KDE(x, bandwidth=["isj"]).bandwidth == sc.KDE(x, bandwidth="isj").bandwidth


# --- the ISJ fallback -----------------------------------------------------------------------------------


def test_isj_without_a_root_falls_back_with_a_warning() -> None:
    kdepy = pytest.importorskip("KDEpy")
    with pytest.raises(ValueError, match="Root finding did not converge"), np.errstate(divide="ignore"):
        kdepy.bw_selection.improved_sheather_jones(NO_ROOT.reshape(-1, 1))
    for rule in ("isj", "isj_botev"):
        with pytest.warns(sc.BandwidthWarning, match=rf"'{rule}': the ISJ fixed-point equation has no root"):
            kde = sc.KDE(NO_ROOT, bandwidth=rule)
        assert kde.bandwidth == sc.KDE(NO_ROOT, bandwidth="normal_reference_robust").bandwidth
        assert kde.rule == rule
        # the fallback is named with the value it used
        with pytest.warns(sc.BandwidthWarning, match=re.escape(f"normal_reference_robust' = {kde.bandwidth!r}")):
            sc.KDE(NO_ROOT, bandwidth=rule)


def test_the_fallback_names_the_dimension_and_is_not_repeated_on_unpickling() -> None:
    x = np.column_stack([np.random.default_rng(1).standard_normal(100), NO_ROOT])
    with pytest.warns(sc.BandwidthWarning, match="dimension 1: bandwidth 'isj'") as caught:
        kde = sc.KDE(x, bandwidth=["isj", "isj"])
    assert len(caught) == 1
    assert kde.bandwidth_matrix[1, 1] == sc.KDE(NO_ROOT, bandwidth="normal_reference_robust").bandwidth ** 2
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        again = pickle.loads(pickle.dumps(kde))
    assert np.array_equal(again.bandwidth_matrix, kde.bandwidth_matrix)


def test_isj_with_a_root_does_not_warn() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        sc.KDE(np.random.default_rng(0).standard_normal(200), bandwidth="isj")


# --- item 4: equal weights never change any rule, in any dimension ----------------------------------------


@given(
    n=st.integers(3, 150),
    d=st.integers(1, 3),
    seed=st.integers(0, 2**32 - 1),
    weight=st.floats(1e-6, 1e6),
    rule=st.sampled_from(BANDWIDTH_RULES),
)
def test_equal_weights_never_change_a_rule_in_any_dimension(
    n: int, d: int, seed: int, weight: float, rule: str
) -> None:
    x = np.round(_points(n, d, seed), 1)  # ties
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", sc.BandwidthWarning)
        try:
            plain = sc.KDE(x, bandwidth=rule).bandwidth_matrix
        except (sc.InvalidInputError, sc.ConvergenceError) as exc:  # loo_ml with ties, collinear columns
            with pytest.raises(type(exc)):
                sc.KDE(x, bandwidth=rule, weights=np.full(n, weight))
            return
        assert np.array_equal(sc.KDE(x, bandwidth=rule, weights=np.full(n, weight)).bandwidth_matrix, plain)
        per_dim = [rule] * d
        assert np.array_equal(
            sc.KDE(x, bandwidth=per_dim, weights=np.full(n, weight)).bandwidth_matrix,
            (sc.KDE(x, bandwidth=per_dim).bandwidth_matrix),
        )


# --- bad input ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("bandwidth", "match"),
    [
        ([0.5, -1.0], r"bandwidth\[1\]: must be a positive finite number, got -1"),
        ([0.5, float("nan")], r"bandwidth\[1\]: must be a positive finite number"),
        ([0.5, 0.5, 0.5], "has 3 per-dimension values for samples of dimension 2"),
        (["isj", "nope"], "unknown rule"),
        (["isj", "silverman"], "names different formulas"),
        (["isj", None], r"bandwidth\[1\]: must be a number"),
        ([], "bandwidth"),
    ],
)
def test_bad_per_dimension_bandwidths_are_named(bandwidth: list[object], match: str) -> None:
    x = np.random.default_rng(0).standard_normal((30, 2))
    with pytest.raises(sc.InvalidInputError, match=match):
        sc.KDE(x, bandwidth=bandwidth)


def test_a_constant_margin_is_named() -> None:
    x = np.column_stack([np.arange(10.0), np.ones(10)])
    with pytest.raises(sc.InvalidInputError, match="dimension 1: the data-driven rule 'isj' needs at least two"):
        sc.KDE(x, bandwidth="isj")

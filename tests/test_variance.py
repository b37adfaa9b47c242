"""sc.variance: Kendall tau-b against scipy, seed statistics and intervals against their formulas and the
NumPy reference, table == tensor, bad input, determinism across threads, the CLI and the docs example."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import scalecore as sc
from hypothesis import given
from hypothesis import strategies as st
from scalecore import _core
from scalecore._reference import variance as ref
from scalecore.cli import main
from scipy import stats

DOCS = Path(__file__).resolve().parents[1] / "docs" / "variance.md"


def _scores(seed: int = 0, n_items: int = 120, n_models: int = 4, n_seeds: int = 5, binary: bool = True) -> Any:
    rng = np.random.default_rng(seed)
    ability = np.linspace(0.4, 0.8, n_models)[None, :, None]
    difficulty = rng.normal(0, 1, (n_items, 1, 1))
    noise = rng.normal(0, 0.3, (n_items, n_models, n_seeds))
    p = 1 / (1 + np.exp(-(3 * (ability - 0.5) - difficulty + noise)))
    return (rng.random(p.shape) < p).astype(float) if binary else p


def _long(values: np.ndarray, names: tuple[str, ...] = ("item", "model", "seed", "checkpoint")) -> dict[str, Any]:
    idx = np.indices(values.shape).reshape(values.ndim, -1)
    table: dict[str, Any] = {names[k]: idx[k] for k in range(values.ndim)}
    table["model"] = np.array([f"m{i}" for i in table["model"]])
    table["score"] = values.reshape(-1).copy()
    return table


# --- Kendall tau-b --------------------------------------------------------------------------------

tied = st.lists(st.sampled_from([-1.5, -0.0, 0.0, 1.0, 2.0, 2.5, np.inf]), min_size=2, max_size=120)


@given(st.data())
def test_tau_b_equals_scipy_with_ties(data: st.DataObject) -> None:
    x = data.draw(tied)
    y = data.draw(st.lists(st.integers(-3, 3).map(float), min_size=len(x), max_size=len(x)))
    ours = sc.variance.kendall_tau_b(x, y)
    theirs = stats.kendalltau(x, y)
    if np.isnan(theirs.statistic):
        assert np.isnan(ours.tau) and np.isnan(ours.pvalue)
        return
    assert abs(ours.tau - theirs.statistic) <= 1e-12
    np.testing.assert_allclose(ours.pvalue, theirs.pvalue, rtol=1e-12, atol=0)


@given(st.lists(st.floats(-1e6, 1e6, allow_nan=False), min_size=2, max_size=40, unique=True), st.randoms())
def test_tau_b_without_ties_uses_the_exact_pvalue_as_scipy(x: list[float], rnd: Any) -> None:
    y = list(x)
    rnd.shuffle(y)
    ours, theirs = sc.variance.kendall_tau_b(x, y), stats.kendalltau(x, y)
    assert abs(ours.tau - theirs.statistic) <= 1e-12
    np.testing.assert_allclose(ours.pvalue, theirs.pvalue, rtol=1e-12, atol=0)


@pytest.mark.parametrize("n", [2, 3, 50, 34, 100_000, 400_000])
def test_tau_b_large_and_edge_sizes(n: int) -> None:
    rng = np.random.default_rng(n)
    x = rng.integers(0, max(n // 10, 2), n).astype(float)
    y = x + rng.integers(0, 50, n)
    ours, theirs = sc.variance.kendall_tau_b(x, y), stats.kendalltau(x, y)
    assert abs(ours.tau - theirs.statistic) <= 1e-12
    np.testing.assert_allclose(ours.pvalue, theirs.pvalue, rtol=1e-12, atol=0)


def test_tau_b_matches_the_pairwise_reference_and_unpacks() -> None:
    rng = np.random.default_rng(3)
    x, y = rng.integers(0, 5, 300), rng.integers(0, 7, 300)
    tau, p = sc.variance.kendall_tau_b(x, y)
    assert abs(tau - ref.kendall_tau_b_pairs(x, y)) <= 1e-12 and 0 <= p <= 1
    assert "KendallResult(tau=" in repr(sc.variance.kendall_tau_b(x, y))


def test_tau_b_undefined_and_bad_input() -> None:
    assert np.isnan(sc.variance.kendall_tau_b([1, 1, 1], [1, 2, 3]).tau)
    assert np.isnan(sc.variance.kendall_tau_b([1], [2]).tau)
    with pytest.raises(sc.InvalidInputError, match="y: has 2 values"):
        sc.variance.kendall_tau_b([1, 2, 3], [1, 2])
    with pytest.raises(sc.InvalidInputError, match="x: must not contain NaN"):
        sc.variance.kendall_tau_b([1, np.nan], [1, 2])
    with pytest.raises(sc.InvalidInputError, match="x: expected a 1-D array"):
        sc.variance.kendall_tau_b(np.ones((2, 2)), [1, 2])


# --- seed statistics ------------------------------------------------------------------------------


def test_seed_stats_match_their_formulas_and_the_reference() -> None:
    s = _scores()
    res = sc.variance.seed_stats(s, n_resamples=500, seed=7)
    want = ref.seed_stats(s)
    per_seed = s.mean(axis=0)
    np.testing.assert_allclose(res.mean, per_seed.mean(axis=1), rtol=1e-14)
    np.testing.assert_allclose(res.std, np.std(per_seed, axis=1, ddof=1), rtol=1e-14)
    np.testing.assert_allclose(res.snr, want["snr"], rtol=1e-14)
    p, n = res.mean, s.shape[0]
    half = stats.norm.ppf(0.975) * np.sqrt(p * (1 - p) / n)
    np.testing.assert_allclose(res.binomial_ci, np.column_stack([p - half, p + half]), rtol=1e-14)
    assert abs(stats.norm.ppf(0.975) - 1.96) < 1e-4  # the spec's 1.96 is this quantile rounded
    # The item bootstrap draws exactly the indices sc.bootstrap's streams give.
    (idx,) = _core.bootstrap_indices([n], seed=7, count=500)
    boot = ref.item_bootstrap(s.mean(axis=2), idx)
    np.testing.assert_allclose(res.bootstrap_ci, np.column_stack([boot["low"], boot["high"]]), rtol=1e-12)
    np.testing.assert_allclose(res.bootstrap_se, boot["se"], rtol=1e-10)
    assert res.binary and "SeedStats(" in repr(res) and "binomial 95%" in repr(res)
    frame = res.to_frame()
    assert list(frame["model"]) == [0, 1, 2, 3] and np.allclose(frame["snr"], res.snr)


def test_continuous_scores_have_no_binomial_interval_and_metrics_compare() -> None:
    p = _scores(binary=False)
    res = sc.variance.seed_stats(p, n_resamples=200)
    assert not res.binary and np.isnan(res.binomial_ci).all()
    acc = (p > 0.5).astype(float)
    both = sc.variance.compare_metrics({"accuracy": acc, "probability": p}, n_resamples=200)
    assert set(both.stats) == {"accuracy", "probability"}
    frame = both.to_frame()
    assert len(frame) == 8 and set(frame["metric"]) == {"accuracy", "probability"}
    assert "probability SNR" in repr(both)


@pytest.mark.slow
def test_item_bootstrap_interval_covers_a_planted_mean_at_the_nominal_rate() -> None:
    rng = np.random.default_rng(11)
    trials, hits, planted = 400, 0, 0.7
    for t in range(trials):
        item_p = rng.beta(7, 3, size=(300, 1, 1))  # items' true accuracies, mean 0.7
        s = (rng.random((300, 1, 3)) < item_p).astype(float)
        lo, hi = sc.variance.seed_stats(s, n_resamples=1000, seed=t).bootstrap_ci[0]
        hits += lo <= planted <= hi
    # 95 % nominal; 3 binomial standard errors of 400 trials either side.
    assert 0.95 - 0.033 <= hits / trials <= 0.95 + 0.033, hits / trials


def test_results_do_not_depend_on_the_thread_count() -> None:
    s = _scores(n_items=3000)
    one = sc.variance.seed_stats(s, n_resamples=300, seed=5, n_threads=1)
    two = sc.variance.seed_stats(s, n_resamples=300, seed=5, n_threads=2)
    assert np.array_equal(one.bootstrap_ci, two.bootstrap_ci) and np.array_equal(one.bootstrap_se, two.bootstrap_se)
    c1 = sc.variance.compare(s, 0, 3, n_resamples=300, seed=5, n_threads=1)
    c2 = sc.variance.compare(s, 0, 3, n_resamples=300, seed=5, n_threads=2)
    assert c1 == c2
    x = np.random.default_rng(0).integers(0, 100, 500_000)
    assert sc.variance.kendall_tau_b(x, x[::-1], n_threads=1) == sc.variance.kendall_tau_b(x, x[::-1], n_threads=2)


# --- tables ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["dict", "pandas", "polars", "pyarrow"])
def test_long_table_equals_tensor(kind: str) -> None:
    s = _scores(n_items=60, n_models=3, n_seeds=4)
    table = _long(s)
    order = np.random.default_rng(2).permutation(len(table["score"]))
    table = {k: v[order] for k, v in table.items()}
    if kind == "pandas":
        import pandas as pd

        frame: Any = pd.DataFrame(table)
    elif kind == "polars":
        import polars as pl

        frame = pl.DataFrame(table)
    elif kind == "pyarrow":
        import pyarrow as pa

        frame = pa.table(table)
    else:
        frame = table
    a = sc.variance.seed_stats(s, n_resamples=200, seed=1)
    b = sc.variance.seed_stats(frame, n_resamples=200, seed=1)
    assert b.models == ("m0", "m1", "m2")
    for f in ("mean", "std", "snr", "bootstrap_ci", "bootstrap_se", "binomial_ci", "per_seed"):
        assert np.array_equal(getattr(a, f), getattr(b, f)), f
    ca, cb = sc.variance.compare(s, 0, 2, seed=3), sc.variance.compare(frame, "m0", "m2", seed=3)
    assert (ca.difference, ca.ci, ca.pvalue, ca.seed_pvalue) == (cb.difference, cb.ci, cb.pvalue, cb.seed_pvalue)
    ia, ib = sc.variance.items(s), sc.variance.items(frame)
    assert np.array_equal(ia.difficulty, ib.difficulty)
    assert np.array_equal(ia.discrimination, ib.discrimination, equal_nan=True)


def test_table_with_checkpoints_and_renamed_columns() -> None:
    rng = np.random.default_rng(4)
    s4 = (rng.random((40, 2, 3, 6)) < np.linspace(0.2, 0.9, 6)).astype(float)
    table = _long(s4, names=("question", "model", "run", "step"))
    table["step"] = table["step"] * 1000
    table["correct"] = table.pop("score")
    cols = {"item": "question", "seed": "run", "checkpoint": "step", "score": "correct"}
    m_table = sc.variance.monotonicity(table, columns=cols)
    m_tensor = sc.variance.monotonicity(s4)
    assert np.array_equal(m_table.tau_per_seed, m_tensor.tau_per_seed, equal_nan=True)
    assert m_table.checkpoints == tuple(range(0, 6000, 1000))
    a = sc.variance.seed_stats(table, columns=cols, n_resamples=100, seed=3)
    b = sc.variance.seed_stats(s4[..., -1], n_resamples=100, seed=3)
    assert np.array_equal(a.bootstrap_ci, b.bootstrap_ci)
    c = sc.variance.seed_stats(table, columns=cols, checkpoint=2000, n_resamples=100)
    assert np.array_equal(c.mean, sc.variance.seed_stats(s4[..., 2], n_resamples=100).mean)


# --- monotonicity, ranking stability, items, compare ------------------------------------------------


def test_monotonicity_is_kendall_against_checkpoint_order_averaged_over_seeds() -> None:
    rng = np.random.default_rng(8)
    s4 = (rng.random((50, 3, 4, 10)) < np.linspace(0.3, 0.8, 10)).astype(float)
    res = sc.variance.monotonicity(s4)
    curves = s4.mean(axis=0)
    for m in range(3):
        taus = [stats.kendalltau(np.arange(10), curves[m, k]).statistic for k in range(4)]
        np.testing.assert_allclose(res.tau_per_seed[m], taus, rtol=0, atol=1e-12)
        np.testing.assert_allclose(res.tau[m], np.mean(taus), rtol=1e-12)
    assert sc.variance.monotonicity(np.arange(5.0)).tau[0] == pytest.approx(1.0, abs=1e-15)
    flat = sc.variance.monotonicity([[1.0, 1.0, 1.0], [3.0, 2.0, 1.0]])
    assert np.isnan(flat.tau_per_seed[0, 0]) and flat.tau[0] == -1.0
    assert "Monotonicity(" in repr(res) and len(res.to_frame()["tau"]) == 3


def test_ranking_stability_compares_full_and_subset_rankings() -> None:
    s = _scores(n_models=6)
    mask = np.arange(s.shape[0]) < 40
    res = sc.variance.ranking_stability(s, mask)
    full, part = s.mean(axis=(0, 2)), s[mask].mean(axis=(0, 2))
    want = stats.kendalltau(full, part)
    assert abs(res.tau - want.statistic) <= 1e-12 and res.n_subset == 40
    same = sc.variance.ranking_stability(s, list(range(40)))
    assert same.tau == res.tau
    with pytest.raises(sc.InvalidInputError, match="subset: unknown item"):
        sc.variance.ranking_stability(s, [10_000])


def test_items_match_the_reference() -> None:
    s = _scores()
    s[0] = 1.0  # an item every run gets right: no discrimination
    res = sc.variance.items(s)
    want = ref.item_analysis(s)
    np.testing.assert_allclose(res.difficulty, want["difficulty"], rtol=1e-14)
    np.testing.assert_allclose(res.discrimination, want["discrimination"], rtol=1e-10, equal_nan=True)
    assert np.isnan(res.discrimination[0]) and res.difficulty[0] == 1.0
    assert "ItemAnalysis(" in repr(res)


def test_compare_difference_interval_and_pvalues() -> None:
    s = _scores(n_items=400)
    res = sc.variance.compare(s, 3, 0, n_resamples=999, seed=2)
    d = s[:, 3].mean(axis=1) - s[:, 0].mean(axis=1)
    assert res.difference == pytest.approx(d.mean(), rel=1e-14)
    (idx,) = _core.bootstrap_indices([len(d)], seed=2, count=999)
    boot = ref.item_bootstrap(d[:, None], idx)
    np.testing.assert_allclose(res.ci, [boot["low"][0], boot["high"][0]], rtol=1e-12)
    assert res.pvalue == pytest.approx(boot["pvalue_zero"][0], rel=1e-14)
    bench = s.mean(axis=0)
    assert res.seed_pvalue == pytest.approx(stats.ttest_ind(bench[3], bench[0], equal_var=False).pvalue, rel=1e-12)
    assert res.ci[0] > 0 and res.pvalue < 0.01  # a clear difference
    null = sc.variance.compare(np.repeat(s[:, :1], 2, axis=1), 0, 1)
    assert null.difference == 0 and null.pvalue == 1.0
    assert "Comparison(" in repr(res) and float(res.to_frame()["difference"][0]) == res.difference


# --- bad input ------------------------------------------------------------------------------------


def test_bad_input_names_the_argument() -> None:
    s = _scores()
    with pytest.raises(sc.InvalidInputError, match=r"scores: expected an items x models x seeds array"):
        sc.variance.seed_stats(s[:, :, 0])
    with pytest.raises(sc.InvalidInputError, match="scores: a seed standard deviation needs at least 2 seeds"):
        sc.variance.seed_stats(s[:, :, :1])
    bad = s.copy()
    bad[3, 1, 2] = np.nan
    with pytest.raises(sc.InvalidInputError, match=r"scores: must be finite, got nan at index \(3, 1, 2\)"):
        sc.variance.seed_stats(bad)
    with pytest.raises(sc.InvalidInputError, match="model_b: unknown model 'gpt'"):
        sc.variance.compare(s, 0, "gpt")
    with pytest.raises(sc.InvalidInputError, match="model_b: must differ"):
        sc.variance.compare(s, 1, 1)
    with pytest.raises(sc.InvalidInputError, match="n_resamples"):
        sc.variance.seed_stats(s, n_resamples=0)
    with pytest.raises(sc.InvalidInputError, match="level"):
        sc.variance.seed_stats(s, level=1.5)
    with pytest.raises(sc.InvalidInputError, match="scores_by_checkpoint: needs a checkpoint axis"):
        sc.variance.monotonicity(s)
    table = _long(s)
    table["score"][5] = np.nan
    with pytest.raises(sc.InvalidInputError, match="column 'score': must be finite, got nan in row 5"):
        sc.variance.seed_stats(table)
    table = _long(s)
    with pytest.raises(sc.InvalidInputError, match="column 'question' not found"):
        sc.variance.seed_stats(table, columns={"item": "question"})
    short = {k: v[1:] for k, v in _long(s).items()}
    with pytest.raises(sc.InvalidInputError, match="table: no score for item=0, model='m0', seed=0"):
        sc.variance.seed_stats(short)
    dup = {k: np.concatenate([v, v[:1]]) for k, v in _long(s).items()}
    with pytest.raises(sc.InvalidInputError, match="table: more than one score"):
        sc.variance.seed_stats(dup)
    before = s.copy()
    sc.variance.seed_stats(s, n_resamples=10)
    assert np.array_equal(before, s)  # nothing the user passed in is modified


# --- CLI and docs ---------------------------------------------------------------------------------


def _write_csv(path: Path, table: dict[str, Any]) -> None:
    keys = list(table)
    lines = [",".join(keys)] + [",".join(str(table[k][i]) for k in keys) for i in range(len(table["score"]))]
    path.write_text("\n".join(lines) + "\n")


def test_cli_prints_a_table_and_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    s = _scores(n_items=50, n_models=3, n_seeds=3)
    table = _long(s)
    table["run"] = table.pop("seed")
    path = tmp_path / "scores.csv"
    _write_csv(path, table)
    assert main(["variance", str(path), "--seed", "run", "--resamples", "200"]) == 0
    out = capsys.readouterr().out
    assert "50 items, 3 models, 3 seeds, 0/1 scores" in out and re.search(r"^m2\s+0\.\d{4}", out, re.M)
    assert main(["variance", str(path), "--seed", "run", "--resamples", "200", "--json", "--random-seed", "5"]) == 0
    data = json.loads(capsys.readouterr().out)
    want = sc.variance.seed_stats(s, n_resamples=200, seed=5)
    assert data["models"] == ["m0", "m1", "m2"] and np.allclose(data["snr"], want.snr, rtol=1e-12)
    assert np.allclose(data["bootstrap_ci"], want.bootstrap_ci, rtol=1e-12)


def test_cli_parquet_and_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    s = _scores(n_items=30, n_models=2, n_seeds=2, binary=False)
    path = tmp_path / "scores.parquet"
    pq.write_table(pa.table(_long(s)), path)
    assert main(["variance", str(path)]) == 0
    assert "continuous scores" in capsys.readouterr().out
    assert main(["variance", str(tmp_path / "missing.csv")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("scalecore: error: path: no such file") and err.count("\n") == 1
    (tmp_path / "bad.parquet").write_text("not parquet")
    assert main(["variance", str(tmp_path / "bad.parquet")]) == 2
    assert capsys.readouterr().err.startswith("scalecore: error: file: cannot read")
    one_seed = tmp_path / "one.csv"
    _write_csv(one_seed, _long(s[:, :, :1]))
    assert main(["variance", str(one_seed)]) == 2
    assert "at least 2 seeds" in capsys.readouterr().err


def test_docs_example_runs() -> None:
    if not DOCS.is_file():
        pytest.skip("docs/variance.md not found")
    blocks = re.findall(r"```python\n(.*?)```", DOCS.read_text(), re.S)
    assert blocks
    for code in blocks:
        exec(compile(code, str(DOCS), "exec"), {})


def test_results_pickle_and_frames_fall_back_to_dicts(monkeypatch: pytest.MonkeyPatch) -> None:
    import pickle
    import sys

    s = _scores(n_items=30, n_models=2, n_seeds=3)
    res = sc.variance.seed_stats(s, n_resamples=50)
    back = pickle.loads(pickle.dumps(res))
    assert np.array_equal(back.bootstrap_ci, res.bootstrap_ci) and back.models == res.models
    cmp = sc.variance.compare(s, 0, 1, n_resamples=50)
    assert pickle.loads(pickle.dumps(cmp)) == cmp
    monkeypatch.setitem(sys.modules, "pandas", None)  # import pandas now fails
    frame = res.to_frame()
    assert isinstance(frame, dict) and np.array_equal(frame["snr"], res.snr)
    assert isinstance(sc.variance.items(s).to_frame(), dict)


def test_seed_none_draws_fresh_entropy_and_records_it() -> None:
    """seed=None (the default, as in sc.bootstrap) records the seed it drew, which repeats the run; a Generator is
    accepted; anything else is refused naming seed."""
    s = _scores(seed=2, n_items=60)
    first = sc.variance.seed_stats(s, n_resamples=100)
    again = sc.variance.seed_stats(s, n_resamples=100, seed=first.seed)
    assert np.array_equal(first.bootstrap_ci, again.bootstrap_ci)
    other = sc.variance.seed_stats(s, n_resamples=100)
    assert other.seed != first.seed
    diff = sc.variance.compare(s, 0, 1, n_resamples=100, seed=np.random.default_rng(1))
    assert diff.ci == sc.variance.compare(s, 0, 1, n_resamples=100, seed=diff.seed).ci
    for bad in (-1, 1.5, "0", True):
        with pytest.raises(sc.InvalidInputError, match=r"^seed"):
            sc.variance.seed_stats(s, seed=bad)

"""Backtests: Gadre et al. 2024's published extrapolation errors, splits, scores against an independent
computation, bootstrap intervals, ranked tables and bad input."""

from __future__ import annotations

import csv
import itertools
from pathlib import Path

import numpy as np
import pytest
import scalecore as sc
from _gadre import SMALL, TASKS_17
from scalecore import _core


def gadre_rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as fh:
        return [r for r in csv.DictReader(fh) if r["dataset"] == "rpj"]


def gadre_starts() -> np.ndarray:
    """Their 128 starts A, B, k, E mapped to the over-training law's (E, a, b, eta): eta = -k/2,
    a = A 6^eta, b = B (L = A N^k + B 6^(k/2) (M N)^k + E); E = 0 becomes a tiny positive start."""
    rows = [
        [max(e, 1e-6), a * 6 ** (-k / 2), b, -k / 2]
        for a, b, k, e in itertools.product([1e2, 3e2, 1e3, 3e3], [1e2, 3e2, 1e3, 3e3], [-0.1, -0.3], [0, 1, 2, 10])
    ]
    return np.array(rows)


def test_gadre2024_published_relative_errors_are_reproduced(shared_data: Path) -> None:
    path = shared_data / "gadre2024" / "models.csv"
    if not path.is_file():
        pytest.skip(f"{path} is not present")
    rows = gadre_rows(path)
    model = [r["model"] for r in rows]
    cc = np.array([float(r["cc_mult"]) for r in rows])
    runs = sc.Runs(
        N=[float(r["N"]) for r in rows], D=[float(r["D"]) for r in rows], loss=[float(r["loss_c4_val"]) for r in rows]
    )
    # Their split: the four small shapes at M = 20 and d=96 at M = 320 (cc_mult 16) fit the loss law.
    loss_train = np.array([(m in SMALL and c == 1) or (m == SMALL[0] and c == 16) for m, c in zip(model, cc)])
    bt = sc.backtest(runs, "overtrained", split=loss_train, objective="lsq", init=gadre_starts())
    rel = dict(zip(bt.folds[0].heldout.tolist(), np.abs(bt.folds[0].relative_error) * 100))
    i_1b = next(i for i, (m, c) in enumerate(zip(model, cc)) if m == "open_lm_1b" and c == 32)
    i_7b = next(i for i, (m, c) in enumerate(zip(model, cc)) if m == "open_lm_7b")
    assert round(rel[i_1b], 4) == 0.7103
    assert round(rel[i_7b], 4) == 0.7320
    # The error law on those five plus the 1.4B model at M = 20, fed the loss law's predictions.
    err = [1 - np.mean([float(r["acc_" + t]) for t in TASKS_17]) for r in rows]
    err_runs = sc.Runs(x=runs.loss, loss=err)
    err_train = loss_train | np.array([m == "open_lm_1b" and c == 1 for m, c in zip(model, cc)])
    down = sc.backtest(err_runs, "downstream", split=err_train, objective="lsq", heldout_inputs={"x": bt.predictions})
    rel_err = dict(zip(down.folds[0].heldout.tolist(), np.abs(down.folds[0].relative_error) * 100))
    assert round(rel_err[i_1b], 4) == 3.6365
    assert round(rel_err[i_7b], 4) == 0.0464


def sweep() -> sc.Runs:
    return sc.datasets.chinchilla_sweep(seed=3)


def test_scores_match_an_independent_computation() -> None:
    runs = sweep()
    cut = float(np.sort(np.unique(runs.C))[-3])
    bt = sc.backtest(runs, "chinchilla", split="C", cut=cut)
    fold = bt.folds[0]
    train = cut >= runs.C
    assert np.array_equal(fold.train, train)
    ref = sc.fit(runs.subset(train), "chinchilla")
    held = np.flatnonzero(~train)
    pred = sc.laws.get("chinchilla").predict(ref.params, N=runs.N[held], D=runs.D[held])
    np.testing.assert_allclose(fold.predicted, pred, rtol=1e-10)
    rel = (pred - runs.loss[held]) / runs.loss[held]
    assert fold.mean_abs_relative_error == pytest.approx(np.abs(rel).mean(), rel=1e-9)
    assert fold.rms_log_error == pytest.approx(np.sqrt(np.mean(np.log(pred / runs.loss[held]) ** 2)), rel=1e-9)
    assert fold.largest_relative_error == pytest.approx(rel[np.argmax(runs.C[held])], rel=1e-9)
    # N_opt at the largest budget against the fit to every run.
    full = sc.fit(runs, "chinchilla")
    c_max = runs.C.max()
    n_ref, n_full = (float(np.ravel(f.allocate(compute=c_max).N)[0]) for f in (ref, full))
    want = (n_ref - n_full) / n_full
    assert fold.n_opt_relative_error == pytest.approx(want, rel=1e-6)
    frame = bt.to_frame()
    assert len(frame) == len(held) and set(frame.columns) >= {"observed", "predicted", "relative_error"}


def test_several_cuts_and_the_default_holdout() -> None:
    runs = sweep()
    budgets = np.unique(runs.C)
    bt = sc.backtest(runs, "chinchilla", split="C", cut=budgets[-4:-1])
    assert len(bt.folds) == 3
    assert [f.train.sum() for f in bt.folds] == sorted(f.train.sum() for f in bt.folds)
    default = sc.backtest(runs, "chinchilla", split="N")
    assert 0.15 < (~default.folds[0].train).mean() < 0.35


def test_rolling_cuts_along_a_curve() -> None:
    x = np.geomspace(1e3, 1e6, 16)
    rng = np.random.default_rng(0)
    y = (1.2 + 30 * x**-0.4) * np.exp(0.005 * rng.standard_normal(16))
    runs = sc.Runs(x=x, loss=y)
    bt = sc.backtest(runs, "power", split=sc.Rolling("x", min_train=8, step=2, horizon=3))
    assert len(bt.folds) == 4
    for k, fold in enumerate(bt.folds):
        assert fold.train.sum() == 8 + 2 * k
        assert list(fold.heldout) == list(range(8 + 2 * k, 8 + 2 * k + 3))[: 16 - 8 - 2 * k]
    assert bt.score("rms_log_error") < 0.02


def test_bootstrap_intervals_are_reproducible_and_bracket_plausibly() -> None:
    runs = sweep()
    cut = float(np.sort(np.unique(runs.C))[-3])
    a = sc.backtest(runs, "chinchilla", split="C", cut=cut, n_resamples=60, seed=4)
    b = sc.backtest(runs, "chinchilla", split="C", cut=cut, n_resamples=60, seed=4, n_threads=1)
    assert a.folds[0].intervals == b.folds[0].intervals
    iv = a.folds[0].intervals
    assert set(iv) == {"mean_abs_relative_error", "rms_log_error", "largest_relative_error", "n_opt_relative_error"}
    for lo, hi in iv.values():
        assert lo <= hi
    lo, hi = iv["largest_relative_error"]
    assert lo - 0.05 < a.folds[0].largest_relative_error < hi + 0.05


def test_predict_draws_matches_one_prediction_per_draw() -> None:
    law = sc.laws.get("chinchilla")
    rng = np.random.default_rng(1)
    thetas = np.column_stack(
        [
            rng.normal(0.5, 0.1, 7),
            rng.normal(6, 0.3, 7),
            rng.normal(6, 0.3, 7),
            rng.uniform(0.2, 0.4, 7),
            rng.uniform(0.2, 0.4, 7),
        ]
    )
    N, D = np.geomspace(1e8, 1e10, 5), np.geomspace(1e9, 1e11, 5)
    out = _core.predict_draws("chinchilla", thetas, {"N": N, "D": D})
    for row, t in zip(out, thetas):
        np.testing.assert_allclose(row, law.predict(law.to_public(t), N=N, D=D), rtol=1e-12)


def test_table_ranks_by_the_chosen_score() -> None:
    runs = sweep()
    cut = float(np.sort(np.unique(runs.C))[-3])
    table = sc.backtest_table(
        runs,
        ["chinchilla", "kaplan", {"law": "chinchilla", "objective": "lsq", "label": "chinchilla lsq"}],
        split="C",
        cut=cut,
    )
    scores = [r.score("rms_log_error") for r in table.results]
    assert scores == sorted(scores)
    frame = table.to_frame()
    assert list(frame["rank"]) == [1, 2, 3] and "chinchilla lsq" in set(frame["label"])
    assert table.best is table.results[0]


def test_bad_input_names_the_argument() -> None:
    runs = sweep()
    with pytest.raises(sc.InvalidInputError, match="split"):
        sc.backtest(runs, "chinchilla", split=np.arange(len(runs)) < 5)  # 5 runs for 5 parameters
    with pytest.raises(sc.InvalidInputError, match="split"):
        sc.backtest(runs, "chinchilla", split="C", cut=runs.C.max())  # nothing held out
    with pytest.raises(sc.InvalidInputError, match="split"):
        sc.backtest(runs, "chinchilla", split=np.ones(3, dtype=bool))
    with pytest.raises(sc.InvalidInputError, match="split"):
        sc.backtest(runs, "chinchilla", split="U")
    with pytest.raises(sc.InvalidInputError, match=r"Rolling\.min_train"):
        sc.backtest(runs, "chinchilla", split=sc.Rolling("C", min_train=len(runs)))
    with pytest.raises(sc.InvalidInputError, match=r"Rolling\.step"):
        sc.backtest(runs, "chinchilla", split=sc.Rolling("C", step=0))
    with pytest.raises(sc.InvalidInputError, match="heldout_inputs"):
        sc.backtest(runs, "chinchilla", heldout_inputs={"N": [1.0, 2.0]})
    with pytest.raises(sc.InvalidInputError, match="candidates"):
        sc.backtest_table(runs, [])
    with pytest.raises(sc.InvalidInputError, match="rank_by"):
        sc.backtest_table(runs, ["chinchilla"], rank_by="r2")
    with pytest.raises(sc.InvalidInputError, match="loss"):
        sc.backtest({"N": [1e8, 2e8], "D": [1e9, 2e9], "loss": [np.nan, 2.0]}, "chinchilla")

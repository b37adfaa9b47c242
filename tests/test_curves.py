"""Whole training curves (sc.curves): schedule areas against the NumPy reference, the law of Tissue et al. 2024
recovered from simulated constant, cosine and WSD curves, the warm-up cut, checkpoint selection, seed means,
the envelope over learning rates, and bad input named."""

from __future__ import annotations

import pickle
from typing import Any

import numpy as np
import pytest
import scalecore as sc
from hypothesis import given
from hypothesis import strategies as st
from scalecore._reference.curves import schedule_areas as reference_areas
from scalecore.curves import Curves, from_table, predict_curve, schedule, tissue_law

PLANTED = {"L0": 2.0, "A": 0.45, "alpha": 0.5, "C": 0.35}
PEAK = 3e-4
DECAY = 0.999


def tissue_loss(step: np.ndarray, lr: np.ndarray, warmup: int, params: dict[str, float]) -> np.ndarray:
    """The planted law on a schedule given at every step (the reference areas, exact there)."""
    s1, s2 = reference_areas(step, lr, float(warmup), DECAY)
    return params["L0"] + params["A"] * s1 ** -params["alpha"] - params["C"] * s2


def simulated(
    kinds: dict[str, dict[str, Any]], n_steps: int = 4000, warmup: int = 100, every: int = 10, noise: float = 0.002
) -> tuple[Curves, dict[str, np.ndarray]]:
    """Curves of the planted law under the given schedules, logged every `every` steps, with multiplicative
    noise; also the noise-free losses."""
    rng = np.random.default_rng(0)
    run, step, loss, lr, clean = [], [], [], [], {}
    steps = np.arange(1, n_steps + 1, dtype=np.float64)
    for name, kw in kinds.items():
        eta = schedule(kw.pop("kind"), n_steps, peak=PEAK, warmup=warmup, **kw)
        truth = tissue_loss(steps, eta, warmup, PLANTED)
        at = np.r_[0, np.arange(every - 1, n_steps, every)]  # step 1, then every `every` steps
        clean[name] = truth[at]
        run += [name] * len(at)
        step.append(steps[at])
        lr.append(eta[at])
        loss.append(truth[at] * np.exp(noise * rng.standard_normal(len(at))))
    curves = Curves(run=run, step=np.concatenate(step), loss=np.concatenate(loss), lr=np.concatenate(lr))
    return curves, clean


# --- areas --------------------------------------------------------------------------------------------------
@st.composite
def curve_tables(draw: Any) -> tuple[list[str], np.ndarray, np.ndarray, float, float]:
    n_curves = draw(st.integers(1, 4))
    run, step, lr = [], [], []
    for c in range(n_curves):
        gaps = draw(st.lists(st.integers(0 if c == 0 else 1, 40), min_size=2, max_size=12))
        gaps[1:] = [max(g, 1) for g in gaps[1:]]
        s = np.cumsum(gaps).astype(np.float64)
        rates = draw(st.lists(st.floats(0.0, 1.0), min_size=len(s), max_size=len(s)))
        run += [f"r{c}"] * len(s)
        step.append(s)
        lr.append(np.asarray(rates))
    decay = draw(st.sampled_from([0.0, 0.5, 0.9, 0.999]))
    warmup = float(draw(st.integers(0, 30)))
    return run, np.concatenate(step), np.concatenate(lr), decay, warmup


@given(curve_tables())
def test_areas_equal_the_numpy_reference(table: tuple[list[str], np.ndarray, np.ndarray, float, float]) -> None:
    run, step, lr, decay, warmup = table
    curves = Curves(run=run, step=step, loss=np.ones(len(step)), lr=lr)
    s1, s2 = curves.areas(decay=decay, warmup=warmup)
    for a, b in zip(curves.offsets[:-1], curves.offsets[1:]):
        r1, r2 = reference_areas(curves.step[a:b], curves.lr[a:b], warmup, decay)  # type: ignore[index]
        scale = max(1.0, float(np.abs(r1).max()))
        np.testing.assert_allclose(s1[a:b], r1, rtol=1e-12, atol=1e-12 * scale)
        np.testing.assert_allclose(s2[a:b], r2, rtol=1e-10, atol=1e-10 * scale)


def test_areas_do_not_depend_on_the_thread_count_or_the_row_order() -> None:
    curves, _ = simulated({"cos": {"kind": "cosine"}, "wsd": {"kind": "wsd"}, "const": {"kind": "constant"}})
    one = curves.areas(n_threads=1)
    two = curves.areas(n_threads=2)
    assert all(np.array_equal(a, b) for a, b in zip(one, two))
    # The same checkpoints given curve after curve in another order: same areas per (run, step).
    perm = np.r_[curves.offsets[1] : len(curves), 0 : curves.offsets[1]]
    shuffled = Curves(run=curves.run[perm], step=curves.step[perm], loss=curves.loss[perm], lr=curves.lr[perm])  # type: ignore[index]
    s1, s2 = shuffled.areas()
    key = dict(zip(zip(shuffled.run.tolist(), shuffled.step.tolist()), zip(s1, s2)))
    assert all(key[(r, s)] == (a, b) for r, s, a, b in zip(curves.run.tolist(), curves.step.tolist(), *one))


def test_sparse_checkpoints_approximate_the_dense_areas() -> None:
    steps = np.arange(1, 3001, dtype=np.float64)
    eta = schedule("cosine", 3000, peak=PEAK, warmup=100)
    dense = reference_areas(steps, eta, 100.0, DECAY)
    at = np.r_[0, np.arange(9, 3000, 10)]  # step 1, then every 10 steps
    sparse = Curves(run=np.zeros(len(at)), step=steps[at], loss=np.ones(len(at)), lr=eta[at]).areas(warmup=100)
    np.testing.assert_allclose(sparse[0], dense[0][at], rtol=1e-4)
    np.testing.assert_allclose(sparse[1], dense[1][at], rtol=1e-3, atol=1e-3 * dense[1].max())


# --- the law of Tissue et al. -------------------------------------------------------------------------------
def test_one_fit_of_constant_cosine_and_wsd_recovers_the_law_and_predicts_a_held_out_schedule() -> None:
    kinds = {
        "constant": {"kind": "constant"},
        "cosine": {"kind": "cosine", "final": PEAK / 10},
        "wsd": {"kind": "wsd", "decay_steps": 800},
    }
    curves, _ = simulated(kinds)
    runs = curves.to_runs()
    law = tissue_law()
    fit = sc.fit(runs, law=law, objective="lsq_log")
    for p, v in PLANTED.items():
        assert fit.params[p] == pytest.approx(v, rel=0.05), (p, fit.params)
    # A schedule the fit never saw: WSD with a short linear decay to zero after 2000 steps.
    held_out, clean = simulated({"wsd_short": {"kind": "wsd", "decay_steps": 300}}, n_steps=2000, noise=0.0)
    pred = predict_curve(fit, held_out.step, held_out.lr)
    keep = held_out.step >= 100
    assert np.max(np.abs(pred[keep] / clean["wsd_short"][keep] - 1)) < 0.005
    # Whole curves resampled (cluster bootstrap by run) give an interval around the estimate.
    boot = sc.bootstrap(runs, law=law, objective="lsq_log", n_resamples=60, seed=1, scheme="pairs")
    lo, hi = boot.ci("alpha", level=0.95, method="percentile")
    assert lo <= fit.params["alpha"] <= hi


def test_tissue_law_pickles_and_names_its_inputs() -> None:
    law = tissue_law()
    assert law.inputs == ("S1", "S2")
    assert set(law.param_names) == {"L0", "A", "alpha", "C"}
    again = pickle.loads(pickle.dumps(law))
    assert again.expr == law.expr
    sized = tissue_law("tissue_sized", model_size=True)
    assert sized.inputs == ("S1", "S2", "N")


# --- warm-up, selection, seeds, envelope --------------------------------------------------------------------
def test_warmup_cut_and_checkpoint_selection() -> None:
    curves, _ = simulated({"cos": {"kind": "cosine"}}, warmup=200)
    ends = curves.warmup_end()
    assert ends.tolist() == [200.0]  # the first logged step at the peak (logged every 10 steps)
    runs = curves.to_runs()
    assert runs.x.min() >= 200 and len(runs) == int(np.sum(curves.step >= 200))
    assert len(curves.to_runs(warmup=1000)) == int(np.sum(curves.step >= 1000))
    assert len(curves.to_runs(warmup_fraction=0.5)) == int(np.sum(curves.step >= 2000))
    last = curves.to_runs(keep="last")
    assert last.x.tolist() == [curves.step[-1]]
    every = curves.to_runs(keep=50, warmup=None)
    assert every.x.tolist() == [1.0, *range(500, 4001, 500)]  # step 1 is row 400 from the last
    # The areas are those of the whole schedule, not of the kept rows.
    s1, _ = curves.areas()
    assert every.S1[-1] == s1[-1]


def test_seed_mean_gives_spread_usable_as_weights() -> None:
    rng = np.random.default_rng(3)
    step = np.tile(np.arange(10, 110, 10, dtype=np.float64), 6)
    run = np.repeat(["a", "b"], 30)
    seed = np.tile(np.repeat([0, 1, 2], 10), 2)
    loss = 3.0 / np.log(step) + 0.01 * rng.standard_normal(60)
    lr = np.full(60, 1e-3)
    curves = Curves(run=run, step=step, loss=loss, lr=lr, seed=seed)
    assert curves.n_curves == 6
    mean = curves.seed_mean()
    assert mean.n_curves == 2 and mean.n_seeds is not None and set(mean.n_seeds.tolist()) == {3}
    for r in ("a", "b"):
        for s in (10.0, 50.0, 100.0):
            vals = loss[(run == r) & (step == s)]
            i = np.flatnonzero((mean.run == r) & (mean.step == s))[0]
            assert mean.loss[i] == pytest.approx(vals.mean(), rel=1e-14)
            assert mean.loss_std[i] == pytest.approx(vals.std(ddof=1), rel=1e-12)  # type: ignore[index]
    runs = mean.to_runs(weight="inverse_variance", warmup=None)
    assert runs.weight is not None and runs.weight.mean() == pytest.approx(1.0)
    with pytest.raises(sc.InvalidInputError, match="seed_mean"):
        curves.to_runs(weight="inverse_variance")


def test_envelope_keeps_the_best_learning_rate_per_size_and_amount() -> None:
    step = np.tile([100.0, 200.0, 300.0], 4)
    n = np.repeat([1e8, 1e8, 4e8, 4e8], 3)
    run = np.repeat(["s-lo", "s-hi", "l-lo", "l-hi"], 3)
    loss = np.array([3.0, 2.8, 2.7, 3.1, 2.7, 2.75, 2.9, 2.6, 2.5, 2.8, 2.65, 2.4])
    curves = Curves(run=run, step=step, loss=loss, N=n, tokens=step * 1e6)
    env = curves.envelope()
    assert len(env) == 6
    assert env.loss.tolist() == [3.0, 2.7, 2.7, 2.8, 2.6, 2.4]
    assert env.D.tolist() == [1e8, 2e8, 3e8] * 2
    final = curves.envelope(keep="last")
    assert final.loss.tolist() == [2.7, 2.4]


def test_from_table_reads_named_columns() -> None:
    table = {"id": ["a"] * 3 + ["b"] * 3, "it": [1, 2, 3] * 2, "val": [3.0, 2.5, 2.2, 3.1, 2.6, 2.3], "eta": [1e-3] * 6}
    curves = from_table(table, run="id", step="it", loss="val", lr="eta")
    assert curves.n_curves == 2 and curves.lr is not None
    assert "2 curves, 6 checkpoints" in repr(curves)


# --- bad input ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("kw", "match"),
    [
        ({"step": [1, 3, 2, 4]}, r"step: curve 'a': steps must increase"),
        ({"lr": [1e-3, -1e-3, 1e-3, 1e-3]}, r"lr: curve 'a' at step 2: must be finite and non-negative"),
        ({"run": ["a", "a", "a", "b"]}, r"step: curve 'b' has 1 checkpoint"),
        ({"step": [1, 2.5, 3, 4]}, r"step: curve 'a': steps must be whole numbers"),
        ({"loss": [1.0, np.nan, 1.0, 1.0]}, r"loss: must be finite"),
        ({"run": ["a", "a"]}, r"run: needs one label per checkpoint \(4\)"),
        ({"N": [1e8, 1e8, 0.0, 1e8]}, r"N: must be positive"),
    ],
)
def test_bad_curves_are_named(kw: dict[str, Any], match: str) -> None:
    base: dict[str, Any] = {"run": ["a"] * 4, "step": [1, 2, 3, 4], "loss": [3.0, 2.9, 2.8, 2.7], "lr": [1e-3] * 4}
    with pytest.raises(sc.InvalidInputError, match=match):
        Curves(**{**base, **kw})


def test_bad_options_are_named() -> None:
    curves = Curves(run=["a"] * 3, step=[1, 2, 3], loss=[3.0, 2.9, 2.8], lr=[1e-3] * 3)
    with pytest.raises(sc.InvalidInputError, match=r"decay: must be in \[0, 1\)"):
        curves.areas(decay=1.0)
    with pytest.raises(sc.InvalidInputError, match="warmup: must be one of"):
        curves.areas(warmup="start")
    with pytest.raises(sc.InvalidInputError, match="warmup_fraction"):
        curves.areas(warmup_fraction=1.5)
    with pytest.raises(sc.InvalidInputError, match="keep"):
        curves.to_runs(keep=0)
    with pytest.raises(sc.InvalidInputError, match="N: the envelope"):
        curves.envelope()
    no_lr = Curves(run=["a"] * 3, step=[1, 2, 3], loss=[3.0, 2.9, 2.8])
    with pytest.raises(sc.InvalidInputError, match="lr: the schedule areas"):
        no_lr.areas()
    with pytest.raises(sc.InvalidInputError, match="seed: seed_mean"):
        no_lr.seed_mean()


def test_inputs_are_not_modified() -> None:
    step = np.array([3.0, 1.0, 2.0])
    loss = np.array([2.8, 3.0, 2.9])
    run = np.array(["b", "a", "a"])
    snapshot = (step.copy(), loss.copy(), run.copy())
    with pytest.raises(sc.InvalidInputError):
        Curves(run=run, step=step, loss=loss)
    assert np.array_equal(step, snapshot[0]) and np.array_equal(loss, snapshot[1]) and (run == snapshot[2]).all()


def test_an_over_estimate_penalty_fits_the_envelope_of_a_learning_rate_sweep() -> None:
    # Three runs per size that differ in learning rate; the best (the envelope) follows the planted law.
    step = np.tile(np.arange(100.0, 5100.0, 100.0), 3)
    penalty = np.repeat([1.0, 1.03, 1.08], 50)  # the two worse learning rates, in the order of the runs
    run = np.repeat(["lr-best", "lr-high", "lr-low"], 50)
    envelope_loss = 2.0 + 6.0 * step**-0.35
    curves = Curves(run=run, step=step, loss=envelope_loss * penalty, N=np.full(150, 1e8))
    env = curves.envelope()
    np.testing.assert_array_equal(env.loss, envelope_loss[:50])
    by_envelope = sc.fit(env, law="power", objective="lsq_log")
    # Every checkpoint, over-estimates weighted 10x (more than the number of worse runs): the same law.
    penalised = sc.fit(curves.to_runs(), law="power", objective=sc.objective("log", "huber", delta=1e-4, over=10.0))
    plain = sc.fit(curves.to_runs(), law="power", objective="lsq_log")
    for p, v in {"E": 2.0, "A": 6.0, "alpha": 0.35}.items():
        assert by_envelope.params[p] == pytest.approx(v, rel=1e-4)
        assert penalised.params[p] == pytest.approx(v, rel=1e-3)
    assert plain.params["E"] > 2.02  # through the middle of the sweep, not along its best runs

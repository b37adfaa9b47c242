"""sc.fit_many: one fit per group in one core call, a typed FitTable, per-group intervals, `map=` chunks."""

from __future__ import annotations

import pickle
from typing import Any

import numpy as np
import pytest
import scalecore as sc
from hypothesis import given
from hypothesis import strategies as st


def curves(n_groups: int, n_points: int = 20, seed: int = 0, noise: float = 0.01) -> dict[str, Any]:
    """Power-law-plus-constant curves, rows of the groups interleaved (not sorted by group)."""
    rng = np.random.default_rng(seed)
    steps = np.geomspace(100, 1e5, n_points)
    e = rng.uniform(0.5, 2.0, n_groups)
    a = rng.uniform(5.0, 50.0, n_groups)
    alpha = rng.uniform(0.2, 0.8, n_groups)
    x = np.tile(steps, n_groups)
    task = np.repeat(np.arange(n_groups), n_points)
    clean = e[task] + a[task] * x ** -alpha[task]
    loss = clean * np.exp(noise * rng.standard_normal(clean.size))
    order = rng.permutation(x.size)
    return {"task": task[order], "step": x[order], "loss": loss[order]}


def test_fit_many_fits_one_law_per_group() -> None:
    pd = pytest.importorskip("pandas")
    steps = np.geomspace(100, 1e5, 30)
    frames = []
    for task, alpha in (("a", 0.3), ("b", 0.5)):
        loss = sc.laws.get("power").predict({"E": 1.0, "A": 20.0, "alpha": alpha}, x=steps)
        frames.append(pd.DataFrame({"task": task, "step": steps, "loss": loss}))
    table = sc.fit_many(pd.concat(frames), law="power", by=["task"], x="step", loss="loss", objective="lsq")
    assert isinstance(table, sc.FitTable)
    assert [row["task"] for row in table] == ["a", "b"]
    assert [row["alpha"] for row in table] == pytest.approx([0.3, 0.5], rel=1e-6)
    assert table.params["alpha"] == pytest.approx([0.3, 0.5], rel=1e-6)
    assert len(table) == 2 and table.converged.all() and (table.n_runs == 30).all()


@given(seed=st.integers(0, 2**32 - 1))
def test_every_group_equals_its_own_fit(seed: int) -> None:
    data = curves(6, seed=seed)
    table = sc.fit_many(data, "power", by="task", x="step", objective="lsq")
    for i, row in enumerate(table):
        mask = data["task"] == row["task"]
        single = sc.fit({"x": data["step"][mask], "loss": data["loss"][mask]}, "power", objective="lsq")
        # The shared starts reach the optimum of the group's own multi-start.
        assert row.objective <= single.objective * (1 + 1e-9) + 1e-300
        assert table.objective[i] == row.objective


def test_input_shapes_give_the_same_table() -> None:
    pd = pytest.importorskip("pandas")
    pl = pytest.importorskip("polars")
    pa = pytest.importorskip("pyarrow")
    data = curves(5)
    ref = sc.fit_many(data, "power", by="task", x="step")
    for table in (pd.DataFrame(data), pl.DataFrame(data), pa.table(data)):
        other = sc.fit_many(table, "power", by="task", x="step")
        np.testing.assert_array_equal(other.objective, ref.objective)
        np.testing.assert_array_equal(other.params["alpha"], ref.params["alpha"])


def test_hostile_float_arrays_give_the_same_result() -> None:
    data = curves(4)
    ref = sc.fit_many(data, "power", by="task", x="step")
    n = len(data["step"])
    unaligned = np.frombuffer(b"\0" + data["step"].tobytes(), dtype=np.float64, offset=1, count=n)
    assert not unaligned.flags.aligned
    strided = np.repeat(data["step"], 2)[::2]
    big = data["step"].astype(">f8")
    readonly = data["step"].copy()
    readonly.setflags(write=False)
    for x in (unaligned, strided, big, readonly):
        out = sc.fit_many({**data, "step": x}, "power", by="task", x="step")
        np.testing.assert_array_equal(out.objective, ref.objective)


def test_the_table_converts_and_pickles() -> None:
    pd = pytest.importorskip("pandas")
    pl = pytest.importorskip("polars")
    pytest.importorskip("pyarrow")
    table = sc.fit_many(curves(3), "power", by="task", x="step", n_resamples=50, seed=1)
    frame = table.to_frame()
    assert isinstance(frame, pd.DataFrame) and len(frame) == 3
    assert {"task", "E", "A", "alpha", "alpha_low", "alpha_high", "objective", "flags"} <= set(frame.columns)
    assert isinstance(table.to_frame("polars"), pl.DataFrame)
    assert table.to_arrow().num_rows == 3
    again = pickle.loads(pickle.dumps(table))
    np.testing.assert_array_equal(again.params["alpha"], table.params["alpha"])
    with pytest.raises(sc.InvalidInputError, match="backend"):
        table.to_frame("excel")


def test_multiple_keys_and_flags() -> None:
    data = curves(4)
    data["seed"] = data["task"] % 2
    data["task"] = data["task"] // 2
    # A group of two runs cannot determine three parameters: flagged, NaN, the rest fitted.
    extra = {"task": [9, 9], "step": [100.0, 200.0], "loss": [3.0, 2.9], "seed": [0, 0]}
    data = {k: np.concatenate([v, extra[k]]) for k, v in data.items()}
    table = sc.fit_many(data, "power", by=["task", "seed"], x="step")
    assert len(table) == 5
    assert list(zip(table.keys["task"], table.keys["seed"])) == [(0, 0), (0, 1), (1, 0), (1, 1), (9, 0)]
    assert table.flagged("too_few_runs").tolist() == [False] * 4 + [True]
    assert np.isnan(table.params["E"][-1]) and table.row(4).flags == ("too_few_runs",)
    assert table.converged[:4].all()


def test_bad_input_names_the_argument() -> None:
    data = curves(2)
    data["step"][3] = -1.0
    with pytest.raises(sc.InvalidInputError, match=r"x: must be finite and positive.*\(group"):
        sc.fit_many(data, "power", by="task", x="step")
    with pytest.raises(sc.InvalidInputError, match="not found"):
        sc.fit_many(curves(2), "power", by="nope", x="step")
    with pytest.raises(sc.InvalidInputError, match="n_resamples"):
        sc.fit_many(curves(2), "power", by="task", x="step", n_resamples=-3)


def test_intervals_are_deterministic_for_threads_and_chunks() -> None:
    data = curves(7)
    kw: dict[str, Any] = dict(by="task", x="step", n_resamples=60, seed=5)
    one = sc.fit_many(data, "power", n_threads=1, **kw)
    assert one.low is not None and one.high is not None
    assert (one.low["alpha"] < one.params["alpha"]).all() and (one.params["alpha"] < one.high["alpha"]).all()
    for other in (
        sc.fit_many(data, "power", n_threads=3, **kw),
        sc.fit_many(data, "power", map=map, chunk_size=3, **kw),
    ):
        assert other.low is not None and other.high is not None
        for p in ("E", "A", "alpha"):
            np.testing.assert_array_equal(other.params[p], one.params[p])
            np.testing.assert_array_equal(other.low[p], one.low[p])
            np.testing.assert_array_equal(other.high[p], one.high[p])
    bca = sc.fit_many(data, "power", method="BCa", **kw)
    assert bca.method == "bca" and bca.low is not None and np.isfinite(bca.low["alpha"]).all()


def test_a_whole_fit_per_group_on_request() -> None:
    data = curves(3)
    auto = sc.fit_many(data, "power", by="task", x="step", init="auto")
    shared = sc.fit_many(data, "power", by="task", x="step")
    assert (auto.n_starts > 1).all() and (shared.n_starts == 1).all()
    np.testing.assert_allclose(shared.objective, auto.objective, rtol=1e-9)

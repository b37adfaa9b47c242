"""Joint fits inside sc.fit_many: per `by` key, one joint fit of its rows with the `group` column's groups
sharing parameters; each key's result is sc.fit(rows_of_that_key, group=, shared=) to the bit."""

from __future__ import annotations

import pickle
from typing import Any

import numpy as np
import pytest
import scalecore as sc
from hypothesis import given, settings
from hypothesis import strategies as st

ARCHS = ("cnn", "mlp", "vit")


def fleet(
    n_tasks: int, n_points: int = 12, seed: int = 0, noise: float = 0.01, archs: tuple[str, ...] = ARCHS
) -> dict[str, Any]:
    """Per task, one power-law curve per architecture with the task's exponent shared by its architectures
    (planted: alpha of task t), E and A per (task, architecture); rows shuffled."""
    rng = np.random.default_rng(seed)
    steps = np.geomspace(100, 1e5, n_points)
    alpha = rng.uniform(0.25, 0.6, n_tasks)
    cols: dict[str, list[Any]] = {"task": [], "arch": [], "step": [], "loss": []}
    for t in range(n_tasks):
        for arch in archs:
            e, a = rng.uniform(0.8, 2.0), rng.uniform(5.0, 40.0)
            clean = e + a * steps ** -alpha[t]
            cols["task"] += [f"t{t:03d}"] * n_points
            cols["arch"] += [arch] * n_points
            cols["step"] += list(steps)
            cols["loss"] += list(clean * np.exp(noise * rng.standard_normal(n_points)))
    order = rng.permutation(len(cols["loss"]))
    out = {k: np.asarray(v)[order] for k, v in cols.items()}
    out["alpha"] = alpha  # the planted exponents (not a column of the table)
    return out


def table_of(data: dict[str, Any]) -> dict[str, Any]:
    return {k: data[k] for k in ("task", "arch", "step", "loss")}


KW: dict[str, Any] = dict(by="task", x="step", group="arch", shared=["alpha"])


def single(data: dict[str, Any], task: Any, **kw: Any) -> sc.JointFit:
    rows = data["task"] == task
    runs = {"x": data["step"][rows], "loss": data["loss"][rows], "arch": data["arch"][rows]}
    return sc.fit(runs, "power", group="arch", **kw)


@pytest.fixture(scope="module")
def data() -> dict[str, Any]:
    return fleet(6)


@pytest.fixture(scope="module")
def joint(data: dict[str, Any]) -> sc.JointFitTable:
    return sc.fit_many(table_of(data), "power", **KW)


def test_each_key_equals_its_own_joint_fit(data: dict[str, Any], joint: sc.JointFitTable) -> None:
    assert isinstance(joint, sc.JointFitTable)
    assert len(joint) == 6 and joint.shared == ("alpha",) and joint.group == "arch"
    assert list(joint.keys["task"]) == [f"t{t:03d}" for t in range(6)]
    for i, row in enumerate(joint):
        alone = single(data, row["task"], shared=["alpha"])
        assert row.groups == alone.groups == ARCHS
        for p in ("E", "A", "alpha"):
            np.testing.assert_array_equal(row.params[p], alone.params[p])
        assert row.objective == alone.objective and joint.objective[i] == alone.objective
        np.testing.assert_array_equal(row.group_objectives, alone.group_objectives)
        assert row.converged == alone.converged and row.n_runs == alone.n_runs
        assert joint.n_starts[i] == alone.n_starts and joint.n_at_best[i] == alone.n_at_best
    assert (joint.n_runs == 36).all() and joint.converged.all() and (joint.flags == 0).all()


def test_planted_shared_exponents_are_recovered() -> None:
    quiet = fleet(8, n_points=15, seed=1, noise=0.002)
    joint = sc.fit_many(table_of(quiet), "power", **KW)
    np.testing.assert_allclose(joint.shared_params["alpha"], quiet["alpha"], atol=0.02)
    for row in joint:
        assert np.all(row.params["alpha"] == row.params["alpha"][0])
        assert row.shared_params["alpha"] == row.params_of("vit")["alpha"]
    assert not np.all(joint.params["E"] == joint.params["E"][0])


def test_nothing_shared_equals_separate_fits(data: dict[str, Any]) -> None:
    table = sc.fit_many(table_of(data), "power", by="task", x="step", group="arch", shared=[])
    assert table.shared == ()
    for row in table:
        alone = single(data, row["task"], shared=[])
        for p in ("E", "A", "alpha"):
            np.testing.assert_array_equal(row.params[p], alone.params[p])
        rows = data["task"] == row["task"]
        for g, arch in enumerate(row.groups):
            mask = rows & (data["arch"] == arch)
            sep = sc.fit({"x": data["step"][mask], "loss": data["loss"][mask]}, "power")
            # The same optimum as a separate fit (the joint fit's one start is each group's own optimum,
            # polished once more in the joint coordinates).
            assert row.group_objectives[g] == pytest.approx(sep.objective, rel=1e-9, abs=1e-14)
            assert row.params["alpha"][g] == pytest.approx(sep.params["alpha"], rel=1e-5)


def test_the_same_for_any_thread_count_and_chunking(data: dict[str, Any]) -> None:
    kw: dict[str, Any] = dict(**KW, n_resamples=30, seed=9)
    one = sc.fit_many(table_of(data), "power", n_threads=1, **kw)
    assert one.low is not None and one.high is not None and one.seeds is not None
    for other in (
        sc.fit_many(table_of(data), "power", n_threads=3, **kw),
        sc.fit_many(table_of(data), "power", map=map, chunk_size=4, **kw),
        sc.fit_many(table_of(data), "power", map=map, chunk_size=1, **kw),
    ):
        assert other.low is not None and other.high is not None
        for p in ("E", "A", "alpha"):
            np.testing.assert_array_equal(other.params[p], one.params[p])
            np.testing.assert_array_equal(other.low[p], one.low[p])
            np.testing.assert_array_equal(other.high[p], one.high[p])
        np.testing.assert_array_equal(other.seeds, one.seeds)
    inside = (one.low["alpha"] <= one.params["alpha"]) & (one.params["alpha"] <= one.high["alpha"])
    assert inside.all() and (one.low["alpha"] < one.high["alpha"]).all()


def test_intervals_are_the_stratified_bootstrap_of_each_key(data: dict[str, Any]) -> None:
    table = sc.fit_many(table_of(data), "power", **KW, n_resamples=40, seed=2, level=0.9)
    assert table.low is not None and table.high is not None and table.seeds is not None
    assert table.n_failed is not None
    for i in (0, 3):
        row = table.row(i)
        boot = single(data, row["task"], shared=["alpha"]).bootstrap(40, seed=int(table.seeds[i]), level=0.9)
        assert boot.n_failed == table.n_failed[i]
        assert boot.ci("alpha") == (table.low["alpha"][3 * i], table.high["alpha"][3 * i])
        for g, arch in enumerate(ARCHS):
            assert boot.ci("E", group=arch) == (table.low["E"][3 * i + g], table.high["E"][3 * i + g])
    basic = sc.fit_many(table_of(data), "power", **KW, n_resamples=40, seed=2, method="basic")
    assert basic.method == "basic" and basic.low is not None
    assert not np.array_equal(basic.low["E"], table.low["E"])


def test_frames_arrow_iteration_and_pickle(joint: sc.JointFitTable) -> None:
    pd = pytest.importorskip("pandas")
    frame = joint.to_frame()
    assert isinstance(frame, pd.DataFrame) and len(frame) == 18
    assert list(frame.columns[:5]) == ["task", "arch", "E", "A", "alpha"]
    assert list(frame["arch"][:3]) == list(ARCHS)
    np.testing.assert_array_equal(frame["objective"][:3], [joint.objective[0]] * 3)
    pl = pytest.importorskip("polars")
    assert isinstance(joint.to_frame("polars"), pl.DataFrame)
    pa = pytest.importorskip("pyarrow")
    arrow = joint.to_arrow()
    assert isinstance(arrow, pa.Table) and arrow.num_rows == 18
    again = pickle.loads(pickle.dumps(joint))
    np.testing.assert_array_equal(again.params["alpha"], joint.params["alpha"])
    assert "6 keys" in repr(joint) and "sharing ['alpha']" in repr(joint)
    assert joint.flagged("not_converged").sum() == 0
    with pytest.raises(sc.InvalidInputError, match="backend"):
        joint.to_frame("excel")


def test_a_key_too_small_is_flagged_not_fatal() -> None:
    data = table_of(fleet(2, n_points=12))
    small = fleet(1, n_points=2, seed=4)  # 2 points per architecture: E, A per group and alpha need 7
    small["task"] = np.full(small["task"].shape, "small")
    merged = {k: np.concatenate([data[k], small[k]]) for k in data}
    table = sc.fit_many(merged, "power", **KW)
    assert list(table.keys["task"]) == ["small", "t000", "t001"]
    assert table.flagged("too_few_runs").tolist() == [True, False, False]
    assert np.isnan(table.row(0).params["E"]).all() and table.converged.tolist() == [False, True, True]


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        (dict(group="nope"), r"group: no column 'nope'"),
        (dict(shared=["gamma"]), r"shared: unknown parameter 'gamma'"),
        (dict(group="task"), r"group: 'task' is also a `by` column"),
        (dict(init="shared"), r"init: 'shared'"),
        (dict(n_resamples=10, method="bca"), r"method: "),
        (dict(n_resamples=10, scheme="residual"), r"scheme: "),
        (dict(checkpoint="x.npz"), r"checkpoint: "),
    ],
)
def test_bad_input_names_the_argument(data: dict[str, Any], kwargs: dict[str, Any], match: str) -> None:
    with pytest.raises(sc.InvalidInputError, match=match):
        sc.fit_many(table_of(data), "power", **{**KW, **kwargs})


def test_a_key_with_one_group_and_bad_rows_are_named(data: dict[str, Any]) -> None:
    t = table_of(data)
    lonely = {k: v[~((t["task"] == "t002") & (t["arch"] != "mlp"))] for k, v in t.items()}
    with pytest.raises(sc.InvalidInputError, match=r"group: key \('t002',\) has a single group"):
        sc.fit_many(lonely, "power", **KW)
    bad = {k: v.copy() for k, v in t.items()}
    bad["step"][np.flatnonzero(bad["task"] == "t004")[0]] = -1.0
    with pytest.raises(sc.InvalidInputError, match=r"x: .*\(key 4\)"):
        sc.fit_many(bad, "power", **KW)


def test_hostile_arrays_and_frames_give_the_same_table(data: dict[str, Any], joint: sc.JointFitTable) -> None:
    pd = pytest.importorskip("pandas")
    t = table_of(data)
    n = len(t["loss"])
    buf = np.zeros(n * 8 + 1, dtype=np.uint8)[1:].view(">f8")  # unaligned, big-endian
    buf[:] = t["step"]
    hostile = {**t, "step": buf, "loss": np.repeat(t["loss"], 2)[::2]}
    hostile["loss"].flags.writeable = False
    for other in (sc.fit_many(hostile, "power", **KW), sc.fit_many(pd.DataFrame(t), "power", **KW)):
        np.testing.assert_array_equal(other.params["alpha"], joint.params["alpha"])


@settings(max_examples=6, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n_tasks=st.integers(1, 4), n_archs=st.integers(2, 3))
def test_random_small_fleets_equal_their_joint_fits(seed: int, n_tasks: int, n_archs: int) -> None:
    data = fleet(n_tasks, n_points=8, seed=seed, noise=0.02, archs=ARCHS[:n_archs])
    table = sc.fit_many(table_of(data), "power", **KW, n_threads=2)
    assert len(table) == n_tasks and len(table.groups) == n_tasks * n_archs
    for row in table:
        alone = single(data, row["task"], shared=["alpha"])
        np.testing.assert_array_equal(row.params["alpha"], alone.params["alpha"])
        assert row.objective == alone.objective

"""Joint fits with shared parameters: `sc.fit(runs, group=..., shared=[...])` and its stratified bootstrap."""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import scalecore as sc
from hypothesis import given, settings
from hypothesis import strategies as st
from scalecore import _core
from scalecore._reference import joint as ref
from scalecore.joint import JointBootstrap, JointFit

PLANTED = {"alpha": 0.34, "beta": 0.28}
PER_GROUP = {"adam": (1.7, 420.0, 400.0), "sgd": (1.9, 610.0, 380.0), "lion": (1.75, 380.0, 520.0)}


def _table(noise: float = 0.005, seed: int = 0, per_group: int = 12) -> dict[str, Any]:
    """Per-optimizer Chinchilla runs with shared exponents and per-optimizer E, A, B."""
    rng = np.random.default_rng(seed)
    cols: dict[str, list[Any]] = {"N": [], "D": [], "loss": [], "optimizer": []}
    for name, (e, a, b) in PER_GROUP.items():
        n = 10 ** rng.uniform(7.5, 9.5, per_group)
        d = n * 10 ** rng.uniform(0.8, 2.2, per_group)
        clean = e + a / n ** PLANTED["alpha"] + b / d ** PLANTED["beta"]
        loss = clean * np.exp(noise * rng.standard_normal(per_group))
        cols["N"] += list(n)
        cols["D"] += list(d)
        cols["loss"] += list(loss)
        cols["optimizer"] += [name] * per_group
    return {k: np.asarray(v) for k, v in cols.items()}


@pytest.fixture(scope="module")
def table() -> dict[str, Any]:
    return _table()


@pytest.fixture(scope="module")
def joint(table: dict[str, Any]) -> JointFit:
    return sc.fit(table, law="chinchilla", group="optimizer", shared=["alpha", "beta"])


def test_planted_shared_exponents_are_recovered(joint: JointFit) -> None:
    assert joint.converged
    assert joint.groups == ("adam", "lion", "sgd")
    assert joint.shared == ("alpha", "beta")
    for name, value in PLANTED.items():
        assert joint.shared_params[name] == pytest.approx(value, abs=0.03)
        assert np.all(joint.params[name] == joint.params[name][0])
    for g, (e, _, _) in PER_GROUP.items():
        assert joint.params_of(g)["E"] == pytest.approx(e, rel=0.05)
    assert joint.objective == pytest.approx(float(joint.group_objectives.sum()), rel=1e-12)


def test_nothing_shared_equals_the_separate_fits(table: dict[str, Any]) -> None:
    separate = sc.fit(table, group="optimizer", shared=[])
    for g in separate.groups:
        rows = table["optimizer"] == g
        alone = sc.fit(sc.Runs(N=table["N"][rows], D=table["D"][rows], loss=table["loss"][rows]))
        i = separate.groups.index(g)
        assert separate.group_objectives[i] == pytest.approx(alone.objective, rel=1e-6, abs=1e-12)
        for p, v in alone.params.items():
            assert separate.params_of(g)[p] == pytest.approx(v, rel=1e-3)


@pytest.mark.filterwarnings("ignore::scalecore.IdentifiabilityWarning")
def test_everything_shared_equals_the_pooled_fit(table: dict[str, Any]) -> None:
    law = sc.laws.get("chinchilla")
    pooled = sc.fit(sc.Runs(N=table["N"], D=table["D"], loss=table["loss"]))
    together = sc.fit(table, group="optimizer", shared=list(law.param_names))
    assert together.objective == pytest.approx(pooled.objective, rel=1e-6)
    for p, v in pooled.params.items():
        assert together.shared_params[p] == pytest.approx(v, rel=1e-3)


@pytest.mark.filterwarnings("ignore::scalecore.IdentifiabilityWarning")
def test_sharing_lies_between_the_separate_and_the_pooled_fits(table: dict[str, Any], joint: JointFit) -> None:
    separate = sc.fit(table, group="optimizer", shared=[])
    pooled = sc.fit(sc.Runs(N=table["N"], D=table["D"], loss=table["loss"]))
    assert separate.objective <= joint.objective * (1 + 1e-9) <= pooled.objective * (1 + 1e-9)


def _random_problem(seed: int, n_groups: int, shared: list[int]) -> tuple[dict[str, Any], list[int], np.ndarray]:
    rng = np.random.default_rng(seed)
    per = 6
    n = 10 ** rng.uniform(7, 10, per * n_groups)
    d = n * 10 ** rng.uniform(0.5, 2.5, per * n_groups)
    loss = 1.5 + 300 / n**0.3 + 400 / d**0.3 * np.exp(0.02 * rng.standard_normal(per * n_groups))
    codes = np.repeat(np.arange(n_groups), per)
    thetas = np.column_stack(
        [rng.uniform(0, 1, n_groups), rng.uniform(4, 7, n_groups), rng.uniform(4, 7, n_groups)]
        + [rng.uniform(0.2, 0.5, n_groups)] * 2
    )
    thetas[:, shared] = thetas[0, shared]
    return {"N": n, "D": d, "loss": loss}, codes.tolist(), thetas


@settings(deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n_groups=st.integers(1, 4),
    shared=st.sets(st.integers(0, 4), max_size=5),
    objective=st.sampled_from(["huber_log", "lsq", "lsq_log"]),
)
def test_joint_objective_equals_the_reference(seed: int, n_groups: int, shared: set[int], objective: str) -> None:
    cols, codes, thetas = _random_problem(seed, n_groups, sorted(shared))
    f, g = _core.joint_objective_value_grad(
        "chinchilla", {"N": cols["N"], "D": cols["D"]}, cols["loss"], codes, sorted(shared), thetas, objective=objective
    )
    u = ref.joint_vector(thetas, sorted(shared))
    f_ref, g_ref = ref.joint_objective_and_grad(
        "chinchilla", u, {"N": cols["N"], "D": cols["D"]}, cols["loss"], np.asarray(codes), sorted(shared), 5,
        objective=objective,
    )  # fmt: skip
    assert f == pytest.approx(f_ref, rel=1e-10, abs=1e-300)
    np.testing.assert_allclose(g, g_ref, rtol=1e-8, atol=1e-12 * (1 + np.abs(g_ref).max()))


def test_gradient_matches_finite_differences() -> None:
    cols, codes, thetas = _random_problem(3, 3, [3, 4])
    args = ("chinchilla", {"N": cols["N"], "D": cols["D"]}, cols["loss"], codes, [3, 4])
    f0, g = _core.joint_objective_value_grad(*args, thetas, objective="lsq_log")
    u = ref.joint_vector(thetas, [3, 4])
    h = 1e-6
    for j in range(len(u)):
        step = np.zeros(len(u))
        step[j] = h
        up, um = ref._split(u + step, 5, [3, 4], 3), ref._split(u - step, 5, [3, 4], 3)
        fd = (_core.joint_objective_value_grad(*args, up, objective="lsq_log")[0]
              - _core.joint_objective_value_grad(*args, um, objective="lsq_log")[0]) / (2 * h)  # fmt: skip
        assert fd == pytest.approx(g[j], rel=1e-5, abs=1e-8)
    assert np.isfinite(f0)


def test_fit_is_at_least_as_good_as_the_scipy_reference() -> None:
    rng = np.random.default_rng(5)
    x = np.tile(np.geomspace(1e3, 1e6, 10), 3)
    codes = np.repeat(np.arange(3), 10)
    e = np.array([1.0, 1.3, 0.8])[codes]
    loss = (e + 30 * x**-0.4) * np.exp(0.01 * rng.standard_normal(30))
    core = sc.fit({"x": x, "loss": loss}, law="power", group=codes, shared=["alpha"])
    # A few plausible starts (e, log A, alpha): scipy minimises each in Python, the whole grid takes minutes.
    mine = ref.fit_joint("power", {"x": x}, loss, codes, [2], np.array([[0.0, 3.0, 0.4], [0.2, 4.0, 0.5]]))
    assert core.objective <= mine["objective"] * (1 + 1e-6)
    assert core.shared_params["alpha"] == pytest.approx(float(mine["thetas"][0, 2]), rel=1e-2)


def test_group_takes_labels_a_runs_column_or_a_table_column(table: dict[str, Any], joint: JointFit) -> None:
    runs = sc.Runs(N=table["N"], D=table["D"], loss=table["loss"], group=table["optimizer"])
    by_runs = sc.fit(runs, group="group", shared=["alpha", "beta"])
    by_labels = sc.fit(runs, group=table["optimizer"], shared=["alpha", "beta"])
    for other in (by_runs, by_labels):
        assert other.objective == pytest.approx(joint.objective, rel=1e-9)
        assert other.groups == joint.groups
    pd = pytest.importorskip("pandas")
    by_frame = sc.fit(pd.DataFrame(table), group="optimizer", shared=["alpha", "beta"])
    assert by_frame.objective == pytest.approx(joint.objective, rel=1e-9)


def test_fixed_and_tied_parameters_hold_in_every_group(table: dict[str, Any]) -> None:
    fixed = sc.fit(table, group="optimizer", shared=["alpha"], fixed={"beta": 0.28})
    assert np.all(fixed.params["beta"] == 0.28)
    tied = sc.fit(table, group="optimizer", shared=["alpha", "beta"], tie=[("alpha", "beta")])
    np.testing.assert_array_equal(tied.params["alpha"], tied.params["beta"])
    with pytest.raises(sc.InvalidInputError, match="shared"):
        sc.fit(table, group="optimizer", shared=["alpha"], tie=[("alpha", "beta")])


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"group": "nope", "shared": ["alpha"]}, "group"),
        ({"group": np.arange(5), "shared": ["alpha"]}, "group"),
        ({"group": "optimizer", "shared": ["gamma"]}, "shared"),
        ({"group": "optimizer", "shared": 3}, "shared"),
        ({"shared": ["alpha"]}, "group"),
        ({"group": np.full(36, np.nan), "shared": []}, "group"),
    ],
)
def test_bad_groups_and_shares_name_the_argument(table: dict[str, Any], kwargs: dict[str, Any], name: str) -> None:
    with pytest.raises(sc.InvalidInputError, match=name):
        sc.fit(table, **kwargs)


def test_a_group_too_small_for_its_own_parameters_is_refused(table: dict[str, Any]) -> None:
    labels = table["optimizer"].copy()
    labels[:2] = "tiny"
    with pytest.raises(sc.InvalidInputError, match="group"):
        sc.fit(table | {"optimizer": labels}, group="optimizer", shared=["alpha", "beta"])


def test_small_groups_are_identified_by_sharing() -> None:
    # Four runs per group cannot fit five parameters alone; three own parameters they can.
    t = _table(noise=0.002, seed=4, per_group=4)
    fit = sc.fit(t, group="optimizer", shared=["alpha", "beta"])
    assert fit.converged
    assert fit.shared_params["alpha"] == pytest.approx(PLANTED["alpha"], abs=0.1)


def test_predict_is_scalar_in_scalar_out_and_broadcasts_groups(joint: JointFit) -> None:
    law = sc.laws.get("chinchilla")
    one = joint.predict(group="adam", N=1e9, D=2e10)
    assert isinstance(one, np.floating)
    assert one == pytest.approx(law.predict(joint.params_of("adam"), N=[1e9], D=[2e10])[0], rel=1e-12)
    many = joint.predict(group=["adam", "sgd"], N=1e9, D=2e10)
    assert many.shape == (2,)
    assert many[1] == pytest.approx(joint.predict(group="sgd", N=1e9, D=2e10), rel=1e-15)
    grid = joint.predict(group=np.array([["adam"], ["lion"]]), N=[1e8, 1e9, 1e10], D=2e10)
    assert grid.shape == (2, 3)
    with pytest.raises(sc.InvalidInputError, match="group"):
        joint.predict(group="rmsprop", N=1e9, D=2e10)


def test_pickle_save_load_and_frame(joint: JointFit, tmp_path: Path) -> None:
    again = pickle.loads(pickle.dumps(joint))
    assert again.to_dict() == joint.to_dict()
    assert again.predict(group="lion", N=1e9, D=1e10) == joint.predict(group="lion", N=1e9, D=1e10)
    for suffix in (".json", ".npz"):
        joint.save(tmp_path / f"j{suffix}")
        loaded = JointFit.load(tmp_path / f"j{suffix}")
        assert loaded.groups == joint.groups and loaded.objective == joint.objective
        assert loaded.predict(group="sgd", N=1e9, D=1e10) == joint.predict(group="sgd", N=1e9, D=1e10)
    pytest.importorskip("pandas")
    frame = joint.to_frame()
    assert list(frame["group"]) == list(joint.groups) and "alpha" in frame
    assert "3 groups" in repr(joint)


def test_allocate_per_group(joint: JointFit) -> None:
    a = joint.allocate(1e22, group="adam")
    b = sc.allocate(joint.params_of("adam"), compute=1e22, law="chinchilla")
    assert a.N == b.N and a.D == b.D


def test_bootstrap_by_group_is_deterministic(joint: JointFit) -> None:
    boot = sc.bootstrap(joint, n_resamples=40, seed=3, n_threads=1, progress=False)
    assert isinstance(boot, JointBootstrap)
    assert boot.samples.shape == (40, 3, 5)
    same = joint.bootstrap(40, seed=3, n_threads=2, progress=False)
    np.testing.assert_array_equal(boot.samples, same.samples)
    other = joint.bootstrap(40, seed=4, progress=False)
    assert not np.array_equal(boot.samples, other.samples)
    assert boot.n_failed <= 2
    lo, hi = boot.ci("alpha")
    assert lo < joint.shared_params["alpha"] < hi
    lo, hi = boot.ci("E", group="sgd", method="basic")
    assert lo < joint.params_of("sgd")["E"] < hi
    assert boot.se("beta") > 0
    with pytest.raises(sc.InvalidInputError, match="group"):
        boot.ci("E")
    with pytest.raises(sc.InvalidInputError, match="method"):
        boot.ci("alpha", method="bca")
    with pytest.raises(sc.InvalidInputError, match="scheme"):
        sc.bootstrap(joint, scheme="residual")
    pytest.importorskip("pandas")
    assert len(boot.to_frame()) == 2 + 3 * 3


@pytest.mark.filterwarnings("ignore::scalecore.IdentifiabilityWarning")
def test_porian_configurations_share_exponents(shared_data: Path) -> None:
    pd = pytest.importorskip("pandas")
    df = pd.read_csv(shared_data / "porian2024" / "isoflop_profiles.csv")
    df = df[(df.dataset == "rw") & (df.param_count == "standard")]
    setting = df.hparams + "/" + df.warmup + "/" + df.decay
    assert setting.nunique() == 4
    runs = {"N": df.N.to_numpy(), "D": df.D.to_numpy(), "loss": df.loss.to_numpy(), "setting": setting.to_numpy()}
    joint = sc.fit(runs, group="setting", shared=["alpha", "beta"])
    separate = sc.fit(runs, group="setting", shared=[])
    pooled = sc.fit(sc.Runs(N=runs["N"], D=runs["D"], loss=runs["loss"]))
    assert joint.converged and separate.converged
    assert separate.objective <= joint.objective * (1 + 1e-6) <= pooled.objective * (1 + 1e-6)
    assert 0.05 < joint.shared_params["alpha"] < 1.5 and 0.05 < joint.shared_params["beta"] < 1.5

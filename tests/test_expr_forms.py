"""Objective compositions (sc.objective) and published laws that are not built in, fitted to real data
(../shared/data) with bootstrap intervals through sc.laws.define."""

from __future__ import annotations

import csv
import pickle
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import scalecore as sc
from _gadre import TASKS_17
from _synthetic import chinchilla_runs, planted_chinchilla, theta_of
from scalecore import _core
from scipy.optimize import minimize

pytestmark = pytest.mark.filterwarnings(
    "ignore::scalecore.IdentifiabilityWarning", "ignore::scalecore.ConvergenceWarning"
)

CHINCHILLA = "E + A * N^-alpha + B * D^-beta"
ORDER = ["E", "A", "B", "alpha", "beta"]


def rows(shared_data: Path, *path: str) -> list[dict[str, str]]:
    p = shared_data.joinpath(*path)
    if not p.is_file():
        pytest.skip(f"shared data absent: {p}")
    with p.open() as fh:
        return list(csv.DictReader(fh))


# --- objectives as compositions ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "composed"),
    [
        ("huber_log", sc.objective("log", "huber", delta=1e-2)),
        ("lsq", sc.objective("linear", "squared")),
        ("lsq_log", sc.objective("log", "squared")),
        ("asymmetric", sc.objective("log", "huber", delta=1e-2, over=2.5)),
    ],
)
def test_named_objectives_are_compositions(name: str, composed: str) -> None:
    rng = np.random.default_rng(3)
    params = planted_chinchilla(rng)
    runs = chinchilla_runs(rng, params, 90, noise=0.03)
    cols = {"N": runs.N, "D": runs.D}
    theta = np.array(theta_of(params)) + rng.normal(0, 0.2, 5)
    w = rng.uniform(0.5, 2.0, len(runs))
    f1, g1 = _core.objective_value_grad("chinchilla", theta.tolist(), cols, runs.loss, w, name, 1e-2, 2.5)
    f2, g2 = _core.objective_value_grad("chinchilla", theta.tolist(), cols, runs.loss, w, composed)
    assert f2 == pytest.approx(f1, rel=1e-14)
    np.testing.assert_allclose(g2, g1, rtol=1e-13, atol=1e-13 * np.abs(g1).max())


def test_mean_reduction_and_asymmetry() -> None:
    rng = np.random.default_rng(4)
    runs = chinchilla_runs(rng, planted_chinchilla(rng), 50, noise=0.05)
    cols = {"N": runs.N, "D": runs.D}
    theta = theta_of(planted_chinchilla(rng))
    pred = sc.laws.get("chinchilla").predict(dict(zip(ORDER, np.exp(theta[:3]).tolist() + theta[3:])), **cols)
    r = pred - runs.loss
    f, _ = _core.objective_value_grad(
        "chinchilla", theta, cols, runs.loss, None, sc.objective("linear", "absolute", over=10, reduction="mean")
    )
    assert f == pytest.approx(np.mean(np.where(r > 0, 10.0, 1.0) * np.abs(r)), rel=1e-13)
    ph = sc.objective("log", "pseudo_huber", delta=0.05, under=3)
    f, _ = _core.objective_value_grad("chinchilla", theta, cols, runs.loss, None, ph)
    rl = np.log(pred) - np.log(runs.loss)
    expect = np.sum(np.where(rl > 0, 1.0, 3.0) * 0.05**2 * (np.sqrt(1 + (rl / 0.05) ** 2) - 1))
    assert f == pytest.approx(expect, rel=1e-12)
    fit = sc.fit(runs, objective=ph)
    assert "pseudo_huber" in fit.objective_name
    again = pickle.loads(pickle.dumps(fit))
    assert again.objective_name == fit.objective_name
    np.testing.assert_array_equal(again.handle.residuals, fit.handle.residuals)


def test_bad_compositions_are_refused() -> None:
    runs = sc.datasets.chinchilla_sweep(0)
    for bad in ["space=cubic", "penalty=huber,delta=-1", "over=-2", "colour=red"]:
        with pytest.raises(sc.InvalidInputError):
            sc.fit(runs, objective=bad)
    for penalty in ("quartic", "r^2 +", "r / 0", ""):
        with pytest.raises(sc.InvalidInputError):
            sc.fit(runs, objective=sc.objective("log", penalty))


@pytest.mark.parametrize(("expr", "named"), [("r^2", "squared"), ("abs(r)", "absolute")])
def test_a_penalty_written_as_an_expression_equals_the_named_penalty(expr: str, named: str) -> None:
    runs = sc.datasets.chinchilla_sweep(3)
    for space, over in (("log", 1.0), ("linear", 4.0)):
        ours = sc.fit(runs, objective=sc.objective(space, expr, over=over, reduction="mean"))
        theirs = sc.fit(runs, objective=sc.objective(space, named, over=over, reduction="mean"))
        assert ours.objective == pytest.approx(theirs.objective, rel=1e-12)
        for p in ORDER:
            assert ours.params[p] == pytest.approx(theirs.params[p], rel=1e-7)


def test_cauchy_penalty_on_the_chinchilla_runs(shared_data: Path) -> None:
    """Cauchy's loss log(1 + (r / c)^2) as a user penalty: the fit's objective is the NumPy value of that
    objective at its parameters, and no start of a sample of the grid does better with scipy."""
    data = rows(shared_data, "chinchilla_epoch2024", "runs.csv")
    N = np.array([float(r["Model Size"]) for r in data])
    C = np.array([float(r["Training FLOP"]) for r in data])
    loss = np.array([float(r["loss"]) for r in data])
    runs = sc.Runs(N=N, C=C, loss=loss)
    D = runs.D
    objective = sc.objective("log", "log1p(r^2 / 0.0004)")
    fit = sc.fit(runs, objective=objective)
    assert fit.objective_name.endswith("rho=log1p(r^2 / 0.0004)")

    def numpy_objective(t: np.ndarray) -> float:
        pred = np.exp(t[0]) + np.exp(t[1]) * N ** -t[3] + np.exp(t[2]) * D ** -t[4]
        return float(np.sum(np.log1p((np.log(pred) - np.log(loss)) ** 2 / 0.0004)))

    assert fit.objective == pytest.approx(numpy_objective(np.asarray(fit.theta)), rel=1e-10)
    starts = [np.asarray(fit.theta) + d for d in (0.1, -0.1)]
    with np.errstate(all="ignore"):
        best = min(minimize(numpy_objective, s, method="Nelder-Mead", options={"maxiter": 4000}).fun for s in starts)
    assert fit.objective <= best * (1 + 1e-7)


def _chinchilla_pkg_runs(shared_data: Path) -> sc.Runs:
    data = rows(shared_data, "chinchilla_pkg", "df.csv")
    get = lambda k: np.array([float(r[k]) for r in data])  # noqa: E731
    return sc.Runs(N=get("N"), D=get("D"), loss=get("loss"))


PKG_GRID = {
    "E": np.linspace(1.4, 2.0, 5),
    "A": np.exp(np.linspace(1, 10, 5)),
    "B": np.exp(np.linspace(1, 10, 5)),
    "alpha": np.linspace(0.1, 0.7, 5),
    "beta": np.linspace(0.1, 0.7, 5),
}


def _pkg_reference(runs: sc.Runs, every: int) -> float:
    """The package's procedure: scipy BFGS (numerical gradients) on (E, log A, log B, alpha, beta) from
    every `every`-th point of its 5^5 grid, mean asymmetric absolute error in linear space."""

    def objective(p: np.ndarray) -> float:
        e = runs.loss - (p[0] + np.exp(p[1]) * runs.N ** -p[3] + np.exp(p[2]) * runs.D ** -p[4])
        return float(np.mean(np.where(e < 0, 10.0, 1.0) * np.abs(e)))

    grid = np.array(np.meshgrid(*[PKG_GRID[k] if k not in "AB" else np.log(PKG_GRID[k]) for k in ORDER], indexing="ij"))
    starts = grid.reshape(5, -1).T[::every]
    with np.errstate(all="ignore"):
        return min(minimize(objective, s, method="BFGS").fun for s in starts)


def test_the_chinchilla_package_default_objective_and_grid(shared_data: Path) -> None:
    runs = _chinchilla_pkg_runs(shared_data)
    law = sc.laws.define("chinchilla_pkg", CHINCHILLA, params=ORDER, positive=["E", "A", "B"], grid=PKG_GRID)
    assert law.n_grid == 5**5
    obj = sc.objective("linear", "absolute", over=10, reduction="mean")
    fit = sc.fit(runs, law, objective=obj, init="hoffmann")
    reference = _pkg_reference(runs, every=125)
    assert fit.objective <= reference * (1 + 1e-9)


@pytest.mark.slow
def test_the_chinchilla_package_full_grid(shared_data: Path) -> None:
    runs = _chinchilla_pkg_runs(shared_data)
    law = sc.laws.define("chinchilla_pkg", CHINCHILLA, params=ORDER, positive=["E", "A", "B"], grid=PKG_GRID)
    fit = sc.fit(runs, law, objective=sc.objective("linear", "absolute", over=10, reduction="mean"), init="hoffmann")
    assert fit.objective <= _pkg_reference(runs, every=1) * (1 + 1e-9)


# --- published forms that are not built in, on real data, with bootstrap intervals -----------------------


def _interval(
    runs: sc.Runs, law: Any, param: str, max_failed: int = 30, **kw: Any
) -> tuple[sc.FitResult, tuple[float, float]]:
    boot = sc.bootstrap(runs, law, n_resamples=60, seed=0, progress=False, **kw)
    lo, hi = boot.ci(param)
    assert np.isfinite(lo) and np.isfinite(hi) and lo <= hi
    assert boot.n_failed <= max_failed
    return boot.fit, (lo, hi)


def test_rosenfeld_envelope_on_the_chinchilla_runs(shared_data: Path) -> None:
    """Rosenfeld et al. 2020 ("A constructive prediction of the generalization error across scales"):
    L = e0 |eps / (eps - i eta)| with eps = a N^-alpha + b D^-beta + c; it nests the Chinchilla form."""
    data = rows(shared_data, "chinchilla_epoch2024", "runs.csv")
    N = np.array([float(r["Model Size"]) for r in data])
    C = np.array([float(r["Training FLOP"]) for r in data])
    loss = np.array([float(r["loss"]) for r in data])
    keep = np.argsort(loss, kind="stable")[:240]
    runs = sc.Runs(N=N[keep], C=C[keep], loss=loss[keep])
    eps = "(a * N^-alpha + b * D^-beta + c)"
    law = sc.laws.define(
        "rosenfeld2020",
        f"e0 * {eps} / sqrt({eps}^2 + eta^2)",
        params=["e0", "eta", "a", "b", "c", "alpha", "beta"],
        positive=["e0", "eta", "a", "b", "c"],
    )
    chin = sc.fit(runs, "chinchilla")
    p = chin.params
    start = {
        "e0": [10.0, 100.0],
        "eta": [10.0, 100.0],
        "a": p["A"],
        "b": p["B"],
        "c": p["E"],
        "alpha": p["alpha"],
        "beta": p["beta"],
    }
    fit, (lo, hi) = _interval(runs, law, "alpha", init=start)
    assert fit.objective <= chin.objective * (1 + 1e-6)
    assert lo < fit.params["alpha"] < hi


def test_broken_power_law_with_two_breaks_on_a_learning_curve(shared_data: Path) -> None:
    """Caballero et al. 2022 (broken neural scaling laws), two breaks, on the longest LM curve of
    Alabdulmohsin et al. 2022."""
    data = [r for r in rows(shared_data, "revisiting2022", "curves.csv") if r["Model"] == "1.68e+07"]
    x = np.array([float(r["Seen Examples"]) for r in data])
    y = np.array([float(r["Loss"]) for r in data])
    runs = sc.Runs(x=x, loss=y)
    lx = np.log(x)
    law = sc.laws.define(
        "bnsl_two_breaks",
        "a + b * x^-c0 * (1 + (x / d1)^(1 / f1))^(-c1 * f1) * (1 + (x / d2)^(1 / f2))^(-c2 * f2)",
        params=["a", "b", "c0", "c1", "d1", "f1", "c2", "d2", "f2"],
        positive=["a", "b", "d1", "f1", "d2", "f2"],
        grid={
            "a": [0.1, 0.5],
            "b": [1.0, 10.0],
            "c0": [0.0, 0.2],
            "c1": [0.2, 0.5],
            "d1": np.exp(np.quantile(lx, [0.25])),
            "f1": [0.5],
            "c2": [-0.2, 0.2],
            "d2": np.exp(np.quantile(lx, [0.6, 0.85])),
            "f2": [0.5],
        },
    )
    one = sc.laws.define(
        "bnsl_one_break",
        "a + b * x^-c0 * (1 + (x / d1)^(1 / f1))^(-c1 * f1)",
        params=["a", "b", "c0", "c1", "d1", "f1"],
        positive=["a", "b", "d1", "f1"],
        grid={
            "a": [0.1, 0.5],
            "b": [1.0, 10.0],
            "c0": [0.0, 0.2],
            "c1": [0.2, 0.5],
            "d1": np.exp(np.quantile(lx, [0.25, 0.6])),
            "f1": [0.5],
        },
    )
    fit1 = sc.fit(runs, one, objective="lsq_log")
    # Nine parameters on one curve leave flat directions: most refits stop on the line search rather than
    # on the gradient test (counted as failed, not dropped silently); the interval uses the rest.
    fit, (lo, hi) = _interval(runs, law, "c0", max_failed=55, objective="lsq_log")
    assert fit.objective <= fit1.objective * (1 + 1e-9)
    assert lo <= fit.params["c0"] <= hi


def test_data_repetition_law_with_unique_tokens(shared_data: Path) -> None:
    """Muennighoff et al. 2023: repeated tokens are worth less, D' = U (1 + R (1 - exp(-(D/U - 1) / R))),
    in the Chinchilla form (the effective-data half of their law; the extra input column U)."""
    data = rows(shared_data, "datablations2023", "val_losses.csv")
    get = lambda k: np.array([float(r[k]) for r in data])  # noqa: E731
    runs = sc.Runs(N=get("N_params"), D=get("D_tokens"), U=get("U_unique_tokens"), loss=get("val_loss"))
    law = sc.laws.define(
        "repetition2023",
        "E + A * N^-alpha + B * (U * (1 + R * (1 - exp(-(D / U - 1) / R))))^-beta",
        params=["E", "A", "B", "alpha", "beta", "R"],
        positive=["E", "A", "B", "R"],
        grid={
            "E": [1.0, 2.0],
            "A": [1e2, 1e4],
            "B": [1e2, 1e4],
            "alpha": [0.2, 0.5],
            "beta": [0.2, 0.5],
            "R": [3.0, 15.0, 50.0],
        },
    )
    fit, (lo, hi) = _interval(runs, law, "R")
    plain = sc.fit(runs, "chinchilla")
    # Discounting repeated tokens must explain these runs better than counting every token.
    assert fit.objective < plain.objective
    assert lo <= fit.params["R"] <= hi


def _gadre(shared_data: Path) -> list[dict[str, str]]:
    return rows(shared_data, "gadre2024", "models.csv")


def test_sigmoid_of_log_compute_for_downstream_accuracy(shared_data: Path) -> None:
    """Ruan et al. 2024 ("Observational scaling laws"): accuracy is a sigmoid of a linear function of
    log compute between a floor and a ceiling; here the 17-task mean accuracy of Gadre et al.'s models."""
    data = _gadre(shared_data)
    acc = np.array([np.mean([float(r[f"acc_{t}"]) for t in TASKS_17]) for r in data])
    C = np.array([float(r["flops_6ND"]) for r in data])
    runs = sc.Runs(C=C, loss=acc)
    law = sc.laws.define(
        "observational2024",
        "lo + (hi - lo) * sigmoid(w * (log(C) - c0))",
        params=["lo", "hi", "w", "c0"],
        positive=["lo", "hi", "w"],
        grid={"lo": [0.2, 0.3], "hi": [0.6, 0.9], "w": [0.1, 0.5], "c0": [45.0, 50.0, 55.0]},
    )
    fit, (lo, hi) = _interval(runs, law, "w", objective="lsq")
    assert fit.params["w"] > 0 and lo <= fit.params["w"] <= hi
    assert np.all(np.abs(fit.residuals) < 0.1)


def test_kaplan_learning_curve_form_on_the_overtrained_runs(shared_data: Path) -> None:
    """Kaplan et al. 2020, eq. 1.6: L(N, S) = (N_c / N)^alpha_N + (S_c / S)^alpha_S, with training tokens
    standing in for steps (a fixed batch size), on Gadre et al.'s C4 validation losses."""
    data = _gadre(shared_data)
    get = lambda k: np.array([float(r[k]) for r in data])  # noqa: E731
    runs = sc.Runs(N=get("N"), D=get("D"), loss=get("loss_c4_val"))
    law = sc.laws.define(
        "kaplan_steps2020",
        "(N_c / N)^alpha_N + (S_c / D)^alpha_S",
        params=["N_c", "S_c", "alpha_N", "alpha_S"],
        positive=["N_c", "S_c"],
        grid={
            "N_c": [1e4, 1e8, 1e12],
            "S_c": [1e4, 1e8, 1e12],
            "alpha_N": [0.05, 0.1, 0.3],
            "alpha_S": [0.05, 0.1, 0.3],
        },
    )
    fit, (lo, hi) = _interval(runs, law, "alpha_N")
    assert 0 < fit.params["alpha_N"] < 1 and lo <= fit.params["alpha_N"] <= hi
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert fit.predict(N=np.array([1e9]), D=np.array([2e10]))[0] > 0


def test_a_law_with_an_extra_input_column_on_gadre_runs(shared_data: Path) -> None:
    """Kaplan et al. 2020 count non-embedding parameters, and Porian et al. 2024 trace part of the
    Kaplan-Chinchilla discrepancy to that count: the Chinchilla form in Gadre et al.'s non-embedding
    parameter count, a column Runs carries under the user's name (``extra={"N_ne": ...}``). The fit
    equals the same law fitted with that count in the standard N column, and bootstraps."""
    data = _gadre(shared_data)
    get = lambda k: np.array([float(r[k]) for r in data])  # noqa: E731
    keep = np.array([r["dataset"] == "c4_original" for r in data])
    N_ne, D, loss = get("N_no_embed")[keep], get("D")[keep], get("loss_c4_val")[keep]
    runs = sc.Runs(N=get("N")[keep], D=D, loss=loss, extra={"N_ne": N_ne})
    np.testing.assert_array_equal(runs.N_ne, N_ne)
    assert runs.subset(np.arange(5)).extra["N_ne"].tolist() == N_ne[:5].tolist()
    law = sc.laws.define(
        "chinchilla_non_embedding",
        "E + A * N_ne^-alpha + B * D^-beta",
        inputs=["N_ne", "D"],
        positive=["E", "A", "B"],
        bounds={"alpha": (0, 2), "beta": (0, 2)},
    )
    assert law.inputs == ("N_ne", "D")
    fit, (lo, hi) = _interval(runs, law, "alpha")
    same = sc.laws.define("chinchilla_n_column", CHINCHILLA, positive=["E", "A", "B"], bounds=law_bounds(law))
    reference = sc.fit(sc.Runs(N=N_ne, D=D, loss=loss), same)
    assert fit.objective == pytest.approx(reference.objective, rel=1e-12)
    assert fit.params["alpha"] == pytest.approx(reference.params["alpha"], rel=1e-9)
    assert 0 < lo <= fit.params["alpha"] <= hi < 2
    np.testing.assert_allclose(fit.predict(N_ne=N_ne[:3], D=D[:3]), reference.predict(N=N_ne[:3], D=D[:3]))
    with pytest.raises(sc.InvalidInputError, match="N_ne"):
        sc.fit(sc.Runs(N=N_ne, D=D, loss=loss), law)


def law_bounds(law: sc.laws.DefinedLaw) -> dict[str, tuple[float, float]]:
    return {p: (lo, hi) for p, lo, hi in law.bounds}

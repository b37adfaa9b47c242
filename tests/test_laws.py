"""The law families (docs/methods.md section 1): Rust kernels against the NumPy reference, analytic Jacobians
against finite differences, published check values, and recovery of planted curves."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import scalecore as sc
from _gadre import SMALL, TASKS_17
from hypothesis import given
from hypothesis import strategies as st
from scalecore import _core
from scalecore._reference import laws as ref

EXPECTED_PARAMS = {
    "power": ("E", "A", "alpha"),
    "chinchilla": ("E", "A", "B", "alpha", "beta"),
    "kaplan": ("N_c", "D_c", "alpha_N", "alpha_D"),
    "overtrained": ("E", "a", "b", "eta"),
    "downstream": ("eps", "k", "gamma"),
    "data_constrained": ("E", "A", "B", "alpha", "beta", "R_N_star", "R_D_star"),
    "bnsl": ("a", "b", "c0", "c1", "d1", "f1"),
    "bnsl2": ("a", "b", "c0", "c1", "d1", "f1", "c2", "d2", "f2"),
    "m4": ("eps_inf", "eps_0", "alpha", "beta", "c"),
}

# Internal-coordinate parameters around which random cases are drawn (plausible published values).
CENTRES = {
    "kaplan": [np.log(8.8e13), np.log(5.4e13), 0.076, 0.095],
    "overtrained": [1.8, np.log(400.0), np.log(360.0), 0.14],
    "downstream": [0.86, np.log(2.2), 0.71],
    "data_constrained": [0.625, 6.255, 7.305, 0.353, 0.353, np.log(5.31), np.log(15.39)],
    "bnsl": [0.0, 2.0, 0.2, 0.5, np.log(1e4), 0.0],
    "bnsl2": [0.0, 2.0, 0.2, 0.5, np.log(1e4), 0.0, 0.3, np.log(1e6), -0.5],
    "m4": [0.5, 3.0, 0.6, np.log(50.0), -0.4],
}


def _columns(law: str, rng: np.random.Generator, n: int) -> dict[str, np.ndarray]:
    N = 10 ** rng.uniform(7, 11, n)
    D = 10 ** rng.uniform(8, 12, n)
    cols = {"N": N, "D": D, "U": 10 ** rng.uniform(7, 11, n), "C": 6 * N * D, "M": D / N}
    cols["x"] = rng.uniform(2.0, 5.0, n) if law == "downstream" else 10 ** rng.uniform(1, 8, n)
    return {k: cols[k] for k in sc.laws.get(law).inputs}


def test_registry_names_and_parameters() -> None:
    names = sc.laws.names()
    for law, params in EXPECTED_PARAMS.items():
        assert law in names
        assert sc.laws.get(law).param_names == params
    with pytest.raises(sc.InvalidInputError, match="unknown law"):
        sc.laws.get("chinchila")


@pytest.mark.parametrize("law", sorted(CENTRES))
@given(seed=st.integers(0, 2**32 - 1), objective=st.sampled_from(["lsq", "lsq_log"]))
def test_rust_matches_reference(law: str, seed: int, objective: str) -> None:
    rng = np.random.default_rng(seed)
    centre = np.array(CENTRES[law])
    # Small parameters (Kaplan's alpha_D ~ 0.1) move in proportion: an absolute step could flip their sign.
    theta = centre + rng.normal(0, 0.05, len(centre)) * np.clip(np.abs(centre), 0.1, 1.0)
    cols = _columns(law, rng, 17)
    pred = np.asarray(_core.law_predict(law, theta.tolist(), cols))
    want, jac = ref.predict(law, theta, cols)
    np.testing.assert_allclose(pred, want, rtol=1e-12)
    # The gradient of a summed objective is the residual-weighted Jacobian: checks every column.
    y = want * np.exp(0.02 * rng.standard_normal(len(want)))
    _, grad = _core.objective_value_grad(law, theta.tolist(), cols, y, objective_name=objective)
    expect = 2 * (want - y) @ jac if objective == "lsq" else 2 * (np.log(want) - np.log(y)) @ (jac / want[:, None])
    scale = np.abs(expect).max()
    tol = 1e-6 if law == "data_constrained" else 1e-9  # its reference Jacobian is by central differences
    np.testing.assert_allclose(grad, expect, rtol=tol, atol=tol * scale)


@pytest.mark.parametrize("law", ["kaplan", "overtrained", "downstream", "bnsl", "bnsl2", "m4"])
def test_reference_jacobians_match_finite_differences(law: str) -> None:
    rng = np.random.default_rng(3)
    theta = np.array(CENTRES[law])
    cols = _columns(law, rng, 11)
    _, jac = ref.predict(law, theta, cols)
    for j in range(len(theta)):
        h = 1e-6 * max(1.0, abs(theta[j]))
        tp, tm = theta.copy(), theta.copy()
        tp[j] += h
        tm[j] -= h
        fd = (ref.predict(law, tp, cols)[0] - ref.predict(law, tm, cols)[0]) / (2 * h)
        np.testing.assert_allclose(jac[:, j], fd, rtol=1e-5, atol=1e-7 * np.abs(jac).max())


DATABLATIONS = {
    "E": float(np.exp(0.6254804)),
    "A": float(np.exp(6.255414)),
    "B": float(np.exp(7.3049974)),
    "alpha": 0.3526596,
    "beta": 0.3526596,
    "R_N_star": 5.309743,
    "R_D_star": 15.387756,
}


def test_data_constrained_readme_losses() -> None:
    law = sc.laws.get("data_constrained")
    got = law.predict(DATABLATIONS, N=[6.34e9, 8.67e9], D=[242e9, 178e9], U=[25e9, 25e9])
    want = np.array([2.2256440889984477, 2.2269634075087867])
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=0)


def test_data_constrained_without_repetition_is_chinchilla() -> None:
    """One epoch or less (U >= D) and N below N_opt(U): no decay, the chinchilla law itself."""
    N, D = np.array([1e7, 3e7]), np.array([2e9, 5e9])
    got = sc.laws.get("data_constrained").predict(DATABLATIONS, N=N, D=D, U=D * 10)
    p = DATABLATIONS
    np.testing.assert_allclose(got, p["E"] + p["A"] / N ** p["alpha"] + p["B"] / D ** p["beta"], rtol=1e-13)


def test_data_constrained_fit_on_published_runs(shared_data: Path) -> None:
    import pandas as pd

    df = pd.read_csv(shared_data / "datablations2023" / "val_losses.csv")
    runs = sc.Runs(N=df.N_params, D=df.D_tokens, U=df.U_unique_tokens, loss=df.val_loss)
    fit = sc.fit(runs, "data_constrained", fixed={"alpha": 0.3526596, "beta": 0.3526596})
    assert fit.converged
    # The table holds a few diverged runs (loss up to 11), so judge the typical run and the objective:
    # the refit must do at least as well as the published constants on these data.
    assert np.median(np.abs(fit.residuals)) < 0.03
    published = sc.laws.get("data_constrained").predict(DATABLATIONS, N=runs.N, D=runs.D, U=runs.U)
    r = np.log(published) - np.log(runs.loss)
    delta = 1e-3
    huber = np.where(np.abs(r) <= delta, 0.5 * r**2, delta * (np.abs(r) - 0.5 * delta)).sum()
    assert fit.objective <= huber


# --- Gadre et al. 2024: the paper's own protocol -------------------------------------------------------
def _gadre_starts() -> np.ndarray:
    """The paper's 128 starts (A, B in {1e2, 3e2, 1e3, 3e3}, k in {-0.1, -0.3}, E in {0, 1, 2, 10}) for
    L = A N^k + B 6^(k/2) (M N)^k + E, mapped to (E, a, b, eta): eta = -k/2, a = A 6^eta, b = B."""
    rows = []
    for A in (1e2, 3e2, 1e3, 3e3):
        for B in (1e2, 3e2, 1e3, 3e3):
            for k in (-0.1, -0.3):
                for E in (0.0, 1.0, 2.0, 10.0):
                    eta = -k / 2
                    rows.append([E, A * 6**eta, B, eta])
    return np.array(rows)


def test_gadre_overtrained_and_downstream_reproduce_published_errors(shared_data: Path) -> None:
    import pandas as pd

    df = pd.read_csv(shared_data / "gadre2024" / "models.csv")
    rpj = df[df.dataset == "rpj"].copy()
    rpj["err"] = 1 - rpj[[f"acc_{t}" for t in TASKS_17]].mean(axis=1)
    loss_rows = (rpj.model.isin(SMALL) & (rpj.cc_mult == 1.0)) | ((rpj.model == SMALL[0]) & (rpj.cc_mult == 16.0))
    fit_loss = rpj[loss_rows]
    assert len(fit_loss) == 5
    runs = sc.Runs(N=fit_loss.N, D=fit_loss.D, loss=fit_loss.loss_c4_val)
    loss_fit = sc.fit(runs, "overtrained", objective="lsq", init=_gadre_starts())
    assert loss_fit.n_starts == 128
    err_rows = loss_rows | ((rpj.model == "open_lm_1b") & (rpj.cc_mult == 1.0))
    fit_err = rpj[err_rows]
    err_fit = sc.fit(
        sc.Runs(x=fit_err.loss_c4_val, loss=fit_err.err),
        "downstream",
        objective="lsq",
        init={"eps": 1.0, "k": 1.0, "gamma": 1.0},  # scipy's curve_fit default start, as the paper ran it
    )
    published = {("open_lm_1b", 32.0): (0.7103, 3.6365), ("open_lm_7b", 1.0): (0.7320, 0.0464)}
    for (model, mult), (loss_pct, err_pct) in published.items():
        row = rpj[(rpj.model == model) & (rpj.cc_mult == mult)].iloc[0]
        n, d = float(row.N), float(row.D)
        pred_loss = loss_fit.predict(C=[6 * n * d], M=[d / n])[0]
        pred_err = err_fit.predict(x=[pred_loss])[0]  # chained: loss from (N, D), error from loss
        assert round(abs(pred_loss - row.loss_c4_val) / row.loss_c4_val * 100, 4) == loss_pct
        assert round(abs(pred_err - row.err) / row.err * 100, 4) == err_pct


# --- recovery of planted curves ----------------------------------------------------------------------
def test_bnsl_recovers_noiseless_one_break_curve() -> None:
    truth = {"a": 0.2, "b": 30.0, "c0": 0.1, "c1": 0.6, "d1": 1e5, "f1": 0.5}
    x = np.geomspace(1e2, 1e9, 60)
    y = sc.laws.get("bnsl").predict(truth, x=x)
    fit = sc.fit(sc.Runs(x=x, loss=y), "bnsl", objective="lsq_log")
    for name, value in truth.items():
        assert fit.params[name] == pytest.approx(value, rel=1e-3), name


def test_m4_recovers_planted_curve() -> None:
    truth = {"eps_inf": 1.5, "eps_0": 6.0, "alpha": 0.7, "beta": 2e3, "c": -0.45}
    x = np.geomspace(1e3, 1e11, 50)
    y = sc.laws.get("m4").predict(truth, x=x)
    assert np.all(np.diff(y) < 0)
    assert y[0] < truth["eps_0"]
    assert y[-1] > truth["eps_inf"]
    fit = sc.fit(sc.Runs(x=x, loss=y), "m4", objective="lsq_log")
    np.testing.assert_allclose(fit.predict(x=x), y, rtol=1e-6)
    for name, value in truth.items():
        assert fit.params[name] == pytest.approx(value, rel=1e-2), name


def test_kaplan_recovers_planted_law() -> None:
    truth = {"N_c": 8.8e13, "D_c": 5.4e13, "alpha_N": 0.076, "alpha_D": 0.095}
    rng = np.random.default_rng(0)
    N, D = 10 ** rng.uniform(6, 10, 80), 10 ** rng.uniform(8, 11, 80)
    y = sc.laws.get("kaplan").predict(truth, N=N, D=D)
    fit = sc.fit(sc.Runs(N=N, D=D, loss=y), "kaplan", objective="lsq_log")
    for name, value in truth.items():
        assert fit.params[name] == pytest.approx(value, rel=1e-3), name


def test_overtrained_is_chinchilla_with_tied_exponents() -> None:
    p = {"E": 1.8, "a": 400.0, "b": 360.0, "eta": 0.14}
    N, D = np.array([1e8, 1e9, 7e9]), np.array([2e9, 5e10, 1e12])
    got = sc.laws.get("overtrained").predict(p, C=6 * N * D, M=D / N)
    A, B = p["a"] * 6 ** -p["eta"], p["b"] * 6 ** -p["eta"]
    np.testing.assert_allclose(got, p["E"] + A / N ** (2 * p["eta"]) + B / D ** (2 * p["eta"]), rtol=1e-13)


def test_bad_inputs_are_named() -> None:
    with pytest.raises(sc.InvalidInputError, match="U"):
        sc.laws.get("data_constrained").predict(DATABLATIONS, N=[1e9], D=[1e10])
    with pytest.raises(sc.InvalidInputError, match="x"):
        sc.laws.get("m4").predict({"eps_inf": 1, "eps_0": 2, "alpha": 1, "beta": 1, "c": -1}, x=[-1.0])
    with pytest.raises(sc.InvalidInputError, match="law"):
        sc.fit(sc.Runs(x=[1.0, 2.0, 3.0, 4.0], loss=[1.0, 0.9, 0.8, 0.7]), "m5")


PLANTED: dict[str, tuple[dict[str, float], dict[str, np.ndarray]]] = {
    "kaplan": (
        {"N_c": 8.8e13, "D_c": 5.4e13, "alpha_N": 0.076, "alpha_D": 0.095},
        {"N": np.geomspace(1e6, 1e10, 60), "D": np.tile(np.geomspace(1e8, 1e11, 6), 10)},
    ),
    "overtrained": (
        {"E": 1.8, "a": 400.0, "b": 360.0, "eta": 0.14},
        {"C": np.geomspace(1e17, 1e22, 60), "M": np.tile(np.geomspace(5, 640, 6), 10)},
    ),
    "downstream": ({"eps": 0.86, "k": 2.2, "gamma": 0.71}, {"x": np.linspace(2.5, 5.5, 40)}),
    "bnsl": ({"a": 0.2, "b": 30.0, "c0": 0.1, "c1": 0.6, "d1": 1e5, "f1": 0.5}, {"x": np.geomspace(1e2, 1e9, 60)}),
    "m4": ({"eps_inf": 0.1, "eps_0": 0.9, "alpha": 0.5, "beta": 30.0, "c": -0.35}, {"x": np.geomspace(1e2, 1e9, 40)}),
}


# The fit engine's L-BFGS reports near-exact fits that end in a failed line search at machine
# precision as not converged (chinchilla does the same); this test judges the optimum by its quality.
@pytest.mark.filterwarnings("ignore::scalecore.ConvergenceWarning")
@pytest.mark.parametrize("objective", ["huber_log", "lsq", "lsq_log", "asymmetric"])
@pytest.mark.parametrize("law", sorted(PLANTED))
def test_every_objective_fits_every_law(law: str, objective: str) -> None:
    truth, cols = PLANTED[law]
    clean = sc.laws.get(law).predict(truth, **cols)
    # noise below Huber's delta = 1e-3, so the Huber objectives stay smooth at the optimum
    noisy = clean * np.exp(0.0005 * np.random.default_rng(1).standard_normal(len(clean)))
    fit = sc.fit(sc.Runs(loss=noisy, **cols), law, objective=objective)
    assert fit.n_at_best >= 2  # several starts agree on the optimum
    # The fit explains the noise-free curve far better than the noise level.
    assert np.sqrt(np.mean((fit.predict(**cols) / clean - 1) ** 2)) < 0.0005

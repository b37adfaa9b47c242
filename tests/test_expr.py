"""Laws defined by expressions (sc.laws.define): parsing and checking, evaluation against NumPy,
reverse-mode gradients against central differences, and fits that reach the built-in laws' optima."""

from __future__ import annotations

import csv
import pickle
import re
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
import scalecore as sc
from _synthetic import chinchilla_runs, planted_chinchilla
from hypothesis import given
from hypothesis import strategies as st
from scalecore import _core

pytestmark = pytest.mark.filterwarnings("ignore::scalecore.IdentifiabilityWarning")

CHINCHILLA = "E + A * N^-alpha + B * D^-beta"


def chinchilla_law(name: str = "chin_expr") -> sc.laws.DefinedLaw:
    return sc.laws.define(name, CHINCHILLA, positive=["E", "A", "B"], bounds={"alpha": (0, 2), "beta": (0, 2)})


# --- parsing and checking ---------------------------------------------------------------------------


def position(err: pytest.ExceptionInfo[sc.InvalidInputError]) -> int:
    m = re.search(r"at position (\d+)", str(err.value))
    assert m, str(err.value)
    return int(m.group(1))


@pytest.mark.parametrize(
    ("expr", "kwargs", "pos"),
    [
        ("E + * N", {}, 4),  # syntax
        ("E + A * (N ^ -alpha", {}, 19),  # unclosed parenthesis: the end
        ("E + A $ N", {}, 6),  # a character outside the language
        ("E + A * N^-alpha + Q", {"params": ["E", "A", "alpha"]}, 19),  # unknown name
        ("E + foo(N)", {}, 4),  # unknown function
        ("E + A / (2 - 2) * N", {}, 6),  # division by a constant zero
        ("E + log(1 - 1) * A", {}, 4),  # a constant outside log's domain
        ("E + exp * N", {}, 4),  # a function used as a name
        ("E + A * N^-alpha", {"positive": ["N"]}, 8),  # an input declared a parameter
        ("E + max(A) * N", {}, 4),  # wrong number of arguments
        ("E + A * N^-alpha", {"params": ["E", "A", "N", "alpha"]}, 8),  # an input listed as a parameter
    ],
)
def test_bad_expressions_name_the_position(expr: str, kwargs: dict[str, object], pos: int) -> None:
    with pytest.raises(sc.InvalidInputError) as err:
        sc.laws.define("bad_law", expr, **kwargs)  # type: ignore[arg-type]
    assert position(err) == pos
    assert expr in str(err.value)


def test_bad_definitions_are_refused() -> None:
    with pytest.raises(sc.InvalidInputError, match="built-in"):
        sc.laws.define("chinchilla", CHINCHILLA)
    with pytest.raises(sc.InvalidInputError, match="not a parameter"):
        sc.laws.define("x1", CHINCHILLA, positive=["Z"])
    with pytest.raises(sc.InvalidInputError, match="bounds"):
        sc.laws.define("x1", CHINCHILLA, positive=["E"], bounds={"E": (-1, 2)})
    with pytest.raises(sc.InvalidInputError, match="no parameters"):
        sc.laws.define("x1", "N * 2")
    with pytest.raises(sc.InvalidInputError, match="inputs"):
        sc.laws.define("x1", "A * q", inputs=["2q"])
    with pytest.raises(sc.InvalidInputError, match="inputs"):
        sc.laws.define("x1", "A * q", inputs=["sqrt"])
    assert sc.laws.define("x1", "A * q", inputs=["q"]).inputs == ("q",)  # a column of the user's
    with pytest.raises(sc.InvalidInputError):
        sc.laws.define("x1", "(" * 3000 + "A" + ")" * 3000)


def test_parameters_and_inputs_are_found() -> None:
    law = chinchilla_law()
    assert law.param_names == ("E", "A", "alpha", "B", "beta")
    assert law.log_params == (True, True, False, True, False)
    assert law.inputs == ("N", "D")
    ordered = sc.laws.define("chin_ordered", CHINCHILLA, params=["E", "A", "B", "alpha", "beta"], positive="E")
    assert ordered.param_names == ("E", "A", "B", "alpha", "beta")
    assert sc.laws.get("chin_ordered") is ordered
    assert "chin_ordered" in sc.laws.defined_names()


def test_data_outside_the_domain_is_refused_with_the_position() -> None:
    law = sc.laws.define("logx", "a + b * log(x - 1)")
    with pytest.raises(sc.InvalidInputError, match="position 8"):
        law.predict({"a": 1.0, "b": 2.0}, x=[0.5, 3.0])


# --- evaluation and gradients against NumPy -----------------------------------------------------------


@dataclass
class Ex:
    """An expression as text and as a NumPy function of (params, columns)."""

    text: str
    fn: Callable[[dict[str, float], dict[str, np.ndarray]], np.ndarray]


PARAMS = ["p0", "p1", "p2", "p3"]


def _leaf(draw: st.DrawFn) -> Ex:
    kind = draw(st.sampled_from(["param", "input", "const"]))
    if kind == "param":
        p = draw(st.sampled_from(PARAMS))
        return Ex(p, lambda th, c, p=p: np.full_like(c["N"], th[p]))
    if kind == "input":
        x = draw(st.sampled_from(["N", "D"]))
        return Ex(x, lambda th, c, x=x: c[x])
    v = draw(st.sampled_from([0.5, 1.5, 2.0, 3.25]))
    return Ex(repr(v), lambda th, c, v=v: np.full_like(c["N"], v))


@st.composite
def positive_expr(draw: st.DrawFn, depth: int = 3) -> Ex:
    """A random expression whose value is positive for positive parameters and inputs."""
    if depth == 0 or draw(st.integers(0, 3)) == 0:
        return _leaf(draw)
    a = draw(positive_expr(depth - 1))
    b = draw(positive_expr(depth - 1))
    op = draw(st.integers(0, 11))
    ops: list[tuple[str, Callable[..., np.ndarray]]] = [
        (f"({a.text} + {b.text})", lambda x, y: x + y),
        (f"({a.text} * {b.text})", lambda x, y: x * y),
        (f"({a.text} / {b.text})", lambda x, y: x / y),
        (f"({a.text})^(0.3 * sigmoid({b.text}))", lambda x, y: x ** (0.3 / (1 + np.exp(-y)))),
        (f"exp(-{a.text} / ({b.text} + 1))", lambda x, y: np.exp(-x / (y + 1))),
        (f"log1p({a.text})", lambda x, y: np.log1p(x)),
        (f"sqrt({a.text})", lambda x, y: np.sqrt(x)),
        (f"softplus({a.text} - {b.text})", lambda x, y: np.logaddexp(0, x - y)),
        (f"max({a.text}, {b.text})", np.maximum),
        (f"min({a.text}, {b.text})", np.minimum),
        (f"(abs({a.text} - {b.text}) + 0.5)", lambda x, y: np.abs(x - y) + 0.5),
        (f"(log({a.text} + 1) + {b.text})", lambda x, y: np.log(x + 1) + y),
    ]
    text, f = ops[op]
    return Ex(text, lambda th, c: f(a.fn(th, c), b.fn(th, c)))


def _define_random(ex: Ex, n_pos: int) -> tuple[sc.laws.DefinedLaw, list[str]]:
    """Every parameter appears (a declared parameter must), the first `n_pos` fitted in log space."""
    text = f"{ex.text} + 0.1 * (p0 + p1 + p2 + p3) + 0.01 * N / D"
    law = sc.laws.define("random_law", text, params=PARAMS, positive=PARAMS[:n_pos], inputs=["N", "D"])
    return law, text


def _columns(rng: np.random.Generator, n: int) -> dict[str, np.ndarray]:
    return {"N": rng.uniform(0.5, 20.0, n), "D": rng.uniform(0.5, 20.0, n)}


@given(ex=positive_expr(), seed=st.integers(0, 2**32 - 1), n_pos=st.integers(0, 4))
def test_evaluation_equals_numpy(ex: Ex, seed: int, n_pos: int) -> None:
    rng = np.random.default_rng(seed)
    law, _ = _define_random(ex, n_pos)
    params = {p: float(rng.uniform(0.2, 2.0)) for p in PARAMS}
    cols = _columns(rng, int(rng.integers(1, 700)))
    ours = law.predict(params, **cols)
    expect = ex.fn(params, cols) + 0.1 * sum(params.values()) + 0.01 * cols["N"] / cols["D"]
    np.testing.assert_allclose(ours, expect, rtol=1e-12, atol=0)


def _objective(law: str, theta: np.ndarray, cols: dict[str, np.ndarray], y: np.ndarray) -> tuple[float, np.ndarray]:
    f, g = _core.objective_value_grad(law, theta.tolist(), cols, y, None, "lsq")
    return f, np.asarray(g)


def _central_differences(law: str, theta: np.ndarray, cols: dict[str, np.ndarray], y: np.ndarray) -> np.ndarray:
    """Five-point central differences (truncation error O(h^4))."""
    g = np.empty_like(theta)
    for j in range(len(theta)):
        h = 1e-4 * max(1.0, abs(theta[j]))

        def f(k: int, j: int = j, h: float = h) -> float:
            t = theta.copy()
            t[j] += k * h
            return _objective(law, t, cols, y)[0]

        g[j] = (f(-2) - 8 * f(-1) + 8 * f(1) - f(2)) / (12 * h)
    return g


@given(ex=positive_expr(), seed=st.integers(0, 2**32 - 1), n_pos=st.integers(0, 4))
def test_gradients_equal_central_differences(ex: Ex, seed: int, n_pos: int) -> None:
    rng = np.random.default_rng(seed)
    law, _ = _define_random(ex, n_pos)
    params = {p: float(rng.uniform(0.3, 1.5)) for p in PARAMS}
    cols = _columns(rng, int(rng.integers(1, 300)))
    theta = law.to_internal(params)
    y = law.predict(params, **cols) * np.exp(rng.normal(0, 0.1, len(cols["N"])))
    _, g = _objective(law.name, theta, cols, y)
    fd = _central_differences(law.name, theta, cols, y)
    scale = np.abs(fd).max() + 1e-3
    # min/max/abs have kinks: where the difference straddles one, the one-sided slopes differ.
    if not any(k in ex.text for k in ("max", "min", "abs")):
        np.testing.assert_allclose(g, fd, rtol=1e-5, atol=1e-6 * scale)


@given(seed=st.integers(0, 2**32 - 1), alpha=st.floats(40.0, 400.0))
def test_gradients_where_a_term_underflows(seed: int, alpha: float) -> None:
    """N^-alpha underflows to zero for these exponents: its derivatives are zero, not NaN."""
    rng = np.random.default_rng(seed)
    law = chinchilla_law()
    params = {"E": 1.7, "A": 400.0, "alpha": alpha, "B": 410.0, "beta": 0.28}
    cols = {"N": 10 ** rng.uniform(7, 10, 50), "D": 10 ** rng.uniform(9, 12, 50)}
    y = 1.7 + 410.0 / cols["D"] ** 0.28 + rng.normal(0, 0.01, 50)
    theta = law.to_internal(params)
    f, g = _objective(law.name, theta, cols, y)
    assert np.isfinite(f) and np.isfinite(g).all()
    np.testing.assert_allclose(g, _central_differences(law.name, theta, cols, y), rtol=1e-5, atol=1e-9)


def test_a_term_that_overflows_gives_a_non_finite_objective_not_a_crash() -> None:
    law = sc.laws.define("blowup", "E + A * exp(k * x)", positive=["E", "A"])
    x = np.linspace(1, 10, 20)
    f, _g = _objective(law.name, np.array([0.0, 0.0, 200.0]), {"x": x}, np.ones(20))
    assert f == np.inf
    # A fit from a start where the term overflows backs off to a finite optimum (on a ridge, A -> 0 and
    # k -> -inf, where L-BFGS may stop on its line search: that warning is not what is tested here).
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", sc.ConvergenceWarning)
        fit = sc.fit(sc.Runs(x=x, loss=1.0 + 0.5 * np.exp(0.1 * x)), law, init={"E": 1, "A": 1, "k": [100.0, 0.5]})
    assert np.isfinite(fit.objective)


# --- fits: the built-in laws written as expressions reach the built-in optima ------------------------

BUILT_IN_AS_EXPR = {
    "chinchilla": (CHINCHILLA, ["E", "A", "B"], ["E", "A", "B", "alpha", "beta"]),
    "power": ("E + A * x^-alpha", ["E", "A"], ["E", "A", "alpha"]),
    "kaplan": (
        "((N_c / N)^(alpha_N / alpha_D) + D_c / D)^alpha_D",
        ["N_c", "D_c"],
        ["N_c", "D_c", "alpha_N", "alpha_D"],
    ),
    "overtrained": ("E + (a * M^eta + b * M^-eta) * C^-eta", ["a", "b"], ["E", "a", "b", "eta"]),
    "downstream": ("eps - k * exp(-gamma * x)", ["k"], ["eps", "k", "gamma"]),
    "bnsl": (
        "a + b * x^-c0 * (1 + (x / d1)^(1 / f1))^(-c1 * f1)",
        ["a", "b", "d1", "f1"],
        ["a", "b", "c0", "c1", "d1", "f1"],
    ),
}


def _synthetic(law: str, rng: np.random.Generator) -> tuple[sc.Runs, dict[str, float]]:
    n = 120
    if law in ("chinchilla", "kaplan", "overtrained"):
        params = planted_chinchilla(rng)
        runs = chinchilla_runs(rng, params, n, noise=0.01)
        if law == "overtrained":
            runs = sc.Runs(C=6 * runs.N * runs.D, M=runs.D / runs.N, loss=runs.loss)
        return runs, params
    x = np.sort(10 ** rng.uniform(1, 6, n))
    if law == "power":
        y = 1.5 + 20.0 * x**-0.4
    elif law == "downstream":
        x = rng.uniform(3.5, 7.0, n)
        y = 0.9 - 20.0 * np.exp(-1.1 * x)
    else:
        y = 0.5 + 3.0 * x**-0.1 * (1 + (x / 1e3) ** (1 / 0.5)) ** (-0.4 * 0.5)
    return sc.Runs(x=x, loss=y * np.exp(rng.normal(0, 0.01, n))), {}


@pytest.mark.parametrize("law", list(BUILT_IN_AS_EXPR))
def test_built_in_laws_as_expressions_reach_the_built_in_optimum(law: str) -> None:
    rng = np.random.default_rng(7)
    runs, _ = _synthetic(law, rng)
    text, positive, order = BUILT_IN_AS_EXPR[law]
    built_in = sc.fit(runs, law, objective="lsq_log")
    ours_law = sc.laws.define(f"{law}_as_expr", text, params=order, positive=positive)
    # The same start: the built-in optimum, moved away from it.
    start = {p: v * (1.05 if i % 2 else 0.97) for i, (p, v) in enumerate(built_in.params.items())}
    start = {p: start[p] for p in order}
    ours = sc.fit(runs, ours_law, objective="lsq_log", init=start)
    assert ours.objective <= built_in.objective * (1 + 1e-8)
    assert ours.objective >= built_in.objective * (1 - 1e-8)


def chinchilla_epoch(shared_data: Path) -> sc.Runs:
    path = shared_data / "chinchilla_epoch2024" / "runs.csv"
    if not path.is_file():
        pytest.skip(f"shared data absent: {path}")
    with path.open() as fh:
        rows = list(csv.DictReader(fh))
    N = np.array([float(r["Model Size"]) for r in rows])
    C = np.array([float(r["Training FLOP"]) for r in rows])
    loss = np.array([float(r["loss"]) for r in rows])
    keep = np.argsort(loss, kind="stable")[:240]
    return sc.Runs(N=N[keep], C=C[keep], loss=loss[keep])


HOFFMANN_GRID = {
    "E": np.exp([-1.0, -0.5, 0.0, 0.5, 1.0]),
    "A": np.exp([0.0, 5.0, 10.0, 15.0, 20.0, 25.0]),
    "B": np.exp([0.0, 5.0, 10.0, 15.0, 20.0, 25.0]),
    "alpha": [0.0, 0.5, 1.0, 1.5, 2.0],
    "beta": [0.0, 0.5, 1.0, 1.5, 2.0],
}


def test_chinchilla_as_expression_on_the_epoch_runs_with_the_hoffmann_grid(shared_data: Path) -> None:
    runs = chinchilla_epoch(shared_data)
    law = sc.laws.define(
        "chin_hoffmann",
        CHINCHILLA,
        params=["E", "A", "B", "alpha", "beta"],
        positive=["E", "A", "B"],
        grid=HOFFMANN_GRID,
    )
    assert law.n_grid == 4500
    built_in = sc.fit(runs, "chinchilla", init="hoffmann")
    ours = sc.fit(runs, law, init="hoffmann")
    assert ours.n_starts == 4500
    assert abs(ours.objective - built_in.objective) <= 1e-9 * built_in.objective
    for p in ("alpha", "beta"):
        assert ours.params[p] == pytest.approx(built_in.params[p], rel=1e-4)


# --- the whole machinery ----------------------------------------------------------------------------


def test_defined_law_pickles_predicts_bootstraps_and_allocates() -> None:
    rng = np.random.default_rng(1)
    runs = chinchilla_runs(rng, planted_chinchilla(rng), 80, noise=0.01)
    law = chinchilla_law("chin_machinery")
    fit = sc.fit(runs, law)
    built_in = sc.fit(runs, "chinchilla")
    assert fit.objective == pytest.approx(built_in.objective, rel=1e-8)
    again = pickle.loads(pickle.dumps(fit))
    np.testing.assert_array_equal(again.predict(N=runs.N, D=runs.D), fit.predict(N=runs.N, D=runs.D))
    assert pickle.loads(pickle.dumps(law)) == law
    a = fit.allocate(compute=1e19)
    b = built_in.allocate(compute=1e19)
    assert np.ravel(a.N)[0] == pytest.approx(np.ravel(b.N)[0], rel=1e-3)
    boot = sc.bootstrap(runs, law, n_resamples=50, seed=0)
    lo, hi = boot.ci("alpha")
    assert lo < fit.params["alpha"] < hi


def test_unpickled_fit_restores_its_law_in_a_fresh_process(tmp_path: Path) -> None:
    import subprocess
    import sys

    rng = np.random.default_rng(2)
    runs = chinchilla_runs(rng, planted_chinchilla(rng), 60, noise=0.01)
    fit = sc.fit(runs, chinchilla_law("chin_fresh"))
    path = tmp_path / "fit.pkl"
    path.write_bytes(pickle.dumps(fit))
    code = (
        "import pickle, sys, numpy as np; fit = pickle.loads(open(sys.argv[1], 'rb').read()); "
        "print(repr(float(fit.predict(N=np.array([1e9]), D=np.array([2e10]))[0])))"
    )
    out = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True, check=True)
    assert float(out.stdout) == float(fit.predict(N=np.array([1e9]), D=np.array([2e10]))[0])


@pytest.mark.filterwarnings(
    "ignore::ResourceWarning", "ignore::pytest.PytestUnraisableExceptionWarning", "ignore:Port:UserWarning"
)
def test_bootstrap_and_fit_through_a_dask_cluster_are_bit_identical() -> None:
    """A defined law through `map=` on a real 2-worker Dask LocalCluster: the workers are spawned
    processes that have never seen the law; the prepared bootstrap pickles its fit, the fit its law's
    definition, and the workers rebuild it and give the same replicates (and fit_many the same fits) bit
    for bit."""
    distributed = pytest.importorskip("distributed", reason="dask.distributed is not installed ([test] extra)")
    from scalecore.distributed import dask_map

    rng = np.random.default_rng(5)
    runs = chinchilla_runs(rng, planted_chinchilla(rng), 60, noise=0.02)
    law = chinchilla_law("chin_workers")
    local = sc.bootstrap(runs, law, n_resamples=40, seed=3, progress=False)
    group = np.repeat(np.arange(4), 15)
    data = {"N": runs.N, "D": runs.D, "loss": runs.loss, "g": group}
    local_many = sc.fit_many(data, law, by="g")
    with (
        distributed.LocalCluster(processes=True, n_workers=2, threads_per_worker=1, dashboard_address=":0") as cluster,
        distributed.Client(cluster) as client,
    ):
        workers = client.run(lambda: __import__("scalecore").laws.defined_names())
        assert all("chin_workers" not in names for names in workers.values())
        remote = sc.bootstrap(runs, law, n_resamples=40, seed=3, map=dask_map(client), chunk_size=10)
        remote_many = sc.fit_many(data, law, by="g", map=dask_map(client), chunk_size=1)
    for p in law.param_names:
        np.testing.assert_array_equal(remote.samples[p], local.samples[p])
        np.testing.assert_array_equal(remote_many.params[p], local_many.params[p])


@pytest.mark.filterwarnings("ignore::scalecore.ExtrapolationWarning")
def test_a_chinchilla_shaped_law_gets_the_closed_form_allocation_and_a_b_g() -> None:
    """Derived quantities follow the law's structure, not its name: a defined law of the form
    E + A / N^alpha + B / D^beta (its own parameter names, its own spelling and order) gets Hoffmann et
    al.'s closed-form allocation and the derived quantities a, b and G; another shape does not."""
    rng = np.random.default_rng(11)
    runs = chinchilla_runs(rng, planted_chinchilla(rng), 80, noise=0.01)
    law = sc.laws.define("chin_shaped", "B / D^bet + L0 + A * N^(-alp)", positive=["L0", "A", "B"])
    fit = sc.fit(runs, law)
    p = fit.params
    alpha, beta = p["alp"], p["bet"]
    g = (alpha * p["A"] / (beta * p["B"])) ** (1 / (alpha + beta))
    compute = np.array([1e20, 1e24])
    got = fit.allocate(compute=compute)
    np.testing.assert_allclose(got.N, g * (compute / 6) ** (beta / (alpha + beta)), rtol=1e-12)
    np.testing.assert_allclose(got.D, (compute / 6) ** (alpha / (alpha + beta)) / g, rtol=1e-12)
    built_in = sc.fit(runs, "chinchilla")
    np.testing.assert_allclose(got.N, built_in.allocate(compute=compute).N, rtol=1e-4)
    boot = sc.bootstrap(runs, law, n_resamples=60, seed=0, progress=False)
    a_value, a_samples = boot.distribution("a")
    assert a_value == pytest.approx(beta / (alpha + beta), rel=1e-12)
    np.testing.assert_allclose(a_samples, boot.samples["bet"] / (boot.samples["alp"] + boot.samples["bet"]))
    assert boot.distribution("G")[0] == pytest.approx(g, rel=1e-9)
    lo, hi = boot.ci("b")
    assert lo < alpha / (alpha + beta) < hi
    other = sc.laws.define("chin_unshaped", "E + A * N^-alpha + B * D^-beta + c", positive=["E", "A", "B"])
    other_boot = sc.bootstrap(runs, other, n_resamples=10, seed=0, progress=False)
    with pytest.raises(sc.InvalidInputError, match="form E \\+ A / N\\^alpha"):
        other_boot.ci("a")


def test_extra_columns_are_validated_and_read_by_name() -> None:
    rng = np.random.default_rng(12)
    runs = chinchilla_runs(rng, planted_chinchilla(rng), 40, noise=0.01)
    lr = rng.uniform(1e-4, 1e-3, len(runs))
    for bad in ({"N": lr}, {"loss": lr}, {"2lr": lr}, {"lr": lr[:-1]}, {"lr": np.where(lr > 5e-4, np.nan, lr)}):
        with pytest.raises(sc.InvalidInputError):
            sc.Runs(N=runs.N, D=runs.D, loss=runs.loss, extra=bad)
    with_lr = sc.Runs(N=runs.N, D=runs.D, loss=runs.loss, extra={"lr": lr})
    assert with_lr.lr is not lr and "lr" in with_lr.columns and list(with_lr.extra) == ["lr"]
    with pytest.raises(AttributeError):
        _ = with_lr.momentum
    again = pickle.loads(pickle.dumps(with_lr))
    np.testing.assert_array_equal(again.lr, lr)
    # A learning-rate term (Bi et al. 2024 fit loss against the learning rate): an extra input.
    law = sc.laws.define(
        "chin_lr",
        "E + A * N^-alpha + B * D^-beta + c * log(lr / 3e-4)^2",
        inputs=["N", "D", "lr"],
        positive=["E", "A", "B"],
    )
    assert law.inputs == ("N", "D", "lr")
    fit = sc.fit(with_lr, law)
    assert np.isfinite(fit.objective) and abs(fit.params["c"]) < 1
    np.testing.assert_allclose(fit.predict(with_lr), fit.predict(N=runs.N, D=runs.D, lr=lr))
    with pytest.raises(sc.InvalidInputError, match="lr"):
        sc.fit(runs, law)
    with pytest.raises(sc.InvalidInputError, match="inputs"):
        sc.laws.define("chin_bad_input", "E + A * exp(N)", inputs=["exp"])


def test_fixed_and_tied_parameters_of_a_defined_law_match_the_built_in() -> None:
    rng = np.random.default_rng(6)
    runs = chinchilla_runs(rng, planted_chinchilla(rng), 70, noise=0.02)
    law = sc.laws.define("chin_tied", CHINCHILLA, params=["E", "A", "B", "alpha", "beta"], positive=["E", "A", "B"])
    ours = sc.fit(runs, law, fixed={"E": 1.7}, tie=["alpha=beta"])
    theirs = sc.fit(runs, "chinchilla", fixed={"E": 1.7}, tie=["alpha=beta"])
    assert ours.params["E"] == 1.7 and ours.params["alpha"] == ours.params["beta"]
    assert ours.objective == pytest.approx(theirs.objective, rel=1e-8)
    assert ours.free_params == theirs.free_params

"""Laws given as Python functions (`sc.laws.define(name, fn=...)`): the core's optimiser, grids and
bootstrap with the predictions asked of the function; numerical gradients when none is given."""

from __future__ import annotations

import pickle
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import scalecore as sc
from _synthetic import chinchilla_runs, planted_chinchilla
from scalecore import _core
from test_expr import CHINCHILLA, HOFFMANN_GRID, chinchilla_epoch

PARAMS = ["E", "A", "B", "alpha", "beta"]
POSITIVE = ["E", "A", "B"]


def chinchilla_fn(p: dict[str, float], c: dict[str, np.ndarray]) -> np.ndarray:
    """Hoffmann et al. (2022) written in NumPy: importable, so it pickles by reference."""
    return p["E"] + p["A"] * c["N"] ** -p["alpha"] + p["B"] * c["D"] ** -p["beta"]


def chinchilla_grad(p: dict[str, float], c: dict[str, np.ndarray]) -> np.ndarray:
    tn, td = c["N"] ** -p["alpha"], c["D"] ** -p["beta"]
    return np.stack([np.ones_like(tn), tn, td, -p["A"] * tn * np.log(c["N"]), -p["B"] * td * np.log(c["D"])])


def define_fn(name: str, **kwargs: Any) -> sc.laws.DefinedLaw:
    return sc.laws.define(name, fn=chinchilla_fn, params=PARAMS, inputs=["N", "D"], positive=POSITIVE, **kwargs)


def _quiet(f: Any) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", sc.IdentifiabilityWarning)
        return f()


def test_numerical_gradients_equal_the_expression_gradients() -> None:
    rng = np.random.default_rng(0)
    n, d = 10 ** rng.uniform(7, 10, 300), 10 ** rng.uniform(9, 12, 300)
    y = 1.8 + 400 * n**-0.34 + 410 * d**-0.28 + rng.normal(0, 0.01, 300)
    expr = sc.laws.define("chin_grad_expr", CHINCHILLA, params=PARAMS, positive=POSITIVE)
    numeric = define_fn("chin_grad_fn")
    analytic = define_fn("chin_grad_fn_analytic", grad=chinchilla_grad)
    cols = {"N": n, "D": d}
    for theta in ([0.5, 6.0, 6.1, 0.34, 0.28], [-0.2, 9.0, 3.0, 0.7, 0.1], [1.0, 1.0, 12.0, 0.05, 0.6]):
        for objective in ("huber_log", "lsq", "lsq_log"):
            f0, g0 = _core.objective_value_grad(expr.name, theta, cols, y, objective_name=objective)
            f1, g1 = _core.objective_value_grad(numeric.name, theta, cols, y, objective_name=objective)
            f2, g2 = _core.objective_value_grad(analytic.name, theta, cols, y, objective_name=objective)
            assert f1 == pytest.approx(f0, rel=1e-12) and f2 == pytest.approx(f0, rel=1e-12)
            scale = np.abs(g0).max()
            np.testing.assert_allclose(g2, g0, rtol=1e-9, atol=1e-12 * scale)
            np.testing.assert_allclose(g1, g0, rtol=1e-6, atol=1e-7 * scale)


def test_a_callable_chinchilla_reaches_the_built_in_optimum_on_the_epoch_runs(shared_data: Path) -> None:
    runs = chinchilla_epoch(shared_data)
    # 2 values per axis of the Hoffmann grid (32 starts): every start runs through Python.
    grid = {p: np.asarray(v)[[1, -2]] for p, v in HOFFMANN_GRID.items()}
    law = define_fn("chin_epoch_fn", grid=grid)
    assert law.n_grid == 32
    built_in = _quiet(lambda: sc.fit(runs, "chinchilla", init="hoffmann"))
    ours = _quiet(lambda: sc.fit(runs, law, init="hoffmann"))
    assert ours.n_starts == 32
    assert abs(ours.objective - built_in.objective) <= 1e-9 * built_in.objective
    for p in ("alpha", "beta"):
        assert ours.params[p] == pytest.approx(built_in.params[p], rel=1e-4)


def test_the_whole_machinery_with_a_callable_law() -> None:
    rng = np.random.default_rng(3)
    runs = chinchilla_runs(rng, planted_chinchilla(rng), 60, noise=0.01)
    law = define_fn("chin_machinery_fn", grad=chinchilla_grad)
    expr = sc.laws.define("chin_machinery_expr", CHINCHILLA, params=PARAMS, positive=POSITIVE)
    start = sc.fit(runs, "chinchilla").params
    for objective in ("huber_log", "lsq", "lsq_log", "asymmetric"):
        ours = sc.fit(runs, law, init=start, objective=objective)
        theirs = sc.fit(runs, expr, init=start, objective=objective)
        assert ours.objective == pytest.approx(theirs.objective, rel=1e-7), objective
    # The default start grid from the declared ranges (screened by init="auto").
    assert sc.fit(runs, law).objective == pytest.approx(sc.fit(runs, expr).objective, rel=1e-6)
    tied = sc.fit(runs, law, fixed={"E": 1.7}, tie=["alpha=beta"])
    assert tied.params["E"] == 1.7 and tied.params["alpha"] == tied.params["beta"]
    tied_expr = sc.fit(runs, expr, fixed={"E": 1.7}, tie=["alpha=beta"])
    assert tied.objective == pytest.approx(tied_expr.objective, rel=1e-7)
    fit = sc.fit(runs, law, init=start)
    np.testing.assert_allclose(fit.predict(N=runs.N, D=runs.D), chinchilla_fn(fit.params, {"N": runs.N, "D": runs.D}))
    # A fit pickles its law by reference to the function; unpickled it predicts the same.
    again = pickle.loads(pickle.dumps(fit))
    np.testing.assert_array_equal(again.predict(N=runs.N, D=runs.D), fit.predict(N=runs.N, D=runs.D))
    assert pickle.loads(pickle.dumps(law)).fn is chinchilla_fn
    # Numerical allocation on the iso-compute curve (the law's form is not recognised: no closed form).
    alloc = _quiet(lambda: fit.allocate(compute=1e20))
    assert np.isfinite(np.ravel(alloc.N)[0]) and np.isfinite(np.ravel(alloc.loss)[0])
    a_expr = _quiet(lambda: sc.fit(runs, expr, init=start).allocate(compute=1e20))
    assert np.ravel(alloc.N)[0] == pytest.approx(np.ravel(a_expr.N)[0], rel=1e-3)
    many = sc.fit_many({"N": runs.N, "D": runs.D, "loss": runs.loss, "g": np.repeat([0, 1], 30)}, law, by="g")
    assert np.all(np.isfinite(many.params["alpha"]))


def test_bootstrap_of_a_callable_law_is_bit_identical_across_thread_counts() -> None:
    rng = np.random.default_rng(4)
    runs = chinchilla_runs(rng, planted_chinchilla(rng), 50, noise=0.02)
    law = define_fn("chin_boot_fn", grid={p: np.asarray(v)[[1, -2]] for p, v in HOFFMANN_GRID.items()})
    one = _quiet(lambda: sc.bootstrap(runs, law, n_resamples=24, seed=7, n_threads=1, progress=False))
    two = _quiet(lambda: sc.bootstrap(runs, law, n_resamples=24, seed=7, n_threads=2, progress=False))
    for p in PARAMS:
        np.testing.assert_array_equal(one.samples[p], two.samples[p])
    lo, hi = one.ci("alpha")
    assert lo < hi


def test_errors_in_the_function_are_named() -> None:
    rng = np.random.default_rng(5)
    runs = chinchilla_runs(rng, planted_chinchilla(rng), 40, noise=0.01)

    def raises(p: dict[str, float], c: dict[str, np.ndarray]) -> np.ndarray:
        raise ZeroDivisionError("no such luck")

    law = sc.laws.define("chin_raises", fn=raises, params=PARAMS, inputs=["N", "D"], positive=POSITIVE)
    with pytest.raises(sc.InvalidInputError, match=r"chin_raises.*ZeroDivisionError: no such luck") as info:
        sc.fit(runs, law)
    assert isinstance(info.value.__cause__, ZeroDivisionError)
    with pytest.raises(sc.InvalidInputError, match="chin_raises"):
        sc.bootstrap(runs, law, n_resamples=8, seed=0, progress=False)
    with pytest.raises(sc.InvalidInputError, match="chin_raises"):
        law.predict({"E": 1, "A": 1, "B": 1, "alpha": 0.3, "beta": 0.3}, N=runs.N, D=runs.D)
    short = sc.laws.define(
        "chin_short", fn=lambda p, c: np.ones(3), params=PARAMS, inputs=["N", "D"], positive=POSITIVE
    )
    with pytest.raises(sc.InvalidInputError, match=r"chin_short.*one prediction per row"):
        sc.fit(runs, short)
    # After a failure the next call works (the failure belongs to the call that met it).
    assert np.isfinite(sc.fit(runs, define_fn("chin_after_failure")).objective)
    # Non-finite predictions are handled as an expression's are: that start fails, not the call.
    nan_below = sc.laws.define(
        "chin_nan",
        fn=lambda p, c: np.where(p["alpha"] < 0.05, np.nan, chinchilla_fn(p, c)),
        params=PARAMS,
        inputs=["N", "D"],
        positive=POSITIVE,
    )
    assert np.isfinite(_quiet(lambda: sc.fit(runs, nan_below)).objective)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"fn": chinchilla_fn, "params": PARAMS}, "inputs"),
        ({"fn": chinchilla_fn, "inputs": ["N", "D"]}, "params"),
        ({"fn": 3, "params": PARAMS, "inputs": ["N", "D"]}, "fn: must be callable"),
        ({"fn": chinchilla_fn, "grad": 3, "params": PARAMS, "inputs": ["N", "D"]}, "grad: must be callable"),
        ({"fn": chinchilla_fn, "params": PARAMS, "inputs": ["N", "D"], "positive": ["Q"]}, "positive"),
        ({"fn": chinchilla_fn, "params": ["E", "N"], "inputs": ["N", "D"]}, "input column"),
        ({"expr": CHINCHILLA, "fn": chinchilla_fn, "params": PARAMS, "inputs": ["N", "D"]}, "exactly one"),
        ({"expr": CHINCHILLA, "grad": chinchilla_grad}, "grad"),
    ],
)
def test_bad_callable_definitions_are_refused(kwargs: dict[str, Any], match: str) -> None:
    with pytest.raises(sc.InvalidInputError, match=match):
        sc.laws.define("chin_bad_fn", **kwargs)


def test_a_local_function_travels_by_value_with_cloudpickle(tmp_path: Path) -> None:
    """What `map=` on Dask or Ray does: cloudpickle ships a fit whose law is a local lambda by value,
    and a fresh process (which never defined the law) predicts the same bit for bit."""
    import subprocess
    import sys

    cloudpickle = pytest.importorskip("cloudpickle", reason="cloudpickle is not installed ([test] extra)")
    rng = np.random.default_rng(8)
    runs = chinchilla_runs(rng, planted_chinchilla(rng), 40, noise=0.01)
    scale = 1.0
    law = sc.laws.define(
        "chin_local",
        fn=lambda p, c: scale * (p["E"] + p["A"] * c["N"] ** -p["alpha"] + p["B"] * c["D"] ** -p["beta"]),
        params=PARAMS,
        inputs=["N", "D"],
        positive=POSITIVE,
    )
    fit = sc.fit(runs, law, init=sc.fit(runs, "chinchilla").params)
    with pytest.raises((pickle.PicklingError, AttributeError)):
        pickle.dumps(fit)  # by reference: a lambda has no importable name
    path = tmp_path / "fit.pkl"
    path.write_bytes(cloudpickle.dumps(fit))
    code = (
        "import pickle, sys, numpy as np; fit = pickle.loads(open(sys.argv[1], 'rb').read()); "
        "print(repr(float(fit.predict(N=np.array([1e9]), D=np.array([2e10]))[0])))"
    )
    out = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True, check=True)
    assert float(out.stdout) == float(fit.predict(N=np.array([1e9]), D=np.array([2e10]))[0])


def test_a_callable_law_backtests_like_its_expression() -> None:
    rng = np.random.default_rng(9)
    runs = chinchilla_runs(rng, planted_chinchilla(rng), 60, noise=0.01)
    start = sc.fit(runs, "chinchilla").params
    ours = sc.backtest(runs, define_fn("chin_backtest_fn"), split="N", init=start)
    theirs = sc.backtest(
        runs, sc.laws.define("chin_backtest_expr", CHINCHILLA, params=PARAMS, positive=POSITIVE), split="N", init=start
    )
    np.testing.assert_allclose(ours.predictions, theirs.predictions, rtol=1e-6)

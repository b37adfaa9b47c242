"""The hostile-input cases of every public callable (issue 14), run by tests/test_hostile.py in a child
process (a crash there names the case that caused it instead of taking the test run down).

Each public callable has a `Spec`: a call that succeeds on `good` arguments, the arguments to poison,
and what of the result must be finite. A case replaces one argument by one hostile value; it passes when
the call raises a `ScalecoreError` whose message names the argument (or one of `aliases`, for arguments
whose value is checked under another name, e.g. the rows of a table), or returns finite results.

Run as a script (``python tests/_hostile_cases.py [name ...]``) it prints one JSON line per case.
"""

from __future__ import annotations

import json
import math
import sys
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scalecore as sc

# Values no argument of a scalar or array type should turn into a crash, a hang, a bare TypeError or a
# silent NaN. Sizes stay below what a test can afford to compute when accepted (1e30 would be refused by
# validation or by the memory check; the abort reproductions are in test_reliability_inputs.py).
HOSTILE: list[tuple[str, Any]] = [
    ("None", None),
    ("str", "abc"),
    ("nan", math.nan),
    ("inf", math.inf),
    ("-inf", -math.inf),
    ("-1", -1),
    ("0", 0),
    ("1e308", 1e308),
    ("5e-324", 5e-324),
    ("2**64", 2**64),
    ("empty", []),
    ("nested", [[1.0, 2.0], [3.0]]),
    ("complex", 1 + 2j),
    ("bool", True),
    ("object", object()),
]


def _runs() -> sc.Runs:
    rng = np.random.default_rng(0)
    N = 10 ** rng.uniform(7, 10, 24)
    D = N * 10 ** rng.uniform(0.5, 2.5, 24)
    loss = (1.69 + 406.4 / N**0.34 + 410.7 / D**0.28) * np.exp(0.01 * rng.standard_normal(24))
    return sc.Runs(N=N, D=D, loss=loss, group=np.arange(24) % 4)


def _sweep() -> sc.Runs:
    rows = [(n, c / (6 * n)) for c in (1e18, 1e19, 1e20) for n in np.geomspace(1e7, 1e10, 9)]
    N, D = map(np.array, zip(*rows, strict=True))
    return sc.Runs(N=N, D=D, loss=1.69 + 406.4 / N**0.34 + 410.7 / D**0.28)


RUNS = _runs()
SWEEP = _sweep()
SAMPLE = np.random.default_rng(1).normal(size=200)
SAMPLE_2D = np.random.default_rng(2).normal(size=(100, 2))
CHINCHILLA = dict(sc.datasets.HOFFMANN_PARAMS)
FIT = sc.fit(RUNS)
JOINT_TABLE = {"N": RUNS.N, "D": RUNS.D, "loss": RUNS.loss, "g": np.arange(24) % 4}
JOINT = sc.fit(JOINT_TABLE, group="g", shared=["alpha", "beta"])


def numbers(value: Any) -> list[float]:
    """The floats in a result (arrays, scalars, mappings, sequences, dataclass-like objects' fields)."""
    if isinstance(value, (bool, str)) or value is None:
        return []
    if isinstance(value, (int, float, np.floating, np.integer)):
        return [float(value)]
    if isinstance(value, np.ndarray):
        return [float(v) for v in value.ravel()] if value.dtype.kind in "fiu" else []
    if isinstance(value, Mapping):
        return [v for item in value.values() for v in numbers(item)]
    if isinstance(value, (list, tuple)):
        return [v for item in value for v in numbers(item)]
    return []


@dataclass
class Spec:
    call: Callable[..., Any]
    good: dict[str, Any]
    poison: list[str]
    out: Callable[[Any], Any] = lambda r: r
    aliases: dict[str, tuple[str, ...]] = field(default_factory=dict)


def _bound_eval(bound: Any) -> Callable[..., Any]:
    return lambda p, T: bound.evaluate(p, T)


SPECS: dict[str, Spec] = {
    # --- scalecore -------------------------------------------------------------------------------
    "sc.Runs": Spec(
        lambda **kw: sc.Runs(**kw),
        {"N": RUNS.N, "D": RUNS.D, "loss": RUNS.loss, "flops_per_param_token": 6.0},
        ["N", "D", "loss", "flops_per_param_token"],
        lambda r: [r.N, r.D, r.C, r.loss],
    ),
    "sc.fit": Spec(
        lambda **kw: sc.fit(RUNS, **kw),
        {"law": "chinchilla", "delta": 1e-3, "max_iter": 1000, "tie": None, "fixed": None, "weights": None},
        ["law", "delta", "max_iter", "tie", "fixed", "weights", "objective", "init", "ftol", "gtol", "n_threads"],
        lambda r: [*r.params.values(), r.objective],
        aliases={"fixed": ("fixed", "params"), "tie": ("tie",)},
    ),
    "sc.fit_many": Spec(
        lambda **kw: sc.fit_many(kw.pop("table"), **kw),
        {
            "table": {"N": RUNS.N, "D": RUNS.D, "loss": RUNS.loss, "g": np.arange(24) % 2},
            "law": "chinchilla",
            "by": "g",
            "N": "N",
            "D": "D",
        },
        ["table", "law", "by", "n_resamples", "seed", "level", "chunk_size"],
        lambda r: list(r.objective),
        aliases={"table": ("table", "column", "loss", "runs"), "by": ("by", "column")},
    ),
    "sc.fit_many (joint)": Spec(
        lambda **kw: sc.fit_many(kw.pop("table"), **kw),
        {
            "table": {**JOINT_TABLE, "g": np.arange(24) % 2, "k": np.arange(24) // 12},
            "law": "chinchilla",
            "by": "k",
            "group": "g",
            "shared": ["alpha", "beta"],
            "N": "N",
            "D": "D",
        },
        ["table", "law", "by", "group", "shared", "n_resamples", "seed", "level", "chunk_size"],
        lambda r: list(r.objective),
        aliases={
            "table": ("table", "column", "loss", "runs"),
            "by": ("by", "column"),
            "group": ("group", "column"),
            "shared": ("shared", "params"),
        },
    ),
    "sc.bootstrap": Spec(
        lambda **kw: sc.bootstrap(RUNS, progress=False, **kw),
        {"n_resamples": 8, "seed": 0, "scheme": "pairs", "level": 0.9, "chunk_size": 250, "map": None},
        ["n_resamples", "seed", "scheme", "level", "chunk_size", "map", "robust", "checkpoint"],
        lambda r: list(r.samples.values()),
    ),
    "sc.fit (joint)": Spec(
        lambda **kw: sc.fit(JOINT_TABLE, **kw),
        {"law": "chinchilla", "group": "g", "shared": ["alpha", "beta"], "fixed": None, "tie": None},
        ["law", "group", "shared", "fixed", "tie", "weights", "init", "n_threads"],
        lambda r: [r.objective, *r.shared_params.values()],
        aliases={"fixed": ("fixed", "params", "shared"), "tie": ("tie", "shared")},
    ),
    "sc.JointFit.predict": Spec(
        lambda **kw: JOINT.predict(**kw), {"group": 1, "N": 1e9, "D": 1e10}, ["group", "N", "D"]
    ),
    "sc.bootstrap (joint)": Spec(
        lambda **kw: sc.bootstrap(JOINT, progress=False, **kw),
        {"n_resamples": 8, "seed": 0, "level": 0.9},
        ["n_resamples", "seed", "level", "n_threads", "scheme", "map"],
        lambda r: r.samples[np.isfinite(r.samples)],
    ),
    "sc.bootstrap_statistic": Spec(
        lambda **kw: sc.bootstrap_statistic(progress=False, **kw),
        {"data": SAMPLE, "statistic": "mean", "n_resamples": 200, "seed": 0, "level": 0.9},
        ["data", "statistic", "n_resamples", "seed", "level", "method", "q", "ddof", "proportiontocut", "block"],
        lambda r: [r.confidence_interval.low, r.confidence_interval.high, r.standard_error],
    ),
    "sc.optimal_block_length": Spec(
        lambda **kw: sc.optimal_block_length(**kw),
        {"x": SAMPLE},
        ["x"],
        lambda r: list(r),
    ),
    "sc.allocate": Spec(
        lambda **kw: sc.allocate(kw.pop("source"), **kw),
        {"source": CHINCHILLA, "compute": 1e21},
        ["source", "compute", "flops_per_param_token", "inference_tokens", "unique_tokens", "law"],
        lambda r: [r.N, r.D, r.loss],
        aliases={"source": ("source", "params")},
    ),
    "sc.compute_for_loss": Spec(
        lambda **kw: sc.compute_for_loss(kw.pop("source"), kw.pop("loss"), **kw),
        {"source": CHINCHILLA, "loss": 2.2},
        ["source", "loss", "flops_per_param_token", "law"],
        lambda r: [r.compute, r.N, r.D],
        aliases={"source": ("source", "params")},
    ),
    "sc.isoflop": Spec(
        lambda **kw: sc.isoflop(kw.pop("runs"), **kw),
        {"runs": SWEEP, "degree": 2, "n_resamples": 0, "seed": 0},
        ["runs", "degree", "near", "n_resamples", "seed", "level"],
        lambda r: [r.exponent, r.coefficient],
    ),
    "sc.efficient_frontier": Spec(
        lambda **kw: sc.efficient_frontier(kw.pop("runs"), **kw),
        {"runs": SWEEP, "n_grid": 64},
        ["runs", "n_grid", "objective"],
        lambda r: [r.exponent, r.coefficient],
    ),
    "sc.inductive_bias": Spec(
        lambda **kw: sc.inductive_bias(progress=False, **kw),
        {"errors": np.geomspace(0.5, 0.05, 24), "eps": 0.2, "n_resamples": 20, "seed": 0},
        ["errors", "eps", "n_resamples", "seed", "level"],
        lambda r: [r.bits],
    ),
    "sc.ncx2_logcdf": Spec(
        # The log cdf at or below 0 is -inf, the logarithm of a probability of 0: allowed, never NaN.
        lambda **kw: sc.ncx2_logcdf(**kw),
        {"x": 3.0, "k": 2.0, "lam": 1.0, "scale": 1.0},
        ["x", "k", "lam", "scale"],
        lambda r: [v for v in numbers(r) if v != -math.inf],
    ),
    "sc.KDE": Spec(
        lambda **kw: sc.KDE(kw.pop("samples"), **kw).pdf([0.0, 1.0]),
        {"samples": SAMPLE, "bandwidth": "scott", "kernel": "gaussian"},
        ["samples", "bandwidth", "kernel", "weights", "method", "tolerance", "n_threads"],
    ),
    "sc.KDE.evaluate": Spec(
        lambda **kw: [getattr(sc.KDE(SAMPLE), m)(kw["x"]) for m in ("pdf", "logpdf", "cdf", "sf")],
        {"x": [0.0, 1e150, -1e150]},
        ["x"],
        # Far from the data the density is 0 and its logarithm -inf: allowed there, never NaN.
        lambda r: [*numbers([r[0], r[2], r[3]]), *(v for v in numbers(r[1]) if v != -math.inf)],
    ),
    "sc.KDE.quantile": Spec(lambda **kw: sc.KDE(SAMPLE).quantile(kw["p"]), {"p": [0.1, 0.5]}, ["p"]),
    "sc.KDE.grid": Spec(
        lambda **kw: sc.KDE(SAMPLE).grid(**kw), {"n": 16, "cut": 3.0}, ["n", "cut", "lo", "hi"], lambda r: list(r)
    ),
    "sc.KDE.hdi": Spec(lambda **kw: sc.KDE(SAMPLE).hdi(**kw), {"level": 0.9}, ["level"]),
    "sc.KDE.resample": Spec(lambda **kw: sc.KDE(SAMPLE).resample(**kw), {"size": 100, "seed": 0}, ["size", "seed"]),
    "sc.KDE.integrate_box_1d": Spec(
        lambda **kw: sc.KDE(SAMPLE).integrate_box_1d(**kw), {"low": -1.0, "high": 1.0}, ["low", "high"]
    ),
    "sc.KDE.integrate_box": Spec(
        lambda **kw: sc.KDE(SAMPLE_2D, bandwidth=[0.5, 0.4]).integrate_box(**kw),
        {"low": [-1.0, -1.0], "high": [1.0, 1.0]},
        ["low", "high"],
    ),
    "sc.KDE.integrate_gaussian": Spec(
        lambda **kw: sc.KDE(SAMPLE).integrate_gaussian(**kw), {"mean": 0.0, "cov": 1.0}, ["mean", "cov"]
    ),
    "sc.KDE.integrate_kde": Spec(lambda **kw: sc.KDE(SAMPLE).integrate_kde(**kw), {"other": sc.KDE(SAMPLE)}, ["other"]),
    "sc.KDE.marginal": Spec(
        lambda **kw: sc.KDE(SAMPLE_2D).marginal(**kw).pdf([0.0, 1.0]), {"dimensions": 1}, ["dimensions"]
    ),
    "sc.KDE.with_bandwidth": Spec(
        lambda **kw: sc.KDE(SAMPLE).with_bandwidth(**kw).pdf([0.0, 1.0]), {"bandwidth": 0.5}, ["bandwidth"]
    ),
    "sc.FitResult": Spec(
        lambda **kw: FIT.predict(**kw), {"N": [1e9], "D": [1e11]}, ["N", "D"], aliases={"N": ("N",), "D": ("D",)}
    ),
    "sc.IsoflopResult": Spec(
        lambda **kw: sc.isoflop(SWEEP).predict_N_opt(kw["compute"]), {"compute": 1e21}, ["compute"]
    ),
    "sc.BootstrapStatisticResult": Spec(
        lambda **kw: sc.bootstrap_statistic(SAMPLE, n_resamples=100, seed=0, progress=False).interval(**kw),
        {"level": 0.9, "method": "percentile"},
        ["level", "method"],
        lambda r: [r.low, r.high],
    ),
    "sc.backtest": Spec(
        lambda **kw: sc.backtest(kw.pop("runs"), **kw),
        {"runs": RUNS, "law": "chinchilla", "split": "C", "holdout": 0.25},
        ["runs", "law", "split", "cut", "holdout", "n_resamples", "seed", "level"],
        lambda r: [f.rms_log_error for f in r.folds],
        aliases={"cut": ("cut", "split"), "holdout": ("holdout", "split")},
    ),
    "sc.backtest_table": Spec(
        lambda **kw: sc.backtest_table(kw.pop("runs"), **kw).to_frame(),
        {"runs": RUNS, "candidates": ["chinchilla", {"law": "chinchilla", "objective": "lsq_log"}], "split": "C"},
        ["runs", "candidates", "split", "rank_by"],
        lambda r: [],
        aliases={"candidates": ("candidates", "law")},
    ),
    "sc.posterior": Spec(
        lambda **kw: sc.posterior(kw.pop("runs"), progress=False, **kw),
        {"runs": RUNS, "law": "chinchilla", "method": "laplace", "n_draws": 2000, "seed": 0},
        ["runs", "law", "prior", "method", "n_draws", "seed", "level", "n_threads"],
        lambda r: [r.mean(p) for p in ("E", "alpha")],
    ),
    "sc.profile": Spec(
        lambda **kw: sc.profile(kw.pop("runs"), warn=False, **kw),
        {"runs": RUNS, "law": "chinchilla", "quantity": "N_opt", "compute": 1e24},
        ["runs", "law", "quantity", "compute", "level", "flops_per_param_token"],
        lambda r: [r.estimate],
        # the core checks the budget in units of parameter-tokens, C / f, and names the budget
        aliases={"flops_per_param_token": ("flops_per_param_token", "compute")},
    ),
    "sc.suggest_runs": Spec(
        lambda **kw: sc.suggest_runs(FIT, **kw),
        {"candidates": {"N": [1e9, 3e9, 1e10], "D": [2e10, 6e10, 2e11]}, "k": 2, "compute": 1e24},
        ["candidates", "budget", "k", "target", "compute", "level", "flops_per_param_token"],
        lambda r: [],
        # an unknown target is refused by the core's table of derived quantities; a budget or FLOP count
        # that leaves no candidate or no optimum is refused when the target is evaluated
        aliases={"target": ("target", "quantity"), "flops_per_param_token": ("flops_per_param_token", "target")},
    ),
    "sc.objective": Spec(
        lambda **kw: sc.objective(**kw),
        {"space": "log", "penalty": "huber", "delta": 1e-3, "over": 2.0},
        ["space", "penalty", "delta", "over", "under", "reduction"],
        lambda r: [],
    ),
    "sc.laws.define": Spec(
        lambda **kw: sc.laws.define(kw.pop("name"), kw.pop("expr"), **kw).name,
        {"name": "hostile_law", "expr": "E + A * N^-alpha", "positive": ["E", "A"]},
        ["name", "expr", "positive", "bounds", "inputs", "params", "grid"],
        lambda r: [],
        # a new expression makes the declared parameters wrong; other parameter lists make names unknown
        aliases={"expr": ("expr", "positive"), "params": ("params", "expr"), "inputs": ("inputs", "expr")},
    ),
    "sc.laws.defined_names": Spec(lambda **kw: len(sc.laws.defined_names(**kw)), {}, []),
    # --- scalecore.laws ----------------------------------------------------------------------------
    "sc.laws.get": Spec(
        lambda **kw: sc.laws.get(kw["name"]).n_grid, {"name": "power"}, ["name"], aliases={"name": ("law",)}
    ),
    "sc.laws.names": Spec(lambda **kw: len(sc.laws.names(**kw)), {}, []),
    "sc.laws.Law": Spec(
        lambda **kw: sc.laws.get("chinchilla").predict(kw["params"], N=kw["N"], D=[1e11]),
        {"params": CHINCHILLA, "N": [1e9]},
        ["params", "N"],
    ),
    # --- scalecore.bounds --------------------------------------------------------------------------
    "sc.bounds.InverseLinear": Spec(
        lambda **kw: sc.bounds.InverseLinear(kw["a"], kw["b"]).evaluate(kw["p"], kw["T"]),
        {"a": 1.0, "b": 2.0, "p": [1e6], "T": [1e9]},
        ["a", "b", "p", "T"],
    ),
    "sc.bounds.InverseLog": Spec(
        lambda **kw: sc.bounds.InverseLog(kw["a"], kw["b0"], kw["b1"]).evaluate(kw["p"], kw["T"]),
        {"a": 1.0, "b0": 2.0, "b1": 0.5, "p": [1e6], "T": [1e9]},
        ["a", "b0", "b1", "p", "T"],
    ),
    "sc.bounds.PowerLaw": Spec(
        lambda **kw: sc.bounds.PowerLaw.from_params(kw["params"]).evaluate(kw["p"], [1e10]),
        {"params": CHINCHILLA, "p": [1e8]},
        ["params", "p"],
        aliases={"params": ("params", "E", "A", "B", "alpha", "beta")},
    ),
    "sc.bounds.FiniteTeacher": Spec(
        lambda **kw: sc.bounds.FiniteTeacher(kw["d"], kw["N"], kw["B"]).evaluate(kw["p"], kw["T"]),
        {"d": 8.0, "N": 100.0, "B": 1.0, "p": [1e3], "T": [1e6]},
        ["d", "N", "B", "p", "T"],
    ),
    "sc.bounds.DirichletProcessTeacher": Spec(
        lambda **kw: sc.bounds.DirichletProcessTeacher(kw["d"], kw["K"], kw["B"]).evaluate(kw["p"], [1e6]),
        {"d": 8.0, "K": 10.0, "B": 1.0, "p": [1e3]},
        ["d", "K", "B", "p"],
    ),
    "sc.bounds.DecomposedBound": Spec(
        lambda **kw: sc.bounds.DecomposedBound(lambda p: 1.0 / p, lambda p, T: p / T, p_min=kw["p_min"]).evaluate(
            kw["p"], [1e9]
        ),
        {"p_min": 1.0, "p": [1e6]},
        ["p_min", "p"],
    ),
    "sc.bounds.RateDistortion": Spec(
        lambda **kw: sc.bounds.RateDistortion(lambda e: np.log(1.0 / e), **kw).evaluate([1e3]).lower,
        {"eps_range": (1e-3, 1.0)},
        ["eps_range", "n_grid"],
    ),
    "sc.bounds.allocate": Spec(
        lambda **kw: sc.bounds.allocate(kw["bound"], kw["compute"]),
        {"bound": sc.bounds.InverseLog(1.0, 2.0, 0.5), "compute": [1e18, 1e308]},
        ["bound", "compute"],
        lambda r: [r.p, r.T],
    ),
    "sc.bounds.compare_exponent": Spec(
        lambda **kw: sc.bounds.compare_exponent(kw["params"], sc.bounds.InverseLinear(1.0, 2.0), kw["compute"]),
        {"params": CHINCHILLA, "compute": [1e20]},
        ["params", "compute"],
        lambda r: [r.fitted, r.bound],
    ),
    "sc.bounds.linear_regression_information": Spec(
        lambda **kw: sc.bounds.linear_regression_information(**kw).information,
        {"d": 2, "T": 10, "s2": 1.0, "sigma2": 1.0, "n_mc": 50, "seed": 0},
        ["d", "T", "s2", "sigma2", "n_mc", "seed"],
    ),
    "sc.bounds.error_from_information": Spec(
        lambda **kw: sc.bounds.error_from_information(**kw), {"information": 3.0, "T": 100.0}, ["information", "T"]
    ),
    "sc.bounds.bernoulli_logit_kl": Spec(
        lambda **kw: sc.bounds.bernoulli_logit_kl(**kw), {"u": 0.3, "v": -0.2}, ["u", "v"]
    ),
}

# Public names that are result or support types, reached through the calls above (they are built by
# the library, not by users): the Spec named here exercises them.
COVERED_BY: dict[str, str] = {
    "sc.Allocation": "sc.allocate",
    "sc.BacktestResult": "sc.backtest",
    "sc.BacktestTable": "sc.backtest_table",
    "sc.ProfileResult": "sc.profile",
    "sc.FitTable": "sc.fit_many",
    "sc.JointFitTable": "sc.fit_many (joint)",
    "sc.PosteriorResult": "sc.posterior",
    "sc.Rolling": "sc.backtest",
    "sc.Suggestion": "sc.suggest_runs",
    "sc.laws.DefinedLaw": "sc.laws.define",
    "sc.BootstrapResult": "sc.bootstrap",
    "sc.JointFit": "sc.fit (joint)",
    "sc.JointBootstrap": "sc.bootstrap (joint)",
    "sc.FrontierResult": "sc.efficient_frontier",
    "sc.InductiveBiasResult": "sc.inductive_bias",
    "sc.KDEDiagnostics": "sc.KDE",
    "sc.bounds.BoundAllocation": "sc.bounds.allocate",
    "sc.bounds.BoundTerms": "sc.bounds.FiniteTeacher",
    "sc.bounds.ExponentComparison": "sc.bounds.compare_exponent",
    "sc.bounds.RegressionInformation": "sc.bounds.linear_regression_information",
    "sc.bounds.TwoSidedBound": "sc.bounds.RateDistortion",
}


def public_callables() -> list[str]:
    """Every public callable of scalecore, scalecore.bounds and scalecore.laws, by its dotted name."""
    names = []
    for prefix, module in (("sc", sc), ("sc.bounds", sc.bounds), ("sc.laws", sc.laws)):
        for name in module.__all__:
            obj = getattr(module, name)
            if isinstance(obj, type) and issubclass(obj, (BaseException, Warning)):
                continue
            if callable(obj):
                names.append(f"{prefix}.{name}")
    return names


def run_case(spec: Spec, arg: str | None, label: str, value: Any) -> dict[str, Any]:
    kw = dict(spec.good)
    if arg is not None:
        kw[arg] = value
    try:
        result = spec.out(spec.call(**kw))
    except sc.ScalecoreError as exc:
        names = spec.aliases.get(arg or "", (arg,)) if arg else ()
        named = any(n is not None and n in str(exc) for n in names)
        return {"outcome": "error" if named or arg is None else "unnamed", "detail": f"{type(exc).__name__}: {exc}"}
    except Exception as exc:
        return {"outcome": "bad", "detail": f"{type(exc).__name__}: {exc}", "trace": traceback.format_exc(limit=4)}
    values = numbers(result)
    if not all(math.isfinite(v) for v in values):
        return {"outcome": "nonfinite", "detail": repr(result)[:300]}
    return {"outcome": "ok", "detail": ""}


def main(selected: list[str]) -> None:
    import warnings

    warnings.simplefilter("ignore")
    for name, spec in SPECS.items():
        if selected and name not in selected:
            continue
        cases: list[tuple[str | None, str, Any]] = [(None, "good", None)]
        cases += [(arg, label, value) for arg in spec.poison for label, value in HOSTILE]
        for arg, label, value in cases:
            # Announced first, so that a crash of this process names the case that caused it.
            print(json.dumps({"start": name, "arg": arg, "value": label}), flush=True)
            report = run_case(spec, arg, label, value)
            print(json.dumps({"name": name, "arg": arg, "value": label, **report}), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])

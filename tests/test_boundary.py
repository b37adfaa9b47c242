"""The Python/Rust boundary of fits and fit bootstraps: how often a public call crosses into `_core`,
pickles that do not redo the work, and arrays of any layout reaching the handles."""

from __future__ import annotations

import builtins
import importlib
import pickle
import sys
import types
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import numpy as np
import pytest
import scalecore as sc
from scalecore import _core
from scalecore.datasets import HOFFMANN_PARAMS
from scalecore.fit_bootstrap import fit_chunk

HANDLES = (_core.Fit, _core.PreparedBootstrap)


class Handle:
    """A core handle whose method calls are counted (getters read state and are not counted)."""

    def __init__(self, obj: Any, calls: Counter[str]) -> None:
        self._obj, self._calls = obj, calls

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._obj, name)
        if isinstance(value, types.BuiltinMethodType):
            return counted(value, f"{type(self._obj).__name__}.{name}", self._calls)
        return value

    def __reduce__(self) -> Any:
        return self._obj.__reduce__()


def unwrap(value: Any) -> Any:
    return value._obj if isinstance(value, Handle) else value


def counted(fn: Callable[..., Any], name: str, calls: Counter[str]) -> Callable[..., Any]:
    def call(*args: Any, **kwargs: Any) -> Any:
        calls[name] += 1
        out = fn(*map(unwrap, args), **{k: unwrap(v) for k, v in kwargs.items()})
        return Handle(out, calls) if isinstance(out, HANDLES) else out

    return call


class CoreProxy(types.ModuleType):
    """Stands for `scalecore._core` in the modules that import it: module functions and the methods of
    the handles they return are counted, by name."""

    def __init__(self, calls: Counter[str]) -> None:
        super().__init__("scalecore._core")
        self._calls = calls

    def __getattr__(self, name: str) -> Any:
        value = getattr(_core, name)
        if isinstance(value, types.BuiltinFunctionType):
            return counted(value, name, self._calls)
        return value


@pytest.fixture
def crossings(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    calls: Counter[str] = Counter()
    proxy = CoreProxy(calls)
    for name, module in list(sys.modules.items()):
        if name.startswith("scalecore") and getattr(module, "_core", None) is _core:
            monkeypatch.setattr(module, "_core", proxy)
    return calls


@pytest.fixture(scope="module")
def runs() -> sc.Runs:
    return sc.datasets.chinchilla_sweep(seed=1)


def test_fit_crosses_once(runs: sc.Runs, crossings: Counter[str]) -> None:
    res = sc.fit(runs)
    assert crossings == Counter({"fit_law": 1})
    res.predict(N=[1e9, 1e10], D=[2e10, 2e11])
    assert crossings == Counter({"fit_law": 1, "Fit.predict": 1})


def test_bootstrap_allocation_crosses_once(runs: sc.Runs, crossings: Counter[str]) -> None:
    boot = sc.bootstrap(runs, n_resamples=60, seed=3, progress=False)
    crossings.clear()
    alloc = boot.allocate(compute=[1e22, 1e23, 1e24])
    assert crossings == Counter({"bootstrap_allocation": 1})
    assert len(alloc) == 3 and np.all(alloc.N_ci[:, 0] <= alloc.N) and np.all(alloc.N_ci[:, 1] >= alloc.N)


@pytest.mark.parametrize("chunk_size", [10, 25, 60])
def test_a_mapped_bootstrap_is_prepared_once(runs: sc.Runs, crossings: Counter[str], chunk_size: int) -> None:
    boot = sc.bootstrap(runs, n_resamples=60, seed=4, map=builtins.map, chunk_size=chunk_size)
    chunks = -(-60 // chunk_size)
    assert crossings == Counter({"fit_law": 1, "prepare_bootstrap": 1, "PreparedBootstrap.replicates": chunks})
    whole = sc.bootstrap(runs, n_resamples=60, seed=4, progress=False)
    assert all(np.array_equal(whole.samples[p], boot.samples[p]) for p in whole.samples)


def pickling_map(fn: Callable[[Any], Any], items: Iterable[Any]) -> Iterator[Any]:
    """A map that ships the function (with the prepared bootstrap it carries) as a process pool would."""
    for item in items:
        yield pickle.loads(pickle.dumps(fn))(item)


class Restores:
    """Counts the calls of `_core` functions that pickle looks up by name while loading."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls: Counter[str] = Counter()
        for name in ("fit_from_state", "prepared_bootstrap_from_state", "fit_law", "prepare_bootstrap"):
            monkeypatch.setattr(_core, name, counted(getattr(_core, name), name, self.calls))


def test_workers_receive_the_prepared_bootstrap(runs: sc.Runs, monkeypatch: pytest.MonkeyPatch) -> None:
    local = sc.bootstrap(runs, n_resamples=30, seed=5, progress=False)
    shipped = sc.bootstrap(runs, n_resamples=30, seed=5, map=pickling_map, chunk_size=10)
    assert all(np.array_equal(local.samples[p], shipped.samples[p]) for p in local.samples)
    payload = pickle.dumps(local._prepared)
    restores = Restores(monkeypatch)
    pickle.loads(payload)
    assert restores.calls == Counter({"fit_from_state": 1, "prepared_bootstrap_from_state": 1})


def test_results_pickle_without_refitting(runs: sc.Runs, monkeypatch: pytest.MonkeyPatch) -> None:
    res = sc.fit(runs)
    boot = sc.bootstrap(runs, n_resamples=40, seed=6, progress=False)
    boot.ci("alpha", method="bca")
    fit_payload, boot_payload = pickle.dumps(res), pickle.dumps(boot)
    restores = Restores(monkeypatch)
    res2, boot2 = pickle.loads(fit_payload), pickle.loads(boot_payload)
    assert restores.calls["fit_law"] == restores.calls["prepare_bootstrap"] == 0
    assert restores.calls["fit_from_state"] == 2
    assert res2.params == res.params and res2.stop == res.stop and res2.n_starts == res.n_starts
    np.testing.assert_array_equal(res2.handle.residuals, res.residuals)
    np.testing.assert_array_equal(res2.predict(runs), res.predict(runs))
    assert boot2.ci("a", method="bca") == boot.ci("a", method="bca")
    theta, failed = boot._prepared.replicates(40, 5)
    theta2, failed2 = boot2._prepared.replicates(40, 5)
    np.testing.assert_array_equal(theta, theta2)
    np.testing.assert_array_equal(failed, failed2)


def awkward(a: Any) -> Any:
    """The same float64 values in an unaligned, read-only, non-contiguous array (as a worker may
    receive them after deserialisation)."""
    if not isinstance(a, np.ndarray) or a.dtype != np.float64 or a.size == 0:
        if isinstance(a, tuple):
            return tuple(awkward(v) for v in a)
        if isinstance(a, list):
            return [awkward(v) for v in a]
        return a
    raw = np.zeros(16 * a.size + 1, dtype=np.uint8)
    spaced = np.frombuffer(raw.data, dtype=np.float64, count=2 * a.size, offset=1)[::2].reshape(a.shape)
    spaced[...] = a
    spaced.setflags(write=False)
    assert not spaced.flags.aligned and not spaced.flags.c_contiguous and not spaced.flags.writeable
    return spaced


def test_the_chunk_function_accepts_awkward_arrays(runs: sc.Runs) -> None:
    group = np.repeat(np.arange(len(runs) // 3), 3)[: len(runs)]
    boot = sc.bootstrap(runs, n_resamples=8, seed=7, scheme="cluster", group=group, progress=False)
    prepared = boot._prepared
    restore, args = prepared.__reduce__()
    fit_restore, fit_state = args[0].__reduce__()
    rebuilt = restore(fit_restore(*awkward(fit_state)), *awkward(args[1:]))
    for a, b in zip(fit_chunk(prepared, 1, (2, 6)), fit_chunk(rebuilt, 1, (2, 6)), strict=True):
        np.testing.assert_array_equal(a, b)


def test_three_runs_determine_two_free_parameters() -> None:
    """Runs >= free parameters is the one rule (the core's): 3 runs fit chinchilla with E, alpha and beta
    fixed, and the two free coefficients are recovered from noiseless runs."""
    p = HOFFMANN_PARAMS
    n, d = np.array([1e8, 1e9, 1e10]), np.array([2e9, 3e10, 2e11])
    loss = p["E"] + p["A"] / n ** p["alpha"] + p["B"] / d ** p["beta"]
    fixed = {k: p[k] for k in ("E", "alpha", "beta")}
    res = sc.fit(sc.Runs(N=n, D=d, loss=loss), fixed=fixed, objective="lsq_log")
    assert res.converged and res.free_params == ("A", "B") and res.n_runs == 3
    assert res.params["A"] == pytest.approx(p["A"], rel=1e-6)
    assert res.params["B"] == pytest.approx(p["B"], rel=1e-6)
    with pytest.raises(sc.InvalidInputError, match="runs: 1 runs cannot determine the 2 free parameters"):
        sc.fit(sc.Runs(N=n[:1], D=d[:1], loss=loss[:1]), fixed=fixed)


def test_option_names_have_one_owner(runs: sc.Runs) -> None:
    """Python's option names are the extension's (read from it), and the core refuses others by listing
    them."""
    fit_module = importlib.import_module("scalecore.fit")
    boot_module = importlib.import_module("scalecore.bootstrap")
    assert fit_module.OBJECTIVES == _core.OBJECTIVES
    assert boot_module.SCHEMES == _core.SCHEMES
    assert boot_module.METHODS == _core.INTERVAL_METHODS
    assert boot_module.STATISTICS == _core.STATISTICS
    assert boot_module.DERIVED == _core.DERIVED
    with pytest.raises(sc.InvalidInputError, match="objective: must be one of") as err:
        sc.fit(runs, objective="l1")
    assert all(name in str(err.value) for name in _core.OBJECTIVES)
    with pytest.raises(sc.InvalidInputError, match="init: must be one of"):
        sc.fit(runs, init="grid")
    assert sc.fit(runs).stop in _core.STOP_REASONS


def test_allocating_from_a_bootstrap_crosses_once(runs: sc.Runs, crossings: Counter[str]) -> None:
    """`sc.allocate(boot)` sends the replicates once and gets the point allocation and the intervals
    back from the bootstrap's interval path: the same intervals as `boot.allocate`."""
    boot = sc.bootstrap(runs, n_resamples=60, seed=3, progress=False)
    compute = [1e20, 1e21, 1e22]  # inside the fitted runs' range: no extrapolation warning
    crossings.clear()
    alloc = sc.allocate(boot, compute=compute, level=0.9)
    assert crossings == Counter({"allocate_law": 1})
    same = boot.allocate(compute, level=0.9)
    assert alloc.N_ci is not None and alloc.D_ci is not None and alloc.loss_ci is not None
    np.testing.assert_allclose(alloc.N_ci, same.N_ci, rtol=1e-9)
    np.testing.assert_allclose(alloc.D_ci, same.D_ci, rtol=1e-9)
    np.testing.assert_allclose(alloc.loss_ci, same.loss_ci, rtol=1e-12)


def typed_results() -> dict[str, Any]:
    """One result of each typed class the allocation, IsoFLOP and bounds bindings return."""
    law = sc.laws.get("chinchilla")
    theta = law.to_internal(HOFFMANN_PARAMS)
    compute = np.array([1e21, 1e23])
    thetas = np.vstack([theta * (1 + 0.01 * k) for k in range(-3, 4)])
    sweep = sc.datasets.chinchilla_sweep(seed=0)
    ln_c, index = np.unique(np.log(sweep.C).round(6), return_inverse=True)
    columns = (np.log(sweep.N), sweep.loss, index.tolist(), ln_c)
    return {
        "allocation": _core.allocate_law("chinchilla", theta.tolist(), compute, np.zeros(2)),
        "allocation with intervals": _core.allocate_law(
            "chinchilla", theta.tolist(), compute, np.zeros(2), thetas=thetas, level=0.8
        ),
        "inverse": _core.compute_for_loss_law("chinchilla", theta.tolist(), np.array([2.5, 2.2]), np.zeros(2)),
        "isoflop fit": _core.isoflop_fit(*columns, 2, 7),
        "isoflop bootstrap": _core.isoflop_bootstrap(*columns, 2, 7, None, 20, 1),
        "frontier": _core.efficient_frontier(
            [0, 0, 1, 1], np.log([1.0, 2.0, 1.5, 3.0]), np.array([3, 2.5, 2.8, 2.2]), 2
        ),
        "bound allocation": _core.BoundSpec("inverse_linear", [1.0, 2.0]).allocate(compute),
    }


def fields(result: Any) -> dict[str, Any]:
    return {k: getattr(result, k) for k in dir(result) if not k.startswith("_") and not callable(getattr(result, k))}


@pytest.mark.parametrize("name", list(typed_results()))
def test_typed_results_are_frozen_and_pickle(name: str) -> None:
    result = typed_results()[name]
    state = fields(result)
    assert len(state) >= 3
    back = pickle.loads(pickle.dumps(result))
    assert type(back) is type(result)
    for key, value in state.items():
        got = getattr(back, key)
        if isinstance(value, np.ndarray):
            np.testing.assert_array_equal(got, value, err_msg=key)
            assert got.dtype == value.dtype
        else:
            assert got == value or (value != value and got != got), key
    with pytest.raises(AttributeError):
        setattr(result, next(iter(state)), None)


def test_typed_results_refuse_inconsistent_columns() -> None:
    with pytest.raises(sc.InvalidInputError, match=r"^D"):
        _core.LawAllocation(np.ones(2), np.ones(2), np.ones(3), np.ones(2), [0, 0])
    with pytest.raises(sc.InvalidInputError, match=r"^status"):
        _core.LawAllocation(np.ones(2), np.ones(2), np.ones(2), np.ones(2), [0, 9])
    with pytest.raises(sc.InvalidInputError, match=r"^N_ci"):
        _core.LawAllocation(np.ones(1), np.ones(1), np.ones(1), np.ones(1), [0], N_ci=np.ones((1, 2)))
    with pytest.raises(sc.InvalidInputError, match=r"^estimation"):
        _core.BoundAllocation(*[np.ones(2)] * 4, np.ones(3), np.ones(2))
    with pytest.raises(sc.InvalidInputError, match=r"^loss_opt"):
        _core.IsoflopBootstrap(np.ones(2), np.ones(2), np.ones((2, 3)), np.ones((2, 2)), 0)


def test_the_bootstrap_level_is_checked_when_the_prepared_handle_is_built(
    runs: sc.Runs, crossings: Counter[str]
) -> None:
    with pytest.raises(sc.InvalidInputError, match=r"^level\b"):
        sc.bootstrap(runs, n_resamples=5, level=1.5, progress=False)
    assert crossings == Counter({"fit_law": 1, "prepare_bootstrap": 1})
    boot = sc.bootstrap(runs, n_resamples=5, seed=1, level=0.8, progress=False)
    assert boot.level == 0.8 and pickle.loads(pickle.dumps(boot._prepared)).level == 0.8

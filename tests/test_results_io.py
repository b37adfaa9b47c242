"""Results that last: save/load (.json and .npz) and pickling round-trip every result type exactly; to_frame and
the notebook table show the same rows."""

from __future__ import annotations

import pickle
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import scalecore as sc

RUNS = sc.datasets.chinchilla_sweep(0)


def _same(a: Any, b: Any) -> bool:
    """Equal value for value: arrays bit-identical (NaN equal to NaN), containers element by element."""
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return (
            isinstance(a, np.ndarray)
            and isinstance(b, np.ndarray)
            and a.dtype == b.dtype
            and a.shape == b.shape
            and np.array_equal(a, b, equal_nan=a.dtype.kind == "f")
        )
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float) and np.isnan(a):
        return isinstance(b, float) and np.isnan(b)
    return type(a) is type(b) and a == b


@pytest.fixture(scope="module")
def results() -> dict[str, Any]:
    boot = sc.bootstrap(RUNS, n_resamples=40, seed=3, progress=False)
    boot.ci("alpha", method="bca")  # the jackknife refits are part of the state once computed
    sweep = sc.datasets.chinchilla_sweep(1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", sc.ScalecoreWarning)
        return {
            "fit": boot.fit,
            "bootstrap": boot,
            "bootstrap_allocation": boot.allocate([1e21, 1e23]),
            "allocation": sc.allocate(boot, compute=[1e21, 1e23]),
            "scalar_allocation": sc.allocate(boot.fit, compute=5.76e23),
            "isoflop": sc.isoflop(sweep, n_resamples=30),
            "frontier": sc.efficient_frontier(_curves(), n_grid=40),
            "kde": sc.KDE(RUNS.loss, bandwidth="isj_botev"),
            "kde_2d": sc.KDE(np.column_stack([RUNS.loss, np.log(RUNS.N)]), weights=np.linspace(1, 2, len(RUNS))),
            "bound_allocation": sc.bounds.allocate(sc.bounds.InverseLog(1.0, 2.0, 0.5), [1e6, 1e9]),
        }


def _curves() -> sc.Runs:
    p = sc.datasets.HOFFMANN_PARAMS
    N, D = np.meshgrid(np.geomspace(1e7, 1e10, 6), np.geomspace(1e8, 1e12, 30), indexing="ij")
    loss = p["E"] + p["A"] / N ** p["alpha"] + p["B"] / D ** p["beta"]
    return sc.Runs(N=N.ravel(), D=D.ravel(), loss=loss.ravel())


NAMES = [
    "fit",
    "bootstrap",
    "bootstrap_allocation",
    "allocation",
    "scalar_allocation",
    "isoflop",
    "frontier",
    "kde",
    "kde_2d",
    "bound_allocation",
]


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("suffix", [".json", ".npz"])
def test_save_load_round_trips_exactly(results: dict[str, Any], name: str, suffix: str, tmp_path: Path) -> None:
    res = results[name]
    path = tmp_path / f"result{suffix}"
    res.save(path)
    back = type(res).load(path)
    assert type(back) is type(res)
    assert _same(back._state(), res._state())
    assert repr(back) == repr(res)


@pytest.mark.parametrize("name", NAMES)
def test_pickle_round_trips_exactly(results: dict[str, Any], name: str) -> None:
    res = results[name]
    back = pickle.loads(pickle.dumps(res))
    assert _same(back._table(), res._table()) and repr(back) == repr(res)
    if not isinstance(res, sc.KDE):  # a KDE pickles its normalised weights, not the weights as given
        assert _same(back._state(), res._state())


@pytest.mark.parametrize("name", NAMES)
def test_frame_and_notebook_table_show_the_rows(results: dict[str, Any], name: str) -> None:
    pytest.importorskip("pandas")
    res = results[name]
    frame = res.to_frame()
    table = res._table()
    assert list(frame.columns) == list(table)
    assert len(frame) == len(np.atleast_1d(next(iter(table.values()))))
    page = res._repr_html_()
    assert page.startswith("<div>") and "<table>" in page
    assert all(f"<th>{c}</th>" in page for c in table)
    assert isinstance(res.to_dict(), dict)


def test_reloaded_results_answer_as_the_originals(results: dict[str, Any], tmp_path: Path) -> None:
    fit, boot, kde = results["fit"], results["bootstrap"], results["kde"]
    fit.save(tmp_path / "fit.json")
    boot.save(tmp_path / "boot.npz")
    kde.save(tmp_path / "kde.json")
    fit2 = sc.FitResult.load(tmp_path / "fit.json")
    boot2 = sc.BootstrapResult.load(tmp_path / "boot.npz")
    kde2 = sc.KDE.load(tmp_path / "kde.json")
    N, D = np.geomspace(1e8, 1e11, 7), np.geomspace(1e9, 1e12, 7)
    np.testing.assert_array_equal(fit2.predict(N=N, D=D), fit.predict(N=N, D=D))
    assert boot2.ci("alpha") == boot.ci("alpha")
    assert boot2.ci("a", method="bca") == boot.ci("a", method="bca")
    np.testing.assert_array_equal(boot2.allocate([1e22]).N_ci, boot.allocate([1e22]).N_ci)
    np.testing.assert_array_equal(kde2.pdf(RUNS.loss), kde.pdf(RUNS.loss))


def test_load_refuses_what_it_cannot_read(results: dict[str, Any], tmp_path: Path) -> None:
    with pytest.raises(sc.InvalidInputError, match="no such file"):
        sc.FitResult.load(tmp_path / "absent.json")
    (tmp_path / "bad.json").write_text("{not json")
    with pytest.raises(sc.InvalidInputError, match="cannot read"):
        sc.FitResult.load(tmp_path / "bad.json")
    results["kde"].save(tmp_path / "kde.json")
    with pytest.raises(sc.InvalidInputError, match="holds a KDE, not a FitResult"):
        sc.FitResult.load(tmp_path / "kde.json")
    with pytest.raises(sc.InvalidInputError, match=r"\.json or \.npz"):
        results["fit"].save(tmp_path / "fit.txt")
    fresh = sc.bootstrap(RUNS, n_resamples=10, seed=0, progress=False)
    fresh.save(tmp_path / "fresh.npz")
    with pytest.raises(sc.InvalidInputError, match="BCa needs jackknife"):
        sc.BootstrapResult.load(tmp_path / "fresh.npz").ci("alpha", method="bca")

"""sc.Runs: columns from arrays, lists, pandas / polars / pyarrow tables, CSV and Parquet, validated once."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pytest
import scalecore as sc

COLS = {
    "params": [1e8, 2e8, 4e8, 8e8],
    "tokens": [2e9, 4e9, 8e9, 1.6e10],
    "val": [3.1, 2.9, 2.7, 2.6],
    "seed": ["a", "b", "a", "b"],
}


def check(runs: sc.Runs) -> None:
    assert len(runs) == 4
    np.testing.assert_array_equal(runs.N, COLS["params"])
    np.testing.assert_array_equal(runs.D, COLS["tokens"])
    np.testing.assert_array_equal(runs.loss, COLS["val"])
    np.testing.assert_allclose(runs.C, 6 * runs.N * runs.D)
    np.testing.assert_allclose(runs.M, runs.D / runs.N)
    assert runs.N.dtype == np.float64


def test_from_arrays_and_lists() -> None:
    check(sc.Runs(N=np.array(COLS["params"]), D=COLS["tokens"], loss=tuple(COLS["val"])))


def test_from_pandas_polars_pyarrow() -> None:
    pd = pytest.importorskip("pandas")
    pl = pytest.importorskip("polars")
    pa = pytest.importorskip("pyarrow")
    for frame in (pd.DataFrame(COLS), pl.DataFrame(COLS), pa.table(COLS)):
        runs = sc.Runs.from_frame(frame, N="params", D="tokens", loss="val", group="seed")
        check(runs)
        assert runs.group_codes is not None and runs.group_codes.tolist() == [0, 1, 0, 1]


def test_from_csv_and_parquet(tmp_path: Path) -> None:
    pd = pytest.importorskip("pandas")
    pytest.importorskip("pyarrow")
    pd.DataFrame(COLS).to_csv(tmp_path / "runs.csv", index=False)
    check(sc.Runs.from_csv(tmp_path / "runs.csv", N="params", D="tokens", loss="val", group="seed"))
    pd.DataFrame(COLS).to_parquet(tmp_path / "runs.parquet")
    check(sc.Runs.from_parquet(tmp_path / "runs.parquet", N="params", D="tokens", loss="val"))


def test_missing_columns_and_files_are_named(tmp_path: Path) -> None:
    pd = pytest.importorskip("pandas")
    with pytest.raises(sc.InvalidInputError, match="nope"):
        sc.Runs.from_frame(pd.DataFrame(COLS), N="nope", loss="val")
    with pytest.raises(sc.InvalidInputError, match="path"):
        sc.Runs.from_csv(tmp_path / "absent.csv", loss="val")
    with pytest.raises(sc.InvalidInputError, match="D"):
        _ = sc.Runs(N=[1e8], loss=[3.0]).D


def test_d_is_derived_from_c() -> None:
    runs = sc.Runs(N=[1e8, 1e9], C=[6e18, 6e19], loss=[3.0, 2.8])
    np.testing.assert_allclose(runs.D, [1e10, 1e10])


def test_bad_weights_and_lengths() -> None:
    with pytest.raises(sc.InvalidInputError, match="weight"):
        sc.Runs(N=[1e8, 2e8], D=[1e9, 2e9], loss=[3.0, 2.9], weight=[-1.0, 1.0])
    with pytest.raises(sc.InvalidInputError, match="weight"):
        sc.Runs(N=[1e8, 2e8], D=[1e9, 2e9], loss=[3.0, 2.9], weight=[0.0, 0.0])
    with pytest.raises(sc.InvalidInputError, match="D"):
        sc.Runs(N=[1e8, 2e8], D=[1e9], loss=[3.0, 2.9])
    with pytest.raises(sc.InvalidInputError, match="group"):
        sc.Runs(N=[1e8, 2e8], D=[1e9, 2e9], loss=[3.0, 2.9], group=["a"])


def test_repr_subset_and_pickle() -> None:
    runs = sc.Runs(N=COLS["params"], D=COLS["tokens"], loss=COLS["val"], group=COLS["seed"])
    assert "4 runs" in repr(runs)
    sub = runs.subset(runs.N > 2e8)
    assert len(sub) == 2 and sub.group is not None and sub.group.tolist() == ["a", "b"]
    again = pickle.loads(pickle.dumps(runs))
    np.testing.assert_array_equal(again.loss, runs.loss)
    assert runs.to_dict()["group"] == COLS["seed"]


def test_default_data_set_is_deterministic_and_realistic() -> None:
    a, b, c = sc.datasets.chinchilla_sweep(0), sc.datasets.chinchilla_sweep(0), sc.datasets.chinchilla_sweep(1)
    np.testing.assert_array_equal(a.loss, b.loss)
    assert not np.array_equal(a.loss, c.loss)
    assert len(a) == 90
    assert a.group is not None and sorted(set(a.group.tolist())) == list(range(9))
    np.testing.assert_allclose(np.unique(a.C)[[0, -1]], [6e18, 3e21])

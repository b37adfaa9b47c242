"""Issue 14 regressions: input paths (pyarrow tables, BOM CSV files, Parquet, FLOP factors, isoflop
predictions, frontiers), sizes that would abort the process, and thread counts."""

from __future__ import annotations

import os
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
import scalecore as sc
from scalecore._validation import max_threads

RUNS = {"N": [1e8, 2e8, 4e8, 8e8, 1.6e9, 3.2e9], "D": [2e9, 4e9, 8e9, 1.6e10, 3.2e10, 6.4e10]}
RUNS["loss"] = [1.69 + 406.4 / n**0.34 + 410.7 / d**0.28 for n, d in zip(RUNS["N"], RUNS["D"], strict=True)]


def test_pyarrow_tables_and_parquet_files_are_read(tmp_path: Path) -> None:
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    table = pa.table(RUNS)
    runs = sc.Runs.from_frame(table)
    assert runs.columns[:3] == ["loss", "N", "D"]
    np.testing.assert_array_equal(runs.loss, RUNS["loss"])
    path = tmp_path / "runs.parquet"
    pq.write_table(table, path)
    np.testing.assert_array_equal(sc.Runs.from_parquet(path).N, RUNS["N"])


def test_a_text_file_named_parquet_is_an_input_error(tmp_path: Path) -> None:
    pytest.importorskip("pyarrow")
    path = tmp_path / "runs.parquet"
    path.write_text("N,D,loss\n1,2,3\n")
    with pytest.raises(sc.InvalidInputError, match="path"):
        sc.Runs.from_parquet(path)


def test_a_byte_order_mark_does_not_rename_the_first_column(tmp_path: Path) -> None:
    path = tmp_path / "runs.csv"
    rows = "\n".join(f"{n},{d},{lo}" for n, d, lo in zip(RUNS["N"], RUNS["D"], RUNS["loss"], strict=True))
    path.write_bytes(b"\xef\xbb\xbf" + f"N,D,loss\n{rows}\n".encode())
    runs = sc.Runs.from_csv(path)
    np.testing.assert_array_equal(runs.N, RUNS["N"])


def test_a_csv_file_that_is_not_utf8_is_an_input_error(tmp_path: Path) -> None:
    path = tmp_path / "runs.csv"
    path.write_bytes(b"N,D,loss\n\xff\xfe\x00,2,3\n")
    with pytest.raises(sc.InvalidInputError, match="path"):
        sc.Runs.from_csv(path)


@pytest.mark.parametrize("factor", [0, -6, float("nan"), float("inf"), "six", None])
def test_flops_per_param_token_must_be_positive(factor: object) -> None:
    with pytest.raises(sc.InvalidInputError, match="flops_per_param_token"):
        sc.Runs(**RUNS, flops_per_param_token=factor)  # type: ignore[arg-type]


def isoflop_runs() -> sc.Runs:
    rows = []
    for c in [1e18, 1e19, 1e20]:
        for n in np.geomspace(1e7, 1e10, 9):
            d = c / (6 * n)
            rows.append((n, d, 1.69 + 406.4 / n**0.34 + 410.7 / d**0.28))
    n, d, loss = map(np.array, zip(*rows, strict=True))
    return sc.Runs(N=n, D=d, loss=loss)


@pytest.mark.parametrize("compute", [float("nan"), -1.0, 0.0, None, [1e20, float("inf")], "x"])
def test_isoflop_predictions_refuse_invalid_compute(compute: object) -> None:
    res = sc.isoflop(isoflop_runs())
    with pytest.raises(sc.InvalidInputError, match="compute"):
        res.predict_N_opt(compute)
    value = res.predict_N_opt(1e21)
    assert np.ndim(value) == 0 and np.isfinite(value) and value > 0


def test_a_frontier_on_one_compute_is_refused() -> None:
    n = np.geomspace(1e7, 1e9, 6)
    runs = sc.Runs(N=n, C=np.full(6, 1e19), loss=2.0 + 1.0 / n**0.1)
    with pytest.raises(sc.InvalidInputError, match="same compute"):
        sc.efficient_frontier(runs)


def run_isolated(code: str) -> subprocess.CompletedProcess[str]:
    """`code` in a fresh interpreter (a failed allocation would abort this one)."""
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize(
    ("call", "argument"),
    [
        ("sc.bootstrap_statistic(np.arange(10.0), n_resamples=10**12)", "n_resamples"),
        ("sc.isoflop(runs, n_resamples=10**12)", "n_resamples"),
        ("sc.bounds.linear_regression_information(2, 10, 1, 1, n_mc=10**12)", "n_mc"),
        ("sc.bounds.linear_regression_information(2, 10**12, 1, 1, n_mc=10)", "T"),
        ("sc.efficient_frontier(runs, n_grid=10**14)", "n_grid"),
        ("sc.bootstrap(runs, n_resamples=10**12)", "n_resamples"),
    ],
)
def test_huge_sizes_raise_instead_of_aborting(call: str, argument: str) -> None:
    code = (
        "import numpy as np, scalecore as sc\n"
        "n = np.geomspace(1e7, 1e10, 9)\n"
        "rows = [(a, c / (6 * a)) for c in (1e18, 1e19, 1e20) for a in n]\n"
        "N, D = map(np.array, zip(*rows))\n"
        "runs = sc.Runs(N=N, D=D, loss=1.69 + 406.4 / N**0.34 + 410.7 / D**0.28)\n"
        "try:\n"
        f"    {call}\n"
        "except (sc.InvalidInputError, MemoryError) as e:\n"
        "    print('REFUSED', type(e).__name__, e)\n"
    )
    out = run_isolated(code)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "REFUSED" in out.stdout and argument in out.stdout, out.stdout + out.stderr[-2000:]


def test_thread_counts_above_the_cap_are_lowered_with_a_warning() -> None:
    runs = sc.Runs(**RUNS)
    with pytest.warns(sc.ScalecoreWarning, match="n_threads"):
        capped = sc.fit(runs, n_threads=10_000)
    with warnings.catch_warnings():
        warnings.simplefilter("error", sc.ScalecoreWarning)
        plain = sc.fit(runs, n_threads=max_threads())
    assert capped.params == plain.params


@pytest.mark.parametrize("value", [0, -1, 2.0, True, "many", float("nan")])
def test_invalid_thread_counts_are_input_errors(value: object) -> None:
    with pytest.raises(sc.InvalidInputError, match="n_threads"):
        sc.fit(sc.Runs(**RUNS), n_threads=value)  # type: ignore[arg-type]


def test_pools_are_bounded_whatever_the_thread_counts_used() -> None:
    if not Path("/proc/self/task").exists():
        pytest.skip("counting threads needs /proc")
    code = (
        "import os, numpy as np, scalecore as sc\n"
        "x = np.random.default_rng(0).normal(size=200)\n"
        "for t in range(1, 25):\n"
        "    sc.bootstrap_statistic(x, n_resamples=50, n_threads=min(t, 8), progress=False)\n"
        "print(len(os.listdir('/proc/self/task')))\n"
    )
    out = run_isolated(code)
    assert out.returncode == 0, out.stderr[-2000:]
    # Three pools of at most 8 workers, the interpreter's own threads and a few spares.
    assert int(out.stdout.split()[-1]) <= 3 * 8 + 8, out.stdout


def test_cpu_count_is_what_the_cap_follows() -> None:
    assert max_threads() == 4 * (os.cpu_count() or 1)

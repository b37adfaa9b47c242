"""Issue 14: long work survives interruption. `sc.bootstrap(..., checkpoint=path)` writes completed
replicates as it goes; a run killed mid-way and resumed gives the uninterrupted result bit for bit."""

from __future__ import annotations

import textwrap
from pathlib import Path

import numpy as np
import pytest
import scalecore as sc
from _kill import kill_after_first_checkpoint

SETUP = textwrap.dedent(
    """
    import sys, time, numpy as np, scalecore as sc
    rng = np.random.default_rng(4)
    N = 10 ** rng.uniform(7, 10, 40)
    D = N * 10 ** rng.uniform(0.5, 2.5, 40)
    loss = (1.69 + 406.4 / N**0.34 + 410.7 / D**0.28) * np.exp(0.02 * rng.standard_normal(40))
    runs = sc.Runs(N=N, D=D, loss=loss)
    """
)


def replicates(res: sc.BootstrapResult) -> bytes:
    """Every replicate's parameters, bit for bit, replicate by replicate."""
    return np.column_stack(list(res.samples.values())).tobytes()


def runs() -> sc.Runs:
    scope: dict[str, object] = {}
    exec(SETUP, scope)
    return scope["runs"]  # type: ignore[return-value]


def test_resume_after_a_kill_equals_the_uninterrupted_run(tmp_path: Path) -> None:
    path = tmp_path / "boot.npz"
    # The child runs 12 chunks of 5 replicates, pausing between chunks (a slow `map`), so that the
    # parent kills it (SIGKILL: no cleanup of any kind) after some chunks are on disk and before the end.
    child = SETUP + textwrap.dedent(
        f"""
        def slow_map(f, chunks):
            for c in chunks:
                time.sleep(0.3)
                yield f(c)
        sc.bootstrap(runs, n_resamples=60, seed=9, chunk_size=5, checkpoint={str(path)!r}, map=slow_map)
        print("finished")
        """
    )
    completed = kill_after_first_checkpoint(child, path, wait=0.5)
    assert 0 < completed < 60, completed

    resumed = sc.bootstrap(runs(), n_resamples=60, seed=9, chunk_size=5, checkpoint=path, progress=False)
    whole = sc.bootstrap(runs(), n_resamples=60, seed=9, progress=False)
    assert replicates(resumed) == replicates(whole)
    np.testing.assert_array_equal(resumed.failed, whole.failed)


def test_a_checkpoint_grows_with_n_resamples_and_refuses_another_bootstrap(tmp_path: Path) -> None:
    path = tmp_path / "boot.npz"
    r = runs()
    first = sc.bootstrap(r, n_resamples=10, seed=2, chunk_size=4, checkpoint=path, progress=False)
    more = sc.bootstrap(r, n_resamples=20, seed=2, chunk_size=4, checkpoint=path, progress=False)
    whole = sc.bootstrap(r, n_resamples=20, seed=2, progress=False)
    assert replicates(more)[: len(replicates(first))] == replicates(first)
    assert replicates(more) == replicates(whole)
    with pytest.raises(sc.InvalidInputError, match="checkpoint"):
        sc.bootstrap(r, n_resamples=20, seed=3, checkpoint=path, progress=False)


def test_a_file_that_is_not_a_checkpoint_is_an_input_error(tmp_path: Path) -> None:
    path = tmp_path / "boot.npz"
    path.write_text("not a checkpoint")
    with pytest.raises(sc.InvalidInputError, match="checkpoint"):
        sc.bootstrap(runs(), n_resamples=4, seed=1, checkpoint=path, progress=False)

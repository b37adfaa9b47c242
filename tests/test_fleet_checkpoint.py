"""Issue 14: `sc.fit_many(..., checkpoint=path)` writes each chunk of fitted groups as it completes; a run
killed mid-way (SIGKILL) and resumed gives the uninterrupted fleet bit for bit."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import scalecore as sc
from _kill import kill_after_first_checkpoint

SETUP = textwrap.dedent(
    """
    import time, numpy as np, scalecore as sc
    rng = np.random.default_rng(7)
    n_groups, n_points = 40, 10
    g = np.repeat(np.arange(n_groups), n_points)
    x = np.tile(np.geomspace(1.0, 1e4, n_points), n_groups)
    a = np.repeat(rng.uniform(1, 5, n_groups), n_points)
    table = {"g": g, "x": x, "loss": (1.5 + a * x**-0.4) * np.exp(0.02 * rng.standard_normal(x.size))}
    """
)
OPTIONS: dict[str, Any] = dict(by="g", x="x", n_resamples=4, seed=3)


def table() -> dict[str, np.ndarray]:
    scope: dict[str, Any] = {}
    exec(SETUP, scope)
    return scope["table"]  # type: ignore[no-any-return]


def columns(t: sc.FitTable) -> dict[str, bytes]:
    """Every per-group column of a fleet, bit for bit."""
    return {name: np.ascontiguousarray(v).tobytes() for name, v in t.columns().items()}


def test_resume_after_a_kill_equals_the_uninterrupted_fleet(tmp_path: Path) -> None:
    path = tmp_path / "fleet.npz"
    # 8 chunks of 5 groups with a pause before each (a slow `map`): the parent kills the child (SIGKILL,
    # no cleanup) once some chunks are on disk and before the last.
    child = SETUP + textwrap.dedent(
        f"""
        def slow_map(f, chunks):
            for c in chunks:
                time.sleep(0.4)
                yield f(c)
        sc.fit_many(table, "power", chunk_size=5, checkpoint={str(path)!r}, map=slow_map, **{OPTIONS!r})
        print("finished")
        """
    )
    completed = kill_after_first_checkpoint(child, path, wait=0.6)
    assert 0 < completed < 40 and completed % 5 == 0, completed

    resumed = sc.fit_many(table(), "power", chunk_size=5, checkpoint=path, **OPTIONS)
    whole = sc.fit_many(table(), "power", **OPTIONS)
    assert columns(resumed) == columns(whole)
    assert resumed.converged.all()


@pytest.mark.parametrize("init", ["shared", "auto"])
def test_a_checkpointed_fleet_equals_the_plain_one_and_is_reused(tmp_path: Path, init: str) -> None:
    path = tmp_path / "fleet.npz"
    t = table()
    first = sc.fit_many(t, "power", init=init, chunk_size=7, checkpoint=path, **OPTIONS)
    whole = sc.fit_many(t, "power", init=init, **OPTIONS)
    assert columns(first) == columns(whole)
    # A complete checkpoint is read back whole (another chunk size does not matter).
    again = sc.fit_many(t, "power", init=init, chunk_size=3, checkpoint=path, **OPTIONS)
    assert columns(again) == columns(whole)


def test_a_checkpoint_of_another_fleet_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "fleet.npz"
    t = table()
    sc.fit_many(t, "power", chunk_size=10, checkpoint=path, **OPTIONS)
    with pytest.raises(sc.InvalidInputError, match="checkpoint"):
        sc.fit_many(t, "power", chunk_size=10, checkpoint=path, **{**OPTIONS, "seed": 4})
    changed = {**t, "loss": t["loss"] * 1.01}
    with pytest.raises(sc.InvalidInputError, match="checkpoint"):
        sc.fit_many(changed, "power", chunk_size=10, checkpoint=path, **OPTIONS)
    path.write_text("not a checkpoint")
    with pytest.raises(sc.InvalidInputError, match="checkpoint"):
        sc.fit_many(t, "power", checkpoint=path, **OPTIONS)

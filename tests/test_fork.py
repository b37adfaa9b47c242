"""A process forked after scalecore has run parallel work (multiprocessing's default start method on Linux
before Python 3.14) can still use scalecore: its thread pools are rebuilt in the child instead of waiting
forever for threads that the fork did not copy."""

from __future__ import annotations

import os
import pickle
import sys
import time
import warnings
from collections.abc import Callable

import numpy as np
import pytest
import scalecore as sc
from scalecore import _core

pytestmark = pytest.mark.skipif(not hasattr(os, "fork") or sys.platform == "darwin", reason="needs fork")


def _in_forked_child(work: Callable[[], object], timeout: float = 60.0) -> object:
    """Run `work()` in a forked child and return its result; fail if the child has not answered in time."""
    read, write = os.pipe()
    with warnings.catch_warnings():
        # Python >= 3.12 warns that forking a multi-threaded process may deadlock: the case under test.
        warnings.simplefilter("ignore", DeprecationWarning)
        pid = os.fork()
    if pid == 0:  # pragma: no cover (runs in the child)
        os.close(read)
        try:
            payload = pickle.dumps(("ok", work()))
        except BaseException as exc:  # everything goes back to the parent
            payload = pickle.dumps(("error", repr(exc)))
        with os.fdopen(write, "wb") as fh:
            fh.write(payload)
        os._exit(0)
    os.close(write)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done, _ = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        time.sleep(0.05)
    else:
        os.kill(pid, 9)
        os.waitpid(pid, 0)
        os.close(read)
        pytest.fail(f"the forked child did not finish within {timeout} s (a thread pool inherited without threads?)")
    with os.fdopen(read, "rb") as fh:
        status, value = pickle.loads(fh.read())
    assert status == "ok", value
    return value


def test_a_forked_child_fits_after_the_parent_did() -> None:
    runs = sc.datasets.chinchilla_sweep(0)
    parent = sc.fit(runs, "chinchilla", init="hoffmann", n_threads=2)
    default = sc.fit(runs, "chinchilla")  # the default pool, too

    def child() -> tuple[float, float]:
        a = sc.fit(runs, "chinchilla", init="hoffmann", n_threads=2)
        b = sc.fit(runs, "chinchilla")
        return a.objective, b.objective

    objectives = _in_forked_child(child)
    assert objectives == (parent.objective, default.objective)


def test_a_forked_child_runs_light_parallel_calls() -> None:
    """The objective of a table larger than one block is summed in parallel outside `run` (no progress)."""
    rng = np.random.default_rng(0)
    cols = {"N": rng.uniform(1e7, 1e9, 20_000), "D": rng.uniform(1e9, 1e11, 20_000)}
    loss = rng.uniform(2.0, 3.0, 20_000)
    theta = [0.5, 6.0, 7.0, 0.34, 0.28]

    def value() -> float:
        return float(_core.objective_value_grad("chinchilla", theta, cols, loss)[0])

    expect = value()
    assert _in_forked_child(value) == expect

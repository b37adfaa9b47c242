"""The hostile-input suite (issue 14): every public callable of scalecore, scalecore.bounds and
scalecore.laws, called with hostile values in place of each argument, returns finite results or raises a
`ScalecoreError` naming the argument; and equivalent array inputs (lists, pandas, read-only, unaligned,
strided, big-endian, float32) give identical results.

The enumerated cases (tests/_hostile_cases.py) run in one child process, so that a crash fails the test
of the callable that caused it instead of the whole run. The equivalence properties are hypothesis tests
(the "fast" profile in CI, ``SCALECORE_HYPOTHESIS=thorough`` for deep runs).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import warnings
from pathlib import Path
from typing import Any

import _hostile_cases as cases
import numpy as np
import pytest
import scalecore as sc
from hypothesis import given
from hypothesis import strategies as st

CASES_SCRIPT = Path(__file__).with_name("_hostile_cases.py")


def test_every_public_callable_has_a_hostile_case() -> None:
    missing = [n for n in cases.public_callables() if n not in cases.SPECS and n not in cases.COVERED_BY]
    assert not missing, f"public callables without a hostile case in tests/_hostile_cases.py: {missing}"
    assert all(target in cases.SPECS for target in cases.COVERED_BY.values())


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[dict[str, Any]]]:
    # In a scratch directory: some hostile values are valid file names (a checkpoint called "abc").
    proc = subprocess.run(
        [sys.executable, str(CASES_SCRIPT)],
        capture_output=True,
        text=True,
        timeout=900,
        cwd=tmp_path_factory.mktemp("hostile"),
        env={**os.environ, "PYTHONPATH": str(CASES_SCRIPT.parent)},
    )
    out: dict[str, list[dict[str, Any]]] = {}
    last_start: dict[str, Any] | None = None
    for line in proc.stdout.splitlines():
        row = json.loads(line)
        if "start" in row:
            last_start = row
        else:
            out.setdefault(row["name"], []).append(row)
            last_start = None
    if proc.returncode != 0:
        # The child died: blame the case it had started and not finished.
        crashed = last_start or {"start": "?", "arg": None, "value": "?"}
        out.setdefault(crashed["start"], []).append(
            {
                "name": crashed["start"],
                "arg": crashed["arg"],
                "value": crashed["value"],
                "outcome": "crash",
                "detail": f"exit status {proc.returncode}: {proc.stderr[-1500:]}",
            }
        )
    return out


# Callables whose hostile cases still find faults (see the issue 14 note): each is a strict expected
# failure, so the test turns red when a fix lands and the entry must go.
OPEN: dict[str, str] = {}


@pytest.mark.parametrize(
    "name",
    [pytest.param(n, marks=pytest.mark.xfail(strict=True, reason=OPEN[n])) if n in OPEN else n for n in cases.SPECS],
)
def test_hostile_inputs(name: str, reports: dict[str, list[dict[str, Any]]]) -> None:
    rows = reports.get(name)
    assert rows, f"{name}: no case ran (the child process stopped before it)"
    good = [r for r in rows if r["arg"] is None]
    assert good and good[0]["outcome"] == "ok", f"{name}: the good call failed: {good}"
    bad = [r for r in rows if r["outcome"] not in ("ok", "error")]
    shown = "\n".join(f"  {r['arg']}={r['value']}: {r['outcome']}: {r['detail'][:200]}" for r in bad)
    assert not bad, f"{name}: {len(bad)} hostile cases misbehaved:\n{shown}"


# --- equivalent representations ------------------------------------------------------------------


def variants(a: np.ndarray) -> dict[str, Any]:
    """`a` (float64, 1-D) as every representation NumPy users hand over."""
    pd = pytest.importorskip("pandas")
    ro = a.copy()
    ro.setflags(write=False)
    buf = np.zeros(a.size * 8 + 1, dtype=np.uint8)
    unaligned = np.frombuffer(buf.data, dtype=np.float64, count=a.size, offset=1)
    unaligned[:] = a
    strided = np.repeat(a, 2)[::2]
    return {
        "list": a.tolist(),
        "tuple": tuple(a.tolist()),
        "pandas": pd.Series(a),
        "read-only": ro,
        "unaligned": unaligned,
        "strided": strided,
        "big-endian": a.astype(">f8"),
    }


samples = st.lists(
    st.floats(min_value=-1e3, max_value=1e3, allow_nan=False, allow_infinity=False), min_size=3, max_size=40
).filter(lambda v: np.ptp(v) > 1e-6)


@given(samples)
def test_kde_gives_identical_results_for_equivalent_inputs(values: list[float]) -> None:
    a = np.array(values)
    q = np.linspace(a.min() - 1, a.max() + 1, 7)
    want = sc.KDE(a).pdf(q)
    for label, v in variants(a).items():
        got = sc.KDE(v).pdf(q)
        assert got.tobytes() == want.tobytes(), label
    f32 = a.astype(np.float32)
    np.testing.assert_array_equal(sc.KDE(f32).pdf(q), sc.KDE(f32.astype(np.float64)).pdf(q))


@given(samples)
def test_statistic_bootstrap_gives_identical_results_for_equivalent_inputs(values: list[float]) -> None:
    a = np.array(values)
    want = sc.bootstrap_statistic(a, "median", n_resamples=50, seed=1, method="percentile", progress=False)
    for label, v in variants(a).items():
        got = sc.bootstrap_statistic(v, "median", n_resamples=50, seed=1, method="percentile", progress=False)
        assert got.distribution.tobytes() == want.distribution.tobytes(), label


@given(st.integers(min_value=0, max_value=2**32))
def test_fit_gives_identical_results_for_equivalent_inputs(seed: int) -> None:
    rng = np.random.default_rng(seed)
    N = 10 ** rng.uniform(7, 10, 12)
    D = N * 10 ** rng.uniform(0.5, 2.5, 12)
    loss = (1.69 + 406.4 / N**0.34 + 410.7 / D**0.28) * np.exp(0.01 * rng.standard_normal(12))
    with warnings.catch_warnings():
        # Some draws are poorly identified; the warning is beside the point here.
        warnings.simplefilter("ignore", sc.ScalecoreWarning)
        want = sc.fit(dict(N=N, D=D, loss=loss), "chinchilla")
        vn, vd, vl = variants(N), variants(D), variants(loss)
        for label in vn:
            got = sc.fit(dict(N=vn[label], D=vd[label], loss=vl[label]), "chinchilla")
            assert got.params == want.params, label

"""Run test functions of a test module shipped inside SciPy against scalecore.compat: enumerate a test's own
`parametrize` marks (and keep its slow and filterwarnings marks), so that SciPy's tests run unchanged."""

from __future__ import annotations

import itertools
import types
from typing import Any

import pytest
import scipy.stats


def cases(owner: Any, excluded: dict[str, str]) -> list[Any]:
    """pytest params (test name, parameters) for every parametrisation of every test in `owner` (a module or
    a test class); `excluded` maps test names to the reason they are skipped."""
    out = []
    for name in sorted(vars(owner)):
        fn = getattr(owner, name)
        if not name.startswith("test") or not callable(fn):
            continue
        marks = getattr(fn, "pytestmark", [])
        grids = []
        for mark in marks:
            if mark.name == "parametrize":
                names = [n.strip() for n in mark.args[0].split(",")] if isinstance(mark.args[0], str) else mark.args[0]
                values = [v if len(names) > 1 else (v,) for v in list(mark.args[1])]
                grid = []
                for v in values:
                    param_marks = []
                    if isinstance(v, tuple) and len(v) == 1 and hasattr(v[0], "values") and hasattr(v[0], "marks"):
                        param_marks = list(v[0].marks)
                        v = v[0].values
                    grid.append((dict(zip(names, v)), param_marks))
                grids.append(grid)
        keep = [pytest.mark.slow] if any(m.name in ("slow", "xslow") for m in marks) else []
        keep += [pytest.mark.filterwarnings(*m.args) for m in marks if m.name == "filterwarnings"]
        if name in excluded:
            keep.append(pytest.mark.skip(reason=excluded[name]))
        for combo in itertools.product(*grids):
            params = {k: v for d, _ in combo for k, v in d.items()}
            extra = [pytest.mark.slow for _, pm in combo if any(m.name in ("slow", "xslow") for m in pm)]
            label = "-".join(str(v) for v in params.values())
            out.append(pytest.param(name, params, marks=keep + extra[:1], id=f"{name}[{label}]" if label else name))
    return out


def stats_with(**replacements: Any) -> types.ModuleType:
    """scipy.stats with some names swapped for scalecore.compat's (everything else is scipy's)."""

    class _Stats(types.ModuleType):
        def __getattr__(self, name: str) -> Any:
            return getattr(scipy.stats, name)

    stats = _Stats("scipy.stats")
    for k, v in replacements.items():
        setattr(stats, k, v)
    return stats

"""The measured coverage of scalecore's 95 % intervals with few runs, and the warning when it is poor.

The figures come from the simulation study `docs/coverage_study.py` (table and design in docs/intervals.md):
for each law, quantity and number of runs, the fraction of simulated data sets (500, or the count the docs
table gives with its Monte Carlo error) whose nominal 95 % interval covered the true value. Methods: "bootstrap"
(percentile pairs bootstrap), "profile" (profile likelihood, small-sample F calibration, `sc.profile`'s
default), "profile_chi2" (profile likelihood, Wilks' chi-squared calibration) and "laplace" (Laplace posterior).
This module is the one place the table lives; `warn_if_poor` reads it when an interval is computed.
"""

from __future__ import annotations

import warnings

from .errors import ScalecoreWarning

__all__ = ["COVERAGE", "POOR", "CoverageWarning", "recommended", "warn_if_poor"]

# (law, quantity) -> number of runs -> interval method -> measured coverage of the nominal 95 % interval.
COVERAGE: dict[tuple[str, str], dict[int, dict[str, float]]] = {
    ("chinchilla", "N_opt"): {
        10: {"bootstrap": 0.71, "profile": 0.948, "profile_chi2": 0.816, "laplace": 0.648},
        20: {"bootstrap": 0.976, "profile": 0.966, "profile_chi2": 0.928, "laplace": 0.91},
        100: {"bootstrap": 0.936, "profile": 0.95, "profile_chi2": 0.944, "laplace": 0.934},
    },
    ("power", "alpha"): {
        5: {"bootstrap": 0.932, "profile": 0.948, "profile_chi2": 0.734, "laplace": 0.67},
        10: {"bootstrap": 0.956, "profile": 0.938, "profile_chi2": 0.88, "laplace": 0.848},
    },
}

# Below this measured coverage a nominal 95 % interval is poor: it misses the truth more than twice as often as
# it claims (over-coverage only makes an interval conservative, so it does not warn).
POOR = 0.90


class CoverageWarning(ScalecoreWarning):
    """An interval whose measured coverage at this number of runs is far from its nominal level."""


def _row(law: str, quantity: str, n_runs: int) -> tuple[int, dict[str, float]] | None:
    """The study's row for this many runs: the largest studied size at or below `n_runs`, if `n_runs` is
    below twice that size (beyond it the study says nothing), or the smallest size when below all."""
    table = COVERAGE.get((law, quantity))
    if not table:
        return None
    sizes = sorted(table)
    below = [s for s in sizes if s <= n_runs]
    size = below[-1] if below else sizes[0]
    if n_runs >= 2 * size:
        return None
    return size, table[size]


def recommended(law: str, quantity: str, n_runs: int) -> str | None:
    """The interval method whose measured coverage is nearest 95 % at this number of runs (None if unstudied)."""
    row = _row(law, quantity, n_runs)
    if row is None or not row[1]:
        return None
    return min(row[1], key=lambda m: abs(row[1][m] - 0.95))


def warn_if_poor(method: str, law: str, quantity: str, n_runs: int, stacklevel: int = 2) -> None:
    """A CoverageWarning when `method`'s measured coverage for this law, quantity and number of runs is poor."""
    row = _row(law, quantity, n_runs)
    if row is None or method not in row[1]:
        return
    size, measured = row
    cover = measured[method]
    if cover >= POOR:
        return
    best = recommended(law, quantity, n_runs)
    advice = f"; the {best} interval covered {measured[best]:.0%}" if best and best != method else ""
    warnings.warn(
        f"the {method} interval of {quantity} ({law} law) covered the true value in {cover:.0%} of simulated data "
        f"sets with {size} runs at a nominal 95 % (docs/intervals.md){advice}",
        CoverageWarning,
        stacklevel=stacklevel + 1,
    )

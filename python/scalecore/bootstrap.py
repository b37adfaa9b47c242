"""Bootstrap intervals for fitted laws and for statistics (docs/methods.md section 3).

`sc.bootstrap` refits a law to thousands of resampled run tables (pairs, cluster, residual, wild or
parametric) on the Rust core, each refit warm-started from the full-data optimum and guarded against
other basins, and returns a `BootstrapResult` with intervals for every parameter and derived quantity
(`fit_bootstrap`). `sc.bootstrap_statistic` is the scipy.stats.bootstrap use case: built-in
statistics streamed in Rust, Python callables as a fallback (`statistic_bootstrap`). Both share the
core's interval path (`intervals`).

Replicate i draws from a random stream determined by (seed, i) only, so results are bit-identical
for any `n_threads` and any split of the replicates into chunks (`map=`).
"""

from __future__ import annotations

from .fit_bootstrap import DERIVED, SCHEMES, BootstrapAllocation, BootstrapResult, bootstrap
from .intervals import METHODS, ConfidenceInterval
from .statistic_bootstrap import STATISTICS, BootstrapStatisticResult, bootstrap_statistic

__all__ = [
    "DERIVED",
    "METHODS",
    "SCHEMES",
    "STATISTICS",
    "BootstrapAllocation",
    "BootstrapResult",
    "BootstrapStatisticResult",
    "ConfidenceInterval",
    "bootstrap",
    "bootstrap_statistic",
]

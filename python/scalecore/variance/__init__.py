"""Evaluation variance: is a benchmark difference real or seed noise? (docs/methods.md section 7)

Following Madaan et al. 2024, "Quantifying Variance in Evaluation Benchmarks": the scores of several
models, each trained with several seeds (and optionally saved at several checkpoints), on the items of
a benchmark. Input is an items x models x seeds [x checkpoints] array, a `ScoreTensor`, or a long table
(pandas, polars, pyarrow or a mapping of columns) with columns item, model, seed, [checkpoint,] score;
``columns={"item": "question", ...}`` maps other names. A table and the equivalent array give
identical results.

- `seed_stats`: seed mean and standard deviation of each model's benchmark score, signal-to-noise
  ratio, 95 % intervals by item bootstrap and, for 0/1 scores, by the binomial formula;
- `monotonicity`: Kendall tau-b of the benchmark score against checkpoint order, averaged over seeds;
- `ranking_stability`: Kendall tau between the model ranking on the full benchmark and on a subset;
- `items`: item difficulty and discrimination (point-biserial correlation with the total score);
- `compare`: a paired comparison of two models (difference, item-bootstrap interval, p-value);
- `compare_metrics`: the same statistics for a discrete and a continuous metric side by side;
- `kendall_tau_b`: Kendall's tau-b in O(K log K), equal to scipy.stats.kendalltau.

The Kendall statistics and the item bootstrap run in the Rust core; replicate b of a bootstrap draws
from a random stream determined by (seed, b) only, so results do not depend on `n_threads`; `seed=None` (the
default, as in `sc.bootstrap`) draws fresh entropy and records it in the result.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .. import _lazy

if TYPE_CHECKING:
    from .._scores import ScoreTensor
    from .ranking import (
        ItemAnalysis,
        KendallResult,
        Monotonicity,
        RankingStability,
        items,
        kendall_tau_b,
        monotonicity,
        ranking_stability,
    )
    from .seeds import Comparison, MetricComparison, SeedStats, compare, compare_metrics, seed_stats

# Imported on first use (scalecore._lazy): public name -> the module it comes from.
_LAZY: dict[str, str | None] = {
    "Comparison": ".seeds",
    "ItemAnalysis": ".ranking",
    "KendallResult": ".ranking",
    "MetricComparison": ".seeds",
    "Monotonicity": ".ranking",
    "RankingStability": ".ranking",
    "ScoreTensor": ".._scores",
    "SeedStats": ".seeds",
    "compare": ".seeds",
    "compare_metrics": ".seeds",
    "items": ".ranking",
    "kendall_tau_b": ".ranking",
    "monotonicity": ".ranking",
    "ranking_stability": ".ranking",
    "seed_stats": ".seeds",
}

__all__ = [
    "Comparison",
    "ItemAnalysis",
    "KendallResult",
    "MetricComparison",
    "Monotonicity",
    "RankingStability",
    "ScoreTensor",
    "SeedStats",
    "compare",
    "compare_metrics",
    "items",
    "kendall_tau_b",
    "monotonicity",
    "ranking_stability",
    "seed_stats",
]

__getattr__, __dir__ = _lazy.attach(__name__, _LAZY, __all__)

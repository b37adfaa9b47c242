"""Seed statistics and paired comparisons of models (Madaan et al. 2024), by item bootstrap."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from statistics import NormalDist
from typing import Any

import numpy as np

from .. import _core
from .._scores import ScoreTensor, as_scores
from .._validation import FloatArray
from .._validation import n_threads as check_threads
from ..errors import InvalidInputError
from ..intervals import level as _level
from ..intervals import n_resamples as _n_resamples
from ..intervals import seed as _seed
from ._common import Columns, _frame, _plain, _table


@dataclass(frozen=True, eq=False)  # array fields: element-wise == has no single truth value
class SeedStats:
    """Per model: seed mean and seed standard deviation (n - 1) of the benchmark score (mean over items),
    signal-to-noise ratio mean / std, an item-bootstrap interval (percentile) and standard error of the
    seed-averaged score, and, for 0/1 scores, the binomial interval p +- z sqrt(p (1 - p) / n_items)
    (NaN for continuous scores; unclipped, as the formula reads)."""

    models: tuple[Any, ...]
    mean: FloatArray
    std: FloatArray
    snr: FloatArray
    bootstrap_ci: FloatArray = field(repr=False)
    bootstrap_se: FloatArray = field(repr=False)
    binomial_ci: FloatArray = field(repr=False)
    per_seed: FloatArray = field(repr=False)
    n_items: int = 0
    n_seeds: int = 0
    binary: bool = False
    level: float = 0.95
    n_resamples: int = 1000
    seed: int = 0

    def to_dict(self) -> dict[str, Any]:
        """Plain Python values for strict JSON (NaN and infinities, e.g. the SNR of a zero seed std, as None)."""
        return {
            "models": [m if isinstance(m, (int, float, str)) else str(m) for m in self.models],
            "mean": _plain(self.mean),
            "std": _plain(self.std),
            "snr": _plain(self.snr),
            "bootstrap_ci": _plain(self.bootstrap_ci),
            "bootstrap_se": _plain(self.bootstrap_se),
            "binomial_ci": _plain(self.binomial_ci) if self.binary else None,
            "n_items": self.n_items,
            "n_seeds": self.n_seeds,
            "binary": self.binary,
            "level": self.level,
            "n_resamples": self.n_resamples,
            "seed": self.seed,
        }

    def to_frame(self) -> Any:
        return _frame(
            {
                "model": list(self.models),
                "mean": self.mean,
                "std": self.std,
                "snr": self.snr,
                "bootstrap_low": self.bootstrap_ci[:, 0],
                "bootstrap_high": self.bootstrap_ci[:, 1],
                "bootstrap_se": self.bootstrap_se,
                "binomial_low": self.binomial_ci[:, 0],
                "binomial_high": self.binomial_ci[:, 1],
            }
        )

    def table(self) -> str:
        """The statistics as an aligned text table, one row per model."""
        pct = f"{self.level:.0%}"
        header = ["model", "mean", "seed std", "SNR", f"bootstrap {pct}", "boot se"]
        if self.binary:
            header.append(f"binomial {pct}")
        rows = []
        for k, m in enumerate(self.models):
            lo, hi = self.bootstrap_ci[k]
            row = [str(m), f"{self.mean[k]:.4f}", f"{self.std[k]:.4f}", f"{self.snr[k]:.3g}"]
            row += [f"[{lo:.4f}, {hi:.4f}]", f"{self.bootstrap_se[k]:.4f}"]
            if self.binary:
                row.append(f"[{self.binomial_ci[k, 0]:.4f}, {self.binomial_ci[k, 1]:.4f}]")
            rows.append(row)
        return _table(header, rows)

    def __repr__(self) -> str:
        kind = "0/1" if self.binary else "continuous"
        return (
            f"SeedStats({self.n_items} items, {self.n_seeds} seeds, {kind} scores, "
            f"{self.n_resamples} item resamples\n{self.table()}\n)"
        )


def _benchmark_scores(t: ScoreTensor) -> FloatArray:
    """models x seeds (x checkpoints): the mean over items."""
    return np.asarray(t.values.mean(axis=0))


def _item_bootstrap(
    columns: FloatArray, n_resamples: int, seed: int, level: float, n_threads: int | None
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray, FloatArray, FloatArray]:
    return _core.variance_item_bootstrap(
        np.ascontiguousarray(columns), n_resamples=n_resamples, seed=seed, level=level, n_threads=n_threads
    )


def seed_stats(
    scores: Any,
    *,
    level: float = 0.95,
    n_resamples: int = 1000,
    seed: Any = None,
    checkpoint: Any = None,
    columns: Columns = None,
    n_threads: int | None = None,
) -> SeedStats:
    """Seed mean, seed std, SNR and intervals of each model's benchmark score (at `checkpoint`, default the
    last one, when the scores have a checkpoint axis). Needs at least two seeds."""
    t = as_scores(scores, columns).at_checkpoint(checkpoint)
    level, n_resamples, seed = _level(level), _n_resamples(n_resamples), _seed(seed)
    n_items, _, n_seeds = t.values.shape
    if n_seeds < 2:
        raise InvalidInputError(f"scores: a seed standard deviation needs at least 2 seeds, got {n_seeds}")
    per_seed = _benchmark_scores(t)
    mean = per_seed.mean(axis=1)
    std = per_seed.std(axis=1, ddof=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        snr = mean / std
    _, _, low, high, se, _ = _item_bootstrap(t.values.mean(axis=2), n_resamples, seed, level, check_threads(n_threads))
    binary = t.binary
    if binary:
        half = NormalDist().inv_cdf((1 + level) / 2) * np.sqrt(mean * (1 - mean) / n_items)
        binomial = np.column_stack([mean - half, mean + half])
    else:
        binomial = np.full((len(mean), 2), np.nan)
    return SeedStats(
        models=t.models,
        mean=mean,
        std=std,
        snr=snr,
        bootstrap_ci=np.column_stack([low, high]),
        bootstrap_se=se,
        binomial_ci=binomial,
        per_seed=per_seed,
        n_items=n_items,
        n_seeds=n_seeds,
        binary=binary,
        level=level,
        n_resamples=n_resamples,
        seed=seed,
    )


@dataclass(frozen=True)
class MetricComparison:
    """`SeedStats` of several metrics of the same runs (e.g. 0/1 accuracy and the probability of the
    correct answer), to compare their seed noise and signal-to-noise ratios side by side."""

    stats: dict[str, SeedStats]

    def to_frame(self) -> Any:
        parts = {name: s.to_frame() for name, s in self.stats.items()}
        try:
            import pandas as pd
        except ImportError:
            keys = next(iter(parts.values())).keys()
            out = {k: np.concatenate([np.asarray(p[k]) for p in parts.values()]) for k in keys}
            out["metric"] = np.concatenate([[n] * len(s.models) for n, s in self.stats.items()])
            return out
        return pd.concat(parts, names=["metric", "row"]).reset_index(level="row", drop=True).reset_index()

    def __repr__(self) -> str:
        header = ["model", *[f"{name} SNR" for name in self.stats], *[f"{name} std" for name in self.stats]]
        first = next(iter(self.stats.values()))
        rows = [
            [str(m)]
            + [f"{s.snr[k]:.3g}" for s in self.stats.values()]
            + [f"{s.std[k]:.4g}" for s in self.stats.values()]
            for k, m in enumerate(first.models)
        ]
        return f"MetricComparison(\n{_table(header, rows)}\n)"


def compare_metrics(metrics: Mapping[str, Any], **options: Any) -> MetricComparison:
    """`seed_stats` of each named metric (same models and seeds), e.g.
    ``compare_metrics({"accuracy": correct, "probability": p_correct})``; options go to `seed_stats`."""
    if not isinstance(metrics, Mapping) or len(metrics) < 1:
        raise InvalidInputError(f"metrics: expected a mapping of metric names to scores, got {type(metrics)!r}")
    stats = {str(name): seed_stats(s, **options) for name, s in metrics.items()}
    models = {s.models for s in stats.values()}
    if len(models) != 1:
        raise InvalidInputError(f"metrics: the metrics have different models: {sorted(map(str, models))}")
    return MetricComparison(stats)


# --- monotonicity and ranking stability --------------------------------------------------------------


@dataclass(frozen=True)
class Comparison:
    """Model a minus model b on the same items: the difference of seed-averaged benchmark scores, its
    item-bootstrap percentile interval and standard error, the two-sided item-bootstrap p-value of no
    difference (the shift method), and Welch's t-test p-value over the seeds' benchmark scores (NaN with
    fewer than 2 seeds per model), which asks whether the difference exceeds seed noise on these items."""

    model_a: Any
    model_b: Any
    mean_a: float
    mean_b: float
    difference: float
    ci: tuple[float, float]
    se: float
    pvalue: float
    seed_pvalue: float
    n_items: int
    n_seeds: int
    level: float = 0.95
    n_resamples: int = 1000
    seed: int = 0

    def to_frame(self) -> Any:
        return _frame(
            {
                "model_a": [self.model_a],
                "model_b": [self.model_b],
                "mean_a": [self.mean_a],
                "mean_b": [self.mean_b],
                "difference": [self.difference],
                "ci_low": [self.ci[0]],
                "ci_high": [self.ci[1]],
                "se": [self.se],
                "pvalue": [self.pvalue],
                "seed_pvalue": [self.seed_pvalue],
            }
        )

    def __repr__(self) -> str:
        return (
            f"Comparison({self.model_a!r} - {self.model_b!r} = {self.difference:.4f} "
            f"[{self.ci[0]:.4f}, {self.ci[1]:.4f}] ({self.level:.0%} item bootstrap), p = {self.pvalue:.4g}, "
            f"seed p = {self.seed_pvalue:.4g}; {self.n_items} items, {self.n_seeds} seeds)"
        )


def compare(
    scores: Any,
    model_a: Any,
    model_b: Any,
    *,
    level: float = 0.95,
    n_resamples: int = 1000,
    seed: Any = None,
    checkpoint: Any = None,
    columns: Columns = None,
    n_threads: int | None = None,
) -> Comparison:
    """Paired comparison of two models on the same items (model labels, or positions for an array)."""
    t = as_scores(scores, columns).at_checkpoint(checkpoint)
    a, b = t.model_index("model_a", model_a), t.model_index("model_b", model_b)
    if a == b:
        raise InvalidInputError(f"model_b: must differ from model_a, both are {t.models[a]!r}")
    level, n_resamples, seed = _level(level), _n_resamples(n_resamples), _seed(seed)
    per_item = t.values.mean(axis=2)
    d = per_item[:, a] - per_item[:, b]
    est, _, low, high, se, p = _item_bootstrap(d[:, None], n_resamples, seed, level, check_threads(n_threads))
    n_seeds = t.values.shape[2]
    seed_p = float("nan")
    if n_seeds >= 2:
        from scipy.stats import ttest_ind

        bench = _benchmark_scores(t)
        with np.errstate(invalid="ignore", divide="ignore"):
            seed_p = float(ttest_ind(bench[a], bench[b], equal_var=False).pvalue)
    return Comparison(
        model_a=t.models[a],
        model_b=t.models[b],
        mean_a=float(per_item[:, a].mean()),
        mean_b=float(per_item[:, b].mean()),
        difference=float(est[0]),
        ci=(float(low[0]), float(high[0])),
        se=float(se[0]),
        pvalue=float(p[0]),
        seed_pvalue=seed_p,
        n_items=len(d),
        n_seeds=n_seeds,
        level=level,
        n_resamples=n_resamples,
        seed=seed,
    )

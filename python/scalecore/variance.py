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
from a random stream determined by (seed, b) only, so results do not depend on `n_threads`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from statistics import NormalDist
from typing import Any

import numpy as np

from . import _core
from ._scores import ScoreTensor, as_scores, is_table
from ._validation import FloatArray
from ._validation import n_threads as check_threads
from .errors import InvalidInputError
from .intervals import level as _level
from .intervals import n_resamples as _n_resamples
from .intervals import seed as _seed

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

Columns = Mapping[str, str] | None


def _frame(columns: dict[str, Any]) -> Any:
    """A pandas DataFrame when pandas is installed, else the dict of NumPy arrays."""
    try:
        import pandas as pd
    except ImportError:
        return {k: np.asarray(v) for k, v in columns.items()}
    return pd.DataFrame(columns)


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Right-aligned columns (the first left-aligned), for reprs and the CLI."""
    cells = [list(header), *[list(r) for r in rows]]
    widths = [max(len(row[k]) for row in cells) for k in range(len(header))]
    lines = []
    for row in cells:
        parts = [row[0].ljust(widths[0])] + [c.rjust(w) for c, w in zip(row[1:], widths[1:], strict=True)]
        lines.append("  ".join(parts).rstrip())
    return "\n".join(lines)


def _plain(a: Any) -> list[Any]:
    """Nested lists of floats with non-finite values as None."""
    return [_plain(v) if np.ndim(v) else (float(v) if np.isfinite(v) else None) for v in a]


# --- Kendall's tau-b ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class KendallResult:
    """Kendall's tau-b and its two-sided p-value (scipy.stats.kendalltau's default method); unpacks
    as ``tau, pvalue``. Both are NaN when undefined (fewer than two pairs, or a constant sample)."""

    tau: float
    pvalue: float
    n: int
    discordant: int

    def __iter__(self) -> Iterator[float]:
        return iter((self.tau, self.pvalue))

    def to_frame(self) -> Any:
        return _frame({"tau": [self.tau], "pvalue": [self.pvalue], "n": [self.n], "discordant": [self.discordant]})

    def __repr__(self) -> str:
        return f"KendallResult(tau={self.tau:.6g}, pvalue={self.pvalue:.4g}, n={self.n})"


def _sample(name: str, value: Any) -> FloatArray:
    if np.ndim(value) > 1:
        raise InvalidInputError(f"{name}: expected a 1-D array, got {np.ndim(value)} dimensions")
    try:
        arr = np.array(value, dtype=np.float64).reshape(-1)
    except (TypeError, ValueError) as exc:
        raise InvalidInputError(f"{name}: cannot be read as numbers ({exc})") from None
    if np.isnan(arr).any():
        raise InvalidInputError(f"{name}: must not contain NaN (position {int(np.flatnonzero(np.isnan(arr))[0])})")
    return arr


def kendall_tau_b(x: Any, y: Any, *, n_threads: int | None = None) -> KendallResult:
    """Kendall's tau-b of paired samples `x` and `y`, O(K log K), ties handled as scipy.stats.kendalltau.

    tau_b = (concordant - discordant) / sqrt((n0 - t_x)(n0 - t_y)) over the n0 = K(K - 1)/2 pairs, t_x
    and t_y the pairs tied in x and in y. The p-value is scipy's default: exact without ties for
    K <= 33, else the normal approximation with the tie-corrected variance.
    """
    xs, ys = _sample("x", x), _sample("y", y)
    if len(xs) != len(ys):
        raise InvalidInputError(f"y: has {len(ys)} values, x has {len(xs)}")
    tau, p, dis = _core.variance_kendall_tau_b(xs, ys, n_threads=check_threads(n_threads))
    return KendallResult(tau, p, len(xs), dis)


# --- seed statistics -------------------------------------------------------------------------------


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
    seed: Any = 0,
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


@dataclass(frozen=True, eq=False)  # array fields: element-wise == has no single truth value
class Monotonicity:
    """Kendall tau-b between checkpoint order and the benchmark score: per model and seed (`tau_per_seed`,
    `pvalue_per_seed`) and averaged over seeds (`tau`, NaN seeds, whose score never changes, left out)."""

    models: tuple[Any, ...]
    tau: FloatArray
    tau_per_seed: FloatArray = field(repr=False)
    pvalue_per_seed: FloatArray = field(repr=False)
    curves: FloatArray = field(repr=False)
    checkpoints: tuple[Any, ...] = ()

    def to_frame(self) -> Any:
        """Per model: the mean tau, its spread over seeds (std, n - 1) and the number of seeds with a tau."""
        spread, n_defined = [], []
        for row in self.tau_per_seed:
            defined = row[~np.isnan(row)]
            n_defined.append(len(defined))
            spread.append(float(np.std(defined, ddof=1)) if len(defined) > 1 else float("nan"))
        return _frame({"model": list(self.models), "tau": self.tau, "tau_seed_std": spread, "n_seeds": n_defined})

    def __repr__(self) -> str:
        rows = [[str(m), f"{t:.4f}"] for m, t in zip(self.models, self.tau, strict=True)]
        return f"Monotonicity({len(self.checkpoints)} checkpoints\n{_table(['model', 'mean tau'], rows)}\n)"


def _curves(scores: Any, columns: Columns) -> tuple[FloatArray, tuple[Any, ...], tuple[Any, ...]]:
    """models x seeds x checkpoints benchmark scores, the model labels and the checkpoint labels."""
    if not isinstance(scores, ScoreTensor) and not is_table(scores) and np.ndim(scores) in (1, 2):
        curve = np.asarray(scores)
        # One model's benchmark scores: a single "item" holding them, seeds x checkpoints.
        shaped = curve.reshape(1, 1, 1, -1) if curve.ndim == 1 else curve[None, None]
        t = ScoreTensor.from_array(shaped, name="scores_by_checkpoint")
        return t.values[0], t.models, t.checkpoints or ()
    t = as_scores(scores, columns, name="scores_by_checkpoint")
    if t.checkpoints is None:
        raise InvalidInputError(
            "scores_by_checkpoint: needs a checkpoint axis: an items x models x seeds x checkpoints array, a table "
            "with a checkpoint column, or benchmark scores of shape (checkpoints,) or (seeds, checkpoints)"
        )
    return _benchmark_scores(t), t.models, t.checkpoints


def monotonicity(scores_by_checkpoint: Any, *, columns: Columns = None, n_threads: int | None = None) -> Monotonicity:
    """How steadily the benchmark score rises during training: Kendall tau-b of the score against checkpoint
    order for each model and seed, averaged over seeds (1: never drops; 0: no trend).

    Input: an items x models x seeds x checkpoints array or table, or benchmark scores of shape
    (checkpoints,) or (seeds, checkpoints). Checkpoints are in array order, or in sorted label order for a
    table (use a numeric step column)."""
    curves, models, checkpoints = _curves(scores_by_checkpoint, columns)
    n_models, n_seeds, k = curves.shape
    if k < 2:
        raise InvalidInputError(f"scores_by_checkpoint: needs at least 2 checkpoints, got {k}")
    taus, pvalues = _core.variance_kendall_rows(
        curves.reshape(-1, k), np.arange(k, dtype=np.float64), n_threads=check_threads(n_threads)
    )
    taus, pvalues = taus.reshape(n_models, n_seeds), pvalues.reshape(n_models, n_seeds)
    defined = ~np.isnan(taus)
    with np.errstate(invalid="ignore"):
        mean = np.where(defined.any(axis=1), np.nansum(taus, axis=1) / np.maximum(defined.sum(axis=1), 1), np.nan)
    return Monotonicity(models, mean, taus, pvalues, curves, tuple(checkpoints))


@dataclass(frozen=True, eq=False)  # array fields: element-wise == has no single truth value
class RankingStability:
    """Kendall tau-b (and its p-value) between the models' seed-averaged benchmark scores on the full
    benchmark and on a subset of its items."""

    models: tuple[Any, ...]
    tau: float
    pvalue: float
    full: FloatArray = field(repr=False)
    subset: FloatArray = field(repr=False)
    n_items: int = 0
    n_subset: int = 0

    def to_frame(self) -> Any:
        return _frame({"model": list(self.models), "full": self.full, "subset": self.subset})

    def __repr__(self) -> str:
        return (
            f"RankingStability(tau={self.tau:.4f}, pvalue={self.pvalue:.4g}, {len(self.models)} models, "
            f"subset of {self.n_subset} of {self.n_items} items)"
        )


def _subset_mask(t: ScoreTensor, subset: Any) -> np.ndarray:
    n = len(t.items)
    arr = np.asarray(subset)
    if arr.dtype == bool:
        if arr.shape != (n,):
            raise InvalidInputError(f"subset: a boolean mask needs {n} values, got shape {arr.shape}")
        mask = np.array(arr, dtype=bool)
    else:
        positions = {label: i for i, label in enumerate(t.items)}
        try:
            idx = [positions[v] for v in arr.reshape(-1).tolist()]
        except KeyError as exc:
            raise InvalidInputError(f"subset: unknown item {exc.args[0]!r}") from None
        mask = np.zeros(n, dtype=bool)
        mask[idx] = True
    if not mask.any():
        raise InvalidInputError("subset: selects no item")
    return mask


def ranking_stability(scores: Any, subset: Any, *, checkpoint: Any = None, columns: Columns = None) -> RankingStability:
    """Does a subset of the items rank the models as the full benchmark does? `subset` is a boolean mask
    over items or a list of item labels (positions for an array)."""
    t = as_scores(scores, columns).at_checkpoint(checkpoint)
    if len(t.models) < 2:
        raise InvalidInputError(f"scores: ranking stability needs at least 2 models, got {len(t.models)}")
    mask = _subset_mask(t, subset)
    full = t.values.mean(axis=(0, 2))
    part = t.values[mask].mean(axis=(0, 2))
    res = kendall_tau_b(full, part)
    return RankingStability(t.models, res.tau, res.pvalue, full, part, len(t.items), int(mask.sum()))


# --- item analysis -----------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)  # array fields: element-wise == has no single truth value
class ItemAnalysis:
    """Per item: difficulty (mean score over every model and seed: the fraction correct for 0/1 scores) and
    discrimination (point-biserial correlation, over the model x seed runs, of the item's score with the
    run's benchmark score; NaN when every run scores the item alike)."""

    items: tuple[Any, ...]
    difficulty: FloatArray
    discrimination: FloatArray
    n_runs: int = 0

    def to_frame(self) -> Any:
        return _frame({"item": list(self.items), "difficulty": self.difficulty, "discrimination": self.discrimination})

    def __repr__(self) -> str:
        d = self.discrimination[~np.isnan(self.discrimination)]
        med = f"{np.median(d):.3f}" if d.size else "nan"
        return (
            f"ItemAnalysis({len(self.items)} items over {self.n_runs} runs: mean difficulty "
            f"{self.difficulty.mean():.3f}, median discrimination {med}, {int(np.sum(self.discrimination < 0))} "
            f"items with negative discrimination)"
        )


def items(scores: Any, *, checkpoint: Any = None, columns: Columns = None) -> ItemAnalysis:
    """Item difficulty and discrimination (point-biserial correlation with the total score)."""
    t = as_scores(scores, columns).at_checkpoint(checkpoint)
    n_items = t.values.shape[0]
    runs = t.values.reshape(n_items, -1)  # items x (model, seed) runs
    if runs.shape[1] < 2:
        raise InvalidInputError("scores: item discrimination needs at least 2 runs (models x seeds)")
    total = runs.mean(axis=0)
    dx = runs - runs.mean(axis=1, keepdims=True)
    dt = total - total.mean()
    with np.errstate(invalid="ignore", divide="ignore"):
        r = (dx @ dt) / np.sqrt(np.sum(dx * dx, axis=1) * np.sum(dt * dt))
    r[~np.isfinite(r)] = np.nan
    return ItemAnalysis(t.items, runs.mean(axis=1), r, runs.shape[1])


# --- paired comparison -------------------------------------------------------------------------------


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
    seed: Any = 0,
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

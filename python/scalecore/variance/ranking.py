"""Kendall statistics over checkpoints, rankings and items (Madaan et al. 2024)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .. import _core
from .._scores import ScoreTensor, as_scores, is_table
from .._validation import FloatArray
from .._validation import n_threads as check_threads
from ..errors import InvalidInputError
from ._common import Columns, _frame, _table
from .seeds import _benchmark_scores


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

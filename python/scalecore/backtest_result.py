"""The results of `sc.backtest` and `sc.backtest_table`: the folds of a backtest with their scores, and several
backtests ranked by extrapolation error (the procedure itself is in `scalecore.backtest`)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import intervals as iv
from ._validation import FloatArray
from .errors import InvalidInputError
from .fit import FitResult

__all__ = ["SCORES", "BacktestFold", "BacktestResult", "BacktestTable", "Rolling"]

# The scores a backtest reports, and the one a table is ranked by unless told otherwise.
SCORES: tuple[str, ...] = ("mean_abs_relative_error", "rms_log_error", "largest_relative_error", "n_opt_relative_error")


@dataclass(frozen=True)
class Rolling:
    """Rolling cuts along a curve: fold k fits the first ``min_train + k * step`` runs in the order of
    `column` and predicts the next `horizon` runs (all later runs when None)."""

    column: str = "x"
    min_train: int | None = None
    step: int = 1
    horizon: int | None = None


@dataclass(frozen=True)
class BacktestFold:
    """One cut: the fit on the runs in ``train`` and its scores on the held-out runs ``heldout``."""

    cut: float
    train: np.ndarray[Any, np.dtype[np.bool_]] = field(repr=False)
    heldout: np.ndarray[Any, np.dtype[np.int64]] = field(repr=False)
    fit: FitResult = field(repr=False)
    observed: FloatArray = field(repr=False)
    predicted: FloatArray = field(repr=False)
    mean_abs_relative_error: float
    rms_log_error: float
    largest_relative_error: float
    n_opt_relative_error: float
    intervals: dict[str, iv.ConfidenceInterval] = field(default_factory=dict)
    # With a bootstrap: the pointwise percentile interval of each held-out prediction over the refits (2 x runs).
    predicted_interval: FloatArray | None = field(default=None, repr=False)

    @property
    def relative_error(self) -> FloatArray:
        """(prediction - observation) / observation per held-out run."""
        return np.asarray((self.predicted - self.observed) / self.observed)

    @property
    def log_error(self) -> FloatArray:
        """ln(prediction / observation) per held-out run."""
        return np.asarray(np.log(self.predicted / self.observed))


@dataclass(frozen=True)
class BacktestResult:
    """The folds of one backtest and their pooled scores (means over folds)."""

    law: str
    objective: str
    split: str
    folds: tuple[BacktestFold, ...]
    n_runs: int
    level: float
    label: str = ""

    @property
    def fit(self) -> FitResult:
        """The fit of the last (largest) fold."""
        return self.folds[-1].fit

    def score(self, name: str = "rms_log_error") -> float:
        """A score (one of SCORES) averaged over the folds."""
        if name not in SCORES:
            raise InvalidInputError(f"rank_by: unknown score {name!r}; known: {list(SCORES)}")
        values = [getattr(f, name) for f in self.folds]
        return float(np.mean(values))

    @property
    def predictions(self) -> FloatArray:
        """Predicted loss of every run (NaN where it was fitted on) in the last fold, aligned with the runs:
        pass it as ``heldout_inputs={"x": result.predictions}`` to chain a downstream law."""
        out = np.full(self.n_runs, np.nan)
        last = self.folds[-1]
        out[last.heldout] = last.predicted
        return out

    def to_frame(self) -> Any:
        """One row per held-out run and fold (pandas DataFrame)."""
        import pandas as pd

        rows = [
            {
                "fold": k,
                "cut": f.cut,
                "run": int(i),
                "observed": float(o),
                "predicted": float(p),
                "relative_error": float((p - o) / o),
                "log_error": float(np.log(p / o)),
            }
            for k, f in enumerate(self.folds)
            for i, o, p in zip(f.heldout, f.observed, f.predicted, strict=True)
        ]
        return pd.DataFrame(rows)

    def plot(self, runs: Any, **options: Any) -> Any:
        """The last fold: fit region, held-out runs and predictions (`scalecore.plot.backtest`; needs matplotlib)."""
        from . import plot

        return plot.backtest(self, runs, **options)

    def __repr__(self) -> str:
        head = (
            f"BacktestResult({self.label or self.law}, {self.objective}, split {self.split}, {len(self.folds)} fold(s)"
        )
        scores = ", ".join(f"{s}={self.score(s):.4g}" for s in SCORES if math.isfinite(self.score(s)))
        return f"{head}; {scores})"


@dataclass(frozen=True)
class BacktestTable:
    """Backtests of several candidates on one split, ranked by ``rank_by`` (smallest first)."""

    results: tuple[BacktestResult, ...]
    rank_by: str

    def to_frame(self) -> Any:
        """One row per candidate in rank order: label, law, objective and every score."""
        import pandas as pd

        rows = [
            {"rank": k + 1, "label": r.label, "law": r.law, "objective": r.objective, **{s: r.score(s) for s in SCORES}}
            for k, r in enumerate(self.results)
        ]
        return pd.DataFrame(rows)

    @property
    def best(self) -> BacktestResult:
        return self.results[0]

    def __repr__(self) -> str:
        lines = [
            f"  {k + 1}. {r.label}: {self.rank_by}={r.score(self.rank_by):.4g}" for k, r in enumerate(self.results)
        ]
        return f"BacktestTable(ranked by {self.rank_by}\n" + "\n".join(lines) + "\n)"

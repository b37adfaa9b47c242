"""Backtesting a scaling law: fit on the runs below a cut, score the prediction of the runs above it.

The question a law is fitted to answer is whether it predicts the next, larger run. `backtest` splits the
runs (by compute, N, D or any input column, by a user mask, or by rolling cuts along a curve), fits the
law on the small side with `scalecore.fit` (every option of the fit applies), and scores the held-out
runs: relative error (prediction - observation) / observation and log error ln(prediction / observation)
per run, the error at the largest held-out run, and the error in the compute-optimal N_opt at the
largest budget against the fit to every run. With ``n_resamples`` the fit is bootstrapped and each score
gets a percentile interval. `backtest_table` ranks several laws, objectives or starts by extrapolation
error: model selection by what the law is for (Gadre et al. 2024, "Language models scale reliably with
over-training and on downstream tasks"; Alabdulmohsin et al. 2022, "Revisiting neural scaling laws in
language and vision"). See docs/backtest.md.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from . import _core
from . import intervals as iv
from ._fit_spec import as_runs
from ._validation import FloatArray, as_float_array, real
from .backtest_result import SCORES, BacktestFold, BacktestResult, BacktestTable, Rolling
from .errors import InvalidInputError, ScalecoreWarning
from .fit import FitResult, fit
from .fit_bootstrap import bootstrap
from .laws import Law
from .laws import get as get_law
from .runs import Runs

__all__ = ["SCORES", "BacktestFold", "BacktestResult", "BacktestTable", "Rolling", "backtest", "backtest_table"]


def _split_column(r: Runs, name: str) -> FloatArray:
    key = "C" if name == "compute" else name
    if key == "loss" or not r.has(key):
        raise InvalidInputError(f"split: the runs have no column {name!r}; they have {r.columns}")
    return np.asarray(getattr(r, key), dtype=np.float64)


Mask = np.ndarray[Any, np.dtype[np.bool_]]


def _folds(r: Runs, split: Any, cut: Any, holdout: float) -> tuple[str, list[tuple[float, Mask]]]:
    """(description, [(cut value, boolean train mask)])."""
    n = len(r)
    if isinstance(split, Rolling):
        order = np.argsort(_split_column(r, split.column), kind="stable")
        col = _split_column(r, split.column)
        first = split.min_train if split.min_train is not None else n // 2
        for name, value in (("min_train", first), ("step", split.step), ("horizon", split.horizon or 1)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise InvalidInputError(f"split: Rolling.{name} must be a positive integer, got {value!r}")
        if first >= n:
            raise InvalidInputError(f"split: Rolling.min_train={first} leaves no run to predict among {n}")
        out = []
        for k in range(first, n, split.step):
            mask = np.zeros(n, dtype=bool)
            mask[order[:k]] = True
            out.append((float(col[order[k - 1]]), mask))
        return f"rolling along {split.column}", out
    if isinstance(split, str):
        col = _split_column(r, split)
        if cut is None:
            if not 0.0 < real("holdout", holdout) < 1.0:
                raise InvalidInputError(f"holdout: must be strictly between 0 and 1, got {holdout!r}")
            cut = float(np.quantile(col, 1.0 - holdout, method="lower"))
        cuts = np.atleast_1d(as_float_array("cut", cut))
        return f"{split} <= cut", [(float(c), col <= c) for c in cuts]
    try:
        mask = np.asarray(split)
    except ValueError:  # a ragged nested list
        mask = np.asarray(None)
    if mask.dtype != bool or mask.shape != (n,):
        what = f"{type(split).__name__} {mask.shape}"
        raise InvalidInputError(f"split: expected a column name, a Rolling, or a boolean mask of {n} runs, got {what}")
    return "mask", [(math.nan, mask.copy())]


def _heldout_columns(law: Law, r: Runs, idx: Any, override: Mapping[str, Any] | None) -> dict[str, FloatArray]:
    cols = {name: getattr(r, name)[idx] for name in law.inputs}
    for name, values in (override or {}).items():
        if name not in law.inputs:
            raise InvalidInputError(f"heldout_inputs: {name!r} is not an input of the {law.name} law {law.inputs}")
        full = as_float_array(f"heldout_inputs[{name!r}]", values, finite=False)
        if full.shape != (len(r),):
            raise InvalidInputError(f"heldout_inputs[{name!r}]: needs one value per run ({len(r)}), got {full.shape}")
        cols[name] = as_float_array(f"heldout_inputs[{name!r}] (held-out runs)", full[idx], positive=True)
    return cols


def _internal(law: Law, samples: Mapping[str, FloatArray]) -> FloatArray:
    """Bootstrap samples of the public parameters as rows of internal coordinates."""
    cols = [np.log(samples[p]) if lg else samples[p] for p, lg in zip(law.param_names, law.log_params, strict=True)]
    return np.ascontiguousarray(np.column_stack(cols), dtype=np.float64)


def _n_opt(source: Any, compute: float) -> float:
    """N_opt(compute) of a fit, NaN when the law has no allocation (1-D laws) or none exists."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ScalecoreWarning)
            return float(np.asarray(source.allocate(compute=compute).N).reshape(-1)[0])
    except (InvalidInputError, ValueError):
        return math.nan


def backtest(
    runs: Any,
    law: str | Law = "chinchilla",
    *,
    split: Any = "C",
    cut: Any = None,
    holdout: float = 0.25,
    heldout_inputs: Mapping[str, Any] | None = None,
    n_resamples: int = 0,
    seed: Any = None,
    level: float = 0.95,
    label: str | None = None,
    n_threads: int | None = None,
    **fit_options: Any,
) -> BacktestResult:
    """Fit `law` on the runs on the small side of `split` and score its predictions of the others.

    split: a column name ("C" or "compute", "N", "D", "x", "M", ...): fit on the runs whose value is at
        most `cut` (one value or several, one fold each; default: hold out the top `holdout` fraction);
        a boolean mask of the runs (True: fit on it); or ``Rolling(column, min_train, step, horizon)``.
    heldout_inputs: {input: one value per run} replacing the law's inputs at the held-out runs, e.g. the
        predicted losses of a loss backtest feeding a downstream-error law (``result.predictions``).
    n_resamples: bootstrap refits of each fold's fit (pairs scheme, `seed`), giving `level` percentile
        intervals of the scores in ``fold.intervals``.
    fit_options: passed to `scalecore.fit` (objective, init, delta, fixed, tie, weights, ...).
    A fold whose training side has no more runs than the law's free parameters, or no held-out run,
    raises InvalidInputError.
    """
    r = as_runs(runs)
    lw = get_law(law)
    lv = iv.level(level)
    if isinstance(n_resamples, bool) or not isinstance(n_resamples, (int, np.integer)) or n_resamples < 0:
        raise InvalidInputError(f"n_resamples: must be a non-negative integer, got {n_resamples!r}")
    description, folds = _folds(r, split, cut, holdout)
    k_free = len(lw.param_names) - len(fit_options.get("fixed") or {})
    full_fit: FitResult | None = None
    # N_opt is scored for laws of N and D (not 1-D laws, not the data-constrained law's U).
    allocatable = r.has("C") and set(lw.inputs) <= {"N", "D", "C", "M"}
    c_max = float(r.C.max()) if allocatable else math.nan
    ref = math.nan
    out = []
    for cut_value, train in folds:
        n_train, n_held = int(train.sum()), int((~train).sum())
        if n_train <= k_free:
            raise InvalidInputError(
                f"split: the fold at cut {cut_value:g} leaves {n_train} runs to fit, not more than the {k_free} "
                f"free parameters of the {lw.name} law"
            )
        if n_held == 0:
            raise InvalidInputError(f"split: the fold at cut {cut_value:g} holds out no run")
        if isinstance(split, Rolling) and split.horizon is not None:
            order = np.argsort(_split_column(r, split.column), kind="stable")
            held = order[n_train : n_train + split.horizon]
        else:
            held = np.flatnonzero(~train)
        held = np.sort(held).astype(np.int64)
        sub = r.subset(train)
        boot = None
        if n_resamples:
            boot = bootstrap(
                sub, lw, n_resamples=int(n_resamples), seed=seed, level=lv, n_threads=n_threads, **fit_options
            )
            res = boot.fit
        else:
            res = fit(sub, lw, n_threads=n_threads, **fit_options)
        cols = _heldout_columns(lw, r, held, heldout_inputs)
        observed = r.loss[held]
        predicted = np.asarray(res.handle.predict(lw.columns(cols)))
        largest = int(np.argmax(r.C[held])) if r.has("C") else len(held) - 1
        n_opt_err = math.nan
        if math.isfinite(c_max):
            if full_fit is None:
                full_fit = fit(r, lw, n_threads=n_threads, **fit_options)
                ref = _n_opt(full_fit, c_max)
            n_opt_err = (_n_opt(res, c_max) - ref) / ref
        scores = _scores(observed, predicted[None, :], largest)[:, 0]
        intervals: dict[str, iv.ConfidenceInterval] = {}
        band = None
        if boot is not None and len(boot.samples[lw.param_names[0]]):
            draws = np.asarray(_core.predict_draws(lw.name, _internal(lw, boot.samples), lw.columns(cols)))
            band = np.quantile(draws, [(1 - lv) / 2, (1 + lv) / 2], axis=0)  # a NaN draw makes its run's band NaN
            dist = _scores(observed, draws, largest)
            for name, values in zip(SCORES[:3], dist, strict=True):
                intervals[name] = _percentile(values, lv)
            if math.isfinite(n_opt_err):
                _, n_samples = boot.distribution("N_opt", compute=c_max)
                intervals["n_opt_relative_error"] = _percentile((n_samples - ref) / ref, lv)
        out.append(
            BacktestFold(
                cut=cut_value,
                train=train,
                heldout=held,
                fit=res,
                observed=observed,
                predicted=predicted,
                mean_abs_relative_error=float(scores[0]),
                rms_log_error=float(scores[1]),
                largest_relative_error=float(scores[2]),
                n_opt_relative_error=float(n_opt_err),
                intervals=intervals,
                predicted_interval=band,
            )
        )
    objective = str(fit_options.get("objective", "huber_log"))
    return BacktestResult(
        law=lw.name,
        objective=objective,
        split=description,
        folds=tuple(out),
        n_runs=len(r),
        level=lv,
        label=label or f"{lw.name} ({objective})",
    )


def _scores(observed: FloatArray, predicted: FloatArray, largest: int) -> FloatArray:
    """Rows: mean |relative error|, RMS log error, relative error at the largest run; one column per
    row of `predicted` (a prediction per draw)."""
    rel = (predicted - observed) / observed
    with np.errstate(invalid="ignore", divide="ignore"):
        log_err = np.log(predicted / observed)
    return np.vstack([np.abs(rel).mean(axis=1), np.sqrt((log_err**2).mean(axis=1)), rel[:, largest]])


def _percentile(values: FloatArray, level: float) -> iv.ConfidenceInterval:
    v = values[np.isfinite(values)]
    if not len(v):
        return iv.ConfidenceInterval(math.nan, math.nan)
    lo, hi = np.quantile(v, [(1 - level) / 2, (1 + level) / 2])
    return iv.ConfidenceInterval(float(lo), float(hi))


def backtest_table(
    runs: Any,
    candidates: Sequence[str | Law | Mapping[str, Any]],
    *,
    split: Any = "C",
    rank_by: str = "rms_log_error",
    **options: Any,
) -> BacktestTable:
    """Backtest each candidate on the same split and rank them by `rank_by` (one of SCORES).

    A candidate is a law name, or a dict with ``law`` and any fit options (``objective``, ``init``, ...)
    and an optional ``label``; `options` apply to every candidate (a candidate's own keys win).
    """
    if rank_by not in SCORES:
        raise InvalidInputError(f"rank_by: unknown score {rank_by!r}; known: {list(SCORES)}")
    if isinstance(candidates, (str, Law)) or not isinstance(candidates, Sequence) or not candidates:
        raise InvalidInputError(f"candidates: need a non-empty list of laws or dicts, got {candidates!r}")
    results = []
    for cand in candidates:
        spec = dict(cand) if isinstance(cand, Mapping) else {"law": cand}
        if "law" not in spec:
            raise InvalidInputError(f"candidates: a candidate dict needs a 'law', got {spec!r}")
        results.append(backtest(runs, split=split, **{**options, **spec}))
    ranked = sorted(results, key=lambda res: _rank_key(res.score(rank_by)))
    return BacktestTable(results=tuple(ranked), rank_by=rank_by)


def _rank_key(value: float) -> float:
    # A candidate without the score (e.g. N_opt for a 1-D law) ranks last, not first.
    return abs(value) if math.isfinite(value) else math.inf

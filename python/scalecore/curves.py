"""Whole training curves: the checkpoints of runs as data for a law (docs/training_curves.md).

A `Curves` table holds one row per checkpoint: a run id, the step, the loss and, as known, the learning
rate, the tokens seen, the model size and a seed. It turns into `sc.Runs` for `sc.fit` and every tool
built on it, with the schedule-aware inputs of Tissue, Wang & Wang 2024, "Scaling Law with Learning Rate
Annealing": the forward area S1 (the sum of the learning rate over the steps taken) and the annealing
area S2 (a momentum-decayed sum of its falls), so that one law, ``L = L0 + A S1^-alpha - C S2``
(`tissue_law`), fits the checkpoints of constant, cosine and warmup-stable-decay schedules together.
The areas are computed in the core (`curves` module), curves in parallel.

Also here: the warm-up cut, per-run checkpoint selection, the mean and spread of the loss over seeds
(usable as weights), and the lower envelope across a learning-rate sweep.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import _core
from ._validation import FloatArray, as_float_array, one_of, real
from ._validation import n_threads as _n_threads
from .errors import InvalidInputError
from .laws import DefinedLaw, define
from .runs import Runs, _column_of
from .schedules import schedule

__all__ = ["Curves", "from_table", "predict_curve", "schedule", "tissue_law"]

#: The momentum decay lambda of Tissue et al. 2024 (they report 0.999 as a good default, 0.99-0.999).
DEFAULT_DECAY = 0.999


def _labels(name: str, value: Any, n: int) -> np.ndarray[Any, Any]:
    arr = np.array(value, copy=True)
    if arr.ndim == 0:
        arr = np.full(n, arr.item())
    if arr.ndim != 1 or len(arr) != n:
        raise InvalidInputError(f"{name}: needs one label per checkpoint ({n}), got shape {arr.shape}")
    return arr


def _optional(name: str, value: Any, n: int, **checks: Any) -> FloatArray | None:
    if value is None:
        return None
    arr = as_float_array(name, value, **checks)
    if len(arr) != n:
        raise InvalidInputError(f"{name}: has {len(arr)} rows but loss has {n}")
    return arr


class Curves:
    """Checkpoints of training runs, validated once and kept sorted by curve.

    run: a label per checkpoint naming its run (any hashable values: names, numbers).
    step: the optimizer step of each checkpoint (whole numbers, increasing along each curve).
    loss: the loss at each checkpoint.
    lr: the learning rate at each checkpoint (needed for the schedule areas; between checkpoints it is
        taken as linear in the step, so logging it at every step, or often, makes the areas exact).
    tokens, N: tokens seen and model size per checkpoint (become ``D`` and ``N`` of the runs).
    seed: a label per checkpoint; a curve is then one (run, seed) pair (`seed_mean` reduces over seeds).
    loss_std: a known standard deviation of each loss (`seed_mean` fills it in; `to_runs` can weight by it).

    Rules a curve must meet (checked in the core): at least two checkpoints, steps whole numbers
    increasing along the curve, learning rates finite and non-negative. The caller's arrays are copied.
    """

    def __init__(
        self,
        *,
        run: Any,
        step: Any,
        loss: Any,
        lr: Any = None,
        tokens: Any = None,
        N: Any = None,
        seed: Any = None,
        loss_std: Any = None,
    ) -> None:
        loss_arr = as_float_array("loss", loss)
        n = len(loss_arr)
        # Steps and learning rates are checked by the core's `check_curves`, which names the curve.
        step_arr = _optional("step", step, n, finite=False)
        assert step_arr is not None
        cols: dict[str, FloatArray | None] = {
            "lr": _optional("lr", lr, n, finite=False),
            "tokens": _optional("tokens", tokens, n, positive=True),
            "N": _optional("N", N, n, positive=True),
            # NaN allowed: no spread is known there (a checkpoint one seed reached).
            "loss_std": _optional("loss_std", loss_std, n, finite=False),
        }
        std = cols["loss_std"]
        if std is not None and (std < 0).any():
            raise InvalidInputError(f"loss_std: must be non-negative, got {float(std[std < 0][0])!r}")
        runs = _labels("run", run, n)
        seeds = None if seed is None else _labels("seed", seed, n)
        _, run_code = np.unique(runs, return_inverse=True)
        key = run_code.astype(np.int64)
        if seeds is not None:
            _, seed_code = np.unique(seeds, return_inverse=True)
            key = key * (int(seed_code.max()) + 1) + seed_code
        # A stable sort keeps each curve's rows in the order given, so unsorted steps are found, not hidden.
        order = np.argsort(key, kind="stable")
        key = key[order]
        starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
        self.offsets: list[int] = [*starts.tolist(), n]
        self.run: np.ndarray[Any, Any] = runs[order]
        self.seed: np.ndarray[Any, Any] | None = None if seeds is None else seeds[order]
        self.names: list[str] = [
            repr(self.run[s].item()) + ("" if self.seed is None else f" seed {self.seed[s].item()!r}") for s in starts
        ]
        self._step: FloatArray = step_arr[order]
        self._loss: FloatArray = loss_arr[order]
        self._cols = {k: None if v is None else v[order] for k, v in cols.items()}
        #: Seeds averaged into each checkpoint (set by `seed_mean`), else None.
        self.n_seeds: np.ndarray[Any, np.dtype[np.int64]] | None = None
        _core.check_curves(self.offsets, self.step, self._cols["lr"], self.names)

    # --- columns --------------------------------------------------------------------------------------
    @property
    def step(self) -> FloatArray:
        return self._step

    @property
    def loss(self) -> FloatArray:
        return self._loss

    @property
    def lr(self) -> FloatArray | None:
        return self._cols["lr"]

    @property
    def tokens(self) -> FloatArray | None:
        return self._cols["tokens"]

    @property
    def N(self) -> FloatArray | None:  # noqa: N802  (the field's own symbol)
        return self._cols["N"]

    @property
    def loss_std(self) -> FloatArray | None:
        return self._cols["loss_std"]

    @property
    def n_curves(self) -> int:
        return len(self.offsets) - 1

    def __len__(self) -> int:
        return len(self.loss)

    def __repr__(self) -> str:
        cols = ", ".join(k for k, v in self._cols.items() if v is not None)
        return f"Curves({self.n_curves} curves, {len(self)} checkpoints; columns run, step, loss, {cols})"

    def _curve_index(self) -> np.ndarray[Any, np.dtype[np.int64]]:
        return np.repeat(np.arange(self.n_curves), np.diff(self.offsets))

    # --- the schedule ---------------------------------------------------------------------------------
    def warmup_end(self, warmup: Any = "peak", warmup_fraction: Any = None) -> FloatArray:
        """The step at which each curve's warm-up ends: ``"peak"`` the first step where the learning rate
        reaches its maximum (to within 1e-9 relative), a number of steps for every curve, ``None`` no
        warm-up; or, with `warmup_fraction`, that fraction of each curve's last step."""
        last = self.step[np.asarray(self.offsets[1:]) - 1]
        if warmup_fraction is not None:
            f = real("warmup_fraction", warmup_fraction)
            if not 0 <= f < 1:
                raise InvalidInputError(f"warmup_fraction: must be in [0, 1), got {f!r}")
            ends: FloatArray = np.floor(f * last)
            return ends
        if warmup is None:
            return np.zeros(self.n_curves)
        if isinstance(warmup, str):
            one_of("warmup", warmup, ["peak"])
            lr = self._need_lr("warmup='peak'")
            idx = self._curve_index()
            # The first row of each curve holding that curve's largest learning rate.
            peak = np.full(self.n_curves, -np.inf)
            np.maximum.at(peak, idx, lr)
            # Within 1e-9 of the peak: a warm-up that computes its last value as peak * t / T may land
            # an ulp below the plateau that follows.
            at_peak = np.flatnonzero(lr >= peak[idx] * (1 - 1e-9))
            # Steps increase along a curve, so the smallest step at the peak is the first.
            out = np.full(self.n_curves, np.inf)
            np.minimum.at(out, idx[at_peak], self.step[at_peak])
            return out
        w = real("warmup", warmup)
        if not (np.isfinite(w) and w >= 0):
            raise InvalidInputError(f"warmup: must be 'peak', None or a number of steps >= 0, got {warmup!r}")
        return np.full(self.n_curves, w)

    def _need_lr(self, what: str) -> FloatArray:
        if self.lr is None:
            raise InvalidInputError(f"lr: {what} needs the learning-rate column (Curves(..., lr=...))")
        return self.lr

    def areas(
        self,
        *,
        decay: float = DEFAULT_DECAY,
        warmup: Any = "peak",
        warmup_fraction: Any = None,
        n_threads: int | None = None,
    ) -> tuple[FloatArray, FloatArray]:
        """The forward area S1 and the annealing area S2 (Tissue et al. 2024) at every checkpoint, in the
        table's (sorted) row order. S1 sums the learning rate over every step taken, warm-up included;
        S2 sums the momentum m_t = decay * m_(t-1) + (lr_(t-1) - lr_t) over the steps after the warm-up
        (its rise is not annealing). `decay`: the paper's lambda, in [0, 1)."""
        lr = self._need_lr("the schedule areas")
        s1, s2 = _core.schedule_areas(
            self.offsets,
            self.step,
            lr,
            self.names,
            self.warmup_end(warmup, warmup_fraction).tolist(),
            real("decay", decay),
            n_threads=_n_threads(n_threads),
        )
        return np.asarray(s1), np.asarray(s2)

    # --- to runs ---------------------------------------------------------------------------------------
    def _kept(self, keep: Any) -> np.ndarray[Any, np.dtype[np.bool_]]:
        """Rows kept by `keep`: "all", "last" (each curve's final checkpoint) or k (every k-th checkpoint
        counted back from each curve's last, so the final one is always kept)."""
        ends = np.asarray(self.offsets[1:])
        from_end = ends[self._curve_index()] - 1 - np.arange(len(self))
        if isinstance(keep, str):
            one_of("keep", keep, ["all", "last"])
            return np.ones(len(self), dtype=bool) if keep == "all" else from_end == 0
        if isinstance(keep, bool) or not isinstance(keep, (int, np.integer)) or keep < 1:
            raise InvalidInputError(f"keep: must be 'all', 'last' or a positive integer, got {keep!r}")
        return np.asarray(from_end % int(keep) == 0)

    def to_runs(
        self,
        *,
        decay: float = DEFAULT_DECAY,
        warmup: Any = "peak",
        warmup_fraction: Any = None,
        keep: Any = "all",
        weight: str | None = None,
        n_threads: int | None = None,
    ) -> Runs:
        """The checkpoints as `sc.Runs`, ready for `sc.fit` with any law and all of its machinery.

        Columns: ``loss``; ``x`` the step; ``N`` and ``D`` (tokens) when given; ``group`` the run, so
        that ``scheme="cluster"`` resamples whole curves; with a learning-rate column, the extra columns
        ``S1``, ``S2`` (`areas`, computed on the whole schedule before any row is dropped) and ``lr``.
        Checkpoints before each curve's warm-up end (`warmup_end`) are dropped, and so are checkpoints
        with nothing trained yet (step 0). `keep` selects checkpoints per curve ("all", "last", or every
        k-th counted from the last). ``weight="inverse_variance"`` weights each checkpoint by
        1 / loss_std^2 (after `seed_mean`).
        """
        rows = self._kept(keep) & (self.step > 0)
        extra: dict[str, FloatArray] = {}
        if self.lr is not None:
            s1, s2 = self.areas(decay=decay, warmup=warmup, warmup_fraction=warmup_fraction, n_threads=n_threads)
            extra = {"S1": s1, "S2": s2, "lr": self.lr}
        # Without a learning rate there is no peak to find: only a warm-up given in steps cuts then.
        if self.lr is not None or not isinstance(warmup, str) or warmup_fraction is not None:
            rows &= self.step >= self.warmup_end(warmup, warmup_fraction)[self._curve_index()]
        w = None
        if weight is not None:
            one_of("weight", weight, ["inverse_variance"])
            w = self._inverse_variance(rows)
        if not rows.any():
            raise InvalidInputError("keep: no checkpoint is left after the warm-up cut and the selection")
        return Runs(
            loss=self.loss[rows],
            x=self.step[rows],
            N=None if self.N is None else self.N[rows],
            D=None if self.tokens is None else self.tokens[rows],
            group=self.run[rows],
            weight=w,
            extra={k: v[rows] for k, v in extra.items()} or None,
        )

    def _inverse_variance(self, rows: np.ndarray[Any, np.dtype[np.bool_]]) -> FloatArray:
        std = self.loss_std
        if std is None:
            raise InvalidInputError("weight: 'inverse_variance' needs loss_std (call seed_mean() first)")
        bad = np.flatnonzero(rows & ~(std > 0))
        if bad.size:
            i = int(bad[0])
            raise InvalidInputError(
                f"weight: loss_std must be positive, got {std[i]!r} for run {self.run[i].item()!r} at step "
                f"{self.step[i]:g} (a checkpoint seen by one seed has no spread)"
            )
        out: FloatArray = 1.0 / std[rows] ** 2
        normalised: FloatArray = out / out.mean()
        return normalised

    # --- reductions ------------------------------------------------------------------------------------
    def seed_mean(self) -> Curves:
        """One curve per run: at each (run, step) the mean loss over seeds, with ``loss_std`` (the sample
        standard deviation over seeds, NaN where one seed reached that step) and ``n_seeds``. The learning
        rate, tokens and model size must agree across the seeds of a run at a step."""
        if self.seed is None:
            raise InvalidInputError("seed: seed_mean needs a seed column (Curves(..., seed=...))")
        _, run_code = np.unique(self.run, return_inverse=True)
        order = np.lexsort((self.step, run_code))
        rc, st = run_code[order], self.step[order]
        starts = np.flatnonzero(np.r_[True, (rc[1:] != rc[:-1]) | (st[1:] != st[:-1])])
        count = np.diff(np.r_[starts, len(order)])
        loss = self.loss[order]
        mean = np.add.reduceat(loss, starts) / count
        dev2 = (loss - np.repeat(mean, count)) ** 2
        with np.errstate(invalid="ignore", divide="ignore"):
            std = np.sqrt(np.add.reduceat(dev2, starts) / (count - 1))
        std[count < 2] = np.nan
        out: dict[str, Any] = {}
        for name in ("lr", "tokens", "N"):
            col = self._cols[name]
            if col is None:
                continue
            c = col[order]
            first = c[starts]
            differs = np.flatnonzero(c != np.repeat(first, count))
            if differs.size:
                i = int(order[differs[0]])
                raise InvalidInputError(
                    f"{name}: differs between the seeds of run {self.run[i].item()!r} at step {self.step[i]:g}"
                )
            out[name] = first
        reduced = Curves(run=self.run[order][starts], step=st[starts], loss=mean, loss_std=std, **out)
        # Rows given sorted by run and step keep their order in the new table.
        reduced.n_seeds = count
        return reduced

    def envelope(self, *, keep: Any = "all") -> Runs:
        """The lower envelope across runs that differ only in learning rate (a learning-rate sweep): for
        each model size N and amount of training (tokens, else step) the lowest loss over the runs, as
        `sc.Runs` (N, D or x, loss). `keep` selects checkpoints per curve first ("last": final losses)."""
        if self.N is None:
            raise InvalidInputError("N: the envelope over learning rates needs the model size column")
        rows = self._kept(keep)
        amount = (self.step if self.tokens is None else self.tokens)[rows]
        n, loss = self.N[rows], self.loss[rows]
        order = np.lexsort((amount, n))
        n, amount, loss = n[order], amount[order], loss[order]
        starts = np.flatnonzero(np.r_[True, (n[1:] != n[:-1]) | (amount[1:] != amount[:-1])])
        best = np.minimum.reduceat(loss, starts)
        at = {"x": amount[starts]} if self.tokens is None else {"D": amount[starts]}
        return Runs(N=n[starts], loss=best, **at)


def from_table(
    table: Any,
    *,
    run: str,
    step: str,
    loss: str,
    lr: str | None = None,
    tokens: str | None = None,
    N: str | None = None,
    seed: str | None = None,
) -> Curves:
    """`Curves` from a pandas, polars or pyarrow table (or a dict of columns): each keyword names the
    table's column holding that field, e.g. ``from_table(df, run="run_id", step="step", loss="val_loss",
    lr="lr", N="params")``."""
    names = {"run": run, "step": step, "loss": loss, "lr": lr, "tokens": tokens, "N": N, "seed": seed}
    cols = {k: None if v is None else _column_of(table, v) for k, v in names.items()}
    return Curves(**cols)


def tissue_law(name: str = "tissue", *, model_size: bool = False) -> DefinedLaw:
    """The law of Tissue, Wang & Wang 2024, ``L = L0 + A * S1^-alpha - C * S2``, as a defined law reading
    the ``S1`` and ``S2`` columns of `Curves.to_runs`; ``model_size=True`` adds a Chinchilla-style term
    ``B * N^-beta`` for curves of several model sizes. L0, A, C (and B) are positive."""
    expr = "L0 + A * S1^-alpha - C * S2" + (" + B * N^-beta" if model_size else "")
    inputs = ["S1", "S2", *(["N"] if model_size else [])]
    positive = ["L0", "A", "C", *(["B"] if model_size else [])]
    bounds = {"L0": (0.5, 5.0), "A": (0.1, 10.0), "C": (1e-3, 10.0), "alpha": (0.05, 1.0)}
    if model_size:
        bounds |= {"B": (1.0, 1e4), "beta": (0.05, 1.0)}
    return define(name, expr, positive=positive, bounds=bounds, inputs=inputs)


def predict_curve(
    fit: Any,
    step: Any,
    lr: Any,
    *,
    decay: float = DEFAULT_DECAY,
    warmup: Any = "peak",
    **columns: Any,
) -> FloatArray:
    """A fitted schedule-aware law's loss curve under a schedule of your choice: ``lr`` the learning rate
    at each ``step`` (e.g. `schedule`), further inputs of the law (``N=``) as keywords. The areas are
    computed as for `Curves` with the same `decay` and `warmup` as the fit used."""
    steps = as_float_array("step", step, finite=False)
    placeholder = np.ones(len(steps))
    curve = Curves(run=np.zeros(len(steps)), step=steps, loss=placeholder, lr=lr)
    s1, s2 = curve.areas(decay=decay, warmup=warmup)
    out: FloatArray = np.asarray(fit.predict(S1=s1, S2=s2, **columns))
    return out

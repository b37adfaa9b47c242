"""A batch of statistic bootstrap problems, as `sc.bootstrap_statistic` and `scalecore.compat.bootstrap` see it:
the samples with the resampled axis moved last and the other axes broadcast (the batch), the statistic (a
built-in, computed in the core, or a Python callable) and what evaluating it yields, flattened to Q quantities
(the statistic's own output axes, then the batch axes) so that one core call computes every interval.

Callables are evaluated on the resamples the built-ins draw (the core exports their indices); replicate i's
indices are shared by the whole batch, as scipy.stats.bootstrap shares them, so a problem's distribution does
not depend on the batch it is in.
"""

from __future__ import annotations

import pickle
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from . import _core
from ._progress import progress_callback
from ._validation import FloatArray
from .errors import InvalidInputError

# Values of one callable batch: resamples x values per sample, summed over samples and problems.
_BATCH_VALUES = 10_000_000


def _leave_one_out(n: int, start: int, stop: int) -> np.ndarray[Any, np.dtype[np.intp]]:
    """Index rows start..stop of the leave-one-out design: row i is 0..n without i."""
    i = np.arange(start, stop)[:, None]
    j = np.arange(n - 1)[None, :]
    return np.asarray(j + (j >= i), dtype=np.intp)


def prepare_samples(data: Any, axis: int) -> list[FloatArray]:
    """The samples as arrays with `axis` last and the other axes broadcast to one batch shape."""
    if isinstance(data, (tuple, list)) and len(data) > 0 and all(np.ndim(d) >= 1 for d in data):
        raw = [np.asarray(d) for d in data]
    else:
        raw = [np.asarray(data)]
    arrays = []
    for i, a in enumerate(raw):
        if a.ndim == 0:
            raise InvalidInputError(f"data[{i}]: must be an array of observations, got a scalar")
        if not (np.issubdtype(a.dtype, np.number) or a.dtype == np.bool_) or np.iscomplexobj(a):
            raise InvalidInputError(f"data[{i}]: must hold real numbers, got dtype {a.dtype}")
        if not -a.ndim <= axis < a.ndim:
            raise InvalidInputError(f"axis: {axis} is out of bounds for data[{i}] with {a.ndim} dimensions")
        # Callables see the data's own dtype (integer samples may be indices, as in scipy's paired idiom);
        # the built-ins read them as float64.
        arrays.append(np.moveaxis(a, axis, -1))
    if len({a.ndim for a in arrays}) > 1:
        raise InvalidInputError("data: Array shapes are incompatible for broadcasting.")
    try:
        batch = np.broadcast_shapes(*(a.shape[:-1] for a in arrays))
    except ValueError:
        raise InvalidInputError("data: Array shapes are incompatible for broadcasting.") from None
    out = []
    for i, a in enumerate(arrays):
        if a.shape[-1] < 2:
            raise InvalidInputError(
                f"data: each sample needs at least 2 values along axis, sample {i} has {a.shape[-1]}"
            )
        out.append(np.ascontiguousarray(np.broadcast_to(a, (*batch, a.shape[-1]))))
    return out


class Problem:
    """Samples (each (*batch, n_j)), a statistic, and its evaluation on resamples and leave-one-out samples.
    Every output is flattened to Q quantities: `out_shape` = (statistic axes, batch axes)."""

    def __init__(
        self,
        samples: list[FloatArray],
        statistic: str | Callable[..., Any],
        *,
        paired: bool,
        vectorized: bool,
        batch: int | None,
        options: dict[str, float],
        n_threads: int | None,
        progress: Any,
        block: str | None = None,
        block_length: float = 1.0,
    ) -> None:
        self.samples = samples
        self.statistic = statistic
        self.paired = paired
        self.vectorized = vectorized
        self.batch = batch
        self.options = options
        # How replicate indices are drawn (the core's `Resampling`): independently, or in blocks.
        self.block = block
        self.block_length = block_length
        self.n_threads = n_threads
        self.progress = progress
        self.batch_shape: tuple[int, ...] = samples[0].shape[:-1]
        self.problems = int(np.prod(self.batch_shape, dtype=np.int64))
        self.sizes = [int(s.shape[-1]) for s in samples]
        if paired and len(set(self.sizes)) != 1:
            raise InvalidInputError(f"data: paired samples must have equal lengths, got {self.sizes}")
        self._estimate: FloatArray | None = None
        # A built-in statistic's jackknife, when the distribution's core call computed it too.
        self._jackknife: list[FloatArray] | None = None
        self.stat_shape: tuple[int, ...] = ()

    # --- pickling: the data and a statistic that pickles (a lambda does not: it is dropped) -------------

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__, progress=None)
        try:
            pickle.dumps(self.statistic)
        except Exception:
            state["statistic"] = None
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)

    @property
    def name(self) -> str:
        s = self.statistic
        return s if isinstance(s, str) else str(getattr(s, "__name__", "callable"))

    @property
    def out_shape(self) -> tuple[int, ...]:
        self.estimate()
        return self.stat_shape + self.batch_shape

    def _matrices(self) -> list[FloatArray]:
        return [
            np.ascontiguousarray(s.reshape(self.problems, n), dtype=np.float64)
            for s, n in zip(self.samples, self.sizes)
        ]

    def _builtin(self, seed: int, first: int, count: int, jackknife: bool) -> _core.StatisticBootstrap:
        callback, bar = progress_callback(self.progress, "bootstrap")
        try:
            return _core.bootstrap_statistic(
                self._matrices(),
                str(self.statistic),
                q=self.options["q"],
                ddof=self.options["ddof"],
                proportiontocut=self.options["proportiontocut"],
                paired=self.paired,
                block=self.block,
                block_length=self.block_length,
                seed=seed,
                first=first,
                count=count,
                jackknife=jackknife,
                n_threads=self.n_threads,
                progress=callback,
            )
        finally:
            if bar is not None:
                bar.close()

    # --- the three things a bootstrap needs, each (Q, ...) ----------------------------------------------

    def estimate(self) -> FloatArray:
        """The statistic of the data, (Q,)."""
        if self._estimate is None:
            if isinstance(self.statistic, str):
                self._estimate = np.asarray(self._builtin(0, 0, 0, False).estimate)
            else:
                self._estimate = self._evaluate([s[..., None, :] for s in self.samples], 1, first=True)[:, 0]
        return self._estimate

    def distribution(self, seed: int, first: int, count: int, jackknife: bool = False) -> FloatArray:
        """Replicates first..first + count, (Q, count); `jackknife=True` has a built-in statistic compute its
        jackknife in the same core call (kept for `jackknife()`)."""
        if isinstance(self.statistic, str):
            run = self._builtin(seed, first, count, jackknife and self._jackknife is None)
            if jackknife and self._jackknife is None:
                self._jackknife = [np.asarray(j) for j in run.jackknife]
            return np.asarray(run.distribution)
        self.estimate()
        width = max(self.problems * sum(self.sizes), 1)
        step = self.batch if self.batch is not None else max(1, min(count, _BATCH_VALUES // width))
        out = np.empty((int(np.prod(self.out_shape, dtype=np.int64)), count))
        for start in range(0, count, step):
            rows = min(step, count - start)
            idx = _core.bootstrap_indices(
                self.sizes,
                paired=self.paired,
                block=self.block,
                block_length=self.block_length,
                seed=seed,
                first=first + start,
                count=rows,
            )
            args = [s[..., idx[0 if self.paired else j]] for j, s in enumerate(self.samples)]
            out[:, start : start + rows] = self._evaluate(args, rows)
        return out

    def jackknife(self) -> list[FloatArray]:
        """Leave-one-out values, one (Q, n_j) array per independent sample (one when paired)."""
        if isinstance(self.statistic, str):
            if self._jackknife is None:
                self._jackknife = [np.asarray(j) for j in self._builtin(0, 0, 0, True).jackknife]
            return self._jackknife
        self.estimate()
        jack: list[FloatArray] = []
        for j in range(1 if self.paired else len(self.samples)):
            n = self.sizes[j]
            vals = np.empty((int(np.prod(self.out_shape, dtype=np.int64)), n))
            step = max(1, _BATCH_VALUES // max(self.problems * n * n, 1)) if self.vectorized else n
            for start in range(0, n, step):
                stop = min(n, start + step)
                loo = _leave_one_out(n, start, stop)
                args = [
                    s[..., loo]
                    if self.paired or k == j
                    else np.broadcast_to(s[..., None, :], (*self.batch_shape, stop - start, s.shape[-1]))
                    for k, s in enumerate(self.samples)
                ]
                vals[:, start:stop] = self._evaluate(args, stop - start)
            jack.append(vals)
        return jack

    # --- the callable ----------------------------------------------------------------------------------

    def _call(self, args: Sequence[Any]) -> Any:
        statistic = self.statistic
        if not callable(statistic):
            raise InvalidInputError("statistic: the callable was not kept (it does not pickle)")
        try:
            return statistic(*args, axis=-1) if self.vectorized else statistic(*args)
        except InvalidInputError:
            raise
        except Exception as exc:
            raise InvalidInputError(f"statistic: the callable raised {type(exc).__name__}: {exc}") from exc

    def _evaluate(self, args: list[Any], rows: int, first: bool = False) -> FloatArray:
        """The statistic of `rows` resamples per problem (args: (*batch, rows, n_j)) as (Q, rows)."""
        tail = (*self.batch_shape, rows)
        if self.vectorized:
            out = np.asarray(self._call(args), dtype=np.float64)
            if out.shape[out.ndim - len(tail) :] != tail or out.ndim < len(tail):
                raise InvalidInputError(
                    f"statistic: must return one value (or one array) per resample, shape (..., {tail}), "
                    f"got shape {out.shape}"
                )
            stat_shape = out.shape[: out.ndim - len(tail)]
            flat = out.reshape(-1, self.problems * rows)
        else:
            flat_args = [a.reshape(self.problems * rows, a.shape[-1]) for a in args]
            values = [
                np.asarray(self._call([a[r] for a in flat_args]), dtype=np.float64) for r in range(len(flat_args[0]))
            ]
            shapes = {v.shape for v in values}
            if len(shapes) != 1:
                raise InvalidInputError(f"statistic: returned values of different shapes {sorted(shapes)}")
            stat_shape = values[0].shape
            flat = np.stack(values, axis=-1).reshape(-1, self.problems * rows)
        if first:
            self.stat_shape = tuple(stat_shape)
        elif tuple(stat_shape) != self.stat_shape:
            raise InvalidInputError(
                f"statistic: returned shape {stat_shape} on resamples but {self.stat_shape} on the data"
            )
        return flat.reshape(-1, rows)

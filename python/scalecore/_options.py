"""The options every long computation shares, each with one meaning and one validator:

- ``progress``: None (a bar once the work has run about a second, in an interactive session), True (always a
  bar), False (nothing), or a callable ``progress(done, total)``;
- ``seed``: None (fresh entropy, recorded in the result so the run can be repeated), an integer in [0, 2**64),
  or a ``numpy.random.Generator`` (one integer is drawn from it);
- ``n_threads``: None (SCALECORE_NUM_THREADS, else every core) or a positive integer; results never depend on it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from ._progress import progress_callback
from ._validation import n_threads
from .errors import InvalidInputError

__all__ = ["check_progress", "n_threads", "progress", "seed"]


def seed(value: Any) -> int:
    """The seed the core streams start from (replicate i draws from the stream (seed, i))."""
    if value is None:
        return int(np.random.SeedSequence().entropy % 2**64)  # type: ignore[operator]
    if isinstance(value, np.random.Generator):
        return int(value.integers(0, 2**63))
    if isinstance(value, np.random.RandomState):  # scipy.stats.bootstrap accepts the legacy generator too
        return int(value.randint(0, 2**63, dtype=np.int64))
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or not 0 <= value < 2**64:
        raise InvalidInputError(
            f"seed: must be None, a numpy Generator or RandomState, or an integer in [0, 2**64), got {value!r}"
        )
    return int(value)


def check_progress(value: Any) -> None:
    """Refuse a bad `progress` before any work starts (also where no long step turns out to run)."""
    if not (value is None or isinstance(value, bool) or callable(value)):
        raise InvalidInputError(f"progress: must be None, a bool or a callable(done, total), got {value!r}")


@contextlib.contextmanager
def progress(value: Any, desc: str) -> Iterator[Callable[[int, int], Any] | None]:
    """The callback to hand the core for `value` (checked before any work starts); a bar it opened is closed
    when the block ends, also on error or Ctrl-C."""
    callback, bar = progress_callback(value, desc)
    try:
        yield callback
    finally:
        if bar is not None:
            bar.close()

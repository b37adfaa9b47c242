"""Progress reporting of long core calls: a tqdm bar that appears after about a second in an interactive
session, always, never, or the user's own callback."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import Any

from .errors import InvalidInputError


class AutoProgress:
    """A tqdm bar that appears only once the work has run about a second, in an interactive session."""

    def __init__(self, desc: str) -> None:
        self.desc = desc
        self.start = time.perf_counter()
        self.bar: Any = None

    def __call__(self, done: int, total: int) -> None:
        if self.bar is None:
            if time.perf_counter() - self.start < 1.0 or total <= 0:
                return
            from tqdm.auto import tqdm

            self.bar = tqdm(total=total, desc=self.desc, leave=False)
        self.bar.n = done
        self.bar.refresh()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def interactive() -> bool:
    return bool(getattr(sys, "ps1", None)) or "ipykernel" in sys.modules or sys.stderr.isatty()


def progress_callback(progress: Any, desc: str) -> tuple[Callable[[int, int], Any] | None, AutoProgress | None]:
    """(callback for the core, bar to close): None = a bar when interactive, True = always a bar,
    False = nothing, or the user's callable progress(done, total)."""
    if progress is None:
        progress = interactive()
    if progress is True:
        bar = AutoProgress(desc)
        return bar, bar
    if progress is False:
        return None, None
    if callable(progress):
        return progress, None
    raise InvalidInputError(f"progress: must be None, a bool or a callable(done, total), got {progress!r}")

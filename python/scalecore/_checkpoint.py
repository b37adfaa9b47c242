"""Checkpoints of long replicate loops: completed replicates written to a ``.npz`` file as they finish,
so that a run interrupted by Ctrl-C, a crash or a killed job resumes where it stopped.

Replicate i of a bootstrap draws from a random stream fixed by (seed, i) alone, so the replicates a
resumed run computes are the ones the interrupted run would have computed: the result of an interrupted
and resumed run is bit for bit that of an uninterrupted one. A checkpoint records a fingerprint of the
prepared computation (the full-data fit, the scheme, the seed, ...); resuming a different computation
from it is refused instead of mixing replicates of two bootstraps.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from ._validation import FloatArray
from .errors import InvalidInputError

__all__ = ["Checkpoint"]

# Bumped when the file layout changes, so that an old file is refused rather than misread.
_FORMAT = 1


class Checkpoint:
    """The completed replicates of one computation, kept in the file `path`.

    `fingerprint` is a byte string that identifies the computation (e.g. the pickled prepared bootstrap);
    `width` is the number of values per replicate.
    """

    def __init__(self, path: Any, fingerprint: bytes, width: int) -> None:
        if not isinstance(path, (str, os.PathLike)) or not str(path):
            raise InvalidInputError(f"checkpoint: must be a file path, got {path!r}")
        self.path = Path(path)
        self.digest = hashlib.sha256(fingerprint).hexdigest()
        self.width = width

    def load(self) -> tuple[FloatArray, np.ndarray[Any, np.dtype[np.bool_]]]:
        """The replicates completed so far (none when the file does not exist yet)."""
        empty = (np.empty((0, self.width)), np.empty(0, dtype=bool))
        if not self.path.exists():
            return empty
        try:
            with np.load(self.path, allow_pickle=False) as f:
                fmt, digest = int(f["format"]), str(f["digest"])
                theta, failed = np.array(f["theta"], dtype=np.float64), np.array(f["failed"], dtype=bool)
        except (OSError, KeyError, ValueError, zipfile.BadZipFile) as exc:
            raise InvalidInputError(f"checkpoint: {str(self.path)!r} is not a scalecore checkpoint ({exc})") from None
        if fmt != _FORMAT or digest != self.digest:
            raise InvalidInputError(
                f"checkpoint: {str(self.path)!r} holds replicates of a different computation (other data, law, "
                "options or seed); remove it or choose another file"
            )
        if theta.ndim != 2 or theta.shape[1] != self.width or len(failed) != len(theta):
            raise InvalidInputError(f"checkpoint: {str(self.path)!r} has replicates of the wrong shape {theta.shape}")
        return theta, failed

    def save(self, theta: FloatArray, failed: np.ndarray[Any, np.dtype[np.bool_]]) -> None:
        """Replace the file by one holding `theta` and `failed`, atomically: a crash while writing leaves
        the previous checkpoint intact."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=self.path.name + ".", suffix=".tmp", dir=self.path.parent)
        try:
            with os.fdopen(fd, "wb") as fh:
                np.savez(fh, format=_FORMAT, digest=self.digest, theta=theta, failed=failed)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

"""Killing a run mid-way, for the checkpoint tests: the child (Python source) runs in a subprocess and is killed
with SIGKILL (no cleanup of any kind) a little after its checkpoint file first appears."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np


def kill_after_first_checkpoint(child: str, path: Path, wait: float) -> int:
    """Run `child`, SIGKILL it `wait` seconds after `path` appears, check that the kill (not an error or the
    end of the run) stopped it, and return how many rows the checkpoint holds."""
    proc = subprocess.Popen([sys.executable, "-c", child], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 120
        while not path.exists() and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.05)
        time.sleep(wait)
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        _, err = proc.communicate(timeout=60)
    assert proc.returncode == -signal.SIGKILL, err[-2000:]
    with np.load(path) as saved:
        return len(saved["theta"])

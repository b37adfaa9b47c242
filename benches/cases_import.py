"""Import time: `import scalecore` on top of NumPy, from `python -X importtime` (target < 0.15 s), beside a bare
`import numpy`. The row agrees when the target is met and none of SciPy, pandas, matplotlib or the pure-Python
references was imported (they load only when used)."""

from __future__ import annotations

import re
import subprocess
import sys
from typing import Any

from run import Case  # type: ignore[import-not-found]

TARGET_S = 0.15
LAZY = ("scipy", "pandas", "matplotlib", "scalecore._reference", "tqdm")


def _importtime(statement: str) -> dict[str, float]:
    """Cumulative import time in seconds of every module `statement` imports (a fresh interpreter)."""
    out = subprocess.run([sys.executable, "-X", "importtime", "-c", statement], capture_output=True, text=True)
    times: dict[str, float] = {}
    for line in out.stderr.splitlines():
        m = re.match(r"import time:\s+\d+ \|\s+(\d+) \|\s*(\S+)", line)
        if m:
            times[m.group(2)] = int(m.group(1)) * 1e-6
    return times


def cases(quick: bool) -> list[Case]:
    def ours() -> Any:
        return _importtime("import scalecore")

    def numpy_only() -> Any:
        return _importtime("import numpy")

    def check(o: dict[str, float], t: dict[str, float]) -> tuple[bool, str]:
        on_top = o.get("scalecore", float("nan")) - o.get("numpy", 0.0)
        loaded = [m for m in LAZY if m in o]
        ok = on_top < TARGET_S and not loaded
        lazy = f"; imported eagerly: {loaded}" if loaded else "; scipy, pandas, matplotlib not imported"
        return ok, f"import scalecore on top of numpy {on_top:.3f} s (numpy alone {t.get('numpy', 0.0):.3f} s){lazy}"

    return [
        Case(
            "import scalecore (python -X importtime)",
            ours,
            [("import numpy", numpy_only)],
            check,
            target=f"target < {TARGET_S} s on top of numpy",
            repeat=3,
        )
    ]

"""Import time on top of NumPy (target < 0.15 s), each in a fresh interpreter that has imported NumPy first.

- `import scalecore`, from `python -X importtime` (scalecore's cumulative time, NumPy already loaded): every
  public name is imported on first use, so this is the package itself.
- The first use of the everyday names (`sc.fit`, `sc.bootstrap`, `sc.allocate`, `sc.isoflop`, `sc.KDE`,
  `sc.Runs`), timed with `time.perf_counter` around the import and the lookups: what a session pays before its
  first call.

A row agrees when it is under the target and none of SciPy, pandas, polars, pyarrow, matplotlib, tqdm or the
pure-Python references was imported (they load only when a call needs them).

The package's bytecode is compiled first, as `pip install` does: in a source tree run with
PYTHONDONTWRITEBYTECODE=1 every import would otherwise compile the sources again (about 0.25 s of the 0.31 s
measured for the eager import), which no installed copy pays. The first-use row also gives the CPU time, which a
loaded machine inflates much less than the wall time.
"""

from __future__ import annotations

import compileall
import importlib.util
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

from run import Case  # type: ignore[import-not-found]

TARGET_S = 0.15
LAZY = ("scipy", "pandas", "polars", "pyarrow", "matplotlib", "tqdm", "scalecore._reference")
FIRST_USE = "sc.fit, sc.bootstrap, sc.allocate, sc.isoflop, sc.KDE, sc.Runs"


def _importtime(statement: str) -> dict[str, float]:
    """Cumulative import time in seconds of every module `statement` imports (a fresh interpreter)."""
    out = subprocess.run([sys.executable, "-X", "importtime", "-c", statement], capture_output=True, text=True)
    times: dict[str, float] = {}
    for line in out.stderr.splitlines():
        m = re.match(r"import time:\s+\d+ \|\s+(\d+) \|\s*(\S+)", line)
        if m:
            times[m.group(2)] = int(m.group(1)) * 1e-6
    return times


def _first_use() -> tuple[float, list[str], float]:
    """(wall seconds, heavy modules loaded, CPU seconds) of importing scalecore and looking up FIRST_USE."""
    code = (
        "import sys, time, numpy\n"
        "t, c = time.perf_counter(), time.process_time()\n"
        "import scalecore as sc\n"
        f"{FIRST_USE}\n"
        "print(time.perf_counter() - t, time.process_time() - c)\n"
        f"print([m for m in {LAZY!r} if m in sys.modules])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    times, loaded = out.stdout.splitlines()
    wall, cpu = (float(v) for v in times.split())
    return wall, eval(loaded), cpu  # our own subprocess's list of names


def _verdict(seconds: float, loaded: list[str], cpu: float | None = None) -> tuple[bool, str]:
    lazy = f"; imported eagerly: {loaded}" if loaded else "; none of scipy, pandas, matplotlib, tqdm loaded"
    cpu_note = "" if cpu is None else f" (CPU {cpu:.3f} s)"
    return seconds < TARGET_S and not loaded, f"{seconds:.3f} s{cpu_note} on top of numpy{lazy}"


def _compile_package() -> None:
    spec = importlib.util.find_spec("scalecore")
    assert spec is not None and spec.origin is not None
    compileall.compile_dir(Path(spec.origin).parent, quiet=1)


def cases(quick: bool) -> list[Case]:
    _compile_package()

    def ours() -> Any:
        return _importtime("import numpy; import scalecore")

    def numpy_only() -> Any:
        return _importtime("import numpy")

    def check(o: dict[str, float], t: dict[str, float]) -> tuple[bool, str]:
        ok, note = _verdict(o.get("scalecore", float("nan")), [m for m in LAZY if m in o])
        return ok, f"import scalecore {note} (numpy alone {t.get('numpy', 0.0):.3f} s)"

    def first_use() -> Any:
        return min((_first_use() for _ in range(3)), key=lambda r: r[0])

    def check_first_use(o: tuple[float, list[str], float], t: dict[str, float]) -> tuple[bool, str]:
        ok, note = _verdict(*o)
        return ok, f"import scalecore and look up {FIRST_USE}: {note}"

    return [
        Case(
            "import scalecore (python -X importtime)",
            ours,
            [("import numpy", numpy_only)],
            check,
            target=f"target < {TARGET_S} s on top of numpy",
            repeat=3,
        ),
        Case(
            "import scalecore + first use of sc.fit, ...",
            first_use,
            [("import numpy", numpy_only)],
            check_first_use,
            target=f"target < {TARGET_S} s on top of numpy",
        ),
    ]

"""One benchmark runner: scalecore against the pure-Python reference and the named peers, side by side.

Every `benches/cases_*.py` module defines `cases(quick: bool) -> list[Case]`. Each case times scalecore
and its baselines in this one process and records whether their answers agree, so the ratios are
measured side by side on the same machine. scalecore's time is the best of the case's `repeat` runs (a
sub-second run is at the mercy of one scheduling hiccup on a shared machine); each baseline runs once.
Usage:

    python benches/run.py                 # every case
    python benches/run.py fit kde         # only cases whose name contains one of these words
    python benches/run.py --quick         # smaller sizes, for a smoke test
    python benches/run.py --json out.json # also write the table as JSON
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import platform
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent


@dataclass
class Timing:
    name: str
    seconds: float
    agrees: bool | None = None
    note: str = ""


@dataclass
class Case:
    """`ours` returns (answer, note); each baseline is (label, callable returning an answer) and `check`
    compares a baseline's answer with ours (True when they agree)."""

    name: str
    ours: Callable[[], Any]
    baselines: list[tuple[str, Callable[[], Any]]] = field(default_factory=list)
    check: Callable[[Any, Any], tuple[bool, str]] | None = None
    target: str = ""
    repeat: int = 1
    # Runs of each baseline (the best is kept); one unless a row is short enough for a fair best-of-n on both sides.
    baseline_repeat: int = 1
    # A baseline too slow to run whole is timed on a sample of the work and scaled by this factor.
    baseline_scale: float = 1.0


def timed(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    best, out = float("inf"), None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def load_cases(quick: bool) -> list[Case]:
    cases: list[Case] = []
    for path in sorted(HERE.glob("cases_*.py")):
        spec = importlib.util.spec_from_file_location(path.stem, path)
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        sys.modules[path.stem] = module
        try:
            spec.loader.exec_module(module)
            cases += module.cases(quick)
        except ImportError as exc:
            # A peer library is not installed: say so and run the other areas.
            print(f"skipping {path.name}: {exc} (pip install '.[bench]')", file=sys.stderr)
    return cases


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("filters", nargs="*")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--json")
    args = parser.parse_args()
    sys.path.insert(0, str(HERE))
    import scalecore

    print(f"scalecore {scalecore.__version__}, Python {platform.python_version()}, {platform.machine()}")
    rows = []
    header = f"{'case':<48} {'scalecore':>10} {'baseline':<28} {'time':>10} {'ratio':>8}  agrees  note"
    print(header)
    print("-" * len(header))
    for case in load_cases(args.quick):
        if args.filters and not any(f in case.name for f in args.filters):
            continue
        t_ours, ours = timed(case.ours, case.repeat)
        if not case.baselines:
            print(f"{case.name:<48} {t_ours:>9.4f}s {'-':<28} {'-':>10} {'-':>8}  -       {case.target}", flush=True)
            rows.append({"case": case.name, "scalecore_s": t_ours, "target": case.target})
        for label, fn in case.baselines:
            t_base, theirs = timed(fn, case.baseline_repeat)
            t_base *= case.baseline_scale
            ok, note = case.check(ours, theirs) if case.check else (None, "")
            ratio = t_base / t_ours if t_ours > 0 else float("inf")
            print(
                f"{case.name:<48} {t_ours:>9.4f}s {label:<28} {t_base:>9.4f}s {ratio:>7.1f}x  "
                f"{'yes' if ok else ('no' if ok is not None else '-'):<7} {note} {case.target}",
                flush=True,
            )
            rows.append(
                {
                    "case": case.name,
                    "scalecore_s": t_ours,
                    "baseline": label,
                    "baseline_s": t_base,
                    "ratio": ratio,
                    "agrees": ok,
                    "note": note,
                    "target": case.target,
                }
            )
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())

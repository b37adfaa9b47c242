"""Regenerate the README figures from the embedded sweep: ``python docs/make_figures.py``.

Fits the Chinchilla law to `sc.datasets.chinchilla_sweep(seed=0)` (an IsoFLOP sweep simulated from
Hoffmann et al.'s published law), bootstraps it, runs the IsoFLOP analysis, and writes docs/img/fit.png
and docs/img/isoflop.png. Deterministic: the same seeds give the same figures.
"""

from __future__ import annotations

from pathlib import Path

import scalecore as sc
from scalecore import plot

OUT = Path(__file__).resolve().parent / "img"
# No "Software: matplotlib x.y" entry: regenerating with another matplotlib leaves the files unchanged
# unless the pixels change.
METADATA = {"Software": None}


def main() -> None:
    OUT.mkdir(exist_ok=True)
    runs = sc.datasets.chinchilla_sweep(seed=0)
    fit = sc.fit(runs, law="chinchilla")
    boot = sc.bootstrap(runs, law="chinchilla", n_resamples=400, seed=0, progress=False)
    plot.fit(fit, runs, boot).savefig(OUT / "fit.png", dpi=110, metadata=METADATA)
    iso = sc.isoflop(runs, n_resamples=400, seed=0)
    plot.isoflop(iso, runs).savefig(OUT / "isoflop.png", dpi=90, metadata=METADATA)
    for name in ("fit.png", "isoflop.png"):
        path = OUT / name
        print(f"wrote {path} ({path.stat().st_size / 1024:.0f} KB)")


if __name__ == "__main__":
    main()

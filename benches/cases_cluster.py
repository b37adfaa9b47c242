"""Cluster benchmarks: the `map=` hooks through a 2-worker `distributed.LocalCluster` (processes, one thread
each) against the same call run locally in one process (docs/fleets.md).

Each row records, beside the two timings, whether the cluster's answer equals the local one bit for bit,
the chunks, the bytes shipped to a worker per chunk (the pickled chunk description; what every chunk
shares is scattered once and counted apart) and back, and the overhead per chunk, (cluster - local) /
chunks. The local call uses both cores (the core's thread pool); on the cluster each worker runs one Rust
thread per worker thread, so the two use the same hardware.
"""

from __future__ import annotations

import atexit
import functools
import pickle
import time
from typing import Any

import numpy as np
import scalecore as sc
from run import Case
from scalecore.distributed import dask_map

_CLUSTER: dict[str, Any] = {}


def _client() -> Any:
    """One LocalCluster for every row, started on first use and closed at exit."""
    if "client" not in _CLUSTER:
        import distributed

        cluster = distributed.LocalCluster(processes=True, n_workers=2, threads_per_worker=1, dashboard_address=":0")
        client = distributed.Client(cluster)
        client.run(lambda: __import__("scalecore"))  # workers import scalecore before any timing
        _CLUSTER.update(client=client, cluster=cluster)
        atexit.register(lambda: (client.close(), cluster.close()))
    return _CLUSTER["client"]


class _Measured:
    """A map-like callable that records the pickled size of what it ships per chunk and gets back."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.sent: list[int] = []
        self.back: list[int] = []
        self.shared = 0

    def __call__(self, fn: Any, items: Any) -> list[Any]:
        items = list(items)
        self.shared = sum(len(pickle.dumps(a)) for a in getattr(fn, "args", ()))
        self.sent = [len(pickle.dumps(i)) for i in items]
        out = list(self.inner(fn, items))
        self.back = [len(pickle.dumps(o)) for o in out]
        return out


def _curves(n_groups: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(0)
    steps = np.geomspace(100, 1e5, 20)
    task = np.repeat(np.arange(n_groups), 20)
    alpha = rng.uniform(0.2, 0.8, n_groups)[task]
    x = np.tile(steps, n_groups)
    loss = (rng.uniform(0.5, 2.0, n_groups)[task] + 20 * x**-alpha) * np.exp(0.01 * rng.standard_normal(x.size))
    return {"task": task, "step": x, "loss": loss}


def _row(name: str, local: Any, remote: Any, same: Any, target: str = "") -> Case:
    times: dict[str, float] = {}
    measured: dict[str, _Measured] = {}

    def ours() -> Any:
        m = _Measured(dask_map(_client()))
        measured["m"] = m
        t0 = time.perf_counter()
        out = remote(m)
        times["cluster"] = time.perf_counter() - t0
        return out

    def baseline() -> Any:
        t0 = time.perf_counter()
        out = local()
        times["local"] = time.perf_counter() - t0
        return out

    def check(mine: Any, theirs: Any) -> tuple[bool, str]:
        m = measured["m"]
        k = max(len(m.sent), 1)
        overhead = (times["cluster"] - times["local"]) / k
        return bool(same(mine, theirs)), (
            f"identical bits; {k} chunks, shipped {np.mean(m.sent) / 1e3:.1f} kB per chunk "
            f"(+{m.shared / 1e3:.1f} kB shared, once per worker), back {np.mean(m.back) / 1e3:.1f} kB per chunk; "
            f"overhead {overhead * 1e3:.0f} ms per chunk;"
            if same(mine, theirs)
            else "results differ;"
        )

    # Best of 2: the first run of the first row also starts the cluster.
    return Case(name, ours, [("local, same call", baseline)], check, target=target, repeat=2)


def _same_table(a: Any, b: Any) -> bool:
    return all(np.array_equal(a.params[p], b.params[p], equal_nan=True) for p in a.params)


def _same_boot(a: Any, b: Any) -> bool:
    return all(np.array_equal(a.samples[p], b.samples[p], equal_nan=True) for p in a.samples)


def cases(quick: bool) -> list[Case]:
    n = 2_000 if quick else 20_000
    data = _curves(n)
    fleet = functools.partial(sc.fit_many, data, "power", by="task", x="step", objective="lsq", progress=False)
    runs = sc.datasets.chinchilla_sweep(0)
    b = 400 if quick else 2_000
    boot = functools.partial(sc.bootstrap, runs, n_resamples=b, seed=0, progress=False)
    sample = np.random.default_rng(1).lognormal(size=(100, 1000))
    stat = functools.partial(sc.bootstrap_statistic, sample, "median", axis=1, n_resamples=2000, seed=0)
    rows = [
        _row(
            f"fit_many {n:,} curves, cluster, {size:,} a chunk",
            fleet,
            lambda m, size=size: fleet(map=m, chunk_size=size),
            _same_table,
        )
        for size in (n // 4, n // 40)
    ]
    rows.append(
        _row(
            f"bootstrap {b:,} resamples, cluster, 250 a chunk", boot, lambda m: boot(map=m, chunk_size=250), _same_boot
        )
    )
    rows.append(
        _row(
            "bootstrap_statistic 100 x 2,000 medians, cluster",
            stat,
            lambda m: stat(map=m, chunk_size=500),
            lambda a, c: np.array_equal(a.distribution, c.distribution),
        )
    )
    return rows

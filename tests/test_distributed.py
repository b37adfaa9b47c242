"""scalecore.distributed on a real cluster: results through Dask (2 worker processes) and Ray equal the
local run bit for bit."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
import scalecore as sc
from scalecore.distributed import dask_map, ray_map


def curves(n_groups: int) -> dict[str, Any]:
    rng = np.random.default_rng(3)
    steps = np.tile(np.geomspace(100, 1e5, 20), n_groups)
    task = np.repeat(np.arange(n_groups), 20)
    alpha = rng.uniform(0.2, 0.8, n_groups)[task]
    loss = (1.0 + 20.0 * steps**-alpha) * np.exp(0.01 * rng.standard_normal(steps.size))
    return {"task": task, "step": steps, "loss": loss}


@pytest.fixture(scope="module")
def client() -> Iterator[Any]:
    distributed = pytest.importorskip("distributed", reason="dask.distributed is not installed ([dask] extra)")
    with (
        distributed.LocalCluster(processes=True, n_workers=2, threads_per_worker=1, dashboard_address=None) as cluster,
        distributed.Client(cluster) as c,
    ):
        yield c


def test_bootstrap_through_dask_equals_the_local_run(client: Any) -> None:
    runs = sc.datasets.chinchilla_sweep(0)
    local = sc.bootstrap(runs, n_resamples=40, seed=2, n_threads=1)
    remote = sc.bootstrap(runs, n_resamples=40, seed=2, n_threads=1, map=dask_map(client), chunk_size=7)
    for p in local.samples:
        np.testing.assert_array_equal(remote.samples[p], local.samples[p])


def test_fit_many_through_dask_equals_the_local_run(client: Any) -> None:
    data = curves(9)
    kw: dict[str, Any] = dict(by="task", x="step", n_resamples=30, seed=4, n_threads=1)
    local = sc.fit_many(data, "power", **kw)
    remote = sc.fit_many(data, "power", map=dask_map(client), chunk_size=4, **kw)
    assert local.low is not None and remote.low is not None
    for p in local.params:
        np.testing.assert_array_equal(remote.params[p], local.params[p])
        np.testing.assert_array_equal(remote.low[p], local.low[p])


def test_a_failing_chunk_raises_instead_of_a_partial_result(client: Any) -> None:
    def explode(item: int) -> int:
        if item == 2:
            raise RuntimeError("chunk 2 lost")
        return item

    with pytest.raises(RuntimeError, match="chunk 2 lost"):
        dask_map(client, retries=0)(explode, range(4))
    with pytest.raises(sc.InvalidInputError, match="retries"):
        dask_map(client, retries=-1)


def test_ray_equals_the_local_run() -> None:
    ray = pytest.importorskip("ray", reason="ray is not installed ([ray] extra)")
    try:
        ray.init(num_cpus=2, include_dashboard=False)
    except Exception as exc:  # pragma: no cover - depends on the machine
        pytest.skip(f"ray cannot start here: {exc}")
    try:
        data = curves(5)
        local = sc.fit_many(data, "power", by="task", x="step", n_threads=1)
        remote = sc.fit_many(data, "power", by="task", x="step", n_threads=1, map=ray_map(), chunk_size=2)
        np.testing.assert_array_equal(remote.objective, local.objective)
    finally:
        ray.shutdown()

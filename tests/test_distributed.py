"""scalecore.distributed and the `map=` hooks on a real cluster: results through Dask (a 2-process
LocalCluster) and Ray equal the local run bit for bit, a worker killed mid-run costs a rerun of its chunks
and never a partial result, Dask DataFrames are fitted partition by partition, and whatever layout the arrays
reach a worker in is accepted."""

from __future__ import annotations

import functools
import os
import signal
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import scalecore as sc
from hypothesis import given
from hypothesis import strategies as st
from scalecore import _chunks
from scalecore.distributed import ChunkLostError, dask_map, ray_map
from scalecore.fit_bootstrap import fit_chunk


def curves(n_groups: int, seed: int = 3) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    steps = np.tile(np.geomspace(100, 1e5, 20), n_groups)
    task = np.repeat(np.arange(n_groups), 20)
    alpha = rng.uniform(0.2, 0.8, n_groups)[task]
    loss = (1.0 + 20.0 * steps**-alpha) * np.exp(0.01 * rng.standard_normal(steps.size))
    return {"task": task, "step": steps, "loss": loss}


def assert_same_table(a: Any, b: Any) -> None:
    for k in a.keys:
        np.testing.assert_array_equal(a.keys[k], b.keys[k])
    for p in a.params:
        np.testing.assert_array_equal(a.params[p], b.params[p])
    np.testing.assert_array_equal(a.objective, b.objective)
    np.testing.assert_array_equal(a.flags, b.flags)
    if a.low is not None or b.low is not None:
        assert a.low is not None and b.low is not None and a.high is not None and b.high is not None
        for p in a.params:
            np.testing.assert_array_equal(a.low[p], b.low[p])
            np.testing.assert_array_equal(a.high[p], b.high[p])


# --- array layouts a worker may receive ---------------------------------------------------------------------


def unaligned(a: np.ndarray) -> np.ndarray:
    buf = np.zeros(a.nbytes + 1, dtype=np.uint8)
    out = buf[1:].view(a.dtype).reshape(a.shape)
    out[...] = a
    assert not out.flags.aligned or a.size == 0
    return out


def read_only(a: np.ndarray) -> np.ndarray:
    out = a.copy()
    out.flags.writeable = False
    return out


def strided(a: np.ndarray) -> np.ndarray:
    out = np.zeros((2 * a.shape[0], *a.shape[1:]), dtype=a.dtype)[::2]
    out[...] = a
    assert not out.flags.c_contiguous or a.size <= 1
    return out


def big_endian(a: np.ndarray) -> np.ndarray:
    return a.astype(a.dtype.newbyteorder(">"))


LAYOUTS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "unaligned": unaligned,
    "read-only": read_only,
    "strided": strided,
    "big-endian": big_endian,
}


def relayout(obj: Any, layout: Callable[[np.ndarray], np.ndarray]) -> Any:
    """`obj` with every numeric array inside it (tuples, lists, dicts, core handles) in another layout."""
    if type(obj).__module__ == "scalecore._core" and hasattr(obj, "__reduce__"):
        return rebuilt(obj, layout)
    if isinstance(obj, np.ndarray) and obj.dtype.kind in "fiu" and obj.ndim >= 1:
        return layout(obj)
    if isinstance(obj, (tuple, list)):
        return type(obj)(relayout(o, layout) for o in obj)
    if isinstance(obj, dict):
        return {k: relayout(v, layout) for k, v in obj.items()}
    return obj


def rebuilt(handle: Any, layout: Callable[[np.ndarray], np.ndarray]) -> Any:
    """A core handle unpickled from arrays in `layout` (what Dask's deserialiser may hand a worker)."""
    ctor, args = handle.__reduce__()
    return ctor(*relayout(args, layout))


@pytest.mark.parametrize("layout", LAYOUTS)
def test_every_chunk_function_accepts_any_array_layout(layout: str) -> None:
    change = LAYOUTS[layout]
    # The fit bootstrap's chunk, on a prepared handle rebuilt from arrays in that layout.
    runs = sc.datasets.chinchilla_sweep(0)
    boot = sc.bootstrap(runs, n_resamples=6, seed=2, n_threads=1)
    plain = fit_chunk(boot._prepared, 1, (2, 3))
    other = fit_chunk(rebuilt(boot._prepared, change), 1, (2, 3))
    np.testing.assert_array_equal(other[0], plain[0])
    np.testing.assert_array_equal(other[1], plain[1])
    # The fleet's chunk, its rows and codes in that layout.
    seen: list[Any] = []
    sc.fit_many(curves(6), "power", by="task", x="step", n_threads=1, map=_recording(seen), chunk_size=3)
    call, chunk = seen[0]
    from scalecore._fleet_chunks import _fit_chunk

    a, b = _fit_chunk(call, chunk), _fit_chunk(call, relayout(chunk, change))
    for name in ("theta", "objective", "flags"):
        np.testing.assert_array_equal(getattr(b, name), getattr(a, name))
    # The statistic bootstrap's chunk, its samples in that layout.
    data = np.random.default_rng(1).normal(size=(3, 40))
    problem = sc.bootstrap_statistic(data, "median", axis=1, n_resamples=10, seed=1).problem
    moved = _copy_with(problem, samples=relayout(problem.samples, change))
    np.testing.assert_array_equal(
        _chunks.statistic_chunk(moved, 7, (3, 4)), _chunks.statistic_chunk(problem, 7, (3, 4))
    )
    # KDE evaluation's chunk, on a rebuilt estimator and queries in that layout.
    kde = sc.KDE(np.random.default_rng(2).normal(size=300), weights=np.arange(1.0, 301.0))
    q = np.linspace(-3, 3, 50)
    np.testing.assert_array_equal(
        _chunks.density_chunk(rebuilt(kde._handle, change), False, change(q)), kde._handle.density(q, False)
    )


def _recording(seen: list[Any]) -> Callable[..., list[Any]]:
    def mapper(fn: Any, items: Any) -> list[Any]:
        out = []
        for item in items:
            seen.append((fn.args[0], item))
            out.append(fn(item))
        return out

    return mapper


def _copy_with(obj: Any, **changes: Any) -> Any:
    import copy

    out = copy.copy(obj)
    out.__dict__.update(changes)
    return out


@pytest.mark.parametrize("layout", LAYOUTS)
def test_public_entries_accept_any_array_layout(layout: str) -> None:
    change = LAYOUTS[layout]
    data = curves(5)
    kw: dict[str, Any] = dict(by="task", x="step", n_threads=1, map=map, chunk_size=2)
    assert_same_table(sc.fit_many(relayout(data, change), "power", **kw), sc.fit_many(data, "power", **kw))
    sample = np.random.default_rng(4).gamma(2.0, size=60)
    a = sc.bootstrap_statistic(change(sample), "mean", n_resamples=50, seed=3, map=map, chunk_size=7)
    b = sc.bootstrap_statistic(sample, "mean", n_resamples=50, seed=3)
    np.testing.assert_array_equal(a.distribution, b.distribution)
    kde = sc.KDE(change(sample))
    q = np.linspace(0, 8, 40)
    np.testing.assert_array_equal(kde.pdf(change(q), map=map, chunk_size=9), sc.KDE(sample).pdf(q))


# --- any chunking gives the local bits (builtins.map) ----------------------------------------------------------


@given(chunk=st.integers(1, 60), n=st.integers(2, 60))
def test_statistic_bootstrap_map_equals_the_local_run_for_any_chunking(chunk: int, n: int) -> None:
    data = np.random.default_rng(n).normal(size=(2, n))
    for statistic in ("mean", "median", np.std):
        local = sc.bootstrap_statistic(data, statistic, axis=-1, n_resamples=40, seed=5, method="percentile")
        chunked = sc.bootstrap_statistic(
            data, statistic, axis=-1, n_resamples=40, seed=5, method="percentile", map=map, chunk_size=chunk
        )
        np.testing.assert_array_equal(chunked.distribution, local.distribution)
        np.testing.assert_array_equal(chunked.ci.low, local.ci.low)


@given(chunk=st.integers(1, 5000), method=st.sampled_from(["auto", "exact", "binned"]), d=st.sampled_from([1, 2]))
def test_kde_map_equals_the_local_evaluation_for_any_chunking(chunk: int, method: str, d: int) -> None:
    rng = np.random.default_rng(chunk)
    if d == 1:
        kde = sc.KDE(rng.normal(size=4000), method=method)
        q = np.linspace(-6, 6, 6000)  # enough terms (n m >= 2e7) for `auto` to choose the binned grid
    else:
        kde = sc.KDE(rng.normal(size=(300, 2)))
        q = rng.normal(size=(500, 2))
    np.testing.assert_array_equal(kde.pdf(q, map=map, chunk_size=chunk), kde.pdf(q))
    np.testing.assert_array_equal(kde.logpdf(q, map=map, chunk_size=chunk), kde.logpdf(q))


def test_kde_map_fixes_the_method_of_the_whole_query_set() -> None:
    kde = sc.KDE(np.random.default_rng(0).normal(size=4000))
    q = np.linspace(-6, 6, 6000)
    assert kde._handle.uses_binned(len(q)) and not kde._handle.uses_binned(10)
    assert _chunks.fixed_method(kde._handle, len(q)).method == "binned"
    # Blocks of 10 queries would each be summed exactly; under map= they follow the whole set's choice.
    np.testing.assert_array_equal(kde.pdf(q, map=map, chunk_size=10), kde.pdf(q))


def test_bad_map_and_chunk_size_are_refused() -> None:
    kde = sc.KDE([0.0, 1.0, 2.0])
    with pytest.raises(sc.InvalidInputError, match="chunk_size"):
        kde.pdf([0.5], map=map, chunk_size=0)
    with pytest.raises(sc.InvalidInputError, match="map"):
        sc.bootstrap_statistic([1.0, 2.0, 3.0], map=3)  # type: ignore[arg-type]


@pytest.fixture(scope="module", autouse=True)
def sigterm_kept() -> Iterator[None]:
    """The SIGTERM handler of the test process as it was before the module (set up first, so restored last)."""
    previous = signal.getsignal(signal.SIGTERM)
    yield
    signal.signal(signal.SIGTERM, previous if previous is not None else signal.SIG_DFL)


# --- a real Dask cluster -----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def client() -> Iterator[Any]:
    distributed = pytest.importorskip("distributed", reason="dask.distributed is not installed ([dask] extra)")
    import dask

    # A task whose worker dies is rescheduled once, then the map raises (the kill tests rely on it).
    with (
        dask.config.set({"distributed.scheduler.allowed-failures": 1}),
        distributed.LocalCluster(processes=True, n_workers=2, threads_per_worker=1, dashboard_address=":0") as cluster,
        distributed.Client(cluster) as c,
    ):
        yield c


def test_bootstrap_through_dask_equals_the_local_run(client: Any) -> None:
    runs = sc.datasets.chinchilla_sweep(0)
    local = sc.bootstrap(runs, n_resamples=40, seed=2, n_threads=1)
    remote = sc.bootstrap(runs, n_resamples=40, seed=2, map=dask_map(client), chunk_size=7)
    for p in local.samples:
        np.testing.assert_array_equal(remote.samples[p], local.samples[p])


def test_fit_many_through_dask_equals_the_local_run(client: Any) -> None:
    data = curves(9)
    kw: dict[str, Any] = dict(by="task", x="step", n_resamples=30, seed=4)
    local = sc.fit_many(data, "power", **kw)
    remote = sc.fit_many(data, "power", map=dask_map(client), chunk_size=4, **kw)
    assert_same_table(remote, local)


def test_statistic_bootstrap_and_kde_through_dask_equal_the_local_run(client: Any) -> None:
    data = np.random.default_rng(6).lognormal(size=(4, 80))
    for statistic in ("median", np.mean):
        local = sc.bootstrap_statistic(data, statistic, axis=1, n_resamples=300, seed=8)
        remote = sc.bootstrap_statistic(
            data, statistic, axis=1, n_resamples=300, seed=8, map=dask_map(client), chunk_size=70
        )
        np.testing.assert_array_equal(remote.distribution, local.distribution)
        np.testing.assert_array_equal(remote.ci.low, local.ci.low)
    kde = sc.KDE(data.ravel(), weights=np.linspace(1, 2, data.size))
    q = np.linspace(0, 10, 5000)
    np.testing.assert_array_equal(kde.logpdf(q, map=dask_map(client), chunk_size=700), kde.logpdf(q))


def test_adapters_run_one_rust_thread_per_worker_thread_by_default(client: Any) -> None:
    def probe(requested: int | None) -> int | None:
        from scalecore._chunks import worker_threads

        return worker_threads(requested)

    assert dask_map(client)(probe, [None, None]) == [1, 1]
    assert dask_map(client, n_threads=2)(probe, [None]) == [2]
    assert dask_map(client, n_threads=None)(probe, [None]) == [None]
    assert dask_map(client)(probe, [3]) == [3]  # the call's own n_threads wins
    assert _chunks.worker_threads(None) is None  # outside an adapter: the core's default
    with pytest.raises(sc.InvalidInputError, match="n_threads"):
        dask_map(client, n_threads=0)


def test_a_failing_chunk_raises_instead_of_a_partial_result(client: Any) -> None:
    def explode(item: int) -> int:
        if item == 2:
            raise RuntimeError("chunk 2 lost")
        return item

    with pytest.raises(RuntimeError, match="chunk 2 lost"):
        dask_map(client, retries=0)(explode, range(4))
    with pytest.raises(sc.InvalidInputError, match="retries"):
        dask_map(client, retries=-1)


def killing_map(client: Any, marker: Path | None, kill_at: int) -> Callable[..., list[Any]]:
    """dask_map, but the worker that starts the chunk whose first index is `kill_at` dies there (os._exit):
    once when `marker` is given (the file records the kill), on every try otherwise."""

    def die_then_run(marker: Path | None, kill_at: int, func: Any, *args: Any) -> Any:
        item = args[-1]
        if int(item[0]) == kill_at:
            if marker is None:
                os._exit(1)
            try:
                fd = os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
            except FileExistsError:
                return func(*args)
            os.close(fd)
            os._exit(1)
        return func(*args)

    inner = dask_map(client)

    def mapper(fn: Any, items: Any) -> list[Any]:
        return inner(functools.partial(die_then_run, marker, kill_at, fn.func, *fn.args), items)

    return mapper


def test_a_worker_killed_mid_run_costs_a_rerun_not_the_result(client: Any, tmp_path: Path) -> None:
    runs = sc.datasets.chinchilla_sweep(0)
    local = sc.bootstrap(runs, n_resamples=40, seed=2, n_threads=1)
    pids = set(client.run(os.getpid).values())
    remote = sc.bootstrap(
        runs, n_resamples=40, seed=2, map=killing_map(client, tmp_path / "boot", kill_at=14), chunk_size=7
    )
    assert (tmp_path / "boot").exists()  # a worker did die in the middle of the run
    for p in local.samples:
        np.testing.assert_array_equal(remote.samples[p], local.samples[p])

    data = curves(12)
    kw: dict[str, Any] = dict(by="task", x="step", n_resamples=20, seed=4)
    local_fleet = sc.fit_many(data, "power", **kw)
    remote_fleet = sc.fit_many(
        data, "power", map=killing_map(client, tmp_path / "fleet", kill_at=6), chunk_size=3, **kw
    )
    assert (tmp_path / "fleet").exists()
    assert_same_table(remote_fleet, local_fleet)
    client.wait_for_workers(2)
    assert set(client.run(os.getpid).values()) != pids  # the killed worker was replaced by a new process


def test_a_chunk_that_kills_every_worker_raises_a_clear_error(client: Any) -> None:
    runs = sc.datasets.chinchilla_sweep(0)
    with pytest.raises(ChunkLostError, match=r"chunk \d of 6 was lost.*no partial result"):
        sc.bootstrap(runs, n_resamples=40, seed=2, map=killing_map(client, None, kill_at=14), chunk_size=7)
    client.wait_for_workers(2)


# --- Dask DataFrames ---------------------------------------------------------------------------------------------


def test_fit_many_on_a_dask_dataframe_equals_the_pandas_table(client: Any) -> None:
    pd = pytest.importorskip("pandas")
    dd = pytest.importorskip("dask.dataframe", reason="dask.dataframe is not installed ([dask] extra)")
    data = curves(30, seed=9)
    rng = np.random.default_rng(0)
    # Rows shuffled, two keys, so that every group is spread over several partitions of the input.
    frame = (
        pd.DataFrame({**data, "seed": data["task"] % 3, "task": data["task"] // 3})
        .iloc[rng.permutation(len(data["task"]))]
        .reset_index(drop=True)
    )
    kw: dict[str, Any] = dict(by=["task", "seed"], x="step", n_resamples=20, seed=1)
    local = sc.fit_many(frame, "power", **kw)
    remote = sc.fit_many(dd.from_pandas(frame, npartitions=4), "power", **kw)
    assert len(remote) == 30
    assert_same_table(remote, local)
    # More pilot groups than the pilot keeps (64) and the `init="auto"` path.
    big = pd.DataFrame(curves(70, seed=2))
    for init in ("shared", "auto"):
        a = sc.fit_many(big, "power", by="task", x="step", init=init)
        b = sc.fit_many(dd.from_pandas(big, npartitions=3), "power", by="task", x="step", init=init)
        assert_same_table(b, a)
    with pytest.raises(sc.InvalidInputError, match="by"):
        sc.fit_many(dd.from_pandas(big, npartitions=2), "power", by="nope", x="step")


# --- Ray ---------------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def ray_runtime() -> Iterator[Any]:
    ray = pytest.importorskip("ray", reason="ray is not installed ([ray] extra)")
    try:
        ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    except Exception as exc:  # pragma: no cover - depends on the machine
        pytest.skip(f"ray cannot start here: {type(exc).__name__}: {exc}")
    try:
        yield ray
    finally:
        # ray.init makes the driver answer SIGTERM by stopping its node and calling sys.exit(1), and the handler
        # outlives ray.shutdown. A SIGTERM that reached the test process in this module's teardown ended a whole
        # CI session (exit 1, no summary, right after the module's last test, on a loaded machine): from here to
        # the end of the module (the Dask cluster closes after this) SIGTERM is ignored; `sigterm_kept` restores
        # the handler pytest had.
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        ray.shutdown()


def test_bootstrap_and_fit_many_through_ray_equal_the_local_run(ray_runtime: Any) -> None:
    runs = sc.datasets.chinchilla_sweep(0)
    local = sc.bootstrap(runs, n_resamples=30, seed=2, n_threads=1)
    remote = sc.bootstrap(runs, n_resamples=30, seed=2, map=ray_map(), chunk_size=7)
    for p in local.samples:
        np.testing.assert_array_equal(remote.samples[p], local.samples[p])
    data = curves(7)
    kw: dict[str, Any] = dict(by="task", x="step", n_resamples=20, seed=4)
    assert_same_table(sc.fit_many(data, "power", map=ray_map(), chunk_size=2, **kw), sc.fit_many(data, "power", **kw))
    sample = np.random.default_rng(3).normal(size=200)
    a = sc.bootstrap_statistic(sample, "median", n_resamples=100, seed=1, map=ray_map(), chunk_size=30)
    np.testing.assert_array_equal(
        a.distribution, sc.bootstrap_statistic(sample, "median", n_resamples=100, seed=1).distribution
    )


def test_ray_failures_raise_instead_of_a_partial_result(ray_runtime: Any) -> None:
    def explode(item: int) -> int:
        if item == 1:
            raise RuntimeError("chunk 1 lost")
        return item

    with pytest.raises(RuntimeError, match="chunk 1 lost"):
        ray_map(retries=0)(explode, range(3))

"""Running scalecore's `map=` hooks on a cluster: `dask_map(client)` and `ray_map()` turn a Dask client
or a Ray runtime into the map-like callable that `sc.bootstrap(..., map=)` and `sc.fit_many(..., map=)`
accept (docs/fleets.md).

Those hooks call ``map(functools.partial(chunk_function, prepared, ...), chunks)``: a module-level chunk
function, the work prepared once (a pickled core handle or a fleet's options) and one small description
per chunk. The adapters ship the prepared part to the workers once (Dask ``scatter``, Ray ``put``)
instead of once per chunk, run the chunks with retries (a chunk lost with its worker is run again;
chunks are pure functions of their input, so a rerun gives the same bits), and return the results in
chunk order, or raise: never a partial result. Dask and Ray are imported only when an adapter is made
(extras ``scalecore[dask]``, ``scalecore[ray]``).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from typing import Any

from .errors import InvalidInputError

__all__ = ["dask_map", "ray_map"]

MapLike = Callable[[Callable[..., Any], Iterable[Any]], list[Any]]


def _split(fn: Callable[..., Any]) -> tuple[Callable[..., Any], tuple[Any, ...], dict[str, Any]]:
    """A partial's function, bound arguments (shipped once) and keywords; a plain function has none."""
    if isinstance(fn, functools.partial):
        return fn.func, tuple(fn.args), dict(fn.keywords)
    return fn, (), {}


def _apply(func: Callable[..., Any], item: Any, *shared: Any, **keywords: Any) -> Any:
    return func(*shared, item, **keywords)


def _retries(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InvalidInputError(f"retries: must be a non-negative integer, got {value!r}")
    return value


def dask_map(client: Any, *, retries: int = 2) -> MapLike:
    """A map over a `distributed.Client`: the partial's bound arguments are scattered to every worker
    once, each chunk is a task retried up to `retries` times if its worker dies."""
    n_retries = _retries(retries)

    def mapper(fn: Callable[..., Any], items: Iterable[Any]) -> list[Any]:
        func, shared, keywords = _split(fn)
        futures_shared = [client.scatter(a, broadcast=True, hash=False) for a in shared]
        futures = [
            client.submit(_apply, func, item, *futures_shared, retries=n_retries, pure=False, **keywords)
            for item in items
        ]
        # gather raises the first failure (after its retries): the caller never sees a partial result.
        return list(client.gather(futures))

    return mapper


def ray_map(*, retries: int = 3) -> MapLike:
    """A map over the running Ray runtime (``ray.init()`` first): bound arguments put in the object
    store once, each chunk a task retried up to `retries` times."""
    import ray

    n_retries = _retries(retries)
    remote = ray.remote(max_retries=n_retries)(_apply)

    def mapper(fn: Callable[..., Any], items: Iterable[Any]) -> list[Any]:
        func, shared, keywords = _split(fn)
        refs = [ray.put(a) for a in shared]
        return list(ray.get([remote.remote(func, item, *refs, **keywords) for item in items]))

    return mapper

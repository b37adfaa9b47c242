"""Lazy public names for a package (PEP 562): each name is imported from its submodule on first use.

`import scalecore` then costs almost nothing, and SciPy, pandas, matplotlib and the references load only
when a call needs them. A package lists its names once in a mapping (name -> the module to import it
from, relative as in an import statement, or None for a name that is itself a submodule) and calls
`attach`; its TYPE_CHECKING block imports the same names eagerly for mypy and IDEs, and
tests/test_import.py checks that the mapping, the block and `__all__` agree.
"""

from __future__ import annotations

import importlib
import sys
import types
from collections.abc import Callable, Mapping
from typing import Any


class _LazyPackage(types.ModuleType):
    """The import system binds every loaded submodule as an attribute of its package. Where a public name is
    also the name of a submodule (`sc.fit`, `sc.bootstrap`, `sc.compat.gaussian_kde`, ...), the public object
    keeps the name, as it did when the packages imported everything eagerly; the submodule itself stays
    reachable through `sys.modules` and `import scalecore.fit`."""

    _lazy_names: Mapping[str, str | None]

    def __setattr__(self, name: str, value: Any) -> None:
        if isinstance(value, types.ModuleType) and self._lazy_names.get(name) is not None:
            return
        super().__setattr__(name, value)

    def __reduce__(self) -> tuple[Callable[[str], types.ModuleType], tuple[str]]:
        # Pickled by name, as pickle and cloudpickle treat plain modules: a closure that uses `sc` (a Dask or
        # Ray task, say) must travel, and picklers dispatch on the exact module type, which this is not.
        return importlib.import_module, (self.__name__,)


def attach(
    package: str, names: Mapping[str, str | None], public: list[str]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """The `__getattr__` and `__dir__` of package `package`, whose public names live where `names` says."""
    module = sys.modules[package]
    namespace = module.__dict__

    def lookup(name: str) -> Any:
        if name not in names:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        source = names[name]
        value = importlib.import_module(f".{name}" if source is None else source, package)
        if source is not None:
            value = getattr(value, name)
        namespace[name] = value  # later lookups are plain attribute reads
        return value

    def listing() -> list[str]:
        return sorted(set(namespace) | set(public))

    namespace["_lazy_names"] = names
    module.__class__ = _LazyPackage
    return lookup, listing

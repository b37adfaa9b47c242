"""Lazy imports: `import scalecore` loads none of the heavy dependencies, and every public name still resolves
to the same object as before (scalecore._lazy). The time itself is a benches row (`python benches/run.py import`),
not a test."""

from __future__ import annotations

import ast
import importlib
import subprocess
import sys
from pathlib import Path

import pytest
import scalecore as sc

PACKAGE = Path(__file__).resolve().parents[1] / "python" / "scalecore"
LAZY_PACKAGES = ("scalecore", "scalecore.bounds", "scalecore.variance", "scalecore.compat", "scalecore.plot")
HEAVY = ("scipy", "pandas", "polars", "pyarrow", "matplotlib", "tqdm", "scalecore._reference")


def _run(code: str) -> str:
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


def _heavy_after(statement: str) -> list[str]:
    loaded = ast.literal_eval(_run(f"import sys\n{statement}\nprint(sorted(sys.modules))"))
    return [m for m in HEAVY if m in loaded]


@pytest.mark.parametrize(
    "statement",
    [
        "import scalecore",
        "import scalecore.bounds, scalecore.variance, scalecore.compat, scalecore.plot",
        "import scalecore as sc; sc.fit, sc.bootstrap, sc.allocate, sc.isoflop, sc.KDE, sc.Runs, sc.InvalidInputError",
    ],
)
def test_heavy_dependencies_load_only_when_used(statement: str) -> None:
    assert _heavy_after(statement) == []


def test_import_scalecore_imports_no_submodule_with_work_in_it() -> None:
    loaded = ast.literal_eval(_run("import sys, scalecore; print(sorted(m for m in sys.modules if 'scalecore' in m))"))
    assert loaded == ["scalecore", "scalecore._lazy"]


def _init(package: str) -> tuple[ast.Module, Path]:
    path = PACKAGE.parent.joinpath(*package.split("."), "__init__.py")
    return ast.parse(path.read_text()), path


def _type_checking_names(tree: ast.Module) -> dict[str, str]:
    """name -> the module the TYPE_CHECKING block imports it from (relative, as written)."""
    block = next(n for n in tree.body if isinstance(n, ast.If) and ast.unparse(n.test) == "TYPE_CHECKING")
    names: dict[str, str] = {}
    for node in block.body:
        assert isinstance(node, ast.ImportFrom)
        for alias in node.names:
            names[alias.name] = "." * node.level + (node.module or "")
    return names


@pytest.mark.parametrize("package", LAZY_PACKAGES)
def test_lazy_table_type_checking_block_and_all_agree(package: str) -> None:
    """A name added to one of the three places and not the others fails here, not in a user's session."""
    module = importlib.import_module(package)
    tree, path = _init(package)
    declared = _type_checking_names(tree)
    lazy = module._LAZY
    assert sorted(lazy) == sorted(module.__all__), path
    assert sorted(declared) == sorted(lazy), path
    for name, source in lazy.items():
        # `from . import bounds` declares a submodule: its table entry is None.
        expected = None if declared[name] == "." else declared[name]
        assert source == expected, (path, name)


@pytest.mark.parametrize("package", LAZY_PACKAGES)
def test_every_public_name_resolves_and_is_listed(package: str) -> None:
    module = importlib.import_module(package)
    for name in module.__all__:
        assert getattr(module, name) is not None
        assert name in dir(module)
    with pytest.raises(AttributeError, match="no_such_name"):
        _ = module.no_such_name


def test_public_functions_keep_the_names_of_their_submodules() -> None:
    """`sc.fit` is the function even when the submodule `scalecore.fit` was loaded first, by any route."""
    code = (
        "import scalecore as sc, scalecore.fit, scalecore.isoflop, scalecore.compat\n"
        "sc.FitResult, sc.BootstrapResult, sc.compat.BootstrapResult, sc.posterior\n"
        "import scalecore.bootstrap, scalecore.compat.gaussian_kde\n"
        "names = [sc.fit, sc.isoflop, sc.bootstrap, sc.backtest, sc.posterior, sc.inductive_bias,\n"
        "         sc.compat.bootstrap, sc.compat.gaussian_kde]\n"
        "print(all(callable(f) and not isinstance(f, type(sc)) for f in names))"
    )
    assert _run(code) == "True"
    assert sc.fit.__module__ == "scalecore.fit"
    assert sys.modules["scalecore.fit"].fit is sc.fit


def test_names_are_the_objects_their_modules_define() -> None:
    from scalecore.bounds.shapes import PowerLaw
    from scalecore.errors import InvalidInputError
    from scalecore.fit import FitResult

    assert sc.FitResult is FitResult
    assert sc.InvalidInputError is InvalidInputError
    assert sc.bounds.PowerLaw is PowerLaw
    assert issubclass(sc.InvalidInputError, ValueError)


@pytest.mark.parametrize("package", ["scalecore", "scalecore.bounds", "scalecore.compat"])
def test_lazy_packages_pickle_by_name(package: str) -> None:
    # A Dask or Ray task that uses `sc` in a closure ships the module: it must pickle as the plain module would.
    import pickle

    cloudpickle = pytest.importorskip("cloudpickle")
    module = importlib.import_module(package)
    assert pickle.loads(pickle.dumps(module)) is module
    task = cloudpickle.loads(cloudpickle.dumps(lambda: sc.KDE([0.0, 1.0, 2.5]).pdf(1.0)))
    assert float(task()) > 0

"""Docs that run: every Python block of README.md and docs/*.md runs, in order, one namespace per page, and every
`$ scalecore ...` line of a console block exits 0. Unlabelled fences hold formulas, not code, and are skipped.

Blocks run in a fresh working directory (figures they save land there) with matplotlib's file-only backend.
"""

from __future__ import annotations

import os
import re
import shlex
import warnings
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
FENCE = re.compile(r"^```(\w*)[^\n]*\n(.*?)^```", re.S | re.M)


def blocks(page: Path, kinds: tuple[str, ...]) -> list[tuple[int, str]]:
    """(line number, code) of each fenced block of the given kinds."""
    text = page.read_text()
    return [(text[: m.start()].count("\n") + 1, m.group(2)) for m in FENCE.finditer(text) if m.group(1) in kinds]


@pytest.mark.parametrize("page", [p for p in PAGES if blocks(p, ("python",))], ids=lambda p: p.name)
def test_python_blocks_run(page: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("matplotlib").use("Agg")
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, object] = {"__name__": "__docs__"}
    for line, code in blocks(page, ("python",)):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the examples show answers; the warnings are documented elsewhere
            try:
                exec(compile(code, f"{page.name}:{line}", "exec"), namespace)  # our own docs
            except Exception as exc:
                pytest.fail(f"{page.name}, block at line {line}: {type(exc).__name__}: {exc}")


COMMANDS = [
    (page, line, cmd)
    for page in PAGES
    for line, code in blocks(page, ("console", "sh", "shell", "bash"))
    for cmd in (c[2:] for c in code.splitlines() if c.startswith("$ scalecore "))
]


_PREPARED: dict[Path, Path] = {}


def _prepared(page: Path, factory: pytest.TempPathFactory) -> Path:
    """A directory holding the files the page's Python blocks write (e.g. runs.csv), made once per page."""
    if page not in _PREPARED:
        where = factory.mktemp(page.stem)
        namespace: dict[str, object] = {"__name__": "__docs__"}
        cwd = Path.cwd()
        os.chdir(where)
        try:
            for _, code in blocks(page, ("python",)):
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    exec(compile(code, page.name, "exec"), namespace)  # our own docs
        finally:
            os.chdir(cwd)
        _PREPARED[page] = where
    return _PREPARED[page]


@pytest.mark.parametrize(("page", "line", "command"), COMMANDS, ids=[f"{p.name}:{n}" for p, n, _ in COMMANDS])
def test_documented_commands_run(
    page: Path, line: int, command: str, tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    from scalecore.cli import main

    pytest.importorskip("matplotlib").use("Agg")
    monkeypatch.chdir(_prepared(page, tmp_path_factory))
    argv = shlex.split(command)[1:]
    assert main(argv) == 0, f"{page.name}:{line}: {command}"

"""`scalecore backtest` and `scalecore suggest`: the same answers as `sc.backtest`, `sc.backtest_table` and
`sc.suggest_runs`, as an aligned table or JSON, a backtest figure with --plot, and one-line errors (exit 2)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import scalecore as sc
from scalecore.cli import main

# The compute column too: the runs of a budget share it, and 6 N D recomputed from N and D would break the
# ties between them (which held-out run is "the largest") differently from the library's runs.
MAPPING = ["--N", "params", "--D", "tokens", "--C", "compute", "--loss", "val_loss"]


@pytest.fixture(scope="module")
def sweep() -> sc.Runs:
    return sc.datasets.chinchilla_sweep(seed=3)


@pytest.fixture
def runs_csv(tmp_path: Path, sweep: sc.Runs) -> Path:
    rows = ["params,tokens,compute,val_loss"] + [
        f"{float(n)!r},{float(d)!r},{float(c)!r},{float(lo)!r}"
        for n, d, c, lo in zip(sweep.N, sweep.D, sweep.C, sweep.loss, strict=True)
    ]
    path = tmp_path / "runs.csv"
    path.write_text("\n".join(rows) + "\n")
    return path


def test_backtest_json_equals_the_library(runs_csv: Path, sweep: sc.Runs, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["backtest", str(runs_csv), *MAPPING, "--holdout", "0.3", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    ref = sc.backtest(sweep, "chinchilla", holdout=0.3)
    fold = ref.folds[-1]
    assert out["law"] == "chinchilla" and out["split"] == ref.split
    assert out["folds"][0]["heldout"] == fold.heldout.tolist()
    np.testing.assert_allclose(out["folds"][0]["predicted"], fold.predicted, rtol=1e-12)
    for name in ("mean_abs_relative_error", "rms_log_error", "largest_relative_error"):
        assert out["scores"][name] == pytest.approx(ref.score(name), rel=1e-12)


def test_backtest_table_with_intervals_and_several_cuts(
    runs_csv: Path, sweep: sc.Runs, capsys: pytest.CaptureFixture[str]
) -> None:
    cuts = np.unique(sweep.C)[[-4, -3]]
    argv = ["backtest", str(runs_csv), *MAPPING, "--cut", *(f"{float(c)!r}" for c in cuts), "--resamples", "40"]
    assert main(argv) == 0
    text = capsys.readouterr().out
    lines = text.splitlines()
    assert "2 fold(s)" in lines[0]
    header = next(i for i, line in enumerate(lines) if line.startswith("cut"))
    assert len(lines[header + 1].split()) == 3 + 4  # dashes under cut, n fit, n held out and the four scores
    assert text.count("[") >= 2 * 3  # intervals of three scores in each fold
    assert "held-out run" in text


def test_backtest_ranks_several_laws(runs_csv: Path, sweep: sc.Runs, capsys: pytest.CaptureFixture[str]) -> None:
    laws = ["chinchilla", "kaplan"]
    assert main(["backtest", str(runs_csv), *MAPPING, "--law", *laws, "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    ranked = sc.backtest_table(sweep, laws)
    assert [r["law"] for r in out["results"]] == [r.law for r in ranked.results]
    assert main(["backtest", str(runs_csv), *MAPPING, "--law", *laws]) == 0
    text = capsys.readouterr().out
    assert "ranked by rms_log_error" in text
    assert "chinchilla (huber_log)" in text and "kaplan (huber_log)" in text


def test_backtest_plot(runs_csv: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    image = pytest.importorskip("matplotlib.image")
    png = tmp_path / "backtest.png"
    assert main(["backtest", str(runs_csv), *MAPPING, "--resamples", "30", "--plot", str(png)]) == 0
    assert f"figure written to {png}" in capsys.readouterr().out
    img = image.imread(str(png))
    assert img.shape[0] > 200 and img.shape[1] > 200 and float(np.std(img[..., :3])) > 0.02


def test_suggest_from_a_grid_equals_the_library(
    runs_csv: Path, sweep: sc.Runs, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["suggest", str(runs_csv), *MAPPING, "--grid", "1e8", "3e10", "1e21", "3e22", "--budget", "5e22"]
    assert main([*argv, "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    n, c = np.meshgrid(np.geomspace(1e8, 3e10, 14), np.geomspace(1e21, 3e22, 6))
    grid = {"N": n.ravel(), "D": c.ravel() / (6 * n.ravel())}
    ref = sc.suggest_runs(sc.fit(sweep), grid, budget=5e22, k=5)
    assert out["runs"]["candidate"] == ref.index.tolist()
    assert out["interval_after"] == pytest.approx(list(ref.interval_after), rel=1e-12)
    assert sum(out["runs"]["compute"]) <= 5e22 * (1 + 1e-12)
    assert main(argv) == 0
    text = capsys.readouterr().out
    assert "N_opt at 1e+24 FLOPs" in text and "after these runs" in text


def test_suggest_from_a_candidates_file_with_a_bootstrap_check(
    runs_csv: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cand = tmp_path / "cand.csv"
    n = np.geomspace(1e8, 1e10, 8)
    cand.write_text("params,tokens\n" + "".join(f"{float(a)!r},{float(20 * a)!r}\n" for a in n))
    argv = ["suggest", str(runs_csv), *MAPPING, "--candidates", str(cand), "--k", "2", "--resamples", "30", "--json"]
    assert main(argv) == 0
    out = json.loads(capsys.readouterr().out)
    assert len(out["runs"]["N"]) == 2 and set(out["runs"]["N"]) <= set(n.tolist())
    lo, hi = out["interval_bootstrap"]
    assert lo < out["value"] < hi


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["backtest", "{csv}", *MAPPING, "--split", "Q"], "split: the runs have no column 'Q'"),
        (["backtest", "{csv}", *MAPPING, "--cut", "1"], "split: the fold at cut 1"),
        (["backtest", "{csv}", *MAPPING, "--holdout", "2"], "holdout:"),
        (["backtest", "{dir}/missing.csv"], "no such file"),
        (["suggest", "{csv}", *MAPPING, "--grid", "1e8", "3e10", "1e21", "3e22", "--budget", "1"], "budget:"),
        (["suggest", "{csv}", *MAPPING, "--grid", "-1", "3e10", "1e21", "3e22"], "--grid:"),
        (["suggest", "{csv}", *MAPPING, "--candidates", "{dir}/sizes.csv"], "column 'params' not found in"),
        (["suggest", "{csv}", *MAPPING, "--grid", "1e8", "3e10", "1e21", "3e22", "--target", "nope"], 'unknown "nope"'),
    ],
)
def test_errors_are_one_line_with_status_2(
    argv: list[str], message: str, runs_csv: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "sizes.csv").write_text("n,d\n1e9,2e10\n")
    assert main([a.format(csv=runs_csv, dir=tmp_path) for a in argv]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err, err
    assert len(err.splitlines()) == 1 and err.startswith("scalecore: error: ")

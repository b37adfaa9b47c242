"""The command line: `scalecore demo` on the embedded sweep and on a user's CSV; `scalecore fit`."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import scalecore as sc
from scalecore.cli import main


def test_demo_prints_parameters_and_an_allocation_table(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo"]) == 0
    out = capsys.readouterr().out
    for word in ("alpha", "beta", "N_opt", "1e+21", "1e+25", "converged", "95 % percentile intervals"):
        assert word in out


def test_demo_recovers_the_law_it_was_simulated_from() -> None:
    """The embedded sweep is simulated from Hoffmann et al.'s law with 1 % noise: the fitted allocation
    exponent a = beta / (alpha + beta) and the predicted losses must be within that noise of the truth."""
    truth = sc.datasets.HOFFMANN_PARAMS
    runs = sc.datasets.chinchilla_sweep(0)
    fit = sc.fit(runs)
    clean = sc.laws.get("chinchilla").predict(truth, N=runs.N, D=runs.D)
    assert np.sqrt(np.mean(np.log(fit.predict(runs) / clean) ** 2)) < 0.005
    a_true = truth["beta"] / (truth["alpha"] + truth["beta"])
    a_fit = fit.params["beta"] / (fit.params["alpha"] + fit.params["beta"])
    assert abs(a_fit - a_true) < 0.03
    alloc_fit, alloc_true = fit.allocate([1e20]), sc.allocate(truth, compute=[1e20])
    assert alloc_fit.N[0] == pytest.approx(alloc_true.N[0], rel=0.2)


def test_demo_and_fit_on_a_users_csv(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    runs = sc.datasets.chinchilla_sweep(3)
    path = tmp_path / "runs.csv"
    table = zip(runs.N.tolist(), runs.D.tolist(), runs.loss.tolist())
    rows = ["params,tokens,loss"] + [f"{n!r},{d!r},{lo!r}" for n, d, lo in table]
    path.write_text("\n".join(rows) + "\n")
    assert main(["demo", "--data", str(path), "--N", "params", "--D", "tokens"]) == 0
    assert "alpha" in capsys.readouterr().out
    assert main(["fit", str(path), "--N", "params", "--D", "tokens", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["law"] == "chinchilla" and result["converged"]


def test_errors_are_reported_without_a_traceback(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["fit", str(tmp_path / "absent.csv")]) == 2
    assert "error" in capsys.readouterr().err


def test_console_script_is_installed() -> None:
    out = subprocess.run([sys.executable, "-m", "scalecore.cli", "--version"], capture_output=True, text=True)
    assert out.returncode == 0 and "scalecore" in out.stdout


def test_allocate_command_from_parameters(capsys: pytest.CaptureFixture[str]) -> None:
    params = json.dumps(sc.datasets.HOFFMANN_PARAMS)
    assert main(["allocate", "--params", params, "--compute", "5.76e23", "1e24", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    np.testing.assert_allclose(out["N"], [4.0361e10, 5.1920e10], rtol=5e-5)
    assert main(["allocate", "--params", "{not json", "--compute", "1e24"]) == 2


def test_kde_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "scores.csv"
    values = np.random.default_rng(0).normal(size=500)
    path.write_text("score\n" + "\n".join(repr(float(v)) for v in values) + "\n")
    assert main(["kde", str(path), "--column", "score"]) == 0
    assert "highest-density interval" in capsys.readouterr().out
    assert main(["kde", str(path), "--column", "absent"]) == 2

"""The command line: every subcommand on CSV and Parquet input with a column mapping, aligned tables, --json,
--plot, and one-line errors with a non-zero exit status."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import scalecore as sc
from scalecore.cli import main

HOFFMANN = sc.datasets.HOFFMANN_PARAMS


def _write_runs(path: Path, seed: int = 3) -> Path:
    runs = sc.datasets.chinchilla_sweep(seed)
    rows = ["params,tokens,val_loss"] + [
        f"{float(n)!r},{float(d)!r},{float(lo)!r}" for n, d, lo in zip(runs.N, runs.D, runs.loss, strict=True)
    ]
    path.write_text("\n".join(rows) + "\n")
    return path


@pytest.fixture
def runs_csv(tmp_path: Path) -> Path:
    return _write_runs(tmp_path / "runs.csv")


MAPPING = ["--N", "params", "--D", "tokens", "--loss", "val_loss"]


def _png_ok(path: Path) -> None:
    """A real PNG of a real size that is not one flat colour."""
    plt_image = pytest.importorskip("matplotlib.image")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    img = plt_image.imread(str(path))
    assert img.shape[0] > 200 and img.shape[1] > 200
    assert float(np.std(img[..., :3])) > 0.02


def test_fit_with_bootstrap_as_json_table_and_plot(runs_csv: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["fit", str(runs_csv), "--law", "chinchilla", *MAPPING, "--bootstrap", "200"]
    assert main([*args, "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert set(out["params"]) == {"E", "A", "B", "alpha", "beta"}
    assert out["diagnostics"]["converged"] and out["diagnostics"]["n_runs"] == 90
    assert out["bootstrap"]["n_resamples"] == 200
    for name, (lo, hi) in out["intervals"].items():
        est = out["params"].get(name)
        assert lo < hi and (est is None or lo <= est <= hi)
    # The same intervals as the library gives.
    boot = sc.bootstrap(sc.Runs.from_csv(runs_csv, N="params", D="tokens", loss="val_loss"), n_resamples=200, seed=0)
    assert out["intervals"]["alpha"] == list(boot.ci("alpha"))

    assert main(args) == 0
    text = capsys.readouterr().out
    lines = text.splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("quantity"))
    assert set(lines[header + 1].replace(" ", "")) == {"-"}
    widths = {len(line) for line in lines[header : header + 6]}
    assert len(widths) <= 2  # aligned: rows as wide as the header (trailing blanks stripped)
    assert "alpha" in text and "95% percentile intervals" in text


def test_fit_plot_writes_a_real_png(runs_csv: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("matplotlib")
    png = tmp_path / "fit.png"
    assert main(["fit", str(runs_csv), *MAPPING, "--bootstrap", "50", "--plot", str(png)]) == 0
    assert f"figure written to {png}" in capsys.readouterr().out
    _png_ok(png)


def test_parquet_input(runs_csv: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pd = pytest.importorskip("pandas")
    pytest.importorskip("pyarrow")
    path = tmp_path / "runs.parquet"
    pd.read_csv(runs_csv).to_parquet(path)
    assert main(["fit", str(path), *MAPPING, "--json"]) == 0
    from_parquet = json.loads(capsys.readouterr().out)
    assert main(["fit", str(runs_csv), *MAPPING, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["params"] == from_parquet["params"]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["fit", "{dir}/absent.csv"], "no such file"),
        (["fit", "{csv}", "--N", "nope", "--D", "tokens", "--loss", "val_loss"], "its columns are ['params', 'tokens'"),
        (["fit", "{csv}", "--N", "params", "--D", "tokens"], "name it with --loss"),
        (["fit", "{dir}/ragged.csv"], "data row 2 has 2 fields, the header has 3"),
        (["fit", "{dir}/empty.csv"], "is empty"),
        (["fit", "{dir}/bad.parquet"], "cannot read"),
        (["allocate", "--params", "{{not json", "--compute", "1e24"], "not valid JSON"),
        (["bound", "inverse_linear", "--params", '{{"a": 1, "c": 2}}', "--compute", "1e6"], "unknown constants ['c']"),
        (["kde", "{csv}", "--column", "absent"], "column 'absent' not found"),
        (["fit", "{csv}", *MAPPING, "--plot", "{dir}/no/such/dir/x.png"], "cannot write"),
    ],
)
def test_errors_are_one_line_with_a_nonzero_status(
    argv: list[str], message: str, runs_csv: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "ragged.csv").write_text("N,D,loss\n1e8,1e9,3.0\n1e8,1e9\n")
    (tmp_path / "empty.csv").write_text("")
    (tmp_path / "bad.parquet").write_text("not parquet at all")
    argv = [a.format(dir=tmp_path, csv=runs_csv) for a in argv]
    if "--plot" in argv:
        pytest.importorskip("matplotlib")
    assert main(argv) == 2
    captured = capsys.readouterr()
    err = captured.err.strip()
    assert message in err, err
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    assert err.startswith("scalecore: error: ")


def test_bootstrap_command_with_corner_plot(runs_csv: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bootstrap", str(runs_csv), *MAPPING, "--resamples", "60", "--method", "bca", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["bootstrap"]["method"] == "bca" and set(out["intervals"]) >= {"alpha", "beta", "a"}
    pytest.importorskip("matplotlib")
    png = tmp_path / "corner.png"
    assert main(["bootstrap", str(runs_csv), *MAPPING, "--resamples", "60", "--plot", str(png)]) == 0
    _png_ok(png)


def test_allocate_from_parameters_and_from_runs(
    runs_csv: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    params = json.dumps(HOFFMANN)
    assert main(["allocate", "--params", params, "--compute", "5.76e23", "1e24", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    np.testing.assert_allclose(out["N"], [4.0361e10, 5.1920e10], rtol=5e-5)
    assert main(["allocate", "--fit", str(runs_csv), *MAPPING, "--compute", "1e21", "1e22", "--bootstrap", "40"]) == 0
    text = capsys.readouterr().out
    assert "N interval" in text and "1e+21" in text
    pytest.importorskip("matplotlib")
    png = tmp_path / "frontier.png"
    assert main(["allocate", "--params", params, "--compute", "1e20", "1e22", "1e24", "--plot", str(png)]) == 0
    _png_ok(png)


def test_isoflop_and_frontier_commands(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    p = HOFFMANN
    rows = ["N,C,loss"]
    for c in np.geomspace(1e18, 1e21, 5):
        n_opt = float(sc.allocate(p, compute=c).N)
        for n in n_opt * np.geomspace(0.2, 5, 9):
            d = c / (6 * n)
            rows.append(
                f"{float(n)!r},{float(c)!r},{float(p['E'] + p['A'] / n ** p['alpha'] + p['B'] / d ** p['beta'])!r}"
            )
    path = tmp_path / "sweep.csv"
    path.write_text("\n".join(rows) + "\n")
    assert main(["isoflop", str(path), "--json", "--resamples", "20"]) == 0
    out = json.loads(capsys.readouterr().out)
    a_true = p["beta"] / (p["alpha"] + p["beta"])
    assert out["exponent"] == pytest.approx(a_true, abs=0.01)
    assert len(out["C"]) == 5 and out["dropped"] == []
    assert main(["isoflop", str(path)]) == 0
    assert "N_opt = " in capsys.readouterr().out
    # Training curves: 6 model sizes, 30 token counts each.
    N, D = np.meshgrid(np.geomspace(1e7, 1e10, 6), np.geomspace(1e8, 1e12, 30), indexing="ij")
    loss = p["E"] + p["A"] / N ** p["alpha"] + p["B"] / D ** p["beta"]
    curves = tmp_path / "curves.csv"
    lines = [
        f"{float(n)!r},{float(d)!r},{float(v)!r}" for n, d, v in zip(N.ravel(), D.ravel(), loss.ravel(), strict=True)
    ]
    curves.write_text("N,D,loss\n" + "\n".join(lines) + "\n")
    assert main(["frontier", str(curves), "--points", "30", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert len(out["C"]) == 30 and 0.3 < out["exponent"] < 0.7
    assert main(["frontier", str(curves)]) == 0
    assert "N on the frontier" in capsys.readouterr().out


def test_kde_and_bound_commands(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "scores.csv"
    values = np.random.default_rng(0).normal(size=500)
    path.write_text("score\n" + "\n".join(repr(float(v)) for v in values) + "\n")
    assert main(["kde", str(path), "--column", "score"]) == 0
    assert "highest-density interval" in capsys.readouterr().out
    assert main(["kde", str(path), "--column", "score", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["n"] == 500 and abs(out["quantiles"]["0.5"] - float(np.median(values))) < 0.1
    assert main(["bound", "inverse_linear", "--params", '{"a": 1, "b": 4}', "--compute", "1e6", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["p"] == [pytest.approx(500.0)] and out["tokens_per_param"] == [pytest.approx(4.0)]
    assert main(["bound", "inverse_linear", "--params", '{"a": 1, "b": 4}', "--p", "10", "--T", "100", "1000"]) == 0
    assert "misspecification" in capsys.readouterr().out


def test_report_command_in_markdown_and_json(runs_csv: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["report", str(runs_csv), *MAPPING, "--flops", "6ND", "--parameters", "non-embedding"]) == 0
    md = capsys.readouterr().out
    for section in (
        "## Data",
        "## Parameter and FLOP accounting",
        "## Convergence and identifiability",
        "## Intervals",
    ):
        assert section in md
    assert "6ND" in md and "non-embedding" in md
    assert main(["report", str(runs_csv), *MAPPING, "--bootstrap", "30", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["Data"]["runs fitted"] == 90 and "alpha interval" in out["Intervals"]


def test_demo_is_a_short_tour(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["demo", "--bootstrap", "100"]) == 0
    out = capsys.readouterr().out
    for word in ("alpha", "beta", "N_opt", "N interval", "1e+21", "1e+25", "converged", "95% percentile intervals"):
        assert word in out
    if "figure written to" in out:
        _png_ok(tmp_path / "scalecore-demo.png")


def test_demo_on_a_users_csv(
    runs_csv: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["demo", "--data", str(runs_csv), *MAPPING, "--bootstrap", "0", "--plot", ""]) == 0
    out = capsys.readouterr().out
    assert "alpha" in out and "figure" not in out


def test_demo_recovers_the_law_it_was_simulated_from() -> None:
    """The embedded sweep is simulated from Hoffmann et al.'s law with 1 % noise: the fitted allocation
    exponent a = beta / (alpha + beta) and the predicted losses must be within that noise of the truth."""
    runs = sc.datasets.chinchilla_sweep(0)
    fit = sc.fit(runs)
    clean = sc.laws.get("chinchilla").predict(HOFFMANN, N=runs.N, D=runs.D)
    assert np.sqrt(np.mean(np.log(fit.predict(runs) / clean) ** 2)) < 0.005
    a_true = HOFFMANN["beta"] / (HOFFMANN["alpha"] + HOFFMANN["beta"])
    a_fit = fit.params["beta"] / (fit.params["alpha"] + fit.params["beta"])
    assert abs(a_fit - a_true) < 0.03
    alloc_fit, alloc_true = fit.allocate([1e20]), sc.allocate(HOFFMANN, compute=[1e20])
    assert alloc_fit.N[0] == pytest.approx(alloc_true.N[0], rel=0.2)


def test_console_script_and_module_entry_points() -> None:
    out = subprocess.run([sys.executable, "-m", "scalecore.cli", "--version"], capture_output=True, text=True)
    assert out.returncode == 0 and "scalecore" in out.stdout
    bad = subprocess.run([sys.executable, "-m", "scalecore.cli", "fit", "absent.csv"], capture_output=True, text=True)
    assert bad.returncode == 2 and bad.stderr.strip() == "scalecore: error: file: no such file 'absent.csv'"

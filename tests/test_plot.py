"""scalecore.plot: every figure renders to a real, non-blank PNG of the promised size, draws what the
results say (curves, minima, allocations read back from the artists), and bad input is refused by name."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

mpl = pytest.importorskip("matplotlib")
mpl.use("Agg")  # the docs example draws through pyplot; never open a window in the tests

import matplotlib.image  # noqa: E402
import scalecore as sc  # noqa: E402
from matplotlib.collections import PathCollection, PolyCollection  # noqa: E402
from scalecore import plot  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def sweep() -> sc.Runs:
    return sc.datasets.chinchilla_sweep(seed=0)


@pytest.fixture(scope="module")
def fitted(sweep: sc.Runs) -> sc.FitResult:
    return sc.fit(sweep, law="chinchilla")


@pytest.fixture(scope="module")
def boot(sweep: sc.Runs) -> sc.BootstrapResult:
    return sc.bootstrap(sweep, law="chinchilla", n_resamples=60, seed=0, progress=False)


@pytest.fixture(scope="module")
def power_runs() -> sc.Runs:
    rng = np.random.default_rng(0)
    x = np.geomspace(1e3, 1e6, 30)
    return sc.Runs(x=x, loss=(2.0 + 50.0 * x**-0.4) * np.exp(0.01 * rng.standard_normal(30)))


@pytest.fixture(scope="module")
def iso(sweep: sc.Runs) -> sc.IsoflopResult:
    return sc.isoflop(sweep, n_resamples=40, seed=0)


def render(fig, path: Path, dpi: int = 50) -> np.ndarray:
    """Save as PNG, read it back, check its pixel size and that it is not blank."""
    fig.savefig(path, dpi=dpi)
    img = matplotlib.image.imread(path)
    width, height = fig.get_size_inches() * dpi
    assert img.shape[:2] == (round(height), round(width))
    rgb = img[..., :3]
    ink = np.any(rgb < 0.9, axis=-1).mean()  # share of pixels that are not (near) white
    assert ink > 0.03, f"the figure is almost blank ({ink:.1%} ink)"
    assert len(np.unique(rgb.reshape(-1, 3), axis=0)) > 20  # lines, markers and text, not one flat colour
    return img


def scatter_offsets(ax) -> list[np.ndarray]:
    return [np.asarray(c.get_offsets()) for c in ax.collections if isinstance(c, PathCollection)]


# --- fit ----------------------------------------------------------------------------------------------


def test_fit_draws_one_curve_per_budget_through_the_law(tmp_path, sweep, fitted):
    fig = plot.fit(fitted, sweep)
    render(fig, tmp_path / "fit.png")
    ax = fig.axes[0]
    budgets = np.unique(sweep.C)
    lines = ax.get_lines()
    assert len(lines) == len(budgets)
    for line in lines:
        n, y = (np.asarray(v) for v in line.get_data())
        # Each curve is the law at one compute budget: D = C / (6 N) along it.
        errors = [np.max(np.abs(y - fitted.predict(N=n, D=c / (6 * n)))) for c in budgets]
        assert min(errors) < 1e-12
    assert ax.get_xscale() == "log"
    assert "parameters" in ax.get_xlabel()
    assert ax.get_ylabel() == "loss"
    (points,) = scatter_offsets(ax)
    np.testing.assert_array_equal(points, np.column_stack([sweep.N, sweep.loss]))


def test_fit_bands_hold_the_bootstrap_spread(tmp_path, sweep, fitted, boot):
    fig = plot.fit(fitted, sweep, boot)
    render(fig, tmp_path / "fit_boot.png")
    ax = fig.axes[0]
    bands = [c for c in ax.collections if isinstance(c, PolyCollection)]
    assert len(bands) == len(ax.get_lines()) == 9
    widths = []
    for band, line in zip(bands, ax.get_lines()):
        verts = band.get_paths()[0].vertices
        n, y = (np.asarray(v) for v in line.get_data())
        lo = np.interp(n, verts[: len(n), 0], verts[: len(n), 1])
        hi = np.interp(n, verts[len(n) + 1 : 2 * len(n) + 1, 0][::-1], verts[len(n) + 1 : 2 * len(n) + 1, 1][::-1])
        assert np.mean((lo <= y) & (y <= hi)) > 0.9  # the full-data curve lies inside its band
        widths.append(np.median(hi - lo))
    assert min(widths) > 0
    # Passing the bootstrap alone draws the same figure (its fit and its band).
    again = plot.fit(boot, sweep)
    assert len([c for c in again.axes[0].collections if isinstance(c, PolyCollection)]) == 9


def test_fit_without_runs_spans_the_fitted_range(tmp_path, fitted):
    fig = plot.fit(fitted)
    render(fig, tmp_path / "fit_alone.png")
    lines = fig.axes[0].get_lines()
    assert len(lines) == 4
    lo, hi = fitted.input_ranges["N"]
    n = np.asarray(lines[0].get_xdata())
    assert lo / 2 < n[0] < lo and hi < n[-1] < 2 * hi  # a little beyond the fitted range on both sides


def test_fit_against_compute_and_one_dimensional_laws(tmp_path, sweep, fitted, power_runs):
    fig = plot.fit(fitted, sweep, x="C")  # model sizes are spread, so they are binned into curves
    render(fig, tmp_path / "fit_c.png")
    assert fig.axes[0].get_xlabel().startswith("training compute")
    assert len(fig.axes[0].get_lines()) == 5

    power = sc.fit(power_runs, law="power")
    fig = plot.fit(power, power_runs)
    render(fig, tmp_path / "fit_power.png")
    (line,) = fig.axes[0].get_lines()
    xs, ys = (np.asarray(v) for v in line.get_data())
    np.testing.assert_allclose(ys, power.predict(x=xs), rtol=1e-12)


def test_residuals_are_log_ratios_at_the_runs(tmp_path, sweep, fitted):
    fig = plot.residuals(fitted, sweep)
    render(fig, tmp_path / "residuals.png")
    (points,) = scatter_offsets(fig.axes[0])
    np.testing.assert_allclose(points[:, 0], sweep.N)
    np.testing.assert_allclose(points[:, 1], np.log(sweep.loss) - np.log(fitted.predict(sweep)), atol=1e-12)
    fig = plot.residuals(fitted, sweep, against="fitted")
    (points,) = scatter_offsets(fig.axes[0])
    np.testing.assert_allclose(points[:, 0], fitted.predict(sweep))


# --- isoflop and frontier -------------------------------------------------------------------------------


def test_isoflop_marks_each_minimum_and_the_power_law(tmp_path, sweep, iso):
    fig = plot.isoflop(iso, sweep)
    render(fig, tmp_path / "isoflop.png")
    left, right = fig.axes[:2]
    assert len(left.get_lines()) == len(iso.C) + 1  # one profile per budget and the path of the minima
    stars = scatter_offsets(left)[-2]
    np.testing.assert_allclose(stars, np.column_stack([iso.N_opt, iso.loss_opt]))
    fitted_line = next(ln for ln in right.get_lines() if len(ln.get_xdata()) == 100)
    c, n = (np.asarray(v) for v in fitted_line.get_data())
    np.testing.assert_allclose(n, iso.coefficient * c**iso.exponent, rtol=1e-12)
    assert any(isinstance(c, PolyCollection) for c in right.collections)  # the bootstrap band
    assert right.get_xscale() == right.get_yscale() == "log"


def test_isoflop_greys_runs_of_budgets_left_out(tmp_path, sweep, iso):
    extra = sc.Runs(N=[1e9, 2e9, 4e9], C=[1e23] * 3, loss=[2.1, 2.0, 2.05])
    both = sc.Runs(
        N=np.concatenate([sweep.N, extra.N]), C=np.concatenate([sweep.C, extra.C]), loss=[*sweep.loss, *extra.loss]
    )
    fig = plot.isoflop(iso, both)
    render(fig, tmp_path / "isoflop_dropped.png")
    grey = scatter_offsets(fig.axes[0])[0]
    np.testing.assert_array_equal(grey, np.column_stack([extra.N, extra.loss]))
    # Without runs only the minima are drawn.
    render(plot.isoflop(iso), tmp_path / "isoflop_minima.png")


def test_frontier_draws_the_allocation_and_its_intervals(tmp_path, fitted, boot):
    compute = np.geomspace(1e19, 2e21, 6)
    alloc = sc.allocate(fitted, compute=compute)
    fig = plot.frontier(alloc)
    render(fig, tmp_path / "frontier.png")
    n_line, d_line = fig.axes[0].get_lines()
    np.testing.assert_allclose(n_line.get_ydata(), alloc.N)
    np.testing.assert_allclose(d_line.get_ydata(), alloc.D)
    assert not any(isinstance(c, PolyCollection) for c in fig.axes[0].collections)

    with_ci = boot.allocate(compute=compute)
    fig = plot.frontier(with_ci)
    render(fig, tmp_path / "frontier_ci.png")
    bands = [c for c in fig.axes[0].collections if isinstance(c, PolyCollection)]
    assert len(bands) == 2
    lower = bands[0].get_paths()[0].vertices[1 : len(compute) + 1, 1]
    np.testing.assert_allclose(lower, with_ci.N_ci[:, 0])

    with pytest.warns(sc.ExtrapolationWarning):
        wide = sc.allocate(fitted, compute=[1e19, 1e25])
    fig = plot.frontier(wide)
    hollow = [o for o in scatter_offsets(fig.axes[0]) if len(o)]
    assert sum(len(o) for o in hollow) == 4


# --- bootstrap samples -----------------------------------------------------------------------------------


def test_densities_one_panel_per_parameter(tmp_path, boot):
    fig = plot.densities(boot)
    render(fig, tmp_path / "densities.png")
    panels = [ax for ax in fig.axes if ax.get_visible()]
    assert len(panels) == 5
    for ax, name in zip(panels, boot.samples):
        x, dens = (np.asarray(v) for v in ax.get_lines()[0].get_data())
        assert np.all(dens >= 0)
        # A density: it integrates to about one over its grid (per unit of the plotted coordinate).
        t = np.log(x) if ax.get_xscale() == "log" else x
        assert float(np.sum(0.5 * (dens[1:] + dens[:-1]) * np.diff(t))) == pytest.approx(1.0, abs=0.05)
        assert ax.get_lines()[1].get_xdata()[0] == pytest.approx(boot.fit.params[name])

    import matplotlib.pyplot as plt

    own, ax = plt.subplots()
    try:
        assert plot.densities(boot, "alpha", ax=ax) is own
    finally:
        plt.close(own)


def test_corner_lower_triangle(tmp_path, boot):
    fig = plot.corner(boot)
    render(fig, tmp_path / "corner.png")
    assert sum(ax.get_visible() for ax in fig.axes) == 15
    fig = plot.corner(boot, ["alpha", "beta"], max_points=10)
    render(fig, tmp_path / "corner2.png")
    pair = fig.axes[2]
    samples = scatter_offsets(pair)[0]
    assert len(samples) == 10
    assert set(samples[:, 0]) <= set(boot.samples["alpha"])


def test_drawing_into_axes_of_your_own(tmp_path, sweep, fitted, iso):
    from matplotlib.figure import Figure

    fig = Figure(layout="constrained")
    left, right = fig.subfigures(1, 2)
    # An axes in a subfigure: the function returns the root figure, the one to save.
    assert plot.residuals(fitted, sweep, ax=left.subplots()) is fig
    assert plot.isoflop(iso, sweep, axes=right.subplots(2, 1)) is fig
    render(fig, tmp_path / "composed.png")


# --- backtest -----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def backtested(sweep: sc.Runs) -> sc.BacktestResult:
    return sc.backtest(sweep, "chinchilla", holdout=0.3, n_resamples=30, seed=0)


def test_backtest_shows_fit_region_held_out_runs_and_predictions(tmp_path, sweep, backtested):
    fig = backtested.plot(sweep)
    render(fig, tmp_path / "backtest.png")
    ax = fig.axes[0]
    fold = backtested.folds[-1]
    points = {len(o): o for o in scatter_offsets(ax)}
    fitted_on = np.asarray(points[int(fold.train.sum())])
    np.testing.assert_allclose(np.sort(fitted_on[:, 1]), np.sort(sweep.loss[fold.train]))
    held = [o for o in scatter_offsets(ax) if len(o) == len(fold.heldout)]
    assert len(held) == 2  # the observations and the predictions
    ys = sorted((np.asarray(o)[:, 1] for o in held), key=lambda y: float(np.abs(y - fold.observed).max()))
    np.testing.assert_allclose(ys[0], fold.observed)
    np.testing.assert_allclose(ys[1], fold.predicted)
    np.testing.assert_allclose(np.asarray(held[0])[:, 0], sweep.C[fold.heldout])
    # The shaded fit region spans the compute of the runs fitted on.
    (span,) = [p for p in ax.patches if p.get_label() == "fit region"]
    x0, x1 = span.get_x(), span.get_x() + span.get_width()
    assert (x0, x1) == (pytest.approx(sweep.C[fold.train].min()), pytest.approx(sweep.C[fold.train].max()))
    # The band: each prediction's percentile interval over the refits, drawn as error bars around it.
    lo, hi = fold.predicted_interval
    assert np.all(lo <= fold.predicted * (1 + 1e-9)) and np.all(fold.predicted <= hi * (1 + 1e-9)) and np.all(lo < hi)
    bars = [c for c in ax.collections if type(c).__name__ == "LineCollection" and len(c.get_segments()) == len(lo)]
    ends = np.array([[s[:, 1].min(), s[:, 1].max()] for s in bars[-1].get_segments()])
    np.testing.assert_allclose(ends, np.column_stack([lo, hi]), rtol=1e-9)


def test_backtest_of_a_one_input_law_draws_the_curve_and_its_extrapolation(tmp_path, power_runs):
    res = sc.backtest(power_runs, "power", split="x", holdout=0.3)
    fig = plot.backtest(res, power_runs)
    render(fig, tmp_path / "backtest_power.png")
    solid, dashed = fig.axes[0].get_lines()[:2]
    assert solid.get_linestyle() == "-" and dashed.get_linestyle() == "--"
    cut = power_runs.x[res.folds[-1].train].max()
    assert solid.get_xdata().max() <= cut < dashed.get_xdata().min()
    np.testing.assert_allclose(dashed.get_ydata(), res.fit.predict(x=dashed.get_xdata()))
    assert fig.axes[0].get_xscale() == "log"


def test_backtest_bad_input(sweep, fitted, backtested):
    for call, arg in [
        (lambda: plot.backtest(fitted, sweep), "result"),
        (lambda: plot.backtest(backtested, sweep.subset(np.arange(10))), "runs"),
        (lambda: plot.backtest(backtested, sweep, x="Q"), "x"),
        (lambda: plot.backtest(backtested, sweep, ax=1), "ax"),
    ]:
        with pytest.raises(sc.InvalidInputError, match=rf"^{arg}:"):
            call()


# --- bad input ---------------------------------------------------------------------------------------


def test_bad_input_names_the_argument(sweep, fitted, boot, iso, power_runs):
    cases = [
        (lambda: plot.fit("fit"), "fit_result"),
        (lambda: plot.fit(fitted, runs=[1, 2]), "runs"),
        (lambda: plot.fit(fitted, runs={"params": [1e8], "loss": [3.0]}), "runs"),
        (lambda: plot.fit(fitted, sc.Runs(N=[1e8, 1e9], loss=[3.0, 2.9])), "runs"),
        (lambda: plot.fit(fitted, boot=fitted), "boot"),
        (lambda: plot.fit(fitted, x="Q"), "x"),
        (lambda: plot.fit(fitted, boot=boot, level=1.5), "level"),
        (lambda: plot.fit(fitted, ax="axes"), "ax"),
        (lambda: plot.fit(fitted, n_points=1), "n_points"),
        (lambda: plot.residuals(fitted, sweep, against="Q"), "against"),
        (lambda: plot.isoflop(fitted), "result"),
        (lambda: plot.isoflop(iso, axes=1), "axes"),
        (lambda: plot.isoflop(iso, axes=(plot.fit(fitted).axes[0], "right")), "axes"),
        (lambda: plot.frontier(fitted), "allocation"),
        (lambda: plot.densities(fitted), "boot"),
        (lambda: plot.densities(boot, ["alpha", "nope"]), "params"),
        (lambda: plot.densities(boot, ax=object()), "ax"),
        (lambda: plot.corner(boot, ["alpha"]), "params"),
        (lambda: plot.corner(boot, max_points=0), "max_points"),
    ]
    for call, arg in cases:
        with pytest.raises(sc.InvalidInputError, match=rf"^{arg}:"):
            call()
    other_law = sc.bootstrap(power_runs, "power", n_resamples=5, seed=0, progress=False)
    with pytest.raises(sc.InvalidInputError, match=r"^boot: is a bootstrap of the power law"):
        plot.fit(fitted, boot=other_law)


def test_without_matplotlib(monkeypatch, fitted):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(ImportError, match=re.escape("scalecore[plot]")):
        plot.fit(fitted)


def test_module_imports_without_loading_matplotlib():
    code = (
        "import sys; sys.modules['matplotlib'] = None\nimport scalecore.plot\nassert callable(scalecore.plot.corner)\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
    code = "import sys, scalecore.plot; assert 'matplotlib' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


# --- docs ----------------------------------------------------------------------------------------------


def test_docs_examples_run(tmp_path, monkeypatch):
    """Every Python block of docs/plot.md runs, in order, in one namespace (and writes its PNGs)."""
    text = (ROOT / "docs" / "plot.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    assert blocks
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, object] = {}
    for block in blocks:
        exec(compile(block, "docs/plot.md", "exec"), namespace)
    assert sorted(p.name for p in tmp_path.glob("*.png"))


def test_readme_figures_regenerate(tmp_path, monkeypatch):
    """`python docs/make_figures.py` writes the two README figures: real, small PNGs."""
    spec = importlib.util.spec_from_file_location("make_figures", ROOT / "docs" / "make_figures.py")
    assert spec is not None and spec.loader is not None
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    monkeypatch.setattr(script, "OUT", tmp_path)
    script.main()
    for name in ("fit.png", "isoflop.png"):
        path = tmp_path / name
        assert path.stat().st_size < 150 * 1024
        img = matplotlib.image.imread(path)[..., :3]
        assert img.shape[0] > 300 and img.shape[1] > 500
        assert np.any(img < 0.9, axis=-1).mean() > 0.05
        # The committed figure has the size the script makes (its pixels depend on the matplotlib and
        # FreeType versions, so they are not compared).
        assert matplotlib.image.imread(ROOT / "docs" / "img" / name).shape[:2] == img.shape[:2]

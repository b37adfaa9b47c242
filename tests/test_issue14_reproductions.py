"""Every reproduction in the "Why" of issue 14, each its own case, as the issue states it.

A case passes when the call returns a correct finite result (checked against a reference where one is
cheap: a log-sum-exp of the kernel terms, a grid minimisation of a bound, the exact sum of a law's
terms) or raises the documented error naming the argument. Calls that once aborted the interpreter or
hung run in a child process with a timeout, so a regression fails its case instead of the test run.
The interrupt-latency reproductions are timings, run by the harness of tests/test_interrupt_latency.py
(slow tests).
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import scalecore as sc
from scalecore.cli import main
from scipy.special import logsumexp

# --- calls that aborted the process or hung: each in a child process ----------------------------------

CHILD_SETUP = """
import os, sys, time, warnings
import numpy as np
import scalecore as sc
n = np.geomspace(1e7, 1e10, 9)
rows = [(a, c / (6 * a)) for c in (1e18, 1e19, 1e20) for a in n]
N, D = map(np.array, zip(*rows))
runs = sc.Runs(N=N, D=D, loss=1.69 + 406.4 / N**0.34 + 410.7 / D**0.28)

def refused(call, argument):
    try:
        call()
    except (sc.InvalidInputError, MemoryError) as e:
        assert argument in str(e), e
        print("REFUSED", type(e).__name__, e)
        return
    raise AssertionError("accepted")
"""

# (id, code run after CHILD_SETUP; it must exit 0 and print OK or REFUSED, timeout in seconds)
ISOLATED: list[tuple[str, str, float]] = [
    (
        "abort: bootstrap_statistic(n_resamples=10**12)",
        "refused(lambda: sc.bootstrap_statistic(np.arange(10.0), n_resamples=10**12), 'n_resamples')",
        120,
    ),
    (
        "abort: bootstrap(n_resamples=10**12)",
        "refused(lambda: sc.bootstrap(runs, n_resamples=10**12), 'n_resamples')",
        120,
    ),
    ("abort: isoflop(n_resamples=10**12)", "refused(lambda: sc.isoflop(runs, n_resamples=10**12), 'n_resamples')", 120),
    (
        "abort: linear_regression_information(n_mc=10**12)",
        "refused(lambda: sc.bounds.linear_regression_information(2, 10, 1, 1, n_mc=10**12), 'n_mc')",
        120,
    ),
    (
        "abort: linear_regression_information(T=10**12)",
        "refused(lambda: sc.bounds.linear_regression_information(2, 10**12, 1, 1), 'T')",
        120,
    ),
    (
        "abort: efficient_frontier(n_grid=10**10)",
        "refused(lambda: sc.efficient_frontier(runs, n_grid=10**10), 'n_grid')",
        120,
    ),
    (
        "hang: fit(n_threads=10000)",
        """
        t0 = time.monotonic()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            capped = sc.fit(runs, n_threads=10_000)
        assert any("n_threads" in str(w.message) for w in caught), [str(w.message) for w in caught]
        assert capped.params == sc.fit(runs).params
        print("OK", time.monotonic() - t0)
        """,
        60,
    ),
    (
        "hang: a pool per n_threads value (1..24)",
        """
        from scalecore._validation import max_threads
        warnings.simplefilter("ignore")
        for t in range(1, 25):
            sc.fit(runs, n_threads=t)
        threads = len(os.listdir("/proc/self/task"))
        # At most three pools of at most max_threads() workers, plus the interpreter's own threads.
        assert threads <= 3 * max_threads() + 8, threads
        print("OK", threads)
        """,
        120,
    ),
]


@pytest.mark.parametrize(("code", "timeout"), [pytest.param(c, t, id=i) for i, c, t in ISOLATED])
def test_isolated_reproduction(code: str, timeout: float) -> None:
    if "/proc/self/task" in code and not Path("/proc/self/task").exists():
        pytest.skip("counting threads needs /proc")
    script = CHILD_SETUP + textwrap.dedent(code)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=timeout)
    assert out.returncode == 0, f"exit {out.returncode}: {out.stderr[-3000:]}"
    assert out.stdout.startswith(("OK", "REFUSED")), out.stdout + out.stderr[-3000:]


# --- the rest, in this process ------------------------------------------------------------------------

REPRODUCTIONS: list[tuple[str, Callable[[], None]]] = []


def reproduction(name: str) -> Callable[[Callable[[], None]], Callable[[], None]]:
    def register(fn: Callable[[], None]) -> Callable[[], None]:
        REPRODUCTIONS.append((name, fn))
        return fn

    return register


X200 = np.random.default_rng(0).standard_normal(200)
X2D = np.random.default_rng(0).standard_normal((200, 2))
CHINCHILLA = {"E": 1.69, "A": 406.4, "B": 410.7, "alpha": 0.34, "beta": 0.28}
# Muennighoff et al.'s fitted data-constrained law (as in test_allocation).
DATABLATIONS = {
    "E": float(np.exp(0.6254804)),
    "A": float(np.exp(6.255414)),
    "B": float(np.exp(7.3049974)),
    "alpha": 0.3526596,
    "beta": 0.3526596,
    "R_N_star": 5.309743,
    "R_D_star": 15.387756,
}
RUNAWAY = {
    "N": [1025309, 1e6, 1e6, 1e6, 1e6, 1e6],
    "D": [1.4315e8, 1.9944e8, 1.3484e8, 1.3484e8, 1.3484e8, 1.3484e8],
    "loss": [2, 4, 4, 4, 4, 4],
}


def sweep() -> sc.Runs:
    n = np.geomspace(1e7, 1e10, 9)
    rows = [(a, c / (6 * a)) for c in (1e18, 1e19, 1e20) for a in n]
    N, D = map(np.array, zip(*rows, strict=True))
    return sc.Runs(N=N, D=D, loss=1.69 + 406.4 / N**0.34 + 410.7 / D**0.28)


def chinchilla_runs(n: int, seed: int = 0) -> sc.Runs:
    rng = np.random.default_rng(seed)
    N = 10 ** rng.uniform(7, 10, n)
    D = N * 10 ** rng.uniform(0.5, 2.5, n)
    loss = (1.69 + 406.4 / N**0.34 + 410.7 / D**0.28) * np.exp(0.01 * rng.standard_normal(n))
    return sc.Runs(N=N, D=D, loss=loss)


def gaussian_logpdf(x: np.ndarray, h: float, q: float) -> float:
    """log of (1/n) sum_i phi((q - x_i)/h)/h, by log-sum-exp (exact wherever it is finite)."""
    with np.errstate(over="ignore"):
        z = (q - x) / h
        return float(logsumexp(-0.5 * z * z) - np.log(x.size) - np.log(h) - 0.5 * np.log(2 * np.pi))


def quiet(fn: Callable[..., sc.FitResult], *args: object, **kwargs: object) -> sc.FitResult:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(*args, **kwargs)


def honest(res: sc.FitResult) -> bool:
    """What `converged` must imply: finite parameters (positive where the law keeps them positive), a
    finite prediction at every run and an objective that did not underflow."""
    law = sc.laws.get(res.law)
    values = np.array(list(res.params.values()))
    positive = all(res.params[p] > 0 for p, lg in zip(law.param_names, law.log_params, strict=True) if lg)
    return bool(np.isfinite(values).all() and positive and np.isfinite(res.objective) and res.objective >= 1e-300)


def refuses(argument: str, call: Callable[[], object]) -> None:
    with pytest.raises(sc.InvalidInputError, match=argument):
        call()


# Silent NaN / inf on finite input: kernel density estimates.


@reproduction("KDE(x).pdf/logpdf far out (1e154, 1e200, 1e308): 0 and the Gaussian tail")
def _() -> None:
    k = sc.KDE(X200)
    for q in (1e154, 1e200, 1e308):
        assert k.pdf([q])[0] == 0.0
        want = gaussian_logpdf(X200, k.bandwidth, q)
        got = k.logpdf([q])[0]
        # (q - x)^2 overflows at these distances: the log density is -inf (or below -1e300), never NaN.
        assert not np.isnan(got) and (got == want or got < -1e300), (q, got, want)


@reproduction("KDE(x, kernel='laplace') and method='binned' far out: 0, never NaN")
def _() -> None:
    for k in (sc.KDE(X200, kernel="laplace"), sc.KDE(X200, method="binned")):
        for q in (1e154, 1e200, 1e308):
            pdf, logpdf = k.pdf([q])[0], k.logpdf([q])[0]
            assert pdf == 0.0 and not np.isnan(logpdf) and logpdf < 0, (k, q, pdf, logpdf)


@reproduction("KDE(2-D).pdf far out: 0, never NaN")
def _() -> None:
    k = sc.KDE(X2D)
    for q in (1e154, 1e200, 1e308):
        pdf, logpdf = k.pdf([[q, q]])[0], k.logpdf([[q, q]])[0]
        assert pdf == 0.0 and not np.isnan(logpdf) and logpdf < 0, (q, pdf, logpdf)


@reproduction("KDE(x, bandwidth=1e-20).pdf([10.]) and .logpdf([10.]): 0 and the finite tail")
def _() -> None:
    k = sc.KDE(X200, bandwidth=1e-20)
    assert k.pdf([10.0])[0] == 0.0
    want = gaussian_logpdf(X200, 1e-20, 10.0)
    assert np.isfinite(want)
    np.testing.assert_allclose(k.logpdf([10.0])[0], want, rtol=1e-12)


@reproduction("KDE(x, bandwidth=1e-10).logpdf([10.]): the finite tail, not -inf")
def _() -> None:
    k = sc.KDE(X200, bandwidth=1e-10)
    np.testing.assert_allclose(k.logpdf([10.0])[0], gaussian_logpdf(X200, 1e-10, 10.0), rtol=1e-12)


@reproduction("KDE([1e-30, 0, 0, 0, 0]).logpdf([5, 1e-20]): finite, not [inf, -inf]")
def _() -> None:
    x = np.array([1e-30, 0, 0, 0, 0])
    k = sc.KDE(x)
    got = k.logpdf([5.0, 1e-20])
    want = [gaussian_logpdf(x, k.bandwidth, q) for q in (5.0, 1e-20)]
    assert np.isfinite(want).all()
    np.testing.assert_allclose(got, want, rtol=1e-9)


@reproduction("KDE(x, bandwidth=1e200): the density of so wide a kernel, not OverflowError")
def _() -> None:
    k = sc.KDE(X200, bandwidth=1e200)
    # Every sample sits within 1e-199 bandwidths of 0: the density there is phi(0) / h to rounding.
    np.testing.assert_allclose(k.pdf([0.0]), 1 / (1e200 * np.sqrt(2 * np.pi)), rtol=1e-12)
    np.testing.assert_allclose(k.logpdf([0.0]), gaussian_logpdf(X200, 1e200, 0.0), rtol=1e-12)


@reproduction("KDE(x).grid(10, cut=1e308): a finite grid and its density, not all NaN")
def _() -> None:
    k = sc.KDE(X200)
    xs, density = k.grid(10, cut=1e308)
    assert np.isfinite(xs).all() and (np.diff(xs) > 0).all(), xs
    np.testing.assert_array_equal(density, k.pdf(xs))


# Silent NaN / inf: law predictions.


@reproduction("chinchilla predict with E = 1e-308 and 1e-310: the exact sum, not 0 or NaN")
def _() -> None:
    law = sc.laws.get("chinchilla")
    N, D = np.array([1e8, 1e10]), np.array([1e9, 1e12])
    for E in (1e-308, 1e-310):
        got = law.predict({**CHINCHILLA, "E": E}, N=N, D=D)
        np.testing.assert_allclose(got, 406.4 / N**0.34 + 410.7 / D**0.28 + E, rtol=1e-13)


@pytest.mark.parametrize(
    ("law", "params"),
    [
        ("chinchilla", {**CHINCHILLA, "alpha": float("nan")}),
        ("chinchilla", {**CHINCHILLA, "E": float("inf")}),
        ("m4", {"eps_inf": 0.5, "eps_0": 0.4, "alpha": 1.0, "beta": 1.0, "c": -0.5}),
        ("m4", {"eps_inf": 0.5, "eps_0": 0.5, "alpha": 1.0, "beta": 1.0, "c": -0.5}),
        ("kaplan", {"N_c": 8.8e13, "D_c": 5.4e13, "alpha_N": 0.076, "alpha_D": 0.0}),
        ("chinchilla", {**CHINCHILLA, "alpha": "abc"}),
        ("chinchilla", {**CHINCHILLA, "alpha": None}),
    ],
    ids=["alpha nan", "E inf", "m4 eps_0 < eps_inf", "m4 eps_0 = eps_inf", "kaplan alpha_D 0", "str", "None"],
)
def test_predict_refuses_parameters_where_the_law_is_undefined(law: str, params: dict[str, object]) -> None:
    lw = sc.laws.get(law)
    cols = {name: np.array([1e8, 1e9]) for name in lw.inputs}
    refuses("params|alpha", lambda: lw.predict(params, **cols))


# Silent NaN / inf: bounds.


def teacher_reference(d: float, kappa: float, B: float, p: float, T: float) -> float:
    """min over eta of M + E (the FiniteTeacher docstring's formula) on a dense logarithmic grid of eta,
    with n = p/(d + 1) and kappa(n) given."""
    n = p / (d + 1)
    eta = np.geomspace(1e-320, 1e10, 400_001)
    misspecification = B * B / (8 * n) + B * B * eta / 4
    log_one_plus_inverse = np.log1p(eta) - np.log(eta)  # ln(1 + 1/eta) without overflowing 1/eta
    estimation = (kappa * ((d / 2) * log_one_plus_inverse + np.log(2 * np.e * n)) + np.log(n)) / T
    return float(np.min(misspecification + estimation))


@reproduction("bounds.allocate(InverseLog(1, 2, 0.5), [1e308]): the finite optimum, not NaN")
def _() -> None:
    out = sc.bounds.allocate(sc.bounds.InverseLog(1, 2, 0.5), [1e308])
    for field in ("p", "T", "value", "local_exponent"):
        assert np.isfinite(getattr(out, field)).all(), (field, getattr(out, field))
    # p T = C, and the first-order condition p^2 (b0 + b1 + b1 ln p) = a C holds (in logarithms).
    p = float(out.p[0])
    np.testing.assert_allclose(np.log(p) + np.log(float(out.T[0])), np.log(1e308), rtol=1e-12)
    np.testing.assert_allclose(2 * np.log(p) + np.log(2 + 0.5 + 0.5 * np.log(p)), np.log(1e308), rtol=1e-9)


@reproduction("FiniteTeacher(8, 100, B=5e-324) and DirichletProcessTeacher(K=5e-324): refused by name, not NaN")
def _() -> None:
    refuses("B", lambda: sc.bounds.FiniteTeacher(8, 100, B=5e-324))
    refuses("K", lambda: sc.bounds.DirichletProcessTeacher(8, K=5e-324, B=1.0))


@reproduction("FiniteTeacher(8, 100, 1).evaluate(1e308, 1e308): the tiny true value, not inf")
def _() -> None:
    value = float(np.asarray(sc.bounds.FiniteTeacher(8, 100, 1).evaluate(1e308, 1e308)))
    np.testing.assert_allclose(value, teacher_reference(8, 100, 1, 1e308, 1e308), rtol=1e-3)


# Dishonest convergence.


@reproduction("fit on the runaway table: not converged (A = 8e276, B = 0 was reported converged)")
def _() -> None:
    res = quiet(sc.fit, RUNAWAY)
    assert not res.converged or honest(res), res.params
    with pytest.raises(sc.ConvergenceError):
        sc.fit(RUNAWAY, strict=True)


@reproduction("fit(runs, weights=r_[zeros(85), ones(5)]): never converged with B = inf")
def _() -> None:
    res = quiet(sc.fit, chinchilla_runs(90), weights=np.r_[np.zeros(85), np.ones(5)])
    assert not res.converged or honest(res), res.params


@reproduction("fit(weights=zeros) refused; weights=5e-324 and delta=5e-324 not converged")
def _() -> None:
    runs = chinchilla_runs(40, seed=3)
    refuses("weights", lambda: sc.fit(runs, weights=np.zeros(40)))
    assert not quiet(sc.fit, runs, weights=np.full(40, 5e-324)).converged
    assert not quiet(sc.fit, runs, delta=5e-324).converged


@reproduction("fit(delta=1e-300): at least as good under its own objective as the ordinary optimum")
def _() -> None:
    from scalecore import _core

    runs = chinchilla_runs(60, seed=5)
    tiny, ordinary = quiet(sc.fit, runs, delta=1e-300), quiet(sc.fit, runs)
    law = sc.laws.get("chinchilla")
    theta = law.to_internal(ordinary.params).tolist()
    at_ordinary, _ = _core.objective_value_grad(
        "chinchilla", theta, {"N": runs.N, "D": runs.D}, runs.loss, delta=1e-300
    )
    assert tiny.objective <= at_ordinary * (1 + 1e-9)
    assert not tiny.converged or honest(tiny)


# Broken input paths.

SMALL = {"N": [1e8, 2e8, 4e8, 8e8, 1.6e9, 3.2e9], "D": [2e9, 4e9, 8e9, 1.6e10, 3.2e10, 6.4e10]}
SMALL["loss"] = [1.69 + 406.4 / n**0.34 + 410.7 / d**0.28 for n, d in zip(SMALL["N"], SMALL["D"], strict=True)]


def test_parquet_pyarrow_and_the_cli_read_a_loss_column(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    table = pa.table(SMALL)
    path = tmp_path / "runs.parquet"
    pq.write_table(table, path)
    np.testing.assert_array_equal(sc.Runs.from_parquet(path).loss, SMALL["loss"])
    assert quiet(sc.fit, table).params == quiet(sc.fit, SMALL).params
    assert main(["fit", str(path), "--json"]) == 0
    assert '"params"' in capsys.readouterr().out


@reproduction("a UTF-8 BOM CSV keeps its first column")
def _() -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "runs.csv"
        rows = "\n".join(f"{n},{dd},{lo}" for n, dd, lo in zip(SMALL["N"], SMALL["D"], SMALL["loss"], strict=True))
        path.write_bytes(b"\xef\xbb\xbf" + f"N,D,loss\n{rows}\n".encode())
        np.testing.assert_array_equal(sc.Runs.from_csv(path).N, SMALL["N"])


@pytest.mark.parametrize("factor", [0, -6, float("nan")])
def test_runs_refuse_a_flops_factor_that_is_not_positive(factor: float) -> None:
    refuses("flops_per_param_token", lambda: sc.Runs(**SMALL, flops_per_param_token=factor))


@pytest.mark.parametrize("compute", [float("nan"), -1.0, None])
def test_isoflop_predict_n_opt_refuses_invalid_compute(compute: object) -> None:
    res = sc.isoflop(sweep())
    refuses("compute", lambda: res.predict_N_opt(compute))


@reproduction("efficient_frontier on runs that share one compute: refused, not an exponent")
def _() -> None:
    n = np.geomspace(1e7, 1e9, 6)
    runs = sc.Runs(N=n, C=np.full(6, 1e19), loss=2.0 + 1.0 / n**0.1)
    refuses("same compute", lambda: sc.efficient_frontier(runs))


# Wrong exception or message.


@pytest.mark.parametrize(
    ("argument", "call"),
    [
        ("tie", lambda: sc.fit(SMALL, tie=5)),
        ("degree", lambda: sc.isoflop(sweep(), degree=2.0)),
        ("map", lambda: sc.bootstrap(SMALL, map=3)),
        ("seed", lambda: sc.bootstrap_statistic(X200, n_resamples=10, seed=2**64)),
        ("seed", lambda: sc.bootstrap(SMALL, n_resamples=10, seed=2**64)),
        ("params: E", lambda: sc.allocate({**CHINCHILLA, "E": "abc"}, compute=1e24)),
        ("init: E", lambda: sc.fit(SMALL, init={**CHINCHILLA, "E": "abc"})),
        ("init: E", lambda: sc.fit(SMALL, init={**CHINCHILLA, "E": None})),
        ("p|q", lambda: sc.KDE(X200).quantile([float("nan")])),
        ("x", lambda: sc.KDE(X200).pdf(np.array([1 + 1j]))),
    ],
    ids=[
        "fit(tie=5)",
        "isoflop(degree=2.0)",
        "bootstrap(map=3)",
        "bootstrap_statistic(seed=2**64)",
        "bootstrap(seed=2**64)",
        "allocate(params str)",
        "fit(init str)",
        "fit(init None)",
        "KDE.quantile([nan])",
        "KDE.pdf(complex)",
    ],
)
def test_the_documented_error_names_the_argument(argument: str, call: Callable[[], object]) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(sc.InvalidInputError, match=argument) as caught:
            call()
    if argument == "p|q":
        assert "x:" not in str(caught.value)


@reproduction("compute_for_loss names the floor only for a target at or below it")
def _() -> None:
    with pytest.raises(sc.InvalidInputError, match=r"floor E = 1\.69"):
        sc.compute_for_loss(CHINCHILLA, 1.6)
    # Above the floor a target is reachable: an answer, not a message about the floor.
    out = sc.compute_for_loss(CHINCHILLA, 1.7)
    assert np.isfinite(out.compute).all()
    # Above the floor but below the plateau 1e9 unique tokens impose: the lowest loss, not the floor.
    with pytest.raises(sc.InvalidInputError, match="lowest loss") as caught:
        sc.compute_for_loss(DATABLATIONS, 2.0, law="data_constrained", unique_tokens=1e9)
    assert "floor" not in str(caught.value)


@pytest.mark.parametrize(
    "argv",
    [
        ["fit", "{dir}/latin1.csv"],
        ["fit", "{dir}/text.parquet"],
        ["kde", "{dir}/words.csv", "--column", "x"],
        [
            "allocate",
            "--params",
            '{{"E": "a", "A": 406.4, "B": 410.7, "alpha": 0.34, "beta": 0.28}}',
            "--compute",
            "1e24",
        ],
        ["demo", "--bootstrap", "-5"],
    ],
    ids=["CSV not UTF-8", "Parquet that is text", "kde non-numeric cell", "allocate --params string", "demo -5"],
)
def test_the_cli_ends_bad_input_with_one_line_and_status_2(
    argv: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "latin1.csv").write_bytes(b"N,D,loss\n\xff\xfe1e8,1e9,3\n")
    (tmp_path / "text.parquet").write_text("N,D,loss\n1e8,1e9,3\n")
    (tmp_path / "words.csv").write_text("x\n1.0\ntwo\n3.0\n")
    if "text.parquet" in argv[1]:
        pytest.importorskip("pyarrow")
    assert main([a.format(dir=tmp_path) for a in argv]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("scalecore: error: ") and len(err.splitlines()) == 1 and "Traceback" not in err, err


@pytest.mark.parametrize(("name", "fn"), REPRODUCTIONS, ids=[n for n, _ in REPRODUCTIONS])
def test_reproduction(name: str, fn: Callable[[], None]) -> None:
    fn()


# Interrupt latency (timings: slow tests, measured by the harness).


@pytest.mark.slow
@pytest.mark.parametrize("name", ["isoflop bootstrap", "KDE pdf (exact, 1e6 x 2e4)", "bootstrap"])
def test_interrupt_latency_reproduction(name: str) -> None:
    from test_interrupt_latency import LIMIT, latency

    seconds = latency(name)
    assert seconds < LIMIT, f"{name}: KeyboardInterrupt {seconds:.3f} s after SIGINT (limit {LIMIT} s)"

"""Shared test configuration: hypothesis profiles, the shared data directory, slow-test opt-in."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

# "fast" (default, CI) keeps the suite quick; "thorough" for local deep runs: SCALECORE_HYPOTHESIS=thorough.
# Under CI the fast profile is derandomised, so a submission's result does not depend on the draw; local runs keep
# exploring new examples.
settings.register_profile(
    "fast",
    max_examples=25,
    deadline=None,
    derandomize=os.environ.get("CI") == "true",
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("thorough", max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("SCALECORE_HYPOTHESIS", "fast"))

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--slow", action="store_true", help="run slow statistical checks")


# Markers of SciPy's own test modules, which tests/test_compat_scipy_*.py import and run against
# scalecore.compat (under --strict-markers an unknown marker fails at import).
SCIPY_MARKERS = ("skip_xp_backends", "xfail_xp_backends", "xfail_on_32bit", "xslow", "fail_slow", "array_api_backends")


def pytest_configure(config: pytest.Config) -> None:
    for name in SCIPY_MARKERS:
        config.addinivalue_line("markers", f"{name}: a SciPy test-suite marker (see tests/_scipy_suite.py)")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("--slow") or os.environ.get("SCALECORE_SLOW") == "1":
        return
    skip = pytest.mark.skip(reason="slow: run with --slow or SCALECORE_SLOW=1")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """../shared/data beside the checkout; tests that need it skip when it is absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"shared data not found at {SHARED_DATA}")
    return SHARED_DATA

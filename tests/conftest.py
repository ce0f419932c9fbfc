"""Shared fixtures: `pilot`, the app on the CPU with torch loaded, which fails the test if a computation failed."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator

import pytest
from hypothesis import settings
from textual.pilot import Pilot

from tests.recorded_views import recorded_views
from tests.tui_helpers import make_app, ready, settle

__all__ = ["recorded_views"]  # the snapshot modules' fixture

settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
settings.register_profile("dev", deadline=None)
settings.load_profile("ci" if os.environ.get("CI") else "dev")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--record-views",
        action="store_true",
        help="snapshot tests compute their views and record them (tests/recorded_views/), instead of replaying them",
    )


def pytest_configure(config: pytest.Config) -> None:
    if config.getoption("update_snapshots", False) and config.getoption("numprocesses", None):
        # Each xdist process sees only the snapshots of its own files and would delete the others' as unused.
        raise pytest.UsageError("--snapshot-update runs on one process: leave out -n")
    config.addinivalue_line("markers", "size(width, height): the terminal size for the `pilot` fixture (default 120x40)")
    config.addinivalue_line("markers", "expect_failures: the test makes computations fail on purpose")


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
async def pilot(request: pytest.FixtureRequest) -> AsyncIterator[Pilot[int]]:
    """The app at 120x40 (or @pytest.mark.size(w, h)) with torch loaded and the first results drawn.

    Any computation that fails during the test fails the test, unless it is marked `expect_failures`.
    """
    size = request.node.get_closest_marker("size")
    app = make_app()
    async with app.run_test(size=size.args if size else (120, 40), notifications=True) as driver:
        await ready(driver)
        yield driver
        await settle(driver)
    if request.node.get_closest_marker("expect_failures") is None:
        assert app.failures == [], f"a computation failed during the test: {app.failures}"

"""Fixtures for the HTML reports: a real recorded session, a long trajectory, and a real headless Chromium.

Browser tests need Debian's chromium and the playwright package; without them they are skipped,
unless RLM_REQUIRE_BROWSER=1 (as in CI), where a missing browser is a failure.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio
import pytest

from tests.report.recording import record_session, scripted_root, settings_for
from tests.support.openai_server import OpenAIServer

BROWSER_REQUIRED = os.environ.get("RLM_REQUIRE_BROWSER") == "1"


@dataclass
class Opened:
    """A report loaded in the browser: the page, what its console and script errors said, how long it took."""

    page: Any
    messages: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def errors(self) -> list[str]:
        return [message for message in self.messages if message.startswith(("error", "pageerror", "dialog"))]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Debian's chromium, headless, driven over the DevTools protocol by playwright.

    Module-scoped: playwright's sync API holds an event loop running on this thread while it is open,
    which the asyncio tests of later modules could not start beside.
    """
    executable = shutil.which("chromium")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        executable = None
    if executable is None:
        problem = "needs Debian's chromium and `pip install playwright` (the test extra)"
        if BROWSER_REQUIRED:
            pytest.fail(f"RLM_REQUIRE_BROWSER=1 but the browser tests {problem}")
        pytest.skip(problem)
    with sync_playwright() as driver:
        # --no-sandbox: CI runs as root, where Chromium's own sandbox refuses to start.
        launched = driver.chromium.launch(executable_path=executable, args=["--no-sandbox"])
        yield launched
        launched.close()


@pytest.fixture
def open_report(browser: Any) -> Iterator[Callable[[Path], Opened]]:
    """Open an HTML file from file:// and wait until its script has drawn every chart."""
    pages: list[Any] = []

    def open_file(path: Path) -> Opened:
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        pages.append(page)
        opened = Opened(page)
        page.on("console", lambda message: opened.messages.append(f"{message.type}: {message.text}"))
        page.on("pageerror", lambda error: opened.messages.append(f"pageerror: {error}"))
        page.on("dialog", lambda dialog: (opened.messages.append(f"dialog: {dialog.message}"), dialog.dismiss()))
        started = time.perf_counter()
        page.goto(path.as_uri())
        page.wait_for_selector("html[data-rendered]", state="attached")
        opened.seconds = time.perf_counter() - started
        return opened

    yield open_file
    for page in pages:
        page.close()


@pytest.fixture
def recorded_trajectory(openai_server: OpenAIServer, tmp_path: Path) -> Path:
    """The trajectory of a real session: load, exec (one raising), a fan-out with a failure, rlm_ask, a restart."""
    openai_server.responder = scripted_root
    repository = tmp_path / "repo"
    repository.mkdir()
    (repository / "shapes.py").write_text("def area(r):\n    return 3.14 * r * r\n\n\ndef parse(s):\n    return s\n")
    (repository / "io.py").write_text("def load(path):\n    return open(path).read()\n")
    settings = settings_for(f"{openai_server.url}/v1", tmp_path / "cache")
    # In a thread of its own: playwright's sync API keeps an event loop running in this one.
    with ThreadPoolExecutor(1) as worker:
        return worker.submit(anyio.run, record_session, settings, repository).result()

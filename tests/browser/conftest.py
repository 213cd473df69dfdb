"""Browser tests: a real JupyterLab on a free loopback port, a seeded store, headless Chromium.

One JupyterLab (`lab.running_lab`) serves the whole session, over a store that
`seed.seed_demo` fills with real scikit-learn runs before it starts; what was seeded is the
`manifest` the tests compare the UI with. Each test gets a fresh browser context and page
(`studio`), on a JupyterLab workspace of its own reset on load, and fails if the page logged
a console error from Studio. Screenshots go to `pages.screenshots_dir()`, outside the work tree
unless STUDIO_SCREENSHOTS says otherwise (`make screenshots`); the session's summary says where.

pytest-jupyter (loaded by tests/conftest.py) adds two autouse fixtures that create and close
an asyncio loop around every test; Playwright's sync API runs its own loop, and the two clash
at teardown. These tests use neither, so both are replaced by no-ops here.
"""

from __future__ import annotations

from collections.abc import Generator, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.browser.lab import LabError, LabServer, running_lab
from tests.browser.pages import CHROMIUM, CHROMIUM_ARGS, StudioPage, screenshots_dir
from tests.browser.seed import SOURCE_NOTEBOOK, Manifest, seed_demo

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Playwright


# Set by `studio`: the folder this session's screenshots went to, for the summary.
SCREENSHOTS_USED = pytest.StashKey[Path]()


@pytest.fixture
def jp_asyncio_loop() -> None:
    """No asyncio loop from pytest-jupyter: Playwright's sync API brings its own."""


@pytest.fixture
def jp_server_cleanup() -> None:
    """No in-process Jupyter server to clean up: JupyterLab runs as a subprocess."""


@pytest.fixture(scope="session")
def lab_base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("lab")


@pytest.fixture(scope="session")
def manifest(lab_base: Path) -> Manifest:
    """The demo runs, seeded into the store the session's JupyterLab serves."""
    return seed_demo(lab_base / "studio-home")


@pytest.fixture(scope="session")
def lab(lab_base: Path, manifest: Manifest) -> Iterator[LabServer]:
    """The session's JupyterLab, over the seeded store."""
    try:
        with running_lab(lab_base, lab_base / "studio-home", (SOURCE_NOTEBOOK,)) as server:
            yield server
    except LabError as error:
        pytest.fail(str(error))


@pytest.fixture(scope="session")
def playwright_session() -> Iterator[Playwright]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("Playwright is missing: pip install -e '.[test]'")
    if not Path(CHROMIUM).exists():
        pytest.fail(f"No {CHROMIUM}: `apt-get install -y chromium` (make test installs it).")
    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="session")
def browser(playwright_session: Playwright) -> Iterator[Browser]:
    browser = playwright_session.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    try:
        yield browser
    finally:
        browser.close()


@pytest.fixture(scope="session")
def browser_context(browser: Browser) -> Iterator[BrowserContext]:
    """One context for the session: its HTTP cache spares each test reloading JupyterLab's
    code (each test still gets its own page and JupyterLab workspace)."""
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    try:
        yield context
    finally:
        context.close()


@pytest.fixture
def studio(
    request: pytest.FixtureRequest, lab: LabServer, browser_context: BrowserContext
) -> Iterator[StudioPage]:
    """JupyterLab open in a new page, on a workspace of this test's own, reset on load."""
    screenshots = screenshots_dir()
    screenshots.mkdir(parents=True, exist_ok=True)
    request.config.stash[SCREENSHOTS_USED] = screenshots
    page = browser_context.new_page()
    studio = StudioPage(page, lab.url, lab.token, screenshots)
    try:
        studio.open_lab(workspace=request.node.name)
        # Panels keep per-experiment choices (columns) in localStorage, which the session's
        # context shares between tests.
        page.evaluate("() => window.localStorage.clear()")
        yield studio
        errors = studio.studio_console_errors()
        if errors:
            pytest.fail("Studio logged console errors:\n" + "\n".join(errors))
    finally:
        page.close()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Say where this session's screenshots are, so that a developer can look at them."""
    folder = terminalreporter.config.stash.get(SCREENSHOTS_USED, None)
    if folder is not None:
        terminalreporter.write_line(f"Studio's browser screenshots: {folder}")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """A failing test's report carries the tail of JupyterLab's log."""
    report = yield
    server = getattr(item, "funcargs", {}).get("lab")
    if report.failed and isinstance(server, LabServer):
        report.sections.append(("jupyterlab log", server.log_tail()))
    return report

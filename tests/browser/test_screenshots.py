"""Where the browser tests save screenshots: outside the work tree unless asked otherwise.

The README's images in tests/browser/screenshots are committed, so a plain test run must not
rewrite them (`git status` stays clean); `make screenshots` names that folder on purpose.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from tests.browser.pages import README_SCREENSHOTS, SCREENSHOTS_ENV, screenshots_dir

if TYPE_CHECKING:
    import pytest

WORK_TREE = Path(__file__).resolve().parents[2]


def test_screenshots_default_outside_the_work_tree(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(SCREENSHOTS_ENV, raising=False)
    folder = screenshots_dir()
    assert folder == Path(tempfile.gettempdir()) / "studio-screenshots"
    assert not folder.resolve().is_relative_to(WORK_TREE)


def test_screenshots_follow_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """What `make screenshots` does: name the README's folder, relative to the work tree."""
    monkeypatch.chdir(WORK_TREE)
    monkeypatch.setenv(SCREENSHOTS_ENV, "tests/browser/screenshots")
    assert screenshots_dir() == README_SCREENSHOTS

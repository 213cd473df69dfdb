"""The Studio sidebar: experiments with their run counts, search, running runs, opening panels."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tests.browser.pages import StudioPage
    from tests.browser.seed import Manifest


def test_sidebar_lists_experiments_with_counts_and_the_running_run(
    studio: StudioPage, manifest: Manifest
) -> None:
    manifest = manifest
    sidebar = studio.open_sidebar()

    items = studio.sidebar_experiments(sidebar, expected=len(manifest.experiments))
    studio.screenshot("sidebar")

    # Most recent first: "empty" was created as the seeding began (it has no runs), "iris"
    # holds the run started minutes ago (still running), "wine" runs of hours ago.
    assert [item_id for item_id, _, _ in items] == [
        manifest.experiments[name] for name in ("empty", "iris", "wine")
    ]
    for item_id, text, count_text in items:
        name = next(name for name, id_ in manifest.experiments.items() if id_ == item_id)
        count = len(manifest.runs_of(name))
        assert name in text
        assert re.search(rf"\b{count}\b", count_text), (name, count, count_text)
    live = manifest.run("logreg-live")
    assert studio.running_runs(sidebar) == [live.id]


def test_sidebar_search_narrows_the_experiments(studio: StudioPage, manifest: Manifest) -> None:
    sidebar = studio.open_sidebar()
    studio.sidebar_experiments(sidebar, expected=len(manifest.experiments))

    studio.search_experiments(sidebar, "wi")

    items = studio.sidebar_experiments(sidebar, expected=1)
    assert items[0][0] == manifest.experiments["wine"]


def test_clicking_an_experiment_opens_its_runs(studio: StudioPage, manifest: Manifest) -> None:
    iris = manifest.experiments["iris"]
    sidebar = studio.open_sidebar()
    studio.sidebar_experiments(sidebar, expected=len(manifest.experiments))

    panel = studio.click_experiment(sidebar, iris)

    runs = manifest.runs_of("iris")
    studio.wait_runs_count(panel, len(runs))
    assert set(studio.row_ids(panel)) == {run.id for run in runs}


def test_open_run_finds_a_run_by_name_or_by_id(studio: StudioPage, manifest: Manifest) -> None:
    names = [run.name for run in manifest.runs]
    wine = next(run for run in manifest.runs_of("wine") if names.count(run.name) == 1)
    sidebar = studio.open_sidebar()
    studio.sidebar_experiments(sidebar, expected=len(manifest.experiments))

    studio.open_run_by_typing(sidebar, wine.name)
    studio.run_panel(wine.id).wait_for(state="visible")

    live = manifest.run("logreg-live")
    studio.open_run_by_typing(sidebar, live.id)
    studio.run_panel(live.id).wait_for(state="visible")

"""Zoom into a 1,000,000-point metric: a drag fetches that range from the server, at every
point once it is narrow enough, and a double click returns to the whole series."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pytest

from tests.browser.pages import poll
from tests.browser.seed import seed_series_run

if TYPE_CHECKING:
    from pathlib import Path

    from playwright.sync_api import Locator

    from tests.browser.pages import StudioPage
    from tests.browser.seed import Manifest

POINTS = 1_000_000
METRIC = "train/loss"
EXPERIMENT = "zoom"
# The run panel asks for about 1,000 points of the whole series.
WHOLE_POINTS = 1000


@dataclass(frozen=True)
class Curve:
    run_id: str
    steps: np.ndarray
    values: np.ndarray


def _curve(seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A noisy decaying loss, one point a step, 37 ms apart."""
    steps = np.arange(POINTS, dtype=np.int64)
    stamps = 1_700_000_000_000 + steps * 37
    rng = np.random.default_rng(seed)
    values = np.exp(-steps / 300_000) + rng.normal(0, 0.05, POINTS)
    return steps, stamps, values


@pytest.fixture(scope="module")
def curves(lab_base: Path, manifest: Manifest) -> list[Curve]:
    """Two runs of one 1,000,000-point metric, written into the session's store (the manifest
    made it; JupyterLab reads it at each request)."""
    home = lab_base / "studio-home"
    seeded = []
    for seed in (1, 2):
        steps, stamps, values = _curve(seed)
        run_id = seed_series_run(
            home, EXPERIMENT, f"million-{seed}", {METRIC: (steps, stamps, values)}
        )
        seeded.append(Curve(run_id, steps, values))
    return seeded


def _whole(view: dict[str, Any]) -> bool:
    return (
        not view["zoomed"]
        and view["downsampled"]
        and WHOLE_POINTS // 2 < view["points"] <= WHOLE_POINTS
    )


def _zoomed_to_every_point(view: dict[str, Any]) -> bool:
    return view["zoomed"] and not view["downsampled"] and not view["pending"]


def _check_exact(lines: dict[str, Any], curves: dict[str, Curve], low: float, high: float) -> None:
    """uPlot holds exactly the stored points of the steps between `low` and `high`."""
    x = np.array(lines["x"], dtype=np.int64)
    first, last = math.ceil(low), math.floor(high)
    # The drag's ends, read where the mouse was: a step either way at most.
    assert abs(int(x[0]) - first) <= 1, (x[0], low)
    assert abs(int(x[-1]) - last) <= 1, (x[-1], high)
    assert np.array_equal(x, np.arange(x[0], x[-1] + 1)), "every step of the range, once"
    for label, curve in curves.items():
        drawn = np.array(lines["lines"][label], dtype=np.float64)
        assert len(drawn) == len(x)
        np.testing.assert_array_equal(drawn, curve.values[x[0] : x[-1] + 1])


def _zoom_to_every_point(studio: StudioPage, chart: Locator, centre: int) -> tuple[float, float]:
    """Two drags, as a user narrows in: about 20,000 steps (still downsampled: more than 4
    points a pixel), then about 200 of them (every point)."""
    studio.drag_chart_x(chart, centre - 10_000, centre + 10_000)
    wide = studio.wait_chart_view(
        chart,
        lambda v: v["zoomed"] and v["downsampled"] and not v["pending"],
        "a zoomed, downsampled view",
    )
    assert "zoomed in, downsampled" in wide["note"], wide
    low, high = studio.drag_chart_x(chart, centre - 100, centre + 100)
    view = studio.wait_chart_view(chart, _zoomed_to_every_point, "every point of the range")
    assert "every point" in view["note"], view
    return low, high


def test_zoom_into_a_million_point_metric_shows_its_exact_points(
    studio: StudioPage, curves: list[Curve]
) -> None:
    curve = curves[0]
    panel = studio.open_run(curve.run_id)
    chart = studio.chart(panel, METRIC)
    studio.chart_points(panel, METRIC)
    whole = studio.wait_chart_view(chart, _whole, "the whole series, downsampled")
    assert "downsampled" in whole["note"], whole
    assert f"{POINTS:,}" in whole["note"], whole

    low, high = _zoom_to_every_point(studio, chart, 500_000)

    lines = studio.chart_lines(chart)
    assert len(lines["lines"]) == 1
    label = next(iter(lines["lines"]))
    _check_exact(lines, {label: curve}, low, high)
    view = studio.chart_view(chart)
    assert view["points"] == len(lines["x"]), view
    assert 150 <= view["points"] <= 250, view
    poll(lambda: studio.drawn_points(chart), lambda n: n == view["points"], "the points drawn", 10)
    studio.screenshot("zoom_every_point", chart)

    studio.double_click_chart(chart)
    back = studio.wait_chart_view(chart, _whole, "the whole series again")
    assert back["points"] == whole["points"], (back, whole)
    assert studio.chart_x_range(chart) == (0, POINTS - 1)


def test_zoom_on_a_compare_chart_shows_each_runs_exact_points(
    studio: StudioPage, curves: list[Curve]
) -> None:
    compare = studio.compare_runs([curve.run_id for curve in curves])
    chart = studio.chart(compare, METRIC, "studio-compare-chart")
    studio.chart_points(compare, METRIC, "studio-compare-chart")
    whole = studio.wait_chart_view(
        chart, lambda v: not v["zoomed"] and v["downsampled"], "the whole series, downsampled"
    )

    low, high = _zoom_to_every_point(studio, chart, 250_000)

    lines = studio.chart_lines(chart)
    assert len(lines["lines"]) == 2, lines["lines"].keys()
    assert sorted(lines["lines"]) == ["million-1", "million-2"]
    _check_exact(lines, {"million-1": curves[0], "million-2": curves[1]}, low, high)
    assert studio.chart_view(chart)["points"] == 2 * len(lines["x"])
    studio.screenshot("zoom_compare_every_point", compare)

    studio.double_click_chart(chart)
    back = studio.wait_chart_view(
        chart, lambda v: not v["zoomed"] and v["downsampled"], "the whole series again"
    )
    assert back["points"] == whole["points"]

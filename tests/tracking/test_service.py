"""The tracking manager refuses what would harm the store, before writing anything."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from studio.errors import Conflict, InvalidInput, TooLarge
from studio.tracking.service import MAX_BATCH_METRICS, TrackingService

if TYPE_CHECKING:
    from studio.tracking.store import TrackingStore


def test_run_ids_cannot_name_a_folder_outside_the_artifact_root(
    service: TrackingService,
) -> None:
    experiment = service.create_experiment("e")
    for bad in ("../../x", "a/b", "", "x" * 33, ".hidden"):
        with pytest.raises(InvalidInput, match="run id"):
            service.create_run(experiment.id, run_id=bad)
    assert service.search_runs([experiment.id]).runs == []
    assert service.create_run(experiment.id, run_id="my-run_1").id == "my-run_1"


def test_oversized_run_creation_is_refused_whole(service: TrackingService) -> None:
    experiment = service.create_experiment("e")
    points = [("loss", 1.0, step, 1) for step in range(MAX_BATCH_METRICS + 1)]
    with pytest.raises(TooLarge, match=str(MAX_BATCH_METRICS)):
        service.create_run(experiment.id, metrics=points)
    assert service.search_runs([experiment.id]).runs == []


def test_page_tokens_out_of_range_are_bad_input(store: TrackingStore) -> None:
    huge = "eyJvZmZzZXQiOiAxMDAwMDAwMDAwMDAwMDAwMDAwMDAwfQ=="  # {"offset": 10**21}
    with pytest.raises(InvalidInput, match="page_token"):
        store.search_runs(page_token=huge)


def test_artifact_clashes_and_long_paths_are_clear_errors(
    service: TrackingService, tmp_path: Path
) -> None:
    run = service.create_run(service.create_experiment("e").id)
    service.upload_artifact(run.id, "f", b"file")
    with pytest.raises(Conflict, match="clashes"):
        service.upload_artifact(run.id, "f/g", b"inside a file")
    with pytest.raises(InvalidInput, match="at most"):
        service.upload_artifact(run.id, "x" * 5000, b"")
    assert [info.path for info in service.list_artifacts(run.id)] == ["f"]


def test_downsampled_points_are_real_points_even_when_steps_repeat(
    service: TrackingService,
) -> None:
    run = service.create_run(service.create_experiment("e").id)
    # Each step logged twice (a resumed loop), with its own timestamp and value.
    points = [
        ("loss", float((step * 7919 + again * 104729) % 1000), step, 1000 * step + again)
        for step in range(3000)
        for again in (0, 1)
    ]
    service.store.write_metrics([(run.id, *point) for point in points])
    full = service.get_metric_history(run.id, "loss")
    real = set(zip(full.steps, full.timestamps, full.values, strict=True))
    sampled = service.get_metric_history(run.id, "loss", max_points=200)
    assert sampled.downsampled
    assert sampled.total == 6000
    assert len(sampled.steps) <= 200
    assert set(zip(sampled.steps, sampled.timestamps, sampled.values, strict=True)) <= real
    assert min(sampled.values) == 0.0
    assert max(sampled.values) == 999.0


def test_search_can_count_every_match(service: TrackingService) -> None:
    experiment = service.create_experiment("e")
    for value in range(30):
        service.create_run(experiment.id, metrics=[("acc", value / 30, 0, 1)])
    page = service.search_runs(
        [experiment.id], filter="metrics.acc >= 0.5", max_results=5, include_total=True
    )
    assert len(page.runs) == 5
    assert page.total == 15
    assert service.search_runs([experiment.id], max_results=5).total is None

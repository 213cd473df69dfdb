"""What the autolog tests look for in a store."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import studio
    from studio.tracking.entities import RunRecord

CLASSIFIER_METRICS = {
    "training_score",
    "training_accuracy",
    "training_precision",
    "training_recall",
    "training_f1",
    "training_log_loss",
    "training_roc_auc",
}
REGRESSOR_METRICS = {
    "training_score",
    "training_mse",
    "training_rmse",
    "training_mae",
    "training_r2",
}


def only_run(client: studio.Client) -> RunRecord:
    runs = client.search_runs()
    assert [run.name for run in runs] == [runs[0].name], "expected exactly one run"
    return runs[0]


def children_of(client: studio.Client, parent: RunRecord) -> dict[int, RunRecord]:
    runs = client.search_runs(filter=f"attributes.parent_run_id = '{parent.id}'")
    return {int(run.tags["studio.autolog.candidate"]): run for run in runs}


def last(run: RunRecord, key: str) -> float:
    return run.metrics[key].last

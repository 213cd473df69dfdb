"""What the autolog parity tests read back: datasets tags, artifacts' text, the model's
requirements."""

from __future__ import annotations

import json
from importlib.metadata import version
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import studio
    from studio.tracking.entities import RunRecord


def datasets(run: RunRecord) -> dict[str, dict[str, Any]]:
    """The run's `studio.datasets` entries by context and name: {"train/X_train": {...}}."""
    return {
        f"{entry['context']}/{entry['name']}": entry
        for entry in json.loads(run.tags["studio.datasets"])
    }


def artifact_text(client: studio.Client, run_id: str, path: str, folder: Path) -> str:
    return client.download_artifacts(run_id, path, folder).read_text()


def assert_model_environment(client: studio.Client, run_id: str, folder: Path) -> None:
    """requirements.txt pins scikit-learn and what loading needs; python_env.yaml points at it."""
    requirements = artifact_text(client, run_id, "model/requirements.txt", folder).splitlines()
    for name in ("scikit-learn", "numpy", "scipy", "skops"):
        assert f"{name}=={version(name)}" in requirements
    python_env = artifact_text(client, run_id, "model/python_env.yaml", folder)
    assert "  - -r requirements.txt" in python_env.splitlines()


def assert_diagram(client: studio.Client, run_id: str, folder: Path, *names: str) -> None:
    html = artifact_text(client, run_id, "estimator.html", folder)
    assert html.lstrip().startswith("<style>") or "<div" in html
    for name in names:
        assert name in html


def evaluation(
    client: studio.Client, run_id: str, label: str, folder: Path
) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """The run's evaluation `label` (`evaluation_record`'s format): its summary and figures."""
    summary = json.loads(artifact_text(client, run_id, f"evaluation/{label}/summary.json", folder))
    figures = {
        Path(info.path).stem: json.loads(artifact_text(client, run_id, info.path, folder))
        for info in client.list_artifacts(run_id, f"evaluation/{label}/figures")
    }
    return summary, figures


def assert_classifier_figures(figures: dict[str, dict[str, Any]]) -> None:
    assert set(figures) == {"confusion_matrix", "roc", "pr"}
    assert figures["confusion_matrix"]["data"][0]["type"] == "heatmap"
    assert all(trace["type"] == "scatter" for trace in figures["roc"]["data"])

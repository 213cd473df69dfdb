"""A column name is the data's author's to choose: written into a generated notebook's text, it
must show as text, never become markup (HTML a renderer would run) or code."""

from __future__ import annotations

import json
from pathlib import Path

import mistune

from studio.evaluation.automl_notebooks import write_candidates_notebook
from tests.databases import sqlite_only

pytestmark = sqlite_only

HOSTILE = "y` <img src=x onerror=alert(1)> ``\n# heading"


def test_a_hostile_target_name_is_text_in_the_candidates_notebook(tmp_path: Path) -> None:
    path = write_candidates_notebook(
        tmp_path,
        {
            "data_path": str(tmp_path / "data.csv"),
            "target": HOSTILE,
            "task": "binary",
            "metric": "accuracy",
            "time_budget": 5,
            "seed": 0,
            "experiment": "automl-data",
        },
        {"onehot": {}},
        {"<b>bold</b>": {"defaults": []}},
        5,
    )
    cells = json.loads(path.read_text())["cells"]
    rendered = "".join(
        str(mistune.html(cell["source"])) for cell in cells if cell["cell_type"] == "markdown"
    )
    assert "<img" not in rendered
    assert "<b>" not in rendered
    assert "<h1>heading" not in rendered
    assert "onerror=alert(1)" in rendered  # shown, as text

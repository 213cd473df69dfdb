"""The notebooks of AutoML: the two it generates (data exploration, candidate definitions), as
SageMaker Autopilot hands out, and the template a job runs when AutoML starts from the UI.

Every notebook has a `parameters` cell (papermill's convention), reads its data itself and
runs top to bottom; the candidates notebook holds the preprocessing pipelines and the search
spaces as plain dictionaries, so that editing one and re-running the notebook (by hand or as
a job) searches the edited space.
"""

from __future__ import annotations

import json
import os
import pprint
import re
import shutil
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from studio.errors import InvalidInput
from studio.evaluation.automl_data import read_columns

__all__ = [
    "TEMPLATE_SUFFIX",
    "prepare_automl_job",
    "template_path",
    "write_candidates_notebook",
    "write_exploration_notebook",
    "write_template",
]

TEMPLATE_SUFFIX = ".automl.ipynb"
EXPLORATION = "exploration.ipynb"
CANDIDATES = "candidates.ipynb"


def write_exploration_notebook(folder: Path, data_path: str, target: str, task: str) -> Path:
    cells = [
        _markdown(
            "# Data exploration\n\n"
            "Written by `studio.automl` before its search: what the data looks like, and what "
            "might mislead a model. Change the parameters below and re-run it on other data."
        ),
        _parameters({"data_path": data_path, "target": target, "task": task}),
        _code(
            "from studio.evaluation.automl_data import read_data\n"
            "from studio.evaluation.automl_explore import (\n"
            "    column_summary, correlations, data_warnings, dataset_summary,\n"
            "    descriptive_stats, target_association, target_distribution,\n"
            ")\n\n"
            "frame = read_data(data_path)"
        ),
        _markdown("## Dataset summary"),
        _code("dataset_summary(frame, target, task)"),
        _markdown(
            "## Warnings\n\nPossible leakage (a feature that alone all but gives the target "
            "away), identifiers, high-cardinality, constant and mostly missing columns."
        ),
        _code(
            "for warning in data_warnings(frame, target, task) or ['Nothing to report.']:\n"
            "    print('-', warning)"
        ),
        _markdown("## Column types and missing values"),
        _code("column_summary(frame, target)"),
        _markdown("## Target distribution"),
        _code("target_distribution(frame, target, task)"),
        _markdown(
            "## Association with the target\n\n"
            "Each feature alone, from 0 (none) to 1: |Pearson r| between numbers, the "
            "correlation ratio between categories and numbers, and how much better than the "
            "majority class a categorical feature's categories predict the class."
        ),
        _code("target_association(frame, target, task).to_frame()"),
        _markdown("## Correlations between numeric columns"),
        _code("correlations(frame, target)"),
        _markdown("## Descriptive statistics"),
        _code("descriptive_stats(frame)"),
        _markdown("## Data sample"),
        _code("frame.head(10)"),
    ]
    return _write(folder / EXPLORATION, cells)


def write_candidates_notebook(
    folder: Path,
    parameters: Mapping[str, Any],
    preprocessing: Mapping[str, Mapping[str, Any]],
    search_space: Mapping[str, Mapping[str, Any]],
    folds: int,
) -> Path:
    """`parameters`: data_path, target, task, metric, time_budget, seed, experiment."""
    cells = [
        _markdown(
            "# Candidate definitions\n\n"
            f"The pipelines `studio.automl` searched for a **{parameters['task']}** task on "
            f"{_code_span(parameters['target'])}, scored by **{parameters['metric']}** over "
            f"{folds}-fold "
            "cross-validation: preprocessing pipelines, then algorithms with their search "
            "spaces. Edit them (drop an algorithm, narrow a range, add a default to try "
            "first) and run the notebook again, by hand or as a job."
        ),
        # algorithms: None searches all of SEARCH_SPACE below, or a list of its keys.
        _parameters({**parameters, "register_as": False, "algorithms": None, "n_workers": None}),
        _code("import studio"),
        _markdown(
            "## Preprocessing pipelines\n\n"
            "Each is imputation (numbers: `impute`, with a missing-value indicator; "
            "categories: the most frequent), encoding (`onehot` or `ordinal`) and optional "
            "scaling, applied column by column. Identifier and free-text columns are left out."
        ),
        _code(f"PREPROCESSING = {_literal(preprocessing)}"),
        _markdown(
            "## Algorithms and their search spaces\n\n"
            "`params` maps a hyperparameter to a distribution "
            "(`{'type': 'int' | 'float', 'low', 'high', 'log'}` or "
            "`{'type': 'choice', 'choices': [...]}`) or to a fixed value; `defaults` are tried "
            "before the sampler starts (Optuna's TPE, with successive halving over the folds)."
        ),
        _code("SEARCH_SPACE = {}"),
    ]
    for algorithm, entry in search_space.items():
        cells.append(_markdown(f"### {_code_span(algorithm)}"))
        cells.append(_code(f"SEARCH_SPACE[{algorithm!r}] = {_literal(entry)}"))
    cells += [
        _markdown(
            "## Run the search\n\n"
            "Each candidate is a child run of the search's run; the best is refitted on all "
            "the data, evaluated, and registered when `register_as` names a model."
        ),
        _code(
            "searched = {name: entry for name, entry in SEARCH_SPACE.items()\n"
            "            if algorithms is None or name in algorithms}\n"
            "result = studio.automl(\n"
            "    data_path, target, task=task, metric=metric, time_budget=time_budget,\n"
            "    experiment=experiment, seed=seed, register_as=register_as, n_workers=n_workers,\n"
            "    search_space=searched, preprocessing=PREPROCESSING, notebooks_dir=False,\n"
            ")\n"
            "print(f'Run {result.run_id}: search {result.search_seconds:.1f} s, '\n"
            "      f'refit and evaluation {result.post_seconds:.1f} s')"
        ),
        _markdown("## Leaderboard"),
        _code("result.leaderboard[['rank', 'pipeline', 'score', 'std', 'fit_time', 'state']]"),
    ]
    return _write(folder / CANDIDATES, cells)


def template_path(source: Path) -> Path:
    """Where the job template of an AutoML on `source` goes: beside it."""
    return source.parent / f"{source.stem}{TEMPLATE_SUFFIX}"


def write_template(path: Path, parameters: Mapping[str, Any]) -> Path:
    """The notebook a job runs for POST /studio/api/automl: `studio.automl` on the file."""
    cells = [
        _markdown(
            "# AutoML\n\n"
            "Written by Studio's AutoML dialog: runs `studio.automl` on `data_path`, which "
            "explores the data, searches pipelines within `time_budget` seconds, refits, "
            "evaluates and registers the best, and writes two notebooks beside the data "
            "(exploration and candidate definitions). Change the parameters and run it again."
        ),
        _parameters(parameters),
        _code(
            "import studio\n\n"
            "result = studio.automl(\n"
            "    data_path, target, task=task, metric=metric, time_budget=time_budget,\n"
            "    experiment=experiment, seed=seed, register_as=register_as,\n"
            ")\n"
            "print(result.notebooks)"
        ),
        _code("result.leaderboard[['rank', 'pipeline', 'score', 'std', 'fit_time', 'state']]"),
    ]
    return _write(path, cells)


def _code_span(text: str) -> str:
    """`text` (a column name: the data's author's) as a Markdown code span, shown as it is:
    fenced by more backticks than it holds in a row, so no markup or HTML in it is read."""
    text = " ".join(str(text).splitlines())
    longest = max((len(run) for run in re.findall("`+", text)), default=0)
    fence = "`" * (longest + 1)
    return f"{fence} {text} {fence}" if longest else f"{fence}{text}{fence}"


def _literal(value: Any) -> str:
    return pprint.pformat(value, indent=1, width=88, sort_dicts=False)


def _write(path: Path, cells: list[dict[str, Any]]) -> Path:
    # nbformat 4.5 written as JSON: importing nbformat costs seconds (jsonschema) that the
    # search would wait for.
    notebook = {
        "cells": [{"id": f"cell-{index}", **cell} for index, cell in enumerate(cells)],
        "metadata": {
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
            "language_info": {"name": "python"},
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_text(json.dumps(notebook, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise InvalidInput(f"Cannot write the notebook {str(path)!r}: {exc.strerror}") from exc
    return path


def _markdown(source: str) -> dict[str, Any]:
    return {"cell_type": "markdown", "metadata": {}, "source": source}


def _code(source: str, metadata: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "cell_type": "code",
        "execution_count": None,
        "metadata": metadata or {},
        "outputs": [],
        "source": source,
    }


def _parameters(values: Mapping[str, Any]) -> dict[str, Any]:
    return _code(
        "\n".join(f"{name} = {value!r}" for name, value in values.items()),
        metadata={"tags": ["parameters"]},
    )


def prepare_automl_job(
    source: Path, parameters: Mapping[str, Any], home: Path
) -> tuple[Path, dict[str, Any]]:
    """Check the data (a bad path or target fails before a job is queued), write the template
    beside it, and return the copy the job runs (in a folder of its own under the store's
    home: a job runs in its notebook's folder, and the Dask executor carries that folder) with
    the job's parameters."""
    columns = read_columns(source)
    if parameters["target"] not in columns:
        raise InvalidInput(
            f"{source.name} has no column {parameters['target']!r}; "
            f"columns: {', '.join(map(str, columns))}."
        )
    values = {"data_path": str(source), **parameters}
    notebook = write_template(template_path(source), values)
    folder = home / "automl" / uuid.uuid4().hex
    folder.mkdir(parents=True)
    copy = folder / notebook.name
    shutil.copyfile(notebook, copy)
    return copy, values

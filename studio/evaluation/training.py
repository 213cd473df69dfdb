"""Training a built-in algorithm without code: a template notebook written beside the data,
run as a notebook job.

`prepare_training` checks everything a user chose in the train dialog before any job is
queued (the file, the target, the task, the algorithm and its hyperparameters: a bad one is
an InvalidInput naming it), writes `<stem>.train-<algorithm>.ipynb` beside the data, and
returns the copy the job runs with the job's parameters (like the batch transform,
`studio.registry.batch`). The notebook is an ordinary one, to open, change and run again: a
parameters cell, then it reads the data, builds the pipeline from the catalogue, evaluates
it with `studio.evaluate` (holdout or k-fold) into the job's tracking run, fits it on every
row, logs the model, and registers it when asked.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from studio.errors import InvalidInput
from studio.evaluation.catalogue import Algorithm, get_algorithm
from studio.evaluation.data import MAX_INSPECTED_ROWS, read_table
from studio.jobs.notebooks import (
    code_cell,
    job_copy,
    markdown_cell,
    resolve_below_root,
    write_notebook,
)
from studio.registry.uri import validate_model_name

if TYPE_CHECKING:
    from collections.abc import Mapping

    from studio.evaluation.schemas import TrainIn

__all__ = [
    "JOBS_FOLDER",
    "prepare_training",
    "template_path",
    "training_parameters",
    "write_train_notebook",
]

TEMPLATE_INFIX = ".train-"
JOBS_FOLDER = "training"  # under the store's home: the copies jobs run


def prepare_training(body: TrainIn, root: str | Path, home: Path) -> tuple[Path, dict[str, Any]]:
    """Check a train request on a file under `root` (paths never lead out of it, symbolic
    links included), write the template beside the data, and return the copy the job runs
    (in a folder of its own under `home`) with the job's parameters."""
    source = resolve_below_root(root, body.path)
    algorithm = get_algorithm(body.algorithm)
    parameters = training_parameters(
        source,
        body.target,
        algorithm,
        body.hyperparameters,
        task=body.task,
        validation=body.validation.kind,
        holdout=body.validation.holdout,
        folds=body.validation.folds,
        register_as=body.register_as,
        experiment=body.experiment,
        seed=body.seed,
    )
    notebook = write_train_notebook(template_path(source, algorithm.name), parameters, algorithm)
    return job_copy(notebook, home / JOBS_FOLDER), parameters


def training_parameters(
    source: Path,
    target: str,
    algorithm: Algorithm,
    hyperparameters: Mapping[str, Any],
    *,
    task: str | None = None,
    validation: str = "holdout",
    holdout: float = 0.2,
    folds: int = 5,
    register_as: str | None = None,
    experiment: str = "training",
    seed: int = 0,
) -> dict[str, Any]:
    """The notebook's parameters, checked on the data itself: the target is a column with
    values, the task suits it and the algorithm, and every hyperparameter is valid (all of
    them are written out, defaults included, so the notebook shows what it trains)."""
    from studio.evaluation.tasks import check_task

    # The first rows tell whether the request makes sense; the job reads them all.
    frame = read_table(source, max_rows=MAX_INSPECTED_ROWS)
    if target not in frame.columns:
        names = ", ".join(repr(name) for name in list(frame.columns)[:50])
        raise InvalidInput(f"No column {target!r} in {source.name!r}; the columns are {names}.")
    if frame.shape[1] < 2:
        raise InvalidInput(f"{source.name!r} has no column to learn from besides {target!r}.")
    y = frame[target].dropna()
    if y.empty:
        raise InvalidInput(f"The target column {target!r} has no value in any row.")
    try:
        resolved = check_task(task, y)
    except ValueError as exc:
        raise InvalidInput(f"The target {target!r} does not fit: {exc}") from exc
    values = algorithm.check(resolved, hyperparameters)
    if validation not in ("holdout", "cv"):
        raise InvalidInput(f"validation is 'holdout' or 'cv', not {validation!r}.")
    return {
        "data_path": str(source),
        "target": target,
        "algorithm": algorithm.name,
        "task": resolved,
        "hyperparameters": json.dumps(values),
        "validation": validation,
        "holdout": holdout,
        "folds": folds,
        "register_as": None if register_as is None else validate_model_name(register_as),
        "experiment": experiment,
        "seed": seed,
    }


def template_path(source: Path, algorithm: str) -> Path:
    """Where the template notebook of training `algorithm` on `source` goes: beside it."""
    stem = source.name if source.is_dir() else source.stem
    return source.parent / f"{stem}{TEMPLATE_INFIX}{algorithm}.ipynb"


_HELP = {
    "data_path": "a .csv or .parquet file, or a folder of them",
    "target": "the column to predict",
    "algorithm": "a key of studio.evaluation.catalogue.algorithms()",
    "task": "binary, multiclass or regression (None: detected from the target)",
    "hyperparameters": "JSON; the algorithm's defaults for any left out",
    "validation": "'holdout' or 'cv'",
    "holdout": "validation 'holdout': the share of rows held out",
    "folds": "validation 'cv': the number of folds",
    "register_as": "a registered model's name, or None not to register",
    "experiment": "the tracking run's experiment when run by hand (a job has its own run)",
    "seed": "splits and the estimator's randomness",
}


def write_train_notebook(path: Path, parameters: Mapping[str, Any], algorithm: Algorithm) -> Path:
    """Write the training notebook at `path` (replacing an earlier one)."""
    data_name = Path(str(parameters["data_path"])).name
    cells = [
        markdown_cell(
            f"# Train {algorithm.title} on `{data_name}`\n\n"
            "Written by Studio's *Train a model…*: reads the data, builds the preprocessing "
            "and the estimator from the built-in catalogue, evaluates them with "
            "`studio.evaluate` (a holdout split or k-fold cross-validation, beside a dummy "
            "baseline), fits the pipeline on every row, logs the model to the tracking run "
            "and registers it when `register_as` names a model. Change the parameters below "
            "(or any cell) and run it again, by hand or as a job."
        ),
        code_cell(
            "\n".join(f"{name} = {value!r}  # {_HELP[name]}" for name, value in parameters.items()),
            parameters=True,
        ),
        code_cell(
            "import json\n\n"
            "import pandas as pd\n\n"
            "import studio\n"
            "from studio.evaluation.catalogue import get_algorithm, make_pipeline\n"
            "from studio.evaluation.data import read_table, split_target\n"
            "from studio.evaluation.tasks import check_task, is_classification\n\n"
            "X, y = split_target(read_table(data_path), target)\n"
            "task = check_task(task, y)\n"
            "print(f'{len(X):,} rows, {X.shape[1]} columns; task: {task}')"
        ),
    ]
    if algorithm.encodes_labels:
        cells.append(
            code_cell(
                f"# {algorithm.title} takes classes as 0..n-1: the model predicts these codes.\n"
                "if is_classification(task):\n"
                "    classes = sorted(y.unique(), key=str)\n"
                "    y = y.map({label: code for code, label in enumerate(classes)})\n"
                "    print(dict(enumerate(classes)))"
            )
        )
    cells += [
        markdown_cell(
            f"## The pipeline\n\n{algorithm.description} Identifier, free-text and date "
            "columns are left out; missing values are imputed."
        ),
        code_cell(
            "chosen = get_algorithm(algorithm)\n"
            "pipeline = make_pipeline(chosen, X, task, json.loads(hyperparameters), seed=seed)\n"
            "pipeline"
        ),
        markdown_cell(
            "## Evaluate, then fit on every row\n\n"
            "The evaluation fits copies of the pipeline on the training part of each split; "
            "the model logged is fitted on all the rows."
        ),
        code_cell(
            "split = {'holdout': holdout} if validation == 'holdout' else {'cv': folds}\n"
            "with studio.start_run(experiment=experiment) as run:\n"
            "    run.log_params(json.loads(hyperparameters))\n"
            "    evaluation = studio.evaluate(pipeline, X, y, task=task, run=run, seed=seed, "
            "**split)\n"
            "    pipeline.fit(X, y)\n"
            "    run.log_model(pipeline, input_example=X.head(5))\n"
            "pd.DataFrame({'model': evaluation.metrics, 'baseline': evaluation.baseline})"
        ),
        code_cell(
            "if register_as:\n"
            "    version = studio.register_model(run.id, register_as)\n"
            "    print(f'Registered {version.uri}: approve it before an endpoint serves it.')\n"
            "    if chosen.untrusted_types(task):\n"
            "        print('Approve these types with it:', chosen.untrusted_types(task))"
        ),
    ]
    return write_notebook(path, cells)

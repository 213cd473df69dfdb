"""Notebook files a job may run: found inside a root folder, read, inspected, and written
(the template notebooks features generate beside their data, and the copy a job runs).

Paths from users (the REST API's) are relative to the server's root folder and never lead
out of it, through `..` or a symbolic link. Parameters are read with papermill's
`inspect_notebook`, the same reader papermill uses to inject them.
"""

from __future__ import annotations

import ast
import json
import os
import shutil
import uuid
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from studio.errors import InvalidInput, NotFound, TooLarge

__all__ = [
    "MAX_NOTEBOOK_BYTES",
    "NotebookParameter",
    "code_cell",
    "inspect_parameters",
    "job_copy",
    "markdown_cell",
    "notebook_kernel",
    "read_notebook",
    "resolve_below_root",
    "resolve_in_root",
    "write_notebook",
]

MAX_NOTEBOOK_BYTES = 20 * 2**20
"""The largest notebook a job snapshots (outputs included)."""


@dataclass(frozen=True)
class NotebookParameter:
    """A parameter of the cell tagged `parameters`: its default as written in the source,
    the value that source means where it is a Python literal (else None), the annotated type
    and the help comment."""

    name: str
    default: str
    value: Any
    type: str | None
    help: str


def resolve_in_root(root: str | Path, relative: str) -> Path:
    """The real path of `relative` under `root`; InvalidInput when it leads out of it."""
    if not relative or "\x00" in relative:
        raise InvalidInput("A notebook path is required.")
    if os.path.isabs(relative):
        raise InvalidInput(f"The path {relative!r} must be relative to the server's root.")
    real_root = os.path.realpath(root)
    real = os.path.realpath(os.path.join(real_root, relative))
    if os.path.commonpath([real_root, real]) != real_root:
        raise InvalidInput(f"The path {relative!r} leads out of the server's root folder.")
    return Path(real)


def resolve_below_root(root: str | Path, relative: str) -> Path:
    """As `resolve_in_root`, for data whose notebooks Studio writes beside it: the root itself
    is refused, since beside the root is out of it."""
    found = resolve_in_root(root, relative)
    if found == Path(os.path.realpath(root)):
        raise InvalidInput("Name a file or a folder under the server's root, not the root.")
    return found


def read_notebook(path: str | Path) -> str:
    """A notebook file's JSON text, checked to be a notebook and not too large."""
    found = Path(path)
    if found.suffix != ".ipynb":
        raise InvalidInput(f"{found.name[:200]!r} is not a notebook (.ipynb).")
    try:
        size = found.stat().st_size if found.is_file() else None
    except OSError as exc:  # a name too long for the file system, a path through a file
        message = f"Cannot read the notebook {found.name[:200]!r}: {exc.strerror}"
        raise InvalidInput(message) from exc
    if size is None:
        raise NotFound(f"No notebook at {str(found)!r}.")
    if size > MAX_NOTEBOOK_BYTES:
        raise TooLarge(
            f"The notebook {found.name!r} is {size / 2**20:.1f} MB; a job snapshots notebooks "
            f"of at most {MAX_NOTEBOOK_BYTES // 2**20} MB (clear its outputs first)."
        )
    try:
        text = found.read_text(encoding="utf-8")
        content = json.loads(text)
    except OSError as exc:
        raise InvalidInput(f"Cannot read the notebook {found.name!r}: {exc.strerror}") from exc
    except ValueError as exc:
        raise InvalidInput(f"{found.name!r} is not valid notebook JSON: {exc}") from exc
    if not isinstance(content, dict) or not isinstance(content.get("cells"), list):
        raise InvalidInput(f"{found.name!r} is not a notebook: it has no cells.")
    _check_format(found.name, content)
    return text


def _check_format(name: str, content: dict[str, Any]) -> None:
    """Refuse what papermill could not run: a notebook that is not valid nbformat 4."""
    import nbformat

    if content.get("nbformat") != 4:
        raise InvalidInput(
            f"{name!r} is in notebook format {content.get('nbformat')!r}: open and save it "
            "in JupyterLab to bring it to format 4."
        )
    try:
        with warnings.catch_warnings():
            # Cells without ids (nbformat 4.4 and older) are fine: papermill adds them.
            warnings.simplefilter("ignore")
            nbformat.validate(content, version=4)
    except nbformat.ValidationError as exc:
        raise InvalidInput(f"{name!r} is not a valid notebook: {exc.message}") from exc
    except Exception as exc:  # the validator's own failures on shapes it does not expect
        raise InvalidInput(f"{name!r} is not a valid notebook: {exc}") from exc


def notebook_kernel(content: str) -> str | None:
    """The kernel a notebook's metadata names, if any."""
    metadata = json.loads(content).get("metadata")
    kernelspec = metadata.get("kernelspec") if isinstance(metadata, dict) else None
    name = kernelspec.get("name") if isinstance(kernelspec, dict) else None
    return str(name) if name else None


def inspect_parameters(path: str | Path) -> list[NotebookParameter]:
    """The parameters of a notebook's cell tagged `parameters`, in order ([] without one)."""
    import papermill

    try:
        try:
            found = papermill.inspect_notebook(str(path))
        except ValueError:
            # A notebook saved without a kernelspec: papermill cannot tell its language.
            # Studio runs such notebooks on the default Python kernel, so read them as Python.
            found = _inspect_as_python(path)
    except Exception as exc:  # papermill's readers raise whatever a strange file makes them
        raise InvalidInput(
            f"The parameters of {Path(path).name!r} cannot be read: {type(exc).__name__}: {exc}"
        ) from exc
    return [
        NotebookParameter(
            name=name,
            default=str(info.get("default", "")),
            value=_literal(str(info.get("default", ""))),
            type=None
            if info.get("inferred_type_name") in (None, "None")
            else info["inferred_type_name"],
            help=str(info.get("help") or ""),
        )
        for name, info in found.items()
    ]


def _inspect_as_python(path: str | Path) -> dict[str, dict[str, Any]]:
    from papermill.inspection import _infer_parameters
    from papermill.iorw import load_notebook_node

    notebook = load_notebook_node(str(path))
    found = _infer_parameters(notebook, name="python3", language="python")
    return {parameter.name: parameter._asdict() for parameter in found}


def _literal(source: str) -> Any:
    try:
        value = ast.literal_eval(source)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return None
    # Only what JSON carries travels to the UI and back into papermill.
    try:
        json.dumps(value)
    except (TypeError, ValueError):
        return None
    return value


# Writing template notebooks -------------------------------------------------------------------


def markdown_cell(source: str) -> dict[str, Any]:
    return {"cell_type": "markdown", "metadata": {}, "source": source}


def code_cell(source: str, *, parameters: bool = False) -> dict[str, Any]:
    """A code cell; with `parameters`, the cell papermill injects the job's parameters after."""
    return {
        "cell_type": "code",
        "execution_count": None,
        "metadata": {"tags": ["parameters"]} if parameters else {},
        "outputs": [],
        "source": source,
    }


def write_notebook(path: Path, cells: Sequence[dict[str, Any]]) -> Path:
    """Write a Python notebook of `cells` at `path` (replacing an earlier one at once, so a
    reader never sees half of it); InvalidInput when it cannot be written."""
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
        tmp.write_text(json.dumps(notebook, indent=1) + "\n", encoding="utf-8")
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise InvalidInput(f"Cannot write the notebook {str(path)!r}: {exc.strerror}") from exc
    return path


def job_copy(notebook: Path, folder: Path) -> Path:
    """A copy of a template notebook in a new folder of its own under `folder`, for a job to
    run: a job runs in its notebook's folder, and the Dask executor carries that whole folder
    to its worker, which must not be the data's (a large file there would travel too, or be
    refused). The notebook beside the data is the reader's."""
    own = folder / uuid.uuid4().hex
    own.mkdir(parents=True)
    copy = own / notebook.name
    shutil.copyfile(notebook, copy)
    return copy

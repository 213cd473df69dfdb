"""Tiny notebooks for the jobs' tests, written with nbformat where a test wants them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import nbformat
from nbformat import NotebookNode
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

__all__ = ["markdown", "notebook_text", "read_notebook", "write_notebook"]


def markdown(source: str) -> NotebookNode:
    """A markdown cell, for `cells`: a plain string there is a code cell."""
    return new_markdown_cell(source)


def notebook_text(
    cells: Sequence[str | NotebookNode],
    parameters: str | Mapping[str, Any] | None = None,
    kernel: str | None = None,
) -> str:
    """The JSON text of a notebook made of `cells`.

    - `cells`: code sources, or cells made with nbformat (`markdown(...)`).
    - `parameters`: the cell tagged `parameters`, put first: its source, or names and
      default values (written `name = repr(value)`).
    - `kernel`: the kernelspec named in the metadata; python3 when None.
    """
    made = [new_code_cell(cell) if isinstance(cell, str) else cell for cell in cells]
    if parameters is not None:
        source = (
            parameters
            if isinstance(parameters, str)
            else "\n".join(f"{name} = {value!r}" for name, value in parameters.items())
        )
        made.insert(0, new_code_cell(source, metadata={"tags": ["parameters"]}))
    name = kernel or "python3"
    kernelspec = {"name": name, "display_name": name, "language": "python"}
    notebook = new_notebook(cells=made, metadata={"kernelspec": kernelspec})
    return nbformat.writes(notebook)  # type: ignore[no-any-return]


def write_notebook(
    path: Path,
    cells: Sequence[str | NotebookNode],
    parameters: str | Mapping[str, Any] | None = None,
    kernel: str | None = None,
) -> Path:
    """Write the notebook `notebook_text` makes to `path` (its folder made too); returns
    `path`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(notebook_text(cells, parameters, kernel), encoding="utf-8")
    return path


def read_notebook(path: Path) -> NotebookNode:
    """The notebook at `path`, as nbformat reads it."""
    return nbformat.read(path, as_version=4)

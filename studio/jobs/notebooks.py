"""Notebook files a job may run: found inside a root folder, read, and inspected.

Paths from users (the REST API's) are relative to the server's root folder and never lead
out of it, through `..` or a symbolic link. Parameters are read with papermill's
`inspect_notebook`, the same reader papermill uses to inject them.
"""

from __future__ import annotations

import ast
import json
import os
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from studio.errors import InvalidInput, NotFound, TooLarge

__all__ = [
    "MAX_NOTEBOOK_BYTES",
    "NotebookParameter",
    "inspect_parameters",
    "notebook_kernel",
    "read_notebook",
    "resolve_in_root",
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

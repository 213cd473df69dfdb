"""The files of a local folder to copy, without following links out of it.

Logging a folder (into a local or fsspec store, or through the REST API) and downloading one
from a local store walk it here. A symbolic link inside the folder is copied as the file or
folder it points to only when that lies inside the boundary; a link that leads out, or back
into a folder that holds it, is skipped and named in an `ArtifactWarning`. Kept apart from
`artifacts` so that the REST client can use it without importing fsspec.
"""

from __future__ import annotations

import os
import posixpath
import sys
import warnings
from pathlib import Path

__all__ = ["ArtifactWarning", "local_files", "within"]

_SHOWN_SKIPPED = 10  # names a warning about skipped links lists before "and N more"


class ArtifactWarning(UserWarning):
    """Some files were left out of a copy because they are links that lead elsewhere."""


def local_files(folder: str | Path, *, boundary: str | None = None) -> list[tuple[str, str]]:
    """Every regular file below a local `folder` as (real path, relative path), in order.

    A link is followed only where its real path lies inside `boundary` (default: the folder
    itself); the others are skipped with an `ArtifactWarning` naming them. A link to a folder
    that holds the link (a loop) is skipped too.
    """
    root = os.path.realpath(folder)
    files: list[tuple[str, str]] = []
    skipped: list[str] = []

    def visit(real_folder: str, relative: str, ancestors: frozenset[str]) -> None:
        with os.scandir(real_folder) as entries:
            ordered = sorted(entries, key=lambda entry: entry.name)
        for entry in ordered:
            name = posixpath.join(relative, entry.name) if relative else entry.name
            real = os.path.realpath(entry.path) if entry.is_symlink() else entry.path
            if not within(real, boundary or root) or real in ancestors:
                skipped.append(name)
            elif os.path.isdir(real):
                visit(real, name, ancestors | {real})
            elif os.path.isfile(real):
                files.append((real, name))

    visit(root, "", frozenset({root}))
    if skipped:
        shown = ", ".join(repr(name) for name in skipped[:_SHOWN_SKIPPED])
        more = f" and {len(skipped) - _SHOWN_SKIPPED} more" if len(skipped) > _SHOWN_SKIPPED else ""
        warnings.warn(
            f"Skipped {shown}{more} in {str(folder)!r}: symbolic links that lead outside "
            f"{boundary or str(folder)!r} or into a folder that holds them.",
            ArtifactWarning,
            stacklevel=_caller_level(),
        )
    return files


def within(path: str, folder: str) -> bool:
    """Whether `path` is `folder` or lies below it (both normalised, absolute)."""
    return path == folder or path.startswith(folder.rstrip("/") + "/")


def _caller_level() -> int:
    """The stacklevel of a warning from `local_files` that points at the caller of Studio."""
    level, frame = 2, sys._getframe(2)  # 1 is local_files
    while frame.f_back is not None and frame.f_globals.get("__name__", "").startswith("studio."):
        level, frame = level + 1, frame.f_back
    return level

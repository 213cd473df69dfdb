"""Run artifacts under the artifact root: a local folder or any fsspec URL.

Every path stays inside its run's artifact folder. A user-given path is first checked as
text (`safe_relative_path`), then, on a local file system, by its real path: a symbolic link
inside an artifact folder (logged by hand, or dropped in by anyone with access to the folder)
must not let a read, a listing, a download or a write reach outside it. Local files are then
opened by their real path, so that what was checked is what is read. Other fsspec file systems
have no links; there the path the file system itself will use is checked against the folder.
Logging a local folder copies the files its links point to when they lie inside the folder,
and skips, with a warning, those that lead out of it.
"""

from __future__ import annotations

import errno
import functools
import os
import posixpath
import shutil
import stat
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, ParamSpec, TypeVar

import fsspec
from fsspec.implementations.local import LocalFileSystem

from studio.errors import Conflict, InvalidInput, NotFound, StoreError
from studio.tracking.entities import ArtifactInfo
from studio.tracking.local_files import local_files, within

P = ParamSpec("P")
T = TypeVar("T")
MAX_PATH_LENGTH = 1024
MAX_NAME_LENGTH = 255


def safe_relative_path(path: str | None, *, allow_empty: bool = True) -> str:
    """A user-given artifact path, normalised, that cannot leave the run's artifact folder."""
    raw = (path or "").strip()
    if len(raw) > MAX_PATH_LENGTH or any(len(part) > MAX_NAME_LENGTH for part in raw.split("/")):
        raise InvalidInput(
            f"Invalid artifact path {raw[:40]!r}...: at most {MAX_PATH_LENGTH} characters, "
            f"{MAX_NAME_LENGTH} per name."
        )
    if "\x00" in raw or "\\" in raw:
        raise InvalidInput(f"Invalid artifact path {path!r}: use '/' and no control characters.")
    if raw.startswith("/") or (len(raw) > 1 and raw[1] == ":"):
        raise InvalidInput(f"Invalid artifact path {path!r}: it must be relative.")
    normalized = posixpath.normpath(raw) if raw else ""
    if normalized in {".", ""}:
        normalized = ""
    if normalized == ".." or normalized.startswith("../"):
        raise InvalidInput(f"Invalid artifact path {path!r}: it leaves the run's artifacts.")
    if not normalized and not allow_empty:
        raise InvalidInput("An artifact path must not be empty.")
    return normalized


def _local_path(path: str | Path, what: str) -> Path:
    """A path on this machine given by the caller; a NUL byte in it is bad input, not a crash."""
    if "\x00" in str(path):
        raise InvalidInput(f"Invalid {what} {str(path)!r}: it holds a NUL byte.")
    return Path(path)


def _filesystem_errors(method: Callable[P, T]) -> Callable[P, T]:
    """File-system failures become Studio errors: a clash is a conflict, not a crash."""

    @functools.wraps(method)
    def translated(*args: P.args, **kwargs: P.kwargs) -> T:
        try:
            return method(*args, **kwargs)
        except (FileExistsError, NotADirectoryError, IsADirectoryError) as exc:
            raise Conflict(
                f"The artifact path clashes with an existing file or folder ({exc.strerror})."
            ) from exc
        except OSError as exc:
            if exc.errno == errno.ENAMETOOLONG:
                raise InvalidInput("The artifact path is too long for the artifact store.") from exc
            raise StoreError(f"The artifact store failed: {exc}") from exc

    return translated


@dataclass(frozen=True)
class _Place:
    """Where an artifact path lies: on a local file system, `folder` and `target` are real
    paths, and `target` has been checked to lie inside `folder`."""

    fs: Any
    folder: str  # the run's artifact folder
    target: str
    relative: str
    local: bool


class ArtifactRepository:
    """Reads and writes artifact files below each run's `artifact_uri`."""

    def _resolve(self, uri: str, path: str = "", *, allow_empty: bool = True) -> _Place:
        relative = safe_relative_path(path, allow_empty=allow_empty)
        fs, folder = fsspec.core.url_to_fs(uri)
        target = posixpath.join(folder, relative) if relative else folder
        # Other file systems (memory, object stores) have no links: the text, normalised by
        # safe_relative_path, is where the file is. A local one is checked by its real path.
        local = isinstance(fs, LocalFileSystem)
        if local:
            folder, target = os.path.realpath(folder), os.path.realpath(target)
        if not within(target, folder):
            raise InvalidInput(
                f"Invalid artifact path {relative!r}: it leads outside the run's artifacts "
                "(through a symbolic link)."
            )
        if target == folder and not allow_empty:  # a link to "." would replace everything
            raise InvalidInput(f"Invalid artifact path {relative!r}: it is the whole folder.")
        return _Place(fs, folder, target, relative, local)

    @_filesystem_errors
    def log_path(self, uri: str, local_path: str | Path, destination: str | None = None) -> str:
        """Copy a local file or folder into the run's artifacts; returns its artifact path.
        Links in a folder that lead outside it are not copied (see `local_files`)."""
        source = _local_path(local_path, "local path")
        if not source.exists():
            raise InvalidInput(f"Cannot log {str(source)!r} as an artifact: it does not exist.")
        place = self._resolve(uri, destination or source.name, allow_empty=False)
        files = local_files(source) if source.is_dir() else [(str(source), "")]
        fs, target = place.fs, place.target
        fs.makedirs(posixpath.dirname(target) or target, exist_ok=True)
        # Logging under an existing name replaces it: copying a folder onto a folder would
        # nest it (model/model) and leave the old content in place.
        if fs.exists(target):
            fs.rm(target, recursive=True)
        if source.is_dir():
            fs.makedirs(target, exist_ok=True)
        made = {target}
        for real, relative in files:
            destination_file = posixpath.join(target, relative) if relative else target
            parent = posixpath.dirname(destination_file)
            if parent not in made:
                fs.makedirs(parent, exist_ok=True)
                made.add(parent)
            fs.put_file(real, destination_file)
        return place.relative

    @_filesystem_errors
    def write_bytes(self, uri: str, path: str, data: bytes) -> str:
        place = self._resolve(uri, path, allow_empty=False)
        place.fs.makedirs(posixpath.dirname(place.target), exist_ok=True)
        with place.fs.open(place.target, "wb") as handle:
            handle.write(data)
        return place.relative

    @_filesystem_errors
    def list(self, uri: str, path: str = "") -> list[ArtifactInfo]:
        """The direct children of `path` (a folder), folders first. On a local file system a
        link that leads outside the run's artifacts is left out."""
        place = self._resolve(uri, path)
        fs, target, relative = place.fs, place.target, place.relative
        if not fs.exists(target):
            if relative:
                raise NotFound(f"No artifact {relative!r} in this run.")
            return []
        if not fs.isdir(target):
            raise InvalidInput(f"The artifact {relative!r} is a file, not a folder.")
        entries = _local_entries(place) if place.local else _fsspec_entries(place)
        found = [
            ArtifactInfo(
                path=posixpath.join(relative, name) if relative else name,
                is_dir=is_dir,
                size=None if is_dir else size,
            )
            for name, is_dir, size in entries
        ]
        return sorted(found, key=lambda info: (not info.is_dir, info.path))

    @_filesystem_errors
    def open(self, uri: str, path: str) -> tuple[IO[bytes], int | None]:
        """An open binary file and its size, for download."""
        place = self._resolve(uri, path, allow_empty=False)
        missing = NotFound(f"No artifact file {place.relative!r} in this run.")
        if not place.local:
            if not place.fs.exists(place.target) or place.fs.isdir(place.target):
                raise missing
            return place.fs.open(place.target, "rb"), place.fs.size(place.target)
        # The real path, opened without following a link (one swapped in since the check is
        # refused) and without blocking (a FIFO is refused below, not waited on).
        try:
            descriptor = os.open(place.target, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
        except (FileNotFoundError, NotADirectoryError) as exc:
            raise missing from exc
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                raise InvalidInput(
                    f"Invalid artifact path {place.relative!r}: it became a symbolic link."
                ) from exc
            raise
        status = os.fstat(descriptor)
        if not stat.S_ISREG(status.st_mode):
            os.close(descriptor)
            raise missing
        return os.fdopen(descriptor, "rb"), status.st_size

    @_filesystem_errors
    def download(self, uri: str, path: str, destination: str | Path) -> Path:
        """Copy an artifact (file or folder) to a local folder; returns the local path. Links
        in the folder that lead outside the run's artifacts are skipped with a warning."""
        place = self._resolve(uri, path, allow_empty=False)
        local = _local_path(destination, "destination") / posixpath.basename(place.relative)
        fs, target = place.fs, place.target
        if not fs.exists(target):
            raise NotFound(f"No artifact {place.relative!r} in this run.")
        if not place.local:
            fs.get(target, str(local), recursive=fs.isdir(target))
        elif os.path.isdir(target):
            local.mkdir(parents=True, exist_ok=True)
            for real, relative in local_files(target, boundary=place.folder):
                copy = local / relative
                copy.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(real, copy)
        elif os.path.isfile(target):
            local.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(target, local)
        else:
            raise NotFound(f"No artifact {place.relative!r} in this run.")
        return local

    @_filesystem_errors
    def delete_all(self, uri: str) -> None:
        # The lexical path: deleting a run removes its folder, never what a link points to
        # (fsspec's local rm does not follow links inside the folder either).
        fs, target = fsspec.core.url_to_fs(uri)
        if fs.exists(target):
            fs.rm(target, recursive=True)
        run_folder = posixpath.dirname(target)
        if fs.exists(run_folder) and not fs.ls(run_folder):
            fs.rm(run_folder, recursive=True)


def _local_entries(place: _Place) -> list[tuple[str, bool, int | None]]:
    """(name, is_dir, size) of each child of a local folder that is a regular file or folder
    inside the run's artifacts, following the links that stay inside."""
    found: list[tuple[str, bool, int | None]] = []
    with os.scandir(place.target) as entries:
        for entry in entries:
            real = os.path.realpath(entry.path) if entry.is_symlink() else entry.path
            if not within(real, place.folder):
                continue
            if os.path.isdir(real):
                found.append((entry.name, True, None))
            elif os.path.isfile(real):
                found.append((entry.name, False, os.path.getsize(real)))
    return found


def _fsspec_entries(place: _Place) -> list[tuple[str, bool, int | None]]:
    found: list[tuple[str, bool, int | None]] = []
    for entry in place.fs.ls(place.target, detail=True):
        name = posixpath.basename(entry["name"].rstrip("/"))
        found.append((name, entry.get("type") == "directory", entry.get("size")))
    return found

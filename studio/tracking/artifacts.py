"""Run artifacts under the artifact root: a local folder or any fsspec URL."""

from __future__ import annotations

import errno
import functools
import posixpath
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any, ParamSpec, TypeVar

import fsspec

from studio.errors import Conflict, InvalidInput, NotFound, StoreError
from studio.tracking.entities import ArtifactInfo

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


class ArtifactRepository:
    """Reads and writes artifact files below each run's `artifact_uri`."""

    def _resolve(self, uri: str, path: str = "", *, allow_empty: bool = True) -> tuple[Any, str]:
        relative = safe_relative_path(path, allow_empty=allow_empty)
        fs, base = fsspec.core.url_to_fs(uri)
        return fs, posixpath.join(base, relative) if relative else base

    @_filesystem_errors
    def log_path(self, uri: str, local_path: str | Path, destination: str | None = None) -> str:
        """Copy a local file or folder into the run's artifacts; returns its artifact path."""
        source = Path(local_path)
        if not source.exists():
            raise InvalidInput(f"Cannot log {str(source)!r} as an artifact: it does not exist.")
        relative = safe_relative_path(destination or source.name, allow_empty=False)
        fs, target = self._resolve(uri, relative)
        fs.makedirs(posixpath.dirname(target) or target, exist_ok=True)
        # Logging under an existing name replaces it: copying a folder onto a folder would
        # nest it (model/model) and leave the old content in place.
        if fs.exists(target):
            fs.rm(target, recursive=True)
        if source.is_dir():
            fs.put(str(source), target, recursive=True)
        else:
            fs.put_file(str(source), target)
        return relative

    @_filesystem_errors
    def write_bytes(self, uri: str, path: str, data: bytes) -> str:
        relative = safe_relative_path(path, allow_empty=False)
        fs, target = self._resolve(uri, relative)
        fs.makedirs(posixpath.dirname(target), exist_ok=True)
        with fs.open(target, "wb") as handle:
            handle.write(data)
        return relative

    @_filesystem_errors
    def list(self, uri: str, path: str = "") -> list[ArtifactInfo]:
        """The direct children of `path` (a folder), folders first."""
        fs, target = self._resolve(uri, path)
        relative = safe_relative_path(path)
        if not fs.exists(target):
            if relative:
                raise NotFound(f"No artifact {relative!r} in this run.")
            return []
        if not fs.isdir(target):
            raise InvalidInput(f"The artifact {relative!r} is a file, not a folder.")
        found = []
        for entry in fs.ls(target, detail=True):
            name = posixpath.basename(entry["name"].rstrip("/"))
            is_dir = entry.get("type") == "directory"
            found.append(
                ArtifactInfo(
                    path=posixpath.join(relative, name) if relative else name,
                    is_dir=is_dir,
                    size=None if is_dir else entry.get("size"),
                )
            )
        return sorted(found, key=lambda info: (not info.is_dir, info.path))

    @_filesystem_errors
    def open(self, uri: str, path: str) -> tuple[IO[bytes], int | None]:
        """An open binary file and its size, for download."""
        fs, target = self._resolve(uri, path, allow_empty=False)
        if not fs.exists(target) or fs.isdir(target):
            raise NotFound(f"No artifact file {safe_relative_path(path)!r} in this run.")
        size = fs.size(target)
        return fs.open(target, "rb"), size

    @_filesystem_errors
    def download(self, uri: str, path: str, destination: str | Path) -> Path:
        """Copy an artifact (file or folder) to a local folder; returns the local path."""
        fs, target = self._resolve(uri, path, allow_empty=False)
        if not fs.exists(target):
            raise NotFound(f"No artifact {safe_relative_path(path)!r} in this run.")
        local = Path(destination) / posixpath.basename(target)
        fs.get(target, str(local), recursive=fs.isdir(target))
        return local

    @_filesystem_errors
    def delete_all(self, uri: str) -> None:
        fs, target = self._resolve(uri)
        if fs.exists(target):
            fs.rm(target, recursive=True)
        run_folder = posixpath.dirname(target)
        if fs.exists(run_folder) and not fs.ls(run_folder):
            fs.rm(run_folder, recursive=True)

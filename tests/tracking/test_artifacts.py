"""Artifacts stay inside their run, on the service and the local client.

Each test plants symbolic links in a run's artifact folder, as anyone with access to the folder
could (or as logging a folder once did): to a file and to a folder outside the store, and to a
file and a folder inside the run. Reads, listings, downloads and writes must reach the inside
ones and refuse the others without showing a byte of what lies outside. The REST side of the
same checks is in test_api_artifacts.py.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import fsspec
import pytest

import studio
from studio.errors import InvalidInput, NotFound
from studio.tracking.local_files import ArtifactWarning
from studio.tracking.service import TrackingService
from studio.tracking.store import TrackingStore

if TYPE_CHECKING:
    from studio.db.engine import Database

SECRET = "SECRET: outside the store"


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A folder beside the store, with a file no run may show."""
    folder = tmp_path / "outside"
    folder.mkdir()
    (folder / "secret.txt").write_text(SECRET)
    return folder


def plant_links(folder: Path, outside: Path) -> None:
    """Real files and links of every kind in a run's artifact folder."""
    (folder / "real.txt").write_text("real")
    (folder / "inner").mkdir(parents=True, exist_ok=True)
    (folder / "inner" / "deep.txt").write_text("deep")
    os.symlink(outside / "secret.txt", folder / "file_out")
    os.symlink(outside, folder / "dir_out")
    os.symlink("../../..", folder / "up")  # relative, out of the run and of the store
    os.symlink("real.txt", folder / "file_in")
    os.symlink("inner", folder / "dir_in")
    os.symlink(outside / "secret.txt", folder / "inner" / "deep_out")


@pytest.fixture
def run_id(service: TrackingService, outside: Path) -> str:
    run = service.create_run(service.get_or_create_experiment("links").id)
    service.upload_artifact(run.id, "placeholder.txt", b"p")
    plant_links(Path(run.artifact_uri), outside)
    return run.id


OUTSIDE_PATHS = ["file_out", "dir_out", "dir_out/secret.txt", "up", "up/outside/secret.txt"]


def test_listing_hides_links_that_lead_outside(service: TrackingService, run_id: str) -> None:
    listing = {(a.path, a.is_dir, a.size) for a in service.list_artifacts(run_id)}
    assert listing == {
        ("dir_in", True, None),
        ("inner", True, None),
        ("file_in", False, 4),
        ("placeholder.txt", False, 1),
        ("real.txt", False, 4),
    }
    assert [a.path for a in service.list_artifacts(run_id, "inner")] == ["inner/deep.txt"]
    assert [a.path for a in service.list_artifacts(run_id, "dir_in")] == ["dir_in/deep.txt"]
    for path in ("dir_out", "up", "up/outside"):
        with pytest.raises(InvalidInput, match="outside the run's artifacts"):
            service.list_artifacts(run_id, path)


def test_reads_follow_inside_links_only(service: TrackingService, run_id: str) -> None:
    for path in OUTSIDE_PATHS:
        with pytest.raises(InvalidInput, match="outside the run's artifacts"):
            service.open_artifact(run_id, path)
    for path, content in [("file_in", b"real"), ("dir_in/deep.txt", b"deep")]:
        handle, size = service.open_artifact(run_id, path)
        with handle:
            assert (handle.read(), size) == (content, len(content))
    with pytest.raises(NotFound):
        service.open_artifact(run_id, "inner")  # a folder is not a file to download


def test_a_fifo_is_refused_not_waited_on(service: TrackingService, run_id: str) -> None:
    os.mkfifo(Path(service.get_run(run_id).artifact_uri) / "pipe")
    with pytest.raises(NotFound):
        service.open_artifact(run_id, "pipe")
    assert "pipe" not in {a.path for a in service.list_artifacts(run_id)}


def test_downloads_skip_links_that_lead_outside(
    service: TrackingService, run_id: str, tmp_path: Path
) -> None:
    target = tmp_path / "download"
    for path in OUTSIDE_PATHS:
        with pytest.raises(InvalidInput, match="outside the run's artifacts"):
            service.download_artifacts(run_id, path, target)
    assert not target.exists()
    with pytest.warns(ArtifactWarning, match="'deep_out'"):
        folder = service.download_artifacts(run_id, "inner", target)
    assert sorted(p.name for p in folder.rglob("*")) == ["deep.txt"]
    with pytest.warns(ArtifactWarning, match="'deep_out'"):
        linked = service.download_artifacts(run_id, "dir_in", target)
    assert (linked / "deep.txt").read_text() == "deep"
    copied = service.download_artifacts(run_id, "file_in", target)
    assert copied == target / "file_in"
    assert copied.read_text() == "real"
    assert not copied.is_symlink()
    assert SECRET not in "".join(p.read_text() for p in target.rglob("*") if p.is_file())


def test_writes_never_go_through_a_link_outside(
    service: TrackingService, run_id: str, outside: Path, tmp_path: Path
) -> None:
    note = tmp_path / "note.txt"
    note.write_text("note")
    for path in ["dir_out/evil.txt", "file_out", "up/evil.txt", "up/outside/secret.txt"]:
        with pytest.raises(InvalidInput, match="outside the run's artifacts"):
            service.upload_artifact(run_id, path, b"evil")
        with pytest.raises(InvalidInput, match="outside the run's artifacts"):
            service.log_artifact(run_id, note, path)
    assert sorted(p.name for p in outside.iterdir()) == ["secret.txt"]
    assert (outside / "secret.txt").read_text() == SECRET
    assert not list(tmp_path.rglob("evil.txt"))
    # A link to the run's folder itself names no file: writing there would replace it all.
    folder = Path(service.get_run(run_id).artifact_uri)
    os.symlink(".", folder / "itself")
    with pytest.raises(InvalidInput, match="whole folder"):
        service.log_artifact(run_id, note, "itself")
    with pytest.raises(InvalidInput, match="whole folder"):
        service.upload_artifact(run_id, "itself", b"evil")
    assert (folder / "real.txt").read_text() == "real"
    # A link inside the run is a folder of the run like any other.
    assert service.upload_artifact(run_id, "dir_in/new.txt", b"new") == "dir_in/new.txt"
    assert (folder / "inner" / "new.txt").read_bytes() == b"new"


def test_deleting_a_run_leaves_what_its_links_point_to(
    service: TrackingService, run_id: str, outside: Path
) -> None:
    folder = Path(service.get_run(run_id).artifact_uri)
    service.delete_run(run_id)
    assert not folder.exists()
    assert (outside / "secret.txt").read_text() == SECRET


def test_logging_a_folder_copies_no_link_that_leads_outside_it(
    service: TrackingService, outside: Path, tmp_path: Path
) -> None:
    source = tmp_path / "source"
    (source / "sub").mkdir(parents=True)
    (source / "a.txt").write_text("a")
    (source / "sub" / "b.txt").write_text("b")
    os.symlink(outside / "secret.txt", source / "file_out")
    os.symlink(outside, source / "dir_out")
    os.symlink("a.txt", source / "file_in")
    os.symlink("sub", source / "dir_in")
    os.symlink("..", source / "sub" / "loop")  # back into a folder that holds it
    run = service.create_run(service.get_or_create_experiment("links").id)

    with pytest.warns(ArtifactWarning) as caught:
        assert service.log_artifact(run.id, source, "copy") == "copy"
    message = str(caught[0].message)
    for name in ("'file_out'", "'dir_out'", "'sub/loop'", "'dir_in/loop'"):
        assert name in message
    assert caught[0].filename == __file__  # the warning points at the caller's line

    stored = Path(run.artifact_uri) / "copy"
    files = {p.relative_to(stored).as_posix(): p for p in stored.rglob("*") if p.is_file()}
    assert sorted(files) == ["a.txt", "dir_in/b.txt", "file_in", "sub/b.txt"]
    assert not any(p.is_symlink() for p in stored.rglob("*"))
    assert files["file_in"].read_text() == "a"
    assert SECRET not in "".join(p.read_text() for p in files.values())


def test_a_folder_without_links_logs_without_warning(
    service: TrackingService, tmp_path: Path
) -> None:
    source = tmp_path / "plain"
    (source / "empty").mkdir(parents=True)
    (source / "x.txt").write_text("x")
    run = service.create_run(service.get_or_create_experiment("plain").id)
    assert service.log_artifact(run.id, source) == "plain"  # warnings are errors here
    # Files are copied one by one, as the REST client uploads them: an empty folder has none.
    assert [a.path for a in service.list_artifacts(run.id, "plain")] == ["plain/x.txt"]


BAD_PATHS = [
    ("..", "leaves"),
    ("../other", "leaves"),
    ("a/../../other", "leaves"),
    ("/etc/passwd", "relative"),
    ("C:/Windows", "relative"),
    ("..\\other", "'/'"),
    ("a\\b", "'/'"),
    ("a\x00b", "control"),
    ("\x00", "control"),
]


@pytest.mark.parametrize(("path", "says"), BAD_PATHS)
def test_paths_that_leave_the_run_are_refused(
    service: TrackingService, run_id: str, tmp_path: Path, path: str, says: str
) -> None:
    note = tmp_path / "note.txt"
    note.write_text("note")
    calls: list[Callable[[], object]] = [
        lambda: service.list_artifacts(run_id, path),
        lambda: service.open_artifact(run_id, path),
        lambda: service.download_artifacts(run_id, path, tmp_path / "d"),
        lambda: service.upload_artifact(run_id, path, b"evil"),
        lambda: service.log_artifact(run_id, note, path),
    ]
    for call in calls:
        with pytest.raises(InvalidInput, match=says):
            call()
    assert not list(tmp_path.rglob("*evil*"))


def test_encoded_separators_are_names_not_separators(service: TrackingService, run_id: str) -> None:
    # The service takes paths as they are: only HTTP decodes %2F, once (test_api_artifacts).
    assert service.upload_artifact(run_id, "..%2Fescape", b"x") == "..%2Fescape"
    folder = Path(service.get_run(run_id).artifact_uri)
    assert (folder / "..%2Fescape").read_bytes() == b"x"
    with pytest.raises(NotFound):
        service.open_artifact(run_id, "..%2Fplaceholder.txt")


def test_nul_bytes_in_local_paths_are_bad_input(
    service: TrackingService, run_id: str, tmp_path: Path
) -> None:
    with pytest.raises(InvalidInput, match="NUL"):
        service.log_artifact(run_id, str(tmp_path / "a\x00b"))
    with pytest.raises(InvalidInput, match="NUL"):
        service.download_artifacts(run_id, "real.txt", str(tmp_path / "d\x00"))


def test_the_local_client_downloads_only_what_is_inside(tmp_path: Path, outside: Path) -> None:
    home = str(tmp_path / "home")
    with studio.start_run(experiment="client", tracking_uri=home) as run:
        run.log_artifact(outside / "secret.txt", "placeholder.txt")
    client = studio.Client(home)
    folder = Path(client.get_run(run.id).artifact_uri)
    (folder / "placeholder.txt").write_text("p")
    plant_links(folder, outside)
    target = tmp_path / "download"
    for path in OUTSIDE_PATHS:
        with pytest.raises(InvalidInput, match="outside the run's artifacts"):
            client.download_artifacts(run.id, path, target)
    with pytest.raises(InvalidInput, match="leaves"):
        client.download_artifacts(run.id, "../..", target)
    with pytest.warns(ArtifactWarning, match="deep_out"):
        client.download_artifacts(run.id, "dir_in", target)
    assert sorted(p.name for p in target.rglob("*")) == ["deep.txt", "dir_in"]
    assert {a.path for a in client.list_artifacts(run.id)} == {
        "dir_in",
        "inner",
        "file_in",
        "placeholder.txt",
        "real.txt",
    }


# fsspec roots ----------------------------------------------------------------------------------


@pytest.fixture
def memory_service(database: Database) -> Iterator[TrackingService]:
    """A service whose artifact root is fsspec's in-memory file system (no links there)."""
    root = f"memory://studio-test-{uuid.uuid4().hex[:12]}"
    yield TrackingService(TrackingStore(database, root))
    fs = fsspec.filesystem("memory")
    if fs.exists(root):
        fs.rm(root, recursive=True)


def test_a_memory_root_keeps_paths_inside_the_run(
    memory_service: TrackingService, tmp_path: Path
) -> None:
    service = memory_service
    experiment = service.get_or_create_experiment("memory").id
    run, other = service.create_run(experiment), service.create_run(experiment)
    service.upload_artifact(other.id, "secret", b"other run")
    source = tmp_path / "source"
    (source / "sub").mkdir(parents=True)
    (source / "sub" / "b.txt").write_text("b")
    assert service.log_artifact(run.id, source, "folder") == "folder"
    assert service.upload_artifact(run.id, "a/./b/../c.txt", b"c") == "a/c.txt"
    assert [a.path for a in service.list_artifacts(run.id)] == ["a", "folder"]
    handle, size = service.open_artifact(run.id, "folder/sub/b.txt")
    with handle:
        assert (handle.read(), size) == (b"b", 1)
    copied = service.download_artifacts(run.id, "folder", tmp_path / "download")
    assert (copied / "sub" / "b.txt").read_text() == "b"

    for path in ["../secret", f"../../{other.id}/artifacts/secret", "/secret", "a\\..\\..\\x"]:
        with pytest.raises(InvalidInput):
            service.open_artifact(run.id, path)
        with pytest.raises(InvalidInput):
            service.list_artifacts(run.id, path)
        with pytest.raises(InvalidInput):
            service.upload_artifact(run.id, path, b"evil")
    fs = fsspec.filesystem("memory")
    assert not [name for name in fs.find("/") if "evil" in name]


def test_a_local_fsspec_root_checks_real_paths(
    database: Database, tmp_path: Path, outside: Path
) -> None:
    service = TrackingService(TrackingStore(database, f"file://{tmp_path / 'store'}"))
    run = service.create_run(service.get_or_create_experiment("file-url").id)
    service.upload_artifact(run.id, "placeholder.txt", b"p")
    plant_links(Path(run.artifact_uri.removeprefix("file://")), outside)
    for path in OUTSIDE_PATHS:
        with pytest.raises(InvalidInput, match="outside the run's artifacts"):
            service.open_artifact(run.id, path)
    assert "file_out" not in {a.path for a in service.list_artifacts(run.id)}
    handle, _ = service.open_artifact(run.id, "dir_in/deep.txt")
    with handle:
        assert handle.read() == b"deep"

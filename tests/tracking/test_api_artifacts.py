"""The artifact routes of the tracking REST API through HTTP: upload, listing, download, and
paths that try to leave a run's artifact folder, by text (`..`, absolute, encoded separators,
backslashes, NUL) or through symbolic links planted in it."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from studio.errors import InvalidInput, NotFound
from studio.tracking.local_files import ArtifactWarning
from studio.tracking.rest import RestTrackingClient
from tests.conftest import Answer

if TYPE_CHECKING:
    from jupyter_server.serverapp import ServerApp

    from tests.conftest import StudioCreate, StudioFetch


async def new_run(create: StudioCreate) -> dict[str, Any]:
    return await create("runs", {"experiment_name": "exp"})


async def test_artifact_upload_list_and_download(
    studio_fetch: StudioFetch, studio_create: StudioCreate
) -> None:
    run = await new_run(studio_create)
    content = f"runs/{run['id']}/artifacts/content"
    payload = bytes(range(256)) * 5000  # binary, larger than one download chunk

    answer = await studio_fetch("PUT", content, params={"path": "model/weights.bin"}, body=payload)
    assert answer.code == 201
    assert answer.json == {"path": "model/weights.bin", "is_dir": False, "size": len(payload)}
    await studio_fetch("PUT", content, params={"path": "notes.txt"}, body=b"hello")
    await studio_fetch("PUT", content, params={"path": "./plots/../résumé.json"}, body=b"{}")

    listing = await studio_fetch("GET", f"runs/{run['id']}/artifacts")
    assert listing.code == 200
    assert listing.json == {
        "path": "",
        "artifacts": [
            {"path": "model", "is_dir": True, "size": None},
            {"path": "notes.txt", "is_dir": False, "size": 5},
            {"path": "résumé.json", "is_dir": False, "size": 2},
        ],
    }
    inner = await studio_fetch("GET", f"runs/{run['id']}/artifacts", params={"path": "model"})
    assert inner.json["artifacts"] == [
        {"path": "model/weights.bin", "is_dir": False, "size": len(payload)}
    ]

    download = await studio_fetch("GET", content, params={"path": "model/weights.bin"})
    assert download.code == 200
    assert download.body == payload
    assert download.headers["Content-Type"] == "application/octet-stream"
    assert 'filename="weights.bin"' in download.headers["Content-Disposition"]
    text = await studio_fetch("GET", content, params={"path": "notes.txt"})
    assert text.body == b"hello"
    assert text.headers["Content-Type"].startswith("text/plain")
    accented = await studio_fetch("GET", content, params={"path": "résumé.json"})
    assert "filename*=UTF-8''r%C3%A9sum%C3%A9.json" in accented.headers["Content-Disposition"]


async def test_artifact_paths_cannot_escape(
    studio_fetch: StudioFetch,
    studio_artifact_root: Path,
    tmp_path: Path,
    studio_create: StudioCreate,
) -> None:
    run = await new_run(studio_create)
    other = await new_run(studio_create)
    await studio_fetch(
        "PUT", f"runs/{other['id']}/artifacts/content", params={"path": "secret"}, body=b"s"
    )
    (tmp_path / "outside.txt").write_text("outside")
    listing = f"runs/{run['id']}/artifacts"
    content = f"{listing}/content"
    escapes = [
        "../secret",
        f"../../{other['id']}/artifacts/secret",
        "a/../../secret",
        "/etc/passwd",
        "..",
        "..\\secret",
    ]
    for path in escapes:
        (await studio_fetch("GET", content, params={"path": path})).error(400)
        (await studio_fetch("GET", listing, params={"path": path})).error(400)
        (await studio_fetch("PUT", content, params={"path": path}, body=b"evil")).error(400)
    assert (await studio_fetch("GET", listing)).json["artifacts"] == []
    assert not list(studio_artifact_root.rglob("*evil*"))
    assert (tmp_path / "outside.txt").read_text() == "outside"


async def test_artifact_bad_input(studio_fetch: StudioFetch, studio_create: StudioCreate) -> None:
    run = await new_run(studio_create)
    content = f"runs/{run['id']}/artifacts/content"
    await studio_fetch("PUT", content, params={"path": "folder/file.txt"}, body=b"x")
    (await studio_fetch("GET", content, params={"path": "missing.txt"})).error(404)
    (await studio_fetch("GET", content, params={"path": "folder"})).error(404)
    (await studio_fetch("GET", content)).error(400, "empty")
    (await studio_fetch("PUT", content, body=b"x")).error(400, "empty")
    listing = f"runs/{run['id']}/artifacts"
    (await studio_fetch("GET", listing, params={"path": "folder/file.txt"})).error(400)
    (await studio_fetch("GET", listing, params={"path": "nothing"})).error(404)
    (await studio_fetch("GET", "runs/nope/artifacts")).error(404)
    (
        await studio_fetch("PUT", "runs/nope/artifacts/content", params={"path": "a"}, body=b"x")
    ).error(404)
    (await studio_fetch("GET", "runs/nope/artifacts/content", params={"path": "a"})).error(404)


async def test_deleting_a_run_deletes_its_artifacts(
    studio_fetch: StudioFetch, studio_artifact_root: Any, studio_create: StudioCreate
) -> None:
    run = await new_run(studio_create)
    await studio_fetch(
        "PUT", f"runs/{run['id']}/artifacts/content", params={"path": "a.txt"}, body=b"a"
    )
    assert list(studio_artifact_root.rglob("a.txt"))
    await studio_fetch("DELETE", f"runs/{run['id']}")
    assert not list(studio_artifact_root.rglob("a.txt"))


# Links and encoded paths -----------------------------------------------------------------------

SECRET = b"SECRET: outside the store"


@pytest.fixture
def raw_fetch(http_server_client: Any, jp_auth_header: dict[str, str], jp_base_url: str) -> Any:
    """`await raw_fetch("GET", "runs/ID/artifacts?path=..%2Fx")`: the URL sent byte for byte
    (studio_fetch encodes its params itself, so it cannot send a chosen encoding)."""

    async def fetch(method: str, path_and_query: str, body: bytes | None = None) -> Answer:
        response = await http_server_client.fetch(
            f"{jp_base_url}studio/api/{path_and_query}",
            method=method,
            headers=jp_auth_header,
            body=body,
            raise_error=False,
        )
        return Answer(response.code, dict(response.headers), response.body or b"")

    return fetch


async def run_with_links(
    studio_fetch: StudioFetch, studio_create: StudioCreate, outside: Path
) -> tuple[str, Path]:
    """A run whose artifact folder holds links to a file and a folder outside the store, and
    to a file and a folder inside the run."""
    run = await new_run(studio_create)
    content = f"runs/{run['id']}/artifacts/content"
    await studio_fetch("PUT", content, params={"path": "real.txt"}, body=b"real")
    await studio_fetch("PUT", content, params={"path": "inner/deep.txt"}, body=b"deep")
    (outside / "secret.txt").write_bytes(SECRET)
    folder = Path(run["artifact_uri"])
    os.symlink(outside / "secret.txt", folder / "file_out")
    os.symlink(outside, folder / "dir_out")
    os.symlink("/etc", folder / "etc")
    os.symlink("../../..", folder / "up")
    os.symlink("real.txt", folder / "file_in")
    os.symlink("inner", folder / "dir_in")
    os.symlink(outside / "secret.txt", folder / "inner" / "deep_out")
    return run["id"], folder


OUTSIDE = ["file_out", "dir_out", "dir_out/secret.txt", "etc", "etc/passwd", "up", "up/outside"]


async def test_links_that_lead_outside_are_neither_listed_nor_read(
    studio_fetch: StudioFetch, studio_create: StudioCreate, tmp_path: Path
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    run_id, _ = await run_with_links(studio_fetch, studio_create, outside)
    listing = f"runs/{run_id}/artifacts"
    content = f"{listing}/content"

    root = await studio_fetch("GET", listing)
    assert [a["path"] for a in root.json["artifacts"]] == [
        "dir_in",
        "inner",
        "file_in",
        "real.txt",
    ]
    inner = await studio_fetch("GET", listing, params={"path": "inner"})
    assert [a["path"] for a in inner.json["artifacts"]] == ["inner/deep.txt"]
    for path in [*OUTSIDE, "inner/deep_out", "dir_in/deep_out"]:
        for answer in (
            await studio_fetch("GET", listing, params={"path": path}),
            await studio_fetch("GET", content, params={"path": path}),
        ):
            answer.error(400, "outside the run's artifacts")
            assert SECRET not in answer.body
            assert b"root:" not in answer.body  # /etc/passwd
            assert "artifacts" not in answer.json  # no listing of the outside
    assert (await studio_fetch("GET", content, params={"path": "file_in"})).body == b"real"
    assert (await studio_fetch("GET", content, params={"path": "dir_in/deep.txt"})).body == b"deep"


async def test_uploads_never_go_through_a_link_outside(
    studio_fetch: StudioFetch, studio_create: StudioCreate, tmp_path: Path
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    run_id, folder = await run_with_links(studio_fetch, studio_create, outside)
    content = f"runs/{run_id}/artifacts/content"
    for path in ["file_out", "dir_out/evil.txt", "up/evil.txt", "up/outside/secret.txt"]:
        answer = await studio_fetch("PUT", content, params={"path": path}, body=b"evil")
        answer.error(400, "outside the run's artifacts")
    assert sorted(p.name for p in outside.iterdir()) == ["secret.txt"]
    assert (outside / "secret.txt").read_bytes() == SECRET
    assert not list(tmp_path.rglob("evil.txt"))
    stored = await studio_fetch("PUT", content, params={"path": "dir_in/new.txt"}, body=b"new")
    assert stored.code == 201
    assert (folder / "inner" / "new.txt").read_bytes() == b"new"


async def test_encoded_separators_are_decoded_once(
    raw_fetch: Any, studio_fetch: StudioFetch, studio_create: StudioCreate
) -> None:
    run = await new_run(studio_create)
    other = await new_run(studio_create)
    await studio_fetch(
        "PUT", f"runs/{other['id']}/artifacts/content", params={"path": "secret"}, body=b"s"
    )
    listing = f"runs/{run['id']}/artifacts"
    content = f"{listing}/content"
    refused = [
        "..%2Fsecret",
        "..%2F..%2F" + other["id"] + "%2Fartifacts%2Fsecret",
        "a%2F..%2F..%2Fsecret",
        "%2Fetc%2Fpasswd",
        "%2e%2e%2fsecret",
        "..%5Csecret",
        "%5Cetc%5Cpasswd",
    ]
    for query in refused:
        for method, route, body in [
            ("GET", listing, None),
            ("GET", content, None),
            ("PUT", content, b"evil"),
        ]:
            answer = await raw_fetch(method, f"{route}?path={query}", body)
            answer.error(400)
    # A run id with encoded separators names no run.
    for run_segment in ["..%2F..%2F1", "%2Fetc", "..%5C..", "a%00b"]:
        answer = await raw_fetch("GET", f"runs/{run_segment}/artifacts/content?path=secret")
        assert answer.code in (400, 404), answer
    # Encoded twice, "%2F" is part of a name: it stays one file inside the run.
    stored = await raw_fetch("PUT", f"{content}?path=..%252Fsecret", b"literal")
    assert stored.code == 201
    assert stored.json["path"] == "..%2Fsecret"
    assert (await raw_fetch("GET", f"{content}?path=..%252Fsecret")).body == b"literal"
    names = [a["path"] for a in (await studio_fetch("GET", listing)).json["artifacts"]]
    assert names == ["..%2Fsecret"]


async def test_control_characters_in_a_path_are_refused(
    raw_fetch: Any, studio_create: StudioCreate, studio_artifact_root: Path
) -> None:
    run = await new_run(studio_create)
    listing = f"runs/{run['id']}/artifacts"
    content = f"{listing}/content"
    for query in ["%00", "a%00b", "..%00%2Fsecret", "a%01b", "a%1Fb"]:
        for method, route, body in [
            ("GET", listing, None),
            ("GET", content, None),
            ("PUT", content, b"x"),
        ]:
            (await raw_fetch(method, f"{route}?path={query}", body)).error(400, "control")
    assert not [p for p in studio_artifact_root.rglob("*") if p.is_file()]


async def test_the_rest_client_logs_and_downloads_only_what_is_inside(
    jp_serverapp: ServerApp,
    http_server: Any,
    jp_http_port: int,
    jp_base_url: str,
    studio_fetch: StudioFetch,
    studio_create: StudioCreate,
    tmp_path: Path,
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    run_id, folder = await run_with_links(studio_fetch, studio_create, outside)
    client = RestTrackingClient(
        f"http://127.0.0.1:{jp_http_port}{jp_base_url}", jp_serverapp.identity_provider.token
    )
    target = tmp_path / "download"
    for path in ["file_out", "dir_out", "dir_out/secret.txt", "etc", "up", "up/outside"]:
        # Not listed, so not found; or refused where the path goes through the link.
        with pytest.raises((NotFound, InvalidInput)):
            await asyncio.to_thread(client.download_artifacts, run_id, path, target)
    copied = await asyncio.to_thread(client.download_artifacts, run_id, "dir_in", target)
    assert not target.joinpath("file_out").exists()
    assert not target.joinpath("dir_out").exists()
    assert sorted(p.name for p in copied.rglob("*")) == ["deep.txt"]  # deep_out is not listed
    assert (copied / "deep.txt").read_bytes() == b"deep"

    source = tmp_path / "source"
    source.mkdir()
    (source / "a.txt").write_text("a")
    os.symlink(outside / "secret.txt", source / "file_out")
    os.symlink(outside, source / "dir_out")
    os.symlink("a.txt", source / "file_in")
    with pytest.warns(ArtifactWarning, match="'dir_out', 'file_out'"):
        stored = await asyncio.to_thread(client.log_artifact, run_id, source, "logged")
    assert stored == "logged"
    logged = folder / "logged"
    assert sorted(p.name for p in logged.iterdir()) == ["a.txt", "file_in"]
    assert not any(p.is_symlink() for p in logged.iterdir())

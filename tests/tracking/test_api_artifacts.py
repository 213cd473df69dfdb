"""The artifact routes of the tracking REST API through HTTP: upload, listing, download, and
paths that try to leave a run's artifact folder."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pathlib import Path

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
    # Every download is bytes to save, whatever its name: the document declares only that.
    assert text.headers["Content-Type"] == "application/octet-stream"
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

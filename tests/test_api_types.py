"""The frontend's REST types are generated, never written by hand: labextension/openapi.json is
the document `studio openapi` makes from the wire models, and labextension/src/api/schema.ts
is what openapi-typescript makes of that document. Both are committed, so a change to a wire
model that is not regenerated would let the panels compile against an API that is gone."""

from __future__ import annotations

import difflib
import shutil
import subprocess
from pathlib import Path

import pytest

from studio.cli import main as studio_cli

REPO = Path(__file__).resolve().parents[1]
LABEXTENSION = REPO / "labextension"
OPENAPI_TYPESCRIPT = LABEXTENSION / "node_modules" / ".bin" / "openapi-typescript"
HOW_TO_REGENERATE = "regenerate it with `make api-types` and commit the result"


def assert_same_as_committed(generated: str, committed: Path) -> None:
    current = committed.read_text() if committed.exists() else ""
    if generated == current:
        return
    diff = difflib.unified_diff(
        current.splitlines(keepends=True),
        generated.splitlines(keepends=True),
        fromfile=f"{committed.relative_to(REPO)} (committed)",
        tofile="generated now",
        n=2,
    )
    head = "".join(list(diff)[:60])
    pytest.fail(
        f"{committed.relative_to(REPO)} is stale: {HOW_TO_REGENERATE}.\n{head}", pytrace=False
    )


@pytest.fixture
def openapi_document(tmp_path: Path) -> Path:
    """The OpenAPI document as `studio openapi` writes it now."""
    document = tmp_path / "openapi.json"
    assert studio_cli(["openapi", "--output", str(document)]) == 0
    return document


def test_committed_openapi_document_is_the_generated_one(openapi_document: Path) -> None:
    assert_same_as_committed(openapi_document.read_text(), LABEXTENSION / "openapi.json")


def test_typescript_types_are_generated_from_the_document(
    openapi_document: Path, tmp_path: Path
) -> None:
    if not OPENAPI_TYPESCRIPT.exists():
        pytest.fail(
            f"{OPENAPI_TYPESCRIPT.relative_to(REPO)} is missing: `make install` installs the "
            "frontend's npm packages (or run `npm install` in labextension/)",
            pytrace=False,
        )
    if shutil.which("node") is None:
        pytest.fail("node is not on PATH: the frontend needs Node.js 20", pytrace=False)
    schema = tmp_path / "schema.ts"
    result = subprocess.run(
        [str(OPENAPI_TYPESCRIPT), str(openapi_document), "--output", str(schema)],
        cwd=LABEXTENSION,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "export interface paths" in schema.read_text()
    assert_same_as_committed(schema.read_text(), LABEXTENSION / "src" / "api" / "schema.ts")

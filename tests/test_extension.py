"""The installed package enables its server extension by itself, as `make lab` relies on."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import studio


def test_jupyter_lists_studio_as_an_enabled_server_extension(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "JUPYTER_CONFIG_DIR": str(tmp_path / "config"),
        "JUPYTER_DATA_DIR": str(tmp_path / "data"),
        "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"),
        "STUDIO_HOME": str(tmp_path / "studio"),
    }
    jupyter = Path(sys.executable).parent / "jupyter"
    result = subprocess.run(
        [str(jupyter), "server", "extension", "list"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    listing = re.sub(r"\x1b\[[0-9;]*m", "", result.stdout + result.stderr)  # colours
    lines = [line.strip() for line in listing.splitlines()]
    assert "studio enabled" in lines, listing
    assert f"studio {studio.__version__} OK" in lines, listing

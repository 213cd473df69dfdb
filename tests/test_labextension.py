"""The package carries its JupyterLab extension, with no step after `pip install`.

A wheel is built the way a user builds one: `pip wheel .`, in pip's isolated build
environment, where hatch-jupyter-builder runs `npm install` and the production build. It is
built once for this module, from a copy of this checkout without node_modules, the virtual
environment or any earlier build, as a fresh clone would be. The development environment
(`make install`) must serve this checkout's build, which `make lab` relies on.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from jupyter_server.extension.config import ExtensionConfigManager

import studio

REPO = Path(__file__).resolve().parents[1]
EXTENSION = "share/jupyter/labextensions/jupyter-studio"
SERVER_CONFIG = "etc/jupyter/jupyter_server_config.d/studio.json"
# Build output and local state that a fresh clone does not have.
NOT_COPIED = (
    "studio/labextension/",
    "labextension/node_modules/",
    "labextension/lib/",
    "labextension/tsconfig.tsbuildinfo",
)

# The isolated build installs its build requirements, then npm's packages, then builds.
pytestmark = pytest.mark.timeout(900)


def checkout_files() -> list[str]:
    """The checkout's files as git sees them: committed or new, never ignored ones."""
    listing = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=REPO,
        capture_output=True,
        check=True,
        timeout=60,
    ).stdout.decode()
    names = [name for name in listing.split("\0") if name]
    return [name for name in names if not name.startswith(NOT_COPIED) and (REPO / name).is_file()]


def jupyter_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """Jupyter's folders in tmp_path, so that only the environment's own files count."""
    return {
        **os.environ,
        "JUPYTER_CONFIG_DIR": str(tmp_path / "config"),
        "JUPYTER_DATA_DIR": str(tmp_path / "data"),
        "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"),
        "STUDIO_HOME": str(tmp_path / "studio"),
        **extra,
    }


def jupyter(*args: str, env: dict[str, str]) -> str:
    result = subprocess.run(
        [str(Path(sys.executable).parent / "jupyter"), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return re.sub(r"\x1b\[[0-9;]*m", "", result.stdout + result.stderr)  # colours


def listed_under(listing: str, folder: Path) -> list[str]:
    """The lines of `jupyter labextension list` in the section of one folder."""
    lines: list[str] = []
    current = None
    for line in listing.splitlines():
        if line and not line[0].isspace():
            current = line.strip()
        elif current == str(folder):
            lines.append(line.strip())
    return lines


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    source = tmp_path_factory.mktemp("checkout")
    for name in checkout_files():
        target = source / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / name, target)
    dist = tmp_path_factory.mktemp("dist")
    env = {key: value for key, value in os.environ.items() if not key.startswith("PIP_NO_BUILD")}
    result = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--progress-bar", "off",
         "-w", str(dist), str(source)],
        env=env,
        capture_output=True,
        text=True,
        timeout=840,
        check=False,
    )  # fmt: skip
    # The copy now holds npm's packages (some 300 MB): pytest keeps its last temporary folders.
    shutil.rmtree(source, ignore_errors=True)
    assert result.returncode == 0, (result.stdout + result.stderr)[-6000:]
    wheels = list(dist.glob("jupyter_studio-*.whl"))
    assert len(wheels) == 1, wheels
    return wheels[0]


def wheel_data(wheel: Path) -> dict[str, bytes]:
    """The wheel's shared data (installed under sys.prefix), by path below the prefix."""
    prefix = f"jupyter_studio-{studio.__version__}.data/data/"
    with zipfile.ZipFile(wheel) as archive:
        return {
            name.removeprefix(prefix): archive.read(name)
            for name in archive.namelist()
            if name.startswith(prefix)
        }


def test_wheel_carries_the_prebuilt_extension(wheel: Path) -> None:
    data = wheel_data(wheel)
    package = json.loads(data[f"{EXTENSION}/package.json"])
    assert package["name"] == "jupyter-studio"
    entry = package["jupyterlab"]["_build"]["load"]
    assert re.fullmatch(r"static/remoteEntry\.[0-9a-f]+\.js", entry), entry
    assert f"{EXTENSION}/{entry}" in data
    assert f"{EXTENSION}/static/style.js" in data
    settings = json.loads(data[f"{EXTENSION}/schemas/jupyter-studio/plugin.json"])
    assert {"refreshInterval", "defaultSmoothing", "defaultColumns"} <= set(settings["properties"])
    install = json.loads(data[f"{EXTENSION}/install.json"])
    assert install["packageManager"] == "python"
    assert install["packageName"] == "jupyter-studio"
    # Only the built extension: no sources, no npm packages.
    assert not [name for name in data if "node_modules" in name or name.endswith((".ts", ".tsx"))]


def test_wheel_enables_the_server_extension(wheel: Path) -> None:
    config = json.loads(wheel_data(wheel)[SERVER_CONFIG])
    assert config == {"ServerApp": {"jpserver_extensions": {"studio": True}}}


def test_installed_wheel_is_an_enabled_extension(wheel: Path, tmp_path: Path) -> None:
    """Installed into a prefix of its own, the wheel's files are what JupyterLab and the
    server read: the extension is listed enabled and OK, and the server's configuration
    there enables Studio."""
    prefix = tmp_path / "prefix"
    # --ignore-installed: with --prefix alone, pip would uninstall this environment's copy.
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "--no-index", "--ignore-installed",
         "--quiet", "--prefix", str(prefix), str(wheel)],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )  # fmt: skip
    listing = jupyter(
        "labextension",
        "list",
        env=jupyter_env(tmp_path, JUPYTER_PATH=str(prefix / "share" / "jupyter")),
    )
    lines = listed_under(listing, prefix / "share" / "jupyter" / "labextensions")
    expected = f"jupyter-studio v{studio.__version__} enabled OK (python, jupyter-studio)"
    assert expected in lines, listing
    # What `jupyter server extension list` reads for each configuration folder.
    config = ExtensionConfigManager(read_config_path=[str(prefix / "etc" / "jupyter")])
    assert config.get_jpserver_extensions() == {"studio": True}


def test_environment_serves_this_checkouts_build(tmp_path: Path) -> None:
    """`make install` links the environment's extension to studio/labextension, so JupyterLab
    (and `make lab`) shows the build of this checkout, rebuilt when its sources change."""
    installed = Path(sys.prefix) / EXTENSION
    assert installed.resolve() == (REPO / "studio" / "labextension").resolve(), (
        f"{installed} is not linked to this checkout's build: run `make install` "
        "(it runs `jupyter-builder develop --overwrite .`)"
    )
    listing = jupyter("labextension", "list", env=jupyter_env(tmp_path))
    lines = listed_under(listing, Path(sys.prefix) / "share" / "jupyter" / "labextensions")
    # A linked build has no install.json, so no "(python, jupyter-studio)" after OK.
    expected = f"jupyter-studio v{studio.__version__} enabled OK"
    assert any(line.startswith(expected) for line in lines), listing

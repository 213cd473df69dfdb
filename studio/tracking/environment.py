"""The environment a saved model needs: `requirements.txt` and `python_env.yaml` in its folder.

    write_environment(model, folder)

requirements.txt pins the installed version of every package the model's classes and
functions come from (a Pipeline of LightGBM and scikit-learn steps names both), plus what
loading any Studio model takes: scikit-learn, numpy, scipy and skops. python_env.yaml gives
the Python version and points at requirements.txt, as MLflow's does, so `pip install -r` or
MLflow's tools rebuild it. Classes defined in a notebook or in a module that no installed
distribution provides cannot be pinned; requirements.txt lists them as comments.
"""

from __future__ import annotations

import functools
import importlib.metadata
import inspect
import platform
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

__all__ = [
    "PYTHON_ENV_FILE",
    "REQUIREMENTS_FILE",
    "model_modules",
    "requirements",
    "write_environment",
]

REQUIREMENTS_FILE = "requirements.txt"
PYTHON_ENV_FILE = "python_env.yaml"
# What loading a Studio model needs whatever its classes: models.py reads skops files.
_ALWAYS = ("scikit-learn", "numpy", "scipy", "skops")
# Distributions whose import name differs from their own, looked up without scanning every
# installed distribution (`packages_distributions` takes ~0.5 s).
_KNOWN_DISTRIBUTIONS = {"sklearn": "scikit-learn", "yaml": "PyYAML", "PIL": "pillow"}
_MAX_OBJECTS = 10_000  # a walk of the model's parts stops here (huge ensembles)


def write_environment(model: Any, folder: Path) -> None:
    """Write requirements.txt and python_env.yaml for `model` into `folder`."""
    pinned, unpinned = requirements(model_modules(model))
    lines = [*pinned]
    lines += [f"# {name}: not an installed distribution, not pinned" for name in unpinned]
    (folder / REQUIREMENTS_FILE).write_text("\n".join(lines) + "\n")
    build = [_pinned(name) for name in ("pip", "setuptools", "wheel")]
    python_env = [
        f"python: {platform.python_version()}",
        "build_dependencies:",
        *(f"  - {requirement}" for requirement in build if requirement),
        "dependencies:",
        f"  - -r {REQUIREMENTS_FILE}",
    ]
    (folder / PYTHON_ENV_FILE).write_text("\n".join(python_env) + "\n")


def model_modules(model: Any) -> set[str]:
    """The top-level modules of the model's classes, and of the classes and functions in its
    params (a Pipeline's steps, a ColumnTransformer's transformers, a FunctionTransformer's
    function), found by walking `get_params(deep=False)`."""
    modules: set[str] = set()
    seen: set[int] = set()
    stack: list[Any] = [model]
    while stack and len(seen) < _MAX_OBJECTS:
        item = stack.pop()
        if id(item) in seen or item is None or isinstance(item, str | bytes | int | float):
            continue
        seen.add(id(item))
        if inspect.isfunction(item) or inspect.isclass(item) or inspect.isbuiltin(item):
            modules.add(_top(getattr(item, "__module__", None)))
            continue
        modules.add(_top(type(item).__module__))
        if isinstance(item, list | tuple | set | frozenset):
            stack.extend(item)
        elif isinstance(item, dict):
            stack.extend(item.values())
        elif hasattr(item, "get_params") and callable(item.get_params):
            try:
                stack.extend(item.get_params(deep=False).values())
            except Exception:  # a third-party estimator whose params cannot be read
                continue
        elif isinstance(item, functools.partial):
            stack.append(item.func)
    return {module for module in modules if module}


def requirements(modules: Iterable[str]) -> tuple[list[str], list[str]]:
    """Pinned requirements (`name==version`, sorted, the always-needed ones included) and the
    modules no installed distribution provides."""
    pinned: dict[str, str] = {}
    unpinned: list[str] = []
    for name in _ALWAYS:
        requirement = _pinned(name)
        if requirement:
            pinned[name.lower()] = requirement
    for module in sorted(set(modules)):
        if module in sys.stdlib_module_names or module in ("builtins", "__main__"):
            if module == "__main__":
                unpinned.append(module)
            continue
        distributions = _distributions(module)
        if not distributions:
            unpinned.append(module)
        for distribution in distributions:
            requirement = _pinned(distribution)
            if requirement:
                pinned.setdefault(distribution.lower(), requirement)
    return sorted(pinned.values(), key=str.lower), unpinned


def _top(module: str | None) -> str:
    return (module or "").split(".")[0]


def _distributions(module: str) -> list[str]:
    known = _KNOWN_DISTRIBUTIONS.get(module, module)
    if _pinned(known):
        return [known]
    return _all_distributions().get(module, [])


@functools.cache
def _all_distributions() -> dict[str, list[str]]:
    return dict(importlib.metadata.packages_distributions())


@functools.cache
def _pinned(distribution: str) -> str:
    try:
        return f"{distribution}=={importlib.metadata.version(distribution)}"
    except importlib.metadata.PackageNotFoundError:
        return ""

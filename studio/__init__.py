"""Studio: a local-first ML studio inside JupyterLab.

import studio

with studio.start_run(experiment="iris", params={"max_depth": 3}) as run:
    run.log_metric("accuracy", 0.93)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from studio._version import __version__
from studio.tracking.fluent import (
    Run,
    active_run,
    end_run,
    flush,
    log_metric,
    log_metrics,
    log_param,
    log_params,
    set_tags,
    start_run,
)

if TYPE_CHECKING:
    from studio.evaluation.automl import automl
    from studio.evaluation.evaluate import evaluate
    from studio.registry.api import register_model
    from studio.tracking.autolog import autolog
    from studio.tracking.client import Client

__all__ = [
    "Client",
    "Run",
    "__version__",
    "active_run",
    "autolog",
    "automl",
    "end_run",
    "evaluate",
    "flush",
    "log_metric",
    "log_metrics",
    "log_param",
    "log_params",
    "register_model",
    "set_tags",
    "start_run",
]

# These pull in SQLAlchemy or scikit-learn; loading them on first use keeps `import studio`
# fast in every kernel.
_LAZY = {
    "Client": "studio.tracking.client",
    "autolog": "studio.tracking.autolog",
    "automl": "studio.evaluation.automl",
    "evaluate": "studio.evaluation.evaluate",
    "register_model": "studio.registry.api",
}


def __getattr__(name: str) -> Any:
    module_name = _LAZY.get(name)
    if module_name is None:
        raise AttributeError(f"module 'studio' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module_name), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


def _jupyter_server_extension_points() -> list[dict[str, Any]]:
    from studio.app import StudioApp

    return [{"module": "studio.app", "app": StudioApp}]


def _jupyter_labextension_paths() -> list[dict[str, str]]:
    return [{"src": "labextension", "dest": "jupyter-studio"}]

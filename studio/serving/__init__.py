"""Endpoints: model versions served over HTTP with A/B and shadow variants.

    import studio.serving

    studio.serving.create_endpoint("iris", variants={"A": ("models:/iris/1", 1.0)})
    studio.serving.start_endpoint("iris")

`api` is the Python API, `cli` the `studio endpoints` command and `serve_cli` `studio serve`.
Underneath: `entities` (standard library only), `orm` and `store`, `service`
(`EndpointService`), `process` (start and stop), and the serving process's own modules. Nothing
is imported until used: the serving workers import this package, and `import studio.serving`
stays light.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from studio.serving.api import (
        create_endpoint,
        delete_endpoint,
        get_endpoint,
        get_evaluation,
        list_endpoints,
        start_endpoint,
        stop_endpoint,
        update_endpoint,
    )
    from studio.serving.entities import Endpoint, Replica, Task, Variant, VariantRole

__all__ = [
    "Endpoint",
    "Replica",
    "Task",
    "Variant",
    "VariantRole",
    "create_endpoint",
    "delete_endpoint",
    "get_endpoint",
    "get_evaluation",
    "list_endpoints",
    "start_endpoint",
    "stop_endpoint",
    "update_endpoint",
]

_LAZY = {
    "Endpoint": "studio.serving.entities",
    "Replica": "studio.serving.entities",
    "Task": "studio.serving.entities",
    "Variant": "studio.serving.entities",
    "VariantRole": "studio.serving.entities",
    "create_endpoint": "studio.serving.api",
    "delete_endpoint": "studio.serving.api",
    "get_endpoint": "studio.serving.api",
    "get_evaluation": "studio.serving.api",
    "list_endpoints": "studio.serving.api",
    "start_endpoint": "studio.serving.api",
    "stop_endpoint": "studio.serving.api",
    "update_endpoint": "studio.serving.api",
}


def __getattr__(name: str) -> Any:
    module_name = _LAZY.get(name)
    if module_name is None:
        raise AttributeError(f"module 'studio.serving' has no attribute {name!r}")
    value = getattr(importlib.import_module(module_name), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))

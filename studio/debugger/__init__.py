"""The training debugger: tensor statistics, framework hooks, rules and findings.

    from studio.debugger import TorchHook, rules

    with TorchHook(model, optimizer=optimizer, run=run) as hook:
        for inputs, labels in batches:
            ...
            hook.record_loss(loss)
            optimizer.step()

`stats` (numpy) and `torch_stats` (torch) compute the statistics; `record` is what a hook
hands on at each saved step; `rules` judge the records; `session` runs the rules and carries
out their actions. None of these imports the server stack or the store, so that a training
machine needs only torch and numpy. Nor does `entities` (findings and rule states, standard
library only).

`feature` declares the package at Studio's seam; `orm` and `store` keep findings and rule
states; `service` (`DebuggerService`) also keeps the statistics, as series of their run.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from studio.debugger import rules
    from studio.debugger.entities import Finding, RuleState, RuleStatus
    from studio.debugger.evaluate import evaluate
    from studio.debugger.rules.base import Rule
    from studio.debugger.session import DebugSession, StopTraining
    from studio.debugger.sklearn_watch import watch
    from studio.debugger.torch_hook import TorchHook

__all__ = [
    "DebugSession",
    "Finding",
    "Rule",
    "RuleState",
    "RuleStatus",
    "StopTraining",
    "TorchHook",
    "evaluate",
    "rules",
    "watch",
]

# Imported on first use: `TorchHook` needs torch, `watch` scikit-learn, `evaluate` the store.
_LAZY = {
    "DebugSession": "studio.debugger.session",
    "Finding": "studio.debugger.entities",
    "Rule": "studio.debugger.rules.base",
    "RuleState": "studio.debugger.entities",
    "RuleStatus": "studio.debugger.entities",
    "StopTraining": "studio.debugger.session",
    "TorchHook": "studio.debugger.torch_hook",
    "evaluate": "studio.debugger.evaluate",
    "watch": "studio.debugger.sklearn_watch",
}


def __getattr__(name: str) -> Any:
    if name == "rules":
        return importlib.import_module("studio.debugger.rules")
    module_name = _LAZY.get(name)
    if module_name is None:
        raise AttributeError(f"module 'studio.debugger' has no attribute {name!r}")
    value = getattr(importlib.import_module(module_name), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))

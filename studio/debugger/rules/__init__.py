"""The debugger's rules: SageMaker Debugger's built-in rules, and `Rule` to write your own."""

from __future__ import annotations

from studio.debugger.rules.base import ACTIONS, Rule
from studio.debugger.rules.engine import RuleEngine

__all__ = ["ACTIONS", "Rule", "RuleEngine", "default_rules"]


def default_rules() -> list[Rule]:
    """Every built-in rule with its defaults (the built-in rules come in their own modules)."""
    return []

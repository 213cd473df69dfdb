"""The debugger's rules: SageMaker Debugger's built-in rules, and `Rule` to write your own.

Each built-in rule takes SageMaker Debugger's documented parameters, with their defaults;
where Studio had to interpret them, the rule's docstring says so ([Studio choice]).
"""

from __future__ import annotations

from studio.debugger.rules.activations import DeadRelu, SaturatedActivation
from studio.debugger.rules.base import ACTIONS, Rule
from studio.debugger.rules.engine import RuleEngine
from studio.debugger.rules.gradients import (
    PoorWeightInitialization,
    VanishingGradient,
    WeightUpdateRatio,
)
from studio.debugger.rules.loss import LossNotDecreasing
from studio.debugger.rules.tensors import AllZero, ExplodingTensor, TensorVariance, UnchangedTensor
from studio.debugger.rules.training import ClassImbalance, StalledTraining
from studio.debugger.rules.validation import Overfit, Overtraining

__all__ = [
    "ACTIONS",
    "BUILT_IN",
    "AllZero",
    "ClassImbalance",
    "DeadRelu",
    "ExplodingTensor",
    "LossNotDecreasing",
    "Overfit",
    "Overtraining",
    "PoorWeightInitialization",
    "Rule",
    "RuleEngine",
    "SaturatedActivation",
    "StalledTraining",
    "TensorVariance",
    "UnchangedTensor",
    "VanishingGradient",
    "WeightUpdateRatio",
    "default_rules",
]

BUILT_IN: tuple[type[Rule], ...] = (
    VanishingGradient,
    ExplodingTensor,
    PoorWeightInitialization,
    SaturatedActivation,
    DeadRelu,
    LossNotDecreasing,
    Overfit,
    Overtraining,
    TensorVariance,
    UnchangedTensor,
    AllZero,
    WeightUpdateRatio,
    ClassImbalance,
    StalledTraining,
)
"""SageMaker Debugger's built-in rules, in the order of its documentation's list."""


def default_rules() -> list[Rule]:
    """Every built-in rule with its defaults.

    StalledTraining is among them: a training that hangs is noticed by nothing else, and at
    its default threshold (30 minutes without a saved step reaching the session) a training
    that keeps stepping never trips it.
    TensorVariance has no bounds by default, so it stays quiet until given some.
    """
    return [rule() for rule in BUILT_IN]

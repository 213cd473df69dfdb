"""The shape of a built-in algorithm: its hyperparameters, with their kinds, defaults and
ranges, checked where a user's values come in, and the estimator it builds per task.

The catalogue (`studio.evaluation.catalogue`) lists the algorithms themselves.
"""

from __future__ import annotations

import importlib
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from studio.errors import InvalidInput

if TYPE_CHECKING:
    from studio.evaluation.preprocessing import Encoding

__all__ = [
    "CLASSIFICATION",
    "TASKS",
    "Algorithm",
    "Hyperparameter",
    "HyperparameterValue",
    "UnknownAlgorithm",
    "check_task_name",
]

HyperparameterValue = bool | int | float | str | None
TASKS = ("binary", "multiclass", "regression")
CLASSIFICATION = ("binary", "multiclass")


class UnknownAlgorithm(InvalidInput, KeyError):
    """No algorithm of that name is installed here (a KeyError, answered 400 by the server:
    the name came in a request body)."""

    def __str__(self) -> str:  # KeyError would quote the message
        return self.message


def check_task_name(task: str) -> str:
    """`task` checked; "classification" stands for both classification tasks."""
    if task == "classification":
        return "binary"
    if task not in TASKS:
        raise InvalidInput(f"Unknown task {task!r}: binary, multiclass or regression.")
    return task


@dataclass(frozen=True)
class Hyperparameter:
    """One of an algorithm's settings, as the dialog's form shows it."""

    name: str
    kind: Literal["int", "float", "choice", "bool"]
    default: HyperparameterValue
    low: float | None = None
    high: float | None = None
    log: bool = False
    choices: tuple[HyperparameterValue, ...] | None = None
    nullable: bool = False
    help: str = ""
    tasks: tuple[str, ...] = TASKS  # where it applies (class weights: classification only)

    def parse(self, value: Any) -> HyperparameterValue:
        """`value` as the estimator takes it; ValueError saying what is wrong."""
        if value is None:
            if self.nullable or (self.choices is not None and None in self.choices):
                return None
            raise ValueError("must have a value")
        if self.kind == "bool":
            if not isinstance(value, bool):
                raise ValueError(f"{value!r} is not true or false")
            return value
        if self.kind == "choice":
            assert self.choices is not None
            # By type too: True is not 1, 1 is not 1.0.
            for choice in self.choices:
                if type(choice) is type(value) and choice == value:
                    return choice
            raise ValueError(f"{value!r} is not one of {list(self.choices)}")
        number = self._number(value)
        if self.low is not None and number < self.low:
            raise ValueError(f"{number!r} is below {self.low:g}")
        if self.high is not None and number > self.high:
            raise ValueError(f"{number!r} is above {self.high:g}")
        return number

    def _number(self, value: Any) -> int | float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(f"{value!r} is not a number")
        if not math.isfinite(value):
            raise ValueError(f"{value!r} is not a finite number")
        if self.kind == "int":
            if isinstance(value, float) and not value.is_integer():
                raise ValueError(f"{value!r} is not a whole number")
            return int(value)
        return float(value)


@dataclass(frozen=True)
class Algorithm:
    """A built-in algorithm: an estimator class per task and its hyperparameters."""

    name: str
    title: str
    tasks: tuple[str, ...]
    library: str
    description: str
    hyperparameters: tuple[Hyperparameter, ...]
    classifier: str | None = None  # "module.Class"
    regressor: str | None = None
    needs_scaling: bool = False
    encoding: Encoding = "ordinal"
    fixed: Mapping[str, Any] = field(default_factory=dict)  # always passed, never shown
    seed_parameter: str | None = "random_state"
    translate: Callable[[dict[str, Any]], dict[str, Any]] | None = None
    # The class labels must be 0..n-1 (XGBoost): the training notebook encodes them.
    encodes_labels: bool = False
    # Types skops does not trust in a fitted model; "{estimator}" is the estimator's class.
    untrusted: tuple[str, ...] = ()

    def _path(self, task: str) -> str:
        task = check_task_name(task)
        if task not in self.tasks:
            raise InvalidInput(f"{self.name} does not do {task}; it does {', '.join(self.tasks)}.")
        found = self.classifier if task in CLASSIFICATION else self.regressor
        assert found is not None
        return found

    def estimator_class(self, task: str) -> str:
        """The class it builds for `task`, e.g. "RandomForestClassifier"."""
        return self._path(task).rpartition(".")[2]

    def hyperparameters_for(self, task: str | None) -> tuple[Hyperparameter, ...]:
        """Those that apply to `task` (all of them for None)."""
        if task is None:
            return self.hyperparameters
        task = check_task_name(task)
        return tuple(h for h in self.hyperparameters if task in h.tasks)

    def check(self, task: str, params: Mapping[str, Any]) -> dict[str, HyperparameterValue]:
        """Every hyperparameter's value for `task`: `params` over the defaults. InvalidInput
        (a ValueError) naming each unknown or bad value."""
        self._path(task)
        known = {h.name: h for h in self.hyperparameters_for(task)}
        values: dict[str, HyperparameterValue] = {h.name: h.default for h in known.values()}
        problems = [
            f"{name!r} is not one of {self.name}'s ({', '.join(known) or 'it has none'})"
            for name in params
            if name not in known
        ]
        for name, value in params.items():
            if name in known:
                try:
                    values[name] = known[name].parse(value)
                except ValueError as exc:
                    problems.append(f"{name}: {exc}")
        if problems:
            raise InvalidInput(f"Bad hyperparameters for {self.name}: {'; '.join(problems)}.")
        return values

    def build(self, task: str, params: Mapping[str, Any] | None = None, seed: int = 0) -> Any:
        """The estimator for `task` with `params` (checked) and the seed where it takes one."""
        values: dict[str, Any] = self.check(task, params or {})
        if self.translate is not None:
            values = self.translate(values)
        module, _, name = self._path(task).rpartition(".")
        estimator_class = getattr(importlib.import_module(module), name)
        seeded = {self.seed_parameter: seed} if self.seed_parameter else {}
        return estimator_class(**{**self.fixed, **values, **seeded})

    def untrusted_types(self, task: str) -> list[str]:
        """The types a person approves on a registered version before it loads or serves
        (none for scikit-learn's)."""
        estimator = self.estimator_class(task)
        return sorted(name.format(estimator=estimator) for name in self.untrusted)

"""What a hook hands on at each saved step: the `StepRecord`, and how tensors are named.

A tensor's name is `<collection>/<name>`: the collection it was saved in, then the
framework's own name for it, e.g. "weights/encoder.0.weight", "gradients/encoder.0.weight",
"updates/encoder.0.weight", "activations/encoder.1", "losses/loss". The batch collections
have one tensor each, named by the collection alone: "inputs", "labels", "predictions".

Numpy and the standard library only: hooks and rules run where torch and numpy are all
there is.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from studio.debugger.stats import STATS

__all__ = [
    "BATCH_COLLECTIONS",
    "COLLECTIONS",
    "StepRecord",
    "collection_of",
    "module_of",
    "tensor_name",
]

COLLECTIONS: tuple[str, ...] = (
    "weights",
    "biases",
    "gradients",
    "updates",
    "activations",
    "losses",
    "inputs",
    "labels",
    "predictions",
)
"""The collections a tensor can be saved in (SageMaker Debugger's names)."""

BATCH_COLLECTIONS: tuple[str, ...] = ("inputs", "labels", "predictions")
"""The collections of one tensor each, named by the collection alone."""

_STAT_INDEX = {name: index for index, name in enumerate(STATS)}


def tensor_name(collection: str, name: str = "") -> str:
    """The saved name of the framework's tensor `name` in `collection` (see the module)."""
    if collection not in COLLECTIONS:
        raise ValueError(f"Unknown collection {collection!r}: choose among {COLLECTIONS}.")
    return f"{collection}/{name}" if name else collection


def collection_of(tensor: str) -> str:
    """The collection of a saved tensor name."""
    return tensor.partition("/")[0]


def module_of(tensor: str) -> str:
    """The module a saved tensor belongs to ("" for the batch collections and losses):
    "encoder.0" for "weights/encoder.0.weight", and for "activations/encoder.0"."""
    collection, _, name = tensor.partition("/")
    if collection in ("activations",):
        return name
    if collection in ("weights", "biases", "gradients", "updates"):
        return name.rpartition(".")[0]
    return ""


@dataclass
class StepRecord:
    """Everything saved at one step in one mode.

    - `stats[i, k]` is statistic `STATS[k]` of `tensors[i]` (float64; see `stats`).
    - `histograms` maps a tensor to its fixed-bin histogram: (edges, counts).
    - `vectors` maps a tensor to small per-element summaries that rules need beyond the
      scalar statistics, e.g. {"activations/fc1": {"active": fraction active per unit}},
      {"labels": {"count": count per class}}. They are stored as series too.
    - `scalars` are facts about the step itself, e.g. {"skipped": 1.0} where AMP's gradient
      scaler skipped the optimizer step.
    - `timestamp` is in milliseconds since the epoch.
    """

    step: int
    mode: str
    timestamp: int
    tensors: tuple[str, ...]
    stats: npt.NDArray[np.float64]
    histograms: Mapping[str, tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]] = field(
        default_factory=dict
    )
    vectors: Mapping[str, Mapping[str, npt.NDArray[np.float64]]] = field(default_factory=dict)
    scalars: Mapping[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.tensors = tuple(self.tensors)
        self.stats = np.asarray(self.stats, dtype=np.float64).reshape(len(self.tensors), len(STATS))
        self._rows = {name: row for row, name in enumerate(self.tensors)}

    def __contains__(self, tensor: object) -> bool:
        return tensor in self._rows

    def stat(self, tensor: str, name: str) -> float:
        """One statistic of one tensor (KeyError where the tensor was not saved)."""
        return float(self.stats[self._rows[tensor], _STAT_INDEX[name]])

    def column(self, name: str) -> npt.NDArray[np.float64]:
        """One statistic of every tensor, in `tensors` order."""
        return self.stats[:, _STAT_INDEX[name]]

    def in_collection(self, collection: str) -> Iterator[str]:
        """The saved tensors of one collection, in order."""
        return (name for name in self.tensors if collection_of(name) == collection)

"""The pieces a scikit-learn tracer builds its records from: fixed rows of data (`Batch`),
a record's tensors and summaries (`RecordBuilder`, which computes every statistic and
histogram at once), one epoch's parameter updates (`Updates`), and what an epoch hands on
(`EpochRecords`)."""

from __future__ import annotations

import functools
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from studio.debugger.record import StepRecord, collection_of, tensor_name
from studio.debugger.stats import Bins, numpy_histograms, numpy_stats

__all__ = [
    "HISTOGRAM_COLLECTIONS",
    "Batch",
    "EpochRecords",
    "Parameter",
    "RecordBuilder",
    "Updates",
    "one_blas_thread",
]

FloatArray = npt.NDArray[np.float64]

HISTOGRAM_COLLECTIONS = ("weights", "biases", "updates", "activations")
"""The collections whose tensors get histograms where asked (the others hold losses, class
indices and targets, which a histogram of fixed bins around zero would not show)."""


@dataclass(frozen=True)
class Batch:
    """Fixed rows of data: `inputs` (a dense float64 array or a sparse matrix) and `target`
    (class indices for a classifier, float64 targets for a regressor)."""

    inputs: Any
    target: npt.NDArray[Any]


@dataclass
class EpochRecords:
    """The records of one epoch, and the figures `watch` keeps in its history."""

    train: StepRecord
    eval: StepRecord | None
    loss: float
    val_loss: float | None = None
    val_score: float | None = None


@dataclass
class RecordBuilder:
    """Collects named arrays and their vectors, then computes every statistic at once."""

    names: list[str] = field(default_factory=list)
    arrays: list[npt.ArrayLike] = field(default_factory=list)
    vectors: dict[str, dict[str, FloatArray]] = field(default_factory=dict)
    scalars: dict[str, float] = field(default_factory=dict)
    bins: Bins | None = None
    """Where given, the histograms of the tensors of `HISTOGRAM_COLLECTIONS` in these bins."""

    def add(
        self,
        collection: str,
        name: str,
        array: npt.ArrayLike,
        vectors: Mapping[str, npt.ArrayLike] | None = None,
    ) -> None:
        tensor = tensor_name(collection, name)
        self.names.append(tensor)
        self.arrays.append(array)
        if vectors:
            self.vectors[tensor] = {
                key: np.asarray(value, dtype=np.float64) for key, value in vectors.items()
            }

    def add_loss(self, value: float) -> None:
        self.add("losses", "loss", np.array([value], dtype=np.float64))

    def add_classes(
        self, labels: npt.NDArray[np.intp], predicted: npt.NDArray[np.intp], classes: int
    ) -> None:
        """The probe's labels and predictions, with the per-class vectors ClassImbalance reads."""
        correct = labels[predicted == labels]
        self.add("labels", "", labels, {"count": np.bincount(labels, minlength=classes)})
        self.add(
            "predictions",
            "",
            predicted,
            {
                "count": np.bincount(predicted, minlength=classes),
                "correct": np.bincount(correct, minlength=classes),
            },
        )

    def build(self, step: int, mode: str) -> StepRecord:
        histograms = {}
        if self.bins is not None:
            chosen = [
                index
                for index, name in enumerate(self.names)
                if collection_of(name) in HISTOGRAM_COLLECTIONS
            ]
            counts = numpy_histograms([self.arrays[index] for index in chosen], self.bins)
            edges = self.bins.edges
            histograms = {
                self.names[i]: (edges, row) for i, row in zip(chosen, counts, strict=True)
            }
        return StepRecord(
            step=step,
            mode=mode,
            timestamp=int(time.time() * 1000),
            tensors=tuple(self.names),
            stats=numpy_stats(self.arrays),
            histograms=histograms,
            vectors=self.vectors,
            scalars=self.scalars,
        )


Parameter = tuple[str, str, FloatArray]
"""(collection, name, array) of one of the model's parameters."""


class Updates:
    """Each parameter's change over one epoch (after - before): `snapshot` before the epoch,
    `since_snapshot` after it, into buffers kept between epochs."""

    def __init__(self) -> None:
        self._before: list[FloatArray] = []
        self._updates: list[FloatArray] = []
        self._taken = False

    def snapshot(self, parameters: Sequence[Parameter]) -> None:
        """Remember the parameters' values before an epoch."""
        arrays = [np.asarray(array) for _, _, array in parameters]
        if [a.shape for a in arrays] != [b.shape for b in self._before]:
            self._before = [a.astype(np.float64, copy=True) for a in arrays]
            self._updates = [np.empty_like(b) for b in self._before]
        else:
            for array, before in zip(arrays, self._before, strict=True):
                np.copyto(before, array)
        self._taken = True

    def since_snapshot(self, parameters: Sequence[Parameter]) -> list[tuple[str, FloatArray]]:
        """The updates of `parameters` by name since the snapshot (none without one, or
        where the shapes changed)."""
        arrays = [np.asarray(array) for _, _, array in parameters]
        if not self._taken or [a.shape for a in arrays] != [b.shape for b in self._before]:
            return []
        self._taken = False
        for array, before, update in zip(arrays, self._before, self._updates, strict=True):
            np.subtract(array, before, out=update)
        return [
            (name, update) for (_, name, _), update in zip(parameters, self._updates, strict=True)
        ]


@functools.cache
def _blas_libraries() -> list[Any]:
    # Found once per process: finding the loaded BLAS libraries takes milliseconds, setting
    # their threads afterwards a microsecond (threadpoolctl's `limit` takes several).
    from threadpoolctl import ThreadpoolController  # type: ignore[import-untyped]

    return list(ThreadpoolController().select(user_api="blas").lib_controllers)


@contextmanager
def one_blas_thread() -> Iterator[None]:
    """BLAS on one thread inside: a tracer's products are small, and OpenBLAS, for one above
    its threshold (a 1,797 x 64 x 10 product), wakes its threads, which then spin on the
    cores the training runs on. An SGD epoch, which uses no BLAS, took twice as long beside
    them; a tracer's work on one thread costs what it computes and no more."""
    libraries = _blas_libraries()
    before = [library.num_threads for library in libraries]
    for library in libraries:
        library.set_num_threads(1)
    try:
        yield
    finally:
        for library, threads in zip(libraries, before, strict=True):
            library.set_num_threads(threads)

"""Where AutoML's folds run: spawned local processes (the default), or Dask tasks.

The search (`automl_search`) owns the Optuna study and hands out ONE FOLD at a time; an
executor runs it and returns its score, its fit time and its out-of-fold stacking features.
The data travels once per worker (a spawned process's arguments; Dask's `scatter`), never
once per fold. Both executors must stop at the deadline: local workers are terminated
(a fit in progress included: that is what holds the budget); Dask futures are cancelled and no
longer waited for (a running Dask task cannot be interrupted, but its result is dropped).
"""

# distributed's Client and Future carry no annotations.
# mypy: disallow-untyped-calls=False

from __future__ import annotations

import contextlib
import importlib
import multiprocessing
import multiprocessing.connection
import os
import queue
import sys
import threading
import time
import traceback
import uuid
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from studio.evaluation.automl_estimators import score, stack_features
from studio.evaluation.automl_space import Candidate, make_candidate_pipeline

if TYPE_CHECKING:
    import pandas as pd
    from distributed import Client, Future

__all__ = [
    "DaskExecutor",
    "FoldExecutor",
    "FoldResult",
    "FoldTask",
    "LocalExecutor",
    "SearchData",
    "run_fold",
]

# One thread per worker: N workers on N cores, each fit single-threaded (OpenMP in
# HistGradientBoosting, BLAS in linear models) instead of N x N threads fighting.
_THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
_STOP_GRACE_SECONDS = 1.0
_READY = -1  # the key of the message a local worker sends once it can fit


@dataclass(frozen=True)
class SearchData:
    """Everything a worker needs, sent to it once."""

    X: pd.DataFrame
    y: np.ndarray
    folds: list[tuple[np.ndarray, np.ndarray]]
    task: str
    metric: str
    classes: np.ndarray
    preprocessing: dict[str, dict[str, Any]]
    seed: int


@dataclass(frozen=True)
class FoldTask:
    key: int
    candidate: Candidate
    fold: int


@dataclass(frozen=True)
class FoldResult:
    key: int
    fold: int
    score: float | None = None
    fit_time: float = 0.0
    features: np.ndarray | None = field(default=None, repr=False)
    error: str | None = None


def run_fold(data: SearchData, task: FoldTask) -> FoldResult:
    """Fit the candidate on a fold's training part and score its held-out part."""
    from threadpoolctl import threadpool_limits  # type: ignore[import-untyped]

    train, held_out = data.folds[task.fold]
    try:
        with threadpool_limits(1), warnings.catch_warnings():
            # Convergence and similar warnings of a candidate say nothing the score does not.
            warnings.simplefilter("ignore")
            pipeline = make_candidate_pipeline(
                task.candidate, data.X, data.task, data.preprocessing, data.seed
            )
            started = time.perf_counter()
            pipeline.fit(data.X.iloc[train], data.y[train])
            fit_time = time.perf_counter() - started
            X_held_out = data.X.iloc[held_out]
            features = stack_features(pipeline, X_held_out, data.task, data.classes)
            predicted = (
                features[:, 0] if data.task == "regression" else pipeline.predict(X_held_out)
            )
            value = score(
                data.metric, data.task, data.y[held_out], predicted, features, data.classes
            )
    except Exception as exc:
        detail = traceback.format_exception_only(type(exc), exc)[-1].strip()
        return FoldResult(task.key, task.fold, error=detail[:1000])
    if not np.isfinite(value):
        return FoldResult(task.key, task.fold, error=f"the fold's score is {value}")
    return FoldResult(task.key, task.fold, value, fit_time, features.astype(np.float32))


class FoldExecutor(Protocol):
    """Runs folds; at most `slots` at a time are worth submitting."""

    slots: int

    def wait_ready(self, timeout: float) -> None: ...

    def submit(self, task: FoldTask) -> None: ...

    def next_result(self, timeout: float) -> FoldResult | None:
        """The next fold done, or None if none was within `timeout` seconds."""
        ...

    def close(self) -> None:
        """Stop now: folds still running are abandoned."""
        ...


class LocalExecutor:
    """A pool of spawned processes that each hold the data and pull folds from one queue."""

    def __init__(self, data: SearchData, n_workers: int, modules: list[str]) -> None:
        context = multiprocessing.get_context("spawn")
        self.slots = n_workers
        self._starting = n_workers
        self._tasks: multiprocessing.Queue[FoldTask | None] = context.Queue()
        self._results: multiprocessing.Queue[FoldResult] = context.Queue()
        self._processes = [
            context.Process(
                target=_worker_main,
                args=(data, modules, self._tasks, self._results),
                name=f"studio-automl-{index}",
                daemon=True,
            )
            for index in range(n_workers)
        ]
        saved = {name: os.environ.get(name) for name in _THREAD_VARIABLES}
        os.environ.update(dict.fromkeys(_THREAD_VARIABLES, "1"))
        try:
            with _main_not_imported():
                for process in self._processes:
                    process.start()
        finally:
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value

    def wait_ready(self, timeout: float) -> None:
        """Wait (at most `timeout` seconds) for the workers to have imported the estimators'
        libraries, so that the search's clock starts with workers that can fit."""
        deadline = time.monotonic() + timeout
        # next_result counts the workers' "ready" messages down.
        while self._starting > 0 and time.monotonic() < deadline:
            self.next_result(deadline - time.monotonic())

    def submit(self, task: FoldTask) -> None:
        self._tasks.put(task)

    def next_result(self, timeout: float) -> FoldResult | None:
        try:
            result = self._results.get(timeout=max(timeout, 0.0))
        except queue.Empty:
            return None
        if result.key == _READY and self._starting:
            self._starting -= 1
        return result

    def close(self) -> None:
        for process in self._processes:
            if process.is_alive():
                process.terminate()
        deadline = time.monotonic() + _STOP_GRACE_SECONDS
        for process in self._processes:
            process.join(max(deadline - time.monotonic(), 0.0))
            if process.is_alive():
                process.kill()
                process.join()
            process.close()
        for channel in (self._tasks, self._results):
            # The workers are gone: nothing will read what is still buffered.
            channel.cancel_join_thread()
            channel.close()


def _import_modules(modules: list[str]) -> None:
    for module in modules:
        importlib.import_module(module)


@contextlib.contextmanager
def _main_not_imported() -> Iterator[None]:
    """Spawned workers need nothing from `__main__`; without this, each would re-run the
    caller's script (one without an `if __name__ == "__main__"` guard would start AutoML again
    in every worker)."""
    main = sys.modules["__main__"]
    saved = {name: getattr(main, name) for name in ("__spec__", "__file__") if hasattr(main, name)}
    main.__spec__ = None
    if "__file__" in saved:
        del main.__file__
    try:
        yield
    finally:
        for name, value in saved.items():
            setattr(main, name, value)


def _exit_with_parent() -> None:
    """A worker whose parent died without closing it (killed, out of memory, its job
    cancelled) would wait for folds forever, holding the data: it exits too, mid-fit
    included (a thread, since the fit does not return to the loop)."""
    parent = multiprocessing.parent_process()
    if parent is None:
        return

    def watch(sentinel: int) -> None:
        multiprocessing.connection.wait([sentinel])
        os._exit(1)

    threading.Thread(target=watch, args=(parent.sentinel,), daemon=True).start()


def _worker_main(
    data: SearchData,
    modules: list[str],
    tasks: multiprocessing.Queue[FoldTask | None],
    results: multiprocessing.Queue[FoldResult],
) -> None:
    _exit_with_parent()
    _import_modules(modules)
    results.put(FoldResult(_READY, _READY))
    while (task := tasks.get()) is not None:
        results.put(run_fold(data, task))


class DaskExecutor:
    """Folds as tasks on a Dask cluster; the data is scattered to every worker once."""

    def __init__(
        self, client: Client, data: SearchData, modules: list[str], owns_client: bool = False
    ) -> None:
        self._client = client
        self._owns_client = owns_client
        self._modules = modules
        self.slots = max(1, sum(client.nthreads().values()))
        self._data = client.scatter(data, broadcast=True, hash=False)
        self._prefix = f"studio-automl-{uuid.uuid4().hex[:12]}"
        self._pending: dict[Future[FoldResult], FoldTask] = {}

    def wait_ready(self, timeout: float) -> None:
        """Have every worker import the estimators' libraries (a first fold would otherwise
        pay for it inside the budget)."""
        from concurrent.futures import ThreadPoolExecutor
        from concurrent.futures import TimeoutError as Late

        # A worker that does not answer in time imports on its first fold instead; the call
        # is left to finish on its own thread (leaving a `with` block would wait for it).
        pool = ThreadPoolExecutor(1)
        imported = pool.submit(self._client.run, _import_modules, self._modules, wait=True)
        with contextlib.suppress(Late):
            imported.result(timeout=max(timeout, 0.0))
        pool.shutdown(wait=False)

    def submit(self, task: FoldTask) -> None:
        future = self._client.submit(
            run_fold, self._data, task, key=f"{self._prefix}-{task.key}-{task.fold}", pure=False
        )
        self._pending[future] = task

    def next_result(self, timeout: float) -> FoldResult | None:
        from distributed import wait

        if not self._pending:
            time.sleep(max(timeout, 0.0))
            return None
        try:
            done = wait(
                list(self._pending), timeout=max(timeout, 0.001), return_when="FIRST_COMPLETED"
            ).done
        except TimeoutError:
            return None
        future = next(iter(done))
        task = self._pending.pop(future)
        try:
            result: FoldResult = future.result()
        except Exception as exc:  # the worker died, or the task could not run
            return FoldResult(task.key, task.fold, error=f"the Dask task failed: {exc}"[:1000])
        return result

    def close(self) -> None:
        if self._pending:
            self._client.cancel(list(self._pending), force=True)
            self._pending.clear()
        self._client.cancel([self._data], force=True)
        if self._owns_client:  # opened here from Dask's configuration: nobody else closes it
            self._client.close()


def make_executor(
    executor: Any, data: SearchData, n_workers: int | None, modules: list[str]
) -> FoldExecutor:
    """ "local" (spawned processes), "dask" (the session's default client, or the scheduler
    Dask's configuration names), or a `distributed.Client`."""
    if executor == "local":
        return LocalExecutor(data, n_workers or os.cpu_count() or 1, modules)
    if executor == "dask":
        from distributed import Client, default_client

        try:
            client = default_client()
        except ValueError:
            import dask

            address = dask.config.get("scheduler-address", None)
            if not address:
                raise ValueError(
                    "executor='dask' needs a distributed.Client in this session, or Dask's "
                    "scheduler-address configured (DASK_SCHEDULER_ADDRESS)."
                ) from None
            return DaskExecutor(Client(address), data, modules, owns_client=True)
        return DaskExecutor(client, data, modules)
    if type(executor).__name__ == "Client" and hasattr(executor, "scatter"):
        return DaskExecutor(executor, data, modules)
    raise ValueError(f"executor must be 'local', 'dask' or a distributed.Client, not {executor!r}.")

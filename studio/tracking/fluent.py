"""The notebook-facing API: `start_run()`, the `Run` handle and the module-level shortcuts.

A `Run` belongs to the process that started it. A forked child may log to it (its points go
through the child's own writer) but never ends it (`end()` there only writes its points), and
may start runs of its own beside it. A run pickled into another process (a `multiprocessing`
or joblib worker, under any start method) arrives there attached to the same run, not owned.
"""

from __future__ import annotations

import getpass
import os
import sys
import tempfile
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from studio.config import RUN_ID_ENV
from studio.errors import InvalidInput
from studio.tracking.backends import Connection, before_exit, connect, flush_all
from studio.tracking.entities import RunStatus
from studio.tracking.validation import (
    INT64_MAX,
    INT64_MIN,
    metric_step,
    metric_value,
    validate_key,
)

if TYPE_CHECKING:
    import logging

    from studio.tracking.entities import RunRecord
    from studio.tracking.signature import Signature

DEFAULT_EXPERIMENT = "Default"
EXPERIMENT_ENV = "STUDIO_EXPERIMENT"
_TERMINAL = ("FINISHED", "FAILED", "KILLED")


def _logger() -> logging.Logger:
    # Imported when there is something to report: `logging` would add 5 ms to `import studio`.
    import logging

    return logging.getLogger(__name__)


class Run:
    """A run being logged. Use it as a context manager, or call `end()`.

    Metric points are queued and written in batches by a background thread, so `log_metric`
    costs about a microsecond; params and tags are written at once, so that a conflicting
    param fails where it is logged.
    """

    def __init__(self, connection: Connection, record: RunRecord, *, owned: bool = True) -> None:
        self._connection = connection
        self._backend = connection.backend
        self._writer = connection.writer
        self._queue = connection.writer.queue
        self._record = record
        self._owned = owned
        self._ended = False
        self._pid = os.getpid()
        self._next_step: dict[str, int] = {}
        self._checked_keys: set[str] = set()
        self.id: str = record.id
        self.experiment_id: int = record.experiment_id
        self.name: str = record.name

    def __repr__(self) -> str:
        return f"<studio.Run {self.name!r} id={self.id}>"

    def __reduce__(self) -> tuple[Any, tuple[str, RunRecord]]:
        # A worker process (spawn, forkserver, a Pool's pickled arguments) reconnects to the
        # same store and logs to the same run, which stays its starter's to end.
        return _attach, (self._connection.uri, self._record)

    # Metrics: the hot path ----------------------------------------------------------------

    def log_metric(self, key: str, value: float, step: int | None = None) -> None:
        """Queue one point. Without `step`, each key counts its own steps from 0."""
        if key not in self._checked_keys:
            validate_key(key, "metric")
            self._checked_keys.add(key)
        if type(value) is not float:
            value = metric_value(value, key)
        if step is None:
            step = self._next_step.get(key, 0)
        # Checked here, where the caller sees it: a step the store cannot hold would
        # otherwise fail in the writer, long after this call returned.
        if type(step) is not int or not INT64_MIN <= step <= INT64_MAX:
            step = metric_step(step, key)
        self._next_step[key] = step + 1
        self._queue.append((self.id, key, value, step, int(time.time() * 1000)))
        if len(self._queue) >= self._writer.batch_size:
            self._writer.wake()

    def log_metrics(self, metrics: Mapping[str, float], step: int | None = None) -> None:
        for key, value in metrics.items():
            self.log_metric(key, value, step)

    # Params, tags, artifacts --------------------------------------------------------------

    def log_param(self, key: str, value: Any) -> None:
        """Record a param; logging the same key again with another value is an error."""
        self._backend.log_batch(self.id, params={key: value})

    def log_params(self, params: Mapping[str, Any]) -> None:
        if params:
            self._backend.log_batch(self.id, params=params)

    def set_tag(self, key: str, value: Any) -> None:
        self._backend.log_batch(self.id, tags={key: value})

    def set_tags(self, tags: Mapping[str, Any]) -> None:
        if tags:
            self._backend.log_batch(self.id, tags=tags)

    def log_artifact(self, path: str | os.PathLike[str], name: str | None = None) -> str:
        """Copy a file or folder into the run's artifacts; returns its artifact path."""
        return self._backend.log_artifact(self.id, Path(path), name)

    def log_model(
        self,
        model: Any,
        name: str = "model",
        *,
        input_example: Any = None,
        signature: Signature | Mapping[str, Any] | None = None,
    ) -> str:
        """Save a fitted model as artifact `name`: with skops (scikit-learn, and whatever skops
        can save), or as a pickle that loads only with `trusted=True`. `input_example` is a few
        rows of what the model takes (a DataFrame or a 2-D array); the signature is inferred
        from it and the model's predictions on it when not given."""
        from studio.tracking.models import save_model

        with tempfile.TemporaryDirectory(prefix="studio-model-") as folder:
            saved = save_model(
                model, Path(folder) / name, input_example=input_example, signature=signature
            )
            return self._backend.log_artifact(self.id, saved, name)

    def add_child_run(
        self,
        name: str,
        *,
        params: Mapping[str, Any] | None = None,
        tags: Mapping[str, Any] | None = None,
        metrics: Sequence[tuple[str, float, int, int]] = (),
        status: str = "FINISHED",
    ) -> str:
        """Record a whole child run at once: params, tags and (key, value, step, timestamp)
        points in one transaction. A search logs its candidates this way. Returns its id."""
        return self._backend.create_run(
            self.experiment_id,
            name=name,
            parent_run_id=self.id,
            source=self._record.source,
            params=params,
            tags=tags,
            metrics=metrics,
            status=RunStatus(status.upper()),
        ).id

    # Lifecycle -----------------------------------------------------------------------------

    def flush(self) -> None:
        """Block until every point logged so far is written; raise if this run's were not.

        Only this run's failures are raised here, each once (see `studio.tracking.writer`).
        """
        self._writer.flush(self.id)

    def end(self, status: str = "FINISHED") -> None:
        """Write what is queued, then mark the run ended with `status`.

        If its last points cannot be written, the run ends FAILED and the error is raised; a
        run that lost points earlier (its error raised then) ends FAILED too. A run is never
        FINISHED with points lost.
        """
        if self._ended:
            return
        status = status.upper()
        if status not in _TERMINAL:
            raise InvalidInput(f"A run ends as one of {', '.join(_TERMINAL)}, not {status!r}.")
        self._ended = True
        _pop_active(self)
        if self._pid != os.getpid():
            # A forked child leaving the parent's `with` block: the run is the parent's to end.
            self.flush()
            return
        try:
            self.flush()
        except BaseException as exc:
            ended_as = "KILLED" if isinstance(exc, KeyboardInterrupt) else "FAILED"
            try:
                self._backend.update_run(self.id, status=RunStatus(ended_as))
            except Exception as second:  # a deleted run: the flush's error says it all
                _logger().debug("Run %s could not be marked %s: %s", self.id, ended_as, second)
            raise
        if status == "FINISHED" and self._writer.lost_points(self.id):
            # Its error was raised already (by an earlier flush, or studio.flush()).
            _logger().warning("Run %s ends FAILED: some of its metric points were lost.", self.id)
            status = "FAILED"
        if self._owned or status != "FINISHED":
            self._backend.update_run(self.id, status=RunStatus(status))

    @property
    def record(self) -> RunRecord:
        """The run as stored now: status, params, tags, metric summaries."""
        self.flush()
        return self._backend.get_run(self.id)

    def __enter__(self) -> Run:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if exc_type is None:
            self.end("FINISHED")
            return
        try:
            self.end("KILLED" if issubclass(exc_type, KeyboardInterrupt) else "FAILED")
        except Exception as write_error:
            # The block's own exception is what the user must see; the lost points ride on it.
            if exc is not None:
                exc.add_note(
                    f"Studio could not write the last points of run {self.id}: {write_error}"
                )
            _logger().error(
                "Studio could not write the last points of run %s: %s", self.id, write_error
            )


# The active-run stack is process-wide, as in MLflow: callbacks on other threads log to it too.
_active: list[Run] = []
_active_lock = threading.Lock()


def start_run(
    experiment: str | int | None = None,
    name: str | None = None,
    params: Mapping[str, Any] | None = None,
    tags: Mapping[str, Any] | None = None,
    nested: bool = False,
    *,
    tracking_uri: str | None = None,
) -> Run:
    """Start a run in `experiment` (a name or an id; default "Default") and make it active.

    Inside a Studio job (`STUDIO_RUN_ID` set) the first run attaches to the job's run.
    With `nested=True` the new run is a child of the active one.
    """
    with _active_lock:
        parent = _active[-1] if _active else None
    if parent is not None and not nested and parent._pid != os.getpid():
        # A forked child may start runs of its own beside the one it inherited.
        parent = None
    if parent is not None and not nested:
        raise InvalidInput(
            f"Run {parent.name!r} ({parent.id}) is still active. End it first, use "
            "`with studio.start_run(...)` blocks, or pass nested=True for a child run."
        )
    connection = connect(tracking_uri)
    backend = connection.backend
    job_run_id = os.environ.get(RUN_ID_ENV)
    if parent is None and job_run_id:
        run = Run(connection, backend.get_run(job_run_id), owned=False)
        if params:
            run.log_params(params)
        if tags:
            run.set_tags(tags)
    else:
        experiment_id = _experiment_id(connection, experiment, parent)
        record = backend.create_run(
            experiment_id,
            name=name,
            parent_run_id=parent.id if parent else None,
            source=_source(),
            params=params,
            tags={"studio.user": _user(), **(tags or {})},
        )
        run = Run(connection, record)
    with _active_lock:
        _active.append(run)
    return run


def active_run() -> Run | None:
    """The innermost active run, or None."""
    with _active_lock:
        return _active[-1] if _active else None


def end_run(status: str = "FINISHED") -> None:
    """End the innermost active run, if there is one."""
    run = active_run()
    if run is not None:
        run.end(status)


def log_param(key: str, value: Any) -> None:
    _current().log_param(key, value)


def log_params(params: Mapping[str, Any]) -> None:
    _current().log_params(params)


def log_metric(key: str, value: float, step: int | None = None) -> None:
    _current().log_metric(key, value, step)


def log_metrics(metrics: Mapping[str, float], step: int | None = None) -> None:
    _current().log_metrics(metrics, step)


def set_tags(tags: Mapping[str, Any]) -> None:
    _current().set_tags(tags)


def flush() -> None:
    """Block until every point logged by this process so far is written; raise if any run's
    points could not be written (each failure is reported once: here, or by its run)."""
    flush_all()


def _current() -> Run:
    # As in MLflow, logging without an active run starts one; it ends at interpreter exit.
    return active_run() or start_run()


def _attach(uri: str, record: RunRecord) -> Run:
    """A pickled run in another process: the same run on the same store, not owned there."""
    return Run(connect(uri or None), record, owned=False)


def _pop_active(run: Run) -> None:
    with _active_lock:
        if run in _active:
            _active.remove(run)


def _experiment_id(connection: Connection, experiment: str | int | None, parent: Run | None) -> int:
    if isinstance(experiment, bool):
        raise InvalidInput(f"experiment must be a name or an id, not {experiment!r}.")
    if isinstance(experiment, int):
        return connection.backend.get_experiment(experiment).id
    if experiment is None:
        if parent is not None:
            return parent.experiment_id
        experiment = os.environ.get(EXPERIMENT_ENV) or DEFAULT_EXPERIMENT
    return connection.backend.get_or_create_experiment(experiment).id


def _source() -> str | None:
    # jupyter_server tells each kernel the path of its notebook.
    notebook = os.environ.get("JPY_SESSION_NAME")
    if notebook:
        return notebook
    script = sys.argv[0] if sys.argv and sys.argv[0] not in {"", "-c"} else None
    return os.path.abspath(script) if script and os.path.exists(script) else None


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def _end_active_runs() -> None:
    """At exit, end every run this process started, even when ending one of them fails.

    As in MLflow, a run still active ends FINISHED (FAILED where its last points could not be
    written). Runs a forked child inherited from its parent are left to the parent.
    """
    with _active_lock:
        runs = list(reversed(_active))
        _active.clear()
    for run in runs:
        if run._pid != os.getpid():
            continue
        try:
            run.end("FINISHED")
        except Exception as exc:
            _logger().error("Studio could not end run %s at exit: %s", run.id, exc)


def _after_fork() -> None:
    # Another thread of the parent may have held the lock when it forked.
    global _active_lock
    _active_lock = threading.Lock()


before_exit.append(_end_active_runs)
if hasattr(os, "register_at_fork"):  # POSIX only; Windows has no fork
    os.register_at_fork(after_in_child=_after_fork)

"""What the spawned writer processes of test_concurrency.py run.

A module of its own, importing only studio and the standard library: a spawned worker
imports the module of its target, and pytest would add a second to each one's start.
"""

from __future__ import annotations

import threading

import studio

PROCESSES = 3
THREADS = 2
WRITERS = PROCESSES * THREADS
POINTS = 3_000  # per writer and series: the shared series gets 18,000, several chunks
FLUSH_EVERY = 400
SHARED_KEY = "loss"


def value_of(step: int) -> float:
    """Every writer logs this value at a step, so a point's value says it is no stray."""
    return float("nan") if step % 97 == 0 else (step % 1009) * 0.25 - 100.0


def shared_steps(writer: int) -> list[int]:
    """A writer's steps in the shared series: interleaved with every other writer's, so
    that points arrive below the steps of chunks other writers have sealed."""
    return [i * WRITERS + writer for i in range(POINTS)]


def log_from_threads(uri: str, shared: studio.Run, process: int) -> str:
    """Threads of one process logging to the shared run (one series together and one each)
    and to the process's own run; flushing as they go. Returns the own run's id."""
    errors: list[BaseException] = []
    with studio.start_run(experiment="own", name=f"p{process}", tracking_uri=uri) as own:

        def write(thread: int) -> None:
            writer = process * THREADS + thread
            try:
                for i, step in enumerate(shared_steps(writer)):
                    shared.log_metric(SHARED_KEY, value_of(step), step=step)
                    shared.log_metric(f"w{writer}", value_of(i), step=i)
                    own.log_metric(f"t{thread}", value_of(i), step=i)
                    if i % FLUSH_EVERY == FLUSH_EVERY - 1:
                        shared.flush()
            except BaseException as exc:  # re-raised in the process below
                errors.append(exc)

        threads = [threading.Thread(target=write, args=(t,)) for t in range(THREADS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        if errors:
            raise errors[0]
        shared.flush()
        return own.id

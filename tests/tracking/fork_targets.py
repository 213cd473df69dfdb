"""What the worker processes of test_fork.py run.

A module of its own, importing only studio: a spawned or forkserver worker imports the module
of its target, and scikit-learn or pytest would add seconds to each one's start.
"""

from __future__ import annotations

import studio
from studio.tracking import backends

CHILDREN = 2
POINTS = 3000


def log_in_child(uri: str, parent: studio.Run, index: int) -> None:
    """A worker's task: its own run, and points for its parent's run that it never flushes
    (the child's exit writes them)."""
    with studio.start_run(experiment="children", name=f"child-{index}", tracking_uri=uri) as own:
        for step in range(POINTS):
            own.log_metric("loss", float(step))
            parent.log_metric(f"child-{index}", float(step))
    for step in range(POINTS):
        parent.log_metric(f"after-{index}", float(step))


def use_unanswered_batches(uri: str) -> None:
    backends.connect(uri).backend._unanswered.id_for([("run", "loss", 1.0, 0, 0)])  # type: ignore[attr-defined]

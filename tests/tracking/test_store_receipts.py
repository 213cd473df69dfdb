"""A logging batch with an id is applied at most once: retries and duplicates store nothing
new, even when they arrive at the same moment; ids are kept for two days, then forgotten.

Runs on SQLite, and on PostgreSQL where STUDIO_TEST_DB_URL names a server (`make test`).
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import text

from studio.errors import Conflict, InvalidInput
from studio.tracking.store import BATCH_RECEIPT_KEEP_MS, TrackingStore, now_ms

if TYPE_CHECKING:
    from studio.db.engine import Database
    from studio.tracking.service import TrackingService

POINTS = [("loss", 1.0 / (1 + step), step, 1000 + step) for step in range(50)]


def _receipts(database: Database) -> set[str]:
    with database.engine.connect() as connection:
        return set(connection.execute(text("SELECT batch_id FROM batch_receipts")).scalars())


def _age(database: Database, batch_id: str, age_ms: int) -> None:
    with database.engine.begin() as connection:
        connection.execute(
            text("UPDATE batch_receipts SET received_at = :t WHERE batch_id = :b"),
            {"t": now_ms() - age_ms, "b": batch_id},
        )


def test_a_repeated_batch_is_stored_once(service: TrackingService) -> None:
    run = service.create_run(service.create_experiment("e").id)
    for _ in range(3):
        service.log_batch(run.id, metrics=POINTS, tags={"t": "1"}, batch_id="b-1")
    history = service.get_metric_history(run.id, "loss")
    assert history.total == len(POINTS)
    assert history.steps == list(range(50))
    assert service.get_run(run.id).metrics["loss"].count == len(POINTS)
    # Another id is another batch, even with the same content; no id: always applied.
    service.log_batch(run.id, metrics=POINTS, batch_id="b-2")
    service.log_batch(run.id, metrics=POINTS)
    assert service.get_metric_history(run.id, "loss").total == 3 * len(POINTS)


def test_copies_arriving_at_once_are_stored_once(service: TrackingService) -> None:
    """The primary key decides, not a look before the insert: four copies race."""
    run = service.create_run(service.create_experiment("e").id)
    barrier = threading.Barrier(4)
    errors: list[BaseException] = []

    def send() -> None:
        try:
            barrier.wait()
            service.log_batch(run.id, metrics=POINTS, batch_id="racing")
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=send) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert service.get_metric_history(run.id, "loss").total == len(POINTS)


def test_a_failed_batch_leaves_no_receipt(service: TrackingService, database: Database) -> None:
    run = service.create_run(service.create_experiment("e").id, params={"lr": "0.1"})
    with pytest.raises(Conflict, match="lr"):
        service.log_batch(run.id, params={"lr": "0.2"}, metrics=POINTS, batch_id="b")
    assert _receipts(database) == set()
    service.log_batch(run.id, params={"lr": "0.1"}, metrics=POINTS, batch_id="b")
    assert service.get_metric_history(run.id, "loss").total == len(POINTS)


def test_an_id_belongs_to_its_run(service: TrackingService, database: Database) -> None:
    experiment = service.create_experiment("e")
    first, second = (service.create_run(experiment.id) for _ in range(2))
    service.log_batch(first.id, metrics=POINTS, batch_id="mine")
    with pytest.raises(Conflict, match="another run"):
        service.log_batch(second.id, metrics=POINTS, batch_id="mine")
    assert service.get_metric_history(second.id, "loss").total == 0
    # Deleting the run deletes its receipts.
    service.delete_run(first.id)
    assert _receipts(database) == set()
    service.log_batch(second.id, metrics=POINTS, batch_id="mine")
    assert service.get_metric_history(second.id, "loss").total == len(POINTS)


@pytest.mark.parametrize("bad", ["", "a" * 65, "a/b", "x y", "é"])
def test_batch_ids_are_plain_tokens(service: TrackingService, bad: str) -> None:
    run = service.create_run(service.create_experiment("e").id)
    with pytest.raises(InvalidInput, match="batch id"):
        service.log_batch(run.id, metrics=POINTS, batch_id=bad)
    assert service.get_metric_history(run.id, "loss").total == 0


def test_old_ids_are_pruned_and_young_ones_kept(store: TrackingStore, database: Database) -> None:
    run = store.create_run(store.create_experiment("e").id)
    for batch_id in ("old", "day-old", "new"):
        store.log_batch(run.id, metrics=POINTS[:1], batch_id=batch_id)
    _age(database, "old", BATCH_RECEIPT_KEEP_MS + 60_000)
    _age(database, "day-old", 24 * 3600 * 1000)
    # Pruning runs when a batch arrives, at most once an hour per store: this store already
    # pruned at its first batch, a new one (another server process, say) prunes now.
    store.log_batch(run.id, metrics=POINTS[:1], batch_id="later")
    assert _receipts(database) == {"old", "day-old", "new", "later"}
    TrackingStore(database, store.artifact_root).log_batch(
        run.id, metrics=POINTS[:1], batch_id="other-process"
    )
    assert _receipts(database) == {"day-old", "new", "later", "other-process"}
    # A day-old id still protects against a retry.
    store.log_batch(run.id, metrics=POINTS[:1], batch_id="day-old")
    assert store.get_metric_history(run.id, "loss").total == 5
    assert store.prune_batch_receipts(keep_ms=-1000) == 4  # every id, even this ms's
    assert _receipts(database) == set()

"""A run's series of other kinds than its metrics: the one interface through which a feature
package appends to and reads its series (DESIGN.md, "Series"). The debugger stores each
statistic of each watched tensor as the series (run, "tensor", "<mode>/<tensor>/<statistic>").

A kind names the package that owns its series. Series of any kind but "metric" never show
up as metrics: search, the runs table and compare read the metric summaries, which only
`log_metric` writes. That is also why kind "metric" is refused here: a point appended to a
metric's series without its summary would make the two disagree.

Reads are a metric history's (`store_history`): whole, by step range, downsampled to
`max_points` keeping each bucket's extremes, or a page of every point at a time.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal, overload

from sqlalchemy import select

from studio.errors import InvalidInput, NotFound, TooLarge
from studio.tracking import store_history
from studio.tracking.entities import MetricHistory, SeriesInfo, SeriesPage
from studio.tracking.orm import SqlRun
from studio.tracking.paging import decode_offset_token, encode_offset_token
from studio.tracking.series import many as series_many
from studio.tracking.series.store import Owner
from studio.tracking.store import now_ms
from studio.tracking.store_rows import claim_batch
from studio.tracking.validation import (
    MAX_HISTORY_POINTS,
    MAX_SERIES_APPEND_POINTS,
    MAX_SERIES_APPEND_SERIES,
    MAX_SERIES_PAGE,
    METRIC_KIND,
    SERIES_KIND_PATTERN,
    metric_step,
    validate_batch_id,
    validate_key,
)

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from studio.db.engine import Database
    from studio.tracking.series.many import SeriesColumns
    from studio.tracking.series.store import SeriesPoints

_KIND = re.compile(SERIES_KIND_PATTERN)


class RunSeries:
    """Append to, list and read the series of runs, by kind. `TrackingService.series`."""

    def __init__(self, database: Database) -> None:
        self.db = database

    def append(
        self,
        run_id: str,
        kind: str,
        points: Mapping[str, SeriesColumns],
        *,
        batch_id: str | None = None,
    ) -> None:
        """Add (steps, timestamps, values) to each series `key` of `points`, all in one
        transaction: every point or none. Series are created on their first point.

        At most MAX_SERIES_APPEND_SERIES series and MAX_SERIES_APPEND_POINTS points in all
        (TooLarge); a bad kind, key or column is InvalidInput, an unknown run NotFound. With
        a `batch_id` (as `log_batch` takes one), applied at most once: a writer's retry of an
        append that was stored but not answered stores nothing.
        """
        check_kind(kind, writing=True)
        if batch_id is not None:
            validate_batch_id(batch_id)
        if len(points) > MAX_SERIES_APPEND_SERIES:
            raise TooLarge(
                f"An append holds at most {MAX_SERIES_APPEND_SERIES} series; "
                f"this one has {len(points)}."
            )
        total = 0
        for key, columns in points.items():
            validate_key(key, "series", element=True)
            if len(columns) != 3:
                raise InvalidInput(f"Series {key!r}: give (steps, timestamps, values).")
            total += len(columns[0])
        if total > MAX_SERIES_APPEND_POINTS:
            raise TooLarge(
                f"An append holds at most {MAX_SERIES_APPEND_POINTS} points; this one has {total}."
            )
        with self.db.session(write=True) as session:
            _check_run(session, run_id, lock=True)
            if batch_id is not None and not claim_batch(session, batch_id, run_id, now_ms()):
                return
            try:
                series_many.append_many(session, Owner.run(run_id), kind, dict(points))
            except InvalidInput as exc:
                raise InvalidInput(f"{exc.message} (kind {kind!r})") from exc

    def list_series(self, run_id: str, kind: str, prefix: str | None = None) -> list[SeriesInfo]:
        """Every series of the run of this kind (keys starting with `prefix`), in the order
        they were first appended to."""
        check_kind(kind)
        with self.db.session() as session:
            _check_run(session, run_id)
            found = series_many.list_owned(session, Owner.run(run_id), kind, prefix)
        return [_info(summary) for summary in found]

    def list_series_page(
        self,
        run_id: str,
        kind: str,
        prefix: str | None = None,
        *,
        max_results: int = MAX_SERIES_PAGE,
        page_token: str | None = None,
    ) -> SeriesPage:
        """One page of `list_series` (the REST API's listing is paged)."""
        check_kind(kind)
        if not 1 <= max_results <= MAX_SERIES_PAGE:
            raise InvalidInput(f"max_results must be between 1 and {MAX_SERIES_PAGE}.")
        offset = decode_offset_token(page_token)
        with self.db.session() as session:
            _check_run(session, run_id)
            owner = Owner.run(run_id)
            found = series_many.list_owned(session, owner, kind, prefix, offset, max_results + 1)
        token = encode_offset_token(offset + max_results) if len(found) > max_results else None
        return SeriesPage([_info(summary) for summary in found[:max_results]], token)

    def read(
        self,
        run_id: str,
        kind: str,
        key: str,
        max_points: int | None = None,
        *,
        max_results: int | None = None,
        page_token: str | None = None,
        min_step: int | None = None,
        max_step: int | None = None,
    ) -> MetricHistory:
        """The points of series `key` with steps in [min_step, max_step] (None: open), as
        `TrackingService.get_metric_history` reads a metric's: every point; or at most
        `max_points`, each bucket's first, min, max and last (`downsampled` says so); or,
        with `max_results`, one page of every point, from `page_token` on. A series never
        appended to reads as empty."""
        check_kind(kind)
        _check_read(max_points, max_results, min_step, max_step, key)
        with self.db.session() as session:
            _check_run(session, run_id)
            if max_points is None and max_results is not None:
                return store_history.page(
                    session, run_id, key, max_results, page_token, min_step, max_step, kind
                )
            return store_history.read(session, run_id, key, max_points, min_step, max_step, kind)

    @overload
    def read_many(
        self,
        run_id: str,
        kind: str,
        keys: Sequence[str],
        max_points: int | None = None,
        *,
        min_step: int | None = None,
        max_step: int | None = None,
        arrays: Literal[False] = False,
    ) -> dict[str, MetricHistory]: ...

    @overload
    def read_many(
        self,
        run_id: str,
        kind: str,
        keys: Sequence[str],
        max_points: int | None = None,
        *,
        min_step: int | None = None,
        max_step: int | None = None,
        arrays: Literal[True],
    ) -> dict[str, SeriesPoints]: ...

    def read_many(
        self,
        run_id: str,
        kind: str,
        keys: Sequence[str],
        max_points: int | None = None,
        *,
        min_step: int | None = None,
        max_step: int | None = None,
        arrays: bool = False,
    ) -> dict[str, MetricHistory] | dict[str, SeriesPoints]:
        """`read` of several series of one run, in one transaction, by key. With `arrays`,
        each as numpy arrays (`SeriesPoints`: steps and timestamps int64, values float64),
        not lists: millions of points without a Python object each."""
        check_kind(kind)
        _check_read(max_points, None, min_step, max_step, "")
        with self.db.session() as session:
            _check_run(session, run_id)
            found = store_history.read_many(
                session, run_id, keys, max_points, min_step, max_step, kind
            )
        if arrays:
            return found
        return {key: store_history.history(key, points) for key, points in found.items()}


def check_kind(kind: Any, *, writing: bool = False) -> str:
    """A series kind this interface serves: lowercase, at most 16 characters; not "metric"
    to write (a run's metrics are logged with their summaries, by `log_metric`)."""
    if not isinstance(kind, str) or not _KIND.match(kind):
        raise InvalidInput(
            f"Invalid series kind {kind!r}: lowercase letters, digits and '_', "
            "starting with a letter, at most 16 characters."
        )
    if writing and kind == METRIC_KIND:
        raise InvalidInput(
            "Series of kind 'metric' are a run's metrics: log them with log_metric or "
            "log_batch, which keep the summaries that search and the runs table read."
        )
    return kind


def iter_pages(
    read: Any, run_id: str, kind: str, key: str, page_size: int = MAX_HISTORY_POINTS, **steps: Any
) -> Iterator[MetricHistory]:
    """Every point of a series, a page at a time (a streamed read, in bounded memory), through
    the `read` of any backend's series interface; `steps`: min_step and max_step."""
    token: str | None = None
    while True:
        page = read(run_id, kind, key, max_results=page_size, page_token=token, **steps)
        yield page
        token = page.next_page_token
        if token is None:
            return


def _check_read(
    max_points: int | None,
    max_results: int | None,
    min_step: int | None,
    max_step: int | None,
    key: str,
) -> None:
    if max_points is not None and not 2 <= max_points <= MAX_HISTORY_POINTS:
        raise InvalidInput(f"max_points must be between 2 and {MAX_HISTORY_POINTS}.")
    if max_results is not None and not 1 <= max_results <= MAX_HISTORY_POINTS:
        raise InvalidInput(f"max_results must be between 1 and {MAX_HISTORY_POINTS}.")
    low = None if min_step is None else metric_step(min_step, key)
    high = None if max_step is None else metric_step(max_step, key)
    if low is not None and high is not None and low > high:
        raise InvalidInput(f"min_step ({low}) must not be above max_step ({high}).")


def _check_run(session: Session, run_id: str, *, lock: bool = False) -> None:
    query = select(SqlRun.id).where(SqlRun.id == run_id)
    if lock:
        # As the metrics writer does: a run deleted meanwhile waits for this commit, so its
        # series go with it rather than outliving it.
        query = query.with_for_update(read=True, key_share=True)
    if session.execute(query).scalar_one_or_none() is None:
        raise NotFound(f"No run has id {run_id!r}.")


def _info(summary: series_many.SeriesSummary) -> SeriesInfo:
    return SeriesInfo(summary.key, summary.count, summary.min_step, summary.max_step)

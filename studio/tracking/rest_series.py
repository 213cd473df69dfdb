"""The remote side of `series_api`: a run's series of other kinds over a Studio server's REST
API (`RestTrackingClient.series`), with the local interface's names, answers and errors.

An append larger than one request allows is split into requests of whole series where it
can; it is then no longer all or nothing. A full read follows the server's pages.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any, Literal, Protocol, TypeVar, overload
from urllib.parse import quote

import numpy as np
from pydantic import BaseModel, ValidationError

from studio.errors import InvalidInput
from studio.tracking.series_schemas import (
    SeriesAppendIn,
    SeriesListOut,
    SeriesPointsOut,
    SeriesReadIn,
    SeriesReadOut,
)
from studio.tracking.validation import (
    MAX_HISTORY_POINTS,
    MAX_SERIES_APPEND_POINTS,
    MAX_SERIES_APPEND_SERIES,
    MAX_SERIES_PAGE,
    MAX_SERIES_READ_KEYS,
)

if TYPE_CHECKING:
    from studio.tracking.entities import MetricHistory, SeriesInfo
    from studio.tracking.series.many import SeriesColumns
    from studio.tracking.series.store import SeriesPoints

M = TypeVar("M", bound=BaseModel)


class JsonCall(Protocol):
    """RestTrackingClient._json: a request under the API, its answer as `model`."""

    def __call__(
        self,
        method: str,
        path: str,
        model: type[M],
        *,
        query: Mapping[str, Any] | None = None,
        body: BaseModel | None = None,
    ) -> M: ...


# RestTrackingClient._send: a request whose answer has no body.
SendCall = Callable[..., AbstractContextManager[Any]]


class RestRunSeries:
    """Append to, list and read a run's series on a Studio server."""

    page_size = MAX_HISTORY_POINTS

    def __init__(self, json: JsonCall, send: SendCall) -> None:
        self._json = json
        self._send = send

    def append(
        self,
        run_id: str,
        kind: str,
        points: Mapping[str, SeriesColumns],
        *,
        batch_id: str | None = None,
    ) -> None:
        """As `RunSeries.append`; an append past one request's limits is sent as several,
        request `n` with the id `<batch_id>-<n>`."""
        for index, part in enumerate(_requests(list(points.items()))):
            fields: dict[str, Any] = {
                "kind": kind,
                "series": [_points_in(key, cols) for key, cols in part],
            }
            if batch_id is not None:
                fields["batch_id"] = f"{batch_id}-{index}"
            try:
                body = SeriesAppendIn.model_validate(fields, strict=False)
            except ValidationError as exc:  # the local interface's error, before sending
                raise InvalidInput(_problems(exc)) from exc
            with self._send("POST", f"{_run(run_id)}/series/points", body=body):
                pass

    def list_series(self, run_id: str, kind: str, prefix: str | None = None) -> list[SeriesInfo]:
        query: dict[str, Any] = {"kind": kind, "max_results": MAX_SERIES_PAGE}
        if prefix:
            query["prefix"] = prefix
        found: list[SeriesInfo] = []
        while True:
            page = self._json("GET", f"{_run(run_id)}/series", SeriesListOut, query=query)
            found.extend(page.to_entity().series)
            if page.next_page_token is None:
                return found
            query["page_token"] = page.next_page_token

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
        """As `RunSeries.read`; with neither `max_points` nor `max_results`, every point (the
        server's pages followed and joined)."""
        query: dict[str, Any] = {"kind": kind, "key": key}
        for name, value in (("min_step", min_step), ("max_step", max_step)):
            if value is not None:
                query[name] = value
        path = f"{_run(run_id)}/series/points"
        if max_points is not None:
            query["max_points"] = max_points
            return self._json("GET", path, SeriesPointsOut, query=query).to_entity()
        if max_results is not None:
            if page_token is not None:
                query["page_token"] = page_token
            query["max_results"] = max_results
            return self._json("GET", path, SeriesPointsOut, query=query).to_entity()
        query["max_results"] = self.page_size
        first = page = self._json("GET", path, SeriesPointsOut, query=query)
        while page.next_page_token is not None:
            query["page_token"] = page.next_page_token
            page = self._json("GET", path, SeriesPointsOut, query=query)
            first.steps.extend(page.steps)
            first.timestamps.extend(page.timestamps)
            first.values.extend(page.values)
        first.total = page.total
        first.next_page_token = None
        return first.to_entity()

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
        """As `RunSeries.read_many`: downsampled series a request of many; every point of
        each (`max_points` None) a series at a time. With `arrays`, as numpy arrays."""
        found = self._read_many(run_id, kind, keys, max_points, min_step, max_step)
        if not arrays:
            return found
        return {key: _points(history) for key, history in found.items()}

    def _read_many(
        self,
        run_id: str,
        kind: str,
        keys: Sequence[str],
        max_points: int | None,
        min_step: int | None,
        max_step: int | None,
    ) -> dict[str, MetricHistory]:
        if max_points is None:
            return {
                key: self.read(run_id, kind, key, min_step=min_step, max_step=max_step)
                for key in keys
            }
        per_request = max(1, min(MAX_SERIES_READ_KEYS, MAX_HISTORY_POINTS // max_points))
        found: dict[str, MetricHistory] = {}
        for start in range(0, len(keys), per_request):
            try:
                body = SeriesReadIn(
                    kind=kind,
                    keys=list(keys[start : start + per_request]),
                    max_points=max_points,
                    min_step=min_step,
                    max_step=max_step,
                )
            except ValidationError as exc:
                raise InvalidInput(_problems(exc)) from exc
            answer = self._json("POST", f"{_run(run_id)}/series/read", SeriesReadOut, body=body)
            found.update((history.key, history.to_entity()) for history in answer.series)
        return found


def _points(history: MetricHistory) -> SeriesPoints:
    from studio.tracking.series.store import SeriesPoints

    return SeriesPoints(
        steps=np.asarray(history.steps, dtype=np.int64),
        timestamps=np.asarray(history.timestamps, dtype=np.int64),
        values=np.asarray(history.values, dtype=np.float64),
        downsampled=history.downsampled,
        total=history.total,
    )


def _run(run_id: str) -> str:
    return f"/runs/{quote(run_id, safe='')}"


def _problems(exc: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(str(part) for part in error['loc'])}: {error['msg']}"
        for error in exc.errors(include_url=False)
    )


def _points_in(key: str, columns: SeriesColumns) -> dict[str, Any]:
    steps, stamps, values = (np.asarray(column) for column in columns)
    return {
        "key": key,
        "steps": steps.tolist(),
        "timestamps": stamps.tolist(),
        "values": np.asarray(values, dtype=np.float64).tolist(),
    }


def _requests(
    items: list[tuple[str, SeriesColumns]],
) -> Iterator[list[tuple[str, SeriesColumns]]]:
    """Whole series per request, within its limits of series and points; a series longer than
    one request allows gets requests of its own, a slice of its points each."""
    part: list[tuple[str, SeriesColumns]] = []
    size = 0
    for key, columns in items:
        count = len(columns[0])
        if len(columns) != 3 or len({len(column) for column in columns}) != 1:
            raise InvalidInput(f"Series {key!r}: steps, timestamps and values of one length.")
        if count > MAX_SERIES_APPEND_POINTS:
            for start in range(0, count, MAX_SERIES_APPEND_POINTS):
                piece = slice(start, start + MAX_SERIES_APPEND_POINTS)
                sliced = (columns[0][piece], columns[1][piece], columns[2][piece])
                yield [(key, sliced)]
            continue
        full = size + count > MAX_SERIES_APPEND_POINTS or len(part) >= MAX_SERIES_APPEND_SERIES
        if part and full:
            yield part
            part, size = [], 0
        part.append((key, columns))
        size += count
    if part:
        yield part

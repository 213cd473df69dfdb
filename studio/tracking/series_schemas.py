"""Wire models of a run's series of other kinds than metrics (`series_api`): appending many
series at once, listing them, reading one or several. Every limit is declared, so that the
OpenAPI document tells clients."""

from __future__ import annotations

from typing import Annotated, cast

from pydantic import Field, model_validator

from studio.tracking.entities import MetricHistory, SeriesInfo, SeriesPage
from studio.tracking.schemas import MetricHistoryOut, MetricHistoryQuery
from studio.tracking.validation import (
    BATCH_ID_PATTERN,
    MAX_BATCH_ID_LENGTH,
    MAX_HISTORY_POINTS,
    MAX_KEY_LENGTH,
    MAX_SERIES_APPEND_POINTS,
    MAX_SERIES_APPEND_SERIES,
    MAX_SERIES_PAGE,
    MAX_SERIES_READ_KEYS,
    SERIES_KIND_PATTERN,
)
from studio.tracking.wire_types import FloatIn, Int64, PageToken, Timestamp
from studio.wire import QueryIn, WireIn, WireOut

SeriesKind = Annotated[
    str,
    Field(
        pattern=SERIES_KIND_PATTERN,
        description="The series' kind: the package that owns it (e.g. 'tensor').",
    ),
]
SeriesKey = Annotated[str, Field(min_length=1, max_length=MAX_KEY_LENGTH)]


class SeriesPointsIn(WireIn, title="SeriesPointsIn"):
    """Points of one series: three lists of one length."""

    key: SeriesKey
    steps: list[Int64] = Field(max_length=MAX_SERIES_APPEND_POINTS)
    timestamps: list[Timestamp] = Field(max_length=MAX_SERIES_APPEND_POINTS)
    values: list[FloatIn] = Field(max_length=MAX_SERIES_APPEND_POINTS)

    @model_validator(mode="after")
    def _one_length(self) -> SeriesPointsIn:
        if not len(self.steps) == len(self.timestamps) == len(self.values):
            raise ValueError(
                f"steps, timestamps and values of {self.key!r} must be of one length "
                f"({len(self.steps)}, {len(self.timestamps)}, {len(self.values)})"
            )
        return self


class SeriesAppendIn(WireIn, title="SeriesAppendIn"):
    """Points of many series of one run and kind, stored all together or not at all."""

    kind: SeriesKind
    series: list[SeriesPointsIn] = Field(
        max_length=MAX_SERIES_APPEND_SERIES,
        description=(
            f"At most {MAX_SERIES_APPEND_SERIES} series and {MAX_SERIES_APPEND_POINTS} points "
            "in all, each key once. Kind 'metric' is refused: log metrics with logBatch."
        ),
    )

    batch_id: str | None = Field(
        None,
        pattern=BATCH_ID_PATTERN,
        max_length=MAX_BATCH_ID_LENGTH,
        description=(
            "A client-made id of this append, as logBatch's batch_id: applied at most once "
            "(a repeat answers 204 and stores nothing); an id used for another run is a 409."
        ),
    )

    @model_validator(mode="after")
    def _within_limits(self) -> SeriesAppendIn:
        total = sum(len(points.steps) for points in self.series)
        if total > MAX_SERIES_APPEND_POINTS:
            raise ValueError(
                f"an append holds at most {MAX_SERIES_APPEND_POINTS} points in all; "
                f"this one has {total}"
            )
        if len({points.key for points in self.series}) != len(self.series):
            raise ValueError("each series key may appear once")
        return self


class SeriesListQuery(QueryIn, title="SeriesListQuery"):
    kind: SeriesKind
    prefix: str | None = Field(
        None, max_length=MAX_KEY_LENGTH, description="Only series whose key starts with this."
    )
    max_results: int = Field(
        MAX_SERIES_PAGE, ge=1, le=MAX_SERIES_PAGE, description="At most this many per page."
    )
    page_token: PageToken | None = Field(None, description="The next_page_token of the last page.")


class SeriesInfoOut(WireOut, title="SeriesInfoOut"):
    key: str
    count: int = Field(ge=0, description="How many points the series holds.")
    min_step: int | None
    max_step: int | None


class SeriesListOut(WireOut, title="SeriesListOut"):
    """A run's series of one kind, in the order they were first appended to."""

    series: list[SeriesInfoOut]
    next_page_token: str | None = Field(
        None, description="Pass as page_token to get the next series; null on the last page."
    )

    @classmethod
    def from_entity(cls, page: SeriesPage) -> SeriesListOut:
        return cls(
            series=[
                SeriesInfoOut(key=s.key, count=s.count, min_step=s.min_step, max_step=s.max_step)
                for s in page.series
            ],
            next_page_token=page.next_page_token,
        )

    def to_entity(self) -> SeriesPage:
        infos = [SeriesInfo(s.key, s.count, s.min_step, s.max_step) for s in self.series]
        return SeriesPage(infos, self.next_page_token)


class SeriesPointsQuery(MetricHistoryQuery, title="SeriesPointsQuery"):
    """A metric history's query (key, max_points, max_results, page_token, steps), of a kind."""

    kind: SeriesKind


class SeriesPointsOut(MetricHistoryOut, title="SeriesPointsOut"):
    """The points of one series, as a metric's history."""


class SeriesReadIn(WireIn, title="SeriesReadIn"):
    """Several series of one run and kind, each downsampled to at most max_points."""

    kind: SeriesKind
    keys: list[SeriesKey] = Field(min_length=1, max_length=MAX_SERIES_READ_KEYS)
    max_points: int = Field(
        ge=2,
        le=MAX_HISTORY_POINTS,
        description=(
            "At most this many points per series, each bucket's first, min, max and last. "
            f"keys x max_points is at most {MAX_HISTORY_POINTS}."
        ),
    )
    min_step: Int64 | None = Field(None, description="Only points with a step at least this.")
    max_step: Int64 | None = Field(None, description="Only points with a step at most this.")

    @model_validator(mode="after")
    def _within_limits(self) -> SeriesReadIn:
        if len(self.keys) * self.max_points > MAX_HISTORY_POINTS:
            raise ValueError(f"keys x max_points must be at most {MAX_HISTORY_POINTS}")
        low, high = self.min_step, self.max_step
        if low is not None and high is not None and low > high:
            raise ValueError("min_step must not be above max_step")
        return self


class SeriesReadOut(WireOut, title="SeriesReadOut"):
    series: list[SeriesPointsOut] = Field(description="In the order of the keys asked for.")

    @classmethod
    def from_entities(cls, found: dict[str, MetricHistory]) -> SeriesReadOut:
        points = [SeriesPointsOut.from_entity(history) for history in found.values()]
        return cls.model_construct(series=cast("list[SeriesPointsOut]", points))

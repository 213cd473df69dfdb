"""Plain domain objects of experiment tracking: what stores return and clients hand out."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from enum import Enum


class RunStatus(str, Enum):
    RUNNING = "RUNNING"
    FINISHED = "FINISHED"
    FAILED = "FAILED"
    KILLED = "KILLED"

    @property
    def is_terminal(self) -> bool:
        return self is not RunStatus.RUNNING


@dataclass(frozen=True, slots=True)
class Experiment:
    id: int
    name: str
    description: str
    tags: dict[str, str]
    archived: bool
    created_at: int
    updated_at: int
    run_count: int = 0
    last_run_at: int | None = None


@dataclass(frozen=True, slots=True)
class MetricPoint:
    """One logged value. `value` may be NaN or ±Inf; timestamps are epoch milliseconds."""

    key: str
    value: float
    step: int
    timestamp: int


@dataclass(frozen=True, slots=True)
class MetricSummary:
    """What a runs table shows of a metric without reading its history."""

    key: str
    last: float
    last_step: int
    last_timestamp: int
    min: float
    max: float
    count: int


@dataclass(frozen=True, slots=True)
class RunRecord:
    """A run as stored: attributes, params, tags and the summary of each metric."""

    id: str
    experiment_id: int
    name: str
    status: RunStatus
    start_time: int
    end_time: int | None
    parent_run_id: str | None
    source: str | None
    artifact_uri: str
    params: dict[str, str] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    metrics: dict[str, MetricSummary] = field(default_factory=dict)

    @property
    def duration_ms(self) -> int | None:
        return None if self.end_time is None else self.end_time - self.start_time


@dataclass(frozen=True, slots=True)
class RunTreeInfo:
    """A run's place in a tree search: the children shown when it expands (those that match
    the filter or lead to a run that does), and whether the run itself matches."""

    child_count: int
    matched: bool


@dataclass(frozen=True, slots=True)
class RunPage:
    runs: list[RunRecord]
    next_page_token: str | None
    total: int | None = None  # every matching run, when the search asked for it
    tree: dict[str, RunTreeInfo] | None = None  # by run id, in tree searches


@dataclass(frozen=True, slots=True)
class ExperimentPage:
    experiments: list[Experiment]
    next_page_token: str | None


class RunList(list[RunRecord]):
    """What `Client.search_runs` returns: a list of runs that knows where the next page starts."""

    def __init__(self, runs: list[RunRecord], next_page_token: str | None = None) -> None:
        super().__init__(runs)
        self.next_page_token = next_page_token


@dataclass(frozen=True, slots=True)
class MetricHistory:
    """A metric's points, possibly downsampled; `total` counts the stored points."""

    key: str
    steps: list[int]
    timestamps: list[int]
    values: list[float]
    total: int
    downsampled: bool
    # Over REST a full history comes in pages; the remote client follows them.
    next_page_token: str | None = None


@dataclass(frozen=True, slots=True)
class SeriesInfo:
    """One series of a run (of a kind other than its metrics): its key, how many points it
    holds and their step range (None while it is empty)."""

    key: str
    count: int
    min_step: int | None
    max_step: int | None


@dataclass(frozen=True, slots=True)
class SeriesPage:
    """One page of a run's series of a kind, in the order they were first appended to."""

    series: list[SeriesInfo]
    next_page_token: str | None = None


@dataclass(frozen=True, slots=True)
class ArtifactInfo:
    path: str
    is_dir: bool
    size: int | None


def float_or_nan(value: float | None) -> float:
    """Stores keep NaN as NULL (SQLite cannot hold NaN); this turns it back."""
    return math.nan if value is None else value

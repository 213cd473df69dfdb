"""Wire models of experiment tracking: what the REST API reads and writes, and converters
to and from the domain entities.

Field types and their limits are in `wire_types`.
"""

from __future__ import annotations

from pydantic import (
    Field,
    model_validator,
)

from studio.tracking.entities import (
    ArtifactInfo,
    Experiment,
    ExperimentPage,
    MetricHistory,
    MetricSummary,
    RunRecord,
    RunStatus,
)
from studio.tracking.validation import (
    BATCH_ID_PATTERN,
    INT64_MAX,
    MAX_ARTIFACT_PATH_LENGTH,
    MAX_BATCH_ID_LENGTH,
    MAX_EXPERIMENT_PAGE,
    MAX_HISTORY_POINTS,
    MAX_KEY_LENGTH,
    MAX_NAME_LENGTH,
)
from studio.tracking.wire_types import (
    ExperimentId,
    FloatIn,
    FloatOut,
    Int64,
    Name,
    PageToken,
    RunId,
    RunTime,
    ScalarIn,
    Timestamp,
)
from studio.wire import QueryIn, WireIn, WireOut

# Experiments ---------------------------------------------------------------------------------


class ExperimentOut(WireOut, title="ExperimentOut"):
    id: ExperimentId
    name: str
    description: str
    tags: dict[str, str]
    archived: bool
    created_at: Timestamp
    updated_at: Timestamp
    run_count: int = Field(0, ge=0)
    last_run_at: Timestamp | None = None

    @classmethod
    def from_entity(cls, experiment: Experiment) -> ExperimentOut:
        return cls(
            id=experiment.id,
            name=experiment.name,
            description=experiment.description,
            tags=experiment.tags,
            archived=experiment.archived,
            created_at=experiment.created_at,
            updated_at=experiment.updated_at,
            run_count=experiment.run_count,
            last_run_at=experiment.last_run_at,
        )

    def to_entity(self) -> Experiment:
        return Experiment(**self.model_dump())


class ExperimentListOut(WireOut, title="ExperimentListOut"):
    experiments: list[ExperimentOut]

    next_page_token: str | None = Field(
        None, description="Pass as page_token to get the next page; null on the last page."
    )

    @classmethod
    def from_entity(cls, page: ExperimentPage) -> ExperimentListOut:
        return cls(
            experiments=[ExperimentOut.from_entity(e) for e in page.experiments],
            next_page_token=page.next_page_token,
        )


class ExperimentListQuery(QueryIn, title="ExperimentListQuery"):
    include_archived: bool = Field(False, description="Also list archived experiments.")
    name: str | None = Field(
        None,
        max_length=MAX_NAME_LENGTH,
        description="Only experiments whose name contains this text (any case).",
    )
    max_results: int = Field(
        MAX_EXPERIMENT_PAGE,
        ge=1,
        le=MAX_EXPERIMENT_PAGE,
        description="At most this many experiments per page.",
    )
    page_token: str | None = Field(None, description="The next_page_token of the previous page.")


class ExperimentCreateIn(WireIn, title="ExperimentCreateIn"):
    name: Name
    description: str = ""
    tags: dict[str, str] = Field(default_factory=dict)


class ExperimentUpdateIn(WireIn, title="ExperimentUpdateIn"):
    """Fields left out are kept; given tags are merged into the existing ones."""

    name: Name | None = None
    description: str | None = None
    tags: dict[str, str] | None = None
    archived: bool | None = None


# Runs ----------------------------------------------------------------------------------------


class MetricSummaryOut(WireOut, title="MetricSummaryOut"):
    key: str
    last: FloatOut
    last_step: int
    last_timestamp: Timestamp
    min: FloatOut
    max: FloatOut
    count: int = Field(ge=0)

    @classmethod
    def from_entity(cls, summary: MetricSummary) -> MetricSummaryOut:
        return cls(
            key=summary.key,
            last=summary.last,
            last_step=summary.last_step,
            last_timestamp=summary.last_timestamp,
            min=summary.min,
            max=summary.max,
            count=summary.count,
        )

    def to_entity(self) -> MetricSummary:
        return MetricSummary(**self.model_dump())


class RunOut(WireOut, title="RunOut"):
    id: str
    experiment_id: ExperimentId
    name: str
    status: RunStatus
    start_time: Timestamp
    end_time: Timestamp | None
    duration_ms: int | None = Field(
        ge=0, le=INT64_MAX, description="end_time - start_time; null while the run is active."
    )
    parent_run_id: str | None
    source: str | None
    artifact_uri: str
    params: dict[str, str]
    tags: dict[str, str]
    metrics: dict[str, MetricSummaryOut]

    @classmethod
    def from_entity(cls, run: RunRecord) -> RunOut:
        return cls(
            id=run.id,
            experiment_id=run.experiment_id,
            name=run.name,
            status=run.status,
            start_time=run.start_time,
            end_time=run.end_time,
            duration_ms=_duration(run),
            parent_run_id=run.parent_run_id,
            source=run.source,
            artifact_uri=run.artifact_uri,
            params=run.params,
            tags=run.tags,
            metrics={key: MetricSummaryOut.from_entity(m) for key, m in run.metrics.items()},
        )

    def to_entity(self) -> RunRecord:
        return RunRecord(
            id=self.id,
            experiment_id=self.experiment_id,
            name=self.name,
            status=self.status,
            start_time=self.start_time,
            end_time=self.end_time,
            parent_run_id=self.parent_run_id,
            source=self.source,
            artifact_uri=self.artifact_uri,
            params=dict(self.params),
            tags=dict(self.tags),
            metrics={key: m.to_entity() for key, m in self.metrics.items()},
        )


def _duration(run: RunRecord) -> int | None:
    # Rows written before end_time < start_time was refused may hold it: such a run lasted
    # nothing, not a negative (or, past 64 bits, wrapped-around) time.
    duration = run.duration_ms
    return None if duration is None else min(max(duration, 0), INT64_MAX)


class MetricIn(WireIn, title="MetricIn"):
    key: str
    value: FloatIn
    step: Int64 = 0
    timestamp: Timestamp | None = Field(None, description="Defaults to the time of the request.")


def metric_tuples(metrics: list[MetricIn], now: int) -> list[tuple[str, float, int, int]]:
    """Metric points as the tracking service takes them."""
    return [(m.key, m.value, m.step, now if m.timestamp is None else m.timestamp) for m in metrics]


class RunCreateIn(WireIn, title="RunCreateIn"):
    """A new run, in `experiment_id` or in the experiment named `experiment_name` (created if
    it does not exist; the "Default" experiment when neither is given)."""

    experiment_id: ExperimentId | None = None
    experiment_name: Name | None = None
    name: Name | None = None
    run_id: RunId | None = Field(None, description="Choose the run's id; generated if left out.")
    parent_run_id: str | None = None
    source: str | None = Field(None, description="The notebook or script that made the run.")
    params: dict[str, ScalarIn] = Field(default_factory=dict)
    tags: dict[str, ScalarIn] = Field(default_factory=dict)
    metrics: list[MetricIn] = Field(default_factory=list)
    status: RunStatus = RunStatus.RUNNING
    start_time: RunTime | None = Field(None, description="Epoch milliseconds; defaults to now.")
    end_time: RunTime | None = Field(
        None, description="Epoch milliseconds, not before start_time (now, if that is left out)."
    )

    @model_validator(mode="after")
    def _one_experiment(self) -> RunCreateIn:
        if self.experiment_id is not None and self.experiment_name is not None:
            raise ValueError("give experiment_id or experiment_name, not both")
        return self

    @model_validator(mode="after")
    def _ends_after_start(self) -> RunCreateIn:
        if (
            self.start_time is not None
            and self.end_time is not None
            and self.end_time < self.start_time
        ):
            raise ValueError(
                f"end_time ({self.end_time}) must not be before start_time ({self.start_time})"
            )
        return self


class RunUpdateIn(WireIn, title="RunUpdateIn"):
    """Fields left out are kept. A terminal status sets end_time (now, unless given)."""

    status: RunStatus | None = None
    name: Name | None = None
    end_time: RunTime | None = Field(None, description="Epoch milliseconds, not before start.")


class BatchIn(WireIn, title="BatchIn"):
    """Params, tags and metric points of one run, stored all together or not at all."""

    metrics: list[MetricIn] = Field(default_factory=list)
    params: dict[str, ScalarIn] = Field(default_factory=dict)
    tags: dict[str, ScalarIn] = Field(default_factory=dict)
    batch_id: str | None = Field(
        None,
        pattern=BATCH_ID_PATTERN,
        max_length=MAX_BATCH_ID_LENGTH,
        description=(
            "A client-made id of this batch (a uuid4's hex, say). A retry re-sends the same id: "
            "the server applies an id at most once, answering a repeat with 204 and storing "
            "nothing, and remembers ids for two days. An id already used for another run is "
            "a conflict (409)."
        ),
    )


class MetricHistoryQuery(QueryIn, title="MetricHistoryQuery"):
    key: str = Field(
        min_length=1,
        max_length=MAX_KEY_LENGTH,
        description="The metric's key (it may contain '/').",
    )
    max_points: int | None = Field(
        None,
        ge=2,
        le=MAX_HISTORY_POINTS,
        description="Downsample to about this many points, keeping each bucket's min and max.",
    )
    max_results: int = Field(
        MAX_HISTORY_POINTS,
        ge=1,
        le=MAX_HISTORY_POINTS,
        description="Without max_points: at most this many points per page.",
    )
    page_token: PageToken | None = Field(
        None, description="The next_page_token of the previous page (without max_points)."
    )
    min_step: Int64 | None = Field(None, description="Only points with a step at least this.")
    max_step: Int64 | None = Field(None, description="Only points with a step at most this.")

    @model_validator(mode="after")
    def _pages_or_downsampling(self) -> MetricHistoryQuery:
        if self.max_points is not None and self.page_token is not None:
            raise ValueError("a downsampled history is one answer: give no page_token with it")
        low, high = self.min_step, self.max_step
        if low is not None and high is not None and low > high:
            raise ValueError("min_step must not be above max_step")
        return self


class MetricHistoryOut(WireOut, title="MetricHistoryOut"):
    key: str
    steps: list[int]
    timestamps: list[int]
    values: list[FloatOut]
    total: int = Field(ge=0, description="How many points are stored.")
    downsampled: bool
    next_page_token: str | None = Field(
        None, description="Pass as page_token to get the next points; null on the last page."
    )

    @classmethod
    def from_entity(cls, history: MetricHistory) -> MetricHistoryOut:
        # Built without validation: a full history can hold 100,000 points that the store
        # has already typed.
        return cls.model_construct(
            key=history.key,
            steps=history.steps,
            timestamps=history.timestamps,
            values=history.values,
            total=history.total,
            downsampled=history.downsampled,
            next_page_token=history.next_page_token,
        )

    def to_entity(self) -> MetricHistory:
        return MetricHistory(
            key=self.key,
            steps=self.steps,
            timestamps=self.timestamps,
            values=self.values,
            total=self.total,
            downsampled=self.downsampled,
            next_page_token=self.next_page_token,
        )


# Artifacts -----------------------------------------------------------------------------------


class ArtifactQuery(QueryIn, title="ArtifactQuery"):
    path: str = Field(
        "",
        max_length=MAX_ARTIFACT_PATH_LENGTH,
        description="A path relative to the run's artifact folder.",
    )


class ArtifactOut(WireOut, title="ArtifactOut"):
    path: str
    is_dir: bool
    size: int | None = Field(ge=0, description="In bytes; null for a folder.")

    @classmethod
    def from_entity(cls, info: ArtifactInfo) -> ArtifactOut:
        return cls(path=info.path, is_dir=info.is_dir, size=info.size)

    def to_entity(self) -> ArtifactInfo:
        return ArtifactInfo(path=self.path, is_dir=self.is_dir, size=self.size)


class ArtifactListOut(WireOut, title="ArtifactListOut"):
    path: str
    artifacts: list[ArtifactOut]

    @classmethod
    def from_entities(cls, path: str, infos: list[ArtifactInfo]) -> ArtifactListOut:
        return cls(path=path, artifacts=[ArtifactOut.from_entity(i) for i in infos])

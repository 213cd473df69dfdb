"""Wire models of the debugger's REST API: a run's tensors, their statistics (downsampled as
metrics are), histograms over steps, findings, rule states, and recent alerts across runs.
Every limit is declared, so that the OpenAPI document tells clients.

A finding's `values` and a rule's `parameters` are JSON objects whose numbers may be NaN or
infinite (ExplodingTensor reports exactly those): on the wire these are the strings "NaN",
"Infinity" and "-Infinity" in both directions, as a metric's values are.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated, Any, Literal, cast

from pydantic import BeforeValidator, Field, model_validator

from studio.debugger.entities import Alert, Finding, RuleState, RuleStatus
from studio.debugger.stats import STATS
from studio.tracking.validation import MAX_HISTORY_POINTS, MAX_KEY_LENGTH
from studio.tracking.wire_types import SPECIAL_FLOATS, FloatOut, Timestamp, split_commas
from studio.wire import QueryIn, WireIn, WireOut

if TYPE_CHECKING:
    from studio.debugger.reads import Histograms, TensorCatalog, TensorSeries

MAX_STATS_TENSORS = 100
"""Tensors in one statistics request (each with its statistics, x max_points in all)."""
DEFAULT_STATS_POINTS = 500
MAX_HISTOGRAM_STEPS = 1_000
DEFAULT_HISTOGRAM_STEPS = 200
MAX_FINDINGS_PAGE = 10_000
MAX_FINDINGS_POSTED = 1_000
MAX_FINDING_TENSORS = 1_000
MAX_MESSAGE_LENGTH = 10_000
MAX_OBJECT_ENTRIES = 100
MAX_OBJECT_BYTES = 65_536
"""A finding's values or a rule's parameters, as JSON text."""
MAX_RULES = 100
MAX_ALERTS = 1_000
DEFAULT_ALERTS = 100

Mode = Literal["train", "eval", "predict"]
Stat = Literal["count", "mean", "std", "min", "max", "l1", "l2", "zeros", "nan", "inf"]
TensorName = Annotated[str, Field(min_length=1, max_length=MAX_KEY_LENGTH)]
RuleName = Annotated[str, Field(min_length=1, max_length=MAX_KEY_LENGTH)]
Step = Annotated[int, Field(ge=0, le=2**63 - 1, description="A training step (never negative).")]
FindingId = Annotated[int, Field(ge=0, le=2**63 - 1)]

if tuple(Stat.__args__) != STATS:  # type: ignore[attr-defined]
    raise RuntimeError("The wire's statistics must be STATS, in its order.")


def _special_floats(value: Any) -> Any:
    """The strings "NaN", "Infinity", "-Infinity" back into numbers, at any depth."""
    if isinstance(value, str):
        return SPECIAL_FLOATS.get(value, value)
    if isinstance(value, list):
        return [_special_floats(item) for item in value]
    if isinstance(value, dict):
        return {key: _special_floats(item) for key, item in value.items()}
    return value


def _bounded_object(value: Any) -> Any:
    if isinstance(value, dict):
        size = len(json.dumps(value, allow_nan=True))
        if size > MAX_OBJECT_BYTES:
            raise ValueError(f"at most {MAX_OBJECT_BYTES} bytes of JSON; this is {size}")
        return _special_floats(value)
    return value


JsonObject = Annotated[
    dict[str, Any],
    BeforeValidator(_bounded_object),
    Field(
        max_length=MAX_OBJECT_ENTRIES,
        description=(
            f"A JSON object of at most {MAX_OBJECT_ENTRIES} entries and {MAX_OBJECT_BYTES} "
            'bytes; numbers may be "NaN", "Infinity" or "-Infinity".'
        ),
    ),
]


# A run's tensors ------------------------------------------------------------------------------


class TensorsQuery(QueryIn, title="DebuggerTensorsQuery"):
    mode: Mode | None = Field(None, description="Only this mode's tensors (default: every mode).")


class TensorOut(WireOut, title="DebuggerTensorOut"):
    name: str = Field(description='"<collection>/<framework name>", e.g. "gradients/fc1.weight".')
    mode: Mode
    collection: str
    module: str = Field(description='The module it belongs to ("" for losses and batches).')
    stats: list[Stat] = Field(description="The statistics stored, in their usual order.")
    histogram: bool = Field(description="Whether histograms are stored.")
    vectors: list[str] = Field(description='Its vector summaries, e.g. "active" per unit.')


class ScalarsOut(WireOut, title="DebuggerScalarsOut"):
    mode: Mode
    names: list[str] = Field(description='The step\'s own scalars, e.g. "skipped".')


class TensorsOut(WireOut, title="DebuggerTensorsOut"):
    """A run's watched tensors, by mode, in the order first stored."""

    tensors: list[TensorOut]
    modes: list[Mode]
    scalars: list[ScalarsOut] = Field(description='Per mode, the scalars of tensor "step".')

    @classmethod
    def from_entity(cls, catalog: TensorCatalog) -> TensorsOut:
        return cls.model_validate(
            {
                "tensors": [
                    {
                        "name": t.name,
                        "mode": t.mode,
                        "collection": t.collection,
                        "module": t.module,
                        "stats": t.stats,
                        "histogram": t.histogram,
                        "vectors": t.vectors,
                    }
                    for t in catalog.tensors
                ],
                "modes": catalog.modes,
                "scalars": [{"mode": m, "names": n} for m, n in catalog.scalars.items()],
            }
        )


# Statistics over steps -------------------------------------------------------------------------


class StatsQuery(QueryIn, title="DebuggerStatsQuery"):
    """Statistics of tensors in one mode, each series downsampled to at most max_points."""

    tensor: Annotated[list[TensorName], BeforeValidator(split_commas)] = Field(
        min_length=1,
        max_length=MAX_STATS_TENSORS,
        description=f"Repeatable, or comma-separated: 1 to {MAX_STATS_TENSORS} tensors.",
    )
    stat: Annotated[list[Stat], BeforeValidator(split_commas)] = Field(
        default_factory=lambda: cast("list[Stat]", list(STATS)),
        min_length=1,
        max_length=len(STATS),
        description="Repeatable, or comma-separated (default: all ten).",
    )
    mode: Mode = "train"
    max_points: int = Field(
        DEFAULT_STATS_POINTS,
        ge=2,
        le=MAX_HISTORY_POINTS,
        description=(
            "At most this many points per series, each bucket's first, min, max and last. "
            f"tensors x stats x max_points is at most {MAX_HISTORY_POINTS}."
        ),
    )
    min_step: Step | None = Field(None, description="Only points with a step at least this.")
    max_step: Step | None = Field(None, description="Only points with a step at most this.")

    @model_validator(mode="after")
    def _within_limits(self) -> StatsQuery:
        series = len(set(self.tensor)) * len(set(self.stat))
        if series * self.max_points > MAX_HISTORY_POINTS:
            raise ValueError(
                f"tensors x stats x max_points must be at most {MAX_HISTORY_POINTS} "
                f"(here {series} series x {self.max_points})"
            )
        _check_range(self.min_step, self.max_step)
        return self


class TensorSeriesOut(WireOut, title="DebuggerTensorSeriesOut"):
    tensor: str
    mode: Mode
    stat: Stat
    steps: list[int]
    timestamps: list[int]
    values: list[FloatOut]
    total: int = Field(ge=0, description="How many points are stored in the step range.")
    downsampled: bool


class StatsOut(WireOut, title="DebuggerStatsOut"):
    series: list[TensorSeriesOut] = Field(description="Tensor by tensor, stats as asked.")

    @classmethod
    def from_entities(cls, found: list[TensorSeries]) -> StatsOut:
        # Built without validation, as a metric history is: the store has typed the points.
        series = [
            TensorSeriesOut.model_construct(
                tensor=item.tensor,
                mode=cast("Mode", item.mode),
                stat=cast("Stat", item.stat),
                steps=item.history.steps,
                timestamps=item.history.timestamps,
                values=item.history.values,
                total=item.history.total,
                downsampled=item.history.downsampled,
            )
            for item in found
        ]
        return cls.model_construct(series=series)


# Histograms -----------------------------------------------------------------------------------


class HistogramsQuery(QueryIn, title="DebuggerHistogramsQuery"):
    tensor: TensorName
    mode: Mode = "train"
    max_steps: int = Field(
        DEFAULT_HISTOGRAM_STEPS,
        ge=1,
        le=MAX_HISTOGRAM_STEPS,
        description="At most this many steps, evenly chosen (the first and last kept).",
    )
    min_step: Step | None = None
    max_step: Step | None = None

    @model_validator(mode="after")
    def _ordered(self) -> HistogramsQuery:
        _check_range(self.min_step, self.max_step)
        return self


class HistogramsOut(WireOut, title="DebuggerHistogramsOut"):
    tensor: str
    mode: Mode
    edges: list[float] = Field(description="The bins' fixed edges: bins + 1 ([] if unknown).")
    steps: list[int]
    counts: list[list[float]] = Field(description="Per step, the count of each bin.")
    total_steps: int = Field(ge=0, description="Steps with a histogram in the range.")

    @classmethod
    def from_entity(cls, found: Histograms) -> HistogramsOut:
        return cls.model_construct(
            tensor=found.tensor,
            mode=cast("Mode", found.mode),
            edges=found.edges,
            steps=found.steps,
            counts=found.counts,
            total_steps=found.total_steps,
        )


# Findings -------------------------------------------------------------------------------------


class FindingsQuery(QueryIn, title="DebuggerFindingsQuery"):
    rule: RuleName | None = Field(None, description="Only this rule's findings.")
    after_id: FindingId | None = Field(None, description="Only findings after this one.")
    max_results: int = Field(MAX_FINDINGS_PAGE, ge=1, le=MAX_FINDINGS_PAGE)


class FindingIn(WireIn, title="DebuggerFindingIn"):
    rule: RuleName
    step: Step
    mode: Mode = "train"
    tensors: list[TensorName] = Field(default_factory=list, max_length=MAX_FINDING_TENSORS)
    message: str = Field("", max_length=MAX_MESSAGE_LENGTH)
    values: JsonObject = Field(default_factory=dict)

    def to_entity(self) -> Finding:
        return Finding(
            rule=self.rule,
            step=self.step,
            tensors=tuple(self.tensors),
            message=self.message,
            mode=self.mode,
            values=self.values,
        )


class FindingOut(WireOut, title="DebuggerFindingOut"):
    id: int
    rule: str
    step: int
    mode: Mode
    tensors: list[str]
    message: str
    values: dict[str, Any]
    created_at: Timestamp

    @classmethod
    def fields_of(cls, finding: Finding) -> dict[str, Any]:
        return {
            "id": finding.id,
            "rule": finding.rule,
            "step": finding.step,
            "mode": finding.mode,
            "tensors": list(finding.tensors),
            "message": finding.message,
            "values": dict(finding.values),
            "created_at": finding.created_at,
        }

    @classmethod
    def from_entity(cls, finding: Finding) -> FindingOut:
        return cls.model_construct(**cls.fields_of(finding))

    def to_entity(self) -> Finding:
        return Finding(
            rule=self.rule,
            step=self.step,
            tensors=tuple(self.tensors),
            message=self.message,
            mode=self.mode,
            values=cast("dict[str, Any]", _special_floats(self.values)),
            id=self.id,
            created_at=self.created_at,
        )


class FindingsIn(WireIn, title="DebuggerFindingsIn"):
    """Findings of one run, stored all together or not at all."""

    findings: list[FindingIn] = Field(min_length=1, max_length=MAX_FINDINGS_POSTED)


class FindingsOut(WireOut, title="DebuggerFindingsOut"):
    """In the order recorded; to page, pass the last one's id as after_id."""

    findings: list[FindingOut]

    @classmethod
    def from_entities(cls, found: list[Finding]) -> FindingsOut:
        return cls.model_construct(findings=[FindingOut.from_entity(f) for f in found])


# Rule states ----------------------------------------------------------------------------------


class RuleStateIn(WireIn, title="DebuggerRuleStateIn"):
    rule: RuleName
    status: RuleStatus = RuleStatus.NOT_EVALUATED
    parameters: JsonObject = Field(default_factory=dict)
    last_step: Step | None = None
    findings: int | None = Field(
        None, ge=0, description="Ignored: the store counts a rule's findings itself."
    )
    updated_at: Timestamp | None = Field(None, description="Ignored: the store's time.")

    def to_entity(self) -> RuleState:
        return RuleState(
            rule=self.rule,
            status=self.status,
            parameters=self.parameters,
            last_step=self.last_step,
        )


class RuleStateOut(WireOut, title="DebuggerRuleStateOut"):
    rule: str
    status: RuleStatus
    parameters: dict[str, Any]
    last_step: int | None
    findings: int = Field(ge=0)
    updated_at: Timestamp | None

    def to_entity(self) -> RuleState:
        return RuleState(
            rule=self.rule,
            status=self.status,
            parameters=cast("dict[str, Any]", _special_floats(self.parameters)),
            last_step=self.last_step,
            findings=self.findings,
            updated_at=self.updated_at,
        )


class RulesIn(WireIn, title="DebuggerRulesIn"):
    """Rules' states to create or replace, by rule name, each rule once."""

    rules: list[RuleStateIn] = Field(max_length=MAX_RULES)

    @model_validator(mode="after")
    def _each_once(self) -> RulesIn:
        if len({state.rule for state in self.rules}) != len(self.rules):
            raise ValueError("give each rule's state once")
        return self


class RulesOut(WireOut, title="DebuggerRulesOut"):
    rules: list[RuleStateOut] = Field(description="By rule name.")

    @classmethod
    def from_entities(cls, states: list[RuleState]) -> RulesOut:
        return cls.model_construct(
            rules=[
                RuleStateOut.model_construct(
                    rule=s.rule,
                    status=RuleStatus(s.status),
                    parameters=dict(s.parameters),
                    last_step=s.last_step,
                    findings=s.findings,
                    updated_at=s.updated_at,
                )
                for s in states
            ]
        )


# Alerts across runs ---------------------------------------------------------------------------


class AlertsQuery(QueryIn, title="DebuggerAlertsQuery"):
    after_id: FindingId | None = Field(
        None, description="Only findings after this one (the last_id of the previous poll)."
    )
    max_results: int = Field(DEFAULT_ALERTS, ge=1, le=MAX_ALERTS)


class AlertOut(FindingOut, title="DebuggerAlertOut"):
    run_id: str
    run_name: str
    experiment_id: int


class AlertsOut(WireOut, title="DebuggerAlertsOut"):
    """Every run's newest findings, newest first."""

    alerts: list[AlertOut]
    last_id: int | None = Field(
        description="The newest finding's id (else the after_id given): the next after_id."
    )

    @classmethod
    def from_entities(cls, found: list[Alert], after_id: int | None) -> AlertsOut:
        alerts = [
            AlertOut.model_construct(
                **FindingOut.fields_of(alert.finding),
                run_id=alert.run_id,
                run_name=alert.run_name,
                experiment_id=alert.experiment_id,
            )
            for alert in found
        ]
        last_id = alerts[0].id if alerts else after_id
        return cls.model_construct(alerts=alerts, last_id=last_id)


def _check_range(low: int | None, high: int | None) -> None:
    if low is not None and high is not None and low > high:
        raise ValueError("min_step must not be above max_step")

"""The debugger's findings and rule states in the Studio store.

One managed session per public method (STYLE.md rule 5). The run's tensor statistics are
not kept here but as series of the run (`studio.debugger.service`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import delete, select

from studio.debugger.entities import MODES, Alert, Finding, RuleState, RuleStatus
from studio.debugger.orm import SqlFinding, SqlRuleState
from studio.errors import InvalidInput, NotFound
from studio.tracking.orm import SqlRun
from studio.tracking.store import now_ms
from studio.tracking.validation import INT64_MAX, INT64_MIN, validate_key

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from studio.db.engine import Database

__all__ = ["DebuggerStore", "delete_run_rows", "plain_json", "recent_findings"]


class DebuggerStore:
    """Findings and rule states of runs, over one database."""

    def __init__(self, database: Database) -> None:
        self.db = database

    def record_findings(self, run_id: str, findings: Sequence[Finding]) -> list[Finding]:
        """Store findings of a run, all or none, and count them on their rules' states (a
        rule without a state yet gets one, firing). Returns them with their ids and times."""
        checked = [_check_finding(finding) for finding in findings]
        now = now_ms()
        with self.db.session(write=True) as session:
            _check_run(session, run_id, lock=True)
            rows = [
                SqlFinding(
                    run_id=run_id,
                    rule=finding.rule,
                    step=finding.step,
                    mode=finding.mode,
                    tensors=list(finding.tensors),
                    values=_dumps(finding.values, "values"),
                    message=finding.message,
                    created_at=now,
                )
                for finding in checked
            ]
            session.add_all(rows)
            session.flush()
            for rule, found in _by_rule(checked).items():
                state = session.get(SqlRuleState, (run_id, rule), with_for_update=True)
                last = max(finding.step for finding in found)
                if state is None:
                    session.add(
                        SqlRuleState(
                            run_id=run_id,
                            rule=rule,
                            parameters="{}",
                            status=RuleStatus.FIRING.value,
                            last_step=last,
                            findings=len(found),
                            updated_at=now,
                        )
                    )
                else:
                    state.findings += len(found)
                    state.updated_at = now
            return [_finding(row) for row in rows]

    def list_findings(
        self,
        run_id: str,
        rule: str | None = None,
        *,
        after_id: int | None = None,
        max_results: int | None = None,
    ) -> list[Finding]:
        """A run's findings (of one rule), in the order recorded: those after the finding
        `after_id`, at most `max_results` (a page; the last one's id asks for the next)."""
        with self.db.session() as session:
            _check_run(session, run_id)
            query = select(SqlFinding).where(SqlFinding.run_id == run_id)
            if rule is not None:
                query = query.where(SqlFinding.rule == rule)
            if after_id is not None:
                query = query.where(SqlFinding.id > after_id)
            query = query.order_by(SqlFinding.id).limit(max_results)
            return [_finding(row) for row in session.scalars(query)]

    def save_rule_states(self, run_id: str, states: Sequence[RuleState]) -> None:
        """Create or replace rules' states on a run, by rule name. The findings count is the
        store's (`record_findings` keeps it): a new state starts at 0, an old one keeps its."""
        checked = [_check_state(state) for state in states]
        if len({state.rule for state in checked}) != len(checked):
            raise InvalidInput("Give each rule's state once.")
        now = now_ms()
        with self.db.session(write=True) as session:
            _check_run(session, run_id, lock=True)
            for state in checked:
                row = session.get(SqlRuleState, (run_id, state.rule), with_for_update=True)
                if row is None:
                    row = SqlRuleState(run_id=run_id, rule=state.rule, findings=0)
                    session.add(row)
                row.parameters = _dumps(state.parameters, "parameters")
                row.status = RuleStatus(state.status).value
                row.last_step = state.last_step
                row.updated_at = now

    def list_rule_states(self, run_id: str) -> list[RuleState]:
        """A run's rule states, by rule name."""
        with self.db.session() as session:
            _check_run(session, run_id)
            query = select(SqlRuleState).where(SqlRuleState.run_id == run_id)
            rows = session.scalars(query.order_by(SqlRuleState.rule))
            return [
                RuleState(
                    rule=row.rule,
                    status=RuleStatus(row.status),
                    parameters=json.loads(row.parameters),
                    last_step=row.last_step,
                    findings=row.findings,
                    updated_at=row.updated_at,
                )
                for row in rows
            ]


def delete_run_rows(session: Session, run_ids: Any) -> None:
    """The feature's runs-deleted hook: the findings and rule states of these runs (a list of
    ids or a subquery), in the deleting transaction. Explicit deletes, not the foreign keys'
    cascade alone, which SQLite applies only with its foreign_keys pragma on."""
    for table in (SqlFinding, SqlRuleState):
        session.execute(delete(table).where(table.run_id.in_(run_ids)))


def check_mode(mode: Any) -> str:
    if mode not in MODES:
        raise InvalidInput(f"Invalid mode {mode!r}: one of {', '.join(MODES)}.")
    return str(mode)


def check_step(step: Any) -> int:
    if isinstance(step, bool) or not hasattr(step, "__index__"):
        raise InvalidInput(f"A step must be an integer, not {type(step).__name__} ({step!r}).")
    value = int(step)
    if not INT64_MIN <= value <= INT64_MAX:
        raise InvalidInput(f"The step {value} does not fit in 64 bits.")
    return value


def _check_finding(finding: Finding) -> Finding:
    validate_key(finding.rule, "rule")
    check_step(finding.step)
    check_mode(finding.mode)
    if isinstance(finding.tensors, str) or not all(isinstance(t, str) for t in finding.tensors):
        raise InvalidInput(f"A finding's tensors are a list of names, not {finding.tensors!r}.")
    if not isinstance(finding.message, str):
        raise InvalidInput("A finding's message is text.")
    return finding


def _check_state(state: RuleState) -> RuleState:
    validate_key(state.rule, "rule")
    if state.last_step is not None:
        check_step(state.last_step)
    try:
        RuleStatus(state.status)
    except ValueError:
        raise InvalidInput(f"Invalid rule status {state.status!r}.") from None
    return state


def _by_rule(findings: Iterable[Finding]) -> dict[str, list[Finding]]:
    grouped: dict[str, list[Finding]] = {}
    for finding in findings:
        grouped.setdefault(finding.rule, []).append(finding)
    return grouped


def _dumps(value: Mapping[str, Any], what: str) -> str:
    """JSON text keeping NaN and the infinities (see `studio.debugger.orm`)."""
    if not isinstance(value, Mapping):
        raise InvalidInput(f"A finding's or rule's {what} are a mapping, not {value!r}.")
    try:
        return json.dumps(dict(value), allow_nan=True, default=_plain)
    except (TypeError, ValueError) as exc:
        raise InvalidInput(f"The {what} must be JSON-like: {exc}") from exc


def _plain(value: Any) -> Any:
    # numpy scalars and arrays, which rules hand over as they compute them.
    if hasattr(value, "tolist"):
        return value.tolist()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def _finding(row: SqlFinding) -> Finding:
    return Finding(
        rule=row.rule,
        step=row.step,
        tensors=tuple(row.tensors),
        message=row.message,
        mode=row.mode,
        values=json.loads(row.values),
        id=row.id,
        created_at=row.created_at,
    )


def _check_run(session: Session, run_id: str, *, lock: bool = False) -> None:
    query = select(SqlRun.id).where(SqlRun.id == run_id)
    if lock:
        # As tracking's writers do: a run deleted meanwhile waits for this commit, so that
        # its findings go with it rather than outliving it.
        query = query.with_for_update(read=True, key_share=True)
    if session.execute(query).scalar_one_or_none() is None:
        raise NotFound(f"No run has id {run_id!r}.")


def recent_findings(
    database: Database, after_id: int | None = None, max_results: int = 100
) -> list[Alert]:
    """The newest findings of every run, newest first, with their runs' names and
    experiments: at most `max_results`, only those after the finding `after_id` if given
    (what a poller saw last). Read by the findings' primary key, newest down."""
    query = (
        select(SqlFinding, SqlRun.name, SqlRun.experiment_id)
        .join(SqlRun, SqlRun.id == SqlFinding.run_id)
        .order_by(SqlFinding.id.desc())
        .limit(max_results)
    )
    if after_id is not None:
        query = query.where(SqlFinding.id > after_id)
    with database.session() as session:
        return [
            Alert(_finding(row), row.run_id, name, experiment_id)
            for row, name, experiment_id in session.execute(query)
        ]


def plain_json(value: Mapping[str, Any]) -> dict[str, Any]:
    """A finding's values or a rule's parameters as plain JSON-like Python (numpy scalars and
    arrays as numbers and lists; NaN and the infinities kept), as the store would keep them."""
    return cast("dict[str, Any]", json.loads(_dumps(value, "values")))


def replace_rule_results(
    store: DebuggerStore,
    run_id: str,
    rules: Sequence[str],
    findings: Sequence[Finding],
    states: Sequence[RuleState],
) -> list[Finding]:
    """Replace the findings and states of the rules named `rules` on a run by these (the
    rules run again, `studio.debugger.evaluate`), in one transaction; other rules' stay.
    Each state counts its rule's new findings. Returns the findings with ids and times."""
    checked = [_check_finding(finding) for finding in findings]
    checked_states = [_check_state(state) for state in states]
    names = set(rules)
    if not {item.rule for item in checked} | {item.rule for item in checked_states} <= names:
        raise InvalidInput("Findings and states must be those of the rules replaced.")
    now = now_ms()
    with store.db.session(write=True) as session:
        _check_run(session, run_id, lock=True)
        for table in (SqlFinding, SqlRuleState):
            session.execute(
                delete(table).where(table.run_id == run_id, table.rule.in_(sorted(names)))
            )
        rows = [
            SqlFinding(
                run_id=run_id,
                rule=finding.rule,
                step=finding.step,
                mode=finding.mode,
                tensors=list(finding.tensors),
                values=_dumps(finding.values, "values"),
                message=finding.message,
                created_at=now,
            )
            for finding in checked
        ]
        session.add_all(rows)
        counts = {rule: len(found) for rule, found in _by_rule(checked).items()}
        session.add_all(
            SqlRuleState(
                run_id=run_id,
                rule=state.rule,
                parameters=_dumps(state.parameters, "parameters"),
                status=RuleStatus(state.status).value,
                last_step=state.last_step,
                findings=counts.get(state.rule, 0),
                updated_at=now,
            )
            for state in checked_states
        )
        session.flush()
        return [_finding(row) for row in rows]

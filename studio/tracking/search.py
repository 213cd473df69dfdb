"""The run filter language and run ordering, parsed into SQLAlchemy expressions.

    metrics.accuracy > 0.9 and params.max_depth = '3' and status = 'FINISHED' and tags.team = 'a'

Comparisons join with `and` / `or`, group with parentheses and negate with `not`. Metric
comparisons use the metric's last value. Values are always bound parameters: no SQL is ever
built from the user's text.

A filter is parsed into a small tree of plain objects first, and refused past any limit of
`validation.py` (comparisons, subqueries, values, nesting, number literals, key lengths) before
any SQL is built from it: otherwise the database picks the failure, and SQLite 3.40.1 picks
parser-stack overflows, oversized expression trees, or a segfault on a 62-table join.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import BigInteger, and_, exists, func, not_, or_, select, type_coerce
from sqlalchemy.orm import aliased

from studio.errors import InvalidInput
from studio.tracking.orm import SqlMetricSummary, SqlParam, SqlRun, SqlTag
from studio.tracking.validation import (
    INT64_MAX,
    INT64_MIN,
    MAX_FILTER_KEY_TERMS,
    MAX_FILTER_LENGTH,
    MAX_FILTER_NESTING,
    MAX_FILTER_TERMS,
    MAX_FILTER_VALUES,
    MAX_KEY_LENGTH,
    MAX_NUMBER_LENGTH,
    MAX_ORDER_CLAUSES,
)

if TYPE_CHECKING:
    from sqlalchemy.sql.elements import ColumnElement
    from sqlalchemy.sql.selectable import Select

_TOKEN = re.compile(
    r"""
    (?P<space>\s+)
  | (?P<number>[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?(?![\w.]))
  | (?P<string>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")
  | (?P<backtick>`[^`]*`)
  | (?P<op><=|>=|!=|<>|==|=|<|>)
  | (?P<paren>[(),])
  | (?P<word>[A-Za-z_][\w\-./:]*)
    """,
    re.VERBOSE,
)

ENTITY_PREFIXES = {
    "metric": "metrics",
    "metrics": "metrics",
    "param": "params",
    "params": "params",
    "tag": "tags",
    "tags": "tags",
    "attribute": "attributes",
    "attributes": "attributes",
    "attr": "attributes",
    "run": "attributes",
}
ATTRIBUTES: dict[str, Any] = {
    "id": SqlRun.id,
    "run_id": SqlRun.id,
    "name": SqlRun.name,
    "run_name": SqlRun.name,
    "status": SqlRun.status,
    "start_time": SqlRun.start_time,
    "end_time": SqlRun.end_time,
    "parent_run_id": SqlRun.parent_run_id,
    # A BIGINT bind: PostgreSQL refuses a 64-bit value bound as the column's INTEGER.
    "experiment_id": type_coerce(SqlRun.experiment_id, BigInteger),
    "source": SqlRun.source,
    "duration": SqlRun.end_time - SqlRun.start_time,
}
NUMERIC_ATTRIBUTES = {"start_time", "end_time", "experiment_id", "duration"}
COMPARATORS = {"=", "==", "!=", "<>", "<", "<=", ">", ">="}
KEYWORDS = {"and", "or", "not", "in", "like", "ilike", "is", "null"}


@dataclass(frozen=True)
class Token:
    kind: str
    text: str
    position: int

    @property
    def word(self) -> str:
        return self.text.lower() if self.kind == "word" else ""


@dataclass(frozen=True)
class Identifier:
    entity: str  # metrics, params, tags or attributes
    key: str

    def __str__(self) -> str:
        return f"{self.entity}.{self.key}"


def tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    position = 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None:
            raise InvalidInput(
                f"Invalid filter: unexpected character {text[position]!r} at position {position}."
            )
        kind = match.lastgroup or ""
        if kind != "space":
            tokens.append(Token(kind, match.group(), position))
        position = match.end()
    return tokens


@dataclass(frozen=True)
class Comparison:
    identifier: Identifier
    op: str
    value: Any  # a number, a string, a list of them, or None for `is [not] null`


@dataclass(frozen=True)
class Combination:
    operator: str  # "and" or "or"
    terms: tuple[Node, ...]


@dataclass(frozen=True)
class Negation:
    term: Node


# A parsed filter: plain Python, checked against every limit before any SQL is built from it.
Node = Comparison | Combination | Negation


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = tokenize(text)
        self.index = 0
        self.depth = 0
        self.terms = 0
        self.key_terms = 0
        self.values = 0

    def parse(self) -> Node:
        if not self.tokens:
            raise InvalidInput("Invalid filter: it is empty.")
        expression = self._or()
        if self.index < len(self.tokens):
            token = self.tokens[self.index]
            raise self._error(f"unexpected {token.text!r}", token)
        return expression

    # Grammar, loosest binding first.
    def _or(self) -> Node:
        terms = [self._and()]
        while self._accept_word("or"):
            terms.append(self._and())
        return terms[0] if len(terms) == 1 else Combination("or", tuple(terms))

    def _and(self) -> Node:
        terms = [self._unary()]
        while self._accept_word("and"):
            terms.append(self._unary())
        return terms[0] if len(terms) == 1 else Combination("and", tuple(terms))

    def _unary(self) -> Node:
        if self._accept_word("not"):
            return Negation(self._nested(self._unary))
        if self._accept("paren", "("):
            inner = self._nested(self._or)
            self._expect("paren", ")")
            return inner
        return self._comparison()

    def _nested(self, parse: Callable[[], Node]) -> Node:
        # Also keeps a hostile filter from exhausting Python's stack.
        self.depth += 1
        if self.depth > MAX_FILTER_NESTING:
            raise InvalidInput(
                f"Invalid filter: parentheses and 'not' may be nested at most "
                f"{MAX_FILTER_NESTING} deep."
            )
        try:
            return parse()
        finally:
            self.depth -= 1

    def _comparison(self) -> Node:
        identifier = self._identifier()
        token = self._next("a comparison operator after " + str(identifier))
        word = token.word
        if token.kind == "op":
            comparison = Comparison(identifier, token.text, self._value())
        elif word in {"like", "ilike"}:
            comparison = Comparison(identifier, word, self._value())
        elif word == "in":
            comparison = Comparison(identifier, "in", self._value_list())
        elif word == "not" and self._accept_word("in"):
            comparison = Comparison(identifier, "not in", self._value_list())
        elif word == "is":
            negate = self._accept_word("not")
            self._expect_word("null")
            comparison = Comparison(identifier, "is not null" if negate else "is null", None)
        else:
            raise self._error(f"expected a comparison operator after {identifier}", token)
        self._count(comparison)
        return comparison

    def _count(self, comparison: Comparison) -> None:
        self.terms += 1
        if comparison.identifier.entity != "attributes":
            self.key_terms += 1
        for count, limit, what in (
            (self.terms, MAX_FILTER_TERMS, "comparisons"),
            (self.key_terms, MAX_FILTER_KEY_TERMS, "comparisons on metrics, params or tags"),
        ):
            if count > limit:
                raise InvalidInput(f"Invalid filter: it may hold at most {limit} {what}.")

    def _identifier(self) -> Identifier:
        token = self._next("a metric, param, tag or attribute name")
        if token.kind == "backtick":
            return _attribute(token.text[1:-1], token, self)
        if token.kind != "word" or token.word in KEYWORDS:
            raise self._error("expected a name such as metrics.accuracy or status", token)
        prefix, dot, key = token.text.partition(".")
        entity = ENTITY_PREFIXES.get(prefix.lower()) if dot else None
        if entity is None:
            return _attribute(token.text, token, self)
        if not key:
            # metrics.`name with spaces`
            quoted = self._next(f"a key after {prefix}.")
            if quoted.kind not in {"backtick", "string"}:
                raise self._error(f"expected a key after {prefix}.", quoted)
            key = quoted.text[1:-1]
        if entity == "attributes":
            return _attribute(key, token, self)
        if len(key) > MAX_KEY_LENGTH:
            raise self._error(f"a key is at most {MAX_KEY_LENGTH} characters long", token)
        return Identifier(entity, key)

    def _value(self) -> str | float:
        token = self._next("a value")
        self.values += 1
        if self.values > MAX_FILTER_VALUES:
            raise self._error(f"a filter may hold at most {MAX_FILTER_VALUES} values", token)
        if token.kind == "number":
            return _number(token, self)
        if token.kind == "string":
            return _unquote(token.text)
        raise self._error("expected a number or a quoted string", token)

    def _value_list(self) -> list[str | float]:
        self._expect("paren", "(")
        values = [self._value()]
        while self._accept("paren", ","):
            values.append(self._value())
        self._expect("paren", ")")
        return values

    # Token helpers.
    def _next(self, expected: str) -> Token:
        if self.index >= len(self.tokens):
            raise InvalidInput(f"Invalid filter: expected {expected} at the end of {self.text!r}.")
        token = self.tokens[self.index]
        self.index += 1
        return token

    def _accept(self, kind: str, text: str) -> bool:
        if self.index < len(self.tokens):
            token = self.tokens[self.index]
            if token.kind == kind and token.text == text:
                self.index += 1
                return True
        return False

    def _accept_word(self, word: str) -> bool:
        if self.index < len(self.tokens) and self.tokens[self.index].word == word:
            self.index += 1
            return True
        return False

    def _expect(self, kind: str, text: str) -> None:
        if not self._accept(kind, text):
            token = self.tokens[self.index] if self.index < len(self.tokens) else None
            raise self._error(f"expected {text!r}", token)

    def _expect_word(self, word: str) -> None:
        if not self._accept_word(word):
            token = self.tokens[self.index] if self.index < len(self.tokens) else None
            raise self._error(f"expected {word!r}", token)

    def _error(self, problem: str, token: Token | None) -> InvalidInput:
        where = f"at position {token.position} ({token.text!r})" if token else "at the end"
        text = self.text if len(self.text) <= 200 else self.text[:200] + "..."
        return InvalidInput(f"Invalid filter: {problem} {where} in {text!r}.")


def _attribute(name: str, token: Token, parser: _Parser) -> Identifier:
    if name.lower() not in ATTRIBUTES:
        known = ", ".join(sorted(ATTRIBUTES))
        raise parser._error(
            f"unknown name {name!r}; use metrics.<key>, params.<key>, tags.<key> or one of {known}",
            token,
        )
    return Identifier("attributes", name.lower())


def _number(token: Token, parser: _Parser) -> float:
    # Checked before int(): Python refuses to convert more than 4,300 digits, and SQL
    # integers are 64-bit.
    if len(token.text) > MAX_NUMBER_LENGTH:
        short = Token(token.kind, token.text[:20] + "...", token.position)
        raise parser._error(f"a number is at most {MAX_NUMBER_LENGTH} characters long", short)
    if re.search(r"[.eE]", token.text):
        return float(token.text)
    number = int(token.text)
    if not INT64_MIN <= number <= INT64_MAX:
        raise parser._error(
            f"an integer must fit in 64 bits (from {INT64_MIN} to {INT64_MAX})", token
        )
    return number


def _unquote(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text[1:-1])


def compare(identifier: Identifier, op: str, value: Any) -> ColumnElement[bool]:
    """One comparison, as an SQL expression over `runs`."""
    op = {"==": "=", "<>": "!="}.get(op, op)
    if identifier.entity == "metrics":
        return _metric_comparison(identifier, op, value)
    if identifier.entity in {"params", "tags"}:
        table = SqlParam if identifier.entity == "params" else SqlTag
        if op == "is null":
            return ~_has_key(table, identifier.key)
        if op == "is not null":
            return _has_key(table, identifier.key)
        _require_text(identifier, op, value)
        condition = _apply(table.value, op, value)
        return exists(
            select(1).where(table.run_id == SqlRun.id, table.key == identifier.key, condition)
        )
    column = ATTRIBUTES[identifier.key]
    if op in {"is null", "is not null"}:
        return column.is_(None) if op == "is null" else column.is_not(None)  # type: ignore[no-any-return]
    numeric = identifier.key in NUMERIC_ATTRIBUTES
    values = value if isinstance(value, list) else [value]
    for item in values:
        if numeric != isinstance(item, int | float):
            kind = "a number" if numeric else "a quoted string"
            raise InvalidInput(f"Invalid filter: {identifier.key} must be compared with {kind}.")
    if identifier.key == "status":
        value = [str(v).upper() for v in value] if isinstance(value, list) else str(value).upper()
    return _apply(column, op, value)


def _metric_comparison(identifier: Identifier, op: str, value: Any) -> ColumnElement[bool]:
    if op == "is null":
        return ~_has_key(SqlMetricSummary, identifier.key)
    if op == "is not null":
        return _has_key(SqlMetricSummary, identifier.key)
    values = value if isinstance(value, list) else [value]
    if op in {"like", "ilike"} or not all(isinstance(v, int | float) for v in values):
        raise InvalidInput(
            f"Invalid filter: {identifier} is a metric; compare it with a number using "
            "=, !=, <, <=, >, >= or in."
        )
    condition = _apply(SqlMetricSummary.last_value, op, value)
    return exists(
        select(1).where(
            SqlMetricSummary.run_id == SqlRun.id,
            SqlMetricSummary.key == identifier.key,
            condition,
        )
    )


def _has_key(table: Any, key: str) -> ColumnElement[bool]:
    return exists(select(1).where(table.run_id == SqlRun.id, table.key == key))


def _require_text(identifier: Identifier, op: str, value: Any) -> None:
    values = value if isinstance(value, list) else [value]
    if not all(isinstance(v, str) for v in values):
        raise InvalidInput(
            f"Invalid filter: {identifier} holds text; compare it with a quoted string, "
            f"for example {identifier} = '3'."
        )
    if op in {"<", "<=", ">", ">="}:
        raise InvalidInput(
            f"Invalid filter: {identifier} holds text; use =, !=, like, ilike or in."
        )


def _apply(column: Any, op: str, value: Any) -> ColumnElement[bool]:
    if op == "=":
        return column == value  # type: ignore[no-any-return]
    if op == "!=":
        return column != value  # type: ignore[no-any-return]
    if op == "<":
        return column < value  # type: ignore[no-any-return]
    if op == "<=":
        return column <= value  # type: ignore[no-any-return]
    if op == ">":
        return column > value  # type: ignore[no-any-return]
    if op == ">=":
        return column >= value  # type: ignore[no-any-return]
    if op == "like":
        return column.like(value)  # type: ignore[no-any-return]
    if op == "ilike":
        return func.lower(column).like(func.lower(value))
    if op == "in":
        return column.in_(value)  # type: ignore[no-any-return]
    if op == "not in":
        return column.not_in(value)  # type: ignore[no-any-return]
    raise InvalidInput(f"Invalid filter: unknown operator {op!r}.")


def parse_filter(text: str | None) -> ColumnElement[bool] | None:
    """The filter as an SQL condition on runs, or None for an empty filter."""
    if text is None or not text.strip():
        return None
    if len(text) > MAX_FILTER_LENGTH:
        raise InvalidInput(
            f"Invalid filter: it is {len(text)} characters long; the limit is {MAX_FILTER_LENGTH}."
        )
    return _to_sql(_Parser(text).parse())


def _to_sql(node: Node) -> ColumnElement[bool]:
    if isinstance(node, Comparison):
        return compare(node.identifier, node.op, node.value)
    if isinstance(node, Negation):
        return not_(_to_sql(node.term))
    terms = [_to_sql(term) for term in node.terms]
    return and_(*terms) if node.operator == "and" else or_(*terms)


_ORDER = re.compile(r"^\s*(?P<name>.+?)(?:\s+(?P<direction>asc|desc))?\s*$", re.IGNORECASE)


def check_order_by(order_by: Sequence[str] | None) -> None:
    """Refuse more order clauses than the limit: each may join a table."""
    if order_by is not None and len(order_by) > MAX_ORDER_CLAUSES:
        raise InvalidInput(
            f"Invalid order_by: at most {MAX_ORDER_CLAUSES} order clauses are allowed; "
            f"{len(order_by)} were given."
        )


def parse_order_clause(clause: str | None) -> tuple[Identifier, bool]:
    """What one `name [asc|desc]` clause orders by, and whether it descends."""
    match = _ORDER.match(clause or "")
    if match is None or not match.group("name"):
        raise InvalidInput(f"Invalid order_by {clause!r}: expected 'name [asc|desc]'.")
    parser = _Parser(match.group("name"))
    identifier = parser._identifier()
    if parser.index != len(parser.tokens):
        raise InvalidInput(f"Invalid order_by {clause!r}: expected 'name [asc|desc]'.")
    return identifier, (match.group("direction") or "asc").lower() == "desc"


def apply_order(query: Select[Any], order_by: list[str] | None) -> Select[Any]:
    """Order by metrics' last values, params, tags or attributes; newest first by default.

    Runs without the ordered value come last in either direction, and the run id breaks ties
    so that pages never overlap.
    """
    check_order_by(order_by)
    for number, clause in enumerate(order_by or []):
        identifier, descending = parse_order_clause(clause)
        if identifier.entity == "attributes":
            column: Any = ATTRIBUTES[identifier.key]
        else:
            table: Any = {"metrics": SqlMetricSummary, "params": SqlParam, "tags": SqlTag}[
                identifier.entity
            ]
            alias = aliased(table, name=f"order_{number}")
            query = query.outerjoin(
                alias, and_(alias.run_id == SqlRun.id, alias.key == identifier.key)
            )
            column = alias.last_value if identifier.entity == "metrics" else alias.value
        query = query.order_by((column.desc() if descending else column.asc()).nulls_last())
    return query.order_by(SqlRun.start_time.desc(), SqlRun.id)

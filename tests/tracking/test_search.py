"""The filter language's parser: tokens, grammar, quoting and its error messages.

What a filter selects is tested on real databases in test_store.py; here each filter is
compiled to SQL, and two filters are the same when they compile to the same statement.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.dialects import sqlite

from studio.errors import InvalidInput
from studio.tracking.orm import SqlRun
from studio.tracking.search import apply_order, parse_filter, tokenize
from studio.tracking.validation import MAX_FILTER_NESTING


def sql(text: str) -> str:
    """The statement that selects runs matching `text`, values inlined for comparison."""
    condition = parse_filter(text)
    assert condition is not None
    statement = select(SqlRun.id).where(condition)
    return str(statement.compile(dialect=sqlite.dialect(), compile_kwargs={"literal_binds": True}))


def kinds(text: str) -> list[tuple[str, str]]:
    return [(token.kind, token.text) for token in tokenize(text)]


# Tokens -----------------------------------------------------------------------------------


def test_tokens_of_a_typical_filter() -> None:
    assert kinds("metrics.acc>=0.9 and (tags.`my tag` != 'x')") == [
        ("word", "metrics.acc"),
        ("op", ">="),
        ("number", "0.9"),
        ("word", "and"),
        ("paren", "("),
        ("word", "tags."),
        ("backtick", "`my tag`"),
        ("op", "!="),
        ("string", "'x'"),
        ("paren", ")"),
    ]


def test_token_positions_point_into_the_text() -> None:
    text = "  status   =  'FINISHED'"
    assert [(token.text, token.position) for token in tokenize(text)] == [
        ("status", 2),
        ("=", 11),
        ("'FINISHED'", 14),
    ]


@pytest.mark.parametrize("number", ["1", "-2", "+3", "1.5", ".5", "1e3", "2.5E-2", "10."])
def test_numbers(number: str) -> None:
    assert kinds(f"start_time > {number}") == [
        ("word", "start_time"),
        ("op", ">"),
        ("number", number),
    ]


@pytest.mark.parametrize(
    "string", ["'plain'", '"double"', r"'it\'s'", "''", "'with \"other\" quotes'"]
)
def test_strings(string: str) -> None:
    assert kinds(f"name = {string}")[-1] == ("string", string)


@pytest.mark.parametrize(
    ("text", "character", "position"),
    [
        ("status = 'x' ; drop table runs", ";", 13),
        ("name = 'unterminated", "'", 7),
        ("metrics.acc # 3", "#", 12),
        ("status = 'FINISHED' && name = 'a'", "&", 20),
        ("metrics.acc > 1.2.3", "1", 14),
        ("tags.`open = 'x'", "`", 5),
    ],
)
def test_tokenizer_errors_name_the_character_and_position(
    text: str, character: str, position: int
) -> None:
    with pytest.raises(InvalidInput) as raised:
        tokenize(text)
    assert raised.value.message == (
        f"Invalid filter: unexpected character {character!r} at position {position}."
    )
    with pytest.raises(InvalidInput, match=f"at position {position}"):
        parse_filter(text)


# Grammar ----------------------------------------------------------------------------------


@pytest.mark.parametrize("text", [None, "", "   ", "\n\t"])
def test_an_empty_filter_selects_everything(text: str | None) -> None:
    assert parse_filter(text) is None


def test_and_binds_tighter_than_or() -> None:
    a, b, c = "status = 'A'", "status = 'B'", "status = 'C'"
    assert sql(f"{a} or {b} and {c}") == sql(f"{a} or ({b} and {c})")
    assert sql(f"{a} or {b} and {c}") != sql(f"({a} or {b}) and {c}")
    assert sql(f"{a} and {b} or {c}") == sql(f"({a} and {b}) or {c}")
    assert sql(f"{a} and {b} or {c}") != sql(f"{a} and ({b} or {c})")


def test_not_binds_tightest() -> None:
    a, b = "status = 'A'", "name = 'b'"
    assert sql(f"not {a} and {b}") == sql(f"(not {a}) and {b}")
    assert sql(f"not {a} and {b}") != sql(f"not ({a} and {b})")
    assert sql(f"not not {a}") == sql(f"not (not {a})")


def test_chains_and_redundant_parentheses() -> None:
    a, b, c = "status = 'A'", "status = 'B'", "status = 'C'"
    assert sql(f"(({a}))") == sql(a)
    assert sql(f"{a} and {b} and {c}") == sql(f"({a} and {b}) and {c}")
    assert sql(f"{a} or {b} or {c}") == sql(f"{a} or ({b} or {c})")


def test_keywords_are_case_insensitive() -> None:
    lower = sql(
        "status in ('A') and not name like 'x%' or tags.t is not null "
        "or params.p not in ('1') and name ilike 'Y%'"
    )
    upper = sql(
        "STATUS IN ('A') AND NOT NAME LIKE 'x%' OR TAGS.t IS NOT NULL "
        "Or PARAMS.p Not In ('1') aNd Name ILike 'Y%'"
    )
    assert lower == upper
    assert sql("Metrics.acc > 1") == sql("metrics.acc > 1")
    assert sql("RUN.Start_Time > 1") == sql("start_time > 1")


def test_keys_and_values_keep_their_case() -> None:
    assert "'Acc'" in sql("metrics.Acc > 1")
    assert sql("metrics.Acc > 1") != sql("metrics.acc > 1")
    assert "'Blue'" in sql("tags.colour = 'Blue'")


def test_entity_prefixes_and_their_aliases() -> None:
    assert sql("metric.acc > 1") == sql("metrics.acc > 1")
    assert sql("param.p = '1'") == sql("params.p = '1'")
    assert sql("tag.t = '1'") == sql("tags.t = '1'")
    for alias in ("attribute", "attributes", "attr", "run"):
        assert sql(f"{alias}.status = 'A'") == sql("status = 'A'")
    assert sql("run_name = 'a'") == sql("name = 'a'")
    assert sql("run_id = 'a'") == sql("id = 'a'")


def test_backticks_quote_keys_with_spaces_and_dots() -> None:
    assert "'val acc'" in sql("metrics.`val acc` > 0.5")
    assert sql('metrics."val acc" > 0.5') == sql("metrics.`val acc` > 0.5")
    assert "'learning rate'" in sql("params.`learning rate` = '0.1'")
    assert "'a.b'" in sql("tags.`a.b` = 'x'")
    # Without backticks, the key is everything after the first dot.
    assert sql("metrics.train.loss < 1") == sql("metrics.`train.loss` < 1")
    # A backticked word alone is an attribute.
    assert sql("`status` = 'A'") == sql("status = 'A'")
    # Keywords are fine as keys.
    assert "'and'" in sql("metrics.`and` > 1")


def test_string_values_unescape() -> None:
    assert "'it''s'" in sql(r"name = 'it\'s'")  # SQL's own escaping of the literal
    assert sql('name = "a"') == sql("name = 'a'")


def test_values_are_bound_parameters_never_sql() -> None:
    condition = parse_filter(r"name = 'x\' or 1=1 --' and params.p in ('1; drop table runs')")
    assert condition is not None
    compiled = select(SqlRun.id).where(condition).compile(dialect=sqlite.dialect())
    assert "1=1" not in str(compiled)
    assert "drop" not in str(compiled)
    assert "x' or 1=1 --" in compiled.params.values()


def test_numbers_keep_their_type() -> None:
    assert "1000.0" in sql("start_time > 1e3")
    assert "> 1000" in sql("start_time > 1000")
    assert "-0.5" in sql("metrics.loss > -0.5")


@pytest.mark.parametrize(
    ("text", "fragments"),
    [
        ("status =", ["expected a value at the end of 'status ='"]),
        ("status = 'A' or", ["expected a metric, param, tag or attribute name at the end"]),
        (
            "status = 'A' or or",
            ["expected a name such as metrics.accuracy or status", "position 16"],
        ),
        ("(status = 'A'", ["expected ')' at the end"]),
        ("status = 'A'))", ["unexpected ')' at position 12"]),
        ("() = 1", ["expected a name such as metrics.accuracy or status at position 1"]),
        ("metrics. > 1", ["expected a key after metrics.", "position 9"]),
        ("status == == 'A'", ["expected a number or a quoted string at position 10"]),
        ("status in ('A' 'B')", ["expected ')' at position 15"]),
        ("status in ()", ["expected a number or a quoted string at position 11"]),
        ("name is 'x'", ["expected 'null' at position 8"]),
        ("name is not", ["expected 'null' at the end"]),
        (
            "name not like 'x'",
            ["expected a comparison operator after attributes.name", "position 5"],
        ),
        ("shoe_size > 40", ["unknown name 'shoe_size'", "at position 0", "metrics.<key>"]),
        ("attributes.shoe_size > 40", ["unknown name 'shoe_size'"]),
        ("`shoe size` > 40", ["unknown name 'shoe size'"]),
        ("metrics.acc > 'high'", ["metrics.acc is a metric; compare it with a number"]),
        ("metrics.acc in (1, 'x')", ["metrics.acc is a metric"]),
        ("params.p = 1", ["params.p holds text; compare it with a quoted string"]),
        ("tags.t < 'b'", ["tags.t holds text; use =, !=, like, ilike or in"]),
        ("end_time = 'yesterday'", ["end_time must be compared with a number"]),
        ("status = 2", ["status must be compared with a quoted string"]),
    ],
)
def test_parse_errors_explain_what_and_where(text: str, fragments: list[str]) -> None:
    with pytest.raises(InvalidInput) as raised:
        parse_filter(text)
    message = raised.value.message
    assert message.startswith("Invalid filter: ")
    for fragment in fragments:
        assert fragment in message, message


@pytest.mark.parametrize(
    "text", ["(" * 1000 + "status = 'A'" + ")" * 1000, "not " * 2000 + "status = 'A'"]
)
def test_absurd_nesting_is_invalid_input(text: str) -> None:
    with pytest.raises(InvalidInput):
        parse_filter(text)


def test_reasonable_nesting_parses() -> None:
    deepest = MAX_FILTER_NESTING
    assert sql("(" * deepest + "status = 'A'" + ")" * deepest) == sql("status = 'A'")
    with pytest.raises(InvalidInput, match=f"nested at most {MAX_FILTER_NESTING} deep"):
        parse_filter("(" * (deepest + 1) + "status = 'A'" + ")" * (deepest + 1))


# Ordering ---------------------------------------------------------------------------------


def order_sql(order_by: list[str]) -> str:
    statement = apply_order(select(SqlRun.id), order_by)
    return str(statement.compile(dialect=sqlite.dialect(), compile_kwargs={"literal_binds": True}))


def test_order_always_ends_with_a_unique_tie_breaker() -> None:
    assert order_sql([]).endswith("ORDER BY runs.start_time DESC, runs.id")
    assert order_sql(["metrics.acc desc"]).endswith("runs.start_time DESC, runs.id")


def test_order_keywords_and_quoting() -> None:
    assert order_sql(["metrics.acc DESC"]) == order_sql(["metrics.acc desc"])
    assert order_sql(["metrics.acc"]) == order_sql(["metrics.acc asc"])
    assert order_sql(["Metrics.`val acc` Desc"]) == order_sql(["metrics.`val acc` desc"])
    assert "NULLS LAST" in order_sql(["metrics.acc desc"])
    assert "NULLS LAST" in order_sql(["params.p asc"])


@pytest.mark.parametrize(
    "clause", ["", "   ", "bogus", "metrics.acc upward", "metrics.acc desc asc", "status = 'A'"]
)
def test_bad_order_clauses(clause: str) -> None:
    with pytest.raises(InvalidInput, match=r"order_by|Invalid filter"):
        apply_order(select(SqlRun.id), [clause])

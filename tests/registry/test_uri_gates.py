"""Model URIs, alias and model names, and the gate syntax (no store)."""

from __future__ import annotations

import pytest

from studio.errors import InvalidInput
from studio.registry.gates import Condition, check_gates, parse_condition, parse_gate
from studio.registry.uri import (
    ModelRef,
    parse_model_uri,
    parse_run_uri,
    validate_alias,
    validate_model_name,
)


def test_model_uris_name_a_version_an_alias_or_the_latest() -> None:
    assert parse_model_uri("models:/iris/3") == ModelRef("iris", version=3)
    assert parse_model_uri("models:/iris@champion") == ModelRef("iris", alias="champion")
    assert parse_model_uri("models:/iris/latest") == ModelRef("iris")
    assert parse_model_uri("models:/iris/LATEST") == ModelRef("iris")
    assert str(ModelRef("iris", alias="b")) == "models:/iris@b"
    for wrong in (
        "models:/iris",
        "models:/iris/0",
        "models:/iris/Production",
        "models:/iris/1/extra",
        "models:/@x",
        "models:/iris@",
        "runs:/abc/model",
        "models:/iris@latest",
    ):
        with pytest.raises(InvalidInput):
            parse_model_uri(wrong)


def test_run_uris_default_to_the_model_folder() -> None:
    assert parse_run_uri("runs:/abc123/model") == ("abc123", "model")
    assert parse_run_uri("runs:/abc123/nested/clf/") == ("abc123", "nested/clf")
    assert parse_run_uri("runs:/abc123") == ("abc123", "model")
    with pytest.raises(InvalidInput, match="runs:/"):
        parse_run_uri("runs:/../x")


def test_alias_and_model_names_follow_mlflow() -> None:
    assert validate_alias("champion-2_b") == "champion-2_b"
    for reserved in ("latest", "Latest", "v3", "V12"):
        with pytest.raises(InvalidInput, match="reserved"):
            validate_alias(reserved)
    with pytest.raises(InvalidInput, match="alphanumerics"):
        validate_alias("a b")
    for wrong in ("a/b", "a:b", "a@b", " "):
        with pytest.raises(InvalidInput):
            validate_model_name(wrong)


def test_conditions_parse_and_name_the_text_they_refuse() -> None:
    assert parse_condition(">= 0.9") == Condition(">=", 0.9)
    assert parse_condition("<0.3") == Condition("<", 0.3)
    assert str(parse_condition("==  1")) == "== 1"
    assert parse_gate("accuracy >= 0.9") == ("accuracy", Condition(">=", 0.9))
    for wrong in ("0.9", "=> 0.9", ">= nan", ">= x", ">= 1 2", ""):
        with pytest.raises(InvalidInput, match="condition"):
            parse_condition(wrong)


def test_gates_pass_or_fail_with_a_message() -> None:
    results = check_gates(
        {"accuracy": ">= 0.9", "loss": "< 0.3", "f1": "> 0.5"}, {"accuracy": 0.85, "loss": 0.2}
    )
    assert [result.passed for result in results] == [False, True, False]
    assert results[0].message == "accuracy >= 0.9: 0.85 fails"
    assert results[1].message == "loss < 0.3: 0.2 passes"
    assert "logged no 'f1'" in results[2].message
    assert check_gates({"accuracy": ">= 0.9"}, {"accuracy": float("nan")})[0].passed is False

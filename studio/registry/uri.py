"""Model URIs and the names inside them, as MLflow writes them.

`models:/<name>/<version>`, `models:/<name>@<alias>` and `models:/<name>/latest` name a
registered version; `runs:/<run id>/<path>` names a model folder among a run's artifacts.
Model names hold no `/`, `:` or `@`, so a URI always splits one way. Aliases follow MLflow:
letters, digits, `_` and `-`, case-sensitive; `latest` (any case) and `v<digits>` are reserved
because they would read as a version.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from studio.errors import InvalidInput
from studio.tracking.validation import MAX_NAME_LENGTH, validate_name, validate_run_id

__all__ = [
    "DEFAULT_MODEL_PATH",
    "MAX_ALIAS_LENGTH",
    "MODELS_SCHEME",
    "RUNS_SCHEME",
    "ModelRef",
    "is_model_uri",
    "parse_model_uri",
    "parse_run_uri",
    "validate_alias",
    "validate_model_name",
]

MODELS_SCHEME = "models:/"
RUNS_SCHEME = "runs:/"
DEFAULT_MODEL_PATH = "model"
"""The artifact path `Run.log_model` and autolog save under, taken when a source names none."""
MAX_ALIAS_LENGTH = 255
_ALIAS = re.compile(r"^[\w\-]+$")
_VERSION_ALIAS = re.compile(r"^[vV]\d+$")
_FORBIDDEN_IN_NAME = ("/", ":", "@")


@dataclass(frozen=True)
class ModelRef:
    """What a models:/ URI names: a version number, an alias, or (neither) the latest."""

    name: str
    version: int | None = None
    alias: str | None = None

    def __str__(self) -> str:
        if self.alias is not None:
            return f"{MODELS_SCHEME}{self.name}@{self.alias}"
        return f"{MODELS_SCHEME}{self.name}/{self.version if self.version else 'latest'}"


def validate_model_name(name: object) -> str:
    """A registered model's name: not empty, at most 250 characters, no `/`, `:` or `@`."""
    checked = validate_name(name, "model")
    if any(character in checked for character in _FORBIDDEN_IN_NAME):
        raise InvalidInput(
            f"Invalid model name {checked!r}: names cannot contain '/', ':' or '@' "
            "(they separate the parts of a models:/ URI)."
        )
    return checked


def validate_alias(alias: object) -> str:
    """An alias name as MLflow allows it; `latest` and `v3`-like names are reserved."""
    if not isinstance(alias, str) or not alias:
        raise InvalidInput(f"An alias must be a non-empty string, not {alias!r}.")
    if len(alias) > MAX_ALIAS_LENGTH:
        raise InvalidInput(f"An alias is limited to {MAX_ALIAS_LENGTH} characters.")
    if not _ALIAS.match(alias):
        raise InvalidInput(
            f"Invalid alias name {alias!r}: names may only contain alphanumerics, "
            "underscores (_) and dashes (-)."
        )
    if alias.lower() == "latest":
        raise InvalidInput("The alias name 'latest' (in any case) is reserved.")
    if _VERSION_ALIAS.match(alias):
        raise InvalidInput(f"The alias name {alias!r} is reserved: it reads as a version.")
    return alias


def is_model_uri(text: str) -> bool:
    return text.startswith(MODELS_SCHEME)


def parse_model_uri(uri: str) -> ModelRef:
    """`models:/n/3`, `models:/n@alias` or `models:/n/latest`; InvalidInput for anything else."""
    if not isinstance(uri, str) or not uri.startswith(MODELS_SCHEME):
        raise InvalidInput(f"Not a models:/ URI: {uri!r}.")
    rest = uri[len(MODELS_SCHEME) :]
    wrong = InvalidInput(
        f"Not a proper models:/ URI: {uri!r}. Model URIs are 'models:/<name>/<version>', "
        "'models:/<name>/latest' or 'models:/<name>@<alias>'."
    )
    if "/" not in rest and "@" in rest:
        name, alias = rest.rsplit("@", 1)
        return ModelRef(_name_in(name, wrong), alias=_alias_in(alias, wrong))
    parts = rest.split("/")
    if len(parts) != 2:
        raise wrong
    name, suffix = parts
    if suffix.lower() == "latest":
        return ModelRef(_name_in(name, wrong))
    if not (suffix.isascii() and suffix.isdigit()) or int(suffix) < 1:
        raise wrong
    return ModelRef(_name_in(name, wrong), version=int(suffix))


def parse_run_uri(uri: str) -> tuple[str, str]:
    """`runs:/<run id>/<path>` -> (run id, path); the path defaults to "model"."""
    if not isinstance(uri, str) or not uri.startswith(RUNS_SCHEME):
        raise InvalidInput(f"Not a runs:/ URI: {uri!r}.")
    run_id, _, path = uri[len(RUNS_SCHEME) :].partition("/")
    try:
        checked = validate_run_id(run_id)
    except InvalidInput as exc:
        raise InvalidInput(
            f"Not a proper runs:/ URI: {uri!r} (use 'runs:/<run id>/<artifact path>'): "
            f"{exc.message}"
        ) from exc
    return checked, path.strip("/") or DEFAULT_MODEL_PATH


def _name_in(name: str, wrong: InvalidInput) -> str:
    if not name or len(name) > MAX_NAME_LENGTH:
        raise wrong
    return validate_model_name(name)


def _alias_in(alias: str, wrong: InvalidInput) -> str:
    if not alias:
        raise wrong
    return validate_alias(alias)

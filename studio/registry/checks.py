"""The registry's limits on what people write (descriptions, comments, tags, approved type
names, version numbers), checked the same way for the REST API, Python and the command line;
the wire models declare the same limits."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from studio.errors import InvalidInput
from studio.tracking.validation import MAX_KEY_LENGTH

__all__ = [
    "MAX_APPROVED_TYPES",
    "MAX_COMMENT_LENGTH",
    "MAX_DESCRIPTION_LENGTH",
    "MAX_TAGS",
    "MAX_TAG_VALUE_LENGTH",
    "MAX_TYPE_NAME_LENGTH",
    "MAX_VERSION",
    "check_comment",
    "check_description",
    "check_tags",
    "check_type_names",
    "check_version",
]

MAX_DESCRIPTION_LENGTH = 10_000
MAX_COMMENT_LENGTH = 5_000
MAX_TAGS = 100
MAX_TAG_VALUE_LENGTH = 5_000
MAX_APPROVED_TYPES = 200
MAX_TYPE_NAME_LENGTH = 1000
MAX_VERSION = 2**31 - 1


def check_version(version: Any) -> int:
    if isinstance(version, bool) or not isinstance(version, int | str):
        raise InvalidInput(f"A version is a positive number, not {version!r}.")
    text = str(version).strip()
    if not (text.isascii() and text.isdigit()) or int(text) < 1 or int(text) > MAX_VERSION:
        raise InvalidInput(f"A version is a positive number, not {version!r}.")
    return int(text)


def check_description(text: str) -> str:
    if not isinstance(text, str) or len(text) > MAX_DESCRIPTION_LENGTH or "\x00" in text:
        raise InvalidInput(f"A description is text of at most {MAX_DESCRIPTION_LENGTH} characters.")
    return text


def check_comment(text: str) -> str:
    if not isinstance(text, str) or len(text) > MAX_COMMENT_LENGTH or "\x00" in text:
        raise InvalidInput(f"A comment is text of at most {MAX_COMMENT_LENGTH} characters.")
    return text


def check_tags(tags: Mapping[str, str] | None) -> dict[str, str]:
    if tags is None:
        return {}
    if len(tags) > MAX_TAGS:
        raise InvalidInput(f"At most {MAX_TAGS} tags.")
    checked = {}
    for key, value in tags.items():
        if not isinstance(key, str) or not key or len(key) > MAX_KEY_LENGTH or "\x00" in key:
            raise InvalidInput(f"Invalid tag key {key!r}: 1 to {MAX_KEY_LENGTH} characters.")
        if not isinstance(value, str) or len(value) > MAX_TAG_VALUE_LENGTH or "\x00" in value:
            raise InvalidInput(
                f"Invalid value of tag {key!r}: text of at most {MAX_TAG_VALUE_LENGTH} characters."
            )
        checked[key] = value
    return checked


def check_type_names(types: Iterable[str]) -> list[str]:
    if isinstance(types, str):
        types = [types]
    names = list(types)
    if len(names) > MAX_APPROVED_TYPES or not all(
        isinstance(name, str) and 0 < len(name) <= MAX_TYPE_NAME_LENGTH for name in names
    ):
        raise InvalidInput(f"approve_types is a list of at most {MAX_APPROVED_TYPES} type names.")
    return names

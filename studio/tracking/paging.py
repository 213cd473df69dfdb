"""Page tokens: offsets for runs and experiments, and a cursor in the (step, timestamp) order
for a metric's full history.

A history token names where the next page starts rather than how many points came before it, so a
page costs the same wherever it starts and points logged meanwhile at later steps are not
skipped or repeated. Tokens are opaque to clients (base64 JSON) and checked on the way in.
"""

from __future__ import annotations

import base64
import binascii
import json

from studio.errors import InvalidInput
from studio.tracking.validation import INT64_MAX, INT64_MIN, MAX_PAGE_TOKEN_LENGTH

MAX_SKIP = 2**31
MAX_OFFSET = 2**31


def encode_offset_token(offset: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"offset": offset}).encode()).decode()


def decode_offset_token(token: str | None) -> int:
    """How many rows the page skips (0 without a token)."""
    if not token:
        return 0
    if len(token) > MAX_PAGE_TOKEN_LENGTH:
        raise InvalidInput(f"Invalid page_token: it is longer than {MAX_PAGE_TOKEN_LENGTH}.")
    try:
        offset = json.loads(base64.urlsafe_b64decode(token.encode()))["offset"]
    except (ValueError, KeyError, TypeError, binascii.Error) as exc:
        raise InvalidInput(f"Invalid page_token {token!r}.") from exc
    if type(offset) is not int or not 0 <= offset <= MAX_OFFSET:
        raise InvalidInput(f"Invalid page_token {token!r}.")
    return offset


def start_offset(page_token: str | None, offset: int | None) -> int:
    """Where a page of runs starts: after its page_token, or at an offset asked for directly
    (a table that jumps to any row); not both."""
    if offset is None:
        return decode_offset_token(page_token)
    if page_token:
        raise InvalidInput("Give page_token or offset, not both.")
    if not 0 <= offset <= MAX_OFFSET:
        raise InvalidInput(f"offset must be between 0 and {MAX_OFFSET}.")
    return offset


def decode_history_token(token: str | None) -> tuple[int, int, int] | None:
    """(step, timestamp, skip): the page starts at that step and timestamp, past the first
    `skip` points that have both (a step may be logged several times at one timestamp)."""
    if not token:
        return None
    try:
        cursor = json.loads(base64.urlsafe_b64decode(token.encode()))
        found = (cursor["step"], cursor["timestamp"], cursor["skip"])
    except (ValueError, KeyError, TypeError, binascii.Error) as exc:
        raise InvalidInput(f"Invalid page_token {token!r}.") from exc
    if not all(type(part) is int and INT64_MIN <= part <= INT64_MAX for part in found) or not (
        0 <= found[2] <= MAX_SKIP
    ):
        raise InvalidInput(f"Invalid page_token {token!r}.")
    return found


def encode_history_token(step: int, timestamp: int, skip: int) -> str:
    cursor = {"step": step, "timestamp": timestamp, "skip": skip}
    return base64.urlsafe_b64encode(json.dumps(cursor).encode()).decode()

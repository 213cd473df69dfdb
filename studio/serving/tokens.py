"""Invocation credentials: an endpoint's token is kept only as a salted scrypt hash.

A serving worker checks the `Authorization: Bearer` of every request against that hash. scrypt
is slow on purpose (about 30 ms, 16 MiB), so the outcome for a token already checked against
a hash is remembered in the process, keyed by the token's SHA-256: a client sending the same
token again pays a dictionary lookup, and the token itself is never kept.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
import threading
from collections import OrderedDict

from studio.errors import InvalidInput

__all__ = [
    "MAX_TOKEN_LENGTH",
    "MIN_TOKEN_LENGTH",
    "check_token",
    "hash_token",
    "new_proxy_key",
    "verify_token",
]

MIN_TOKEN_LENGTH = 16
MAX_TOKEN_LENGTH = 256
_SCHEME = "scrypt"
_N, _R, _P = 2**14, 8, 1
_SALT_BYTES = 16
_DIGEST_BYTES = 32
_REMEMBERED = 1024
_outcomes: OrderedDict[tuple[bytes, str], bool] = OrderedDict()
_lock = threading.Lock()
# It travels in an HTTP header: visible ASCII, no spaces.
_TOKEN = re.compile(rf"^[\x21-\x7e]{{{MIN_TOKEN_LENGTH},{MAX_TOKEN_LENGTH}}}$")


def check_token(token: str) -> str:
    """`token` if it can be an endpoint's token, else InvalidInput saying why."""
    if not _TOKEN.match(token):
        raise InvalidInput(
            f"An endpoint token must be {MIN_TOKEN_LENGTH} to {MAX_TOKEN_LENGTH} visible ASCII "
            "characters without spaces (it is sent in an HTTP header)."
        )
    return token


def hash_token(token: str) -> str:
    """`scrypt$n$r$p$salt$digest` (base64) of `token`, with a new random salt."""
    salt = secrets.token_bytes(_SALT_BYTES)
    digest = _scrypt(token, salt, _N, _R, _P)
    return "$".join((_SCHEME, str(_N), str(_R), str(_P), _b64(salt), _b64(digest)))


def verify_token(token: str, hashed: str) -> bool:
    """Whether `token` is the one `hashed` was made from (compared in constant time)."""
    return _verified(hashlib.sha256(token.encode("utf-8")).digest(), token, hashed)


def new_proxy_key() -> str:
    """A random key for the Jupyter server's proxy routes (43 URL-safe characters)."""
    return secrets.token_urlsafe(32)


def _verified(token_digest: bytes, token: str, hashed: str) -> bool:
    key = (token_digest, hashed)
    with _lock:
        known = _outcomes.get(key)
    if known is not None:
        return known
    outcome = _check(token, hashed)
    with _lock:
        _outcomes[key] = outcome
        while len(_outcomes) > _REMEMBERED:
            _outcomes.popitem(last=False)
    return outcome


def _check(token: str, hashed: str) -> bool:
    parts = hashed.split("$")
    if len(parts) != 6 or parts[0] != _SCHEME:
        return False
    try:
        n, r, p = (int(part) for part in parts[1:4])
        salt, expected = _unb64(parts[4]), _unb64(parts[5])
        actual = _scrypt(token, salt, n, r, p)
    except (ValueError, MemoryError):
        return False
    return hmac.compare_digest(actual, expected)


def _scrypt(token: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(
        token.encode("utf-8"), salt=salt, n=n, r=r, p=p, maxmem=64 * 2**20, dklen=_DIGEST_BYTES
    )


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))

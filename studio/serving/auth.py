"""Invocation credentials of a serving worker.

An endpoint with a token accepts `Authorization: Bearer <token>`, checked against the salted
scrypt hash the store keeps, or the Jupyter server's proxy key in `X-Studio-Proxy-Key` (the
panel's "try it" box, which never sees the user's token). scrypt costs tens of milliseconds
by design, so it runs off the event loop, and a token that passed once is remembered by its
SHA-256 with the hash it passed against (a new token on the endpoint makes a new hash).
Unknown tokens are checked one at a time per worker, so a flood of wrong ones costs at most
one core's worth of scrypt and queues behind itself, while known tokens skip the queue.

An endpoint without a token is served on loopback only. `studio serve` refuses any other
address at start, but the token can be removed while the process runs: a worker listening
off loopback then answers nobody without the proxy key, rather than everybody.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
from collections.abc import Mapping
from typing import TYPE_CHECKING

from studio.serving.process import PROXY_KEY_HEADER
from studio.serving.scoring import ScoringError
from studio.serving.tokens import MAX_TOKEN_LENGTH, verify_token

if TYPE_CHECKING:
    from studio.serving.entities import EndpointConfig

__all__ = ["Authenticator"]


class Authenticator:
    def __init__(self, extra_token: str | None = None, *, open_to_network: bool = False) -> None:
        """`extra_token`: accepted besides the endpoint's own (`studio serve --token-env`);
        `open_to_network`: the process listens on an address other than loopback."""
        self.extra_token = extra_token
        self.open_to_network = open_to_network
        # (SHA-256 of a token, the hash it passed against): checked without a thread hop.
        self._passed: set[tuple[bytes, str]] = set()
        self._hashing: asyncio.Semaphore | None = None

    def required(self, config: EndpointConfig) -> bool:
        return config.token_hash is not None or bool(self.extra_token) or self.open_to_network

    async def check(self, headers: Mapping[str, str], config: EndpointConfig) -> None:
        if not self.required(config):
            return
        proxy_key = headers.get(PROXY_KEY_HEADER)
        if proxy_key is not None and config.proxy_key:
            if hmac.compare_digest(proxy_key.encode(), config.proxy_key.encode()):
                return
            raise _unauthorized("The proxy key is wrong.")
        if config.token_hash is None and not self.extra_token:
            raise _unauthorized(
                f"Endpoint {config.name!r} has no token any more, and this replica listens "
                "beyond loopback: it answers nobody until the endpoint has a token again."
            )
        scheme, _, token = headers.get("authorization", "").partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token or len(token) > MAX_TOKEN_LENGTH:
            raise _unauthorized(
                f"Endpoint {config.name!r} needs a token: send 'Authorization: Bearer <token>'."
            )
        if self.extra_token and hmac.compare_digest(token.encode(), self.extra_token.encode()):
            return
        if config.token_hash is None:
            raise _unauthorized("The token is wrong.")
        passed = (hashlib.sha256(token.encode()).digest(), config.token_hash)
        if passed in self._passed:
            return
        if self._hashing is None:  # made on the worker's own event loop
            self._hashing = asyncio.Semaphore(1)
        async with self._hashing:
            if passed not in self._passed and not await asyncio.to_thread(
                verify_token, token, config.token_hash
            ):
                raise _unauthorized("The token is wrong.")
        self._passed.add(passed)


def _unauthorized(message: str) -> ScoringError:
    return ScoringError(401, "UNAUTHENTICATED", message)

"""A serving worker's credentials: wrong tokens queue behind each other, known ones do not."""

from __future__ import annotations

import asyncio
import threading
from typing import TYPE_CHECKING

from studio.serving import auth
from studio.serving.entities import EndpointConfig
from studio.serving.scoring import ScoringError
from studio.serving.tokens import hash_token
from tests.databases import sqlite_only

if TYPE_CHECKING:
    import pytest

pytestmark = sqlite_only  # no store

TOKEN = "the-endpoint-token-0123456789"


def test_a_flood_of_wrong_tokens_is_hashed_one_at_a_time(monkeypatch: pytest.MonkeyPatch) -> None:
    config = EndpointConfig(
        endpoint_id=1,
        name="locked",
        config_version=1,
        capture=0.0,
        task=None,
        token_hash=hash_token(TOKEN),
    )
    running, most = 0, 0
    lock = threading.Lock()

    def counted(token: str, hashed: str) -> bool:
        nonlocal running, most
        with lock:
            running += 1
            most = max(most, running)
        try:
            return real(token, hashed)
        finally:
            with lock:
                running -= 1

    real = auth.verify_token
    monkeypatch.setattr(auth, "verify_token", counted)
    checker = auth.Authenticator()

    async def attempt(token: str) -> int:
        try:
            await checker.check({"authorization": f"Bearer {token}"}, config)
        except ScoringError as exc:
            return exc.status
        return 200

    async def flood() -> list[int]:
        wrong = [attempt(f"wrong-token-{i:020d}") for i in range(6)]
        return await asyncio.gather(*wrong, attempt(TOKEN))

    assert asyncio.run(flood()) == [401] * 6 + [200]
    assert most == 1

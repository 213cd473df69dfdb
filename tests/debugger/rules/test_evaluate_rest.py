"""`evaluate` on a Studio server's run, over its REST API (a real jupyter_server on a
loopback port; the blocking client runs in a thread): rules re-run without recording."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

import pytest

from studio.config import TOKEN_ENV
from studio.debugger import evaluate, rules
from studio.errors import InvalidInput
from studio.tracking import backends
from tests.debugger.rules.stored import store_records
from tests.debugger.rules.test_evaluate import _training, strict_and_loose

if TYPE_CHECKING:
    from jupyter_server.serverapp import ServerApp

    from studio.debugger.service import DebuggerService
    from studio.tracking.service import TrackingService

call = asyncio.to_thread


async def test_rules_re_run_over_rest_find_what_they_find_locally(
    jp_serverapp: ServerApp,
    http_server: Any,
    jp_http_port: int,
    jp_base_url: str,
    studio_tracking: TrackingService,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    debugger: DebuggerService = jp_serverapp.web_app.settings["studio_debugger"]
    run_id = studio_tracking.create_run(studio_tracking.create_experiment("e").id, name="r").id
    store_records(debugger, studio_tracking.series, run_id, _training())
    url = f"http://127.0.0.1:{jp_http_port}{jp_base_url}"
    monkeypatch.setenv(TOKEN_ENV, jp_serverapp.identity_provider.token)
    strict = [rule for rule, _ in strict_and_loose()]
    try:
        found = await call(evaluate, run_id, strict, url, record=False)
        assert {f.rule for f in found} == {rule.name for rule in strict}
        with pytest.raises(InvalidInput, match="record=False"):
            await call(evaluate, run_id, [rules.DeadRelu()], url)
    finally:
        opened = backends._connections.pop(url, None)
        if opened is not None:
            opened.writer.close()
    assert debugger.get_findings(run_id) == []

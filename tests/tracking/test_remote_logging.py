"""A notebook that logs to a Studio server over HTTP (`STUDIO_TRACKING_URI=http://...`).

The notebook runs as a separate Python process, as a kernel on another machine would; the
server runs on this test's event loop, so the test waits for the process in a thread.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import textwrap
from typing import TYPE_CHECKING, Any

from studio.tracking.entities import RunStatus

if TYPE_CHECKING:
    from pathlib import Path

    from jupyter_server.serverapp import ServerApp

    from studio.tracking.service import TrackingService

NOTEBOOK = """
    import math, pathlib, sys
    import studio
    from sklearn.linear_model import LogisticRegression
    from sklearn.datasets import load_iris

    X, y = load_iris(return_X_y=True)
    notes = pathlib.Path(sys.argv[1]) / "notes.txt"
    notes.write_text("remote")
    with studio.start_run(experiment="remote", params={"C": 1.0}, tags={"where": "far"}) as run:
        for step in range(25_000):  # more than one REST batch
            run.log_metric("loss", 1.0 / (step + 1))
        run.log_metric("odd", math.nan)
        run.log_artifact(notes)
        run.log_model(LogisticRegression(max_iter=500).fit(X, y))
        try:
            run.log_param("C", 2.0)
        except studio.errors.Conflict as error:
            print("conflict:", error)
    print(run.id)
"""


async def test_a_notebook_logs_through_the_rest_api(
    jp_serverapp: ServerApp,
    http_server: Any,
    jp_http_port: int,
    jp_base_url: str,
    studio_tracking: TrackingService,
    tmp_path: Path,
) -> None:
    env = {
        **os.environ,
        "STUDIO_TRACKING_URI": f"http://127.0.0.1:{jp_http_port}{jp_base_url}",
        "STUDIO_TOKEN": jp_serverapp.identity_provider.token,
        # Nothing local may be touched: the client must not fall back on a store of its own.
        "STUDIO_HOME": str(tmp_path / "must-stay-empty"),
    }
    env.pop("STUDIO_DB_URL", None)
    result = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-c", textwrap.dedent(NOTEBOOK), str(tmp_path)],
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert lines[0].startswith("conflict: Param 'C'")
    run = studio_tracking.get_run(lines[-1])

    assert run.status is RunStatus.FINISHED
    assert run.params == {"C": "1.0"}
    assert run.tags["where"] == "far"
    assert run.metrics["loss"].count == 25_000
    assert run.metrics["loss"].last_step == 24_999
    assert run.metrics["odd"].count == 1
    listing = {info.path for info in studio_tracking.list_artifacts(run.id)}
    assert listing == {"model", "notes.txt"}
    assert not (tmp_path / "must-stay-empty").exists()

"""An endpoint's panel in a real JupyterLab, over a real `studio serve` process: started from
the panel (it says so until the replica answers), "try it" prefilled with the input example
and sent to a chosen variant (the answer names it, with its request id), a weight slider that
changes the split live on the server, labelled traffic that the live charts and the online
evaluation show, and stop."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.browser.page_registry import register_versions
from tests.browser.pages import DARK_THEME, LIGHT_THEME, poll, tid
from tests.browser.test_registry import remove_registry_traces

if TYPE_CHECKING:
    from tests.browser.lab import LabServer
    from tests.browser.pages import StudioPage

MODEL = "ui-iris-ab"
EXPERIMENT = "ui-endpoint"
ENDPOINT = "ui-iris-ab"
ROWS = [[5.1, 3.5, 1.4, 0.2], [6.7, 3.0, 5.2, 2.3], [5.9, 3.0, 4.2, 1.5]]
LABELS = [0, 2, 1]
COLUMNS = ["sepal length (cm)", "sepal width (cm)", "petal length (cm)", "petal width (cm)"]


@pytest.fixture(scope="module")
def endpoint(lab: LabServer, lab_base: Path) -> Iterator[str]:
    """ENDPOINT: variants A (version 1) and B (version 2), 50/50, every request captured."""
    try:
        register_versions(lab_base / "studio-home", MODEL, EXPERIMENT)
        approved = lab.api("POST", f"models/{MODEL}/versions/2/approve", {})
        assert approved[0] == 200, approved
        body = {
            "name": ENDPOINT,
            "variants": [
                {"name": "A", "model_uri": f"models:/{MODEL}/1", "weight": 1},
                {"name": "B", "model_uri": f"models:/{MODEL}/2", "weight": 1},
            ],
            "capture": 1.0,
            "task": "classification",
        }
        created = lab.api("POST", "endpoints", body)
        assert created[0] == 201, created
        yield ENDPOINT
    finally:
        remove_registry_traces(lab, [ENDPOINT], MODEL, EXPERIMENT)


def invoke(lab: LabServer, variant: str, request_id: str, row: list[float]) -> str:
    """One request through the Jupyter server's proxy, to `variant`; the variant that answered."""
    body = {"dataframe_split": {"columns": COLUMNS, "data": [row]}}
    request = urllib.request.Request(
        f"{lab.url}/studio/api/endpoints/{ENDPOINT}/invocations",
        method="POST",
        data=json.dumps(body).encode(),
        headers={
            "Authorization": f"token {lab.token}",
            "Content-Type": "application/json",
            "X-Target-Variant": variant,
            "X-Request-Id": request_id,
        },
    )
    with urllib.request.urlopen(request, timeout=30) as answer:
        return str(answer.headers["X-Variant"])


def weights(lab: LabServer) -> dict[str, float]:
    variants = lab.api("GET", f"endpoints/{ENDPOINT}")[1]["variants"]
    return {variant["name"]: variant["weight"] for variant in variants}


def test_start_try_weights_charts_evaluation_stop(
    studio: StudioPage, lab: LabServer, endpoint: str
) -> None:
    studio.execute("studio:open-endpoint", {"name": endpoint})
    panel = studio.endpoint_panel(endpoint)
    body = panel.locator(tid("studio-try-body"))
    poll(body.input_value, lambda text: "sepal length (cm)" in text, "the input example", 10)
    assert panel.locator(tid("studio-try-send")).is_disabled()  # not serving yet

    panel.locator(tid("studio-endpoint-start")).click()
    studio.wait_endpoint_running(panel, True, 60)
    assert "pid" in panel.locator(tid("studio-endpoint-replicas")).inner_text()

    answer = studio.try_it(panel, "B")
    assert answer["status"] == "200", answer
    assert answer["variant"] == "B"
    assert json.loads(answer["body"])["predictions"] == [0, 0, 0]
    assert len(answer["request_id"]) >= 8
    studio.screenshot("endpoint_try_it", panel.locator(tid("studio-try-it")))

    # A weight moved in the panel is the server's at once, the shares follow.
    studio.set_weight(panel, "A", 3)
    assert studio.shares(panel) == {"A": "75%", "B": "25%"}
    poll(lambda: weights(lab), lambda seen: seen == {"A": 3, "B": 1}, "the weights saved", 10)
    assert lab.api("GET", f"endpoints/{endpoint}")[1]["capture"] == 1  # only the weights changed

    # Labelled traffic to both variants: the charts draw it, the evaluation counts it.
    feedback = []
    for index in range(24):
        variant = "AB"[index % 2]
        request_id = f"ui-{index}"
        assert invoke(lab, variant, request_id, ROWS[index % 3]) == variant
        feedback.append({"request_id": request_id, "label": LABELS[index % 3]})
    status, scored = lab.api("POST", f"endpoints/{endpoint}/feedback", feedback)
    assert status == 200, scored
    studio.wait_charts_drawn(panel)
    evaluation = panel.locator(tid("studio-evaluation"))
    poll(
        lambda: evaluation.locator("tbody tr").count(),
        lambda rows: rows == 2,
        "both variants in the online evaluation",
        20,
    )
    verdict = evaluation.locator(tid("studio-verdict"))
    poll(verdict.count, lambda n: n >= 1, "a comparison", 10)
    comparison = lab.api("GET", f"endpoints/{endpoint}/evaluation")[1]["comparisons"][0]
    shown = verdict.first.inner_text()
    if comparison["significant"] and comparison["decided"]:
        assert f"{comparison['winner']} beats" in shown
    else:
        assert "not yet conclusive" in shown
        assert "beats" not in shown
    studio.screenshot("endpoint_panel", panel)

    studio.change_theme(DARK_THEME)
    try:
        assert studio.is_dark(panel.locator(tid("studio-endpoint-variants")))
        studio.screenshot("endpoint_panel_dark", panel)
    finally:
        studio.change_theme(LIGHT_THEME)

    panel.locator(tid("studio-endpoint-stop")).click()
    studio.wait_endpoint_running(panel, False, 40)
    assert lab.api("GET", f"endpoints/{endpoint}")[1]["running"] is False

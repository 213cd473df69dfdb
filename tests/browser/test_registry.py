"""The model registry in a real JupyterLab: two versions registered through the Python API
(version 1 approved) show in the sidebar's Models section with their approval; version 2's
page shows its run's metrics and params, the gate, its signature and input example; it is
approved from its toolbar (the dialog shows the gate's result), deployed on a new endpoint
from the deploy dialog, and version 1 is added to that endpoint as a variant from the
sidebar's context menu."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.browser.page_registry import register_versions
from tests.browser.pages import Sel, poll, tid

if TYPE_CHECKING:
    from tests.browser.lab import LabServer
    from tests.browser.pages import StudioPage

MODEL = "ui-iris"
EXPERIMENT = "ui-registry"
ENDPOINT = "ui-iris-live"


def remove_registry_traces(
    lab: LabServer, endpoints: list[str], model: str, experiment: str
) -> None:
    """The session's lab as the other tests expect it: no endpoint, model or experiment of
    these tests (the sidebar counts the seeded experiments)."""
    for name in endpoints:
        lab.api("POST", f"endpoints/{name}/stop")
        lab.api("DELETE", f"endpoints/{name}")
    lab.api("DELETE", f"models/{model}")
    for found in lab.api("GET", "experiments")[1]["experiments"]:
        if found["name"] == experiment:
            lab.api("DELETE", f"experiments/{found['id']}")


@pytest.fixture(scope="module")
def registered(lab: LabServer, lab_base: Path) -> Iterator[list[str]]:
    """Versions 1 and 2 of MODEL (1 approved); their runs' ids."""
    try:
        yield register_versions(lab_base / "studio-home", MODEL, EXPERIMENT)
    finally:
        remove_registry_traces(lab, [ENDPOINT], MODEL, EXPERIMENT)


def test_registry_sidebar_version_page_approve_and_deploy(
    studio: StudioPage, lab: LabServer, registered: list[str]
) -> None:
    section = studio.open_registry()
    rows = studio.registry_versions(section, MODEL, 2)
    assert studio.version_statuses(rows) == {f"{MODEL}/2": "PENDING", f"{MODEL}/1": "APPROVED"}
    assert "accuracy" not in section.inner_text()  # the section lists, the page details
    studio.screenshot("registry_sidebar", studio.page.locator(Sel.SIDEBAR))

    # The row's context menu has the version's actions; one copies its URI.
    studio.record_copies()
    menu = studio.context_menu(rows.first)
    expected = ["Open Version", "Deploy Model Version…", "Approve Version…", "Copy Model URI"]
    assert [label for label in studio.menu_labels(menu) if label in expected] == expected
    studio.choose(menu, "Copy Model URI")
    assert studio.copied() == [f"models:/{MODEL}/2"]

    rows.first.click()
    page = studio.version_page(MODEL, 2)
    assert page.locator(tid("studio-approval")).get_attribute("data-status") == "PENDING"
    signature = page.locator(tid("studio-signature")).inner_text()
    assert "sepal length (cm)" in signature
    assert "double" in signature
    assert page.locator(f"{tid('studio-input-example')} tbody tr").count() == 3
    assert "C\t5.0" in page.locator(tid("studio-version-params")).inner_text()
    assert "accuracy" in page.locator(tid("studio-version-metrics")).inner_text()
    assert page.locator(tid("studio-lineage-run")).count() == 1

    # An alias set on the page: the sidebar names it beside the model.
    page.locator(tid("studio-alias-input")).fill("@challenger")
    page.locator(tid("studio-alias-input")).press("Enter")
    page.locator(".jp-Studio-registry-alias", has_text="@challenger").wait_for()
    model_item = studio.registry_model(section, MODEL)
    poll(model_item.inner_text, lambda text: "@challenger → v2" in text, "the alias", 10)
    studio.screenshot("registry_version_page")

    # Approve: the dialog shows the gate's result; the page and the sidebar follow.
    studio.press_version_button(MODEL, 2, "approve")
    dialog = studio.dialog("studio-approve-form")
    assert "passes" in dialog.locator(tid("studio-gates")).inner_text()
    dialog.locator(tid("studio-approve-comment")).fill("better on iris")
    studio.screenshot("registry_approve_dialog")
    studio.press_dialog(dialog, "Approve")
    badge = page.locator(tid("studio-approval"))
    poll(lambda: badge.get_attribute("data-status"), lambda s: s == "APPROVED", "approved", 10)
    assert "better on iris" in page.inner_text()
    poll(lambda: studio.version_statuses(rows)[f"{MODEL}/2"], lambda s: s == "APPROVED",
         "the sidebar's badge", 10)  # fmt: skip

    # Deploy on a new endpoint: its panel opens.
    studio.press_version_button(MODEL, 2, "deploy")
    dialog = studio.dialog("studio-deploy-form")
    dialog.locator(tid("studio-deploy-endpoint-name")).fill(ENDPOINT)
    dialog.locator(tid("studio-deploy-variant-name")).fill("B")
    dialog.locator(tid("studio-deploy-capture")).fill("1")
    studio.screenshot("registry_deploy_dialog")
    studio.press_dialog(dialog, "Deploy")
    panel = studio.endpoint_panel(ENDPOINT)
    status, endpoint = lab.api("GET", f"endpoints/{ENDPOINT}")
    assert status == 200, endpoint
    assert [(v["name"], v["model_uri"]) for v in endpoint["variants"]] == [
        ("B", f"models:/{MODEL}/2")
    ]
    assert endpoint["capture"] == 1

    # Version 1 joins it as a variant, from the sidebar's context menu.
    studio.open_sidebar()
    menu = studio.context_menu(section.locator(f'[data-model-version="{MODEL}/1"]'))
    studio.choose(menu, "Deploy Model Version…")
    dialog = studio.dialog("studio-deploy-form")
    dialog.locator(tid("studio-deploy-mode-variant")).check()
    dialog.locator(tid("studio-deploy-existing")).select_option(ENDPOINT)
    dialog.locator(tid("studio-deploy-variant-name")).fill("A")
    dialog.locator(tid("studio-deploy-weight")).fill("3")
    studio.press_dialog(dialog, "Deploy")
    panel = studio.endpoint_panel(ENDPOINT)
    poll(lambda: studio.shares(panel), lambda s: s == {"B": "25%", "A": "75%"},
         "both variants in the panel", 10)  # fmt: skip
    history = lab.api("GET", f"models/{MODEL}/versions/1/lineage")[1]["deployments"]
    assert [event["endpoint"] for event in history] == [ENDPOINT]
    studio.screenshot("registry_endpoint_after_deploy")

    # The sidebar lists the endpoint under the models; a click opens its panel.
    studio.open_sidebar()
    listed = section.locator(f'{tid("studio-registry-endpoint")}[data-endpoint-name="{ENDPOINT}"]')
    listed.wait_for(state="visible")
    assert listed.get_attribute("data-running") == "false"
    studio.close_tab(f"studio-endpoint-{ENDPOINT}")
    listed.click()
    studio.endpoint_panel(ENDPOINT)

"""The page object's model-registry and endpoint parts: the sidebar's Models section, a
version's page with its toolbar, the approve and deploy dialogs, an endpoint's panel (start and
stop, weight sliders, live charts, the online evaluation, "try it"). Also
`register_versions`, which trains and registers the models these tests look at, through the
public Python API, in the store the session's JupyterLab serves."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from playwright.sync_api import Locator, Page


from tests.browser.lab import STUDIO_VARIABLES
from tests.browser.page_support import poll, tid

VERSION_PANEL = ".jp-Studio-versionPanel"
ENDPOINT_PANEL = ".jp-Studio-endpointPanel"
DIALOG = ".jp-Dialog"


@contextmanager
def studio_home(home: Path) -> Iterator[None]:
    """Studio's Python API on the store in `home` (the session's JupyterLab's) meanwhile."""
    saved = {name: os.environ.pop(name) for name in STUDIO_VARIABLES if name in os.environ}
    os.environ["STUDIO_HOME"] = str(home)
    try:
        yield
    finally:
        os.environ.pop("STUDIO_HOME", None)
        os.environ.update(saved)


def register_versions(home: Path, model: str, experiment: str) -> list[str]:
    """Two logistic regressions (C=0.05 and C=5) on a slice of iris, trained, logged with an
    input example and registered as versions 1 and 2 of `model` (with an `accuracy` gate)
    through Studio's Python API, in the store of the session's JupyterLab; version 1 approved.
    Their runs' ids."""
    from sklearn.datasets import load_iris
    from sklearn.linear_model import LogisticRegression

    import studio

    X, y = load_iris(return_X_y=True, as_frame=True)
    X = X.iloc[::3]
    y = y.iloc[::3]
    run_ids = []
    with studio_home(home):
        for c in (0.05, 5.0):
            with studio.start_run(experiment=experiment, name=f"logreg-C{c}") as run:
                estimator = LogisticRegression(C=c, max_iter=300).fit(X, y)
                run.log_param("C", c)
                run.log_metric("accuracy", float(estimator.score(X, y)))
                run.log_model(estimator, "model", input_example=X.head(3))
                run_ids.append(run.id)
        for run_id in run_ids:
            studio.register_model(run_id, model)
        client = studio.Client()
        client.set_model_gates(model, {"accuracy": ">= 0.5"})
        client.approve_model_version(model, 1, comment="baseline")
    return run_ids


class RegistryPage:
    """A part of `StudioPage` (tests/browser/pages.py), which mixes it in."""

    page: Page
    screenshots: Path

    if TYPE_CHECKING:

        def execute(self, command: str, args: dict[str, Any] | None = None) -> None: ...
        def open_sidebar(self) -> Locator: ...
        def toolbar_item(self, widget_id: str, testid: str) -> Locator: ...

    # The sidebar's Models section ------------------------------------------------------------

    def open_registry(self) -> Locator:
        """ "Open Model Registry"; the sidebar's Models section, once loaded."""
        self.execute("studio:open-registry")
        section = self.page.locator(f'{tid("studio-registry-section")}[data-loaded="true"]')
        section.wait_for(state="visible")
        return section

    def registry_model(self, section: Locator, name: str) -> Locator:
        item = section.locator(f'{tid("studio-registry-model")}[data-model-name="{name}"]')
        item.wait_for(state="visible")
        return item

    def registry_versions(self, section: Locator, model: str, count: int) -> Locator:
        """Expand `model` (if it is not); its version rows, once `count` show."""
        item = self.registry_model(section, model)
        if item.get_attribute("aria-expanded") != "true":
            item.click()
        rows = section.locator(f'{tid("studio-registry-version")}[data-model-version^="{model}/"]')
        poll(rows.count, lambda n: n == count, f"{count} versions of {model}", 15)
        return rows

    def version_statuses(self, rows: Locator) -> dict[str, str]:
        """ "model/version" -> the approval badge's status, for each row."""
        return {
            str(row.get_attribute("data-model-version")): str(
                row.locator(tid("studio-approval")).get_attribute("data-status")
            )
            for row in rows.all()
        }

    # A version's page ------------------------------------------------------------------------

    def version_page(self, model: str, version: int) -> Locator:
        """The version's page, once its content is loaded."""
        panel = self.page.locator(f'[id="studio-version-{model}-{version}"]')
        panel.locator(tid("studio-version")).wait_for(state="visible")
        return panel

    def press_version_button(self, model: str, version: int, name: str) -> None:
        """A button of the version page's toolbar: approve, reject, deploy, batch."""
        widget = f"studio-version-{model}-{version}"
        self.toolbar_item(widget, f"studio-version-{name}").locator("button").click()

    def dialog(self, body: str) -> Locator:
        """The open dialog whose body has the element of data-testid `body`."""
        dialog = self.page.locator(DIALOG).filter(has=self.page.locator(tid(body)))
        dialog.wait_for(state="visible")
        return dialog

    def press_dialog(self, dialog: Locator, button: str) -> None:
        dialog.locator("button.jp-Dialog-button", has_text=button).click()
        dialog.wait_for(state="detached")

    # An endpoint's panel ---------------------------------------------------------------------

    def endpoint_panel(self, name: str) -> Locator:
        panel = self.page.locator(f'[id="studio-endpoint-{name}"]')
        panel.locator(tid("studio-endpoint")).wait_for(state="visible")
        return panel

    def wait_endpoint_running(self, panel: Locator, running: bool, timeout_s: float) -> None:
        state = panel.locator(tid("studio-endpoint-state"))
        poll(
            lambda: (state.get_attribute("data-running"), state.get_attribute("data-transition")),
            lambda seen: seen == (str(running).lower(), ""),
            f"the endpoint {'running' if running else 'stopped'}",
            timeout_s,
        )

    def try_it(self, panel: Locator, target: str = "") -> dict[str, str]:
        """Send the "try it" box's body (to `target`, or by weight); the answer shown."""
        box = panel.locator(tid("studio-try-it"))
        box.locator(tid("studio-try-target")).select_option(target)
        answer = box.locator(tid("studio-try-answer"))
        before = answer.locator(tid("studio-try-request-id")).all_inner_texts()
        box.locator(tid("studio-try-send")).click()
        poll(
            lambda: answer.locator(tid("studio-try-request-id")).all_inner_texts(),
            lambda seen: bool(seen) and seen != before,
            "the answer of try it",
            20,
        )
        return {
            "status": answer.locator(tid("studio-try-status")).inner_text(),
            "variant": answer.locator(tid("studio-try-variant")).inner_text(),
            "request_id": answer.locator(tid("studio-try-request-id")).inner_text(),
            "body": answer.locator("pre").inner_text(),
        }

    def set_weight(self, panel: Locator, variant: str, weight: float) -> None:
        """Move the variant's weight slider to `weight` (as a drag ends there)."""
        slider = panel.locator(f'tr[data-variant="{variant}"] {tid("studio-weight-slider")}')
        slider.fill(str(weight))

    def shares(self, panel: Locator) -> dict[str, str]:
        rows = panel.locator(f"{tid('studio-endpoint-variants')} tbody tr")
        return {
            str(row.get_attribute("data-variant")): row.locator(
                tid("studio-variant-share")
            ).inner_text()
            for row in rows.all()
        }

    def wait_charts_drawn(self, panel: Locator) -> None:
        for chart in ("rps", "latency", "errors"):
            panel.locator(f'{tid(f"studio-endpoint-chart-{chart}")}[data-drawn="true"]').wait_for()

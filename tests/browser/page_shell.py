"""The page object's JupyterLab parts: main-area panels, toolbars, menus, requests
(test_shell.py)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from playwright.sync_api import Locator, Page, Request


from tests.browser.page_support import (
    Sel,
    poll,
    tid,
)


class ShellPage:
    """A part of `StudioPage` (tests/browser/pages.py), which mixes it in."""

    page: Page
    base_url: str
    token: str
    screenshots: Path

    # JupyterLab's own parts: main-area panels, toolbars, menus, requests (test_shell.py) ------

    def set_studio_settings(self, values: dict[str, Any]) -> None:
        """Save Studio's user settings on the server (`{}`: the defaults); a page loaded after
        this reads them."""
        answer = self.page.request.put(
            f"{self.base_url}/lab/api/settings/jupyter-studio:plugin",
            headers={"Authorization": f"token {self.token}"},
            data=json.dumps({"raw": json.dumps(values)}),
        )
        assert answer.ok, answer.text()

    def reopen_lab(self) -> None:
        """Load JupyterLab again on this test's workspace as it was left (settings read anew)."""
        self.page.goto(f"{self.base_url}/lab/workspaces/{self.workspace}?token={self.token}")
        self.wait_ready()

    def main_area_widget(self, widget_id: str) -> Locator:
        """The MainAreaWidget whose id is `widget_id` (its toolbar and its content)."""
        return self.page.locator(f'[id="{widget_id}"].jp-MainAreaWidget')

    def toolbar_item(self, widget_id: str, testid: str) -> Locator:
        """An item of a panel's JupyterLab toolbar, by its data-testid."""
        return self.main_area_widget(widget_id).locator(f".jp-Toolbar {tid(testid)}")

    def tab(self, widget_id: str) -> Locator:
        return self.page.locator(f'#jp-main-dock-panel .lm-TabBar-tab[data-id="{widget_id}"]')

    def activate_tab(self, widget_id: str) -> None:
        self.tab(widget_id).click()
        self.main_area_widget(widget_id).wait_for(state="visible")

    def close_tab(self, widget_id: str) -> None:
        self.tab(widget_id).locator(".lm-TabBar-tabCloseIcon").click()
        self.main_area_widget(widget_id).wait_for(state="detached")

    def api_requests_during(
        self, seconds: float, action: Callable[[], None] | None = None
    ) -> list[str]:
        """The requests to Studio's API the page makes in the next `seconds` (after doing
        `action`, if given), each as "METHOD URL BODY"."""
        seen: list[str] = []

        def on_request(request: Request) -> None:
            if "/studio/api/" in request.url:
                seen.append(f"{request.method} {request.url} {request.post_data or ''}")

        self.page.on("request", on_request)
        try:
            if action is not None:
                action()
            self.page.wait_for_timeout(seconds * 1000)
        finally:
            self.page.remove_listener("request", on_request)
        return seen

    def open_main_menu(self, label: str) -> Locator:
        """Open a menu of the main menu bar; the open menu."""
        self.page.locator("#jp-menu-panel .lm-MenuBar-itemLabel", has_text=label).click()
        menu = self.page.locator(".lm-Menu").last
        menu.wait_for(state="visible")
        return menu

    def menu_labels(self, menu: Locator) -> list[str]:
        return [text.strip() for text in menu.locator(".lm-Menu-itemLabel").all_inner_texts()]

    def choose(self, menu: Locator, label: str) -> None:
        """Click the item of an open menu whose label is `label`."""
        exact = re.compile(f"^{re.escape(label)}$")
        label_node = self.page.locator(".lm-Menu-itemLabel", has_text=exact)
        menu.locator(".lm-Menu-item").filter(has=label_node).click()

    def context_menu(self, target: Locator) -> Locator:
        """Right-click `target`; JupyterLab's context menu, once open."""
        target.click(button="right")
        menu = self.page.locator(".lm-Menu").last
        menu.wait_for(state="visible")
        return menu

    def run_row(self, panel: Locator, run_id: str) -> Locator:
        return panel.locator(f'{Sel.RUN_ROW}[data-run-id="{run_id}"]')

    def expand_toggle(self, panel: Locator, run_id: str) -> Locator:
        """The toggle that shows or hides a run's children (it shows their count)."""
        return self.run_row(panel, run_id).locator(tid("studio-run-expand"))

    def set_expanded(self, panel: Locator, run_id: str, expanded: bool) -> None:
        toggle = self.expand_toggle(panel, run_id)
        if toggle.get_attribute("aria-expanded") != str(expanded).lower():
            toggle.click()
        poll(
            lambda: toggle.get_attribute("aria-expanded"),
            lambda state: state == str(expanded).lower(),
            f"aria-expanded of {run_id}",
            10,
        )

    def runs_scroll(self, panel: Locator) -> dict[str, float]:
        """The runs table's scroller: scrollTop, scrollHeight, clientHeight, and the height of
        its body (every row, loaded or not)."""
        return dict(
            panel.locator(".jp-Studio-runsTable").evaluate(
                """table => ({top: table.scrollTop, height: table.scrollHeight,
                    client: table.clientHeight,
                    body: table.querySelector('.jp-Studio-runsBody').offsetHeight})"""
            )
        )

    def scroll_runs_to(self, panel: Locator, fraction: float) -> None:
        """Drag the runs table's scrollbar: to a fraction of its range (1: the end)."""
        panel.locator(".jp-Studio-runsTable").evaluate(
            """(table, fraction) => {
                table.scrollTop = (table.scrollHeight - table.clientHeight) * fraction;
                table.dispatchEvent(new Event('scroll'));
            }""",
            fraction,
        )

    def experiment_item(self, sidebar: Locator, experiment_id: int) -> Locator:
        return sidebar.locator(f'{Sel.EXPERIMENT_ITEM}[data-experiment-id="{experiment_id}"]')

    def answer_dialog(self, button: str, text: str | None = None) -> None:
        """Type `text` into the open dialog's input (if given) and press `button`."""
        dialog = self.page.locator(".jp-Dialog")
        dialog.wait_for(state="visible")
        if text is not None:
            dialog.locator("input").fill(text)
        dialog.locator("button.jp-Dialog-button", has_text=button).click()
        dialog.wait_for(state="detached")

    def record_copies(self) -> None:
        """From now on, remember what is copied to the clipboard (`copied()`)."""
        self.page.evaluate(
            """() => {
              window.studioCopied = [];
              window.addEventListener('copy', event =>
                window.studioCopied.push(event.clipboardData.getData('text')));
            }"""
        )

    def copied(self) -> list[str]:
        return list(self.page.evaluate("() => window.studioCopied"))

    def notification(self, text: str) -> Locator:
        """A JupyterLab notification (toast) showing `text`."""
        return self.page.locator(".Toastify__toast").filter(has_text=text)

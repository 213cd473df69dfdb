"""The public surface of `import studio` is a contract: explicit, sorted and light."""

from __future__ import annotations

import subprocess
import sys

import studio


def test_all_is_sorted_and_every_name_exists() -> None:
    assert studio.__all__ == sorted(studio.__all__)
    for name in studio.__all__:
        assert getattr(studio, name) is not None, name


def test_design_names_are_exported() -> None:
    expected = {
        "Client",
        "Run",
        "active_run",
        "autolog",
        "log_metric",
        "log_metrics",
        "log_param",
        "log_params",
        "register_model",
        "set_tags",
        "start_run",
    }
    assert expected <= set(studio.__all__)
    for method in (
        "log_param",
        "log_params",
        "log_metric",
        "log_metrics",
        "set_tags",
        "log_artifact",
        "log_model",
        "end",
        "flush",
    ):
        assert callable(getattr(studio.Run, method)), method
    for method in ("list_experiments", "search_runs", "get_run", "get_metric_history"):
        assert callable(getattr(studio.Client, method)), method
    for method in (
        "load_model",
        "register_model",
        "get_model_version",
        "list_models",
        "list_model_versions",
        "set_model_alias",
        "delete_model_alias",
        "approve_model_version",
        "reject_model_version",
        "set_model_gates",
    ):
        assert callable(getattr(studio.Client, method)), method


def test_import_studio_loads_no_server_database_or_ml_library() -> None:
    code = (
        "import sys, studio; "
        "heavy = [m for m in ('sqlalchemy', 'tornado', 'jupyter_server', 'sklearn', 'pandas',"
        " 'pydantic') if m in sys.modules]; print(heavy)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"

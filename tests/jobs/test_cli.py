"""`studio jobs ...` on the local store, called as `main([...])`: parameters, exit statuses
and messages. One waited run (a kernel that does not exist: no kernel starts); no store-
specific SQL: SQLite only."""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING

import pytest

from studio.jobs.cli import main, parse_parameter
from studio.jobs.entities import JobStatus
from tests.databases import sqlite_only
from tests.jobs.local_jobs import local, local_home  # noqa: F401  (local_home: a fixture)
from tests.jobs.notebooks import write_notebook

if TYPE_CHECKING:
    from pathlib import Path

pytestmark = [sqlite_only, pytest.mark.usefixtures("local_home")]


def test_parameters_are_json_or_python_literals_or_text() -> None:
    assert parse_parameter("alpha=0.5") == ("alpha", 0.5)
    assert parse_parameter("flag=true") == ("flag", True)
    assert parse_parameter("flag=True") == ("flag", True)
    assert parse_parameter("xs=[1, 'a']") == ("xs", [1, "a"])
    assert parse_parameter('d={"k": null}') == ("d", {"k": None})
    assert parse_parameter("name=hello world") == ("name", "hello world")
    assert parse_parameter("expr=2 * 3") == ("expr", "2 * 3")
    assert parse_parameter("empty=") == ("empty", "")
    assert parse_parameter("eq=a=b") == ("eq", "a=b")
    with pytest.raises(argparse.ArgumentTypeError, match="name=value"):
        parse_parameter("alpha")


def test_runs_from_the_command_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    notebook = write_notebook(tmp_path / "nb.ipynb", ["print(alpha)"], {"alpha": 1})
    jobs = local().service
    # A live scheduler elsewhere: runs queued here wait for it.
    jobs.store.beat_scheduler("elsewhere", "host", 1, "local", jobs.clock())

    assert main(["run", str(notebook), "-p", "alpha=2", "-p", "tag=x", "--no-wait"]) == 0
    assert capsys.readouterr().out.startswith("1\tQUEUED\tnb\tapi\t")
    assert jobs.get_run(1).spec.parameters == {"alpha": 2, "tag": "x"}
    assert main(["show", "1", "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert (shown["status"], shown["parameters"]) == ("QUEUED", {"alpha": 2, "tag": "x"})
    assert main(["cancel", "1"]) == 0
    assert "CANCELLED" in capsys.readouterr().out
    assert main(["cancel", "1"]) == 2
    assert capsys.readouterr().err == "studio jobs: Job run 1 already ended CANCELLED.\n"
    assert main(["show", "7"]) == 2
    assert "No job run has id 7" in capsys.readouterr().err
    assert main(["definitions", "create", str(notebook), "--schedule", "every day"]) == 2
    assert "a cron expression has 5" in capsys.readouterr().err
    assert main(["run", str(tmp_path / "missing.ipynb"), "--no-wait"]) == 2
    assert "No notebook" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_status:
        main(["run", str(notebook), "-p", "alpha"])
    assert exit_status.value.code == 2

    assert main(["definitions", "create", str(notebook), "--name", "nightly", "--paused"]) == 0
    assert capsys.readouterr().out == "1\tnightly\tpaused\t-\n"
    assert main(["definitions", "resume", "nightly"]) == 0
    assert capsys.readouterr().out == "1\tnightly\tactive\t-\n"
    assert jobs.get_definition(1).active
    assert main(["definitions", "run", "nightly", "-p", "alpha=[3]", "--no-wait"]) == 0
    assert capsys.readouterr().out.startswith("2\tQUEUED\tnightly\tmanual\t")
    assert main(["list", "--definition", "nightly"]) == 0
    assert [line.split("\t")[0] for line in capsys.readouterr().out.splitlines()] == ["2"]
    assert jobs.get_run(2).spec.parameters == {"alpha": [3]}


def test_a_waited_run_that_fails_exits_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    notebook = write_notebook(tmp_path / "nb.ipynb", ["1"], kernel="no-such-kernel")
    assert main(["run", str(notebook)]) == 1
    captured = capsys.readouterr()
    assert "\tFAILED\tnb\tapi\t" in captured.out
    assert "no-such-kernel" in captured.err
    assert main(["log", "1", "--follow"]) == 0  # it ended: nothing more to wait for
    assert "no-such-kernel" in capsys.readouterr().out
    assert local().service.get_run(1).status is JobStatus.FAILED

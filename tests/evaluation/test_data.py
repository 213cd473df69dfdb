"""Reading tables to train on: CSV, Parquet and folders of them, the errors a user sees for
what cannot be read, the target split off (rows without one left out, counted), and the
description the train dialog shows."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pytest

from studio.errors import InvalidInput, NotFound
from studio.evaluation.data import MissingTargetWarning, inspect_dataset, read_table, split_target
from tests.databases import sqlite_only

if TYPE_CHECKING:
    from pathlib import Path

# No store here, or only a local SQLite one: the PostgreSQL run has nothing to add.
pytestmark = sqlite_only


def churn(rows: int = 60) -> pd.DataFrame:
    rng = np.random.default_rng(1)
    return pd.DataFrame(
        {
            "user_id": np.arange(rows),
            "tenure": rng.integers(1, 60, rows).astype(float),
            "plan": rng.choice(["free", "pro", "team"], rows),
            "signed_up": pd.date_range("2025-01-01", periods=rows, freq="D"),
            "churned": rng.choice(["yes", "no"], rows),
        }
    )


def test_csv_parquet_and_a_folder_of_them_read_alike(tmp_path: Path) -> None:
    frame = churn()
    frame.to_csv(tmp_path / "churn.csv", index=False)
    frame.to_parquet(tmp_path / "churn.parquet")
    (tmp_path / "parts").mkdir()
    frame.iloc[:25].to_parquet(tmp_path / "parts" / "a.parquet")
    frame.iloc[25:].to_parquet(tmp_path / "parts" / "b.parquet")

    pd.testing.assert_frame_equal(read_table(tmp_path / "churn.parquet"), frame)
    pd.testing.assert_frame_equal(read_table(tmp_path / "parts"), frame)
    from_csv = read_table(tmp_path / "churn.csv")
    assert list(from_csv.columns) == list(frame.columns)
    assert len(from_csv) == len(frame)
    # Column names are strings, as scikit-learn wants them.
    pd.DataFrame({0: [1, 2], 1: [3, 4]}).to_parquet(tmp_path / "numbered.parquet")
    assert list(read_table(tmp_path / "numbered.parquet").columns) == ["0", "1"]


def test_what_cannot_be_read_is_named(tmp_path: Path) -> None:
    with pytest.raises(NotFound, match=r"none.csv"):
        read_table(tmp_path / "none.csv")
    (tmp_path / "notes.txt").write_text("a,b\n")
    with pytest.raises(InvalidInput, match=r"neither a .csv nor a .parquet"):
        read_table(tmp_path / "notes.txt")
    (tmp_path / "empty.csv").write_text("")
    with pytest.raises(InvalidInput, match=r"'empty.csv' is empty"):
        read_table(tmp_path / "empty.csv")
    (tmp_path / "broken.parquet").write_bytes(b"not parquet at all")
    with pytest.raises(InvalidInput, match=r"Cannot read 'broken.parquet'"):
        read_table(tmp_path / "broken.parquet")
    (tmp_path / "ragged.csv").write_text("a,b\n1,2\n1,2,3,4\n")
    with pytest.raises(InvalidInput, match=r"Cannot read 'ragged.csv'"):
        read_table(tmp_path / "ragged.csv")


def test_the_target_is_split_off_and_rows_without_one_are_left_out_counted() -> None:
    frame = churn()
    frame.loc[[3, 7], "churned"] = None

    with pytest.warns(MissingTargetWarning, match="2 of 60 rows have no 'churned' value"):
        X, y = split_target(frame, "churned")

    assert "churned" not in X.columns
    assert len(X) == len(y) == 58
    assert y.notna().all()
    with pytest.raises(InvalidInput, match="No column 'label'; the columns are 'user_id'"):
        split_target(frame, "label")
    with pytest.raises(InvalidInput, match="no value in any row"):
        split_target(frame.assign(churned=None), "churned")


def test_the_dialog_gets_columns_kinds_task_classes_preview_and_warnings(tmp_path: Path) -> None:
    frame = churn()
    frame.loc[0, "churned"] = None
    frame.loc[[1, 2], "tenure"] = np.nan
    frame.to_parquet(tmp_path / "churn.parquet")

    described = inspect_dataset(tmp_path / "churn.parquet", "churned")

    assert described["rows"] == 60
    assert described["task"] == "binary"
    assert described["classes"] == ["no", "yes"]
    columns = {column["name"]: column for column in described["columns"]}
    assert columns["tenure"]["kind"] == "numeric"
    assert columns["tenure"]["missing"] == 2
    assert columns["plan"] == {
        "name": "plan",
        "dtype": str(frame["plan"].dtype),
        "kind": "categorical",
        "missing": 0,
        "unique": 3,
    }
    assert columns["user_id"]["kind"] == "id"
    assert described["warnings"] == [
        "'user_id' looks like an identifier: training leaves it out.",
        "'signed_up' looks like a date: training leaves it out.",
        "1 of 60 rows have no 'churned' value: training leaves them out.",
    ]
    assert len(described["preview"]) == 20
    assert described["preview"][1]["tenure"] is None
    assert described["preview"][0]["signed_up"].startswith("2025-01-01")

    regression = inspect_dataset(tmp_path / "churn.parquet", "tenure")
    assert regression["task"] == "regression"
    assert regression["classes"] is None
    no_target = inspect_dataset(tmp_path / "churn.parquet")
    assert no_target["task"] is None
    assert no_target["target"] is None
    with pytest.raises(InvalidInput, match="No column 'label'"):
        inspect_dataset(tmp_path / "churn.parquet", "label")
    frame.assign(same="x").to_parquet(tmp_path / "same.parquet")
    single = inspect_dataset(tmp_path / "same.parquet", "same")
    assert single["task"] is None
    assert single["warnings"][-1] == "The target 'same' has fewer than 2 distinct values."


def test_a_folder_link_leading_out_of_it_is_refused(tmp_path: Path) -> None:
    (tmp_path / "parts").mkdir()
    churn().to_csv(tmp_path / "parts" / "a.csv", index=False)
    churn().to_csv(tmp_path / "secret.csv", index=False)
    (tmp_path / "parts" / "b.csv").symlink_to(tmp_path / "secret.csv")

    with pytest.raises(InvalidInput, match=r"'b.csv' in 'parts' is a link to a file outside"):
        read_table(tmp_path / "parts")


def test_inspection_reads_a_bounded_number_of_rows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("studio.evaluation.data.MAX_INSPECTED_ROWS", 25)
    frame = churn()
    frame.to_csv(tmp_path / "churn.csv", index=False)
    (tmp_path / "parts").mkdir()
    frame.iloc[:20].to_parquet(tmp_path / "parts" / "a.parquet")
    frame.iloc[20:].to_parquet(tmp_path / "parts" / "b.parquet")

    for path in (tmp_path / "churn.csv", tmp_path / "parts"):
        described = inspect_dataset(path, "churned")
        assert described["rows"] == 25
        assert described["warnings"][0].startswith("Only the first 25 rows were read")
    pd.testing.assert_frame_equal(read_table(tmp_path / "parts", max_rows=30), frame.iloc[:30])
    assert "Only the first" not in inspect_dataset(tmp_path / "parts" / "a.parquet")["warnings"]


def test_binary_long_and_repeated_columns_are_described_or_named(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    frame = pd.DataFrame(
        {"blob": [b"\x00\xff"] * 6, "note": ["x" * 5000] * 6, "label": ["a", "b"] * 3}
    )
    frame.to_parquet(tmp_path / "odd.parquet")
    described = inspect_dataset(tmp_path / "odd.parquet", "label")
    assert described["preview"][0]["blob"] == repr(b"\x00\xff")
    assert len(described["preview"][0]["note"]) == 200
    assert described["task"] == "binary"

    table = pa.table({"a": [1, 2], "b": [3, 4]}).rename_columns(["x", "x"])
    pq.write_table(table, tmp_path / "twice.parquet")
    with pytest.raises(InvalidInput, match=r"Column names repeat in 'twice.parquet': 'x'"):
        inspect_dataset(tmp_path / "twice.parquet")


def test_a_wide_file_lists_a_bounded_number_of_columns_and_warnings(tmp_path: Path) -> None:
    from studio.evaluation.schemas import MAX_COLUMNS_SHOWN, MAX_WARNINGS, DatasetOut

    wide = pd.DataFrame({f"c{i}": [f"id-{i}-{row}" for row in range(30)] for i in range(1200)})
    wide["label"] = [row % 2 for row in range(30)]
    wide.to_csv(tmp_path / "wide.csv", index=False)

    described = inspect_dataset(tmp_path / "wide.csv", "label")
    names = [column["name"] for column in described["columns"]]
    assert names == [*(f"c{i}" for i in range(MAX_COLUMNS_SHOWN)), "label"]
    assert described["total_columns"] == 1201
    assert described["warnings"][0] == "1,201 columns: only the first 1,000 are listed."
    assert len(described["warnings"]) == MAX_WARNINGS + 1
    assert described["warnings"][-1].startswith("... and ")
    assert set(described["preview"][0]) == set(names)
    DatasetOut(**described)  # within the wire model's declared limits

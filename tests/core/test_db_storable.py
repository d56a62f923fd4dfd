"""_storable: the Arrow table DuckDB scans for an import, built without a NaN pass over float
columns that have no NaN (issue 19); it must equal what ``pa.Table.from_pandas`` gives."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pyarrow as pa

from kamcore.db import _ROW_ORDER, Workspace, _storable


def _frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "with_nan": [1.5, np.nan, -2.0, np.nan],
            "clean": [0.25, -0.0, math.inf, 3.0],
            "f32": np.array([1.0, 2.5, -1.0, 0.0], dtype="float32"),
            "count": [1, 2, 3, 4],
            "name": pd.Series(["Øst", None, "Vest", "Nord"], dtype="str"),
            "day": pd.to_datetime(["2026-01-02", None, "2026-03-04", "2026-05-06"]),
        }
    )


def test_storable_equals_from_pandas_and_keeps_nan_as_null_and_minus_zero():
    df = _frame()
    table = _storable(df)
    reference = pa.Table.from_pandas(df.set_axis([f"c{i}" for i in range(6)], axis=1), preserve_index=False)
    assert table.column_names == [_ROW_ORDER, "c0", "c1", "c2", "c3", "c4", "c5"]
    assert table.drop_columns([_ROW_ORDER]).equals(reference.replace_schema_metadata(None))
    assert table.schema.metadata is None
    assert [str(t) for t in table.schema.types] == [
        "int64", "double", "double", "float", "int64", "large_string", "timestamp[us]"
    ]
    assert table.column("c0").null_count == 2  # NaN is NULL, as before
    assert table.column("c1").null_count == 0
    assert table.column("c1").to_pylist() == [0.25, -0.0, math.inf, 3.0]
    assert math.copysign(1.0, table.column("c1").to_pylist()[1]) == -1.0  # -0.0 kept
    assert table.column("c5").null_count == 1
    assert table.column(_ROW_ORDER).to_pylist() == [0, 1, 2, 3]


def test_import_reads_back_nan_as_missing_and_clean_floats_exactly(tmp_path):
    df = _frame()
    with Workspace.open(tmp_path / "w.duckdb") as workspace:
        info = workspace.import_table("t", df, kind="other")
        back = workspace.read_table("t")
    assert info.n_rows == 4
    assert back["with_nan"].isna().tolist() == [False, True, False, True]
    assert back["with_nan"].dropna().tolist() == [1.5, -2.0]
    assert back["clean"].tolist() == [0.25, -0.0, math.inf, 3.0]
    assert back["f32"].tolist() == [1.0, 2.5, -1.0, 0.0]
    assert back["name"].tolist()[0] == "Øst" and back["name"].isna().tolist() == [False, True, False, False]


def test_a_long_column_of_numbers_and_text_is_stored_as_text_like_a_short_one(tmp_path):
    # DuckDB types a pandas object column from its first rows: 70,000 rows of 1, "a", None, 2.5
    # were refused with "the file may be damaged"; four rows were stored as text. Both are text now.
    for n_rows in (4, 70_000):
        df = pd.DataFrame({"id": range(n_rows), "note": [1, "a", None, 2.5] * (n_rows // 4)})
        with Workspace.open(tmp_path / f"w{n_rows}.duckdb") as ws:
            ws.import_table("notes", df, kind="transactions")
            back = ws.read_table("notes")
        assert back["note"].iloc[:4].tolist()[:2] == ["1", "a"]
        assert pd.isna(back["note"].iloc[2]) and back["note"].iloc[3] == "2.5"
        assert back["note"].iloc[-4:].tolist()[:2] == ["1", "a"]
        assert back["id"].tolist() == list(range(n_rows))


def test_a_long_object_column_of_whole_and_decimal_numbers_stays_numbers(tmp_path):
    df = pd.DataFrame({"amount": pd.Series([1, 2.5, None] * 30_000, dtype=object)})
    with Workspace.open(tmp_path / "w.duckdb") as ws:
        ws.import_table("amounts", df, kind="transactions")
        back = ws.read_table("amounts")
    assert back["amount"].dtype == "float64"
    assert back["amount"].iloc[:2].tolist() == [1.0, 2.5] and pd.isna(back["amount"].iloc[2])

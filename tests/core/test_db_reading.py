"""Workspace.read_table: text handed to pandas as DuckDB wrote it (Arrow large_string, no widening
copy), values, types and row order as stored; canonical() of it as the plain pandas recipe."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from kamcore import db, tables
from kamcore.schemas import ColumnMapping


@pytest.fixture
def ws(tmp_path):
    workspace = db.Workspace.open(tmp_path / "w.duckdb")
    yield workspace
    workspace.close()


def test_text_comes_back_as_large_string_with_its_values(ws):
    frame = pd.DataFrame({
        "Kundenr": pd.Series(["007", " 010", None, "", "Øst "], dtype="str"),
        "Salg": [1.5, 2.0, np.nan, -4.25, 0.0],
    })
    ws.import_table("t", frame, kind="transactions", mapping={"customer_id": "Kundenr", "revenue": "Salg"})
    back = ws.read_table("t")
    assert back["Kundenr"].dtype == pd.StringDtype("pyarrow", na_value=np.nan)
    assert back["Kundenr"].array.__arrow_array__().type == pa.large_string()
    assert back["Kundenr"].isna().tolist() == [False, False, True, False, False]
    assert back["Kundenr"].dropna().tolist() == ["007", " 010", "", "Øst "]
    out = tables.canonical(back, ws.table_info("t").mapping)
    assert out["customer_id"].tolist() == ["007", "010", pd.NA, "", "Øst"]
    assert out["revenue"].tolist()[:2] == [1.5, 2.0] and np.isnan(out["revenue"][2])


def test_a_million_row_shaped_table_canonical_equals_the_plain_recipe(ws):
    n = 300_000  # several row groups, scanned in parallel
    rng = np.random.default_rng(3)
    names = np.array(["Fjord AS", " Berg AB", "Vik AS\u00a0", "Øst", "Sør", "Åse", ""], dtype=object)
    frame = pd.DataFrame({
        "Kundenr": pd.Series((100000 + rng.integers(0, 5000, n)).astype(str), dtype="str"),
        "Navn": pd.Series(names[rng.integers(0, len(names), n)], dtype="str"),
        "Region": pd.Series(np.array(["Øst", "Vest", "Sør"])[rng.integers(0, 3, n)], dtype="str"),
        "Salg": rng.normal(100, 30, n),
        "Dato": pd.Timestamp("2025-01-01") + pd.to_timedelta(rng.integers(0, 700, n), unit="D"),
    })
    mapping = ColumnMapping(roles={"customer_id": "Kundenr", "customer_name": "Navn", "region": "Region",
                                   "revenue": "Salg", "date": "Dato"})
    ws.import_table("t", frame, kind="transactions", mapping=mapping)
    back = ws.read_table("t")
    out = tables.canonical(back, mapping)
    expected = pd.DataFrame({
        "customer_id": back["Kundenr"].astype("string").str.strip(),
        "customer_name": back["Navn"].astype("string").str.strip(),
        "region": back["Region"].astype("string").str.strip(),
        "revenue": pd.to_numeric(back["Salg"], errors="coerce").astype("float64"),
        "date": pd.to_datetime(back["Dato"], errors="coerce"),
    })
    pd.testing.assert_frame_equal(out, expected, check_exact=True)
    # and the values are the imported ones, stripped
    assert out["customer_name"].tolist() == frame["Navn"].str.strip().tolist()
    assert out["region"].tolist() == frame["Region"].tolist()
    np.testing.assert_array_equal(out["revenue"].to_numpy(), frame["Salg"].to_numpy())


def test_only_the_columns_asked_for_in_table_order_unknown_names_left_out(ws):
    frame = pd.DataFrame({
        "Kundenr": pd.Series(["01", "02", "03"], dtype="str"),
        "Navn": pd.Series(["Fjord AS", None, "Vik AS"], dtype="str"),
        "": [1.5, 2.5, np.nan],  # an empty header: stored under a generated name
        "Antall": pd.Series([1, None, 3], dtype="Int64"),
    })
    ws.import_table("t", frame, kind="other")
    whole = ws.read_table("t")
    some = ws.read_table("t", columns=["Antall", "Kundenr", "", "ukjent"])
    assert list(some.columns) == ["Kundenr", "", "Antall"]
    pd.testing.assert_frame_equal(some, whole[["Kundenr", "", "Antall"]], check_exact=True)
    assert some["Antall"].dtype == "Int64" and some["Antall"].isna().tolist() == [False, True, False]
    none = ws.read_table("t", columns=[])
    assert none.shape == (3, 0)
    with pytest.raises(db.KamError) as caught:
        ws.read_table("finnes ikke", columns=["Kundenr"])
    assert caught.value.code == "db.no_table"

"""Workspace files, the table catalogue and saved objects."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kamcore import db
from kamcore.errors import KamError
from kamcore.schemas import ColumnMapping, TableKind


@pytest.fixture
def ws(tmp_path):
    workspace = db.Workspace.open(tmp_path / "w.duckdb")
    yield workspace
    workspace.close()


def _frame() -> pd.DataFrame:
    return pd.DataFrame({
        "Kundenr": ["007", "007", "010"],
        "Omsetning": [1250.5, -250.0, 99.9],
        "Dato": pd.to_datetime(["2026-01-31", "2026-02-01", "2026-03-15"]),
    })


def test_import_then_read_round_trips_values_types_and_order(ws):
    info = ws.import_table("salg", _frame(), kind=TableKind.transactions,
                           mapping={"customer_id": "Kundenr", "revenue": "Omsetning"})
    assert info.n_rows == 3
    assert info.columns == ["Kundenr", "Omsetning", "Dato"]
    assert info.mapping == ColumnMapping(roles={"customer_id": "Kundenr", "revenue": "Omsetning"})
    back = ws.read_table("salg")
    assert back["Kundenr"].tolist() == ["007", "007", "010"]
    assert back["Omsetning"].tolist() == [1250.5, -250.0, 99.9]
    assert back["Dato"].dt.strftime("%Y-%m-%d").tolist() == ["2026-01-31", "2026-02-01", "2026-03-15"]


def test_content_hash_changes_with_values_only():
    a, b = _frame(), _frame()
    assert db.content_hash(a) == db.content_hash(b)
    b.loc[0, "Omsetning"] = 1250.0
    assert db.content_hash(a) != db.content_hash(b)


def test_existing_name_is_refused_unless_replace(ws):
    ws.import_table("salg", _frame(), kind="transactions")
    with pytest.raises(KamError) as caught:
        ws.import_table("salg", _frame().head(1), kind="transactions")
    assert caught.value.code == "db.table_exists"
    assert ws.table_info("salg").n_rows == 3
    ws.import_table("salg", _frame().head(1), kind="transactions", replace=True)
    assert ws.table_info("salg").n_rows == 1
    assert len(ws.tables()) == 1


def test_mapping_to_a_missing_column_is_refused_and_nothing_is_stored(ws):
    with pytest.raises(KamError) as caught:
        ws.import_table("salg", _frame(), kind="transactions", mapping={"revenue": "Salg"})
    assert caught.value.code == "db.mapping_unknown_column"
    assert ws.tables() == []


def test_set_mapping_rename_and_drop(ws):
    ws.import_table("salg", _frame(), kind="other")
    ws.set_mapping("salg", ColumnMapping(roles={"customer_id": "Kundenr"}), TableKind.transactions)
    assert ws.table_info("salg").kind == TableKind.transactions
    ws.rename_table("salg", "sales 2026")
    assert [t.name for t in ws.tables()] == ["sales 2026"]
    ws.drop_table("sales 2026")
    assert ws.tables() == []
    with pytest.raises(KamError) as caught:
        ws.table_info("sales 2026")
    assert caught.value.code == "db.no_table"


def test_objects_are_saved_with_who_and_survive_reopening(tmp_path):
    path = tmp_path / "w.duckdb"
    with db.Workspace.open(path) as first:
        first.save_object("manual_scores", "customers", {"007": {"fit": 4}}, user="kari")
    with db.Workspace.open(path) as again:
        assert again.load_object("manual_scores", "customers") == {"007": {"fit": 4}}
        assert again.object_saved_by("manual_scores", "customers")[0] == "kari"
        assert again.list_objects("manual_scores") == ["customers"]
        assert again.load_object("manual_scores", "nope") is None


def test_workspace_files_create_list_rename_delete(tmp_path):
    db.create_workspace(tmp_path, "Kunde Øst")
    assert [w.name for w in db.list_workspaces(tmp_path)] == ["Kunde Øst"]
    with pytest.raises(KamError) as caught:
        db.create_workspace(tmp_path, "Kunde Øst")
    assert caught.value.code == "workspace.name_unavailable"  # the same sentence for any taken name
    db.rename_workspace(tmp_path, "Kunde Øst", "Kunde Vest")
    assert [w.name for w in db.list_workspaces(tmp_path)] == ["Kunde Vest"]
    db.delete_workspace(tmp_path, "Kunde Vest")
    assert db.list_workspaces(tmp_path) == []


@pytest.mark.parametrize("name", ["../etc", "a/b", "", " ", "x" * 61, "..", "name\x00"])
def test_workspace_names_that_could_escape_the_folder_are_refused(tmp_path, name):
    with pytest.raises(KamError) as caught:
        db.workspace_path(tmp_path, name)
    assert caught.value.code == "db.bad_workspace_name"


def _large_frame(n: int) -> pd.DataFrame:
    rng = np.random.default_rng(7)
    revenue = rng.normal(1000, 500, n).round(2)
    revenue[::97] = np.nan
    names = pd.Series([f"Kunde {i:06d}" for i in range(n)], dtype="str")
    names[::89] = None
    return pd.DataFrame({
        "Kundenr": pd.Series([f"{i:07d}" for i in range(n)], dtype="str"),
        "Navn": names,
        "Omsetning": revenue,
        "Dato": pd.Timestamp("2026-01-01") + pd.to_timedelta(np.arange(n) % 1000, unit="D"),
        "Antall": np.arange(n, dtype=np.int64)[::-1],
    })


def test_large_table_round_trips_values_and_row_order(ws):
    frame = _large_frame(250_000)  # several DuckDB row groups, scanned by parallel threads
    ws.import_table("stor", frame, kind="transactions", mapping={"customer_id": "Kundenr"})
    back = ws.read_table("stor")
    assert back["Kundenr"].tolist() == frame["Kundenr"].tolist()
    assert back["Antall"].tolist() == frame["Antall"].tolist()
    np.testing.assert_array_equal(back["Omsetning"].to_numpy(), frame["Omsetning"].to_numpy())
    assert back["Navn"].isna().tolist() == frame["Navn"].isna().tolist()
    assert back["Navn"].dropna().tolist() == frame["Navn"].dropna().tolist()
    assert (back["Dato"].to_numpy() == frame["Dato"].to_numpy()).all()


@pytest.mark.parametrize(
    "frame",
    [
        _frame(),
        _large_frame(1_000),
        # Mixed object and categorical columns take the pandas path rather than Arrow.
        pd.DataFrame({"x": pd.Series([1, "a", None], dtype=object), "k": pd.Categorical(["a", "b", "a"])}),
        pd.DataFrame({"tom": pd.Series([], dtype="str")}),
    ],
    ids=["small", "arrow", "pandas-path", "empty"],
)
def test_stored_content_hash_is_the_hash_of_the_frame(ws, frame):
    info = ws.import_table("t", frame, kind="other")
    assert info.content_hash == db.content_hash(frame)
    assert info.content_hash == db.content_hash(frame.copy())


def test_content_hash_sees_every_value_row_order_names_and_types():
    base = _large_frame(500)
    digest = db.content_hash(base)
    changed_text = base.copy()
    changed_text.loc[123, "Navn"] = "Kunde 000124"
    swapped = base.iloc[[1, 0, *range(2, len(base))]].reset_index(drop=True)
    renamed = base.rename(columns={"Navn": "Kundenavn"})
    retyped = base.astype({"Antall": "float64"})
    missing = base.copy()
    missing.loc[1, "Omsetning"] = np.nan  # row 0 is already empty
    digests = {db.content_hash(f) for f in (changed_text, swapped, renamed, retyped, missing)}
    assert digest not in digests
    assert len(digests) == 5


@settings(max_examples=25, deadline=None)
@given(st.lists(st.tuples(st.text(max_size=5), st.floats(allow_nan=False, width=32)), min_size=1, max_size=30),
       st.data())
def test_content_hash_changes_when_any_single_value_changes(rows, data):
    frame = pd.DataFrame({"s": pd.Series([r[0] for r in rows], dtype="str"),
                          "f": [float(r[1]) for r in rows]})
    assert db.content_hash(frame) == db.content_hash(frame.copy())
    position = data.draw(st.integers(0, len(rows) - 1))
    changed = frame.copy()
    changed.loc[position, "s"] = frame.loc[position, "s"] + "x"
    assert db.content_hash(changed) != db.content_hash(frame)


@pytest.mark.parametrize(
    ("order", "expected_chunks"),
    [
        ([3, 4, 5, 0, 1, 2, 6, 7], 3),  # whole runs out of order (a parallel scan): sliced back
        ([0, 1, 2, 3], 1),  # in order: untouched
        ([0, 2, 4, 1, 3, 5], 6),  # no two consecutive positions together: six runs
        ([0, 1, 2, 1, 2, 3], 1),  # runs that overlap (not a stored table): gathered with take
        ([5, 4, 3, 2, 1, 0], 6),  # every row its own run: sliced back
    ],
)
def test_rows_come_back_in_stored_order_whatever_order_the_scan_returns(order, expected_chunks):
    import pyarrow as pa

    table = pa.table({db._ROW_ORDER: pa.array(order, pa.int64()), "x": pa.array([f"r{i}" for i in order])})
    back = db._in_row_order(table)
    assert back.column(db._ROW_ORDER).to_pylist() == sorted(order)
    assert back.column("x").to_pylist() == [f"r{i}" for i in sorted(order)]
    assert back.column("x").num_chunks == expected_chunks

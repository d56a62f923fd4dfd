"""A failed import, mapping change or replace leaves the workspace exactly as it was."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from kamcore.db import Workspace
from kamcore.errors import KamError
from kamcore.schemas import ColumnMapping

EARLIER = pd.DataFrame({"Kundenr": ["001", "002"], "Omsetning": [10.5, -2.0]})
NEW = pd.DataFrame({"Kundenr": ["003", "004", "005"], "Omsetning": [1.0, 2.0, 3.0]})


@pytest.fixture
def ws(tmp_path: Path):
    workspace = Workspace.open(tmp_path / "w.duckdb")
    workspace.import_table("earlier", EARLIER, kind="accounts", mapping={"customer_id": "Kundenr"})
    yield workspace
    workspace.close()


def _snapshot(ws: Workspace) -> tuple:
    """Everything a user could see: catalogue rows, every table's data, the storage tables."""
    catalogue = ws._con.execute("SELECT * FROM _kam_tables ORDER BY name").fetchall()
    objects = ws._con.execute("SELECT * FROM _kam_objects ORDER BY kind, name").fetchall()
    storage = ws._con.execute(
        "SELECT table_name FROM information_schema.tables ORDER BY table_name"
    ).fetchall()
    data = {info.name: ws.read_table(info.name).to_dict("list") for info in ws.tables()}
    return catalogue, objects, storage, data


class FailingCursor:
    """A cursor that raises right after the first statement starting with ``fail_after`` ran."""

    def __init__(self, cursor, fail_after: str) -> None:
        self._cursor = cursor
        self._fail_after = fail_after

    def __getattr__(self, name):
        return getattr(self._cursor, name)

    def execute(self, sql, *args):
        result = self._cursor.execute(sql, *args)
        if " ".join(sql.split()).startswith(self._fail_after):
            raise RuntimeError("disk full (simulated)")
        return result


def _fail_after(ws: Workspace, monkeypatch: pytest.MonkeyPatch, prefix: str) -> None:
    plain = ws._cursor
    monkeypatch.setattr(ws, "_cursor", lambda: FailingCursor(plain(), prefix))


def test_mapping_naming_a_missing_column(ws):
    before = _snapshot(ws)
    with pytest.raises(KamError) as info:
        ws.import_table("new", NEW, kind="accounts", mapping={"customer_id": "Kundenr", "revenue": "Beløp"})
    assert (info.value.code, info.value.params) == ("db.mapping_unknown_column", {"columns": "Beløp"})
    assert _snapshot(ws) == before


def test_existing_name_without_replace(ws):
    before = _snapshot(ws)
    with pytest.raises(KamError) as info:
        ws.import_table("earlier", NEW, kind="accounts")
    assert (info.value.code, info.value.params) == ("db.table_exists", {"name": "earlier"})
    assert _snapshot(ws) == before


@pytest.mark.parametrize("prefix", ["CREATE TABLE", "INSERT INTO _kam_tables"])
def test_exception_in_the_middle_of_an_import(ws, monkeypatch, prefix):
    before = _snapshot(ws)
    _fail_after(ws, monkeypatch, prefix)
    with pytest.raises(RuntimeError, match="simulated"):
        ws.import_table("new", NEW, kind="accounts", mapping={"customer_id": "Kundenr"})
    monkeypatch.undo()
    assert _snapshot(ws) == before
    # The workspace still works afterwards.
    assert ws.import_table("new", NEW, kind="accounts").n_rows == 3


@pytest.mark.parametrize("prefix", ["CREATE TABLE", "DROP TABLE", "DELETE FROM _kam_tables", "INSERT INTO _kam_tables"])
def test_exception_while_replacing_keeps_the_old_version(ws, monkeypatch, prefix):
    before = _snapshot(ws)
    _fail_after(ws, monkeypatch, prefix)
    with pytest.raises(RuntimeError, match="simulated"):
        ws.import_table("earlier", NEW, kind="accounts", replace=True)
    monkeypatch.undo()
    assert _snapshot(ws) == before
    pd.testing.assert_frame_equal(ws.read_table("earlier"), EARLIER)


def test_failed_import_survives_reopening(tmp_path, monkeypatch):
    path = tmp_path / "w.duckdb"
    with Workspace.open(path) as ws:
        ws.import_table("earlier", EARLIER, kind="accounts")
        _fail_after(ws, monkeypatch, "INSERT INTO _kam_tables")
        with pytest.raises(RuntimeError):
            ws.import_table("new", NEW, kind="accounts")
        monkeypatch.undo()
    with Workspace.open(path) as ws:
        assert [info.name for info in ws.tables()] == ["earlier"]
        assert ws._con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_name LIKE 'data\\_%' ESCAPE '\\'"
        ).fetchone()[0] == 1


def test_bad_mapping_change_keeps_the_old_mapping(ws):
    before = _snapshot(ws)
    with pytest.raises(KamError) as info:
        ws.set_mapping("earlier", ColumnMapping(roles={"customer_id": "Kundenr", "revenue": "Sum"}))
    assert (info.value.code, info.value.params) == ("db.mapping_unknown_column", {"columns": "Sum"})
    assert _snapshot(ws) == before
    assert ws.table_info("earlier").mapping.roles == {"customer_id": "Kundenr"}


def test_rename_onto_an_existing_name(ws):
    ws.import_table("new", NEW, kind="accounts")
    before = _snapshot(ws)
    with pytest.raises(KamError) as info:
        ws.rename_table("new", "earlier")
    assert info.value.code == "db.table_exists"
    assert _snapshot(ws) == before

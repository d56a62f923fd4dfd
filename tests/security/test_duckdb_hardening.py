"""A workspace connection cannot reach files, the network, extensions or its own settings;
user-chosen names are stored literally."""

from __future__ import annotations

import json
import re
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from kamcore import db
from kamcore.db import DbSettings, Workspace
from kamcore.errors import KamError
from kamcore.settings import load_settings

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def ws(tmp_path: Path):
    workspace = Workspace.open(tmp_path / "w.duckdb", DbSettings(memory_limit="300MB", threads=3))
    workspace.import_table("t", pd.DataFrame({"a": [1, 2, 3]}), kind="other")
    yield workspace
    workspace.close()


def _fails(con: duckdb.DuckDBPyConnection, sql: str) -> duckdb.Error:
    with pytest.raises(duckdb.Error) as info:
        con.execute(sql).fetchall()
    return info.value


@pytest.mark.parametrize("sql", [
    "SELECT * FROM read_csv('/etc/passwd')",
    "SELECT * FROM read_text('/etc/passwd')",
    "SELECT * FROM read_parquet('/etc/passwd')",
    "SELECT * FROM glob('/etc/*')",
    "SELECT * FROM 'https://example.com/x.csv'",
])
def test_reading_files_or_network_is_refused(ws, sql):
    error = _fails(ws._con, sql)
    assert isinstance(error, duckdb.PermissionException)
    assert "disabled by configuration" in str(error)


def test_copy_export_and_attach_are_refused(ws, tmp_path):
    for sql in (
        f"COPY (SELECT 1) TO '{tmp_path / 'leak.csv'}'",
        f"COPY _kam_tables TO '{tmp_path / 'leak.parquet'}' (FORMAT parquet)",
        f"EXPORT DATABASE '{tmp_path / 'dump'}'",
        f"ATTACH '{tmp_path / 'other.duckdb'}' AS other",
    ):
        assert isinstance(_fails(ws._con, sql), duckdb.PermissionException), sql
    assert {p.name for p in tmp_path.iterdir()} <= {"w.duckdb", "w.duckdb.wal"}


def test_extensions_cannot_be_installed_or_loaded(ws):
    assert isinstance(_fails(ws._con, "INSTALL httpfs"), duckdb.PermissionException)
    assert isinstance(_fails(ws._con, "LOAD httpfs"), duckdb.PermissionException)
    assert isinstance(_fails(ws._con, "FORCE INSTALL httpfs FROM community"), duckdb.Error)


@pytest.mark.parametrize("sql", [
    "SET memory_limit = '64GB'",
    "SET GLOBAL memory_limit = '64GB'",
    "PRAGMA memory_limit = '64GB'",
    "RESET memory_limit",
    "SET threads = 64",
    "SET enable_external_access = true",
    "SET lock_configuration = false",
    "SET allowed_paths = ['/etc']",
    "SET autoinstall_known_extensions = true",
    "SET allow_community_extensions = true",
])
def test_configuration_is_locked(ws, sql):
    error = _fails(ws._con, sql)
    assert "the configuration has been locked" in str(error)


def test_every_cursor_is_hardened_too(ws):
    cur = ws._con.cursor()
    assert "disabled by configuration" in str(_fails(cur, "SELECT * FROM read_csv('/etc/passwd')"))
    assert "locked" in str(_fails(cur, "SET memory_limit = '64GB'"))


def test_limits_come_from_settings(tmp_path, monkeypatch):
    cfg = load_settings({"KAMSTUDIO_DUCKDB_MEMORY": "300MB", "KAMSTUDIO_DUCKDB_THREADS": "3"})
    assert cfg.db == DbSettings(memory_limit="300MB", threads=3)
    with Workspace.open(tmp_path / "a.duckdb", cfg.db) as ws:
        row = ws._con.execute(
            "SELECT current_setting('memory_limit'), current_setting('threads'), "
            "current_setting('enable_external_access'), current_setting('lock_configuration'), "
            "current_setting('autoinstall_known_extensions'), current_setting('autoload_known_extensions')"
        ).fetchone()
    # DuckDB reports 300 MB (decimal) in binary units: 300e6 / 2**20 = 286.1 MiB.
    assert row == ("286.1 MiB", 3, False, True, False, False)


def test_second_session_on_the_same_file_opens(tmp_path):
    """Two browser sessions on one workspace share DuckDB's instance; both stay hardened."""
    first = Workspace.open(tmp_path / "a.duckdb")
    second = Workspace.open(tmp_path / "a.duckdb")
    try:
        first.import_table("x", pd.DataFrame({"v": [1]}), kind="other")
        assert [i.name for i in second.tables()] == ["x"]
        assert "locked" in str(_fails(second._con, "SET memory_limit = '64GB'"))
    finally:
        first.close()
        second.close()


def test_same_file_with_other_settings_is_busy(tmp_path):
    first = Workspace.open(tmp_path / "a.duckdb", DbSettings(memory_limit="300MB"))
    try:
        with pytest.raises(KamError) as info:
            Workspace.open(tmp_path / "a.duckdb", DbSettings(memory_limit="400MB"))
        assert info.value.code == "db.workspace_busy"
    finally:
        first.close()


# ------------------------------------------------------------ literal names
EVIL = 'x"; DROP TABLE t; --'


def _storage_tables(ws: Workspace) -> list[str]:
    rows = ws._con.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_name NOT LIKE '\\_kam\\_%' ESCAPE '\\' "
        "ORDER BY table_name"
    ).fetchall()
    return [r[0] for r in rows]


def test_hostile_column_name_round_trips(ws):
    before = ws.read_table("t")
    frame = pd.DataFrame({EVIL: ["a", "b"], "ok": [1.5, -2.0], "'; SELECT 1; --": [None, "z"]})
    info = ws.import_table("evil_columns", frame, kind="other", mapping={"customer_id": EVIL})
    assert info.columns == [EVIL, "ok", "'; SELECT 1; --"]
    assert info.mapping.roles == {"customer_id": EVIL}
    back = ws.read_table("evil_columns")
    assert list(back.columns) == [EVIL, "ok", "'; SELECT 1; --"]
    assert back[EVIL].tolist() == ["a", "b"]
    assert back["ok"].tolist() == [1.5, -2.0]
    assert back["'; SELECT 1; --"].isna().tolist() == [True, False]
    pd.testing.assert_frame_equal(ws.read_table("t"), before)
    assert [i.name for i in ws.tables()] == ["t", "evil_columns"]
    assert len(_storage_tables(ws)) == 2


@pytest.mark.parametrize("name", [EVIL, "t", "<img src=x onerror=alert(1)>", "Ølsalg 2026 ✓", "a.b.c", " spaced "])
def test_hostile_table_name_round_trips(ws, name):
    frame = pd.DataFrame({"v": [10, 20]})
    if name == "t":
        with pytest.raises(KamError) as info:
            ws.import_table(name, frame, kind="other")
        assert info.value.code == "db.table_exists"
        return
    ws.import_table(name, frame, kind="other")
    stored = name.strip()
    assert [i.name for i in ws.tables()] == ["t", stored]
    assert ws.read_table(stored)["v"].tolist() == [10, 20]
    assert ws.read_table("t")["a"].tolist() == [1, 2, 3]
    renamed = ws.rename_table(stored, stored + EVIL)
    assert renamed.name == stored + EVIL
    ws.drop_table(stored + EVIL)
    assert [i.name for i in ws.tables()] == ["t"]
    assert len(_storage_tables(ws)) == 1


def test_case_duplicates_are_reported_not_renamed(ws):
    frame = pd.DataFrame([[1, 2]], columns=["Revenue", "revenue"])
    with pytest.raises(KamError) as info:
        ws.import_table("dup", frame, kind="transactions")
    assert info.value.code == "db.duplicate_columns"
    assert info.value.params == {"first": "Revenue", "second": "revenue"}
    assert [i.name for i in ws.tables()] == ["t"]
    assert len(_storage_tables(ws)) == 1


def test_nul_in_a_table_name_is_refused(ws):
    """Table names become part of no SQL text, but a NUL cannot be typed and signals junk."""
    with pytest.raises(KamError) as info:
        ws.import_table("a\x00b", pd.DataFrame({"v": [1]}), kind="other")
    assert info.value.code == "db.bad_identifier"
    assert [i.name for i in ws.tables()] == ["t"]


@pytest.mark.parametrize("columns", [
    ["", "a"], [" a ", "b"], ["1", "rowid"], ["", "C1", "c0"], ["__kam_row_order__", "x\x00y"], ["a" * 300, "b"],
])
def test_odd_headers_keep_their_exact_names(ws, columns):
    values = list(range(1, len(columns) + 1))
    ws.import_table("odd", pd.DataFrame([values], columns=columns), kind="other",
                    mapping={"customer_id": columns[0]})
    back = ws.read_table("odd")
    assert list(back.columns) == columns
    assert back.iloc[0].tolist() == values
    assert ws.table_info("odd").mapping.roles == {"customer_id": columns[0]}


# --------------------------------------------------------------- catalogue
def test_only_the_db_modules_speak_sql():
    """SQL only in kamcore/db*.py: no other module of the app imports DuckDB."""
    importers = set()
    for path in [ROOT / "app.py", *sorted((ROOT / "kamcore").rglob("*.py")), *sorted((ROOT / "ui").rglob("*.py")),
                 *sorted((ROOT / "pages").rglob("*.py"))]:
        if re.search(r"^\s*(import duckdb|from duckdb\b)", path.read_text(encoding="utf-8"), re.MULTILINE):
            importers.add(path.relative_to(ROOT).as_posix())
    assert importers == {"kamcore/db.py", "kamcore/db_staging.py"}


def test_one_hardening_recipe_for_every_connection():
    """Workspaces, the content hash and ingest staging all connect through db.hardened_connection."""
    for name in ("db.py", "db_staging.py"):
        source = (ROOT / "kamcore" / name).read_text(encoding="utf-8")
        connects = re.findall(r"duckdb\.connect\(", source)
        assert len(connects) == (2 if name == "db.py" else 0), name  # both inside hardened_connection
    con = db.hardened_connection(":memory:", threads=1)
    try:
        settings = dict(con.execute(
            "SELECT name, value FROM duckdb_settings() WHERE name IN "
            "('enable_external_access', 'lock_configuration', 'autoinstall_known_extensions', 'threads')"
        ).fetchall())
        assert settings == {"enable_external_access": "false", "lock_configuration": "true",
                            "autoinstall_known_extensions": "false", "threads": "1"}
    finally:
        con.close()
    # an option cannot undo the hardening
    con = db.hardened_connection(":memory:", enable_external_access=True, autoinstall_known_extensions=True)
    try:
        assert isinstance(_fails(con, "SELECT * FROM read_text('/etc/passwd')"), duckdb.PermissionException)
        assert con.execute("SELECT current_setting('autoinstall_known_extensions')").fetchone()[0] is False
    finally:
        con.close()
    with pytest.raises(ValueError):
        db.hardened_connection(ROOT / "never.duckdb", readable_file=ROOT / "README.md")
    assert not (ROOT / "never.duckdb").exists()


def test_every_db_error_code_has_three_translations():
    source = "".join(path.read_text(encoding="utf-8") for path in sorted((ROOT / "kamcore").glob("db*.py")))
    codes = set(re.findall(r'KamError\(\s*"db\.([a-z_]+)"', source))
    catalogue = json.loads((ROOT / "ui" / "locales" / "err_db.json").read_text(encoding="utf-8"))
    assert codes, "no codes found: the pattern is out of date"
    assert codes <= set(catalogue), sorted(codes - set(catalogue))
    for code in codes:
        entry = catalogue[code]
        assert set(entry) == {"en", "nb", "sv"}
        placeholders = set(re.findall(r"{(\w+)}", entry["en"]))
        for language in ("nb", "sv"):
            assert set(re.findall(r"{(\w+)}", entry[language])) == placeholders, (code, language)

"""Uploads are checked by content, not by name; hostile files get one clear sentence each.

Covers issue 3 "Uploads": binaries renamed .csv, an .xlsx that is not a zip, zip bombs
(declared size checked before anything is unpacked), XML entity bombs, size / column / line
limits, encrypted workbooks, the staging connection's file lock, literal round-trip of
hostile header and cell text into a workspace, no temp files left, and memory back to
baseline after large uploads.
"""

from __future__ import annotations

import gc
import io
import os
import struct
import tempfile
import zipfile
from pathlib import Path

import openpyxl
import openpyxl.xml
import openpyxl.xml.functions
import pytest
from openpyxl import Workbook

from kamcore.db import Workspace
from kamcore.db_staging import CsvReadError, IngestStaging
from kamcore.errors import KamError
from kamcore.ingest import IngestSettings, load_file

BAD = Path(__file__).resolve().parents[1] / "fixtures" / "bad"


def code_of(data: bytes, filename: str, **settings) -> str:
    with pytest.raises(KamError) as exc:
        load_file(data, filename=filename, settings=IngestSettings(**settings) if settings else None)
    return exc.value.code


def small_workbook() -> bytes:
    book = Workbook()
    book.active.append(["Kundenr", "Omsetning"])
    book.active.append(["1", 10])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "PNG"),
        (b"%PDF-1.7\n" + b"\x00" * 64, "PDF"),
        (b"\xff\xd8\xff\xe0" + b"\x00" * 64, "JPEG"),
        (b"MZ\x90\x00" + b"\x00" * 64, "EXE"),
        (b"abc\x00\x01\x02" * 100, "NUL"),
    ],
)
def test_binary_renamed_csv(data, kind):
    with pytest.raises(KamError) as exc:
        load_file(data, filename="rapport.csv")
    assert exc.value.code == "ingest.binary_file"
    assert exc.value.params == {"filename": "rapport.csv", "kind": kind}


def test_plain_zip_renamed_csv_is_not_a_table():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("a.txt", "hei")
    assert code_of(buffer.getvalue(), "data.csv") == "ingest.binary_file"


def test_xlsx_that_is_not_a_zip_or_is_truncated():
    assert code_of(bytes(range(256)) * 4, "bok.xlsx") == "ingest.corrupt_workbook"
    assert code_of(small_workbook()[:200], "bok.xlsx") == "ingest.corrupt_workbook"


def test_real_workbook_renamed_csv_is_read_as_a_workbook():
    result = load_file(small_workbook(), filename="eksport.csv")
    assert result.tables[0].format.file_type == "xlsx"
    assert result.tables[0].data["Omsetning"].tolist() == [10.0]


def test_zip_bomb_refused_from_the_directory_before_unpacking(monkeypatch):
    data = bytearray(small_workbook())
    offset = data.find(b"PK\x01\x02")
    data[offset + 24 : offset + 28] = struct.pack("<I", 3_000_000_000)

    def must_not_open(*args, **kwargs):
        raise AssertionError("the workbook was opened before the size check")

    monkeypatch.setattr(openpyxl, "load_workbook", must_not_open)
    with pytest.raises(KamError) as exc:
        load_file(bytes(data), filename="bomb.xlsx")
    assert exc.value.code == "ingest.zip_bomb"
    assert (
        str(exc.value) == "The workbook 'bomb.xlsx' would unpack to 2861 MB, more than the limit of 500 MB."
    )


def test_zip_bomb_cap_is_a_setting():
    assert code_of(small_workbook(), "ok.xlsx", max_xlsx_uncompressed_mb=0.001) == "ingest.zip_bomb"


def test_xml_entity_bomb_refused():
    assert code_of((BAD / "billion_laughs.xlsx").read_bytes(), "lol.xlsx") == "ingest.xml_entity"


def test_openpyxl_parses_through_defusedxml():
    assert openpyxl.xml.DEFUSEDXML is True
    assert openpyxl.xml.functions.iterparse.__module__.startswith("defusedxml")


def test_encrypted_workbook():
    with pytest.raises(KamError) as exc:
        load_file(BAD / "encrypted.xlsx")
    assert exc.value.code == "ingest.encrypted_workbook"
    assert str(exc.value).startswith("The workbook 'encrypted.xlsx' is protected with a password.")


def test_size_columns_and_line_limits():
    assert code_of(b"a;b\n" + b"1;2\n" * 300_000, "big.csv", max_file_mb=1) == "ingest.file_too_large"
    wide = (
        ";".join(f"c{i}" for i in range(501)).encode() + b"\n" + b";".join(b"1" for _ in range(501)) + b"\n"
    )
    assert code_of(wide, "wide.csv") == "ingest.too_many_columns"
    assert code_of(b"a;b\n1;" + b"x" * 100_001 + b"\n", "long.csv") == "ingest.line_too_long"
    assert code_of(b"", "empty.csv") == "ingest.empty_file"
    assert code_of(b"a;b\n", "head.csv") == "ingest.header_only"


def test_staging_connection_reads_only_its_own_file(tmp_path):
    allowed = tmp_path / "upload.csv"
    allowed.write_text("a;b\n1;2\n", encoding="utf-8")
    secret = tmp_path / "secret.csv"
    secret.write_text("x;y\n1;2\n", encoding="utf-8")
    with IngestStaging(readable_file=allowed) as staging:
        staging.load_csv(allowed, delimiter=";", n_columns=3, skip_lines=0)
        assert staging.head(5) == [("a", "b", None), ("1", "2", None)]
        with pytest.raises(CsvReadError, match="(?i)permission|disabled"):
            staging.load_csv(secret, delimiter=";", n_columns=3, skip_lines=0)
        with pytest.raises(CsvReadError):
            staging.load_csv(Path("/etc/passwd"), delimiter=":", n_columns=8, skip_lines=0)


def test_hostile_text_round_trips_literally_into_a_workspace(tmp_path):
    text = (
        'Kundenr;**bold**;"x""; DROP TABLE t; --";Revenue;revenue\n'
        '1;<img src=x onerror=alert(1)>;=HYPERLINK("u");1;2\n'
    )
    parsed = load_file(text.encode(), filename="h.csv").tables[0]
    with Workspace.open(tmp_path / "ws.duckdb") as workspace:
        workspace.import_table("hostile", parsed.data, kind="other")
        back = workspace.read_table("hostile")
        names = [t.name for t in workspace.tables()]
    assert names == ["hostile"]
    assert list(back.columns) == ["Kundenr", "**bold**", 'x"; DROP TABLE t; --', "Revenue", "revenue (2)"]
    assert back.iloc[0].tolist() == ["1", "<img src=x onerror=alert(1)>", '=HYPERLINK("u")', 1.0, 2.0]


def test_no_temporary_files_left_behind():
    before = {p.name for p in Path(tempfile.gettempdir()).glob("kam_ingest_*")}
    load_file("Kundenr;Omsetning\n1;2\n".encode("cp1252"), filename="a.csv")
    with pytest.raises(KamError):
        load_file(
            b"a;b\n1;" + b"x" * 200 + b"\n", filename="b.csv", settings=IngestSettings(max_line_chars=100)
        )
    after = {p.name for p in Path(tempfile.gettempdir()).glob("kam_ingest_*")}
    assert after == before


def _rss_mb() -> float:
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1024 / 1024


@pytest.mark.skipif(not Path("/proc/self/statm").exists(), reason="needs Linux /proc")
def test_memory_returns_to_baseline_after_large_uploads():
    rows = "".join(
        f"{i};Kunde {i % 500};{i % 28 + 1:02d}.01.2026;{i * 3 % 10000} {i % 1000:03d},50\n"
        for i in range(200_000)
    )
    data = ("Kundenr;Kundenavn;Fakturadato;Omsetning\n" + rows).encode()
    load_file(data, filename="warm.csv")
    gc.collect()
    baseline = _rss_mb()
    for _ in range(3):
        result = load_file(data, filename="big.csv")
        assert result.tables[0].quality.rows_kept == 200_000
        del result
        gc.collect()
    assert _rss_mb() - baseline < 60

"""IngestStaging opened and closed on another thread (ingest overlaps both with its own work).

The connection must be the same hardened one, errors of the opening thread must reach the
caller, ``close()`` must wait for both threads, and load_file must stage the file DuckDB is
actually given (the upload's path, or the rewritten copy) and leave no thread running.
"""

from __future__ import annotations

import threading
from pathlib import Path

import duckdb
import pytest

import kamcore.db_staging as db_staging
import kamcore.ingest as ingest
from kamcore.db_staging import IngestStaging
from kamcore.errors import KamError
from kamcore.ingest import IngestSettings, load_file


def _staging_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "kam-ingest-staging"]


def _csv(tmp_path: Path, text: str, name: str = "t.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode("utf-8"))
    return path


def test_a_connection_opened_on_a_thread_reads_the_file_and_nothing_else(tmp_path):
    path = _csv(tmp_path, "Kundenr;Omsetning\n7;1 234,50\n8;2,25\n")
    other = _csv(tmp_path, "a\n1\n", "other.csv")
    staging = IngestStaging(readable_file=path, background=True)
    try:
        staging.load_csv(path, delimiter=";", n_columns=3, skip_lines=0)
        assert staging.head(3) == [("Kundenr", "Omsetning", None), ("7", "1 234,50", None), ("8", "2,25", None)]
        # Hardened as before: another file, and switching the hardening off, are refused.
        with pytest.raises(duckdb.Error):
            staging._con.execute(f"SELECT * FROM read_csv('{other}')").fetchall()
        with pytest.raises(duckdb.Error):
            staging._con.execute("SET enable_external_access = true")
    finally:
        staging.close()
    assert not _staging_threads()
    staging.close()  # a second close is harmless


def test_an_error_while_opening_on_a_thread_reaches_the_caller(tmp_path, monkeypatch):
    def refuse(*args, **kwargs):
        raise MemoryError("no room for a database")

    monkeypatch.setattr(db_staging, "hardened_connection", refuse)
    staging = IngestStaging(readable_file=tmp_path / "t.csv", background=True)
    with pytest.raises(MemoryError, match="no room"):
        staging.head(1)
    staging.close()  # nothing was opened: nothing to close, no error
    staging = IngestStaging(readable_file=tmp_path / "t.csv", background=True)
    staging.close()  # closed before first use: the failed opening is not raised by close()
    assert not _staging_threads()


def _readable_files(monkeypatch) -> list[Path | None]:
    opened: list[Path | None] = []
    real = ingest.IngestStaging

    def recording(readable_file=None, *args, **kwargs):
        opened.append(readable_file)
        return real(readable_file, *args, **kwargs)

    monkeypatch.setattr(ingest, "IngestStaging", recording)
    return opened


def test_load_file_stages_the_uploads_own_path_when_it_is_read_as_it_is(tmp_path, monkeypatch):
    path = _csv(tmp_path, "Kundenr;Omsetning\r\n7;1 234,50\r\n8;-2,25\r\n")
    opened = _readable_files(monkeypatch)
    table = load_file(path).tables[0]
    assert opened == [path]
    assert table.data["Omsetning"].tolist() == [1234.5, -2.25]
    assert not _staging_threads()


def test_load_file_reopens_staging_for_the_copy_when_the_text_is_rewritten(tmp_path, monkeypatch):
    # A lone CR in a file that also uses LF: ingest writes a copy with LF breaks only, and a
    # row rejected after it must still name its line in the user's file.
    # Lines: 1 header, 2 "1;10", 3 after the lone CR, ..., 7 "6;abc", ..., 11 "10;100".
    rows = [f"{i};{'abc' if i == 6 else i * 10}" for i in range(1, 11)]
    path = _csv(tmp_path, "Kunde;Beløp\n" + rows[0] + "\r" + "\n".join(rows[1:]) + "\n")
    opened = _readable_files(monkeypatch)
    table = load_file(path).tables[0]
    assert opened[0] == path
    assert len(opened) == 2 and opened[1] != path and opened[1].name == "upload.csv"
    assert not opened[1].exists()  # the temporary copy is gone
    assert table.data["Beløp"].tolist() == [10.0, 20.0, 30.0, 40.0, 50.0, 70.0, 80.0, 90.0, 100.0]
    assert table.rejected["source_row"].tolist() == [7]
    assert table.rejected["reason"].tolist() == ["Row 7, column 'Beløp': 'abc' is not a number."]
    assert not _staging_threads()


def test_load_file_of_bytes_stages_the_copy_it_writes(monkeypatch):
    opened = _readable_files(monkeypatch)
    data = "Kunde;Beløp\n" + "".join(f"{i};{'x' if i == 4 else i}\n" for i in range(1, 11))
    table = load_file(data.encode("utf-8"), filename="salg.csv").tables[0]
    assert len(opened) == 1 and opened[0].name == "upload.csv"
    assert table.rejected["source_row"].tolist() == [5]
    assert not _staging_threads()


def test_a_refused_upload_leaves_no_staging_thread(tmp_path):
    with pytest.raises(KamError) as refused:
        load_file(b"a;b\n1;" + b"2" * 50 + b"\n", filename="long.csv", settings=IngestSettings(max_line_chars=20))
    assert refused.value.code == "ingest.line_too_long"
    assert (refused.value.params["line"], refused.value.params["n_chars"]) == (2, 52)
    with pytest.raises(KamError) as refused:
        load_file(b"Kunde;Bel\xc3\xb8p\n", filename="header.csv")
    assert refused.value.code == "ingest.header_only"
    assert not _staging_threads()


def _coerced(path: Path, then_close: bool):
    staging = IngestStaging(readable_file=path, background=True)
    try:
        staging.load_csv(path, delimiter=";", n_columns=3, skip_lines=0)
        rows = staging.coerce({0: ("text", None), 1: ("number", ",")}, first_row=1, overflow=[2], then_close=then_close)
        return staging, rows
    except BaseException:
        staging.close()
        raise


def test_duplicates_counted_on_the_closing_thread_equal_the_count_made_in_line(tmp_path):
    # 7 data rows: ("A", 1) three times, ("B", 2) twice, ("A", 2) and ("C", 1) once -> 3 repeats.
    path = _csv(tmp_path, "Kunde;Beløp\nA;1\nB;2\nA;1\nA;2\nB;2,0\nC;1\nA;1\n")
    in_line, rows = _coerced(path, then_close=False)
    assert rows.n_duplicates == 3
    in_line.close()
    staging, rows = _coerced(path, then_close=True)
    try:
        assert rows.n_duplicates == 3
        assert rows.kept["c1"].tolist() == [1.0, 2.0, 1.0, 2.0, 2.0, 1.0, 1.0]
        with pytest.raises(RuntimeError, match="closed"):
            staging.head(2)  # the thread closed the connection after counting
    finally:
        staging.close()
    assert not _staging_threads()


def test_an_error_of_the_count_on_the_closing_thread_is_the_counts_not_closes(tmp_path, monkeypatch):
    path = _csv(tmp_path, "Kunde;Beløp\nA;1\nA;1\n")

    def fail(self, kept_with_hash, scan):
        raise ValueError("count failed")

    monkeypatch.setattr(IngestStaging, "_count_duplicates", fail)
    staging, rows = _coerced(path, then_close=True)
    staging.close()  # waits for the thread; the connection is closed, the error not raised here
    assert not _staging_threads()
    with pytest.raises(ValueError, match="count failed"):
        rows.n_duplicates


def _writer_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "kam-ingest-write"]


def test_bytes_whose_text_is_rewritten_after_the_copy_was_begun_are_written_again(monkeypatch):
    # The copy of the upload is begun before its lines are looked at; the lone CR makes ingest
    # rewrite the text after that, so the copy must be written again, and must be the one
    # DuckDB reads: the rows after the CR are all there and the bad one names its line.
    written: list[bytes] = []
    real = ingest._TextFile.write_soon

    def recording(self, path):
        written.append(self.utf8)
        return real(self, path)

    monkeypatch.setattr(ingest._TextFile, "write_soon", recording)
    rows = [f"{i};{'abc' if i == 6 else i * 10}" for i in range(1, 11)]
    upload = ("Kunde;Beløp\n" + rows[0] + "\r" + "\n".join(rows[1:]) + "\n").encode("utf-8")
    table = load_file(upload, filename="salg.csv").tables[0]
    assert written == [upload]  # begun with the text as uploaded
    assert table.data["Beløp"].tolist() == [10.0, 20.0, 30.0, 40.0, 50.0, 70.0, 80.0, 90.0, 100.0]
    assert table.rejected["source_row"].tolist() == [7]
    assert not _writer_threads()


def test_the_copy_begun_for_bytes_is_used_as_written_when_the_text_stays(monkeypatch):
    writes: list[str] = []
    real = Path.write_bytes

    def counted(self, data):
        writes.append(self.name)
        return real(self, data)

    monkeypatch.setattr(Path, "write_bytes", counted)
    table = load_file("Kunde;Beløp\r\n1;10\r\n2;x\r\n".encode("utf-8-sig"), filename="s.csv").tables[0]
    assert writes == ["upload.csv"]  # once, on the thread: not again before staging
    assert table.data["Kunde"].tolist() == [1.0, 2.0]
    assert table.format.encoding == "utf-8-sig"


def test_a_failed_write_of_the_copy_is_raised_where_the_copy_is_needed(monkeypatch):
    def full(self, data):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Path, "write_bytes", full)
    with pytest.raises(OSError, match="No space left"):
        load_file(b"Kunde;Belop\n1;10\n2;20\n", filename="s.csv")
    assert not _writer_threads() and not _staging_threads()


def test_a_refused_upload_leaves_no_write_running():
    with pytest.raises(KamError) as refused:
        load_file(b"a;b\n1;" + b"2" * 50 + b"\n", filename="long.csv", settings=IngestSettings(max_line_chars=20))
    assert refused.value.code == "ingest.line_too_long"
    assert not _writer_threads()


def test_an_upload_refused_for_its_size_in_cells_is_not_written(monkeypatch):
    writes: list[str] = []
    monkeypatch.setattr(Path, "write_bytes", lambda self, data: writes.append(self.name))
    with pytest.raises(KamError) as refused:
        load_file(b"a;b\n" + b"1;2\n" * 30, filename="many.csv", settings=IngestSettings(max_cells=20))
    assert refused.value.code == "ingest.too_many_cells"
    assert writes == []


@pytest.mark.parametrize("as_path", [False, True])
def test_rows_named_after_a_bom_title_lines_and_a_quoted_line_break(tmp_path, as_path):
    # Line 1 title, 2 blank, 3 header, 4-5 the quoted note with a line break, 6 K2, 7 K3 (bad).
    rows = ['K1;"to\r\nlinjer";10', "K2;x;20", "K3;y;abc"] + [f"K{i};n{i};{i}0" for i in range(4, 13)]
    upload = ("\ufeffSalgsrapport 2026\r\n\r\nKunde;Notat;Beløp\r\n" + "\r\n".join(rows) + "\r\n").encode("utf-8")
    source = _csv_bytes(tmp_path, upload) if as_path else upload
    table = load_file(source, filename="s.csv").tables[0]
    assert table.format.header_row == 3
    assert table.data["Notat"].tolist()[:2] == ["to\r\nlinjer", "x"]
    assert table.data["Beløp"].tolist() == [10.0, 20.0, 40.0, 50.0, 60.0, 70.0, 80.0, 90.0, 100.0, 110.0, 120.0]
    assert table.rejected["source_row"].tolist() == [7]
    assert [(i.code, i.params) for i in table.quality.issues[:4]] == [
        ("rows_summary", {"rows_read": 12, "rows_kept": 11, "rows_rejected": 1, "empty_rows": 0}),
        ("header_not_first", {"line": 3, "n_skipped": 2}),
        ("column_number", {"column": "Beløp", "decimal": ","}),
        ("rejected_not_a_number", {"row": 7, "column": "Beløp", "value": "abc"}),
    ]


@pytest.mark.parametrize("as_path", [False, True])
def test_rows_named_in_a_cr_only_file_with_a_bom_and_a_title_line(tmp_path, as_path):
    # CR-only breaks (rewritten to LF for DuckDB): line 1 title, 2 blank, 3 header, 4.. rows;
    # the bad amount is on the third row, line 6.
    rows = [f"{i};{'x1' if i == 3 else i * 5}" for i in range(1, 13)]
    upload = ("\ufeffTittel\r\rKunde;Beløp\r" + "\r".join(rows) + "\r").encode("utf-8")
    source = _csv_bytes(tmp_path, upload) if as_path else upload
    table = load_file(source, filename="cr.csv").tables[0]
    assert table.rejected["source_row"].tolist() == [6]
    assert table.rejected["reason"].tolist() == ["Row 6, column 'Beløp': 'x1' is not a number."]
    assert table.quality.rows_kept == 11 and table.quality.empty_rows == 0
    assert table.data["Beløp"].tolist()[:3] == [5.0, 10.0, 20.0]


def _csv_bytes(tmp_path: Path, data: bytes) -> Path:
    path = tmp_path / "upload_as_path.csv"
    path.write_bytes(data)
    return path


# ------------------------------------------------------------------ line bounds on a thread
def _line_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "kam-ingest-lines"]


def test_the_line_bounds_are_found_while_staging_reads_the_header_and_sample(tmp_path, monkeypatch):
    # The search waits until staging has begun reading: done one after the other, it would
    # time out and the lines would never be found, so load_file fails.
    staging_began = threading.Event()
    find_bounds, load_csv = ingest._text_line_bounds, IngestStaging.load_csv

    searched_on: list[str] = []

    def bounds_after_staging_began(*args, **kwargs):
        searched_on.append(threading.current_thread().name)
        if not staging_began.wait(timeout=10):
            raise AssertionError("the lines were searched before staging began to read")
        return find_bounds(*args, **kwargs)

    def load_csv_and_tell(self, *args, **kwargs):
        staging_began.set()
        return load_csv(self, *args, **kwargs)

    monkeypatch.setattr(ingest, "_text_line_bounds", bounds_after_staging_began)
    monkeypatch.setattr(IngestStaging, "load_csv", load_csv_and_tell)
    text = "Kunde;Beløp\r\n" + "".join(f"{i};{'x' if i == 7 else i}\r\n" for i in range(1, 21)) + "\r\n"
    table = load_file(_csv(tmp_path, text)).tables[0]
    assert searched_on == ["kam-ingest-lines"]
    assert table.rejected["source_row"].tolist() == [8]  # line numbers come from the bounds found
    assert table.quality.rows_kept == 19 and table.quality.empty_rows == 1
    assert not _line_threads() and not _staging_threads()


def test_a_line_too_long_is_still_told_before_a_later_refusal(tmp_path):
    # Too many columns is found before the line bounds are in; the long line is still the
    # sentence the user gets, as when lines were checked first.
    settings = IngestSettings(max_line_chars=20, max_columns=3)
    with pytest.raises(KamError) as refused:
        load_file(b"a;b;c;d;e\n1;2;3;4;" + b"x" * 60 + b"\n", filename="wide.csv", settings=settings)
    assert refused.value.code == "ingest.line_too_long"
    assert (refused.value.params["line"], refused.value.params["n_chars"]) == (2, 68)
    # Without the long line, the later refusal is what is told.
    with pytest.raises(KamError) as refused:
        load_file(b"a;b;c;d;e\n1;2;3;4;5\n", filename="wide.csv", settings=settings)
    assert refused.value.code == "ingest.too_many_columns"
    assert not _line_threads()


def test_a_line_longer_than_stagings_first_read_buffer_is_refused_by_its_length(tmp_path, monkeypatch):
    # 5 MB in the second line: staging's first read (4 MB buffers) fails on it; the line check
    # runs then, before a retry with 128 MB buffers, and the user is told the line's length.
    allowed = []
    source = IngestStaging._source

    def recording_source(self, **kwargs):
        allowed.append(self._max_line_bytes)
        return source(self, **kwargs)

    monkeypatch.setattr(IngestStaging, "_source", recording_source)
    data = b"Kunde;Notat\n1;" + b"x" * (5 * 1024 * 1024) + b"\n2;kort\n"
    with pytest.raises(KamError) as refused:
        load_file(data, filename="lang.csv")
    assert allowed and max(allowed) == 4 * 1024 * 1024  # never retried with 128 MB buffers
    assert refused.value.code == "ingest.line_too_long"
    assert (refused.value.params["line"], refused.value.params["n_chars"]) == (2, 5 * 1024 * 1024 + 2)
    assert not _line_threads() and not _staging_threads()


def test_a_failed_line_search_is_raised_and_leaves_no_thread(tmp_path, monkeypatch):
    def fail(*args, **kwargs):
        if threading.current_thread() is not threading.main_thread():
            raise MemoryError("no room for the line bounds")
        raise AssertionError("the main thread should not search the lines of this file")

    monkeypatch.setattr(ingest, "_text_line_bounds", fail)
    with pytest.raises(MemoryError, match="no room"):
        load_file(_csv(tmp_path, "Kunde;Beløp\n1;2\n3;4\n"))
    assert not _line_threads() and not _staging_threads()

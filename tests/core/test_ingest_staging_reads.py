"""IngestStaging reads the first records (header, profile sample) over small read buffers.

The result must be exactly what the usual reader (DuckDB's default 32 MB buffers) gives, and
any failure of the small-buffer read must leave the decision to the usual reader.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from kamcore.db_staging import IngestStaging


def _csv(tmp_path: Path) -> Path:
    """~40 KB: quoted fields with the delimiter and line breaks inside, blanks, spaces, a short row."""
    lines = ["Kunde;Notat;Beløp;Dato"]
    for i in range(600):
        note = f'"linje {i}\nneste; linje"' if i % 7 == 0 else f" notat {i} "
        amount = f"{i} 234,5{i % 10}" if i % 3 else f"{i},25"
        lines.append(f"K{i % 40};{note};{amount};{1 + i % 28:02d}.0{1 + i % 9}.2024")
        if i % 50 == 0:
            lines.append("")
    lines.append("K1;kort")  # short record: the strict reader refuses it
    path = tmp_path / "t.csv"
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("utf-8"))
    return path


def _read(path: Path, *, small_buffers: bool) -> tuple[list, pd.DataFrame, list]:
    """head(1) as load_csv keeps it, head(30) and the profile of the first 500 records."""
    with pytest.MonkeyPatch.context() as patch:
        if not small_buffers:
            usual = IngestStaging._source
            patch.setattr(IngestStaging, "_source", lambda self, small_buffer=False: usual(self))
        with IngestStaging(readable_file=path) as staging:
            # Buffers of 1 KB: the first records cross dozens of buffer boundaries.
            staging._max_line_bytes = 1024
            staging.load_csv(path, delimiter=";", n_columns=5, skip_lines=0)
            first = staging.head(1)
            profile = staging.profile([0, 1, 2, 3], 1, 500)
            head = staging.head(30)
    return first + head, profile, []


def test_first_records_over_small_buffers_equal_the_usual_reader(tmp_path):
    path = _csv(tmp_path)
    small_rows, small_profile, _ = _read(path, small_buffers=True)
    usual_rows, usual_profile, _ = _read(path, small_buffers=False)
    assert small_rows == usual_rows
    pd.testing.assert_frame_equal(small_profile, usual_profile, check_exact=True)
    assert small_rows[0] == ("Kunde", "Notat", "Beløp", "Dato", None)
    assert small_rows[1] == ("Kunde", "Notat", "Beløp", "Dato", None)
    assert small_rows[2] == ("K0", "linje 0\nneste; linje", "0,25", "01.01.2024", None)
    # Profile of column 2 over records 1..500: 500 amounts, all decimal-comma numbers.
    amounts = small_profile.set_index("column").loc[2]
    assert (int(amounts["nonempty"]), int(amounts["num_comma"])) == (500, 500)


def test_a_failing_small_buffer_read_reruns_with_the_usual_reader(tmp_path):
    path = _csv(tmp_path)
    usual_rows, usual_profile, _ = _read(path, small_buffers=False)
    usual = IngestStaging._source
    small_calls = []

    def broken_when_small(self, small_buffer=False):
        if small_buffer:
            small_calls.append(True)
            return "read_csv('/no/such/file.csv')"  # refused: not the one allowed file
        return usual(self)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(IngestStaging, "_source", broken_when_small)
        with IngestStaging(readable_file=path) as staging:
            staging._max_line_bytes = 1024
            staging.load_csv(path, delimiter=";", n_columns=5, skip_lines=0)
            rows = staging.head(1)
            profile = staging.profile([0, 1, 2, 3], 1, 500)
            rows += staging.head(30)
    assert len(small_calls) == 3  # head(1), the profile's sample, head(30): each tried small first
    assert rows == usual_rows
    pd.testing.assert_frame_equal(profile, usual_profile, check_exact=True)


def _read_kept_head(path: Path, head_rows: int, sample_rows: int, max_line_bytes: int = 1024):
    """load_csv keeping ``head_rows`` records, then head(1), the profile and head(30)."""
    with IngestStaging(readable_file=path) as staging:
        staging._max_line_bytes = max_line_bytes
        staging.load_csv(path, delimiter=";", n_columns=5, skip_lines=0, head_rows=head_rows)
        first = staging.head(1)
        profile = staging.profile([0, 1, 2, 3], 1, sample_rows)
        head = staging.head(30)
        return first + head, profile, (staging._strict, staging._parallel, staging._max_line_bytes)


@pytest.mark.parametrize("sample_rows", [500, 632, 2000])
def test_the_profile_from_the_kept_head_equals_the_profile_read_from_the_file(tmp_path, sample_rows):
    # 600 records + 12 blank lines + the short record: the kept head (1 + sample_rows records)
    # crosses the quoted line breaks, and at 632/2000 holds the whole file, short record too,
    # which the strict reader refuses: the padding reader takes over at load_csv already.
    path = _csv(tmp_path)
    kept_rows, kept_profile, kept_state = _read_kept_head(path, 1 + sample_rows, sample_rows)
    file_rows, file_profile, file_state = _read_kept_head(path, 1, sample_rows)
    assert kept_rows == file_rows
    pd.testing.assert_frame_equal(kept_profile, file_profile, check_exact=True)
    # Past record 600 the short record makes the strict reader fail, then the parallel padding
    # reader (quoted line breaks): the serial one reads it, whichever statement gets there.
    whole_file = sample_rows > 600
    assert kept_state == file_state == (not whole_file, not whole_file, 1024)
    assert kept_rows[0] == ("Kunde", "Notat", "Beløp", "Dato", None)
    amounts = kept_profile.set_index("column").loc[2]
    # Records 1..n: 600 amounts at most (the short record "K1;kort" has none).
    assert int(amounts["nonempty"]) == min(sample_rows, 600)


def test_a_profile_wider_than_the_kept_head_reads_the_file(tmp_path):
    path = _csv(tmp_path)
    reads = []
    usual = IngestStaging._source

    def counted(self, small_buffer=False):
        reads.append(small_buffer)
        return usual(self, small_buffer=small_buffer)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(IngestStaging, "_source", counted)
        with IngestStaging(readable_file=path) as staging:
            staging.load_csv(path, delimiter=";", n_columns=5, skip_lines=0, head_rows=101)
            loaded = len(reads)  # the kept head (with the readers' retries)
            assert loaded >= 1
            staging.profile([0, 1, 2, 3], 1, 100)
            assert len(reads) == loaded  # its sample lies in the kept head: no read
            wide = staging.profile([0, 1, 2, 3], 1, 300)
            assert len(reads) > loaded  # 301 records > 101 kept: read from the file
    assert int(wide.set_index("column").loc[0]["nonempty"]) == 300

"""The quality report's duplicate rows: rows whose typed values all repeat an earlier row's.

Where a table has text and numbers or dates, the scan hashes the numbers and dates only and
rows whose key repeats are hashed again over all values; these tests pin that the count is
the count over all values on every path (few repeated keys, most keys repeated, text only,
numbers only, typed scan and text scan).
"""

from __future__ import annotations

import pytest

from kamcore.db_staging import IngestStaging, _ScanSql
from kamcore.ingest import load_file


def duplicates(text: str, *, typed_scan: bool = True) -> int:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(IngestStaging, "typed_scan", typed_scan)
        return load_file(text.encode("utf-8"), filename="t.csv").tables[0].quality.duplicate_rows


@pytest.mark.parametrize("typed_scan", [True, False])
def test_same_numbers_and_dates_with_other_text_are_not_duplicates(typed_scan):
    text = (
        "Kunde;Dato;Beløp;Region\n"
        "A;01.02.2026;100,50;Øst\n"
        "B;01.02.2026;100,50;Øst\n"  # same date and amount, other customer
        "A;01.02.2026;100,50;Vest\n"  # same date and amount, other region
        "A;01.02.2026;100,50;Øst\n"  # the first row again: 1
        "C;02.02.2026;7,00;Nord\n"
        "C;02.02.2026;7,00;Nord\n"  # 2
        "C;02.02.2026;7,00;Nord\n"  # 3
        "D;03.02.2026;8,00;\n"
        "D;03.02.2026;8,00;\n"  # empty region in both: 4
    )
    assert duplicates(text, typed_scan=typed_scan) == 4


def test_most_rows_repeating_their_numbers_count_the_same():
    # 400 rows over 4 amounts and 2 dates: nearly every key repeats (every row is hashed again).
    rows = [f"K{i % 50};0{1 + i % 2}.03.2026;{i % 4},00" for i in range(400)]
    # Distinct (customer, date, amount) triples: i mod lcm(50, 2, 4) = 100 -> 100 kept once, 300 repeats.
    assert duplicates("Kunde;Dato;Beløp\n" + "\n".join(rows) + "\n") == 300


def test_many_different_repeated_keys_count_the_same():
    # 150 rows, each twice (300): 150 different keys repeat, so every row is hashed again.
    rows = [f"K{i};{1 + i % 28:02d}.01.2026;{i},00" for i in range(150)]
    assert duplicates("Kunde;Dato;Beløp\n" + "\n".join(rows + rows) + "\nX;01.01.2026;0,00\n") == 150


def test_text_only_and_numbers_only_tables():
    assert duplicates("Kunde;Region\nA;Øst\nA;Øst\nA;Vest\nB;Øst\n") == 1
    assert duplicates("Antall;Beløp\n1;2,5\n1;2,5\n1;3,5\n2;2,5\n1;2,5\n") == 2


def test_key_columns_are_the_numbers_and_dates_only_beside_text():
    plans = {0: ("text", None), 1: ("date", "%d.%m.%Y"), 2: ("number", ","), 3: ("text", None)}
    scan = _ScanSql(plans, 5, [4])
    assert scan.key_columns == ["c1", "c2"]
    assert scan.row_hash == "hash(c1, c2)"
    text_only = _ScanSql({0: ("text", None), 1: ("text", None)}, 3, [2])
    assert text_only.key_columns == ["c0", "c1"]
    numbers_only = _ScanSql({0: ("number", ","), 1: ("date", "%d.%m.%Y")}, 3, [2])
    assert numbers_only.key_columns == ["c0", "c1"]

"""_take_rows: a few rows picked from a table in several batches (issue 19)."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from kamcore.db_staging import _take_rows


def _table() -> pa.Table:
    batches = [
        pa.record_batch({"name": ["a", "b", "c"], "n": [1.0, 2.0, 3.0]}),
        pa.record_batch({"name": ["d", "e"], "n": [4.0, 5.0]}),
        pa.record_batch({"name": ["f", None, "h", "i"], "n": [6.0, 7.0, None, 9.0]}),
    ]
    return pa.Table.from_batches(batches)


def test_rows_from_several_batches_in_order():
    picked = _take_rows(_table(), np.array([1, 2, 5, 6, 8]))
    assert picked.column("name").to_pylist() == ["b", "c", "f", None, "i"]
    assert picked.column("n").to_pylist() == [2.0, 3.0, 6.0, 7.0, 9.0]
    assert picked.schema == _table().schema


def test_first_and_last_row_and_no_rows():
    assert _take_rows(_table(), np.array([0, 8])).column("name").to_pylist() == ["a", "i"]
    empty = _take_rows(_table(), np.array([], dtype=np.int64))
    assert empty.num_rows == 0 and empty.schema == _table().schema

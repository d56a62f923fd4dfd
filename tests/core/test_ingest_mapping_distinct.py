"""_distinct_answers: the text columns of a survey, counted per distinct value (issue 19)."""

from __future__ import annotations

import pandas as pd

from kamcore.ingest_mapping import _answer_columns, _distinct_answers


def test_text_column_blank_cells_are_not_counted_and_padding_is_stripped():
    series = pd.Series(["Enig", " Enig ", "", "   ", "Uenig", "Enig"], dtype="str")
    n_text, distinct = _distinct_answers(series)
    assert n_text == 4  # "" and "   " are blank
    assert sorted(distinct) == ["Enig", "Uenig"]


def test_text_column_without_blanks_counts_every_cell():
    series = pd.Series(["a", "b", "a", "c"], dtype="str")
    n_text, distinct = _distinct_answers(series)
    assert n_text == 4
    assert sorted(distinct) == ["a", "b", "c"]


def test_object_column_keeps_the_text_of_each_cell():
    # 1 and "1" are one text; 1.0 is another ("1.0"); " " is blank
    series = pd.Series([1, "1", 1.0, " "], dtype=object)
    n_text, distinct = _distinct_answers(series)
    assert n_text == 3
    assert sorted(distinct) == ["1", "1.0"]


def test_numeric_answers_need_two_distinct_values_in_range():
    table = pd.DataFrame(
        {
            "same": [3.0, 3.0, 3.0],  # one value only: not a scale
            "zeros": [0.0, -0.0, 0.0],  # -0.0 equals 0.0: one value
            "scale": [1.0, 5.0, None],
            "too_high": [1.0, 101.0, 50.0],
        }
    )
    assert _answer_columns(table) == ["scale"]


def test_kind_looks_past_the_first_rows_for_a_repeated_customer():
    from kamcore.ingest_mapping import _guess_kind
    from kamcore.schemas import TableKind

    ids = [f"K{i:05d}" for i in range(12_000)]
    roles = {"customer_id": "Kundenr"}
    assert _guess_kind(pd.DataFrame({"Kundenr": pd.Series(ids, dtype="str")}), roles) == TableKind.accounts
    repeated = ids[:-1] + ["K00007"]  # the only repeat is in the last row
    assert _guess_kind(pd.DataFrame({"Kundenr": pd.Series(repeated, dtype="str")}), roles) == TableKind.transactions
    early = ["K1", "K1"] + ids[2:]
    assert _guess_kind(pd.DataFrame({"Kundenr": pd.Series(early, dtype="str")}), roles) == TableKind.transactions

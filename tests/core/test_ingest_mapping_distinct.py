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


def _long_table(n: int) -> pd.DataFrame:
    """n rows; which columns are answers is known by construction."""
    cycle = lambda values: [values[i % len(values)] for i in range(n)]  # noqa: E731
    return pd.DataFrame(
        {
            "id": pd.Series([f"R{i}" for i in range(n)], dtype="str"),  # unique: not answers
            "likert": pd.Series(cycle(["Helt enig", "Enig", "Uenig", None]), dtype="str"),  # known labels
            "own_a": pd.Series(cycle(["rød", "grønn", "blå", "gul"]), dtype="str"),  # unknown, shared
            "own_b": pd.Series(cycle(["gul", "blå", "grønn", "rød"]), dtype="str"),  # same four labels
            "own_c": pd.Series(cycle(["x", "y", "z"]), dtype="str"),  # unknown, alone
            "score": cycle([0.0, 4.0, 10.0]),  # whole numbers 0-10
            "amount": cycle([0.5, 1200.0]),  # not whole
        }
    )


def test_long_table_is_judged_on_two_threads_with_the_same_answer(monkeypatch):
    import kamcore.ingest_mapping as mapping

    expected = ["likert", "score", "own_a", "own_b"]
    table = _long_table(120_000)
    assert len(table) >= mapping._PARALLEL_ROWS  # the threaded path
    assert _answer_columns(table) == expected
    monkeypatch.setattr(mapping, "_PARALLEL_ROWS", 10**9)  # one thread
    assert _answer_columns(table) == expected
    short = _long_table(40)
    assert _answer_columns(short) == expected
    monkeypatch.setattr(mapping, "_PARALLEL_ROWS", 0)  # threads even for 40 rows
    assert _answer_columns(short) == expected


def test_number_column_refused_by_its_first_rows_is_refused_as_a_whole_would_be():
    n = 5000
    table = pd.DataFrame(
        {
            "half_first": [0.5] + [3.0] * (n - 1),  # not whole in row 1
            "low_first": [-11.0] + [3.0, 4.0] * ((n - 1) // 2) + [3.0],  # below -10 in row 1
            "high_late": [3.0, 4.0] * 1500 + [101.0] * (n - 3000),  # first 2000 fine, later too high
            "scale": [1.0, 2.0, 7.0, 10.0] * (n // 4),  # whole, 1-10
        }
    )
    assert _answer_columns(table) == ["scale"]

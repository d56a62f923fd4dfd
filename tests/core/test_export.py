"""kamcore.export: formula injection neutralised, numbers kept numeric, bytes readable back."""

from __future__ import annotations

import io

import numpy as np
import openpyxl
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kamcore.export import DANGEROUS_PREFIXES, neutralise_formulas, to_csv_bytes, to_xlsx_bytes


def sample() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "Navn": [
                '=HYPERLINK("http://evil","klikk")',
                "+cmd",
                "-x",
                "@SUM(A1)",
                "\tTab",
                "\rCR",
                "Bølgen AS",
                None,
            ],
            "Omsetning": [-250.0, 1.5, 0.0, 3.0, 4.0, 5.0, 6.0, 7.0],
            "Dato": pd.to_datetime(["2026-01-01"] * 8),
        }
    )


def test_neutralise_prefixes_text_and_leaves_numbers_and_dates():
    out = neutralise_formulas(sample())
    assert out["Navn"].tolist()[:7] == [
        '\'=HYPERLINK("http://evil","klikk")',
        "'+cmd",
        "'-x",
        "'@SUM(A1)",
        "'\tTab",
        "'\rCR",
        "Bølgen AS",
    ]
    assert pd.isna(out["Navn"].iloc[7])
    assert out["Omsetning"].tolist() == [-250.0, 1.5, 0.0, 3.0, 4.0, 5.0, 6.0, 7.0]
    assert out.dtypes.tolist() == sample().dtypes.tolist()


def test_neutralise_does_not_modify_its_input():
    frame = sample()
    neutralise_formulas(frame)
    assert frame["Navn"].iloc[0] == '=HYPERLINK("http://evil","klikk")'


def test_dangerous_header_is_neutralised_too():
    out = neutralise_formulas(pd.DataFrame({"=cmd": [1.0], "ok": [2.0]}))
    assert list(out.columns) == ["'=cmd", "ok"]


def test_object_column_with_numbers_keeps_the_numbers():
    frame = pd.DataFrame({"mixed": pd.Series([-250, "=1+1", 3.5], dtype=object)})
    assert neutralise_formulas(frame)["mixed"].tolist() == [-250, "'=1+1", 3.5]


def test_csv_bytes_bom_separator_decimal():
    data = to_csv_bytes(sample().iloc[:2], sep=";", decimal=",")
    assert data.startswith(b"\xef\xbb\xbf")
    assert data.decode("utf-8-sig").splitlines() == [
        "Navn;Omsetning;Dato",
        '"\'=HYPERLINK(""http://evil"",""klikk"")";-250,0;2026-01-01',
        "'+cmd;1,5;2026-01-01",
    ]


def test_csv_same_separator_and_decimal_refused():
    with pytest.raises(ValueError):
        to_csv_bytes(sample(), sep=",", decimal=",")


def test_xlsx_cells_are_text_or_numbers_never_formulas():
    data = to_xlsx_bytes(sample(), sheet_name="Salg")
    book = openpyxl.load_workbook(io.BytesIO(data))
    sheet = book["Salg"]
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    assert rows[0][0] == '\'=HYPERLINK("http://evil","klikk")'
    assert rows[0][1] == -250
    assert isinstance(rows[0][1], (int, float))
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)


text_starting_dangerous = st.builds(
    lambda prefix, rest: prefix + rest, st.sampled_from(DANGEROUS_PREFIXES), st.text(max_size=20)
)


@settings(max_examples=200, deadline=None)
@given(
    texts=st.lists(st.one_of(text_starting_dangerous, st.text(max_size=20)), min_size=1, max_size=20),
    numbers=st.lists(st.floats(allow_nan=True, allow_infinity=False), min_size=1, max_size=20),
)
def test_property_numbers_untouched_and_dangerous_text_always_neutralised(texts, numbers):
    n = min(len(texts), len(numbers))
    frame = pd.DataFrame(
        {"t": pd.Series(texts[:n], dtype="str"), "n": np.array(numbers[:n], dtype="float64")}
    )
    out = neutralise_formulas(frame)
    np.testing.assert_array_equal(out["n"].to_numpy(), frame["n"].to_numpy())
    for before, after in zip(frame["t"], out["t"]):
        if before.startswith(DANGEROUS_PREFIXES):
            assert after == "'" + before
        else:
            assert after == before
        assert not after.startswith(DANGEROUS_PREFIXES)

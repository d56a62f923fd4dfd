"""canonical() on frames as a workspace hands them out (Arrow-backed text, float64, datetime64):
the same values and dtypes as the plain pandas recipe, without copying what needs no change."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from kamcore import tables
from kamcore.schemas import ColumnMapping

# Every code point Arrow's utf8_trim_whitespace (pandas' str.strip() on Arrow text) removes.
WHITESPACE = [
    "\t", "\n", "\x0b", "\x0c", "\r", "\x1c", "\x1d", "\x1e", "\x1f", " ", "\x85", "\xa0", "\u1680",
    *(chr(cp) for cp in range(0x2000, 0x200B)), "\u2028", "\u2029", "\u202f", "\u205f", "\u3000",
]


def plain_canonical_text(values: pd.Series) -> pd.Series:
    """The recipe canonical() must give the same result as."""
    return values.astype("string").str.strip()


def arrow_frame(columns: dict[str, list], chunk: int) -> pd.DataFrame:
    """A frame as read_table returns it: Arrow text in several chunks (sliced, so offsets != 0)."""
    table = pa.table(columns)
    pieces = [table.slice(start, chunk) for start in range(0, table.num_rows, chunk)]
    return pa.concat_tables(pieces).to_pandas()


@pytest.mark.parametrize("space", WHITESPACE)
def test_any_whitespace_at_either_end_is_stripped(space):
    # One column with the space only in front, one only behind, one only inside a later chunk.
    raw = arrow_frame({
        "Navn": ["Fjord AS", f"{space}Berg AB", "Vik AS", "Øst", None, ""],
        "Selger": ["Kari", "Åse", f"Ola{space}", "Pål", None, ""],
        "Region": ["Øst", "Vest", "Nord", "Sør", f"{space}Midt{space}", None],
    }, chunk=2)
    out = tables.canonical(raw, ColumnMapping(roles={"customer_name": "Navn", "owner": "Selger", "region": "Region"}))
    assert out["customer_name"].tolist() == ["Fjord AS", "Berg AB", "Vik AS", "Øst", pd.NA, ""]
    assert out["owner"].tolist() == ["Kari", "Åse", "Ola", "Pål", pd.NA, ""]
    assert out["region"].tolist() == ["Øst", "Vest", "Nord", "Sør", "Midt", pd.NA]
    for role in ("customer_name", "owner", "region"):
        assert out[role].dtype == pd.StringDtype(na_value=pd.NA)


def test_text_by_hand_nordic_letters_at_the_ends_and_whitespace_inside_kept():
    values = ["Åse", "Sør", "Pål ", " Jørn", "Ola\u00a0Nordmann", "\u3000Kari\u3000", "x\u200by", "", None, "ÆØÅ"]
    raw = arrow_frame({"Selger": values}, chunk=3)
    out = tables.canonical(raw, ColumnMapping(roles={"owner": "Selger"}))
    assert out["owner"].tolist() == [
        "Åse", "Sør", "Pål", "Jørn", "Ola\u00a0Nordmann", "Kari", "x\u200by", "", pd.NA, "ÆØÅ",
    ]


def test_only_non_whitespace_edges_keep_the_text_uncopied():
    """Nothing to strip: the canonical column is the stored Arrow text itself (no copy)."""
    raw = arrow_frame({"Region": ["Øst", "Vest", "Sør", None, "Midt"] * 20}, chunk=7)
    out = tables.canonical(raw, ColumnMapping(roles={"region": "Region"}))
    source = raw["Region"].array.__arrow_array__()
    result = out["region"].array.__arrow_array__()
    assert out["region"].tolist() == ["Øst", "Vest", "Sør", pd.NA, "Midt"] * 20
    assert result.chunk(0).buffers()[2].address == source.chunk(0).buffers()[2].address


@pytest.mark.parametrize("dtype", ["str", "string", "object"])
def test_same_result_as_the_plain_recipe_on_random_text(dtype):
    rng = np.random.default_rng(7)
    alphabet = ["a", "Ø", "å", " ", "\t", "\xa0", "\u3000", "1", "-", "\u2009", "é"]
    values = ["".join(rng.choice(alphabet, size=rng.integers(0, 5))) for _ in range(3000)]
    values = [None if i % 97 == 0 else v for i, v in enumerate(values)]
    raw = arrow_frame({"T": values}, chunk=250) if dtype == "str" else pd.DataFrame({"T": pd.Series(values, dtype=dtype)})
    out = tables.canonical(raw, ColumnMapping(roles={"product": "T"}))
    pd.testing.assert_series_equal(out["product"], plain_canonical_text(raw["T"]).rename("product"), check_exact=True)


def test_numbers_and_dates_already_typed_pass_unchanged_others_are_coerced():
    raw = pd.DataFrame({
        "Salg": np.array([1.5, np.nan, -2.25]),
        "Kost": pd.Series(["1", "x", "2,5"], dtype="str"),
        "Antall": pd.Series([1, None, 3], dtype="Int64"),
        "Dato": np.array(["2026-01-02T00:00", "NaT", "2025-12-31T13:00"], dtype="datetime64[us]"),
        "Siden": pd.Series(["2020-01-01", "nei", None], dtype="str"),
    })
    mapping = ColumnMapping(roles={"revenue": "Salg", "cost": "Kost", "quantity": "Antall", "date": "Dato",
                                   "customer_since": "Siden"})
    out = tables.canonical(raw, mapping)
    assert out["revenue"].dtype == np.float64 and out["cost"].dtype == np.float64
    assert out["revenue"].tolist()[0] == 1.5 and np.isnan(out["revenue"][1]) and out["revenue"][2] == -2.25
    assert out["cost"].tolist()[0] == 1.0 and np.isnan(out["cost"][1]) and np.isnan(out["cost"][2])
    assert out["quantity"].dtype == np.float64 and out["quantity"][0] == 1.0 and np.isnan(out["quantity"][1])
    assert out["date"].dtype == "datetime64[us]"
    assert out["date"].tolist()[0] == pd.Timestamp("2026-01-02") and out["date"].isna().tolist() == [False, True, False]
    assert out["customer_since"].tolist()[0] == pd.Timestamp("2020-01-01")
    assert out["customer_since"].isna().tolist() == [False, True, True]
    assert out["profit"].tolist()[0] == 0.5 and out["profit"].isna().tolist() == [False, True, True]


def test_chunks_of_only_empty_or_missing_text():
    raw = arrow_frame({"T": ["", None, "", None, " a", "b"], "U": ["", None, None, "", "", "x"]}, chunk=2)
    out = tables.canonical(raw, ColumnMapping(roles={"product": "T", "segment": "U"}))
    assert out["product"].tolist() == ["", pd.NA, "", pd.NA, "a", "b"]
    assert out["segment"].tolist() == ["", pd.NA, pd.NA, "", "", "x"]


def plain_status_mask(ids: pd.Series, status: pd.Series, chosen: set[str]) -> np.ndarray:
    """The recipe accounts_with_status() must agree with: every row mapped to its status."""
    return ids.astype("string").map(status).fillna(tables.UNKNOWN_STATUS).isin(list(chosen)).to_numpy()


def test_status_mask_by_hand():
    ids = arrow_frame({"id": ["01", "02", "03", None, "09", "01", "04", "05"]}, chunk=3)["id"]
    status = pd.Series(["active", "churned", pd.NA, "", "unknown"], index=["01", "02", "03", "04", "05"],
                       dtype="string")
    mask = tables.accounts_with_status(ids, status, {"active", "unknown"})
    # 01 active, 02 churned, 03 no status -> unknown, None and 09 not in the table -> unknown,
    # 04 has the empty status (not "unknown"), 05 says "unknown"
    assert mask.tolist() == [True, False, True, True, True, True, False, True]
    assert tables.accounts_with_status(ids, status, {"churned"}).tolist() == [
        False, True, False, False, False, False, False, False]
    assert tables.accounts_with_status(ids, status, {""}).tolist() == [
        False, False, False, False, False, False, True, False]
    assert mask.dtype == bool


@pytest.mark.parametrize("ids_dtype", ["arrow", "string", "object"])
@pytest.mark.parametrize("chosen", [{"active"}, {"active", "unknown"}, {"unknown"}, {"churned", "x"}, set()])
def test_status_mask_same_as_mapping_every_row(ids_dtype, chosen):
    rng = np.random.default_rng(11)
    known = [f"{i:05d}" for i in range(300)]
    rows = [None if i % 53 == 0 else (f"{rng.integers(0, 400):05d}") for i in range(5000)]
    ids = (arrow_frame({"id": rows}, chunk=700)["id"] if ids_dtype == "arrow"
           else pd.Series(rows, dtype=ids_dtype))
    values = np.array(["active", "churned", "unknown", "", None], dtype=object)[rng.integers(0, 5, len(known))]
    status = pd.Series(values, index=known, dtype="string")
    got = tables.accounts_with_status(ids, status, chosen)
    np.testing.assert_array_equal(got, plain_status_mask(ids, status, chosen))


def test_status_mask_with_ids_that_are_not_text_in_the_status_table():
    """A status table keyed by numbers never matches text ids (as mapping every row gives)."""
    ids = pd.Series(["1", "2", None], dtype="str")
    status = pd.Series(["active", "churned"], index=[1, 2], dtype="string")
    for chosen in ({"active"}, {"unknown"}):
        np.testing.assert_array_equal(tables.accounts_with_status(ids, status, chosen),
                                      plain_status_mask(ids, status, chosen))

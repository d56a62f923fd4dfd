"""CSV and XLSX downloads that cannot smuggle formulas into the user's spreadsheet.

A text cell beginning with ``=``, ``+``, ``-``, ``@``, tab or carriage return is run as a
formula by Excel/LibreOffice when the file is opened ("CSV injection"), e.g.
``=HYPERLINK("http://evil","click")``. Such text cells get a leading single quote, which makes
the spreadsheet show them as text. Real numbers (``-250`` in a float column) stay numbers.

A CSV cell can also be *split* by the spreadsheet: Norwegian and Swedish Excel split lines on
``;``, English on ``,``, and a cell ``x;=1+1;`` opened with the other separator becomes the
formula cell ``=1+1``. CSV exports therefore (1) follow the user's language — ``;`` and a
decimal comma for nb/sv (:func:`csv_format`), UTF-8 with BOM — and (2) neutralise every part
of a text cell that starts after a ``,`` ``;`` tab or line break with a formula character, by
putting ``'`` in front of that part too (``x;'=1+1;``), whatever separator the file uses.
"""

from __future__ import annotations

import io
import re

import pandas as pd
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

#: First characters that make a spreadsheet treat a text cell as a formula.
DANGEROUS_PREFIXES: tuple[str, ...] = ("=", "+", "-", "@", "\t", "\r")
_DANGEROUS_PATTERN = r"^[=+\-@\t\r]"
#: A part of a cell that a spreadsheet could split off and read as a formula: after a list
#: separator (either one), a tab or a line break, optional spaces or quotes, then = + - @.
_SPLIT_FORMULA = r"([,;\t\r\n][ \"]*)(?=[=+\-@])"


def csv_format(language: str) -> tuple[str, str]:
    """(separator, decimal mark) that the user's Excel expects: ``;`` and ``,`` for Norwegian
    and Swedish, ``,`` and ``.`` otherwise."""
    return (";", ",") if language in ("nb", "sv") else (",", ".")


def _is_text_column(series: pd.Series) -> bool:
    return pd.api.types.is_string_dtype(series) or pd.api.types.is_object_dtype(series)


def neutralise_formulas(df: pd.DataFrame, *, split_parts: bool = False) -> pd.DataFrame:
    """A copy of ``df`` whose text cells starting with = + - @ tab or CR begin with ``'``.

    With ``split_parts`` (CSV), every part after a ``,`` ``;`` tab or line break that starts
    with a formula character gets a ``'`` too, so no separator can split a formula off.

    Parameters
    ----------
    df : any DataFrame; only text (str/object) columns are touched, and in object columns
        only the cells that are Python strings. Column headers are neutralised too.

    Returns
    -------
    pd.DataFrame
        Same shape, index and dtypes; numeric and date columns unchanged.
    """
    result = df.copy()
    for position in range(result.shape[1]):
        series = result.iloc[:, position]
        if not _is_text_column(series):
            continue
        is_text = series.map(lambda v: isinstance(v, str)).astype(bool)
        if not is_text.any():
            continue
        text = series[is_text].astype("str")
        changed = text
        if split_parts:
            changed = text.str.replace(_SPLIT_FORMULA, r"\1'", regex=True)
        risky = changed.str.contains(_DANGEROUS_PATTERN, regex=True)
        changed = changed.where(~risky, "'" + changed)
        touched = changed != text
        if touched.any():
            fixed = series.copy()
            fixed.loc[touched[touched].index] = changed[touched]
            result.isetitem(position, fixed)
    result.columns = [_safe_header(c, split_parts) for c in result.columns]
    return result


def _safe_header(column: object, split_parts: bool) -> object:
    if not isinstance(column, str):
        return column
    if split_parts:
        column = re.sub(_SPLIT_FORMULA, r"\1'", column)
    return "'" + column if column.startswith(DANGEROUS_PREFIXES) else column


def to_csv_bytes(df: pd.DataFrame, sep: str = ",", decimal: str = ".") -> bytes:
    """The table as CSV (UTF-8 with BOM so Excel picks the right encoding), formulas neutralised.

    Parameters
    ----------
    df : the table to export.
    sep : field separator (``;`` for Nordic Excel).
    decimal : decimal mark for numbers (``,`` for Nordic Excel); must differ from ``sep``.
    """
    if sep == decimal:
        raise ValueError("The separator and the decimal mark must differ.")
    text = neutralise_formulas(df, split_parts=True).to_csv(index=False, sep=sep, decimal=decimal,
                                                           lineterminator="\r\n")
    return ("\ufeff" + text).encode("utf-8")


def to_xlsx_bytes(df: pd.DataFrame, sheet_name: str = "data") -> bytes:
    """The table as an .xlsx workbook, formulas neutralised, numbers and dates as real cells.

    Notes
    -----
    Text cells are written with data type "s" (string), so even a value starting with ``=``
    could not become a formula; the leading quote additionally keeps it inert when the
    workbook is re-saved as CSV. Characters XML cannot hold (control characters) are removed.
    """
    safe = neutralise_formulas(df)
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=(sheet_name or "data")[:31])
    sheet.append([_xlsx_cell(sheet, c) for c in safe.columns])
    for row in safe.itertuples(index=False, name=None):
        sheet.append([_xlsx_cell(sheet, v) for v in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _xlsx_cell(sheet: object, value: object) -> object:
    if isinstance(value, str):
        cell = WriteOnlyCell(sheet, value=ILLEGAL_CHARACTERS_RE.sub("", value))
        cell.data_type = "s"  # never a formula, whatever the text starts with
        return cell
    if value is None or pd.isna(value):
        return None
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    if hasattr(value, "item"):
        return value.item()
    return value

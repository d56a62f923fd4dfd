"""The account plan's tables as they go onto paper: plain HTML tables whose cells wrap.

On screen the plan's tables are interactive grids (sortable, searchable); a grid is drawn on a
canvas, so the browser's print shows only its visible part and no text a reader could copy. The
printed page gets the same rows as a static table instead: every cell escaped (user text is
never HTML or Markdown), numbers and dates already in the user's language, long texts wrapped so
the whole table fits the paper. :data:`CSS` shows these tables in print only and hides the grids
(containers keyed ``account.screen_*``) there.
"""

from __future__ import annotations

import html
import math
from typing import Any

import pandas as pd
import streamlit as st

from ui import anonymity
from ui.i18n import decimals_of, fmt_num

CSS = """<style>
[data-testid="stElementContainer"]:has(.kam-print-only) { display: none; }
.kam-print-table { border-collapse: collapse; width: 100%; font-size: 0.85rem; }
.kam-print-table th, .kam-print-table td { border: 1px solid #c8ccd2; padding: 2px 6px; text-align: left;
  vertical-align: top; overflow-wrap: anywhere; }
.kam-print-table th { background: #f0f2f6; }
.kam-print-table td.kam-num { text-align: right; white-space: nowrap; }
@media print {
  [data-testid="stElementContainer"]:has(.kam-print-only) { display: block !important; }
  [class*="st-key-account-screen_"] { display: none !important; }
  .kam-print-table tr { break-inside: avoid; }
}
</style>"""

# Characters Markdown would read, written as entities as well (st.html renders no Markdown; this
# keeps the page's HTML free of anything a reader could mistake for markup).
_MARKUP = str.maketrans({c: f"&#{ord(c)};" for c in "*_`[]#~|\\"})


def escape(value: Any) -> str:
    """``value`` as HTML text: escaped, and Markdown's characters as entities."""
    return html.escape(str(value), quote=True).translate(_MARKUP)


def _cell(value: Any, places: int | None) -> tuple[str, bool]:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return "–", False
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        # each number with the decimals it has (a margin of -26.3 % beside a revenue of 17,832,386)
        return fmt_num(value, decimals_of([value]) if places is None else places), True
    return str(value), False


def table_html(frame: pd.DataFrame, decimals: dict[str, int] | None = None) -> str:
    """``frame`` (text and numbers) as an escaped HTML table; numbers in the language's format
    (``decimals`` per column, else each number with the fewest decimals that show it, at most two)."""
    places: dict[Any, int | None] = {column: (decimals or {}).get(column) for column in frame.columns}
    head = "".join(f"<th>{escape(c)}</th>" for c in frame.columns)
    rows = []
    for record in frame.itertuples(index=False, name=None):
        cells = []
        for column, value in zip(frame.columns, record, strict=True):
            text, number = _cell(value, places[column])
            cells.append(f'<td class="kam-num">{escape(text)}</td>' if number else f"<td>{escape(text)}</td>")
        rows.append(f"<tr>{''.join(cells)}</tr>")
    return f'<table class="kam-print-table"><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>'


def printed(frame: pd.DataFrame, decimals: dict[str, int] | None = None) -> None:
    """The print-only copy of a plan table (pseudonyms in anonymised mode, as on screen)."""
    st.html(f'<div class="kam-print-only">{table_html(anonymity.frame(frame), decimals)}</div>')

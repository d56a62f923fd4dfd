"""Survey file layout: wide or long (one row per answer), and two-row headers.

Two-row headers are the exports of survey tools (Qualtrics, SurveyMonkey, Nettskjema,
Microsoft Forms): item codes in the first row, question texts (and Qualtrics ImportId
markers) below. Everything works on a DataFrame already read by ``kamcore.ingest``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from typing import Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from kamcore.errors import KamError
from kamcore.survey_model import _blank, _norm
from kamcore.survey_scales import guess_label_mapping

# --------------------------------------------------------------------------------------
# Layout: wide / long
# --------------------------------------------------------------------------------------

_RESPONDENT_NAMES = (
    "respondent",
    "respondent_id",
    "respondentid",
    "response_id",
    "responseid",
    "id",
    "svarid",
    "svar_id",
    "respondent id",
    "response id",
)
_ITEM_NAMES = ("item", "question", "variable", "spørsmål", "sporsmal", "fråga", "fraga", "question_id")
_VALUE_NAMES = ("value", "answer", "response", "score", "svar", "verdi", "värde", "varde")


def _find_column(columns: Sequence[str], names: Sequence[str]) -> str | None:
    lookup = {_norm(c): c for c in columns}
    for name in names:
        if name in lookup:
            return lookup[name]
    return None


def detect_layout(df: pd.DataFrame) -> Literal["wide", "long"]:
    """Guess whether ``df`` is long (respondent, item, value) or wide (one column per item).

    Notes
    -----
    Long when the frame has recognisable respondent/item/value column names, or exactly
    three columns whose first column repeats (several rows per respondent).
    """
    cols = [str(c) for c in df.columns]
    named = all(_find_column(cols, n) for n in (_RESPONDENT_NAMES, _ITEM_NAMES, _VALUE_NAMES))
    if named and len(cols) <= 5:
        return "long"
    if len(cols) == 3 and len(df) > 1 and df.iloc[:, 0].duplicated().any():
        return "long"
    return "wide"


def to_wide(
    df: pd.DataFrame,
    layout: Literal["auto", "wide", "long"] = "auto",
    respondent: str | None = None,
    item: str | None = None,
    value: str | None = None,
) -> pd.DataFrame:
    """Return the survey as one row per respondent and one column per item.

    Parameters
    ----------
    df : DataFrame
        Wide (one row per respondent) or long (columns respondent, item, value).
    layout : {"auto", "wide", "long"}
        ``"auto"`` uses :func:`detect_layout`.
    respondent, item, value : str, optional
        Column names in a long table; guessed from their names (or position 1–3) if omitted.

    Returns
    -------
    DataFrame
        Wide frame. For long input: a ``respondent`` column then the items in order of
        first appearance. Wide input is returned as a copy.
    """
    if layout not in ("auto", "wide", "long"):
        raise KamError("survey.bad_layout", "Unknown layout '{layout}'.", layout=layout)
    if layout == "auto":
        layout = detect_layout(df)
    if layout == "wide":
        return df.copy()
    cols = [str(c) for c in df.columns]
    respondent = respondent or _find_column(cols, _RESPONDENT_NAMES) or cols[0]
    item = item or _find_column(cols, _ITEM_NAMES) or (cols[1] if len(cols) > 1 else None)
    value = value or _find_column(cols, _VALUE_NAMES) or (cols[2] if len(cols) > 2 else None)
    for name in (respondent, item, value):
        if name is None or name not in df.columns:
            raise KamError(
                "survey.long_columns_missing",
                "A long survey table needs the columns respondent, item and value; '{column}' was not found.",
                column=str(name),
            )
    dup = df.duplicated(subset=[respondent, item], keep="first")
    if dup.any():
        row = int(np.flatnonzero(dup.to_numpy())[0])
        raise KamError(
            "survey.long_duplicate",
            "Row {row}: respondent '{respondent}' answered item '{item}' twice.",
            row=row + 2,
            respondent=str(df[respondent].iloc[row]),
            item=str(df[item].iloc[row]),
        )
    item_order = list(pd.unique(df[item].astype(str)))
    resp_order = list(pd.unique(df[respondent]))
    long = df.assign(**{item: df[item].astype(str)})
    wide = long.pivot(index=respondent, columns=item, values=value)
    wide = wide.reindex(index=resp_order, columns=item_order)
    wide.columns.name = None
    wide = wide.reset_index(names="respondent")
    return wide


# --------------------------------------------------------------------------------------
# Two-row headers (Qualtrics, SurveyMonkey)
# --------------------------------------------------------------------------------------


class TwoRowHeader(BaseModel):
    """A frame whose two header rows were merged: item ids as columns, question texts kept."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    frame: pd.DataFrame
    question_texts: dict[str, str] = Field(default_factory=dict)
    dropped_rows: int = 0


_IMPORT_ID = re.compile(r'^\s*\{\s*"?importid"?\s*:', re.IGNORECASE)


def _numeric_if_possible(s: pd.Series) -> pd.Series:
    """Turn a text column into numbers when every non-blank value is a number."""
    if pd.api.types.is_numeric_dtype(s):
        return s
    text = s.astype("string").str.strip().replace("", pd.NA)
    for candidate in (text, text.str.replace(",", ".", regex=False)):
        parsed = pd.to_numeric(candidate, errors="coerce")
        if parsed.notna().sum() == candidate.notna().sum():
            return parsed.astype(float)
    return s


def _is_number(text: str) -> bool:
    """``text`` reads as a finite number (decimal point or comma)."""
    try:
        return math.isfinite(float(text.replace(",", ".")))
    except ValueError:
        return False


def has_two_row_header(raw: pd.DataFrame) -> bool:
    """Guess whether a row of question texts sits between the column codes and the answers.

    Parameters
    ----------
    raw : DataFrame
        Read with ``header=None`` (row 0 = codes) or with the first row as column names.

    Notes
    -----
    True when, in the columns whose answers (after the candidate text row and an optional
    Qualtrics ImportId row) are mostly numbers or labels of a known scale, the candidate
    row is mostly text that is neither a number nor one of those labels — as in Qualtrics
    and SurveyMonkey exports.
    """
    header_none = all(isinstance(c, (int, np.integer)) for c in raw.columns)
    text_row = 1 if header_none else 0
    if len(raw) < text_row + 2:
        return False
    # A column read as numbers has no text in its first row, so it can never vote for one:
    # with at least half the columns numeric the answer is no, without looking further.
    numeric = sum(pd.api.types.is_numeric_dtype(raw[c]) for c in raw.columns)
    if numeric >= 0.5 * len(raw.columns):
        return False
    # The answers under the candidate row: 60 are enough to tell numbers and labels from texts.
    body = raw.iloc[text_row + 1 : text_row + 61]
    if all(_blank(v) or _IMPORT_ID.match(str(v)) for v in body.iloc[0]):
        body = body.iloc[1:]
    head = raw.iloc[text_row]
    votes = total = 0
    known: dict[tuple[str, ...], set[str]] = {}  # 60 label columns share a handful of label sets
    for col in raw.columns:
        # Plain Python on at most 60 cells: a pandas pipeline per column cost more than the answers.
        text = [s for v in body[col].tolist() if not _blank(v) and (s := str(v).strip())]
        if not text:
            continue
        labels: set[str] = set()
        distinct = list(dict.fromkeys(text))  # the label guess looks at each distinct answer once
        if sum(_is_number(v) for v in text) < 0.8 * len(text):
            signature = tuple(sorted(str(v) for v in distinct))
            if signature not in known:
                known[signature] = {_norm(v) for v in guess_label_mapping(distinct)}
            labels = known[signature]
            if not labels:
                continue
        total += 1
        cell = head[col]
        if _blank(cell) or (labels and guess_label_mapping([*distinct, cell])):
            continue
        if pd.isna(pd.to_numeric(str(cell).replace(",", "."), errors="coerce")):
            votes += 1
    return total > 0 and votes / total >= 0.5


def merge_two_row_header(df: pd.DataFrame) -> TwoRowHeader:
    """Merge a two-row header into item ids (columns) and question texts.

    Parameters
    ----------
    df : DataFrame
        Either read with ``header=None`` (integer column labels; row 0 = codes, row 1 =
        question texts) or with the first row already used as column names (row 0 =
        question texts). A Qualtrics ``{"ImportId": ...}`` row right after the texts is
        dropped too.

    Returns
    -------
    TwoRowHeader
        ``frame`` with the answers (columns converted to numbers where every value is
        one), ``question_texts`` item id -> question text, ``dropped_rows`` header rows
        removed.

    Notes
    -----
    SurveyMonkey leaves the code cell blank for the second and later columns of a matrix
    question; those get the previous code plus their own sub-text as id.
    """
    raw = df.copy()
    header_none = all(isinstance(c, (int, np.integer)) for c in raw.columns)
    if header_none:
        if len(raw) < 2:
            raise KamError("survey.two_row_too_short", "The file has fewer than two header rows.")
        codes = list(raw.iloc[0])
        texts = list(raw.iloc[1])
        body = raw.iloc[2:]
        dropped = 2
    else:
        if len(raw) < 1:
            raise KamError("survey.two_row_too_short", "The file has fewer than two header rows.")
        codes = [None if str(c).startswith("Unnamed:") else c for c in raw.columns]
        texts = list(raw.iloc[0])
        body = raw.iloc[1:]
        dropped = 1
    if len(body) and all(_blank(v) or _IMPORT_ID.match(str(v)) for v in body.iloc[0]):
        body = body.iloc[1:]
        dropped += 1

    ids: list[str] = []
    question_texts: dict[str, str] = {}
    previous = ""
    for position, (code, text) in enumerate(zip(codes, texts, strict=True)):
        text_s = "" if _blank(text) else str(text).strip()
        if not _blank(code):
            item_id = str(code).strip()
            previous = item_id
        elif previous and text_s:
            item_id = f"{previous} - {text_s}"
        else:
            item_id = text_s or f"column_{position + 1}"
        base, n = item_id, 2
        while item_id in question_texts:
            item_id = f"{base}_{n}"
            n += 1
        ids.append(item_id)
        question_texts[item_id] = text_s
    body = body.set_axis(ids, axis=1).reset_index(drop=True)
    body = body.apply(_numeric_if_possible)
    return TwoRowHeader(frame=body, question_texts=question_texts, dropped_rows=dropped)

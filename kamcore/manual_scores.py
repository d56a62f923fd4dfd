"""Manual scores: the team's 1-5 judgements per account, read from a file, checked and saved.

The selection's manual criteria (:mod:`kamcore.selection`) score what no transaction shows:
strategic fit, partnership willingness, share of wallet, relationship strength, or any
criterion the team adds. This module finds such columns in an uploaded accounts table,
checks entered scores, and converts them to and from the saved payload
(``save_object("manual_scores", <accounts table>, payload)``), keeping who changed each row
and when.

Examples
--------
>>> import datetime as dt
>>> import pandas as pd
>>> raw = pd.DataFrame({"Kundenr": ["01", "02"], "Strategisk passform": ["4,5", "9"]})
>>> manual_scores_from_table(raw, "Kundenr").to_dict("list")
{'customer_id': ['01', '02'], 'strategic_fit': [4.5, nan]}
>>> payload = manual_scores_payload(
...     pd.DataFrame({"customer_id": ["01"], "strategic_fit": [4.0]}),
...     ["strategic_fit"], "kari", dt.datetime(2026, 12, 5, 9, 30))
>>> payload["rows"]
{'01': {'scores': {'strategic_fit': 4.0}, 'note': '', 'by': 'kari', 'at': '2026-12-05T09:30:00'}}
>>> manual_scores_from_payload(payload, ["strategic_fit"])[["customer_id", "strategic_fit"]].to_dict("list")
{'customer_id': ['01'], 'strategic_fit': [4.0]}
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from kamcore.errors import KamError

#: Manual scores are entered on a 1-5 scale; a missing score counts as the midpoint.
MANUAL_MIN, MANUAL_MAX, MANUAL_MIDPOINT = 1.0, 5.0, 3.0

#: Column-name fragments (lower-case) that identify a manual score column in an
#: uploaded accounts table, in Norwegian, Swedish and English. A column matches when its
#: case-folded name contains a fragment; for each score the first matching column wins.
#: No fragment contains another score's fragment, so a score's own name never feeds a second
#: score, but the broad "relasjon"/"relation" would also catch e.g. "Relasjonsansvarlig"
#: (relationship manager) if that column came before the score column.
MANUAL_COLUMN_HINTS: dict[str, tuple[str, ...]] = {
    "strategic_fit": ("strategisk", "strategic"),
    "partnership_willingness": ("partnerskap", "partnership"),
    "share_of_wallet": (
        "kundeandel",
        "kundandel",
        "share of wallet",
        "andel av kjøp",
        "plånboksandel",
    ),
    "relationship_strength": (
        "relasjonsstyrke",
        "relasjon",
        "relationsstyrka",
        "relationship",
        "relation",
    ),
}



def require_columns(df: pd.DataFrame, columns: Iterable[str], what: str) -> None:
    """Raise ``selection.missing_columns`` naming the columns of ``columns`` that ``df`` lacks."""
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise KamError(
            "selection.missing_columns",
            "The {what} table has no column for: {columns}.",
            what=what,
            columns=", ".join(missing),
        )


def manual_score_columns(columns: Iterable[str]) -> dict[str, str]:
    """Map manual score names to columns of an uploaded table, matched by name fragment.

    Parameters
    ----------
    columns : iterable of str
        Column names of a raw accounts table (e.g. ``"Strategisk passform"``).

    Returns
    -------
    dict
        ``{score name: column}`` for the first column whose lower-cased name contains
        one of the hints in ``MANUAL_COLUMN_HINTS`` ("strategisk"/"strategic" ->
        ``strategic_fit``, "partnerskap"/"partnership" -> ``partnership_willingness``,
        "kundeandel"/"kundandel"/"share of wallet"/"andel av kjøp"/"plånboksandel" ->
        ``share_of_wallet``, "relasjon"/"relationsstyrka"/"relation(ship)" ->
        ``relationship_strength``).
    """
    names = [str(column) for column in columns]
    found: dict[str, str] = {}
    taken: set[str] = set()
    # Hints are tried most specific first, over all columns, so "Relasjonsstyrke" wins over an
    # earlier "Relasjonsansvarlig" that only matches the looser "relasjon"; a column feeds one score.
    for score, hints in MANUAL_COLUMN_HINTS.items():
        for hint in hints:
            match = next((n for n in names if n not in taken and hint in n.casefold()), None)
            if match is not None:
                found[score] = match
                taken.add(match)
                break
    return found


def _as_score_number(values: pd.Series) -> pd.Series:
    """Numbers from a column that may hold text with a decimal comma."""
    if pd.api.types.is_numeric_dtype(values):
        return values.astype(float)
    text = values.astype("str").str.strip().str.replace(",", ".", regex=False)
    return pd.to_numeric(text, errors="coerce")


def manual_scores_from_table(raw: pd.DataFrame, id_column: str) -> pd.DataFrame:
    """Manual 1-5 scores found in a raw accounts table, as a scores frame.

    Parameters
    ----------
    raw : DataFrame
        The uploaded accounts table with its original column names.
    id_column : str
        The column holding the customer id (the table's ``customer_id`` mapping).

    Returns
    -------
    DataFrame
        ``customer_id`` plus one column per score found by ``manual_score_columns``;
        values outside 1-5 or not numbers become missing.
    """
    require_columns(raw, (id_column,), "accounts")
    found = manual_score_columns(c for c in raw.columns if c != id_column)
    out = pd.DataFrame({"customer_id": raw[id_column].astype("str")})
    for score, column in found.items():
        numbers = _as_score_number(raw[column])
        out[score] = numbers.where(numbers.between(MANUAL_MIN, MANUAL_MAX))
    out = out.loc[raw[id_column].notna().to_numpy()]
    return out.drop_duplicates("customer_id").reset_index(drop=True)


def validate_manual_scores(scores: pd.DataFrame, names: Iterable[str]) -> pd.DataFrame:
    """Check that entered scores are numbers from 1 to 5; return them as floats.

    Parameters
    ----------
    scores : DataFrame
        ``customer_id`` plus score columns; empty cells mean "not scored yet".
    names : iterable of str
        The score columns to check (absent ones are ignored).

    Returns
    -------
    DataFrame
        The same rows with the score columns as float.
    """
    require_columns(scores, ("customer_id",), "manual scores")
    out = scores.copy()
    out["customer_id"] = out["customer_id"].astype("str")
    for name in names:
        if name not in out.columns:
            continue
        raw = out[name]
        numbers = _as_score_number(raw)
        given = raw.notna() & (raw.astype("str").str.strip() != "")
        bad = given & ~numbers.between(MANUAL_MIN, MANUAL_MAX)
        if bad.any():
            position = int(np.flatnonzero(bad.to_numpy())[0])
            raise KamError(
                "selection.manual_score_out_of_range",
                "Account {customer}, score '{score}': '{value}' is not a number from 1 to 5.",
                customer=str(out["customer_id"].iloc[position]),
                score=name,
                value=str(raw.iloc[position]),
            )
        out[name] = numbers
    return out


def manual_scores_payload(
    scores: pd.DataFrame,
    names: Iterable[str],
    user: str,
    now: dt.datetime,
    previous: Mapping[str, Any] | None = None,
    keep: Iterable[str] = (),
) -> dict[str, Any]:
    """The JSON payload that stores manual scores with who changed each row and when.

    Parameters
    ----------
    scores : DataFrame
        ``customer_id``, the score columns and optionally ``note``.
    names : iterable of str
        The score names to store.
    user : str
        Who is saving.
    now : datetime
        When; stored as ISO 8601.
    previous : dict, optional
        The payload saved before; rows whose scores and note did not change keep their
        earlier ``by``/``at``.
    keep : iterable of str
        Customer ids whose row is stored even when empty, so a score the team cleared
        stays cleared instead of falling back to the uploaded table's value. Rows of
        ``previous`` are always kept.

    Returns
    -------
    dict
        ``{"rows": {customer_id: {"scores": {name: value}, "note": str, "by": user,
        "at": iso}}, "updated_by": user, "updated_at": iso}``; other rows with no score
        and no note are left out.
    """
    names = list(names)
    checked = validate_manual_scores(scores, names)
    before = dict((previous or {}).get("rows", {}))
    keep_set = {str(k) for k in keep} | set(before)
    rows: dict[str, dict[str, Any]] = {}
    stamp = now.isoformat(timespec="seconds")
    notes = checked["note"] if "note" in checked.columns else pd.Series("", index=checked.index)
    for position, customer in enumerate(checked["customer_id"]):
        old = before.get(customer)
        # Scores of criteria not in ``names`` (one the team removed for now) stay as saved.
        values = {k: v for k, v in (old or {}).get("scores", {}).items() if k not in names}
        values |= {
            name: float(checked[name].iloc[position])
            for name in names
            if name in checked.columns and pd.notna(checked[name].iloc[position])
        }
        note_value = notes.iloc[position]
        note = "" if pd.isna(note_value) else str(note_value).strip()
        if not values and not note and customer not in keep_set:
            continue
        unchanged = old is not None and old.get("scores") == values and old.get("note") == note
        rows[customer] = {
            "scores": values,
            "note": note,
            "by": old["by"] if unchanged else user,
            "at": old["at"] if unchanged else stamp,
        }
    return {"rows": rows, "updated_by": user, "updated_at": stamp}


def same_scores(first: Mapping[str, Any] | None, second: Mapping[str, Any] | None) -> bool:
    """True when two payloads hold the same scores and notes (who/when ignored)."""

    def content(payload: Mapping[str, Any] | None) -> dict[str, Any]:
        rows = (payload or {}).get("rows") or {}
        return {c: (r.get("scores") or {}, r.get("note", "")) for c, r in rows.items()}

    return content(first) == content(second)


def manual_scores_from_payload(payload: Mapping[str, Any] | None, names: Iterable[str]) -> pd.DataFrame:
    """The scores frame (``customer_id``, scores, ``note``, ``by``, ``at``) from a payload."""
    names = list(names)
    records = []
    for customer, row in ((payload or {}).get("rows") or {}).items():
        scores = row.get("scores") or {}
        records.append(
            {
                "customer_id": str(customer),
                **{name: scores.get(name) for name in names},
                "note": row.get("note", ""),
                "by": row.get("by", ""),
                "at": row.get("at", ""),
            }
        )
    columns = ["customer_id", *names, "note", "by", "at"]
    frame = pd.DataFrame.from_records(records, columns=columns)
    for name in names:
        frame[name] = pd.to_numeric(frame[name], errors="coerce").astype(float)
    return frame


def combine_manual_scores(saved: pd.DataFrame, initial: pd.DataFrame | None) -> pd.DataFrame:
    """Saved scores, with the uploaded table's values for accounts nobody has saved yet.

    An account with a saved row keeps exactly that row (a score the team cleared stays
    empty); every other account takes its values from ``initial``.
    """
    if initial is None or initial.empty:
        return saved.copy()
    extra = initial.assign(customer_id=initial["customer_id"].astype("str"))
    extra = extra.loc[~extra["customer_id"].isin(saved["customer_id"].astype("str"))]
    columns = list(dict.fromkeys([*saved.columns, *initial.columns]))
    parts = [frame for frame in (saved, extra) if not frame.empty]
    if not parts:
        return pd.DataFrame(columns=columns)
    combined = pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0].copy()
    return combined.reindex(columns=columns).reset_index(drop=True)

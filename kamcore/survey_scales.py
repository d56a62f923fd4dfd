"""Numeric scales and text label sets of the simple survey helpers (health score, account page).

The survey page uses ``kamcore.survey_labels`` (nb/sv/da/en label families) through
``kamcore.survey_prepare``; this module keeps the small fixed label sets and the
known-scale detection that the account page's survey summary relies on.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from kamcore.errors import KamError
from kamcore.survey_model import _blank, _norm

#: Known numeric scales, smallest first: an item gets the smallest one holding all its answers.
KNOWN_SCALES: tuple[tuple[int, int], ...] = ((1, 5), (1, 7), (1, 10), (0, 10))

# --------------------------------------------------------------------------------------
# Scales and text labels
# --------------------------------------------------------------------------------------

#: Ordered label scales; each position lists accepted spellings (matched case-insensitively).
LABEL_SCALES: dict[str, list[tuple[str, ...]]] = {
    "nb_agree_7": [
        ("helt uenig",),
        ("uenig",),
        ("litt uenig", "delvis uenig"),
        ("nøytral", "verken enig eller uenig", "verken eller", "hverken enig eller uenig"),
        ("litt enig", "delvis enig"),
        ("enig",),
        ("helt enig",),
    ],
    "nb_agree_5": [
        ("helt uenig",),
        ("uenig", "litt uenig", "delvis uenig"),
        ("nøytral", "verken enig eller uenig", "verken eller", "hverken enig eller uenig"),
        ("enig", "litt enig", "delvis enig"),
        ("helt enig",),
    ],
    "nb_satisfied_5": [
        ("svært misfornøyd", "veldig misfornøyd", "meget misfornøyd"),
        ("misfornøyd",),
        ("verken fornøyd eller misfornøyd", "nøytral"),
        ("fornøyd",),
        ("svært fornøyd", "veldig fornøyd", "meget fornøyd"),
    ],
    "sv_agree_5": [
        ("instämmer inte alls",),
        ("instämmer inte", "instämmer i liten grad", "tar delvis avstånd"),
        ("varken eller", "neutral", "instämmer varken eller", "varken instämmer eller tar avstånd"),
        ("instämmer", "instämmer delvis", "instämmer i stor grad", "instämmer till stor del"),
        ("instämmer helt",),
    ],
    "sv_agree_7": [
        ("instämmer inte alls",),
        ("instämmer inte",),
        ("instämmer delvis inte", "instämmer i liten grad"),
        ("varken eller", "neutral", "instämmer varken eller"),
        ("instämmer delvis",),
        ("instämmer", "instämmer i stor grad", "instämmer till stor del"),
        ("instämmer helt",),
    ],
    "sv_satisfied_5": [
        ("mycket missnöjd",),
        ("missnöjd", "ganska missnöjd"),
        ("varken nöjd eller missnöjd", "neutral", "varken eller"),
        ("nöjd", "ganska nöjd"),
        ("mycket nöjd",),
    ],
    "sv_satisfied_7": [
        ("mycket missnöjd",),
        ("missnöjd",),
        ("något missnöjd", "ganska missnöjd"),
        ("varken nöjd eller missnöjd", "neutral", "varken eller"),
        ("något nöjd", "ganska nöjd"),
        ("nöjd",),
        ("mycket nöjd",),
    ],
    "en_agree_5": [
        ("strongly disagree",),
        ("disagree", "somewhat disagree"),
        ("neither agree nor disagree", "neutral", "neither agree or disagree"),
        ("agree", "somewhat agree"),
        ("strongly agree",),
    ],
    "en_agree_7": [
        ("strongly disagree",),
        ("disagree",),
        ("somewhat disagree", "slightly disagree"),
        ("neither agree nor disagree", "neutral", "neither agree or disagree"),
        ("somewhat agree", "slightly agree"),
        ("agree",),
        ("strongly agree",),
    ],
    "en_satisfied_5": [
        ("very dissatisfied",),
        ("dissatisfied", "somewhat dissatisfied"),
        ("neither satisfied nor dissatisfied", "neutral"),
        ("satisfied", "somewhat satisfied"),
        ("very satisfied",),
    ],
}

_LEADING_NUMBER = re.compile(r"^\s*(\d{1,2})\s*(?:[-–=:.)]\s*|\s+)\S")


def _label_sets() -> list[tuple[str, dict[str, int]]]:
    """(name, label -> number) for every known label scale, smallest scale first."""
    out = []
    for name, positions in LABEL_SCALES.items():
        lookup = {spelling: i + 1 for i, spellings in enumerate(positions) for spelling in spellings}
        out.append((name, lookup))
    out.sort(key=lambda pair: max(pair[1].values()))
    return out


def guess_label_mapping(values: Iterable[object]) -> dict[str, int]:
    """Map the distinct text answers of one or more items to scale numbers.

    Parameters
    ----------
    values : iterable
        Answers as given in the file (blanks are ignored).

    Returns
    -------
    dict
        Original label -> number (1 = the most negative label). Empty when the labels
        match no known scale and carry no leading number. The user may correct it and
        pass it to :func:`apply_label_mapping`.

    Notes
    -----
    The smallest known scale that contains every label, with different labels on
    different points, wins ("Uenig, Enig, Helt enig" is read as the 5-point scale unless a
    7-point-only label such as "Litt enig" occurs).
    Labels written as "1 - Helt uenig" use their leading number.
    """
    labels = sorted({str(v).strip() for v in values if not _blank(v)})
    if not labels:
        return {}
    numbered = {lab: _LEADING_NUMBER.match(lab) for lab in labels}
    if all(numbered.values()):
        return {lab: int(m.group(1)) for lab, m in numbered.items() if m}
    normalised = {lab: _norm(lab) for lab in labels}
    for _name, lookup in _label_sets():
        if all(n in lookup for n in normalised.values()):
            mapping = {lab: lookup[n] for lab, n in normalised.items()}
            # Two different labels on one point means the answers come from a longer scale.
            if len(set(mapping.values())) == len(set(normalised.values())):
                return mapping
    return {}


def label_scale_size(mapping: Mapping[str, int]) -> int | None:
    """Number of points of the known label scale that ``mapping`` came from, if any."""
    normalised = {_norm(k): v for k, v in mapping.items()}
    for _name, lookup in _label_sets():
        if normalised and all(k in lookup and lookup[k] == v for k, v in normalised.items()):
            return max(lookup.values())
    return None


def apply_label_mapping(df: pd.DataFrame, items: Sequence[str], mapping: Mapping[str, float]) -> pd.DataFrame:
    """Replace text answers in ``items`` by numbers using ``mapping``.

    Parameters
    ----------
    df : DataFrame
        Responses, one row per respondent.
    items : sequence of str
        Columns to convert; numeric columns are left as they are.
    mapping : mapping
        Label -> number; matched case- and whitespace-insensitively. Numbers written as
        text ("5", "5,0") are accepted without a mapping entry.

    Returns
    -------
    DataFrame
        A copy with the item columns as floats.

    Raises
    ------
    KamError
        ``survey.unmapped_label`` naming the row and column of the first answer that is
        neither a number nor in the mapping.
    """
    lookup = {_norm(k): float(v) for k, v in mapping.items()}
    out = df.copy()
    for col in items:
        if col not in out.columns:
            raise KamError("survey.item_missing", "Column '{column}' is not in the survey.", column=col)
        s = out[col]
        if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
            out[col] = s.astype(float)
            continue
        text = s.astype("string").str.strip()
        mapped = text.map(lambda v: lookup.get(_norm(v), np.nan) if not pd.isna(v) else np.nan)
        mapped = pd.to_numeric(mapped, errors="coerce").astype(float)
        as_number = pd.to_numeric(text.str.replace(",", ".", regex=False), errors="coerce").astype(float)
        values = mapped.fillna(as_number)
        bad = values.isna() & text.notna() & (text != "")
        if bad.any():
            position = int(np.flatnonzero(bad.to_numpy())[0])
            raise KamError(
                "survey.unmapped_label",
                "Row {row}, column '{column}': the answer '{value}' has no number in the scale mapping.",
                row=position + 2,
                column=str(col),
                value=str(text.iloc[position]),
            )
        out[col] = values
    return out


def detect_scales(df: pd.DataFrame, items: Sequence[str]) -> pd.DataFrame:
    """Detect the answer scale of each item on the old fixed list (1–5, 1–7, 1–10, 0–10).

    Legacy: nothing in the app uses it any more — the survey page, ``survey_items``, the account page
    and health all take their scales from :func:`kamcore.survey_prepare.prepare_survey` (any range,
    header hints, label sets, shifts). Kept for the old import path ``kamcore.survey_ingest``.

    Parameters
    ----------
    df : DataFrame
        Responses (numbers, numbers as text, or text labels).
    items : sequence of str
        Columns to inspect.

    Returns
    -------
    DataFrame
        Columns ``item``, ``scale_min``, ``scale_max``, ``kind``. ``kind`` is
        ``"numeric"`` (answers are whole numbers within 1–5, 1–7, 1–10 or 0–10: the
        smallest of these that holds them all), ``"labels"`` (text matching a known label
        scale; 1..points) or ``"other"`` (anything else: free text, ids, amounts; the
        observed minimum and maximum when numeric, else NaN).
    """
    rows = []
    for col in items:
        s = df[col]
        numbers = s if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s) else None
        if numbers is None:
            text = s.astype("string").str.strip().replace("", pd.NA)
            parsed = pd.to_numeric(text.str.replace(",", ".", regex=False), errors="coerce")
            if text.notna().any() and parsed.notna().sum() == text.notna().sum():
                numbers = parsed
        if numbers is not None:
            v = numbers.dropna().astype(float)
            whole = bool(len(v)) and bool(np.all(np.isclose(v, np.round(v))))
            lo, hi = (float(v.min()), float(v.max())) if len(v) else (np.nan, np.nan)
            scale = next((sc for sc in KNOWN_SCALES if whole and sc[0] <= lo and hi <= sc[1]), None)
            if scale is not None:
                rows.append((col, float(scale[0]), float(scale[1]), "numeric"))
            else:
                rows.append((col, lo, hi, "other"))
            continue
        mapping = guess_label_mapping(s)
        if mapping:
            points = label_scale_size(mapping) or max(mapping.values())
            rows.append((col, 1.0, float(points), "labels"))
        else:
            rows.append((col, np.nan, np.nan, "other"))
    return pd.DataFrame(rows, columns=["item", "scale_min", "scale_max", "kind"])


def reverse_items(
    df: pd.DataFrame,
    items: Sequence[str],
    scale_min: float | Mapping[str, float],
    scale_max: float | Mapping[str, float],
) -> pd.DataFrame:
    """Reverse-code ``items``: x -> scale_min + scale_max - x.

    ``scale_min``/``scale_max`` are numbers or per-item mappings (e.g. from
    :func:`detect_scales`). Returns a copy; other columns are untouched.
    """
    out = df.copy()
    for col in items:
        lo = scale_min[col] if isinstance(scale_min, Mapping) else scale_min
        hi = scale_max[col] if isinstance(scale_max, Mapping) else scale_max
        out[col] = lo + hi - pd.to_numeric(out[col], errors="coerce").astype(float)
    return out

"""Survey ingest: wide/long layouts, two-row headers, scales, text labels and the item dictionary.

Everything here works on a DataFrame that has already been read from a file
(``kamcore.ingest.load_file``); for two-row headers it works on the frame as read
with ``header=None`` (or with the first header row already used as column names).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from typing import Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from kamcore.errors import KamError
from kamcore.survey_model import (  # noqa: F401 - re-exported: the data model lives in survey_model
    DICTIONARY_COLUMNS,
    ROLES,
    ItemDictionary,
    ItemRow,
    Role,
)

#: Known numeric scales, smallest first: an item gets the smallest one holding all its answers.
KNOWN_SCALES: tuple[tuple[int, int], ...] = ((1, 5), (1, 7), (1, 10), (0, 10))

KEY_AREAS: tuple[str, ...] = ("accuracy", "availability", "adaptation", "advice")
SERVQUAL: tuple[str, ...] = ("tangibles", "reliability", "responsiveness", "assurance", "empathy")


# --------------------------------------------------------------------------------------
# Text helpers
# --------------------------------------------------------------------------------------


def _norm(text: object) -> str:
    """Case-folded, accent-preserving, whitespace-collapsed text for matching."""
    s = unicodedata.normalize("NFC", str(text)).casefold().strip()
    return re.sub(r"\s+", " ", s)


def _blank(value: object) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and np.isnan(value):
        return True
    if value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, str) and not value.strip()


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
    # The answers under the candidate row: a sample is enough to tell numbers and labels from texts.
    body = raw.iloc[text_row + 1 : text_row + 201]
    if all(_blank(v) or _IMPORT_ID.match(str(v)) for v in body.iloc[0]):
        body = body.iloc[1:]
    head = raw.iloc[text_row]
    votes = total = 0
    for col in raw.columns:
        text = body[col].astype("string").str.strip().replace("", pd.NA).dropna()
        if text.empty:
            continue
        numbers = pd.to_numeric(text.str.replace(",", ".", regex=False), errors="coerce")
        labels: set[str] = set()
        if numbers.notna().mean() < 0.8:
            labels = {_norm(v) for v in guess_label_mapping(text)}
            if not labels:
                continue
        total += 1
        cell = head[col]
        if _blank(cell) or (labels and guess_label_mapping([*text, cell])):
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
    """Detect the answer scale of each item.

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


# --------------------------------------------------------------------------------------
# Item dictionary
# --------------------------------------------------------------------------------------

_ROLE_PREFIX = {
    "e": "expectation",
    "exp": "expectation",
    "f": "expectation",
    "p": "perception",
    "perc": "perception",
    "o": "perception",
    "i": "importance",
    "imp": "importance",
    "v": "importance",
    "perf": "performance",
}
_PREFIX_RE = re.compile(r"^(e|exp|p|perc|i|imp|perf)[_\-. ](.+)$", re.IGNORECASE)
_SUFFIX_RE = re.compile(r"^(.+?)[_\-. ](e|exp|p|perc|i|imp|perf)$", re.IGNORECASE)

_ROLE_WORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("expectation", ("forventning", "forventer", "förväntan", "förväntning", "expectation", "expect")),
    (
        "perception",
        ("opplevelse", "opplevd", "upplevelse", "upplevd", "perception", "perceived", "experience"),
    ),
    ("importance", ("viktighet", "viktig", "vikt", "importance", "important")),
    ("performance", ("prestasjon", "ytelse", "prestation", "performance")),
)

DIMENSION_CODES = {  # short codes in headers -> dimension names (also used by survey_prepare)
    "acc": "accuracy",
    "ava": "availability",
    "ada": "adaptation",
    "adv": "advice",
    "tan": "tangibles",
    "rel": "reliability",
    "res": "responsiveness",
    "resp": "responsiveness",
    "ass": "assurance",
    "emp": "empathy",
}
_DIMENSION_CODE_RE = re.compile(
    r"^(acc|ava|ada|adv|tan|rel|resp|res|ass|emp)[a-z]*[_\-. ]?\d+[a-z]?$", re.IGNORECASE
)
_DIMENSION_WORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("accuracy", ("nøyaktighet", "noggrannhet", "accuracy", "presisjon")),
    ("availability", ("tilgjengelighet", "tillgänglighet", "availability")),
    ("adaptation", ("tilpasning", "anpassning", "adaptation", "customisation", "customization")),
    ("advice", ("rådgivning", "advice", "rådgiving")),
    ("tangibles", ("tangibles", "fysiske omgivelser", "fysisk miljö")),
    ("reliability", ("reliability", "pålitelighet", "tillförlitlighet")),
    ("responsiveness", ("responsiveness", "reaksjonsevne", "lydhørhet", "lyhördhet")),
    ("assurance", ("assurance", "trygghet", "säkerhet")),
    ("empathy", ("empathy", "empati")),
)
_REVERSE_RE = re.compile(r"([_\-. ](r|rev|reversed)$)|(\(r\)$)", re.IGNORECASE)
_REVERSE_WORDS = ("reversed", "reverse-coded", "omvendt", "omvänd")


def _split_role(code: str) -> tuple[str | None, str]:
    """(role from a prefix/suffix code or None, the stem without it)."""
    m = _PREFIX_RE.match(code)
    if m:
        return _ROLE_PREFIX[m.group(1).lower()], m.group(2)
    m = _SUFFIX_RE.match(code)
    if m:
        return _ROLE_PREFIX[m.group(2).lower()], m.group(1)
    return None, code


def _word_in(text: str, words: Iterable[str]) -> bool:
    t = _norm(text)
    return any(re.search(rf"(?<![\w]){re.escape(w)}", t) for w in words)


def guess_item_dictionary(
    columns: Sequence[str], question_texts: Mapping[str, str] | None = None
) -> pd.DataFrame:
    """Guess question text, dimension, role, pair and reverse flag for each item column.

    Parameters
    ----------
    columns : sequence of str
        The item columns (not respondent attributes).
    question_texts : mapping, optional
        Item -> question text, e.g. from :func:`merge_two_row_header`; the column name is
        used as text when absent.

    Returns
    -------
    DataFrame
        Columns ``item``, ``question``, ``dimension`` ("" when unknown), ``role``,
        ``pair`` ("" when the item has no partner), ``reverse`` (bool).

    Notes
    -----
    Role: a prefix or suffix ``E_``/``P_``/``I_`` (also ``Exp_``, ``Perc_``, ``Imp_``,
    ``Perf_``) or the words forventning/opplevelse/viktighet/prestasjon (Swedish
    förväntan/upplevelse/vikt/prestation, English expectation/perception/importance/
    performance) in the question. When a survey has ``I_`` and ``P_`` items but no ``E_``
    items, ``P_`` means performance. A pair is the shared stem of an expectation and a
    perception (or importance and performance) item: ``E_acc1`` + ``P_acc1`` -> ``acc1``.
    Dimension: stem codes ``acc``/``ava``/``ada``/``adv`` (the four key areas) or
    ``tan``/``rel``/``res``/``ass``/``emp`` (SERVQUAL) followed by a number, or the
    dimension's name in the question.
    """
    texts = dict(question_texts or {})
    parsed = []
    for col in columns:
        code = str(col)
        question = str(texts.get(code) or code)
        role, stem = _split_role(code)
        if role is None:
            for candidate, words in _ROLE_WORDS:
                if _word_in(question, words):
                    role = candidate
                    break
            stem = code
        parsed.append([code, question, role, stem])

    roles = {p[2] for p in parsed}
    if "importance" in roles and "perception" in roles and "expectation" not in roles:
        for p in parsed:
            if p[2] == "perception":
                p[2] = "performance"

    stems: dict[tuple[str, str], list[int]] = {}
    for i, (_, _, role, stem) in enumerate(parsed):
        if role is not None:
            stems.setdefault((_norm(stem), role), []).append(i)
    rows = []
    for code, question, role, stem in parsed:
        pair = ""
        if role is not None:
            partner = {
                "expectation": "perception",
                "perception": "expectation",
                "importance": "performance",
                "performance": "importance",
            }[role]
            key = _norm(stem)
            if len(stems.get((key, role), [])) == 1 and len(stems.get((key, partner), [])) == 1:
                pair = stem
        dimension = ""
        m = _DIMENSION_CODE_RE.match(stem)
        if m:
            dimension = DIMENSION_CODES[m.group(1).lower()]
        else:
            for name, words in _DIMENSION_WORDS:
                if _word_in(question, words) or _word_in(code, words):
                    dimension = name
                    break
        reverse = bool(_REVERSE_RE.search(code)) or _word_in(question, _REVERSE_WORDS)
        rows.append((code, question, dimension, role or "plain", pair, reverse, np.nan, np.nan))
    return pd.DataFrame(rows, columns=list(DICTIONARY_COLUMNS)).astype(
        {"item": str, "question": str, "dimension": str, "role": str, "pair": str, "reverse": bool,
         "scale_min": float, "scale_max": float}
    )


# --------------------------------------------------------------------------------------
# Respondent attributes and incomplete responses
# --------------------------------------------------------------------------------------


class RespondentAttributes(BaseModel):
    """Which column holds each respondent attribute (None when the survey has none)."""

    respondent: str | None = None
    group: str | None = None
    account: str | None = None
    churned: str | None = None
    segment: str | None = None

    def columns(self) -> list[str]:
        """The attribute columns that were found."""
        return [c for c in (self.respondent, self.group, self.account, self.churned, self.segment) if c]


_GROUP_CUSTOMER = ("kunde", "kunder", "kund", "kunden", "customer", "customers", "client")
_GROUP_SUPPLIER = (
    "leverandør",
    "leverandor",
    "leverantör",
    "leverantor",
    "supplier",
    "staff",
    "ansatt",
    "ansatte",
    "personal",
    "anställd",
    "selger",
    "säljare",
    "employee",
)
_TRUE_WORDS = (
    "ja",
    "yes",
    "y",
    "j",
    "1",
    "true",
    "sant",
    "tapt",
    "lost",
    "churned",
    "churn",
    "förlorad",
    "forlorad",
    "avsluttet",
    "x",
    "1.0",
)
_FALSE_WORDS = ("nei", "no", "n", "nej", "0", "false", "usant", "aktiv", "active", "kept", "0.0")

_NAME_HINTS = {
    "respondent": _RESPONDENT_NAMES,
    "group": ("gruppe", "group", "grupp", "respondentgruppe", "rolle", "roll", "respondent type", "type"),
    "account": (
        "kundenr",
        "kundenummer",
        "kunde_id",
        "kundeid",
        "kundnr",
        "kundnummer",
        "customer_id",
        "customerid",
        "account",
        "account_id",
        "konto",
        "customer number",
        "kunde nr",
    ),
    "churned": ("tapt", "churned", "lost", "churn", "förlorad", "forlorad", "status", "tapt kunde"),
    "segment": ("segment", "kundesegment", "kundsegment", "cluster"),
}


def _values_are(s: pd.Series, words: Sequence[str]) -> bool:
    v = s.dropna().astype(str).map(_norm)
    v = v[v != ""]
    return len(v) > 0 and bool(v.isin(words).all())


def respondent_attributes(df: pd.DataFrame) -> RespondentAttributes:
    """Guess the respondent id, group, account id, churned flag and segment columns.

    Notes
    -----
    By header name first (Respondent, Gruppe/Group/Grupp, Kundenr/Kundnr/Customer id,
    Tapt/Churned/Lost/Status, Segment); a column whose values are all customer/supplier
    words (kunde/leverandør, kund/leverantör, customer/supplier/staff) is the group, and
    one whose values are all yes/no words (ja/nei, tapt/aktiv, yes/no, 1/0) and whose
    name hints at churn is the churned flag.
    """
    found: dict[str, str] = {}
    cols = list(df.columns)
    for attr, names in _NAME_HINTS.items():
        for col in cols:
            if col in found.values():
                continue
            if _norm(col) in names:
                found[attr] = col
                break
    if "group" not in found:
        for col in cols:
            if (
                col not in found.values()
                and not pd.api.types.is_numeric_dtype(df[col])
                and _values_are(df[col], _GROUP_CUSTOMER + _GROUP_SUPPLIER)
            ):
                found["group"] = col
                break
    if "churned" in found and not _values_are(df[found["churned"]], _TRUE_WORDS + _FALSE_WORDS):
        del found["churned"]
    return RespondentAttributes(**found)


def group_labels(values: pd.Series) -> pd.Series:
    """Normalise a group column to "customer" / "supplier" (NA when unrecognised)."""
    norm = values.astype("string").map(lambda v: _norm(v) if not pd.isna(v) else v)
    out = pd.Series(pd.NA, index=values.index, dtype="string")
    out[norm.isin(_GROUP_CUSTOMER).fillna(False).astype(bool)] = "customer"
    out[norm.isin(_GROUP_SUPPLIER).fillna(False).astype(bool)] = "supplier"
    return out


def churned_flag(values: pd.Series) -> pd.Series:
    """Normalise a churned column (ja/nei, tapt/aktiv, yes/no, 1/0) to booleans; blanks are False."""
    norm = values.astype("string").map(lambda v: _norm(v) if not pd.isna(v) else "")
    return norm.isin(_TRUE_WORDS).fillna(False).astype(bool)


class ExclusionReport(BaseModel):
    """What :func:`exclude_incomplete` kept and dropped."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    method: Literal["listwise", "pairwise"]
    n_before: int
    n_after: int
    n_dropped: int
    dropped_index: list = Field(default_factory=list)
    frame: pd.DataFrame


def exclude_incomplete(
    df: pd.DataFrame,
    items: Sequence[str],
    method: Literal["listwise", "pairwise"] = "listwise",
    group: str | None = None,
) -> ExclusionReport:
    """Drop incomplete responses, listwise or pairwise, and report how many went.

    Parameters
    ----------
    df : DataFrame
        Responses, one row per respondent.
    items : sequence of str
        The item columns that count.
    method : {"listwise", "pairwise"}
        ``"listwise"`` drops every respondent with a blank in any item; ``"pairwise"``
        keeps everyone who answered at least one item (each statistic then uses the
        answers available for it).
    group : str, optional
        Column with the respondent group. Items that nobody in a group answered (staff
        in a mirror survey answer only the expectation items) are ignored for that group.

    Returns
    -------
    ExclusionReport
        ``n_before``, ``n_after``, ``n_dropped``, the dropped index labels and the kept
        ``frame``.
    """
    if method not in ("listwise", "pairwise"):
        raise KamError("survey.bad_exclusion", "Unknown exclusion method '{method}'.", method=method)
    missing = [c for c in items if c not in df.columns]
    if missing:
        raise KamError("survey.item_missing", "Column '{column}' is not in the survey.", column=missing[0])
    answered = df[list(items)].notna()
    if group is not None:
        keys = df[group].astype("string").fillna("")
        relevant = answered.groupby(keys).transform("any")
    else:
        relevant = pd.DataFrame(True, index=df.index, columns=list(items))
    if method == "listwise":
        keep = (answered | ~relevant).all(axis=1) & answered.any(axis=1)
    else:
        keep = answered.any(axis=1)
    kept = df[keep]
    return ExclusionReport(
        method=method,
        n_before=len(df),
        n_after=len(kept),
        n_dropped=int((~keep).sum()),
        dropped_index=list(df.index[~keep]),
        frame=kept,
    )


def survey_items(df: pd.DataFrame, attributes: RespondentAttributes | None = None) -> list[str]:
    """Columns that look like scale items: numeric or text-label scales, not attribute columns."""
    attributes = attributes or respondent_attributes(df)
    skip = set(attributes.columns())
    candidates = [c for c in df.columns if c not in skip]
    scales = detect_scales(df, candidates)
    return scales.loc[scales["kind"] != "other", "item"].tolist()

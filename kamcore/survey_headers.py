"""The item dictionary guessed from header text: roles, pairs, dimensions, reverse markers."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from kamcore.survey_model import DICTIONARY_COLUMNS, _norm

KEY_AREAS: tuple[str, ...] = ("accuracy", "availability", "adaptation", "advice")
SERVQUAL: tuple[str, ...] = ("tangibles", "reliability", "responsiveness", "assurance", "empathy")

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
        {
            "item": str,
            "question": str,
            "dimension": str,
            "role": str,
            "pair": str,
            "reverse": bool,
            "scale_min": float,
            "scale_max": float,
        }
    )

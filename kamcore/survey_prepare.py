"""From an uploaded survey table to analysable answers: ``prepare_survey``.

One call turns a table as stored by the ingest (wide or long, with or without a row of question
texts, numbers or text labels on any scale) into a :class:`PreparedSurvey`:

* ``responses`` — one float column per item, respondents as rows, answers *as given*;
* ``dictionary`` — an :class:`~kamcore.survey_model.ItemDictionary` (question, dimension, role,
  pair, reverse key, scale) proposed from the headers and the data, or the user's own;
* ``attributes`` — respondent id, group, account, region, segment … (same index);
* ``excluded`` — every column that is neither an item nor an attribute, with the reason.

No column is dropped in silence: each column of the table is in exactly one of ``dictionary``,
``attributes`` and ``excluded``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from kamcore import survey_headers, survey_layout, survey_respondents
from kamcore.errors import KamError
from kamcore.survey_labels import LabelScale, choose_scale, normalise_label
from kamcore.survey_model import DICTIONARY_COLUMNS, ItemDictionary, ItemRow, apply_keys

#: Reverse-key suggestions need this many respondents who answered every item of the group.
MIN_COMPLETE_FOR_KEYS = 10

#: English sentence per exclusion reason (ui/locales/survey.json has ``survey.excluded_<code>`` in en/nb/sv).
EXCLUSION_SENTENCES: dict[str, str] = {
    "empty": "No answers at all.",
    "dates": "Dates and times, not answers on a scale.",
    "decimals": "Numbers with decimals (for example {example}), not answers on a scale.",
    "not_scale": "Whole numbers from {lo} to {hi}: not a rating scale.",
    "free_text": "Free text ({n} different answers).",
    "unknown_labels": "Text answers that match no known scale: {labels}. Give them numbers in the label table.",
    "removed": "Removed from the item dictionary.",
    "constant": "Everyone gave the same answer ({value}).",
}


class Exclusion(BaseModel):
    """Why a column is not analysed: ``code`` (``survey.excluded_<code>`` in the catalogue) and its params."""

    code: str
    params: dict[str, Any] = Field(default_factory=dict)

    @property
    def message(self) -> str:
        """The English sentence."""
        params = {k: f"{v:g}" if isinstance(v, float) else v for k, v in self.params.items()}
        return EXCLUSION_SENTENCES[self.code].format(**params)


class ScaleNote(BaseModel):
    """An item whose answers disagree with the scale its header names (values 1–11 under "(0-10)")."""

    item: str
    header_min: float
    header_max: float
    data_min: float
    data_max: float
    shift: float  # add this to the answers to put them on the header's scale
    applied: bool = False


class PreparedSurvey(BaseModel):
    """A survey ready for the statistics in :mod:`kamcore.survey`."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    responses: pd.DataFrame
    dictionary: ItemDictionary
    attributes: pd.DataFrame
    excluded: dict[str, Exclusion] = Field(default_factory=dict)
    #: attribute role -> column of ``attributes``: respondent, group, account, churned, segment,
    #: region, owner, respondent_segment (from a saved segmentation), purchase_months.
    attribute_roles: dict[str, str] = Field(default_factory=dict)
    label_scales: list[LabelScale] = Field(default_factory=list)
    label_columns: dict[str, int] = Field(default_factory=dict)  # item -> index into label_scales
    scale_notes: list[ScaleNote] = Field(default_factory=list)
    suggested_reverse: list[str] = Field(default_factory=list)
    layout: Literal["wide", "long", "two_row"] = "wide"

    def keyed(self) -> pd.DataFrame:
        """``responses`` with the dictionary's reverse-keyed items turned round."""
        return apply_keys(self.responses, self.dictionary)

    def attribute(self, role: str) -> pd.Series | None:
        """The attribute column of ``role`` (None when the survey has none)."""
        column = self.attribute_roles.get(role)
        return self.attributes[column] if column is not None and column in self.attributes else None

    def rows(self, index: pd.Index) -> PreparedSurvey:
        """The same survey for the respondents in ``index`` only (after filters and the missing-answer rule)."""
        return self.model_copy(update={"responses": self.responses.loc[index], "attributes": self.attributes.loc[index]})


# --------------------------------------------------------------------------------------
# Header hints
# --------------------------------------------------------------------------------------

_NUM = r"[-−+]?\d{1,3}"
_RANGE = rf"({_NUM})\s*(?:-|–|—|to|til|till|\.\.)\s*({_NUM})"
_BRACKETED = re.compile(rf"[\(\[\{{]\s*(?:skala\s*|scale\s*)?{_RANGE}\s*[\)\]\}}]", re.IGNORECASE)
_LOOSE = re.compile(rf"(?:^|\s)(?:skala\s*|scale\s*)?{_RANGE}(?:\s|$|[.,:;])", re.IGNORECASE)


def header_scale(header: str) -> tuple[float, float] | None:
    """A scale named in a header: ``(0-10)``, ``[1-5]``, ``1–7``, ``(-3 to +3)``, ``skala 1 til 100``.

    Examples
    --------
    >>> header_scale("Anbefaling (0-10)"), header_scale("Kvalitet 1–7"), header_scale("Q1-2")
    ((0.0, 10.0), (1.0, 7.0), None)
    """
    text = str(header)
    for pattern in (_BRACKETED, _LOOSE):
        for m in pattern.finditer(text):
            lo, hi = (float(g.replace("−", "-")) for g in m.groups())
            if -10 <= lo <= 1 and hi > lo + 1 and hi <= 100:
                return lo, hi
    return None


def _snap_scale(lo: float, hi: float) -> tuple[float, float]:
    """The scale a set of whole-number answers from ``lo`` to ``hi`` most likely came from.

    Symmetric around 0 when answers are negative (−3…+3); otherwise from 0 or 1 up to the
    observed maximum, or 100 for slider answers above 11.
    """
    if lo < 0:
        m = max(abs(lo), abs(hi))
        return -m, m
    low = 0.0 if lo == 0 else 1.0
    top = hi if hi <= 11 else 100.0
    return low, top


# --------------------------------------------------------------------------------------
# Roles, pairs and dimensions from headers
# --------------------------------------------------------------------------------------

_ROLE_WORDS: dict[str, tuple[str, ...]] = {
    "expectation": (
        "forventning",
        "forventninger",
        "forventet",
        "forventa",
        "förväntan",
        "förväntning",
        "förväntningar",
        "förväntat",
        "expectation",
        "expectations",
        "expected",
        "expect",
        "exp",
    ),
    "perception": (
        "opplevelse",
        "opplevd",
        "opplevelser",
        "erfaring",
        "erfaringer",
        "upplevelse",
        "upplevt",
        "upplevd",
        "oplevelse",
        "oplevet",
        "perception",
        "perceptions",
        "perceived",
        "experience",
        "experienced",
        "perc",
        "percep",
    ),
    "importance": (
        "viktighet",
        "viktig",
        "vikt",
        "vigtighed",
        "vigtig",
        "betydning",
        "importance",
        "important",
        "imp",
    ),
    "performance": (
        "tilfredshet",
        "tilfredshed",
        "nöjdhet",
        "prestasjon",
        "ytelse",
        "prestation",
        "præstation",
        "performance",
        "perf",
        "satisfaction",
    ),
}
#: Single letters that name a role only when the partner item with the same stem exists.
_ROLE_LETTERS = {
    "e": "expectation",
    "f": "expectation",
    "p": "perception",
    "o": "perception",
    "i": "importance",
    "v": "importance",
    "s": "performance",
}
#: Roles whose words alone (without a partner) are enough to set the role.
_STRONG_ROLES = ("expectation", "perception", "importance")
_PARTNER = {
    "expectation": "perception",
    "perception": "expectation",
    "importance": "performance",
    "performance": "importance",
}

_NOT_DIMENSIONS = {"q", "item", "items", "spm", "sp", "question", "spørsmål", "fråga", "v", "var", "x", ""}
_REVERSE_RE = re.compile(r"([_\-. ](r|rev|reversed)$)|(\(r\)$)", re.IGNORECASE)


def _fold(text: str) -> str:
    return unicodedata.normalize("NFC", str(text)).casefold().strip()


def _tokens(code: str) -> list[str]:
    """Header split at separators and at letter/digit boundaries: 'E_acc1' -> ['e', 'acc', '1']."""
    s = _fold(code)
    s = re.sub(r"[_\-.:/()\[\]#,]+", " ", s)
    s = re.sub(r"(?<=[^\W\d_])(?=\d)|(?<=\d)(?=[^\W\d_])", " ", s)
    return [t for t in s.split() if t]


def _role_split(code: str) -> tuple[str | None, bool, str]:
    """(role, strong, stem): the role a header names by a word or letter at its start or end, and the rest."""
    tokens = _tokens(code)
    if len(tokens) < 2:
        m = re.fullmatch(r"([a-z])(\d+[a-z]?)", _fold(code))
        if m and m.group(1) in _ROLE_LETTERS:
            return _ROLE_LETTERS[m.group(1)], False, m.group(2)
        return None, False, _fold(code)
    for index in (0, len(tokens) - 1):
        token = tokens[index]
        rest = " ".join(tokens[:index] + tokens[index + 1 :])
        for role, words in _ROLE_WORDS.items():
            if token in words:
                return role, role in _STRONG_ROLES, rest
        if token in _ROLE_LETTERS:
            return _ROLE_LETTERS[token], False, rest
    return None, False, " ".join(tokens)


def _dimension_prefix(stem: str) -> str:
    """Letters before the trailing number of a stem: 'acc 1' -> 'acc', 'a 3' -> 'a', '12' -> ''."""
    tokens = stem.split()
    if len(tokens) >= 2 and tokens[-1].isdigit():
        return " ".join(tokens[:-1])
    return ""


def guess_dictionary(
    items: Sequence[str],
    question_texts: Mapping[str, str] | None = None,
    scales: Mapping[str, tuple[float, float]] | None = None,
) -> ItemDictionary:
    """Propose question, dimension, role, pair, key and scale for each item.

    Parameters
    ----------
    items : sequence of str
        Item columns, in order.
    question_texts : mapping, optional
        Item -> question text (from a second header row); the item name otherwise.
    scales : mapping, optional
        Item -> (scale_min, scale_max).

    Notes
    -----
    Roles from a word at the start or end of the header (forventning/opplevelse/erfaring,
    förväntan/upplevelse, forventning/oplevelse, expectation/perception/experience,
    viktighet/tilfredshet, importance/performance, exp/perc …) or a single letter (``E1``/``P1``,
    ``e1``/``s1``, ``F``/``O``, suffixes ``_E``/``_P``); a letter, or a satisfaction/performance
    word, only counts when the partner item with the same stem exists. A pair is the shared
    stem of one expectation and one perception (or importance and performance) item.
    Dimensions: the letters before the number of the stem, when at least two items share
    them (``A1``..``A5`` -> ``A``; ``E_acc1`` -> ``accuracy``).
    """
    texts = dict(question_texts or {})
    scales = dict(scales or {})
    # Letters name roles only in a survey whose lettered items use just one pair of partner
    # letters (E/P, E/S, F/O, I/P …): A1..A5, C1..C5, E1..E5, O1..O5 are five dimensions.
    letters = {
        m.group(1) for item in items if (m := re.fullmatch(r"([a-z])[ _\-.]?\d+[a-z]?", _fold(str(item))))
    }
    letter_roles_ok = (
        len(letters) == 2
        and len({_ROLE_LETTERS.get(x) for x in letters} - {None}) == 2
        and {_ROLE_LETTERS.get(x) for x in letters}
        in (
            {"expectation", "perception"},
            {"importance", "performance"},
            {"importance", "perception"},
            {"expectation", "performance"},
        )
    )
    # I and P but no E: P is performance (importance–performance), as in I_/P_ exports.
    ip_only = letters == {"i", "p"}
    # E and S but no P: S is the satisfaction with what was delivered, the experience side of the gap.
    es_only = letters == {"e", "s"}
    parsed = []
    for item in items:
        role, strong, stem = _role_split(str(item))
        if role == "perception" and ip_only and not strong:
            role = "performance"
        if role == "performance" and es_only and not strong:
            role = "perception"
        if (
            role is not None
            and not strong
            and not letter_roles_ok
            and re.fullmatch(r"[a-z][ _\-.]?\d+[a-z]?", _fold(str(item)))
        ):
            role, stem = None, " ".join(_tokens(str(item)))
        parsed.append([str(item), role, strong, stem])
    stems: dict[tuple[str, str], list[int]] = {}
    for i, (_, role, _, stem) in enumerate(parsed):
        if role:
            stems.setdefault((stem, role), []).append(i)
    rows = []
    prefix_count: dict[str, int] = {}
    finals = []
    for item, role, strong, stem in parsed:
        pair = ""
        if role is not None:
            partner = _PARTNER[role]
            if len(stems.get((stem, role), [])) == 1 and len(stems.get((stem, partner), [])) == 1:
                pair = stem
            elif not strong:
                role, stem = None, " ".join(_tokens(item))
        prefix = _dimension_prefix(stem)
        prefix_count[prefix] = prefix_count.get(prefix, 0) + 1
        finals.append((item, role, pair, stem, prefix))
    pair_names: dict[str, str] = {}
    for _item, role, pair, _stem, _prefix in finals:
        if pair and role in ("expectation", "importance"):
            pair_names[pair] = re.sub(r"\s+", "", pair) if pair.replace(" ", "").isalnum() else pair
    for item, role, pair, _stem, prefix in finals:
        dimension = ""
        if prefix and prefix not in _NOT_DIMENSIONS and prefix_count.get(prefix, 0) >= 2:
            compact = prefix.replace(" ", "")
            dimension = survey_headers.DIMENSION_CODES.get(prefix, compact.upper() if len(compact) <= 3 else prefix)
        lo_hi = scales.get(item)
        rows.append(
            ItemRow(
                item=item,
                question=str(texts.get(item) or item),
                dimension=dimension,
                role=role or "plain",  # type: ignore[arg-type]
                pair=pair_names.get(pair, pair) if pair else "",
                reverse=bool(_REVERSE_RE.search(item)) and lo_hi is not None,
                scale_min=lo_hi[0] if lo_hi else None,
                scale_max=lo_hi[1] if lo_hi else None,
            )
        )
    return ItemDictionary(rows=rows)


# --------------------------------------------------------------------------------------
# Reverse keys: sign of the loading on the first principal component
# --------------------------------------------------------------------------------------


def suggest_reverse_keys(responses: pd.DataFrame, dictionary: ItemDictionary) -> list[str]:
    """Items whose loading on their group's first principal component is negative.

    Parameters
    ----------
    responses : DataFrame
        Answers as given.
    dictionary : ItemDictionary
        Groups are (dimension, role) with at least three items; items without a dimension
        form no group.

    Returns
    -------
    list of str
        Items to reverse, in dictionary order.

    Notes
    -----
    As R's ``psych::alpha(check.keys = TRUE)``: the first principal component of the items'
    correlation matrix (respondents who answered every item of the group, at least
    :data:`MIN_COMPLETE_FOR_KEYS`) is oriented so that most loadings are positive; items
    loading negatively are suggested as reverse-keyed. Only the sign is used.
    """
    groups: dict[tuple[str, str], list[str]] = {}
    for r in dictionary.rows:
        if r.dimension and r.item in responses.columns:
            groups.setdefault((r.dimension, r.role), []).append(r.item)
    out: set[str] = set()
    for items in groups.values():
        if len(items) < 3:
            continue
        data = responses[items].dropna().to_numpy(dtype=float)
        if len(data) < MIN_COMPLETE_FOR_KEYS or np.any(data.std(axis=0) == 0):
            continue
        corr = np.corrcoef(data, rowvar=False)
        values, vectors = np.linalg.eigh(corr)
        first = vectors[:, int(np.argmax(values))]
        if (first > 0).sum() < (first < 0).sum() or (
            (first > 0).sum() == (first < 0).sum() and first.sum() < 0
        ):
            first = -first
        out.update(item for item, loading in zip(items, first, strict=True) if loading < 0)
    return [r.item for r in dictionary.rows if r.item in out]


# --------------------------------------------------------------------------------------
# Column typing
# --------------------------------------------------------------------------------------

_ATTRIBUTE_WORDS = (
    "kjønn",
    "kjonn",
    "kön",
    "køn",
    "gender",
    "sex",
    "alder",
    "ålder",
    "age",
    "utdanning",
    "utdannelse",
    "utbildning",
    "education",
    "uddannelse",
    "region",
    "landsdel",
    "fylke",
    "län",
    "kommune",
    "kommun",
    "country",
    "land",
    "klasse",
    "class",
    "reiseklasse",
    "travel class",
    "resklass",
    "gruppe",
    "group",
    "grupp",
    "avdeling",
    "avdelning",
    "department",
    "stilling",
    "befattning",
    "role",
    "rolle",
    "segment",
    "selger",
    "säljare",
    "sælger",
    "salesperson",
    "owner",
    "kam",
    "bransje",
    "bransch",
    "branche",
    "industry",
    "timestamp",
    "tidsstempel",
    "tidsstämpel",
    "email",
    "e-post",
    "e-mail",
    "name",
    "navn",
    "namn",
    "status",
    "progress",
    "finished",
    "duration",
    "language",
    "språk",
    "userlanguage",
    "distributionchannel",
    "ipaddress",
    "ip address",
    "start date",
    "end date",
    "startdate",
    "enddate",
    "recordeddate",
    "collector id",
    "respondent id",
    "responseid",
    "idno",
    "cntry",
    "stratum",
    "psu",
)
_ROLE_ATTRIBUTE_WORDS = {
    "region": ("region", "landsdel", "fylke", "län", "district", "distrikt", "område"),
    "owner": (
        "selger",
        "säljare",
        "sælger",
        "salesperson",
        "owner",
        "kam",
        "account manager",
        "kundeansvarlig",
    ),
}
_ID_WORDS = (
    "id",
    "idno",
    "respondent",
    "respondent id",
    "response id",
    "responseid",
    "respondentid",
    "svarid",
    "svar id",
    "løpenummer",
    "lopenummer",
    "nr",
    "record id",
    "_recordid",
)


def _norm_header(text: object) -> str:
    s = _fold(str(text))
    s = re.sub(r"[_\-./:()\[\]#]+", " ", s)
    return re.sub(r"\s+", " ", s).strip()


def _is_attribute_header(header: str) -> bool:
    n = _norm_header(header)
    return n in _ATTRIBUTE_WORDS or n.replace(" ", "") in _ATTRIBUTE_WORDS


def _as_numbers(s: pd.Series) -> pd.Series | None:
    """The column as floats when every non-blank value is a number (text "5" and "5,0" too)."""
    if pd.api.types.is_bool_dtype(s):
        return None
    if pd.api.types.is_numeric_dtype(s):
        return s.astype(float)
    if pd.api.types.is_datetime64_any_dtype(s):
        return None
    codes, distinct = pd.factorize(s)  # each distinct answer parsed once, in plain Python (a handful)
    parsed: list[float] = []
    for value in distinct:
        text = str(value).strip()
        if not text:
            parsed.append(np.nan)
            continue
        try:
            number = float(text.replace(",", ".").replace("−", "-"))
        except ValueError:
            return None
        if not np.isfinite(number):
            return None
        parsed.append(number)
    if all(np.isnan(v) for v in parsed):
        return None
    lookup = np.append(np.asarray(parsed, dtype=float), np.nan)  # code -1 (missing) -> the last slot
    return pd.Series(lookup[codes], index=s.index, name=s.name)


class _Column(BaseModel):
    kind: Literal["item", "labels", "attribute", "excluded"]
    scale: tuple[float, float] | None = None
    exclusion: Exclusion | None = None
    note: ScaleNote | None = None


_DATE_LIKE = re.compile(
    r"^\s*\d{1,4}[-./]\d{1,2}[-./]\d{1,4}(?:[ T]\d{1,2}:\d{2}(?::\d{2})?(?:\.\d+)?Z?)?\s*$"
)


def _looks_like_dates(text: pd.Series) -> bool:
    sample = [str(v) for v in text.head(200).tolist()]
    return bool(sample) and sum(bool(_DATE_LIKE.match(v)) for v in sample) >= 0.9 * len(sample)



def _type_numeric(column: str, v: pd.Series) -> _Column:
    values = v.dropna()
    if values.empty:
        return _Column(kind="excluded", exclusion=Exclusion(code="empty"))
    whole = np.isclose(values.to_numpy(), np.round(values.to_numpy()))
    if not whole.all():
        example = float(values[~whole].iloc[0])
        return _Column(
            kind="excluded", exclusion=Exclusion(code="decimals", params={"example": example})
        )
    lo, hi = float(values.min()), float(values.max())
    hint = header_scale(column)
    if hint is None and lo in (0.0, 1.0) and hi == lo + 1 and values.nunique() == 2:
        return _Column(kind="attribute")  # yes/no coded 0/1 (or 1/2): a category, not a rating
    # Above 11 only sliders (answers from near 0 to near 100) are a scale; ages, years of schooling are not.
    slider = hi <= 100 and lo <= 10 and hi >= 50
    if lo < -10 or hi > 100 or (hi > 11 and not slider and hint is None) or (hint is None and hi == lo):
        if hi == lo and -10 <= lo <= 100:
            return _Column(kind="excluded", exclusion=Exclusion(code="constant", params={"value": lo}))
        return _Column(
            kind="excluded", exclusion=Exclusion(code="not_scale", params={"lo": lo, "hi": hi})
        )
    if hint is not None:
        h_lo, h_hi = hint
        if h_lo <= lo and hi <= h_hi:
            return _Column(kind="item", scale=hint)
        width = h_hi - h_lo
        for shift in (-1.0, 1.0):
            if h_lo <= lo + shift and hi + shift <= h_hi and hi - lo <= width:
                note = ScaleNote(
                    item=column, header_min=h_lo, header_max=h_hi, data_min=lo, data_max=hi, shift=shift
                )
                return _Column(kind="item", scale=(h_lo - shift, h_hi - shift), note=note)
    return _Column(kind="item", scale=_snap_scale(lo, hi))


def _numbered_family(header: str) -> tuple[str | None, bool]:
    """(family, has a role): ``Forventning 7`` and ``Opplevelse 12`` -> ``#``; ``E_acc1`` -> ``acc #``;
    ``Q3`` -> ``q #``; family None for a header without a number."""
    if not re.search(r"\d", str(header)):
        return None, False
    role, _strong, stem = _role_split(header)
    return re.sub(r"\d+", "#", stem), role is not None


def _sliders_by_family(typed: dict[str, _Column]) -> None:
    """In a survey with 0/1–100 sliders, a numbered column whose answers all stay above 10 (everybody
    expects a lot: ``E_acc1`` from 52 to 100) is a slider too when its header names a role (expectation,
    perception …) or it belongs to a numbered family of columns (``Forventning 1`` … ``23``); it gets the
    sliders' scale instead of being excluded as "not a rating scale". Unnumbered columns (age, years of
    schooling) are left as they are. Changes ``typed`` in place."""
    lows = [info.scale[0] for column, info in typed.items()
            if info.kind == "item" and info.scale is not None and info.scale[1] == 100.0 and header_scale(column) is None]
    if not lows:
        return
    low = min(lows)
    families: dict[str, int] = {}
    named: dict[str, tuple[str | None, bool]] = {}
    for column, info in typed.items():
        named[column] = _numbered_family(column)
        family = named[column][0]
        if family is not None and (info.kind == "item" or info.exclusion is not None and info.exclusion.code == "not_scale"):
            families[family] = families.get(family, 0) + 1
    for column, info in typed.items():
        family, has_role = named[column]
        if family is None or info.exclusion is None or info.exclusion.code != "not_scale":
            continue
        lo, hi = float(info.exclusion.params["lo"]), float(info.exclusion.params["hi"])
        if low <= lo and hi <= 100.0 and (has_role or families.get(family, 0) >= 2):
            typed[column] = _Column(kind="item", scale=(low, 100.0))


def _consensus_scales(
    scales: dict[str, tuple[float, float]], typed: Mapping[str, _Column]
) -> dict[str, tuple[float, float]]:
    """Items whose answers fit in the survey's most common scale get it (nobody used the top of E_ada3's 1–7).

    Only for scales taken from the answers alone: a header hint, a label scale or a shift keeps its own.
    """
    from_data = {
        c: sc
        for c, sc in scales.items()
        if typed[c].kind == "item" and typed[c].note is None and header_scale(c) is None
    }
    if not from_data:
        return scales
    out = dict(scales)
    for low in (0.0, 1.0):
        group = {c: sc for c, sc in from_data.items() if sc[0] == low and sc[1] <= 11}
        if not group:
            continue
        tops = sorted((sc[1] for sc in group.values()), reverse=True)
        # The survey's scale: the highest top that at least a quarter of these items reach.
        top = next(t for t in tops if sum(1 for x in tops if x >= t) >= max(1, 0.25 * len(tops)))
        for c, (_lo, hi) in group.items():
            if hi < top and top - hi <= 3:
                out[c] = (low, top)
    return out


def _attribute_roles(frame: pd.DataFrame, columns: Sequence[str]) -> dict[str, str]:
    found = survey_respondents.respondent_attributes(frame[list(columns)]) if columns else None
    roles = {k: v for k, v in (found.model_dump().items() if found else []) if v}
    taken = set(roles.values())
    for role, words in _ROLE_ATTRIBUTE_WORDS.items():
        for column in columns:
            if column not in taken and _norm_header(column) in words:
                roles[role] = column
                taken.add(column)
                break
    if "respondent" not in roles:
        for column in columns:
            if column not in taken and _norm_header(column) in _ID_WORDS:
                roles["respondent"] = column
                break
    return roles


# --------------------------------------------------------------------------------------
# prepare_survey
# --------------------------------------------------------------------------------------


def _wide(
    table: pd.DataFrame, question_texts: Mapping[str, str] | None
) -> tuple[pd.DataFrame, dict[str, str], str]:
    texts = dict(question_texts or {})
    if survey_layout.detect_layout(table) == "long":
        return survey_layout.to_wide(table), texts, "long"
    if not texts and survey_layout.has_two_row_header(table):
        merged = survey_layout.merge_two_row_header(table)
        return merged.frame, merged.question_texts, "two_row"
    return table.reset_index(drop=True), texts, "wide"


def prepare_survey(
    table: pd.DataFrame,
    dictionary: ItemDictionary | pd.DataFrame | None = None,
    *,
    accounts: pd.DataFrame | None = None,
    transactions: pd.DataFrame | None = None,
    segments: Mapping[str, Any] | None = None,
    question_texts: Mapping[str, str] | None = None,
    label_mapping: Mapping[str, float] | None = None,
    shifts: Mapping[str, float] | None = None,
    mapping: Mapping[str, str] | None = None,
    repeat_window_months: int = 12,
) -> PreparedSurvey:
    """Turn an uploaded survey table into answers, an item dictionary, attributes and exclusions.

    Parameters
    ----------
    table : DataFrame
        The survey as stored by the ingest: wide (one row per respondent), long
        (respondent, item, value) or with a row of question texts under the codes.
    dictionary : ItemDictionary or DataFrame, optional
        The user's dictionary. Its items are the analysed items (columns the user removed
        are excluded with reason ``removed``); without one it is proposed from the data.
    accounts : DataFrame, optional
        Canonical accounts (``customer_id``, ``status``, ``region``, ``owner`` …): lost
        accounts flag the churned respondents through the respondent's account.
    transactions : DataFrame, optional
        Canonical transactions: months with a purchase in the last ``repeat_window_months``.
    segments : mapping, optional
        A saved ``segment_assignment`` payload (``key`` = the respondent column, any case,
        or ``row_number``; ``labels`` key -> segment name).
    question_texts : mapping, optional
        Item -> question text (the ingest keeps a second header row here).
    label_mapping : mapping, optional
        Label -> number corrections; they override the proposed mapping and give numbers to
        unknown labels.
    shifts : mapping, optional
        Item -> number added to its answers (accept the offered shift of a ``ScaleNote``).
    mapping : mapping, optional
        The table's role mapping from the ingest (``customer_id``, ``segment``, ``region`` …).

    Returns
    -------
    PreparedSurvey

    Notes
    -----
    A column is an *item* when its answers are whole numbers on a rating scale (any range
    from −10…+10 to 0…100) or text labels of a known scale; the scale comes from the header
    (``(0-10)``, ``[1-5]``, ``1–7``) when the answers fit in it, else from the answers
    (0 or 1 up to the highest answer; 100 for sliders; symmetric around 0 for negatives).
    Answers 1–11 under a "0-10" header are kept on 1–11 with a :class:`ScaleNote` offering
    the shift. Respondent ids, groups, accounts, regions and other categories are
    attributes. Everything else is excluded with its reason.
    """
    wide, texts, layout = _wide(table, question_texts)
    wide.columns = [str(c) for c in wide.columns]
    mapping = dict(mapping or {})
    overrides = {
        normalise_label(k): float(v)
        for k, v in (label_mapping or {}).items()
        if v is not None and not pd.isna(v)
    }
    shifts = {k: float(v) for k, v in (shifts or {}).items()}

    columns = list(wide.columns)
    named = survey_respondents.respondent_attributes(wide).columns()
    attribute_cols = [
        c
        for c in columns
        if _is_attribute_header(c)
        or c in named
        or _norm_header(c) in _ID_WORDS
        or _norm_header(c).startswith("respondent")
    ]
    for role in ("customer_id", "segment", "region", "owner"):
        if mapping.get(role) in columns and mapping[role] not in attribute_cols:
            attribute_cols.append(mapping[role])
    typed: dict[str, _Column] = {}
    numbers: dict[str, pd.Series] = {}
    text_columns: list[str] = []
    distinct_text: dict[str, list[str]] = {}
    for column in columns:
        if column in attribute_cols:
            continue
        s = wide[column]
        if pd.api.types.is_datetime64_any_dtype(s):
            typed[column] = _Column(kind="excluded", exclusion=Exclusion(code="dates"))
            continue
        v = _as_numbers(s)
        if v is not None:
            numbers[column] = v
            info = _type_numeric(column, v)
            if info.kind == "attribute":
                attribute_cols.append(column)
            else:
                typed[column] = info
            continue
        # Each distinct answer once (a 3,000-respondent label column has a handful of them).
        text = pd.Series(pd.unique(s.dropna().astype(str)), dtype="string").str.strip()
        text = text[text != ""]
        if text.empty:
            typed[column] = _Column(kind="excluded", exclusion=Exclusion(code="empty"))
            continue
        if _looks_like_dates(text):
            typed[column] = _Column(kind="excluded", exclusion=Exclusion(code="dates"))
            continue
        distinct_text[column] = sorted(set(text.tolist()))
        text_columns.append(column)

    _sliders_by_family(typed)

    # Text columns: labels of a known scale (chosen from every label of those columns together), else attributes or free text.
    label_scales: list[LabelScale] = []
    label_columns: dict[str, int] = {}
    distinct: dict[str, list[str]] = distinct_text
    by_family: dict[tuple[str, str], list[str]] = {}
    unknown_sets: dict[tuple[str, ...], list[str]] = {}
    for column in text_columns:
        scale = choose_scale(distinct[column])
        labelled = (
            scale is not None
            and len(scale.mapping) >= max(1, len(distinct[column]) - len(scale.unknown))
            and (len(scale.unknown) <= len(scale.mapping))
        )
        if labelled:
            by_family.setdefault((scale.family, scale.language), []).append(column)
        elif all(normalise_label(lab) in overrides for lab in distinct[column]):
            by_family.setdefault(("user", ""), []).append(column)
        else:
            n = len(distinct[column])
            n_answers = int(wide[column].notna().sum())
            shared = sum(1 for other in text_columns if distinct[other] == distinct[column]) >= 2
            if shared and 3 <= n <= 11 and not _is_attribute_header(column):
                # The same few answers in several columns: a rating scale whose labels we do not know.
                typed[column] = _Column(
                    kind="excluded",
                    exclusion=Exclusion(
                        code="unknown_labels", params={"labels": ", ".join(distinct[column][:8])}
                    ),
                )
                unknown_sets.setdefault(tuple(distinct[column]), []).append(column)
            elif n <= 12 and n < 0.5 * max(n_answers, 1) or _is_attribute_header(column):
                attribute_cols.append(column)
            else:
                typed[column] = _Column(
                    kind="excluded", exclusion=Exclusion(code="free_text", params={"n": n})
                )
    for (family, _language), members in by_family.items():
        labels = sorted({lab for c in members for lab in distinct[c]})
        scale = choose_scale(labels) if family != "user" else None
        if scale is None:
            values_ = [overrides[normalise_label(lab)] for lab in labels]
            scale = LabelScale(
                family="user",
                language="",
                points=len(set(values_)),
                scale_min=min(values_),
                scale_max=max(values_),
                mapping={},
                unknown=[],
            )
        mapped = dict(scale.mapping)
        for lab in labels:
            if normalise_label(lab) in overrides:
                mapped[lab] = overrides[normalise_label(lab)]
        unknown = [lab for lab in labels if lab not in mapped]
        values_all = list(mapped.values())
        lo = min([scale.scale_min, *values_all]) if values_all else scale.scale_min
        hi = max([scale.scale_max, *values_all]) if values_all else scale.scale_max
        scale = scale.model_copy(
            update={"mapping": mapped, "unknown": unknown, "scale_min": lo, "scale_max": hi}
        )
        index = len(label_scales)
        label_scales.append(scale)
        lookup = {normalise_label(k): v for k, v in mapped.items()}
        for column in members:
            label_columns[column] = index
            missing = [lab for lab in distinct[column] if normalise_label(lab) not in lookup]
            if missing:
                typed[column] = _Column(
                    kind="excluded",
                    exclusion=Exclusion(code="unknown_labels", params={"labels": ", ".join(missing[:8])}),
                )
                continue
            codes, uniq = pd.factorize(wide[column])  # each distinct label looked up once
            values = [lookup.get(normalise_label(str(u).strip()), np.nan) for u in uniq]
            lookup_array = np.array([*values, np.nan], dtype=float)  # code -1 (blank) -> the last slot
            numbers[column] = pd.Series(lookup_array[codes], index=wide.index, name=column)
            typed[column] = _Column(kind="labels", scale=(lo, hi))

    for labels_, members in unknown_sets.items():
        index = len(label_scales)
        label_scales.append(
            LabelScale(
                family="unknown",
                language="",
                points=len(labels_),
                scale_min=1.0,
                scale_max=float(len(labels_)),
                mapping={},
                unknown=list(labels_),
            )
        )
        for column in members:
            label_columns[column] = index

    # Attribute roles.
    roles = _attribute_roles(wide, attribute_cols)
    if mapping.get("customer_id") in attribute_cols and "account" not in roles:
        roles["account"] = mapping["customer_id"]
    for role in ("segment", "region", "owner"):
        if mapping.get(role) in attribute_cols and role not in roles:
            roles[role] = mapping[role]

    # Scale notes and shifts.
    notes = []
    for column, info in typed.items():
        if info.note is not None:
            note = info.note
            if column in shifts:
                numbers[column] = numbers[column] + shifts[column]
                typed[column] = info.model_copy(update={"scale": (note.header_min, note.header_max)})
                note = note.model_copy(update={"applied": True})
            notes.append(note)
    for column, shift in shifts.items():
        if column in numbers and not any(n.item == column for n in notes):
            numbers[column] = numbers[column] + shift

    candidate_items = [c for c in columns if c in typed and typed[c].kind in ("item", "labels")]
    scales = _consensus_scales(
        {c: typed[c].scale for c in candidate_items if typed[c].scale is not None}, typed
    )
    excluded = {c: typed[c].exclusion for c in columns if c in typed and typed[c].kind == "excluded"}

    suggested: list[str] = []
    if dictionary is None:
        model = guess_dictionary(candidate_items, texts, scales)
        responses = pd.DataFrame({c: numbers[c] for c in candidate_items}, index=wide.index)
        suggested = suggest_reverse_keys(responses, model)
        if suggested:
            model = ItemDictionary(
                rows=[r.model_copy(update={"reverse": r.reverse or r.item in suggested}) for r in model.rows]
            )
    else:
        frame = dictionary.to_frame() if isinstance(dictionary, ItemDictionary) else dictionary
        model = ItemDictionary.from_frame(frame, available=columns)
        unusable = [r.item for r in model.rows if r.item not in numbers]
        if unusable:
            item = unusable[0]
            reason = excluded.get(item)
            raise KamError(
                "survey.dictionary_item_not_answers",
                "Item '{item}' cannot be analysed: {reason}",
                item=item,
                reason=reason.message if reason else "it is a respondent attribute, not answers.",
            )
        # Scales the user left blank come from the data.
        model = ItemDictionary(
            rows=[
                r
                if r.scale_min is not None and r.scale_max is not None or r.item not in scales
                else r.model_copy(update={"scale_min": scales[r.item][0], "scale_max": scales[r.item][1]})
                for r in model.rows
            ]
        )
        kept = set(model.items)
        for c in candidate_items:
            if c not in kept:
                excluded[c] = Exclusion(code="removed")
        responses = pd.DataFrame({c: numbers[c] for c in model.items}, index=wide.index)
    responses = pd.DataFrame({c: responses[c] for c in model.items}, index=wide.index)

    in_dictionary = set(model.items)
    attr_columns = [c for c in columns if c not in in_dictionary and c not in excluded]
    attributes = wide[attr_columns].copy()
    for c in attr_columns:
        if c not in attribute_cols and c in numbers:
            attributes[c] = numbers[c]

    _derive_attributes(attributes, roles, accounts, transactions, segments, repeat_window_months)
    return PreparedSurvey(
        responses=responses,
        dictionary=model,
        attributes=attributes,
        excluded=excluded,
        attribute_roles=roles,
        label_scales=label_scales,
        label_columns=label_columns,
        scale_notes=notes,
        suggested_reverse=suggested,
        layout=layout,  # type: ignore[arg-type]
    )


def _derive_attributes(
    attributes: pd.DataFrame,
    roles: dict[str, str],
    accounts: pd.DataFrame | None,
    transactions: pd.DataFrame | None,
    segments: Mapping[str, Any] | None,
    months: int,
) -> None:
    """Churned flag, repeat-purchase months and saved respondent segments, added in place."""
    account = roles.get("account")
    ids = attributes[account].astype("string").str.strip() if account else None
    if roles.get("churned"):
        attributes["__churned"] = survey_respondents.churned_flag(attributes[roles["churned"]])
        roles["churned_flag"] = "__churned"
    elif ids is not None and accounts is not None and "status" in accounts and "customer_id" in accounts:
        lost = set(accounts.loc[accounts["status"].astype("string") == "churned", "customer_id"].astype(str))
        if lost:
            attributes["__churned"] = ids.isin(lost).fillna(False).astype(bool)
            roles["churned_flag"] = "__churned"
    if ids is not None and transactions is not None and {"customer_id", "date"} <= set(transactions.columns):
        from kamcore.survey import repeat_purchase_months

        per_account = repeat_purchase_months(transactions, months).set_index("customer_id")["purchase_months"]
        attributes["__purchase_months"] = ids.map(per_account).astype(float)
        roles["purchase_months"] = "__purchase_months"
    if segments and segments.get("labels"):
        key = str(segments.get("key") or "")
        labels = {str(k): v for k, v in segments["labels"].items()}
        respondent = roles.get("respondent")
        keys: pd.Series | None = None
        def as_text(values: pd.Series) -> pd.Series:
            # As the segments page writes keys: whole numbers stored as floats (1.0) as 1.
            if pd.api.types.is_float_dtype(values) and (values.dropna() % 1 == 0).all():
                values = values.astype("Int64")
            return values.astype("string").str.strip()

        if key == "row_number":
            keys = pd.Series((attributes.index + 1).astype(str), index=attributes.index)
        elif respondent and _fold(key) in (_fold(respondent), "respondent"):
            keys = as_text(attributes[respondent])
        else:
            match = next((c for c in attributes.columns if _fold(c) == _fold(key)), None)
            if match is not None:
                keys = as_text(attributes[match])
        if keys is not None:
            attributes["__respondent_segment"] = keys.map(labels).astype("string")
            roles["respondent_segment"] = "__respondent_segment"


def dictionary_from_csv_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A dictionary read from CSV with only known columns, in order (missing ones blank)."""
    out = pd.DataFrame({c: frame[c] if c in frame.columns else None for c in DICTIONARY_COLUMNS})
    return out

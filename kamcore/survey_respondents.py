"""Respondent attributes (id, group, account, churn, segment) and incomplete responses."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from kamcore.errors import KamError
from kamcore.survey_layout import _RESPONDENT_NAMES
from kamcore.survey_model import _norm

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
    distinct = {_norm(v) for v in pd.unique(s.dropna().astype(str))} - {""}  # each distinct answer once
    return bool(distinct) and distinct <= set(words)


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
    """Columns that are answers on a rating scale, as :func:`kamcore.survey_prepare.prepare_survey`
    decides them (any integer range, header hints, label sets): the items of its proposed dictionary,
    less the attribute columns. One scale detector for the survey page, the account page and health.
    """
    from kamcore.survey_prepare import prepare_survey  # prepare_survey uses this module

    skip = set((attributes or respondent_attributes(df)).columns())
    prepared = prepare_survey(df.drop(columns=[c for c in skip if c in df.columns]))
    return [c for c in prepared.dictionary.items if c not in skip]

"""The survey's data model: the item dictionary (what each item asks, its dimension, role, pair,
reverse key and scale) and keying of answers with it.

Pure pydantic and pandas: both the statistics (:mod:`kamcore.survey`) and the preparation of an
upload (:mod:`kamcore.survey_prepare`) use it, and neither has to import the other.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable, Sequence
from typing import Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel

from kamcore.errors import KamError

Role = Literal["expectation", "perception", "importance", "performance", "plain"]
ROLES: tuple[str, ...] = ("expectation", "perception", "importance", "performance", "plain")
DICTIONARY_COLUMNS: tuple[str, ...] = (
    "item",
    "question",
    "dimension",
    "role",
    "pair",
    "reverse",
    "scale_min",
    "scale_max",
)
_PAIR_PARTNERS = {"expectation": "perception", "importance": "performance"}


def _norm(text: object) -> str:
    s = unicodedata.normalize("NFC", str(text)).casefold().strip()
    return re.sub(r"\s+", " ", s)


def _blank(value: object) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    if isinstance(value, float) and np.isnan(value):
        return True
    return isinstance(value, str) and not value.strip()


def _number(value: object, row: int, column: str) -> float | None:
    if _blank(value):
        return None
    try:
        number = (
            float(str(value).replace(",", ".").replace("\u2212", "-"))
            if isinstance(value, str)
            else float(value)
        )  # type: ignore[arg-type]
    except (TypeError, ValueError):
        number = math.nan
    if not math.isfinite(number):
        raise KamError(
            "survey.dictionary_bad_scale",
            "Row {row}, column '{column}': '{value}' is not a number.",
            row=row,
            column=column,
            value=str(value),
        )
    return number


class ItemRow(BaseModel):
    """One row of the item dictionary."""

    item: str
    question: str = ""
    dimension: str = ""
    role: Role = "plain"
    pair: str = ""
    reverse: bool = False
    scale_min: float | None = None
    scale_max: float | None = None


class ItemDictionary(BaseModel):
    """The validated item dictionary: what each item asks, its dimension, role, pair, key and scale."""

    rows: list[ItemRow]

    @classmethod
    def from_frame(cls, df: pd.DataFrame, available: Iterable[str] | None = None) -> ItemDictionary:
        """Validate an edited dictionary table and build the model.

        Parameters
        ----------
        df : DataFrame
            Columns ``item`` (required), ``question``, ``dimension``, ``role``, ``pair``,
            ``reverse``, ``scale_min``, ``scale_max``. Rows are numbered from 1 in error
            sentences, as in the grid; rows whose every cell is blank are skipped (a grid's
            new empty row).
        available : iterable of str, optional
            The survey's columns; every item must be one of them.

        Raises
        ------
        KamError
            A sentence naming the row and the column of the first problem.
        """
        if "item" not in df.columns:
            raise KamError("survey.dictionary_no_item", "The item dictionary needs a column 'item'.")
        frame = df.copy()
        for col in DICTIONARY_COLUMNS:
            if col not in frame.columns:
                frame[col] = False if col == "reverse" else None if col.startswith("scale") else ""
        cols = set(available) if available is not None else None
        rows: list[ItemRow] = []
        seen: dict[str, int] = {}
        for i, rec in enumerate(frame[list(DICTIONARY_COLUMNS)].to_dict("records")):
            row_no = i + 1
            if all(_blank(v) or v is False for v in rec.values()):
                continue
            item = "" if _blank(rec["item"]) else str(rec["item"]).strip()
            if not item:
                raise KamError(
                    "survey.dictionary_empty_item",
                    "Row {row}, column 'item': the item name is empty.",
                    row=row_no,
                )
            if item in seen:
                raise KamError(
                    "survey.dictionary_duplicate_item",
                    "Row {row}, column 'item': '{item}' is already listed in row {first}.",
                    row=row_no,
                    item=item,
                    first=seen[item],
                )
            seen[item] = row_no
            if cols is not None and item not in cols:
                raise KamError(
                    "survey.dictionary_unknown_item",
                    "Row {row}, column 'item': '{item}' is not a column of the survey.",
                    row=row_no,
                    item=item,
                )
            role = "plain" if _blank(rec["role"]) else _norm(rec["role"])
            if role not in ROLES:
                raise KamError(
                    "survey.dictionary_bad_role",
                    "Row {row}, column 'role': '{value}' is not one of expectation, perception, importance, performance, plain.",
                    row=row_no,
                    value=str(rec["role"]),
                )
            pair = "" if _blank(rec["pair"]) else str(rec["pair"]).strip()
            if pair and role == "plain":
                raise KamError(
                    "survey.dictionary_plain_in_pair",
                    "Row {row}, column 'role': item '{item}' belongs to pair '{pair}' but has the role 'plain'; "
                    "choose expectation, perception, importance or performance.",
                    row=row_no,
                    item=item,
                    pair=pair,
                )
            rev = rec["reverse"]
            reverse = (
                False
                if _blank(rev)
                else (
                    _norm(rev) in ("true", "1", "yes", "ja", "x", "sant")
                    if isinstance(rev, str)
                    else bool(rev)
                )
            )
            lo = _number(rec["scale_min"], row_no, "scale_min")
            hi = _number(rec["scale_max"], row_no, "scale_max")
            if lo is not None and hi is not None and lo >= hi:
                raise KamError(
                    "survey.dictionary_scale_order",
                    "Row {row}: the scale minimum {lo} is not below the maximum {hi}.",
                    row=row_no,
                    lo=f"{lo:g}",
                    hi=f"{hi:g}",
                )
            if reverse and (lo is None or hi is None):
                raise KamError(
                    "survey.dictionary_reverse_needs_scale",
                    "Row {row}: item '{item}' is reverse-keyed, so it needs scale_min and scale_max.",
                    row=row_no,
                    item=item,
                )
            rows.append(
                ItemRow(
                    item=item,
                    question="" if _blank(rec["question"]) else str(rec["question"]),
                    dimension="" if _blank(rec["dimension"]) else str(rec["dimension"]).strip(),
                    role=role,  # type: ignore[arg-type]
                    pair=pair,
                    reverse=reverse,
                    scale_min=lo,
                    scale_max=hi,
                )
            )
        _check_pairs(rows)
        return cls(rows=rows)

    def to_frame(self) -> pd.DataFrame:
        """The dictionary as a table with the columns of :data:`DICTIONARY_COLUMNS`."""
        data = [r.model_dump() for r in self.rows]
        frame = pd.DataFrame(data, columns=list(DICTIONARY_COLUMNS))
        return frame.astype({"reverse": bool, "scale_min": float, "scale_max": float})

    @property
    def items(self) -> list[str]:
        """All item names in order."""
        return [r.item for r in self.rows]

    def row(self, item: str) -> ItemRow:
        """The row of ``item`` (KeyError when it is not in the dictionary)."""
        for r in self.rows:
            if r.item == item:
                return r
        raise KeyError(item)

    def items_with_role(self, *roles: str) -> list[str]:
        """Items whose role is one of ``roles``."""
        return [r.item for r in self.rows if r.role in roles]

    def pairs(self, kind: Literal["gap", "ipa"] = "gap") -> dict[str, tuple[str, str]]:
        """Pair name -> (expectation, perception) for ``"gap"`` or (importance, performance) for ``"ipa"``."""
        first, second = ("expectation", "perception") if kind == "gap" else ("importance", "performance")
        found: dict[str, dict[str, str]] = {}
        for r in self.rows:
            if r.pair and r.role in (first, second):
                found.setdefault(r.pair, {})[r.role] = r.item
        return {p: (d[first], d[second]) for p, d in found.items() if first in d and second in d}

    def dimension_of(self) -> dict[str, str]:
        """Item -> dimension (items without one are left out)."""
        return {r.item: r.dimension for r in self.rows if r.dimension}

    def reversed_items(self) -> list[str]:
        """Items flagged as reverse-keyed."""
        return [r.item for r in self.rows if r.reverse]

    def scale_of(self, item: str) -> tuple[float, float] | None:
        """(scale_min, scale_max) of ``item``, None when either is unknown."""
        r = self.row(item)
        if r.scale_min is None or r.scale_max is None:
            return None
        return (r.scale_min, r.scale_max)


def apply_keys(responses: pd.DataFrame, dictionary: ItemDictionary) -> pd.DataFrame:
    """Answers with the reverse-keyed items turned round: x -> scale_min + scale_max - x.

    ``responses`` is left as it is; the copy has the same index and columns. Items not in
    ``responses`` are skipped.

    Examples
    --------
    >>> d = ItemDictionary(rows=[ItemRow(item="q", reverse=True, scale_min=1, scale_max=6)])
    >>> apply_keys(pd.DataFrame({"q": [1.0, 6.0, None]}), d)["q"].tolist()[:2]
    [6.0, 1.0]
    """
    out = responses.copy()
    for r in dictionary.rows:
        if r.reverse and r.item in out.columns and r.scale_min is not None and r.scale_max is not None:
            out[r.item] = (
                r.scale_min + r.scale_max - pd.to_numeric(out[r.item], errors="coerce").astype(float)
            )
    return out


def _check_pairs(rows: Sequence[ItemRow]) -> None:
    """Each pair holds exactly one expectation and one perception, or one importance and one performance."""
    members: dict[str, list[tuple[int, ItemRow]]] = {}
    for i, r in enumerate(rows):
        if r.pair:
            members.setdefault(r.pair, []).append((i + 1, r))
    for pair, entries in members.items():
        roles = [r.role for _, r in entries]
        for role in set(roles):
            if roles.count(role) > 1:
                row_no = [n for n, r in entries if r.role == role][1]
                raise KamError(
                    "survey.dictionary_pair_role_twice",
                    "Row {row}, column 'role': pair '{pair}' already has an item with the role '{role}'.",
                    row=row_no,
                    pair=pair,
                    role=role,
                )
        kinds = set(roles)
        valid = [{"expectation", "perception"}, {"importance", "performance"}]
        if kinds not in valid:
            row_no = entries[-1][0]
            if len(entries) == 1:
                partner = _PAIR_PARTNERS.get(roles[0]) or {v: k for k, v in _PAIR_PARTNERS.items()}.get(
                    roles[0], ""
                )
                raise KamError(
                    "survey.dictionary_pair_incomplete",
                    "Row {row}, column 'pair': pair '{pair}' has only one item; add the {partner} item or clear the pair.",
                    row=row_no,
                    pair=pair,
                    partner=partner,
                )
            raise KamError(
                "survey.dictionary_pair_mixed",
                "Row {row}, column 'role': pair '{pair}' must hold one expectation and one perception item, "
                "or one importance and one performance item.",
                row=row_no,
                pair=pair,
            )

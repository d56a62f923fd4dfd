"""Key-account selection: weighted criteria, McDonald's four boxes, sensitivity, readiness.

Step 2 of the KAM process: every candidate is judged on the same explicit criteria,
never on revenue alone. Criteria feed one of two axes — how attractive the customer
is to us, and how strong our position with it is — and the two axes split the
portfolio into *key*, *key development*, *maintenance* and *opportunistic* accounts.
Manual 1-5 scores (read, checked and saved by :mod:`kamcore.manual_scores`) score the
criteria no transaction shows.

Examples
--------
>>> import pandas as pd
>>> from kamcore.selection import Criterion, SelectionModel, score_accounts, shortlist
>>> model = SelectionModel(criteria=(
...     Criterion(name="revenue", source="revenue", axis="attractiveness"),
...     Criterion(name="strategic_fit", source="manual:strategic_fit", axis="strength"),
... ))
>>> accounts = pd.DataFrame({"customer_id": ["K1", "K2", "K3"], "revenue": [900.0, 300.0, 100.0]})
>>> scores = pd.DataFrame({"customer_id": ["K1", "K2", "K3"], "strategic_fit": [3.0, 5.0, 1.0]})
>>> scored = score_accounts(accounts, model, scores)
>>> scored[["customer_id", "attractiveness", "strength", "rank", "category"]].to_records(index=False).tolist()
[('K1', 100.0, 50.0, 1, 'key'), ('K2', 50.0, 100.0, 2, 'key'), ('K3', 0.0, 0.0, 3, 'opportunistic')]
>>> shortlist(scored, size=2).table["customer_id"].tolist()
['K1', 'K2']
"""

from __future__ import annotations

import datetime as dt
import warnings
from collections.abc import Iterable, Mapping
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from kamcore.errors import KamError

# Manual-score file handling lives in kamcore.manual_scores.
from kamcore.manual_scores import (
    MANUAL_MAX,
    MANUAL_MIN,
    require_columns,
    validate_manual_scores,
)
from kamcore.portfolio import abc_classes

#: Measures ``account_measures`` computes; a criterion's ``source`` is one of these
#: or ``manual:<score name>``.
COMPUTED_SOURCES: tuple[str, ...] = (
    "revenue",
    "profit",
    "margin_pct",
    "growth_pct",
    "purchase_frequency",
    "portfolio_share",
    "years_as_customer",
    "expected_revenue_12m",
    "p_alive",
)
#: Computed sources that need the purchase models of :mod:`kamcore.clv` (fitted on demand).
FUTURE_SOURCES: tuple[str, ...] = ("expected_revenue_12m", "p_alive")
MANUAL_PREFIX = "manual:"
#: A computed measure that cannot be computed (growth without a prior year) scores this.
NEUTRAL_SCORE = 50.0

CATEGORIES: tuple[str, ...] = ("key", "key_development", "maintenance", "opportunistic")
#: How a missing input counts: as the middle of the scale (3 of 1-5, score 50), as the
#: worst score (1 of 1-5, score 0), or the account is left out of the scoring.
MISSING_POLICIES: tuple[str, ...] = ("neutral", "lowest", "exclude")
#: Where the matrix is cut when no value is given: at the medians, or so that the key box
#: holds at most the shortlist limit (see ``key_size_cuts``).
CUT_RULES: tuple[str, ...] = ("key_size", "median")

#: The two axes of the portfolio matrix, and which way a criterion's values are good.
Axis = Literal["attractiveness", "strength"]
Direction = Literal["higher_is_better", "lower_is_better"]


class Criterion(BaseModel):
    """One selection criterion: where its value comes from, which way is good, its weight."""

    model_config = ConfigDict(frozen=True)

    name: str = Field(min_length=1)
    source: str
    direction: Direction = "higher_is_better"
    weight: float = Field(default=1.0, ge=0)
    axis: Axis

    @property
    def is_manual(self) -> bool:
        """True when the team enters this criterion as a 1-5 score."""
        return self.source.startswith(MANUAL_PREFIX)

    @property
    def manual_name(self) -> str | None:
        """The score name after ``manual:``, or None for a computed measure."""
        return self.source[len(MANUAL_PREFIX) :] if self.is_manual else None


class SelectionModel(BaseModel):
    """The criteria, the normalisation method, the matrix cut-points and the shortlist limit.

    Notes
    -----
    ``normalisation="percentile"`` (default) scores a computed measure by its average
    rank: ``100 * (rank - 1) / (n - 1)``, so one giant account cannot squash the rest.
    ``"minmax"`` is *robust min-max*: values are first clipped (winsorised) to the
    ``winsorise`` and ``1 - winsorise`` quantiles, then ``100 * (x - lo) / (hi - lo)``.
    Manual 1-5 scores always use their fixed scale, ``100 * (s - 1) / 4``, so a "3"
    means the same whatever the other accounts scored.
    """

    model_config = ConfigDict(frozen=True)

    criteria: tuple[Criterion, ...]
    normalisation: Literal["percentile", "minmax"] = "percentile"
    winsorise: float = Field(default=0.05, ge=0, lt=0.5)
    cut_attractiveness: float | None = Field(default=None, ge=0, le=100)
    cut_strength: float | None = Field(default=None, ge=0, le=100)
    cut_rule: Literal["key_size", "median"] = "median"
    missing: Literal["neutral", "lowest", "exclude"] = "neutral"
    shortlist_limit: int = Field(default=15, ge=1)

    def with_weights(self, weights: Mapping[str, float]) -> SelectionModel:
        """A copy with the named criteria's weights replaced (others unchanged)."""
        criteria = tuple(
            Criterion(**{**c.model_dump(), "weight": float(weights[c.name])}) if c.name in weights else c
            for c in self.criteria
        )
        return self.model_copy(update={"criteria": criteria})

    @property
    def manual_names(self) -> list[str]:
        """The manual score names the criteria need, in criterion order."""
        return [c.manual_name for c in self.criteria if c.manual_name is not None]


def default_model() -> SelectionModel:
    """The default criteria from the KAM literature, all weighted equally.

    Returns
    -------
    SelectionModel
        Attractiveness: revenue, profit, growth potential (growth %), strategic fit
        (manual), partnership willingness (manual). Strength: share of wallet (manual,
        because the supplier rarely knows the customer's total spend), relationship
        strength on the four key areas (manual), years as customer.
    """
    attractive = "attractiveness"
    return SelectionModel(
        criteria=(
            Criterion(name="revenue", source="revenue", axis=attractive),
            Criterion(name="profit", source="profit", axis=attractive),
            Criterion(name="growth_potential", source="growth_pct", axis=attractive),
            Criterion(name="strategic_fit", source="manual:strategic_fit", axis=attractive),
            Criterion(
                name="partnership_willingness",
                source="manual:partnership_willingness",
                axis=attractive,
            ),
            Criterion(name="share_of_wallet", source="manual:share_of_wallet", axis="strength"),
            Criterion(
                name="relationship_strength",
                source="manual:relationship_strength",
                axis="strength",
            ),
            Criterion(name="years_as_customer", source="years_as_customer", axis="strength"),
        )
    )


#: Longest name the team may give a criterion of its own (it is a column and a label).
CRITERION_NAME_MAX = 40


def team_criterion(
    name: str, axis: Axis, direction: Direction = "higher_is_better", weight: float = 1.0
) -> Criterion:
    """A criterion the team scores 1-5 per account itself, e.g. "Innovasjonspartner".

    ``name`` (trimmed) must be 1-40 characters without a comma (criterion names are listed
    comma-separated in the shortlist) and must not be the name of a built-in criterion or
    measure.
    """
    cleaned = " ".join(str(name).split())
    reserved = {c.name.casefold() for c in default_model().criteria} | {s.casefold() for s in COMPUTED_SOURCES}
    if not cleaned or len(cleaned) > CRITERION_NAME_MAX or "," in cleaned or cleaned.casefold() in reserved:
        raise KamError(
            "selection.bad_criterion_name",
            "'{name}' cannot name a criterion: use 1 to {limit} characters, no comma, and not the name of a built-in criterion.",
            name=cleaned or str(name),
            limit=CRITERION_NAME_MAX,
        )
    return Criterion(name=cleaned, source=f"{MANUAL_PREFIX}{cleaned}", axis=axis, direction=direction, weight=weight)


def measure_criterion(
    source: str, axis: Axis, direction: Direction = "higher_is_better", weight: float = 1.0
) -> Criterion:
    """A criterion computed from the transactions: ``source`` is one of :data:`COMPUTED_SOURCES`."""
    if source not in COMPUTED_SOURCES:
        raise KamError(
            "selection.unknown_source",
            "Unknown criterion source '{source}': use one of {known} or 'manual:<score name>'.",
            source=source,
            known=", ".join(COMPUTED_SOURCES),
        )
    return Criterion(name=source, source=source, axis=axis, direction=direction, weight=weight)


def add_criterion(model: SelectionModel, criterion: Criterion) -> SelectionModel:
    """``model`` with ``criterion`` appended; a name already in the model is a user error."""
    if any(c.name.casefold() == criterion.name.casefold() for c in model.criteria):
        raise KamError(
            "selection.duplicate_criterion",
            "Criterion name(s) used twice: {names}.",
            names=criterion.name,
        )
    return model.model_copy(update={"criteria": (*model.criteria, criterion)})


def remove_criterion(model: SelectionModel, name: str) -> SelectionModel:
    """``model`` without the criterion called ``name`` (unchanged when there is none)."""
    return model.model_copy(update={"criteria": tuple(c for c in model.criteria if c.name != name)})


def check_model(model: SelectionModel) -> None:
    """Raise a user error when the model cannot score: unknown source, twin names, empty axis.

    Kept out of pydantic validators on purpose: pydantic would wrap ``KamError`` in a
    ``ValidationError`` and the page could no longer translate it.
    """
    for criterion in model.criteria:
        source = criterion.source
        manual_ok = source.startswith(MANUAL_PREFIX) and source[len(MANUAL_PREFIX) :].strip()
        if source not in COMPUTED_SOURCES and not manual_ok:
            raise KamError(
                "selection.unknown_source",
                "Unknown criterion source '{source}': use one of {known} or 'manual:<score name>'.",
                source=source,
                known=", ".join(COMPUTED_SOURCES),
            )
    names = [c.name for c in model.criteria]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise KamError(
            "selection.duplicate_criterion",
            "Criterion name(s) used twice: {names}.",
            names=", ".join(duplicates),
        )
    for axis in ("attractiveness", "strength"):
        if sum(c.weight for c in model.criteria if c.axis == axis) <= 0:
            raise KamError(
                "selection.axis_without_weight",
                "The {axis} axis needs at least one criterion with a weight above zero.",
                axis=axis,
            )


# --------------------------------------------------------------------------- measures


def needs_future_value(model: SelectionModel) -> bool:
    """True when a criterion of ``model`` uses P(alive) or the expected revenue."""
    return any(c.source in FUTURE_SOURCES for c in model.criteria)


def add_future_value(measures: pd.DataFrame, values: pd.DataFrame | None) -> pd.DataFrame:
    """``measures`` with ``expected_revenue_12m`` and ``p_alive`` from
    :func:`kamcore.clv.account_future_value` output (``account`` column); NaN where absent."""
    out = measures.copy()
    if values is None or values.empty:
        for column in FUTURE_SOURCES:
            out[column] = np.nan
        return out
    indexed = values.assign(account=values["account"].astype("str")).set_index("account")
    ids = out["customer_id"].astype("str")
    for column in FUTURE_SOURCES:
        out[column] = ids.map(indexed[column]).astype(float).to_numpy()
    return out


def account_measures(
    transactions: pd.DataFrame,
    accounts: pd.DataFrame | None = None,
    as_of: dt.date | pd.Timestamp | None = None,
    *,
    future_value: bool = False,
) -> pd.DataFrame:
    """One row per account with the computed measures selection criteria can use.

    Parameters
    ----------
    transactions : DataFrame
        Canonical columns ``customer_id``, ``date``, ``revenue``; optional ``profit``
        (or ``cost``, then profit = revenue - cost), ``customer_name``,
        ``customer_since``.
    accounts : DataFrame, optional
        Canonical accounts table; its ``customer_name`` and ``customer_since`` win over
        the transactions' when present.
    as_of : date, optional
        End of the last 12-month window (inclusive); default the latest transaction date.
    future_value : bool
        Also fit the purchase models (:func:`kamcore.clv.account_future_value`) and add
        ``expected_revenue_12m`` and ``p_alive`` (NaN when the models cannot be fitted,
        e.g. fewer than 10 accounts).

    Returns
    -------
    DataFrame
        ``customer_id``, ``customer_name``, ``revenue``, ``profit``, ``margin_pct``,
        ``growth_pct``, ``purchase_frequency``, ``portfolio_share``,
        ``years_as_customer``, sorted by ``customer_id``.

    Notes
    -----
    Window L12 = (as_of - 12 months, as_of], P12 = the 12 months before it.
    ``revenue``/``profit`` = sums over L12; ``margin_pct = 100 * profit / revenue``
    (NaN when revenue <= 0); ``growth_pct = 100 * (L12 - P12) / P12`` (NaN when
    P12 <= 0); ``purchase_frequency`` = calendar months in L12 with positive net
    revenue (0-12); ``portfolio_share = revenue / sum(revenue)`` over all accounts;
    ``years_as_customer = (as_of - since) / 365.25 days`` with ``since`` =
    ``customer_since`` if known, else the first purchase.
    """
    require_columns(transactions, ("customer_id", "date", "revenue"), "transactions")
    # Every sum is grouped by integer account codes (ascending ids, as sorted() orders them)
    # instead of the text ids: grouping a million text ids cost a tenth of a second per sum.
    # Each group's values are added in row order, as before, so the sums are the same.
    codes, uniques = _account_codes(transactions["customer_id"])
    if not (codes >= 0).any():
        raise KamError("selection.no_transactions", "There are no transactions to score.")
    dates = pd.to_datetime(transactions["date"])
    revenue_all = pd.to_numeric(transactions["revenue"], errors="coerce").fillna(0.0).to_numpy(dtype=float)
    profit_all = None
    if "profit" in transactions.columns:
        profit_all = pd.to_numeric(transactions["profit"], errors="coerce").fillna(0.0).to_numpy(dtype=float)
    elif "cost" in transactions.columns:
        cost = pd.to_numeric(transactions["cost"], errors="coerce").fillna(0.0).to_numpy(dtype=float)
        profit_all = revenue_all - cost
    has_profit = profit_all is not None

    end = pd.Timestamp(as_of) if as_of is not None else dates[codes >= 0].max()
    start_l12 = end - pd.DateOffset(months=12)
    start_p12 = end - pd.DateOffset(months=24)
    date_values = dates.to_numpy()
    kept = (codes >= 0) & (date_values <= end.to_datetime64())  # NaT compares False: dropped
    in_l12 = kept & (date_values > start_l12.to_datetime64())
    in_p12 = kept & (date_values > start_p12.to_datetime64()) & ~in_l12

    present = np.bincount(codes[kept], minlength=len(uniques)) > 0
    ids = pd.Index(np.asarray(uniques[present], dtype=object), name="customer_id", dtype="str")
    position = np.cumsum(present) - 1  # account code -> row of ``ids``
    n_ids = len(ids)

    def by_account(rows: np.ndarray, n: int = n_ids, keys: np.ndarray | None = None) -> pd.Categorical:
        """The rows' account positions as a grouping pandas need not hash (codes given)."""
        keys = position[codes[rows]] if keys is None else keys
        return pd.Categorical.from_codes(keys, categories=pd.RangeIndex(n))

    def summed(values: np.ndarray, rows: np.ndarray) -> pd.Series:
        found = pd.Series(values[rows]).groupby(by_account(rows), observed=False).sum()
        return pd.Series(found.to_numpy(dtype=float), index=ids)

    revenue = summed(revenue_all, in_l12)
    prior = summed(revenue_all, in_p12)
    profit = summed(profit_all, in_l12) if has_profit else pd.Series(np.nan, index=ids)
    # months with positive net revenue in L12: one group per (account, calendar month)
    months = dates.dt.year.to_numpy() * 12 + dates.dt.month.to_numpy() - 1
    frequency_counts = np.zeros(n_ids, dtype=int)
    if in_l12.any():
        month_l12 = months[in_l12].astype(np.int64)
        first_month = int(month_l12.min())
        span = int(month_l12.max()) - first_month + 1
        pair = position[codes[in_l12]].astype(np.int64) * span + (month_l12 - first_month)
        monthly = pd.Series(revenue_all[in_l12]).groupby(by_account(in_l12, n_ids * span, pair), observed=False).sum()
        positive = np.flatnonzero(monthly.to_numpy() > 0) // span
        frequency_counts = np.bincount(positive, minlength=n_ids).astype(int)
    frequency = pd.Series(frequency_counts, index=ids)

    group = by_account(kept)
    since = pd.Series(dates.to_numpy()[kept]).groupby(group, observed=False).min()
    since = pd.Series(since.to_numpy(), index=ids)
    names = pd.Series(pd.NA, index=ids, dtype="str")
    if "customer_name" in transactions.columns:
        last_name = transactions["customer_name"].iloc[np.flatnonzero(kept)].reset_index(drop=True)
        found = last_name.groupby(group, observed=False).last()
        names = pd.Series(found.to_numpy(), index=ids).astype("str")
    if "customer_since" in transactions.columns:
        first_known = pd.Series(transactions["customer_since"].to_numpy()[kept]).groupby(group, observed=False).min()
        since = pd.Series(pd.to_datetime(first_known).to_numpy(), index=ids).fillna(since)
    if accounts is not None and "customer_id" in accounts.columns:
        acc = accounts.loc[accounts["customer_id"].notna()].copy()
        acc["customer_id"] = acc["customer_id"].astype("str")
        acc = acc.drop_duplicates("customer_id").set_index("customer_id")
        if "customer_since" in acc.columns:
            since = pd.to_datetime(acc["customer_since"]).reindex(ids).fillna(since)
        if "customer_name" in acc.columns:
            names = acc["customer_name"].astype("str").reindex(ids).fillna(names)

    total = revenue.sum()
    out = pd.DataFrame(
        {
            "customer_name": names,
            "revenue": revenue.astype(float),
            "profit": profit.astype(float),
            "margin_pct": (100.0 * profit / revenue).where(revenue > 0),
            "growth_pct": (100.0 * (revenue - prior) / prior).where(prior > 0),
            "purchase_frequency": frequency,
            "portfolio_share": revenue / total if total > 0 else pd.Series(np.nan, index=ids),
            "years_as_customer": ((end - since).dt.days / 365.25).clip(lower=0.0),
        },
        index=ids,
    )
    out = out.reset_index()
    if future_value:
        from kamcore import clv  # the models are only loaded when a criterion needs them

        try:
            history = pd.DataFrame(
                {"customer_id": pd.Series(np.asarray(uniques.take(codes[kept]), dtype=object), dtype="str"),
                 "date": date_values[kept], "revenue": revenue_all[kept]}
            )
            values = clv.account_future_value(history, as_of=end)
        except KamError:
            values = None
        out = add_future_value(out, values)
    return out


def _account_codes(ids: pd.Series) -> tuple[np.ndarray, pd.Index]:
    """Codes (-1 for a missing id) and the distinct ids as text, ascending as ``sorted()``
    orders them (code point order). An Arrow text column is factorised once per column
    (:func:`kamcore.portfolio.customer_codes`, shared with the portfolio analyses)."""
    if isinstance(ids.dtype, pd.StringDtype) or str(ids.dtype) in ("string[pyarrow]", "str"):
        from kamcore.portfolio import customer_codes

        codes, uniques = customer_codes(ids)
        return np.asarray(codes), pd.Index(uniques.astype("str"))
    text = ids.astype("str").where(ids.notna())
    codes, uniques = pd.factorize(text, sort=True)
    return codes, pd.Index(uniques.astype("str"))


# ----------------------------------------------------------------------------- scoring


def _normalise(values: pd.Series, method: str, winsorise: float) -> pd.Series:
    """0-100 scores for one computed measure; NaN stays NaN.

    Computed on the known values by position (placing them back by label cost more than the
    scoring itself at 50,000 accounts); the same arithmetic in the same order as pandas'.
    """
    every = values.to_numpy(dtype=float, na_value=np.nan)
    known_at = ~np.isnan(every)
    out = np.full(len(every), np.nan)
    known = pd.Series(every[known_at])
    if known.empty:
        return pd.Series(out, index=values.index)
    if method == "percentile":
        if len(known) == 1:
            out[known_at] = NEUTRAL_SCORE
        else:
            ranks = known.rank(method="average").to_numpy()
            out[known_at] = 100.0 * (ranks - 1.0) / (len(known) - 1.0)
        return pd.Series(out, index=values.index)
    lo, hi = known.quantile(winsorise), known.quantile(1.0 - winsorise)
    if hi <= lo:
        out[known_at] = NEUTRAL_SCORE
    else:
        out[known_at] = 100.0 * (np.clip(known.to_numpy(), lo, hi) - lo) / (hi - lo)
    return pd.Series(out, index=values.index)


def _criterion_scores(
    accounts: pd.DataFrame,
    model: SelectionModel,
    manual_scores: pd.DataFrame | None = None,
    *,
    normalise: bool = True,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Normalised 0-100 scores per account and criterion, and which inputs were missing.

    Returns two frames indexed by ``customer_id`` with one column per criterion name:
    the scores (missing inputs already replaced) and a boolean "was missing" mask.
    With ``normalise=False`` only the mask is meant to be used (the computed measures are
    not normalised, which is most of the work on a large portfolio); checks are the same.
    """
    check_model(model)
    require_columns(accounts, ("customer_id",), "accounts")
    ids = accounts["customer_id"].astype("str")
    if ids.duplicated().any():
        raise KamError(
            "selection.duplicate_account",
            "Account {customer} appears more than once.",
            customer=str(ids[ids.duplicated()].iloc[0]),
        )
    frame = accounts.assign(customer_id=ids).set_index("customer_id")
    manual = None
    if manual_scores is not None and not manual_scores.empty:
        manual = validate_manual_scores(manual_scores, model.manual_names)
        manual = manual.drop_duplicates("customer_id", keep="last").set_index("customer_id")

    scores: dict[str, pd.Series] = {}
    missing: dict[str, pd.Series] = {}
    for criterion in model.criteria:
        if criterion.is_manual:
            name = criterion.manual_name
            raw = pd.Series(np.nan, index=frame.index, dtype=float)
            if manual is not None and name in manual.columns:
                raw = manual[name].reindex(frame.index).astype(float)
            absent = raw.isna()
            score = 100.0 * (raw - MANUAL_MIN) / (MANUAL_MAX - MANUAL_MIN)
        else:
            require_columns(accounts, (criterion.source,), "accounts")
            raw = pd.to_numeric(frame[criterion.source], errors="coerce").astype(float)
            absent = raw.isna()
            score = _normalise(raw, model.normalisation, model.winsorise) if normalise else raw
        if criterion.direction == "lower_is_better":
            score = 100.0 - score
        # after the direction: "lowest" is the worst score whichever way the criterion points
        score = score.fillna(0.0 if model.missing == "lowest" else NEUTRAL_SCORE)
        scores[criterion.name] = score
        missing[criterion.name] = absent
    return pd.DataFrame(scores, index=frame.index), pd.DataFrame(missing, index=frame.index)


def _excluded(missing: pd.DataFrame, model: SelectionModel) -> pd.Series:
    """True for the accounts the "exclude" policy leaves out: a criterion that counts is missing."""
    counting = [c.name for c in model.criteria if c.weight > 0]
    if model.missing != "exclude" or not counting:
        return pd.Series(False, index=missing.index)
    return missing[counting].any(axis=1)


def _scores_in_use(
    accounts: pd.DataFrame,
    model: SelectionModel,
    manual_scores: pd.DataFrame | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``_criterion_scores`` of the accounts the missing-score policy keeps.

    Under "exclude" the left-out accounts are dropped *before* the computed measures are
    normalised, so they do not move the other accounts' percentiles either.
    """
    return _kept_scores(accounts, model, manual_scores, _criterion_scores(accounts, model, manual_scores))


def _kept_scores(
    accounts: pd.DataFrame,
    model: SelectionModel,
    manual_scores: pd.DataFrame | None,
    every: tuple[pd.DataFrame, pd.DataFrame],
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """:func:`_scores_in_use` given ``every`` = ``_criterion_scores`` of all the accounts."""
    scores, missing = every
    kept = ~_excluded(missing, model)
    if kept.all():
        return scores, missing
    if not kept.any():
        raise KamError("selection.no_accounts_left", "No account has a value for every criterion.")
    ids = accounts["customer_id"].astype("str")
    return _criterion_scores(accounts.loc[ids.isin(kept.index[kept]).to_numpy()], model, manual_scores)


def criterion_coverage(
    accounts: pd.DataFrame,
    model: SelectionModel,
    manual_scores: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """How many accounts have a value for each criterion.

    Returns
    -------
    DataFrame
        One row per criterion in model order: ``criterion``, ``axis``, ``weight``,
        ``n_scored`` (accounts with a value), ``n_accounts`` (all accounts) and
        ``share`` (= n_scored / n_accounts, 0 when there are no accounts).
    """
    _, missing = _criterion_scores(accounts, model, manual_scores, normalise=False)
    return _coverage(missing, model)


def _coverage(missing: pd.DataFrame, model: SelectionModel) -> pd.DataFrame:
    """:func:`criterion_coverage` from the accounts' "was missing" mask."""
    n = len(missing)
    rows = []
    for criterion in model.criteria:
        scored = int((~missing[criterion.name]).sum())
        rows.append(
            {
                "criterion": criterion.name,
                "axis": criterion.axis,
                "weight": criterion.weight,
                "n_scored": scored,
                "n_accounts": n,
                "share": scored / n if n else 0.0,
            }
        )
    return pd.DataFrame(rows, columns=["criterion", "axis", "weight", "n_scored", "n_accounts", "share"])


def n_excluded(
    accounts: pd.DataFrame,
    model: SelectionModel,
    manual_scores: pd.DataFrame | None = None,
) -> int:
    """How many accounts ``score_accounts`` leaves out (only under ``missing="exclude"``)."""
    _, missing = _criterion_scores(accounts, model, manual_scores, normalise=False)
    return int(_excluded(missing, model).sum())


def key_size_cuts(attractiveness: pd.Series, strength: pd.Series, target: int) -> tuple[float, float]:
    """Cut-points that keep the *key* box to at most ``target`` accounts, never below the medians.

    Notes
    -----
    Both axes are cut at the m-th highest value (a_(m), s_(m)); *key* = a >= a_(m) and
    s >= s_(m). The key box only grows with m, so m is the largest value in
    1..ceil(n / 2) whose key box holds at most ``target`` accounts (binary search).
    With m = ceil(n / 2) the cuts are the upper medians: a small portfolio is cut as before.
    Accounts tied at a cut all count, so ties can leave more than ``target`` in the box
    when even m = 1 does.
    """
    a = attractiveness.to_numpy(dtype=float)
    s = strength.to_numpy(dtype=float)
    n = len(a)
    if n == 0:
        return 50.0, 50.0
    a_sorted = np.sort(a)[::-1]
    s_sorted = np.sort(s)[::-1]

    def key_count(m: int) -> int:
        return int(((a >= a_sorted[m - 1]) & (s >= s_sorted[m - 1])).sum())

    low, high = 1, (n + 1) // 2
    while low < high:
        middle = (low + high + 1) // 2
        if key_count(middle) <= target:
            low = middle
        else:
            high = middle - 1
    return float(a_sorted[low - 1]), float(s_sorted[low - 1])


def matrix_cuts(scored: pd.DataFrame, model: SelectionModel) -> tuple[float, float]:
    """The (attractiveness, strength) cut-points the matrix uses for ``scored`` under ``model``."""
    if model.cut_rule == "key_size":
        auto_a, auto_s = key_size_cuts(scored["attractiveness"], scored["strength"], model.shortlist_limit)
    else:
        auto_a = float(scored["attractiveness"].median()) if len(scored) else 50.0
        auto_s = float(scored["strength"].median()) if len(scored) else 50.0
    return (
        auto_a if model.cut_attractiveness is None else model.cut_attractiveness,
        auto_s if model.cut_strength is None else model.cut_strength,
    )


def _run_totals(matrix: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """``matrix @ weights.T / weights.sum(axis=1)`` (accounts x runs), added criterion by
    criterion: each account's total is computed the same way whichever other accounts are
    computed with it (a matrix product may round differently for a different number of rows,
    and a tie between two accounts would then be decided differently)."""
    sums = np.zeros((matrix.shape[0], weights.shape[0]))
    for i in range(matrix.shape[1]):
        sums += matrix[:, i : i + 1] * weights[:, i]
    return sums / weights.sum(axis=1)


def _possible_top(matrix: np.ndarray, weights: np.ndarray, size: int) -> np.ndarray:
    """Rows of ``matrix`` (accounts x criteria) that can be among the ``size`` highest totals
    ``matrix @ w / sum(w)`` for some row ``w`` of ``weights`` (runs x criteria), ascending.

    Every run's weights lie in the box [lo, hi] (per criterion, over the runs). Over that box an
    account's total is a ratio of two linear functions, whose maximum (minimum) is at a corner
    where the criteria above (below) the optimum get ``hi`` and the others ``lo``; trying the
    k + 1 splits of the account's sorted scores gives both exactly. An account whose maximum is
    below the ``size``-th largest minimum is beaten in every run by ``size`` accounts, so it is
    never on the list; the rest are returned (all rows when the box allows no bound).
    """
    every = np.arange(matrix.shape[0])
    if matrix.shape[0] <= size or weights.size == 0:
        return every
    lo, hi = weights.min(axis=0), weights.max(axis=0)
    if not (np.isfinite(matrix).all() and np.isfinite(weights).all()) or lo.min() < 0 or lo.sum() <= 0:
        return every

    def best(values: np.ndarray) -> np.ndarray:
        """Per row: the largest total over the box (the criteria sorted by score, descending)."""
        order = np.argsort(-values, axis=1, kind="stable")
        ranked = np.take_along_axis(values, order, axis=1)
        high, low = hi[order], lo[order]
        # split j: the j best-scored criteria at hi, the others at lo (j = 0..k)
        top_num = np.cumsum(high * ranked, axis=1)
        top_den = np.cumsum(high, axis=1)
        rest_num = (low * ranked).sum(axis=1, keepdims=True) - np.cumsum(low * ranked, axis=1)
        rest_den = low.sum(axis=1, keepdims=True) - np.cumsum(low, axis=1)
        ratios = (top_num + rest_num) / (top_den + rest_den)
        start = (low * ranked).sum(axis=1) / low.sum(axis=1)  # j = 0: every weight at lo
        return np.maximum(ratios.max(axis=1), start)

    upper = best(matrix)
    lower = -best(-matrix)
    threshold = np.partition(lower, lower.size - size)[lower.size - size]  # size-th largest minimum
    margin = 1e-9 * max(1.0, float(np.abs(matrix).max()))  # rounding of the run totals
    return np.flatnonzero(upper >= threshold - margin)


def _weights(model: SelectionModel) -> np.ndarray:
    return np.array([c.weight for c in model.criteria], dtype=float)


# Scores are sums of products of fractions; nine decimals keep every real difference and drop
# the last-bit noise that decides ties differently on different CPUs.
_SCORE_DECIMALS = 9


def _axis_score(scores: pd.DataFrame, model: SelectionModel, axis: str) -> pd.Series:
    chosen = [c for c in model.criteria if c.axis == axis]
    weights = np.array([c.weight for c in chosen], dtype=float)
    matrix = scores[[c.name for c in chosen]].to_numpy()
    # BLAS kernels differ by CPU in the last bits; rounding makes boxes and ranks CPU-independent.
    return pd.Series(np.round(matrix @ weights / weights.sum(), _SCORE_DECIMALS), index=scores.index)


def _rank_positions(totals: pd.Series) -> np.ndarray:
    """Each row's rank, in the order of ``totals``: 1 = highest total; ties go to the smaller
    customer id (the index)."""
    ids = totals.index.astype("str").to_numpy(dtype=str)
    order = np.lexsort((ids, -totals.to_numpy(dtype=float)))
    ranks = np.empty(len(order), dtype=int)
    ranks[order] = np.arange(1, len(order) + 1)
    return ranks


def _joined_names(names: list[str], columns: np.ndarray, index: pd.Index) -> pd.Series:
    """Per row, ``names[i]`` of each i ≥ 0 in that row of ``columns``, comma-separated.

    Rows repeat (a few criteria, many accounts): each distinct row is joined once.
    """
    if len(columns) == 0:
        return pd.Series([], index=index, dtype="str")
    # each row as one integer (digits base len(names) + 1), so the distinct rows are found fast
    base = len(names) + 1
    if base ** columns.shape[1] < 2**62:
        codes = np.zeros(len(columns), dtype=np.int64)
        for position in range(columns.shape[1]):
            codes = codes * base + (columns[:, position].astype(np.int64) + 1)
        _, first, inverse = np.unique(codes, return_index=True, return_inverse=True)
    else:  # too many criteria for one integer
        _, first, inverse = np.unique(columns, axis=0, return_index=True, return_inverse=True)
    texts = np.array([", ".join(names[i] for i in row if i >= 0) for row in columns[first].tolist()], dtype=object)
    return pd.Series(texts[inverse.reshape(-1)], index=index, dtype="str")


def categorise(
    attractiveness: pd.Series,
    strength: pd.Series,
    cut_attractiveness: float | None = None,
    cut_strength: float | None = None,
) -> pd.Series:
    """McDonald's four boxes from the two axis scores.

    Notes
    -----
    attractive = attractiveness >= cut (default: its median); strong = strength >= cut.
    key = attractive & strong, key_development = attractive & weak, maintenance =
    less attractive & strong, opportunistic = less attractive & weak.
    """
    cut_a = float(attractiveness.median()) if cut_attractiveness is None else cut_attractiveness
    cut_s = float(strength.median()) if cut_strength is None else cut_strength
    attractive = (attractiveness >= cut_a).to_numpy(dtype=bool)
    strong = (strength >= cut_s).to_numpy(dtype=bool)
    # box numbers in CATEGORIES' order (key, key_development, maintenance, opportunistic), then
    # their names: four shared strings instead of 50,000 fixed-width ones
    box = np.where(attractive, np.where(strong, 0, 1), np.where(strong, 2, 3))
    return pd.Series(_CATEGORY_NAMES[box], index=attractiveness.index, dtype="str")


_CATEGORY_NAMES = np.array(CATEGORIES, dtype=object)


def score_accounts(
    accounts: pd.DataFrame,
    model: SelectionModel,
    manual_scores: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Score, rank and categorise every account on the model's criteria.

    Parameters
    ----------
    accounts : DataFrame
        One row per ``customer_id`` with the computed measures the criteria use (the
        output of ``account_measures``); other columns are carried through.
    model : SelectionModel
        Criteria, weights, normalisation and cut-points.
    manual_scores : DataFrame, optional
        ``customer_id`` plus one column per manual score name (1-5, empty = not scored).

    Returns
    -------
    DataFrame
        The input columns plus ``score__<criterion>`` (0-100), ``attractiveness``,
        ``strength``, ``total``, ``rank``, ``category``, ``top_criteria`` and
        ``missing_inputs``; sorted by rank.

    Notes
    -----
    With normalised criterion scores s_i and weights w_i:
    axis = sum_{i in axis}(w_i s_i) / sum_{i in axis}(w_i);
    total = sum_i(w_i s_i) / sum_i(w_i) over all criteria, so only the weights'
    proportions matter. A missing input counts as ``model.missing`` says: "neutral" (the
    default) scores it 50 (a manual 3), "lowest" 0 (a manual 1, or the worst value), and
    "exclude" leaves out every account missing a criterion whose weight is above 0.
    Missing inputs are named in ``missing_inputs``. The boxes are cut where
    ``matrix_cuts`` says (given values, else the medians or ``key_size_cuts``).
    ``top_criteria`` names the (up to) three criteria with the largest contribution
    w_i s_i / sum(w) to the total, comma-separated; ``rank`` 1 is the best total, ties
    broken by ``customer_id``.
    """
    return _scored(accounts, model, _scores_in_use(accounts, model, manual_scores))


def scoring(
    accounts: pd.DataFrame,
    model: SelectionModel,
    manual_scores: pd.DataFrame | None = None,
) -> tuple[pd.DataFrame, int, pd.DataFrame]:
    """``(criterion_coverage(...), n_excluded(...), score_accounts(...))`` of the same inputs,
    from one pass over the criteria (the Selection page shows all three; each alone went over
    every account and criterion again).

    Examples
    --------
    >>> model = SelectionModel(criteria=(
    ...     Criterion(name="revenue", source="revenue", axis="attractiveness"),
    ...     Criterion(name="fit", source="manual:fit", axis="strength"),
    ... ), missing="exclude")
    >>> accounts = pd.DataFrame({"customer_id": ["K1", "K2", "K3"], "revenue": [900.0, None, 100.0]})
    >>> manual = pd.DataFrame({"customer_id": ["K1", "K2", "K3"], "fit": [3.0, 5.0, 1.0]})
    >>> coverage, excluded, scored = scoring(accounts, model, manual)
    >>> coverage["n_scored"].tolist(), excluded, scored["customer_id"].tolist()
    ([2, 3], 1, ['K1', 'K3'])
    """
    every = _criterion_scores(accounts, model, manual_scores)
    missing = every[1]
    coverage = _coverage(missing, model)
    excluded = int(_excluded(missing, model).sum())
    return coverage, excluded, _scored(accounts, model, _kept_scores(accounts, model, manual_scores, every))


def _scored(
    accounts: pd.DataFrame, model: SelectionModel, in_use: tuple[pd.DataFrame, pd.DataFrame]
) -> pd.DataFrame:
    """:func:`score_accounts` given :func:`_scores_in_use`' scores and mask."""
    scores, missing = in_use
    weights = _weights(model)
    names = [c.name for c in model.criteria]
    contributions = scores[names].to_numpy() * weights / weights.sum()

    result = accounts.assign(customer_id=accounts["customer_id"].astype("str")).set_index("customer_id")
    if not result.index.equals(scores.index):  # (accounts left out: the kept ones, in order)
        result = result.loc[scores.index]
    # the scores are in the rows' order: placed by position, not aligned on 50,000 ids again
    for name in names:
        result[f"score__{name}"] = scores[name].to_numpy()
    result["attractiveness"] = _axis_score(scores, model, "attractiveness").to_numpy()
    result["strength"] = _axis_score(scores, model, "strength").to_numpy()
    result["total"] = np.round(contributions.sum(axis=1), _SCORE_DECIMALS)
    result["rank"] = _rank_positions(result["total"])
    cut_a, cut_s = matrix_cuts(result, model)
    result["category"] = categorise(result["attractiveness"], result["strength"], cut_a, cut_s)
    # stable sort keeps criterion order among equal contributions
    order = np.argsort(-contributions, axis=1, kind="stable")[:, :3]
    positive = np.take_along_axis(contributions, order, axis=1) > 0
    result["top_criteria"] = _joined_names(names, np.where(positive, order, -1), index=result.index)
    flags = missing[names].to_numpy(dtype=bool)
    columns = np.where(flags, np.arange(len(names)), -1)
    result["missing_inputs"] = _joined_names(names, columns, index=result.index)
    return result.sort_values("rank").reset_index()


# ------------------------------------------------------------------------- sensitivity


def sensitivity(
    accounts: pd.DataFrame,
    model: SelectionModel,
    shortlist_size: int,
    n_runs: int = 200,
    spread: float = 0.20,
    random_state: int = 0,
    manual_scores: pd.DataFrame | None = None,
    *,
    seed: int | None = None,
    scored: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """How often each account stays on the shortlist when every weight moves by +-spread.

    Parameters
    ----------
    accounts, model, manual_scores
        As for ``score_accounts``.
    shortlist_size : int
        The top-N that counts as "on the shortlist".
    n_runs : int
        Number of perturbed weight sets.
    spread : float
        Each weight is multiplied independently by U(1 - spread, 1 + spread).
    random_state : int
        Seed for ``numpy.random.default_rng``; the same seed gives the same report.
    seed : int, optional
        Deprecated name of ``random_state`` (warns).
    scored : DataFrame, optional
        ``score_accounts(accounts, model, manual_scores)`` when the caller has it: its
        ``score__<criterion>`` columns are the criterion scores, not computed again.

    Returns
    -------
    DataFrame
        ``customer_id``, ``on_shortlist`` (in the unperturbed top-N) and
        ``share_of_runs_on_shortlist`` (0-1), sorted by share (descending) then id.

    Notes
    -----
    Criterion scores do not depend on the weights, so each run only recomputes
    total = S w / sum(w) and takes the top N (ties by customer id).
    """
    if seed is not None:
        warnings.warn("sensitivity(seed=...) is now sensitivity(random_state=...)", DeprecationWarning, stacklevel=2)
        random_state = seed
    if shortlist_size < 1:
        raise KamError("selection.shortlist_size", "The shortlist needs at least {n} account.", n=1)
    if n_runs < 1 or not 0 <= spread < 1:
        raise KamError(
            "selection.sensitivity_settings",
            "Sensitivity needs at least one run and a spread from 0 % up to 100 %.",
        )
    if scored is not None:
        names = [c.name for c in model.criteria]
        scores = scored.set_index(scored["customer_id"].astype("str"))[[f"score__{n}" for n in names]]
        scores.columns = names
    else:
        scores, _ = _scores_in_use(accounts, model, manual_scores)
    scores = scores.sort_index()  # ties are broken by customer id: sort once, stable argsort
    matrix = scores[[c.name for c in model.criteria]].to_numpy()
    base = _weights(model)
    rng = np.random.default_rng(random_state)
    factors = rng.uniform(1.0 - spread, 1.0 + spread, size=(n_runs, base.size))
    weights = factors * base
    size = min(shortlist_size, len(scores))
    # Only accounts that can reach the top N in some run are scored run by run (a few hundred
    # of 50,000): the others count 0 runs, as they would if every total were computed.
    candidates = _possible_top(matrix, weights, size)
    totals = _run_totals(matrix[candidates], weights)  # candidates x runs
    counts = np.zeros(len(candidates), dtype=int)
    # The top `size` of each run's stable sort (ties by customer id) without sorting every
    # account: all totals strictly above the size-th largest, then the tied ones in id order.
    negative = -totals
    kth = np.partition(negative, size - 1, axis=0)[size - 1]  # per run
    for run in np.flatnonzero(np.isnan(kth)):
        counts[np.argsort(negative[:, run], kind="stable")[:size]] += 1
    runs = np.flatnonzero(~np.isnan(kth))
    above = negative[:, runs] < kth[runs]
    equal = negative[:, runs] == kth[runs]
    counts += above.sum(axis=1)
    room = size - above.sum(axis=0)
    fits = equal.sum(axis=0) <= room  # every tied account fits on the list
    counts += equal[:, fits].sum(axis=1)
    for i in np.flatnonzero(~fits):
        counts[np.flatnonzero(equal[:, i])[: room[i]]] += 1
    counts = np.bincount(candidates, weights=counts, minlength=len(scores)).astype(int)
    base_total = matrix @ base / base.sum()
    on_list = np.zeros(len(scores), dtype=bool)
    on_list[np.argsort(-base_total, kind="stable")[:size]] = True
    report = pd.DataFrame(
        {
            "customer_id": scores.index.astype("str"),
            "on_shortlist": on_list,
            "share_of_runs_on_shortlist": counts / n_runs,
        }
    )
    return report.sort_values(
        ["share_of_runs_on_shortlist", "customer_id"], ascending=[False, True]
    ).reset_index(drop=True)


# ---------------------------------------------------------------------------- shortlist


class Shortlist(BaseModel):
    """The chosen accounts, the size the model recommends, and whether it is too long."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    table: pd.DataFrame
    recommended_size: int
    limit: int
    over_limit: bool


def recommended_size(scored: pd.DataFrame, limit: int = 15) -> int:
    """The number of accounts in the *key* box, at least 1 and at most ``limit``.

    Notes
    -----
    The literature says: start with few key accounts and add more once results show.
    """
    n_key = int((scored["category"] == "key").sum()) if "category" in scored.columns else 0
    return int(min(limit, max(1, n_key), len(scored))) if len(scored) else 0


def shortlist(
    scored: pd.DataFrame,
    size: int | None = None,
    include: Iterable[str] = (),
    exclude: Iterable[str] = (),
    limit: int = 15,
) -> Shortlist:
    """The top-``size`` accounts by rank, plus ``include``, minus ``exclude``.

    Parameters
    ----------
    scored : DataFrame
        Output of ``score_accounts``.
    size : int, optional
        How many to take by rank; default ``recommended_size(scored, limit)``.
    include, exclude : iterable of str
        Customer ids to add (wherever they rank) or to leave out.
    limit : int
        The model's ``shortlist_limit``; ``over_limit`` is True above it.

    Returns
    -------
    Shortlist
        ``table`` = the chosen rows of ``scored`` sorted by rank, with a column
        ``chosen_by`` = ``"rank"`` or ``"manual"``.
    """
    require_columns(scored, ("customer_id", "rank"), "scored accounts")
    recommended = recommended_size(scored, limit)
    take = recommended if size is None else int(size)
    if take < 0:
        raise KamError("selection.shortlist_size", "The shortlist needs at least {n} account.", n=0)
    ids = scored["customer_id"].astype("str")
    include_set = {str(i) for i in include}
    exclude_set = {str(i) for i in exclude}
    # (only the included ids are looked up: a set of 50,000 ids cost a fifth of a second)
    unknown = sorted(include_set - set(ids[ids.isin(include_set)].tolist())) if include_set else []
    if unknown:
        raise KamError(
            "selection.unknown_account",
            "Account {customer} is not among the scored accounts.",
            customer=unknown[0],
        )
    by_rank = scored["rank"] <= take
    chosen = (by_rank | ids.isin(include_set)) & ~ids.isin(exclude_set)
    table = scored.loc[chosen.to_numpy()].sort_values("rank").copy()
    table["chosen_by"] = np.where(by_rank.loc[table.index], "rank", "manual")
    table = table.reset_index(drop=True)
    return Shortlist(
        table=table,
        recommended_size=recommended,
        limit=limit,
        over_limit=len(table) > limit,
    )


# ---------------------------------------------------------------------------- readiness

#: The primer's five questions; True means a high answer (5) speaks *for* KAM.
READINESS_QUESTIONS: dict[int, bool] = {
    1: False,  # how transactional is today's sales process (5 = very) -> against
    2: True,  # potential for large repeat purchases
    3: True,  # the organisation masters "land and expand"
    4: True,  # customer landscape (1 = many small customers, 5 = few large ones)
    5: True,  # capacity and resources to sustain KAM
}
READY_SCORE, NOT_NOW_SCORE = 70.0, 40.0


class ReadinessReason(BaseModel):
    """One question's contribution: ``code`` is "for", "neutral" or "against"."""

    question: int
    answer: int
    points: float
    code: Literal["for", "neutral", "against"]
    params: dict[str, Any] = Field(default_factory=dict)


class ReadinessResult(BaseModel):
    """The readiness score (0-100), the verdict, what to fix first and why."""

    score: float
    verdict: Literal["ready", "partly_ready", "not_now"]
    fix_first: list[int]
    reasons: list[ReadinessReason]


def readiness_check(answers: Mapping[int, int]) -> ReadinessResult:
    """Score the five readiness questions and give an honest verdict.

    Parameters
    ----------
    answers : dict
        ``{question number 1-5: answer 1-5}``; all five are required. Question 1 (how
        transactional sales are) counts *against* KAM, the other four *for* it.

    Returns
    -------
    ReadinessResult
        ``score`` = mean of per-question points, ``verdict`` and ``reasons``.

    Notes
    -----
    Per question: a = answer for questions 2-5, a = 6 - answer for question 1;
    points = 100 * (a - 1) / 4; "against" when a <= 2, "neutral" when a = 3, "for"
    when a >= 4. Verdict: "not_now" when score < 40; "ready" when score >= 70 and no
    question is "against"; otherwise "partly_ready", and ``fix_first`` lists the
    "against" questions (or, if there are none, the lowest-scoring ones).
    """
    missing = sorted(set(READINESS_QUESTIONS) - {int(q) for q in answers})
    if missing:
        raise KamError(
            "selection.readiness_incomplete",
            "Answer every readiness question; missing: {questions}.",
            questions=", ".join(str(q) for q in missing),
        )
    reasons: list[ReadinessReason] = []
    for question, high_is_for in READINESS_QUESTIONS.items():
        answer = answers[question]
        if isinstance(answer, bool) or int(answer) != answer or not 1 <= answer <= 5:
            raise KamError(
                "selection.readiness_answer",
                "Question {question}: '{answer}' is not an answer from 1 to 5.",
                question=question,
                answer=str(answer),
            )
        answer = int(answer)
        favour = answer if high_is_for else 6 - answer
        code = "against" if favour <= 2 else "neutral" if favour == 3 else "for"
        reasons.append(
            ReadinessReason(
                question=question,
                answer=answer,
                points=100.0 * (favour - 1) / 4.0,
                code=code,
                params={"answer": answer},
            )
        )
    score = float(np.mean([r.points for r in reasons]))
    against = [r.question for r in reasons if r.code == "against"]
    if score < NOT_NOW_SCORE:
        verdict, fix_first = "not_now", against
    elif score >= READY_SCORE and not against:
        verdict, fix_first = "ready", []
    else:
        lowest = min(r.points for r in reasons)
        fix_first = against or [r.question for r in reasons if r.points == lowest]
        verdict = "partly_ready"
    return ReadinessResult(score=score, verdict=verdict, fix_first=fix_first, reasons=reasons)


# ------------------------------------------------------------------------------ colouring
def revenue_classes(scored: pd.DataFrame) -> pd.Series:
    """ABC class (A/B/C) on revenue of each scored account, indexed by ``customer_id``.

    What the selection matrix colours by when asked for ABC classes: the portfolio's
    :func:`kamcore.portfolio.abc_classes` over the scored accounts' revenue (its errors
    propagate; the page then colours by category).
    """
    require_columns(scored, ("customer_id", "revenue"), "scored accounts")
    classes = abc_classes(scored, "customer_id", "revenue")
    return classes.set_index("customer")["abc_class"].rename_axis("customer_id")

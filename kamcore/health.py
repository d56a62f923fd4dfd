"""Account health: one 0–100 score per account from money, buying pattern, survey and relationship.

The score is a weighted mean of four components, each itself the mean of a few sub-scores
on 0–100. Every sub-score is a piecewise-linear map of one plain measure (see
:data:`SCALES`), so a sales leader can follow it: "revenue down 35 % on last year" gives a
revenue-trend score of 21. A component with no data for an account is left out of that
account's score (the weights of the others are rescaled) and named in ``missing``; nothing is
imputed. The account's status (lost / active) is never read: health is what should warn
*before* an account is lost.

Team scores (relationship strength, share of wallet) and survey answers carry no date: they are
used as they stand, whatever ``as_of`` is.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from pydantic import BaseModel, ConfigDict

from kamcore.errors import KamError
from kamcore.portfolio import customer_codes

COMPONENTS: tuple[str, ...] = ("money", "buying", "survey", "relationship")
#: Which sub-scores make up each component.
SUBSCORES: dict[str, tuple[str, ...]] = {
    "money": ("trend", "margin", "outlook"),
    "buying": ("recency", "frequency", "p_alive"),
    "survey": ("areas", "nps"),
    "relationship": ("relationship_strength", "share_of_wallet", "coverage"),
}
DEFAULT_WEIGHTS: dict[str, float] = {"money": 0.35, "buying": 0.25, "survey": 0.2, "relationship": 0.2}
#: Health below the first number is "act", below the second "watch", else "good".
BANDS: tuple[float, float] = (45.0, 65.0)
BAND_NAMES: tuple[str, ...] = ("act", "watch", "good")

#: Sub-score = np.interp(measure, xs, ys): (xs, ys) per sub-score.
SCALES: dict[str, tuple[tuple[float, ...], tuple[float, ...]]] = {
    # revenue last 12 months / the 12 before − 1
    "trend": ((-0.5, 0.0, 0.25), (0.0, 70.0, 100.0)),
    # expected revenue next 12 months (kamcore.clv) / revenue last 12 months − 1: scored as the trend
    "outlook": ((-0.5, 0.0, 0.25), (0.0, 70.0, 100.0)),
    # account margin (last 12 months) − the portfolio's median account margin
    "margin": ((-0.15, 0.0, 0.10), (0.0, 70.0, 100.0)),
    # days since the last purchase / the account's usual days between purchases
    "recency": ((1.0, 3.0, 6.0), (100.0, 50.0, 0.0)),
    # purchase days in the last 6 months / the account's usual number in 6 months
    "frequency": ((0.25, 0.75, 1.0), (0.0, 60.0, 100.0)),
    # mean customer gap P − E over the key areas, as a share of the answer scale's range
    "areas": ((-0.4, -0.1, 0.0, 0.1), (0.0, 60.0, 80.0, 100.0)),
    # NPS of the account's respondents (−100..100)
    "nps": ((-100.0, 100.0), (0.0, 100.0)),
    # 1–5 team scores
    "relationship_strength": ((1.0, 5.0), (0.0, 100.0)),
    "share_of_wallet": ((1.0, 5.0), (0.0, 100.0)),
    # buying-centre coverage: share (0–1) of the customer's buying-centre roles we have contact with
    "coverage": ((0.0, 1.0), (0.0, 100.0)),
    # BG/NBD probability that the account is still buying (kamcore.clv), 0–1
    "p_alive": ((0.0, 1.0), (0.0, 100.0)),
}
#: The outlook's score for "as much as last year": an outlook is counted only below it and below the trend.
OUTLOOK_FLAT = 70.0
#: Shortest "usual gap" between purchases, in days: weekly buyers are not late after two days.
MIN_GAP_DAYS = 7.0
#: Fewest purchase days before the account's own rhythm is trusted.
MIN_PURCHASE_DAYS = 3
#: Fewest purchase days expected in 6 months before frequency is judged.
MIN_EXPECTED_DAYS = 2.0
TEAM_COLUMNS = ("relationship_strength", "share_of_wallet", "buying_centre_coverage", "p_alive",
                "expected_revenue_12m")

#: English words for each sub-score (the UI translates the codes itself: ``account.driver_<code>``).
DRIVER_WORDS: dict[str, str] = {
    "trend": "revenue trend against last year",
    "margin": "margin against the portfolio",
    "outlook": "expected revenue next year against last year",
    "recency": "time since the last order",
    "frequency": "order frequency against its own rhythm",
    "areas": "survey gaps in the key areas",
    "nps": "willingness to recommend (NPS)",
    "relationship_strength": "relationship strength",
    "share_of_wallet": "share of wallet",
    "coverage": "buying-centre coverage",
    "p_alive": "chance that the account is still buying",
}


class SurveyInput(BaseModel):
    """What health needs from a survey: customer answers with an account column and a dictionary.

    Build it with :func:`survey_input` from a prepared survey, or directly.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    responses: pd.DataFrame
    dictionary: Any  # kamcore.survey_ingest.ItemDictionary (its gap pairs and dimensions)
    account: str
    recommend: str | None = None
    scale: tuple[float, float] | None = None


def survey_input(survey: Any, dictionary: Any = None, *, account: str | None = None,
                 recommend: str | None = None, group: str | None = None) -> SurveyInput | None:
    """Adapt a survey to :class:`SurveyInput`.

    Accepts a :class:`SurveyInput`; a prepared survey (anything with ``.responses``,
    ``.dictionary`` and ``.attributes`` whose ``account`` / ``group`` name columns, as
    ``kamcore.survey_prepare.PreparedSurvey``); or a survey table plus its ``dictionary``
    (``account`` / ``group`` guessed from the headers when not given). Supplier-staff rows
    are dropped when a group column says so. None when no account column is found.
    """
    if survey is None or isinstance(survey, SurveyInput):
        return survey
    from kamcore import survey_ingest  # the ingest module only for its column guessing

    if hasattr(survey, "attribute_roles") and hasattr(survey, "keyed"):
        # A PreparedSurvey: its own scales, label numbers and shifts; gaps on the reverse-keyed answers
        # (as the survey page shows them), with the account and group columns from its attributes.
        roles = survey.attribute_roles
        account = account or roles.get("account")
        group = group or roles.get("group")
        extra = [c for c in dict.fromkeys((account, group)) if c and c in survey.attributes.columns]
        responses = pd.concat([survey.keyed(), survey.attributes[extra]], axis=1)
        dictionary = survey.dictionary
    elif hasattr(survey, "responses") and hasattr(survey, "dictionary"):
        attrs = getattr(survey, "attributes", None)
        responses, dictionary = survey.responses, survey.dictionary
        account = account or getattr(attrs, "account", None)
        group = group or getattr(attrs, "group", None)
    else:
        responses = survey
        if dictionary is None:
            raise KamError("health.survey_needs_dictionary", "The survey needs its item dictionary.")
        attrs = survey_ingest.respondent_attributes(responses)
        account = account or attrs.account
        group = group or attrs.group
    if not account or account not in responses.columns:
        return None
    if group and group in responses.columns:
        labels = survey_ingest.group_labels(responses[group])
        responses = responses[(labels != "supplier").fillna(True).astype(bool)]
    scale = _scale(dictionary, responses)
    if recommend is None:
        recommend = _recommend_column(dictionary, responses)
    return SurveyInput(responses=responses, dictionary=dictionary, account=account, recommend=recommend,
                       scale=scale)


_RECOMMEND_WORDS = ("anbefal", "rekommend", "recommend", "nps")


def _recommend_column(dictionary: Any, responses: pd.DataFrame) -> str | None:
    rows = getattr(dictionary, "rows", [])
    for row in rows:
        text = f"{row.item} {getattr(row, 'question', '')}".casefold()
        if any(word in text for word in _RECOMMEND_WORDS) and row.item in responses.columns:
            values = pd.to_numeric(responses[row.item], errors="coerce").dropna()
            if len(values) and values.min() >= 0 and values.max() <= 10:
                return row.item
    return None


def _scale(dictionary: Any, responses: pd.DataFrame) -> tuple[float, float] | None:
    items = sorted({c for pair in dictionary.pairs("gap").values() for c in pair})
    frame = dictionary.to_frame() if hasattr(dictionary, "to_frame") else pd.DataFrame()
    if {"scale_min", "scale_max"} <= set(frame.columns):
        sub = frame[frame["item"].isin(items)]
        lo, hi = pd.to_numeric(sub["scale_min"], errors="coerce"), pd.to_numeric(sub["scale_max"], errors="coerce")
        if lo.notna().any() and hi.notna().any():
            return float(lo.min()), float(hi.max())
    present = [c for c in items if c in responses.columns]
    if not present:
        return None
    values = responses[present].apply(pd.to_numeric, errors="coerce").stack()
    if values.empty or values.max() <= values.min():
        return None
    return float(values.min()), float(values.max())


# ----------------------------------------------------------------------------- helpers


def _score(code: str, values: pd.Series) -> pd.Series:
    xs, ys = SCALES[code]
    v = pd.to_numeric(values, errors="coerce").astype(float)
    out = np.interp(v.fillna(0.0).to_numpy(), xs, ys)
    return pd.Series(np.where(v.isna(), np.nan, out), index=values.index)


def _check_weights(weights: Mapping[str, float] | None) -> dict[str, float]:
    chosen = dict(DEFAULT_WEIGHTS if weights is None else weights)
    unknown = [k for k in chosen if k not in COMPONENTS]
    if unknown:
        raise KamError("health.unknown_component", "'{name}' is not a health component.", name=unknown[0])
    for name, value in chosen.items():
        if not np.isfinite(value) or value < 0:
            raise KamError("health.bad_weight", "The weight of '{name}' must be zero or more.", name=name)
    if sum(chosen.values()) <= 0:
        raise KamError("health.no_weight", "At least one health component needs a weight above zero.")
    return {c: float(chosen.get(c, 0.0)) for c in COMPONENTS}


def _window_sum(frame: pd.DataFrame, column: str, start: pd.Timestamp, end: pd.Timestamp) -> pd.Series:
    inside = (frame["date"] > start) & (frame["date"] <= end)
    return frame.loc[inside].groupby("customer_id")[column].sum()


def money_measures(transactions: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    """Per account: revenue and profit over the last 12 months and the 12 before, growth, margin.

    Windows are (as_of − 365 days, as_of] and the 365 days before that.
    """
    year = pd.Timedelta(days=365)
    out = pd.DataFrame(index=pd.Index(transactions["customer_id"].unique(), name="customer_id"))
    out["revenue_12m"] = _window_sum(transactions, "revenue", as_of - year, as_of)
    out["revenue_prev_12m"] = _window_sum(transactions, "revenue", as_of - 2 * year, as_of - year)
    out[["revenue_12m", "revenue_prev_12m"]] = out[["revenue_12m", "revenue_prev_12m"]].fillna(0.0)
    prev = out["revenue_prev_12m"]
    out["growth"] = np.where(prev > 0, out["revenue_12m"] / prev.where(prev > 0) - 1.0, np.nan)
    if "profit" in transactions.columns:
        profit = _window_sum(transactions, "profit", as_of - year, as_of).reindex(out.index)
        rev = out["revenue_12m"]
        out["margin"] = np.where(rev > 0, profit / rev.where(rev > 0), np.nan)
    else:
        out["margin"] = np.nan
    return out


def buying_measures(transactions: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    """Per account: days since the last purchase, its usual gap, purchase days in 6 months vs usual.

    A purchase day is a distinct date with a positive line. The usual gap is the median number
    of days between purchase days over the two years up to its last purchase (at least
    :data:`MIN_GAP_DAYS`); the usual count in 6 months is half the purchase days in the
    12 months before the last 6.
    """
    buys = transactions.loc[transactions["revenue"] > 0, ["customer_id", "date"]].drop_duplicates()
    buys = buys.sort_values(["customer_id", "date"])
    ids = pd.Index(transactions["customer_id"].unique(), name="customer_id")
    out = pd.DataFrame(index=ids)
    last = buys.groupby("customer_id")["date"].max().reindex(ids)
    out["days_since"] = (as_of - last).dt.days.astype(float)
    # the rhythm of the account's last two active years (up to its last purchase, so a dormant
    # account is judged against how it used to buy)
    recent_life = buys[buys["date"] > buys["customer_id"].map(last) - pd.Timedelta(days=730)]
    gaps = recent_life.groupby("customer_id")["date"].diff().dt.days
    median_gap = gaps.groupby(recent_life["customer_id"]).median().reindex(ids)
    n_days = recent_life.groupby("customer_id").size().reindex(ids).fillna(0)
    usual = np.maximum(median_gap.to_numpy(dtype=float), MIN_GAP_DAYS)
    out["usual_gap_days"] = np.where(n_days >= MIN_PURCHASE_DAYS, usual, np.nan)
    half = pd.Timedelta(days=182)
    recent = buys[buys["date"] > as_of - half].groupby("customer_id").size().reindex(ids).fillna(0)
    before = buys[(buys["date"] > as_of - 3 * half) & (buys["date"] <= as_of - half)]
    usual_n = before.groupby("customer_id").size().reindex(ids).fillna(0) / 2.0
    out["purchase_days_6m"] = recent.astype(float)
    out["usual_purchase_days_6m"] = usual_n.where(usual_n >= MIN_EXPECTED_DAYS)
    return out


def survey_measures(survey: SurveyInput) -> pd.DataFrame:
    """Per account: the customer gap per key area (``gap::<area>``), their mean, and NPS."""
    from kamcore.survey import gap_by_account, nps

    by_account = gap_by_account(survey.responses, survey.dictionary, survey.account)
    out = by_account.set_index("account")
    area_cols = [c for c in out.columns if c.startswith("gap::")]
    out = out[area_cols].copy()
    out["areas_gap"] = out[area_cols].mean(axis=1) if area_cols else np.nan
    span = (survey.scale[1] - survey.scale[0]) if survey.scale else np.nan
    out["areas_relative"] = out["areas_gap"] / span if span and span > 0 else np.nan
    if survey.recommend and survey.recommend in survey.responses.columns:
        ids = survey.responses[survey.account].astype("string").str.strip()
        nps_series = _nps_by_account(ids, survey.responses[survey.recommend])
        if nps_series is None:  # an answer nps() refuses: its own error, for the account it is in
            scores = {}
            for account_id, answers in survey.responses.groupby(ids)[survey.recommend]:
                values = pd.to_numeric(answers, errors="coerce").dropna()
                if len(values):
                    scores[str(account_id)] = nps(values).score
            nps_series = pd.Series(scores, dtype=float)
        out = out.reindex(out.index.union(nps_series.index))
        out["nps"] = nps_series
    else:
        out["nps"] = np.nan
    out.index = out.index.astype(str)
    out.index.name = "customer_id"
    return out


def _nps_by_account(ids: pd.Series, answers: pd.Series) -> pd.Series | None:
    """``kamcore.survey.nps(...).score`` of each account's answers (blank ones left out; accounts
    without an answer left out), counted in one pass: 100 · (promoters − detractors) / n as nps()
    computes it. None when an answer is no whole number 0–10 (the caller lets nps() say so)."""
    values = pd.to_numeric(answers, errors="coerce").astype(float).to_numpy()
    answered = ~np.isnan(values) & ids.notna().to_numpy()
    if not answered.any():
        return pd.Series({}, dtype=float)
    v = values[answered]
    if ((v < 0) | (v > 10) | (v != np.round(v))).any():
        return None
    codes, accounts = pd.factorize(ids[answered], sort=True)
    n = np.bincount(codes, minlength=len(accounts))
    promoters = np.bincount(codes[v >= 9], minlength=len(accounts))
    detractors = np.bincount(codes[v <= 6], minlength=len(accounts))
    score = 100.0 * (promoters - detractors) / n
    return pd.Series(score, index=pd.Index([str(a) for a in accounts]), dtype=float)


# ------------------------------------------------------------------------------ main


def health_scores(
    transactions: pd.DataFrame,
    *,
    accounts: pd.DataFrame | None = None,
    survey: Any = None,
    as_of: Any = None,
    weights: Mapping[str, float] | None = None,
) -> pd.DataFrame:
    """Health of every account, 0–100, with its components, band and the two main drivers.

    Parameters
    ----------
    transactions : DataFrame
        Canonical sales lines: ``customer_id``, ``date``, ``revenue`` (``profit`` optional).
        Lines after ``as_of`` are ignored.
    accounts : DataFrame, optional
        One row per account with ``customer_id`` and any of the team scores
        ``relationship_strength`` and ``share_of_wallet`` (1–5) and ``buying_centre_coverage``
        (share 0–1), and ``p_alive`` (0–1, from ``kamcore.clv.account_future_value``), which
        joins recency and frequency in the buying pattern, and ``expected_revenue_12m`` (the next
        12 months' expected revenue, same source), which joins the money component as the
        ``outlook`` sub-score: expected revenue / the last 12 months' revenue − 1, scored as the
        revenue trend, and counted only as a warning: when its score is below both the trend's
        score and :data:`OUTLOOK_FLAT` (the model expects less than last year and worse than the
        trend says). BG/NBD assumes every account keeps its long-run rhythm, so it expects an
        account whose sales are falling to recover: it may pull a score down, never lift it.
        Without it (or without revenue in the last 12 months) the outlook is left out:
        ``score_outlook`` is NaN (``outlook``, the ratio, too when absent) and money is the mean of
        trend and margin.
        ``status`` is never read.
    survey : optional
        A prepared survey, a :class:`SurveyInput`, or ``(table, item dictionary)``.
    as_of : date, optional
        The day the score is computed for; default the last transaction date.
    weights : mapping, optional
        Component -> weight (``money``, ``buying``, ``survey``, ``relationship``); default
        :data:`DEFAULT_WEIGHTS`. Components not named get weight 0.

    Returns
    -------
    DataFrame
        One row per account with a line on or before ``as_of``: ``account``, ``health``,
        ``money``, ``buying``, ``survey``, ``relationship`` (NaN when missing), ``band``
        (act / watch / good), ``drivers`` (English words), ``driver_codes`` (tuple of
        sub-score codes, for translation), ``missing`` (tuple of components left out), the
        sub-scores ``score_<code>`` and the measures behind them. Sorted by health, lowest first.

    Notes
    -----
    health = Σ w_c · s_c / Σ w_c over the components c with data (and w_c > 0); a component's
    score s_c is the mean of its available sub-scores; each sub-score is
    ``np.interp(measure, *SCALES[code])``. The drivers are the two sub-scores with the largest
    weighted shortfall w_c · (100 − sub-score) / (number of sub-scores in c), among those below 100.
    """
    w = _check_weights(weights)
    return score(sales_measures(transactions, as_of), accounts=accounts, survey=survey, weights=w)


class SalesMeasures(NamedTuple):
    """The per-account measures health takes from the sales lines (the expensive part of
    :func:`health_scores`, made once per data and ``as_of`` by :func:`sales_measures`)."""

    #: One row per account (index ``customer_id``, text): the columns of :func:`money_measures`
    #: and :func:`buying_measures`, and ``margin_portfolio``.
    table: pd.DataFrame
    #: The day the measures are taken for.
    as_of: pd.Timestamp


def sales_measures(transactions: pd.DataFrame, as_of: Any = None) -> SalesMeasures:
    """Money and buying measures of every account with a line on or before ``as_of`` (default:
    the last transaction date): :func:`money_measures` joined to :func:`buying_measures`, and the
    portfolio's median account margin, computed on integer account codes (a million lines in a
    fraction of a second). Ids are stripped; lines without a date or an id are ignored.

    >>> lines = pd.DataFrame({"customer_id": [" 7", "7", "8"], "revenue": [10.0, 30.0, 5.0],
    ...                       "date": pd.to_datetime(["2026-01-01", "2026-03-01", "2025-06-01"])})
    >>> found = sales_measures(lines)
    >>> found.as_of.date(), found.table.loc["7", "revenue_12m"], found.table.loc["8", "days_since"]
    (datetime.date(2026, 3, 1), np.float64(40.0), np.float64(273.0))
    """
    for column in ("customer_id", "date", "revenue"):
        if column not in transactions.columns:
            raise KamError("health.needs_column", "Health needs the sales column '{column}'.", column=column)
    dates = transactions["date"]
    # account codes: the distinct ids stripped once (not a million strings), then coded again so
    # " 7" and "7" are one account; the column's codes are those every analysis of the column
    # shares (kamcore.portfolio.customer_codes: made once per column, not once per analysis)
    raw_codes, raw_ids = customer_codes(transactions["customer_id"])
    stripped = pd.Series(raw_ids, dtype="string").str.strip()
    usable = stripped.notna() & (stripped != "")
    id_codes, ids = pd.factorize(stripped.where(usable).astype(object), use_na_sentinel=True)
    code_of_raw = np.append(id_codes, -1)  # raw code -1 (a missing id) -> -1
    codes = code_of_raw[raw_codes]
    keep = (codes >= 0) & dates.notna().to_numpy()
    as_of_ts = pd.Timestamp(as_of) if as_of is not None else dates[keep].max() if keep.any() else pd.NaT
    if pd.isna(as_of_ts):
        raise KamError("health.no_dates", "Health needs sales lines with dates.")
    keep &= (dates <= as_of_ts).to_numpy()
    if not keep.any():
        raise KamError("health.no_lines", "There are no sales lines on or before {date}.",
                       date=str(as_of_ts.date()))
    codes = codes[keep]
    when = dates.to_numpy()[keep]
    # only the accounts with a line kept, in order of their first line (as money_measures orders them)
    first = np.full(len(ids), len(codes), dtype=np.intp)
    np.minimum.at(first, codes, np.arange(len(codes)))  # each account's first line kept
    seen = np.flatnonzero(first < len(codes))
    present = seen[np.argsort(first[seen], kind="stable")]
    index = pd.Index(np.asarray(ids, dtype=object)[present], name="customer_id").astype(str)
    revenue = pd.to_numeric(transactions["revenue"], errors="coerce").to_numpy(dtype=float)[keep]
    profit = (pd.to_numeric(transactions["profit"], errors="coerce").to_numpy(dtype=float)[keep]
              if "profit" in transactions.columns else None)
    table = pd.DataFrame(index=index)
    for name, value in _money(codes, when, revenue, profit, as_of_ts, present).items():
        table[name] = value
    for name, value in _buying(codes, when, revenue, as_of_ts, present).items():
        table[name] = value
    margins = pd.Series(table["margin"].to_numpy())  # without the text index: only the values count
    table["margin_portfolio"] = float(margins.median()) if margins.notna().any() else np.nan
    return SalesMeasures(table, as_of_ts)


def _money(codes: np.ndarray, when: np.ndarray, revenue: np.ndarray, profit: np.ndarray | None,
           as_of: pd.Timestamp, present: np.ndarray) -> dict[str, np.ndarray]:
    """:func:`money_measures` on account codes (``when``: the lines' dates, datetime64)."""
    year = np.timedelta64(365, "D")
    end = np.datetime64(as_of)
    last_year = (when > end - year) & (when <= end)
    year_before = (when > end - 2 * year) & (when <= end - year)
    # each window's sums over its own lines only: pandas' sums of the lines in their order, which
    # skip a line outside the window exactly as they skip an empty cell (0 for an account without lines)
    n_codes = int(codes.max()) + 1
    last = {"rev": revenue[last_year]}
    if profit is not None:
        last["profit"] = profit[last_year]
    sums = pd.DataFrame(last).groupby(_by_code(codes[last_year], n_codes), observed=False).sum()
    sums = {name: sums[name].to_numpy(dtype=float)[present] for name in last}
    sums["prev"] = (pd.Series(revenue[year_before]).groupby(_by_code(codes[year_before], n_codes), observed=False)
                    .sum().to_numpy(dtype=float)[present])
    rev, prev = sums["rev"], sums["prev"]
    growth = np.full(len(present), np.nan)
    np.divide(rev, prev, out=growth, where=prev > 0)
    growth -= 1.0
    margin = np.full(len(present), np.nan)
    if profit is not None:
        # revenue above 0 means lines in the year, so the profit sum is there (0 when all empty)
        np.divide(sums["profit"], rev, out=margin, where=rev > 0)
    return {"revenue_12m": rev, "revenue_prev_12m": prev, "growth": growth, "margin": margin}


def _by_code(codes: np.ndarray, n_codes: int) -> pd.Categorical:
    """Account codes 0..n_codes−1 as a grouping key pandas takes as it is: the same sums and
    medians as grouping by the codes themselves (the lines in the same order), without hashing a
    million codes again, and a row for every code (0 sum, NaN median when it has no lines)."""
    return pd.Categorical.from_codes(codes, categories=pd.RangeIndex(n_codes), validate=False)


def _units_per_day(dtype: np.dtype) -> int | None:
    """How many steps of a datetime64 type make a day (None for types coarser than a day)."""
    unit, count = np.datetime_data(dtype)
    if unit not in ("D", "h", "m", "s", "ms", "us", "ns"):
        return None
    return int(np.timedelta64(1, "D") // np.timedelta64(count, unit))


def _whole_days(when: np.ndarray) -> np.ndarray | None:
    """Day numbers (since 1970) of datetime64 values when every one is a midnight, else None."""
    per_day = _units_per_day(when.dtype) if when.dtype.kind == "M" else None
    if per_day is None or np.isnat(when).any():
        return None
    steps = when.view(np.int64)
    if per_day == 1:
        return steps
    days, rest = np.divmod(steps, per_day)
    return days if not rest.any() else None


def _median_days(gaps: np.ndarray, codes: np.ndarray, n_codes: int) -> np.ndarray:
    """Per code 0..n_codes−1, the median of its gaps (whole days; NaN skipped; NaN without any),
    as pandas' grouped median gives it. Gaps of under 1024 days (those of the last two years are)
    are sorted within their code as one integer key each, and the median is the middle one, or the
    mean of the middle two: exact on whole numbers, as pandas' is. Else pandas' own median."""
    there = ~np.isnan(gaps)
    values = gaps[there]
    if not len(values) or values.min() < 0 or values.max() >= 1024:
        return pd.Series(gaps).groupby(_by_code(codes, n_codes), observed=False).median().to_numpy(dtype=float)
    where = codes[there].astype(np.int64)
    ordered = np.sort(where * 1024 + values.astype(np.int64)) % 1024  # by code, then by gap
    count = np.bincount(where, minlength=n_codes)
    start = np.cumsum(count) - count
    has = count > 0
    low, high = (start + (count - 1) // 2)[has], (start + count // 2)[has]
    median = np.full(n_codes, np.nan)
    median[has] = (ordered[low] + ordered[high]) / 2.0
    return median


def _buying(codes: np.ndarray, when: np.ndarray, revenue: np.ndarray, as_of: pd.Timestamp,
            present: np.ndarray) -> dict[str, np.ndarray]:
    """:func:`buying_measures` on account codes: purchase days sorted by account and date once
    (``when``: the lines' dates, datetime64)."""
    positive = revenue > 0
    # the distinct (account, date) pairs in account and date order: dates ranked, then one integer
    # key per pair sorted and made unique at once
    n_codes = int(codes.max()) + 1
    days = _whole_days(when[positive])
    if days is not None and len(days) and n_codes * (int(days.max()) - int(days.min()) + 1) < 2**62:
        # dates without a time of day (what sales files hold): the day number itself is the rank
        first_day = int(days.min())
        span = int(days.max()) - first_day + 1
        pairs = np.sort(codes[positive].astype(np.int64) * span + (days - first_day))
        pairs = pairs[np.append(True, pairs[1:] != pairs[:-1])]
        buy_codes = pairs // span
        stamp = ((pairs % span + first_day) * _units_per_day(when.dtype)).view(when.dtype)
    else:
        rank, moments = pd.factorize(when[positive], sort=True)
        pairs = np.sort(codes[positive].astype(np.int64) * len(moments) + rank)
        pairs = pairs[np.append(True, pairs[1:] != pairs[:-1])] if len(pairs) else pairs
        moments = np.asarray(moments, dtype=when.dtype)
        buy_codes, stamp = pairs // len(moments), moments[pairs % len(moments)]
    day = np.timedelta64(1, "D")
    end = np.datetime64(as_of)
    # the last purchase day of each account: the last row of its block
    block_end = np.ones(len(buy_codes), dtype=bool)
    block_end[:-1] = buy_codes[1:] != buy_codes[:-1]
    has_buy = np.zeros(n_codes, dtype=bool)
    has_buy[buy_codes[block_end]] = True
    last = np.full(n_codes, end, dtype=stamp.dtype)
    last[buy_codes[block_end]] = stamp[block_end]
    days_since = np.where(has_buy, ((end - last) // day).astype(float), np.nan)
    # the rhythm of the account's last two active years (up to its last purchase, so a dormant
    # account is judged against how it used to buy)
    life = stamp > last[buy_codes] - 730 * day
    life_codes, life_stamp = buy_codes[life], stamp[life]
    gaps = np.full(len(life_stamp), np.nan)
    if len(life_stamp) > 1:
        gaps[1:] = (life_stamp[1:] - life_stamp[:-1]) // day
        gaps[1:][life_codes[1:] != life_codes[:-1]] = np.nan  # each account's first day has no gap
    median_gap = _median_days(gaps, life_codes, n_codes)
    n_days = np.bincount(life_codes, minlength=n_codes)
    usual_gap = np.where(n_days >= MIN_PURCHASE_DAYS, np.maximum(median_gap, MIN_GAP_DAYS), np.nan)
    half = np.timedelta64(182, "D")
    recent = np.bincount(buy_codes[stamp > end - half], minlength=n_codes).astype(float)
    before = (stamp > end - 3 * half) & (stamp <= end - half)
    usual_n = np.bincount(buy_codes[before], minlength=n_codes) / 2.0
    usual_n = np.where(usual_n >= MIN_EXPECTED_DAYS, usual_n, np.nan)
    return {"days_since": days_since[present], "usual_gap_days": usual_gap[present],
            "purchase_days_6m": recent[present], "usual_purchase_days_6m": usual_n[present]}


def score(sales: SalesMeasures, *, accounts: pd.DataFrame | None = None, survey: Any = None,
          weights: Mapping[str, float] | None = None, survey_table: pd.DataFrame | None = None) -> pd.DataFrame:
    """Health from the :func:`sales_measures` of the data and the other inputs of
    :func:`health_scores` (same meaning, same result): the cheap part, over one row per account.
    ``sales`` is not changed. ``survey_table``: :func:`survey_measures` of ``survey`` when the
    caller has made it already (a caller that keeps it per survey scores without recomputing it).

    Computed on plain arrays in the order of ``sales.table``: the survey measures and the team
    scores are matched to it once each (one lookup of the account ids, not one per column), and
    the result is sorted once by health and account, so the text ids are compared only there."""
    w = _check_weights(weights)
    as_of_ts = sales.as_of
    table = sales.table
    index = table.index
    n = len(index)
    columns: dict[str, Any] = {name: _values(table[name]) for name in table.columns}
    sub: dict[str, np.ndarray] = {}
    num = {name: _floats(table[name]) for name in
           ("growth", "margin", "margin_portfolio", "days_since", "usual_gap_days", "purchase_days_6m",
            "usual_purchase_days_6m", "revenue_12m")}
    sub["trend"] = _interp("trend", num["growth"])
    sub["margin"] = _interp("margin", num["margin"] - num["margin_portfolio"])
    with np.errstate(divide="ignore", invalid="ignore"):
        sub["recency"] = _interp("recency", num["days_since"] / num["usual_gap_days"])
        sub["frequency"] = _interp("frequency", num["purchase_days_6m"] / num["usual_purchase_days_6m"])

    prepared = survey_input(*survey) if isinstance(survey, tuple) else survey_input(survey)
    if prepared is not None:
        measures = survey_measures(prepared) if survey_table is None else survey_table
        measures = measures[~measures.index.duplicated()] if not measures.index.is_unique else measures
        where = measures.index.get_indexer(index)  # as table.join(measures, how="left")
        for name in measures.columns:
            columns[name] = _take(_values(measures[name]), where)
        sub["areas"] = _interp("areas", _floats(columns["areas_relative"]))
        sub["nps"] = _interp("nps", _floats(columns["nps"]))
    else:
        sub["areas"] = np.full(n, np.nan)
        sub["nps"] = np.full(n, np.nan)

    if accounts is not None and "customer_id" in accounts.columns:
        team_ids = accounts["customer_id"].astype("string").str.strip().astype(str)
        first = ~team_ids.duplicated()  # as drop_duplicates("customer_id"): the first row of an id
        where = _positions(pd.Index(team_ids[first]), index)
        for column in TEAM_COLUMNS:
            columns[column] = (_take(_values(pd.to_numeric(accounts.loc[first, column], errors="coerce")), where)
                               if column in accounts.columns else np.full(n, np.nan))
    else:
        for column in TEAM_COLUMNS:
            columns[column] = np.full(n, np.nan)
    sub["relationship_strength"] = _interp("relationship_strength", _floats(columns["relationship_strength"]))
    sub["share_of_wallet"] = _interp("share_of_wallet", _floats(columns["share_of_wallet"]))
    sub["coverage"] = _interp("coverage", _floats(columns["buying_centre_coverage"]))
    sub["p_alive"] = _interp("p_alive", _floats(columns["p_alive"]))
    revenue = np.where(num["revenue_12m"] > 0, num["revenue_12m"], np.nan)
    expected = columns["expected_revenue_12m"]
    if isinstance(expected, np.ndarray) and expected.dtype == np.float64:
        with np.errstate(divide="ignore", invalid="ignore"):
            columns["outlook"] = expected / revenue - 1.0
    else:  # a nullable or integer column: pandas' own arithmetic and result type
        columns["outlook"] = _values(pd.Series(expected) / pd.Series(revenue) - 1.0)
    outlook = _interp("outlook", _floats(columns["outlook"]))
    # a warning only: BG/NBD assumes each account keeps its long-run rhythm, so it expects a
    # decliner to recover; the outlook counts when it is worse than the trend (and than flat)
    trend = np.where(np.isnan(sub["trend"]), OUTLOOK_FLAT, sub["trend"])
    sub["outlook"] = np.where(outlook < np.minimum(trend, OUTLOOK_FLAT), outlook, np.nan)

    # each component: the mean of its available sub-scores, summed left to right as pandas' mean does
    comp: dict[str, np.ndarray] = {}
    avail: dict[str, np.ndarray] = {}
    for component, codes in SUBSCORES.items():
        total, count = np.zeros(n), np.zeros(n)
        for code in codes:
            there = ~np.isnan(sub[code])
            total = total + np.where(there, sub[code], 0.0)
            count = count + there
        avail[component] = count
        with np.errstate(divide="ignore", invalid="ignore"):
            comp[component] = np.where(count > 0, total / np.where(count > 0, count, 1.0), np.nan)
    weight_row = np.array([w[c] for c in COMPONENTS])
    scores = np.column_stack([comp[c] for c in COMPONENTS]) if n else np.zeros((0, len(COMPONENTS)))
    used = ~np.isnan(scores) & (weight_row > 0)
    # Σ w_c · s_c and Σ w_c added component by component, in COMPONENTS order (what numpy's sum over
    # four numbers does, written out so that no byte of it depends on how numpy reduces)
    total_w, weighted = np.zeros(n), np.zeros(n)
    for j in range(len(COMPONENTS)):
        total_w = total_w + used[:, j] * weight_row[j]
        weighted = weighted + np.where(used[:, j], scores[:, j], 0.0) * weight_row[j]
    health = np.where(total_w > 0, weighted / np.where(total_w > 0, total_w, 1.0), np.nan)
    # bands as pd.cut(right=False) gives them: [-inf, 45), [45, 65), [65, inf); no band without health
    band_of = np.array([*BAND_NAMES, None], dtype=object)
    band = band_of[np.where(np.isnan(health), len(BAND_NAMES), (health >= BANDS[0]).astype(int) + (health >= BANDS[1]))]
    # which components are missing, as one of 16 patterns per account (a tuple made once per pattern)
    absent = np.isnan(scores)
    pattern = absent.astype(np.int64) @ (1 << np.arange(len(COMPONENTS)))
    missing = np.empty(1 << len(COMPONENTS), dtype=object)
    for p in range(len(missing)):
        missing[p] = tuple(c for i, c in enumerate(COMPONENTS) if p >> i & 1)

    # weighted shortfall of every sub-score: w_c * (100 - s) / (sub-scores available in c)
    order = list(DRIVER_WORDS)
    component_of = {code: component for component, codes in SUBSCORES.items() for code in codes}
    with np.errstate(divide="ignore", invalid="ignore"):
        shortfall = np.column_stack([
            w[component_of[code]] * (100.0 - sub[code]) / np.where(avail[component_of[code]] > 0,
                                                                   avail[component_of[code]], np.nan)
            for code in order]) if n else np.zeros((0, len(order)))
    shortfall = np.where(np.isnan(shortfall) | (shortfall <= 0), -np.inf, shortfall)
    # stable ordering: largest shortfall first, ties in DRIVER_WORDS order
    # the largest and the next: argmax takes the first of equal values, as a stable sort would
    best = np.argmax(shortfall, axis=1) if n else np.zeros(0, dtype=np.intp)
    rest = shortfall.copy()
    rest[np.arange(n), best] = -np.inf
    second = np.argmax(rest, axis=1) if n else np.zeros(0, dtype=np.intp)
    ranked = np.column_stack([best, second])
    # the two codes (fewer when fewer fall short) as one pattern per account: made once per pattern
    rows_n = np.arange(n)
    finite = np.column_stack([np.isfinite(shortfall[rows_n, best]), np.isfinite(rest[rows_n, second])])
    none = len(order)  # "no code"
    pair = (np.where(finite[:, 0], ranked[:, 0], none) * (none + 1)
            + np.where(finite[:, 1], ranked[:, 1], none)) if len(ranked) else np.zeros(0, dtype=np.int64)
    found, inverse = np.unique(pair, return_inverse=True)
    made = [tuple(order[j] for j in divmod(int(v), none + 1) if j != none) for v in found]
    codes_of = np.empty(len(made), dtype=object)
    codes_of[:] = made
    words_of = np.array([", ".join(DRIVER_WORDS[c] for c in codes) for codes in made], dtype=object)
    inverse = inverse.ravel()

    # lowest health first, then by account (ids compared as text once); no health last
    by_id = _text_order(index)
    rows = by_id[np.argsort(health[by_id], kind="stable")]
    out: dict[str, Any] = {"account": index.take(rows), "health": health[rows]}
    for component in COMPONENTS:
        out[component] = comp[component][rows]
    out["band"] = pd.array(band[rows], dtype="string")
    out["drivers"] = words_of[inverse[rows]].tolist()
    out["driver_codes"] = codes_of[inverse[rows]].tolist()
    out["missing"] = missing[pattern[rows]].tolist()
    for code in ("trend", "margin", "recency", "frequency", "areas", "nps", "relationship_strength",
                 "share_of_wallet", "coverage", "p_alive", "outlook"):
        out[f"score_{code}"] = sub[code][rows]
    for name, values in columns.items():
        out[name] = values[rows] if isinstance(values, np.ndarray) else values.take(rows)
    frame = pd.DataFrame(out)
    frame["as_of"] = as_of_ts
    return frame


def _floats(values: Any) -> np.ndarray:
    """A column as float64 (text that is no number, and missing cells, as NaN)."""
    if isinstance(values, np.ndarray) and values.dtype == np.float64:
        return values
    return pd.to_numeric(pd.Series(values, copy=False), errors="coerce").astype(float).to_numpy()


def _text_order(values: Any) -> np.ndarray:
    """Positions that put text in Python's order (by code point, as ``sorted`` and pandas sort it):
    Arrow's stable sort of the UTF-8 bytes, whose order is the code points'. Numpy's sort of the
    objects when the text cannot be UTF-8 (a lone surrogate)."""
    try:
        values = values.array if isinstance(values, pd.Index | pd.Series) else values
        return pc.sort_indices(pa.array(values, type=pa.string())).to_numpy().astype(np.intp)
    except (pa.ArrowException, UnicodeError):
        return np.argsort(np.asarray(values, dtype=object), kind="stable")


def _positions(among: pd.Index, keys: pd.Index) -> np.ndarray:
    """``among.get_indexer(keys)`` (``among`` unique): each key's position in ``among``, −1 when it
    is not there. Text against text is matched by Arrow's hash join, without Python strings."""
    if among.dtype == "str" and keys.dtype == "str":
        found = pc.index_in(pa.array(keys.array), value_set=pa.array(among.array))
        return found.fill_null(-1).to_numpy().astype(np.intp)
    return among.get_indexer(keys)


def _values(column: pd.Series) -> Any:
    """A column's values: a numpy array for numpy types, else its extension array."""
    return column.array if isinstance(column.dtype, pd.api.extensions.ExtensionDtype) else column.to_numpy()


def _interp(code: str, values: np.ndarray) -> np.ndarray:
    """:func:`_score` on a float array: ``np.interp`` on :data:`SCALES`, NaN where the measure is."""
    xs, ys = SCALES[code]
    missing = np.isnan(values)
    out = np.interp(np.where(missing, 0.0, values), xs, ys)
    out[missing] = np.nan
    return out


def _take(values: Any, where: np.ndarray) -> Any:
    """``values`` at the positions ``where`` (−1: missing), typed as ``reindex`` types it."""
    return pd.api.extensions.take(values, where, allow_fill=True)


def monthly_revenue(transactions: pd.DataFrame, *, as_of: Any = None, months: int = 12) -> pd.Series:
    """Per account, its revenue in each of the last ``months`` calendar months (a list; for sparklines).

    Every account with a dated line up to ``as_of`` is there (sorted by id; a flat line for one
    silent all year). Months are numbered (year · 12 + month) and summed per account and month in
    one grouping on integer codes, the sums pandas' own.

    >>> lines = pd.DataFrame({"customer_id": ["b", "a", "a", "b"], "revenue": [1.0, 2.0, 3.0, 4.0],
    ...                       "date": pd.to_datetime(["2025-01-15", "2026-02-01", "2026-02-20", "2026-03-31"])})
    >>> monthly_revenue(lines, months=2).to_dict()
    {'a': [5.0, 0.0], 'b': [0.0, 4.0]}
    """
    dates = transactions["date"]
    end = pd.Timestamp(as_of) if as_of is not None else dates.max()
    if pd.isna(end):  # no dated line at all: no account (this used to fail with an IndexError)
        return pd.Series([], index=pd.Index([], dtype="str", name="customer_id"), dtype=object)
    kept = (dates.notna() & (dates <= end)).to_numpy()
    # ids coded once over the column (kamcore.portfolio.customer_codes, shared with the other
    # analyses of the column), their distinct values as text sorted (a few thousand, not a million)
    raw_codes, raw_ids = customer_codes(transactions["customer_id"])
    text = pd.Index(raw_ids).astype(str)
    if text.is_unique:  # distinct ids stay distinct as text (unless e.g. 1 and "1" are both there)
        text_codes, everyone = np.arange(len(text)), text.array
    else:
        text_codes, everyone = pd.factorize(text.to_numpy(dtype=object))
    order = _text_order(everyone)  # sorted as factorize(sort=True) sorts text, without comparing objects
    rank = np.empty(len(order), dtype=np.intp)
    rank[order] = np.arange(len(order))
    text_codes, everyone = rank[text_codes], everyone[order]
    codes = np.append(text_codes, -1)[raw_codes]
    kept = kept & (codes >= 0)  # a line without an id belongs to no account
    codes = codes[kept]
    present = np.zeros(len(everyone), dtype=bool)
    present[codes] = True  # accounts silent for a year get a flat line; those without a line none
    revenue = pd.to_numeric(transactions["revenue"], errors="coerce").to_numpy(dtype=float)[kept]
    if isinstance(dates.dtype, np.dtype):
        # the lines of the last ``months`` months: on or after the first day of the first, each in
        # the month whose first day it follows (compared as datetime64, instead of taking every
        # date's year and month apart)
        when = dates.to_numpy()[kept]
        start = (end.to_period("M") - (months - 1)).to_timestamp()
        bounds = pd.date_range(start, periods=months + 1, freq="MS").to_numpy().astype(when.dtype)
        inside = when >= bounds[0]
        month = np.searchsorted(bounds, when[inside], side="right") - 1
    else:  # dates with a time zone: their local months
        when = dates[kept]
        first = end.year * 12 + end.month - 1 - (months - 1)
        month = (when.dt.year * 12 + when.dt.month - 1).to_numpy(dtype=np.int64) - first
        inside = month >= 0
        month = month[inside]
    key = codes[inside].astype(np.int64) * months + month
    # one sum per account and month (pandas' sums, the lines in their order), every cell of the grid
    # a group of its own: 0 where an account bought nothing that month
    grid = (pd.Series(revenue[inside]).groupby(_by_code(key, len(everyone) * months), observed=False).sum()
            .to_numpy(dtype=float))
    rows = grid.reshape(len(everyone), months)[present].tolist()
    index = pd.Index(everyone[present], name="customer_id").astype(str)
    return pd.Series(rows, index=index, dtype=object)

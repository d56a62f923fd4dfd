"""Portfolio analysis: ABC/Pareto classes, concentration, the whale curve and class movement.

Every function takes a plain DataFrame plus the names of the columns to use, so the same
code classifies accounts by revenue, profit/contribution margin or quantity, over any
period the caller has filtered to. Results are DataFrames with named columns or small
pydantic models.

Examples
--------
>>> import pandas as pd
>>> from kamcore.portfolio import abc_classes, abc_summary, concentration
>>> sales = pd.DataFrame({
...     "customer_id": ["K1", "K2", "K3", "K4", "K1", "K5"],
...     "revenue": [500.0, 300.0, 120.0, 40.0, 40.0, -20.0],
... })
>>> classes = abc_classes(sales, "customer_id", "revenue")
>>> classes[["customer", "value", "abc_class"]].to_records(index=False).tolist()
[('K1', 540.0, 'A'), ('K2', 300.0, 'A'), ('K3', 120.0, 'B'), ('K4', 40.0, 'C'), ('K5', -20.0, 'C')]
>>> abc_summary(classes)["accounts"].tolist()
[2, 1, 2]
>>> concentration(sales, "customer_id", "revenue").accounts_for_80pct
2
"""

from __future__ import annotations

import collections
import datetime as dt
import functools
import math
import threading
import weakref
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
from pydantic import BaseModel, ConfigDict

from kamcore.errors import KamError

__all__ = [
    "CLASSES",
    "Concentration",
    "Movement",
    "WhaleSummary",
    "abc_by_group",
    "abc_classes",
    "abc_summary",
    "churn_risk",
    "concentration",
    "default_periods",
    "monthly_series",
    "movement",
    "whale_curve",
    "whale_summary",
]

#: The ABC classes in order of importance.
CLASSES: tuple[str, ...] = ("A", "B", "C")
#: Labels used by :func:`movement` for accounts absent in one of the two periods.
NEW = "new"
LOST = "lost"

# Cumulative shares are sums of floats; an account whose predecessors reach a threshold
# "exactly" (0.2 + 0.2 + 0.2 + 0.2) must count as having reached it, not as 1e-16 short.
_TOLERANCE = 1e-9

ABC_COLUMNS: tuple[str, ...] = (
    "customer",
    "value",
    "share",
    "cum_share",
    "rank",
    "abc_class",
    "non_positive",
)


# --------------------------------------------------------------------------- helpers


def _require_columns(table: pd.DataFrame, *columns: str) -> None:
    for column in columns:
        if column not in table.columns:
            raise KamError(
                "portfolio.missing_column",
                "The table has no column '{column}'.",
                column=column,
            )


def _numeric(table: pd.DataFrame, column: str) -> np.ndarray:
    """The column as float64, missing values as 0; non-numbers are a user error."""
    values = table[column]
    if not (pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)):
        raise KamError(
            "portfolio.not_numeric",
            "Column '{column}' must contain numbers.",
            column=column,
        )
    return np.nan_to_num(values.to_numpy(dtype="float64", na_value=np.nan), nan=0.0)


def _check_thresholds(thresholds: tuple[float, float]) -> tuple[float, float]:
    def invalid() -> KamError:
        return KamError(
            "portfolio.bad_thresholds",
            "The ABC limits must be two shares a < b with 0 < a and b ≤ 100 %; got {got}.",
            got=str(thresholds),
        )

    try:
        first, second = (float(x) for x in thresholds)
    except (TypeError, ValueError):
        raise invalid() from None
    if not (math.isfinite(first) and math.isfinite(second) and 0 < first < second <= 1):
        raise invalid()
    return first, second


#: Customer codes of recently seen columns (see :func:`_factorized`), newest last.
_FACTORIZED: collections.OrderedDict[int, tuple[Any, np.ndarray, pd.Index]] = collections.OrderedDict()
_FACTORIZED_ENTRIES = 8
# Re-entrant: an entry's weakref callback may run inside a locked block of the same thread
# (the garbage collector can run at any allocation there).
_FACTORIZED_LOCK = threading.RLock()


def _forget_factorized(key: int, ref: weakref.ref) -> None:
    """Drop the codes of a column that no longer exists (a weakref callback)."""
    with _FACTORIZED_LOCK:
        entry = _FACTORIZED.get(key)
        if entry is not None and entry[0] is ref:  # not a newer column that reuses the id
            del _FACTORIZED[key]


def _factorized(column: pd.Series) -> tuple[np.ndarray, pd.Index]:
    """``pd.factorize(column, sort=True)``, remembered for the column's (immutable) array.

    Every analysis of a page groups the same million customer ids; an app hands them the same
    cached column (pandas' copy-on-write never changes an array in place), so the codes are
    computed once per column instead of once per analysis. Only Arrow-backed columns are
    remembered, by the identity of their (immutable) Arrow data.
    """
    # The Arrow data itself: shallow copies of a frame share it (their pandas arrays differ).
    array = getattr(column.array, "_pa_array", None)
    if not isinstance(array, pa.ChunkedArray):
        return pd.factorize(column, sort=True)
    key = id(array)
    with _FACTORIZED_LOCK:
        hit = _FACTORIZED.get(key)
        if hit is not None and hit[0]() is array and len(hit[1]) == len(array):
            _FACTORIZED.move_to_end(key)
            return hit[1], hit[2]
    codes, uniques = pd.factorize(column, sort=True)
    codes.setflags(write=False)
    with _FACTORIZED_LOCK:
        # The codes (8 bytes a row) leave with their column rather than when evicted: a page
        # that drops its frame should not leave up to eight million-row code arrays behind.
        _FACTORIZED[key] = (weakref.ref(array, functools.partial(_forget_factorized, key)), codes, uniques)
        while len(_FACTORIZED) > _FACTORIZED_ENTRIES:
            _FACTORIZED.popitem(last=False)
    return codes, uniques


def _net_from_codes(codes: np.ndarray, customers: pd.Index, values: np.ndarray) -> pd.DataFrame:
    """Net value per customer code, sorted by value descending and customer ascending."""
    known = codes >= 0
    if not known.any():
        raise KamError("portfolio.empty", "There are no accounts to analyse.")
    present = np.bincount(codes[known], minlength=len(customers)) > 0
    totals = np.bincount(codes[known], weights=values[known], minlength=len(customers))
    if not present.all():
        # Codes of a larger column: only the customers with rows here take part.
        customers, totals = customers[present], totals[present]
    order = np.argsort(-totals, kind="stable")
    return pd.DataFrame(
        {"customer": customers.take(order), "value": totals[order]},
    )


def customer_codes(column: pd.Series) -> tuple[np.ndarray, pd.Index]:
    """Codes (-1 for missing) and sorted distinct values of a customer column, remembered."""
    return _factorized(column)


def _net_by_customer(table: pd.DataFrame, customer: str, value: str) -> pd.DataFrame:
    """Net value per customer, sorted by value descending and customer ascending.

    Rows without a customer id are ignored; missing values count as 0.
    """
    _require_columns(table, customer, value)
    values = _numeric(table, value)
    # factorize(sort=True) numbers the customers in ascending order, so a stable sort on
    # the value alone keeps ties in customer order without a second sort key.
    codes, customers = _factorized(table[customer])
    return _net_from_codes(codes, customers, values)


def _classify(net: pd.DataFrame, thresholds: tuple[float, float]) -> pd.DataFrame:
    """Add share, cum_share, rank, abc_class and non_positive to a sorted net table."""
    first, second = thresholds
    values = net["value"].to_numpy()
    positive = values > 0
    positive_total = values[positive].sum()
    if positive_total > 0:
        share = np.where(positive, values / positive_total, 0.0)
    else:
        share = np.zeros(len(values))
    cum_share = np.cumsum(share)
    before = cum_share - share
    abc = np.where(before < first - _TOLERANCE, "A", np.where(before < second - _TOLERANCE, "B", "C"))
    abc = np.where(positive, abc, "C")
    return net.assign(
        share=share,
        cum_share=cum_share,
        rank=np.arange(1, len(values) + 1, dtype="int64"),
        abc_class=pd.array(abc, dtype="str"),
        non_positive=~positive,
    )[list(ABC_COLUMNS)]


# ------------------------------------------------------------------------------ ABC


def abc_classes(
    table: pd.DataFrame,
    customer: str,
    value: str,
    thresholds: tuple[float, float] = (0.80, 0.95),
) -> pd.DataFrame:
    """Classify accounts into A, B and C by their cumulative share of a value (Pareto/ABC).

    Parameters
    ----------
    table : DataFrame
        One or more rows per account (transactions or one row per account). Credit notes
        are negative values and reduce the account's net value.
    customer : str
        Column with the account id. Rows with a missing id are ignored.
    value : str
        Numeric column to classify by: revenue, profit/contribution margin or quantity.
        Missing values count as 0.
    thresholds : (float, float)
        Cumulative-share limits ``(a, b)`` for A and B, with ``0 < a < b <= 1``.

    Returns
    -------
    DataFrame
        One row per account, sorted by net value descending (ties by customer id
        ascending), with columns ``customer``, ``value`` (net value), ``share``,
        ``cum_share``, ``rank`` (1 = largest), ``abc_class`` ("A", "B", "C") and
        ``non_positive`` (True when the net value is ≤ 0).

    Raises
    ------
    KamError
        ``portfolio.bad_thresholds``, ``portfolio.missing_column``,
        ``portfolio.not_numeric`` or ``portfolio.empty``.

    Notes
    -----
    With ``P`` the sum of the *positive* net values, ``share_i = v_i / P`` for accounts
    with ``v_i > 0`` and ``share_i = 0`` for accounts with ``v_i <= 0`` (their loss is
    visible in ``value`` and ``non_positive``). So the shares of all accounts add up to 1
    and ``cum_share`` rises to 1 and stays there.

    With ``before_i = cum_share_i - share_i`` (the share of all larger accounts):
    class A if ``before_i < a``, else B if ``before_i < b``, else C; accounts with
    ``v_i <= 0`` are always C. The account that crosses ``a`` is therefore in A, and A
    covers at least ``a`` of the value. Comparisons allow 1e-9 for float rounding.

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"kunde": ["x", "y", "z"], "db": [80.0, 15.0, 5.0]})
    >>> abc_classes(t, "kunde", "db")["abc_class"].tolist()
    ['A', 'B', 'C']
    """
    limits = _check_thresholds(thresholds)
    return _classify(_net_by_customer(table, customer, value), limits)


def abc_by_group(
    table: pd.DataFrame,
    customer: str,
    value: str,
    group: str,
    thresholds: tuple[float, float] = (0.80, 0.95),
) -> pd.DataFrame:
    """Classify accounts into A, B and C separately within each group (region, owner ...).

    Parameters
    ----------
    table, customer, value, thresholds
        As in :func:`abc_classes`.
    group : str
        Column to split by. An account that appears in several groups is classified in
        each of them on its value there. Rows with a missing group form their own group.

    Returns
    -------
    DataFrame
        The :func:`abc_classes` columns preceded by ``group``; ranks, shares and classes
        are within the group. Sorted by group, then rank.

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"kunde": ["x", "y", "z", "w"], "region": ["N", "N", "S", "S"],
    ...                   "oms": [90.0, 10.0, 50.0, 50.0]})
    >>> abc_by_group(t, "kunde", "oms", "region")["abc_class"].tolist()
    ['A', 'B', 'A', 'A']
    """
    limits = _check_thresholds(thresholds)
    _require_columns(table, customer, value, group)
    parts = [
        _classify(_net_by_customer(rows, customer, value), limits).assign(group=key)
        for key, rows in table.groupby(group, dropna=False, sort=True)
    ]
    if not parts:
        raise KamError("portfolio.empty", "There are no accounts to analyse.")
    result = pd.concat(parts, ignore_index=True)
    return result[["group", *ABC_COLUMNS]]


def abc_summary(classes: pd.DataFrame) -> pd.DataFrame:
    """Accounts and value per ABC class, from :func:`abc_classes` or :func:`abc_by_group`.

    Parameters
    ----------
    classes : DataFrame
        Output of :func:`abc_classes` (or :func:`abc_by_group`, then per group).

    Returns
    -------
    DataFrame
        One row per class (all three, also when empty; per group when a ``group`` column
        is present) with columns ``abc_class``, ``accounts``, ``account_share``
        (accounts / all accounts), ``value`` (sum of net values) and ``value_share``
        (sum of ``share``; the shares of A, B and C add up to 1).

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"k": ["x", "y", "z"], "v": [80.0, 15.0, 5.0]})
    >>> abc_summary(abc_classes(t, "k", "v"))["value_share"].round(2).tolist()
    [0.8, 0.15, 0.05]
    """
    _require_columns(classes, "abc_class", "value", "share")
    keys = ["group", "abc_class"] if "group" in classes.columns else ["abc_class"]
    summary = classes.groupby(keys, dropna=False, sort=False).agg(
        accounts=("value", "size"), value=("value", "sum"), value_share=("share", "sum")
    )
    if "group" in classes.columns:
        groups = classes["group"].drop_duplicates()
        full = pd.MultiIndex.from_product([groups, CLASSES], names=keys)
    else:
        full = pd.Index(CLASSES, name="abc_class")
    summary = summary.reindex(full, fill_value=0)
    summary["accounts"] = summary["accounts"].astype("int64")
    if "group" in classes.columns:
        per_group = summary.groupby(level="group", dropna=False, sort=False)["accounts"]
        summary["account_share"] = summary["accounts"] / per_group.transform("sum")
    else:
        summary["account_share"] = summary["accounts"] / summary["accounts"].sum()
    summary = summary.reset_index()
    return summary[[*keys, "accounts", "account_share", "value", "value_share"]]


# -------------------------------------------------------------------- concentration


class Concentration(BaseModel):
    """How concentrated the value is on few accounts.

    Shares are fractions (0–1) of the sum of positive net values; ``hhi`` is on the
    0–10,000 scale (shares in per cent, squared and summed).
    """

    model_config = ConfigDict(frozen=True)

    n_accounts: int
    n_positive: int
    total: float
    top_1pct: float
    top_5pct: float
    top_10pct: float
    top_20pct: float
    top_5: float
    top_10: float
    top_20: float
    hhi: float
    gini: float
    accounts_for_80pct: int
    accounts_for_80pct_share: float


def top_count(n_accounts: int, fraction: float) -> int:
    """How many accounts 'the top ``fraction`` of accounts' is: ceil(fraction · n), at least 1."""
    return max(1, math.ceil(fraction * n_accounts - _TOLERANCE))


def concentration(table: pd.DataFrame, customer: str, value: str) -> Concentration:
    """Concentration of a value over accounts: top shares, HHI, Gini, accounts for 80 %.

    Parameters
    ----------
    table, customer, value
        As in :func:`abc_classes`.

    Returns
    -------
    Concentration

    Raises
    ------
    KamError
        ``portfolio.no_positive`` when no account has a positive net value, plus the
        errors of :func:`abc_classes`.

    Notes
    -----
    Accounts are ranked as in :func:`abc_classes`; ``x_i = max(v_i, 0)`` and
    ``s_i = x_i / Σx``.

    * ``top_p pct`` = Σ s over the ``ceil(p · n)`` largest accounts (at least one), where
      ``n`` counts all accounts, including those with a net value ≤ 0.
    * ``top_N`` = Σ s over the N largest accounts (all of them when fewer than N).
    * HHI = Σ (100 · s_i)², between 10,000 / n_positive and 10,000.
    * Gini = Σ_i (2i − n − 1) · x_(i) / (n · Σx) with ``x_(i)`` sorted ascending,
      i = 1..n (population Gini, no small-sample correction): 0 when all accounts are
      equal, (n − 1)/n when one account has everything.
    * ``accounts_for_80pct`` = the number of A accounts at a = 0.80: the fewest accounts
      whose shares reach 80 %.

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"k": ["x", "y"], "v": [75.0, 25.0]})
    >>> c = concentration(t, "k", "v")
    >>> round(c.hhi), round(c.gini, 3)
    (6250, 0.25)
    """
    classes = abc_classes(table, customer, value, (0.80, 0.95))
    positive = ~classes["non_positive"].to_numpy()
    if not positive.any():
        raise KamError(
            "portfolio.no_positive",
            "No account has a positive total {value}, so shares cannot be computed.",
            value=value,
        )
    shares = classes["share"].to_numpy()
    cum = classes["cum_share"].to_numpy()
    n = len(shares)
    x = np.sort(np.clip(classes["value"].to_numpy(), 0.0, None))
    i = np.arange(1, n + 1)
    gini = float(((2 * i - n - 1) * x).sum() / (n * x.sum()))

    def top(k: int) -> float:
        return float(cum[min(k, n) - 1])

    for_80 = int((classes["abc_class"] == "A").sum())
    return Concentration(
        n_accounts=n,
        n_positive=int(positive.sum()),
        total=float(classes["value"].to_numpy()[positive].sum()),
        top_1pct=top(top_count(n, 0.01)),
        top_5pct=top(top_count(n, 0.05)),
        top_10pct=top(top_count(n, 0.10)),
        top_20pct=top(top_count(n, 0.20)),
        top_5=top(5),
        top_10=top(10),
        top_20=top(20),
        hhi=float(((shares * 100.0) ** 2).sum()),
        gini=gini,
        accounts_for_80pct=for_80,
        accounts_for_80pct_share=for_80 / n,
    )


# ---------------------------------------------------------------------- whale curve


class WhaleSummary(BaseModel):
    """The key figures of a whale curve.

    ``peak_pct`` is the highest cumulative profit as a fraction of total profit (often
    1.5–3: the profitable accounts earn more than the total, the rest destroys it).
    ``destroyed_profit`` is the summed loss of the value-destroying accounts, as a
    positive amount.
    """

    model_config = ConfigDict(frozen=True)

    n_accounts: int
    total_profit: float
    peak_profit: float
    peak_pct: float
    accounts_at_peak: int
    accounts_at_peak_share: float
    n_destroying: int
    destroyed_profit: float


def whale_curve(table: pd.DataFrame, customer: str, profit: str) -> pd.DataFrame:
    """Cumulative profit against accounts ranked from most to least profitable.

    Parameters
    ----------
    table : DataFrame
        Rows per account with a profit or contribution-margin column.
    customer : str
        Column with the account id.
    profit : str
        Numeric profit column; an account's profit is the sum of its rows.

    Returns
    -------
    DataFrame
        One row per account, sorted by profit descending (ties by customer id), with
        columns ``customer``, ``profit``, ``rank``, ``cum_profit``, ``cum_profit_pct``
        (cum_profit / total profit) and ``cum_accounts_pct`` (rank / number of accounts).

    Raises
    ------
    KamError
        ``portfolio.no_total_profit`` when the total profit is zero or negative (a curve
        in per cent of the total is then meaningless), plus the errors of
        :func:`abc_classes`.

    Notes
    -----
    The curve rises while accounts earn money, peaks at the last profitable account and
    falls through the value-destroying ones to 100 % of total profit.

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"k": ["x", "y", "z"], "p": [150.0, 50.0, -100.0]})
    >>> whale_curve(t, "k", "p")["cum_profit_pct"].tolist()
    [1.5, 2.0, 1.0]
    """
    net = _net_by_customer(table, customer, profit)
    values = net["value"].to_numpy()
    total = float(values.sum())
    if not total > 0:
        raise KamError(
            "portfolio.no_total_profit",
            "The total profit is {total}; the whale curve needs a positive total profit.",
            total=round(total, 2),
        )
    cum = np.cumsum(values)
    n = len(values)
    rank = np.arange(1, n + 1, dtype="int64")
    return pd.DataFrame(
        {
            "customer": net["customer"],
            "profit": values,
            "rank": rank,
            "cum_profit": cum,
            "cum_profit_pct": cum / total,
            "cum_accounts_pct": rank / n,
        }
    )


def whale_summary(curve: pd.DataFrame) -> WhaleSummary:
    """Peak, accounts at the peak and value destroyed, from :func:`whale_curve`.

    Parameters
    ----------
    curve : DataFrame
        Output of :func:`whale_curve`.

    Returns
    -------
    WhaleSummary

    Notes
    -----
    The peak is the first (fewest accounts) maximum of ``cum_profit``; the
    value-destroying accounts are those with profit < 0 and ``destroyed_profit`` is
    ``-Σ profit`` over them.

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"k": ["x", "y", "z"], "p": [150.0, 50.0, -100.0]})
    >>> s = whale_summary(whale_curve(t, "k", "p"))
    >>> s.peak_pct, s.accounts_at_peak, s.destroyed_profit
    (2.0, 2, 100.0)
    """
    _require_columns(curve, "profit", "cum_profit")
    profits = curve["profit"].to_numpy()
    cum = curve["cum_profit"].to_numpy()
    total = float(cum[-1])
    peak_at = int(np.argmax(cum))
    losses = profits[profits < 0]
    n = len(profits)
    return WhaleSummary(
        n_accounts=n,
        total_profit=total,
        peak_profit=float(cum[peak_at]),
        peak_pct=float(cum[peak_at] / total),
        accounts_at_peak=peak_at + 1,
        accounts_at_peak_share=(peak_at + 1) / n,
        n_destroying=int(len(losses)),
        destroyed_profit=float(-losses.sum()) + 0.0,  # + 0.0: no "-0" when nothing is lost
    )


# ------------------------------------------------------------------------- movement


class Period(BaseModel):
    """An inclusive date range."""

    model_config = ConfigDict(frozen=True)

    start: dt.date
    end: dt.date


class Movement(BaseModel):
    """ABC classes of every account in two periods and how accounts moved between them.

    ``accounts`` has one row per account that has rows in either period, with columns
    ``customer``, ``previous_value``, ``current_value``, ``change`` (current − previous),
    ``change_pct`` (change / previous value; NaN when the previous value is ≤ 0),
    ``previous_class`` ("A"/"B"/"C" or "new": no rows in the previous period),
    ``current_class`` ("A"/"B"/"C" or "lost": no rows in the current period) and
    ``last_purchase`` (latest date with a positive value up to the end of the current
    period). ``matrix`` counts accounts with previous class as rows (A, B, C, new) and
    current class as columns (A, B, C, lost).
    """

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    current: Period
    previous: Period
    thresholds: tuple[float, float]
    accounts: pd.DataFrame
    matrix: pd.DataFrame


def _timestamp(value: Any) -> pd.Timestamp:
    try:
        stamp = pd.Timestamp(value)
    except (TypeError, ValueError):
        stamp = pd.NaT
    if pd.isna(stamp):
        raise KamError("portfolio.bad_period", "'{value}' is not a date.", value=str(value))
    return stamp.normalize()


def default_periods(latest: Any) -> tuple[Period, Period]:
    """The last 12 months up to ``latest`` and the 12 months before, as (current, previous).

    Examples
    --------
    >>> cur, prev = default_periods("2026-10-31")
    >>> str(cur.start), str(cur.end), str(prev.start), str(prev.end)
    ('2025-11-01', '2026-10-31', '2024-11-01', '2025-10-31')
    """
    end = _timestamp(latest)
    start = end - pd.DateOffset(months=12) + pd.Timedelta(days=1)
    previous_end = start - pd.Timedelta(days=1)
    previous_start = start - pd.DateOffset(months=12)
    return (
        Period(start=start.date(), end=end.date()),
        Period(start=previous_start.date(), end=previous_end.date()),
    )


def _period(bounds: Any) -> Period:
    try:
        start, end = bounds
    except (TypeError, ValueError):
        raise KamError("portfolio.bad_period", "'{value}' is not a date.", value=str(bounds)) from None
    first, last = _timestamp(start), _timestamp(end)
    if first > last:
        raise KamError(
            "portfolio.period_reversed",
            "The period starts on {start}, after it ends on {end}.",
            start=first.date().isoformat(),
            end=last.date().isoformat(),
        )
    return Period(start=first.date(), end=last.date())


def _period_before(period: Period) -> Period:
    """The period of the same length just before: whole months stay whole months."""
    start = pd.Timestamp(period.start)
    after_end = pd.Timestamp(period.end) + pd.Timedelta(days=1)
    months = (after_end.year - start.year) * 12 + after_end.month - start.month
    if months > 0 and start + pd.DateOffset(months=months) == after_end:
        previous_start = start - pd.DateOffset(months=months)
    else:
        previous_start = start - (after_end - start)
    return Period(start=previous_start.date(), end=(start - pd.Timedelta(days=1)).date())


def movement(
    transactions: pd.DataFrame,
    customer: str,
    date: str,
    value: str,
    current: tuple[Any, Any] | None = None,
    previous: tuple[Any, Any] | None = None,
    thresholds: tuple[float, float] = (0.80, 0.95),
) -> Movement:
    """ABC class of each account in two periods, the transition matrix and value change.

    Parameters
    ----------
    transactions : DataFrame
        Dated rows per account.
    customer, value : str
        As in :func:`abc_classes`.
    date : str
        Datetime column; rows with a missing date are ignored.
    current, previous : (date-like, date-like), optional
        Inclusive periods. Default: the 12 months up to the latest date in the data and
        the 12 months before (see :func:`default_periods`). With only ``current``
        given, ``previous`` is the period of the same length just before it (whole
        calendar months when ``current`` is whole months).
    thresholds : (float, float)
        As in :func:`abc_classes`; applied within each period.

    Returns
    -------
    Movement

    Raises
    ------
    KamError
        ``portfolio.no_rows_in_periods`` when neither period has rows,
        ``portfolio.bad_period`` / ``portfolio.period_reversed`` for bad periods, plus
        the errors of :func:`abc_classes`.

    Notes
    -----
    Classes are computed with :func:`abc_classes` on each period's rows alone, so an
    account's class is relative to the portfolio of that period. An account counts as
    present in a period when it has at least one row there.

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({
    ...     "k": ["x", "y", "x", "z"],
    ...     "d": pd.to_datetime(["2025-03-01", "2025-04-01", "2026-03-01", "2026-04-01"]),
    ...     "v": [90.0, 10.0, 80.0, 5.0]})
    >>> m = movement(t, "k", "d", "v")
    >>> m.accounts[["customer", "previous_class", "current_class"]].values.tolist()
    [['x', 'A', 'A'], ['y', 'B', 'lost'], ['z', 'new', 'B']]
    """
    limits = _check_thresholds(thresholds)
    _require_columns(transactions, customer, date, value)
    days = pd.to_datetime(transactions[date]).dt.normalize()
    if days.notna().sum() == 0:
        raise KamError("portfolio.empty", "There are no accounts to analyse.")
    cur, prev = _movement_periods(days, current, previous)
    rows = _PeriodRows(transactions, customer, value, days, limits)
    previous_classes = rows.classes_in(prev, "previous")
    current_classes = rows.classes_in(cur, "current")
    if previous_classes.empty and current_classes.empty:
        raise KamError(
            "portfolio.no_rows_in_periods",
            "No rows fall in {previous_start} – {previous_end} or {current_start} – {current_end}.",
            previous_start=prev.start.isoformat(),
            previous_end=prev.end.isoformat(),
            current_start=cur.start.isoformat(),
            current_end=cur.end.isoformat(),
        )
    accounts = _account_changes(previous_classes, current_classes)
    accounts = accounts.merge(rows.last_purchase(cur), left_on="customer", right_index=True, how="left")
    accounts = accounts.sort_values(
        ["previous_value", "current_value", "customer"], ascending=[False, False, True]
    ).reset_index(drop=True)
    accounts = accounts[
        [
            "customer",
            "previous_value",
            "current_value",
            "change",
            "change_pct",
            "previous_class",
            "current_class",
            "last_purchase",
        ]
    ]
    return Movement(current=cur, previous=prev, thresholds=limits, accounts=accounts, matrix=_transitions(accounts))


def _movement_periods(
    days: pd.Series, current: tuple[Any, Any] | None, previous: tuple[Any, Any] | None
) -> tuple[Period, Period]:
    """The current and previous periods: as given, or the defaults of :func:`movement`."""
    default_current, default_previous = default_periods(days.max())
    cur = _period(current) if current is not None else default_current
    if previous is not None:
        prev = _period(previous)
    elif current is not None:
        prev = _period_before(cur)
    else:
        prev = default_previous
    return cur, prev


class _PeriodRows:
    """The rows of a transaction table, customers numbered once, ready to cut into periods."""

    def __init__(
        self, transactions: pd.DataFrame, customer: str, value: str, days: pd.Series, limits: tuple[float, float]
    ) -> None:
        # Customers numbered once for the whole table; each period takes its rows' codes.
        self.codes, self.customers = _factorized(transactions[customer])
        self.customer_dtype = transactions[customer].dtype
        self.amounts = _numeric(transactions, value)
        self.day_values = days.to_numpy()
        self.limits = limits

    def classes_in(self, period: Period, label: str) -> pd.DataFrame:
        """customer, <label>_value and <label>_class of the accounts with rows in ``period``."""
        codes, day_values = self.codes, self.day_values
        mask = (
            (day_values >= np.datetime64(pd.Timestamp(period.start)))
            & (day_values <= np.datetime64(pd.Timestamp(period.end)))
            & (codes >= 0)
        )
        if not mask.any():
            return pd.DataFrame(
                {
                    "customer": pd.Series([], dtype=self.customer_dtype),
                    f"{label}_value": pd.Series([], dtype="float64"),
                    f"{label}_class": pd.Series([], dtype="str"),
                }
            )
        found = _classify(_net_from_codes(codes[mask], self.customers, self.amounts[mask]), self.limits)
        return found[["customer", "value", "abc_class"]].rename(
            columns={"value": f"{label}_value", "abc_class": f"{label}_class"}
        )

    def last_purchase(self, period: Period) -> pd.Series:
        """Each account's last day with a positive amount up to the end of ``period``."""
        codes, day_values = self.codes, self.day_values
        bought = (self.amounts > 0) & (day_values <= np.datetime64(pd.Timestamp(period.end))) & (codes >= 0)
        last = pd.Series(day_values[bought]).groupby(codes[bought]).max().rename("last_purchase")
        last.index = self.customers.take(last.index.to_numpy())
        return last


def _account_changes(previous_classes: pd.DataFrame, current_classes: pd.DataFrame) -> pd.DataFrame:
    """Both periods side by side (new and lost accounts filled), with the change in value."""
    accounts = previous_classes.merge(current_classes, on="customer", how="outer")
    accounts = accounts.fillna(
        {"previous_value": 0.0, "current_value": 0.0, "previous_class": NEW, "current_class": LOST}
    )
    change = accounts["current_value"] - accounts["previous_value"]
    previous_value = accounts["previous_value"]
    return accounts.assign(
        change=change,
        change_pct=(change / previous_value).where(previous_value > 0),
    )


def _transitions(accounts: pd.DataFrame) -> pd.DataFrame:
    """Accounts per (previous class, current class), new and lost included."""
    matrix = (
        pd.crosstab(accounts["previous_class"], accounts["current_class"])
        .reindex(index=[*CLASSES, NEW], columns=[*CLASSES, LOST], fill_value=0)
        .astype("int64")
    )
    matrix.index.name = "previous"
    matrix.columns.name = "current"
    return matrix


def churn_risk(movement: Movement, min_drop: float = 0.30, inactive_days: int = 90) -> pd.DataFrame:
    """Accounts that bought in the previous period and now fell or stopped buying.

    Parameters
    ----------
    movement : Movement
        Output of :func:`movement`.
    min_drop : float
        An account is at risk when its value fell by *more* than this fraction
        (0.30 = 30 %), 0 < min_drop ≤ 1.
    inactive_days : int
        ... or when it has no purchase in the last ``inactive_days`` days of the current
        period (``inactive_days`` ≥ 1).

    Returns
    -------
    DataFrame
        The at-risk rows of ``movement.accounts`` plus ``days_since_purchase`` (current
        period end − last purchase; NaN when never), ``fell`` and ``stopped`` (booleans),
        sorted by previous value descending.

    Notes
    -----
    ``fell = change_pct < −min_drop``;
    ``stopped = end − last_purchase ≥ inactive_days`` (or no purchase at all);
    only accounts with previous value > 0 are considered.

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({
    ...     "k": ["x", "y", "x", "y"],
    ...     "d": pd.to_datetime(["2025-03-01", "2025-04-01", "2026-03-01", "2026-04-01"]),
    ...     "v": [100.0, 50.0, 60.0, 45.0]})
    >>> churn_risk(movement(t, "k", "d", "v"), min_drop=0.3)["customer"].tolist()
    ['x']
    """
    if not (isinstance(min_drop, (int, float)) and 0 < min_drop <= 1):
        raise KamError(
            "portfolio.bad_drop",
            "The drop must be between 0 and 100 %; got {value}.",
            value=min_drop,
        )
    if not (isinstance(inactive_days, (int, np.integer)) and inactive_days >= 1):
        raise KamError(
            "portfolio.bad_inactive_days",
            "The number of days without purchases must be a whole number of at least 1; got {value}.",
            value=inactive_days,
        )
    accounts = movement.accounts
    end = pd.Timestamp(movement.current.end)
    days_since = (end - accounts["last_purchase"]).dt.days
    fell = accounts["change_pct"] < -min_drop
    stopped = accounts["last_purchase"].isna() | (days_since >= inactive_days)
    at_risk = (accounts["previous_value"] > 0) & (fell | stopped)
    result = accounts.assign(
        days_since_purchase=days_since, fell=fell.to_numpy(), stopped=stopped.to_numpy()
    )[at_risk.to_numpy()]
    return result.sort_values(["previous_value", "customer"], ascending=[False, True]).reset_index(drop=True)


# ------------------------------------------------------------------------ drill-down


def monthly_series(
    transactions: pd.DataFrame,
    account: Any,
    customer: str,
    date: str,
    revenue: str,
    profit: str | None = None,
) -> pd.DataFrame:
    """Monthly revenue (and profit) of one account, with a row for every month.

    Parameters
    ----------
    transactions : DataFrame
        Dated rows per account.
    account
        The account id to show.
    customer, date, revenue : str
        Columns with the account id, the date and the revenue.
    profit : str, optional
        Column with profit or contribution margin.

    Returns
    -------
    DataFrame
        Columns ``month`` (first day of the month), ``revenue`` and, when ``profit`` is
        given, ``profit``; one row per month from the first to the last month in
        ``transactions`` (all accounts), months without rows as 0 — so a stop in buying
        shows as a run of zeros.

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"k": ["x", "y", "x"],
    ...                   "d": pd.to_datetime(["2026-01-05", "2026-02-10", "2026-03-01"]),
    ...                   "v": [10.0, 5.0, 7.0]})
    >>> monthly_series(t, "x", "k", "d", "v")["revenue"].tolist()
    [10.0, 0.0, 7.0]
    """
    columns = [customer, date, revenue] + ([profit] if profit else [])
    _require_columns(transactions, *columns)
    dates = pd.to_datetime(transactions[date])
    if dates.notna().sum() == 0:
        raise KamError("portfolio.empty", "There are no accounts to analyse.")
    months = pd.period_range(dates.min().to_period("M"), dates.max().to_period("M"), freq="M")
    mine = (transactions[customer] == account).fillna(False).to_numpy() & dates.notna().to_numpy()
    measures = {"revenue": revenue} | ({"profit": profit} if profit else {})
    frame = pd.DataFrame({name: _numeric(transactions, column)[mine] for name, column in measures.items()})
    frame["month"] = dates[mine].dt.to_period("M").to_numpy()
    monthly = frame.groupby("month").sum().reindex(months, fill_value=0.0)
    monthly.index = monthly.index.to_timestamp()
    monthly.index.name = "month"
    return monthly.reset_index()[["month", *measures]]


#: The overview's churn headline counts the accounts that mattered: A or B in the previous period.
HEADLINE_RISK_CLASSES: tuple[str, ...] = ("A", "B")


def at_risk_former_ab(risk: pd.DataFrame) -> int:
    """How many at-risk accounts were A or B in the previous period (the overview's headline).

    ``risk`` is :func:`churn_risk`'s output (needs ``previous_class``).

    >>> import pandas as pd
    >>> at_risk_former_ab(pd.DataFrame({"previous_class": ["A", "C", "B", "C"]}))
    2
    """
    return int(risk["previous_class"].isin(HEADLINE_RISK_CLASSES).sum())

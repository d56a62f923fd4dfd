"""Future value of repeat buyers: BG/NBD (who is still active, how often they will buy) and
Gamma-Gamma (how much they spend), fitted by maximum likelihood.

The models are those of Fader, Hardie & Lee (2005), "'Counting Your Customers' the Easy
Way: An Alternative to the Pareto/NBD Model", *Marketing Science* 24(2), and Fader & Hardie
(2013), "The Gamma-Gamma Model of Monetary Value". They suit customers who buy when they
like (no contract): a customer buys at a steady personal rate while "alive", and after each
purchase may drop out for good with a personal probability. From three numbers per customer
— how many repeat purchases (``frequency``), when the last one was (``recency``) and how long
we have watched (``T``) — they give the probability the customer is still active
(``P(alive)``) and the purchases to expect in the coming weeks.

Every likelihood and prediction is computed in log space (``gammaln``, ``betaln``,
``logaddexp``), so a customer with thousands of purchases neither overflows nor loses
precision; the conditional expectation uses Euler's transformation of the hypergeometric
function for the same reason.

Why scipy and not a library: PyMC-Marketing's CLV models stand on PyMC and PyTensor (a large
install that compiles code on first use) for what here is a maximum-likelihood fit of a few
closed-form formulas, fitted in a background thread of a small server. The implementation is
checked against the paper's published figures (the authors' own fit: tests/core/test_clv.py),
hand-computed likelihoods, finite-difference gradients, and the textbook per-customer
likelihood of the ``lifetimes`` package, fitted side by side (benchmarks/clv.py, part 2).

Examples
--------
>>> import pandas as pd
>>> from kamcore import clv
>>> sales = pd.DataFrame({
...     "k": ["A", "A", "A", "B"],
...     "d": pd.to_datetime(["2026-01-05", "2026-01-19", "2026-03-02", "2026-02-02"]),
...     "v": [100.0, 40.0, 60.0, 80.0]})
>>> s = clv.summary(sales, "k", "d", "v", calibration_end="2026-03-30")
>>> s[["customer", "frequency", "recency", "T", "monetary"]].to_records(index=False).tolist()
[('A', 2, 8.0, 12.0, 50.0), ('B', 0, 0.0, 8.0, 0.0)]
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict
from scipy import optimize, special
from threadpoolctl import threadpool_limits

from kamcore.errors import KamError

__all__ = [
    "UNITS",
    "BetaGeoModel",
    "FutureValue",
    "GammaGammaModel",
    "HoldoutCheck",
    "account_future_value",
    "bgnbd_log_likelihood",
    "calibration_holdout",
    "clv",
    "fit_bgnbd",
    "fit_gamma_gamma",
    "future_value",
    "gamma_gamma_log_likelihood",
    "holdout_check",
    "revenue_change",
    "summary",
]

#: Length of one time unit in days: day, week, month (a twelfth of a Julian year).
UNITS: dict[str, float] = {"D": 1.0, "W": 7.0, "M": 365.25 / 12.0}
#: Days in a year, for horizons given in months.
_DAYS_PER_MONTH = 365.25 / 12.0
#: Fewest customers a BG/NBD fit accepts, and fewest repeat buyers for Gamma-Gamma.
MIN_CUSTOMERS = 10
MIN_REPEAT_BUYERS = 5
#: Log-parameter bounds for the optimiser: e^-20 .. e^15 covers every sensible scale.
_LOG_BOUNDS = (-20.0, 15.0)


# --------------------------------------------------------------------------- summary


def _require_columns(table: pd.DataFrame, *columns: str) -> None:
    for column in columns:
        if column not in table.columns:
            raise KamError("clv.missing_column", "The table has no column '{column}'.", column=column)


def _unit_days(unit: str) -> float:
    if unit not in UNITS:
        raise KamError(
            "clv.bad_unit",
            "Unknown time unit '{unit}': use one of {known}.",
            unit=unit,
            known=", ".join(UNITS),
        )
    return UNITS[unit]


def _purchase_days(transactions: pd.DataFrame, customer: str, date: str, value: str | None) -> pd.DataFrame:
    """One row per customer and purchase day: ``customer``, ``code``, ``day`` (day number), ``value``.

    A day's lines are summed; a day whose net value is negative (only credit notes) is no
    purchase. Rows without a customer or a date are left out.
    """
    daily = _daily(transactions, customer, date, value)
    return daily.loc[daily["value"].to_numpy() >= 0].reset_index(drop=True)


def _daily(transactions: pd.DataFrame, customer: str, date: str, value: str | None) -> pd.DataFrame:
    """Net value per customer and day, sorted by customer then day (credit-note days included)."""
    _require_columns(transactions, customer, date)
    if value is not None:
        _require_columns(transactions, value)
    column = transactions[customer]
    if not pd.api.types.is_string_dtype(column):
        column = column.astype("str").where(column.notna())
    codes, uniques = pd.factorize(column, sort=True)
    dates = pd.to_datetime(transactions[date], errors="coerce")
    keep = (codes >= 0) & dates.notna().to_numpy()
    codes = codes[keep].astype("int64")
    day = dates.to_numpy()[keep].astype("datetime64[D]").astype("int64")
    if value is None:
        values = np.zeros(len(codes))
    else:
        raw = transactions[value]
        if not (pd.api.types.is_numeric_dtype(raw) or raw.isna().all()):
            raise KamError("clv.not_numeric", "Column '{column}' must contain numbers.", column=value)
        values = pd.to_numeric(raw, errors="coerce").fillna(0.0).to_numpy(dtype=float)[keep]
    if len(day) == 0:
        return pd.DataFrame(
            {
                "customer": pd.Series(dtype="str"),
                "code": np.zeros(0, "int64"),
                "day": np.zeros(0, "int64"),
                "value": np.zeros(0),
            }
        )
    # one integer per (customer, day), ordered by customer then day
    first_day = int(day.min())
    span = int(day.max()) - first_day + 1
    key = codes * span + (day - first_day)
    unique, inverse = np.unique(key, return_inverse=True)
    totals = np.bincount(inverse, weights=values, minlength=len(unique))
    code = unique // span
    names = pd.Series(uniques, dtype="str")
    return pd.DataFrame(
        {
            "customer": names.take(code).reset_index(drop=True),
            "code": code,
            "day": unique % span + first_day,
            "value": totals,
        }
    )


def _day_number(value: Any) -> int:
    return int(np.datetime64(pd.Timestamp(value).normalize().to_datetime64(), "D").astype("int64"))


def _summarise(days: pd.DataFrame, end: int, unit_days: float) -> pd.DataFrame:
    """frequency / recency / T / monetary from purchase days up to day number ``end``."""
    cal = days.loc[days["day"].to_numpy() <= end]
    if cal.empty:
        return pd.DataFrame(
            {
                "customer": pd.Series(dtype="str"),
                "code": pd.Series(dtype="int64"),
                "frequency": pd.Series(dtype="int64"),
                "recency": pd.Series(dtype=float),
                "T": pd.Series(dtype=float),
                "monetary": pd.Series(dtype=float),
            }
        )
    codes = cal["code"].to_numpy()
    day = cal["day"].to_numpy()
    value = cal["value"].to_numpy()
    # rows are sorted by (customer, day): each customer's block starts at its first purchase
    starts = np.flatnonzero(np.r_[True, codes[1:] != codes[:-1]])
    counts = np.diff(np.r_[starts, len(codes)])
    first = day[starts]
    last = day[starts + counts - 1]
    totals = np.add.reduceat(value, starts)
    frequency = counts - 1
    repeat_value = totals - value[starts]
    monetary = np.divide(repeat_value, frequency, out=np.zeros(len(starts)), where=frequency > 0)
    return pd.DataFrame(
        {
            "customer": cal["customer"].take(starts).reset_index(drop=True),
            "code": codes[starts],
            "frequency": frequency.astype("int64"),
            "recency": (last - first) / unit_days,
            "T": (end - first) / unit_days,
            "monetary": monetary,
        }
    )


def summary(
    transactions: pd.DataFrame,
    customer: str,
    date: str,
    value: str | None = None,
    *,
    calibration_end: Any = None,
    unit: str = "W",
) -> pd.DataFrame:
    """One row per customer: repeat purchases, recency, age and mean repeat spend.

    Parameters
    ----------
    transactions : DataFrame
        One row per transaction or invoice line.
    customer, date, value : str
        Column names; ``value`` may be None (then ``monetary`` is 0).
    calibration_end : date-like, optional
        Last day of the period summarised (inclusive); default the latest date.
    unit : {"D", "W", "M"}
        Time unit of ``recency`` and ``T``: days, weeks or months (365.25/12 days).

    Returns
    -------
    DataFrame
        ``customer`` (text), ``frequency`` (int), ``recency``, ``T``, ``monetary``, sorted by
        customer; ``attrs`` hold ``unit`` and ``calibration_end``. Customers whose first
        purchase falls after ``calibration_end`` are absent.

    Notes
    -----
    The conventions of the published CDNOW summary (Fader, Hardie & Lee 2005): all lines of
    one customer on one day form one purchase; ``frequency`` = purchase days − 1 (the repeat
    purchases); ``recency`` = last − first purchase day; ``T`` = ``calibration_end`` − first
    purchase day; ``monetary`` = mean value of the repeat purchase days (0 when there are
    none). A day whose lines sum below zero (credit notes only) is not a purchase.
    """
    unit_days = _unit_days(unit)
    days = _purchase_days(transactions, customer, date, value)
    if days.empty:
        raise KamError("clv.no_purchases", "There are no purchases to model.")
    end = _day_number(calibration_end) if calibration_end is not None else int(days["day"].max())
    out = _summarise(days, end, unit_days).drop(columns="code")
    if out.empty:
        raise KamError("clv.nothing_before_end", "No purchase falls on or before {end}.", end=_end_text(end))
    out.attrs["unit"] = unit
    out.attrs["calibration_end"] = pd.Timestamp(np.datetime64(end, "D"))
    return out


def calibration_holdout(
    transactions: pd.DataFrame,
    customer: str,
    date: str,
    value: str | None = None,
    *,
    calibration_end: Any,
    holdout_end: Any = None,
    unit: str = "W",
) -> pd.DataFrame:
    """:func:`summary` up to ``calibration_end`` plus what each customer bought after it.

    Returns the calibration summary with ``holdout_frequency`` (purchase days in
    (``calibration_end``, ``holdout_end``]), ``holdout_monetary`` (their mean value, 0 when
    none) and ``holdout_T`` (the hold-out length in ``unit``s, the same for everyone).
    """
    _unit_days(unit)
    days = _purchase_days(transactions, customer, date, value)
    if days.empty:
        raise KamError("clv.no_purchases", "There are no purchases to model.")
    cal_end = _day_number(calibration_end)
    end = _day_number(holdout_end) if holdout_end is not None else int(days["day"].max())
    out = _with_holdout(days, cal_end, end, unit)
    return out.drop(columns="code")


def _end_text(day: int) -> str:
    return str(pd.Timestamp(np.datetime64(day, "D")).date())


def _with_holdout(days: pd.DataFrame, cal_end: int, end: int, unit: str) -> pd.DataFrame:
    """Calibration summary (with ``code``) plus hold-out purchases, from purchase days."""
    unit_days = UNITS[unit]
    if end <= cal_end:
        raise KamError(
            "clv.no_holdout",
            "There is no period after {end} to check the model against.",
            end=_end_text(cal_end),
        )
    out = _summarise(days, cal_end, unit_days)
    if out.empty:
        raise KamError(
            "clv.nothing_before_end", "No purchase falls on or before {end}.", end=_end_text(cal_end)
        )
    day = days["day"].to_numpy()
    later = (day > cal_end) & (day <= end)
    codes = days["code"].to_numpy()[later]
    size = int(days["code"].max()) + 1
    count = np.bincount(codes, minlength=size)
    total = np.bincount(codes, weights=days["value"].to_numpy()[later], minlength=size)
    mine = out["code"].to_numpy()
    out["holdout_frequency"] = count[mine].astype("int64")
    out["holdout_monetary"] = np.divide(
        total[mine], count[mine], out=np.zeros(len(mine)), where=count[mine] > 0
    )
    out["holdout_T"] = (end - cal_end) / unit_days
    out.attrs["unit"] = unit
    out.attrs["calibration_end"] = pd.Timestamp(np.datetime64(cal_end, "D"))
    out.attrs["holdout_end"] = pd.Timestamp(np.datetime64(end, "D"))
    return out


# --------------------------------------------------------------------------- BG/NBD


def _arrays(frame: pd.DataFrame, *columns: str) -> list[np.ndarray]:
    _require_columns(frame, *columns)
    out = []
    for column in columns:
        values = pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype=float)
        if not np.isfinite(values).all():
            raise KamError("clv.not_numeric", "Column '{column}' must contain numbers.", column=column)
        out.append(values)
    return out


def _check_rft(x: np.ndarray, t_x: np.ndarray, T: np.ndarray) -> None:
    bad = (x < 0) | (x != np.floor(x)) | (t_x < 0) | (T < t_x) | ((x > 0) & (t_x <= 0))
    if bad.any():
        raise KamError(
            "clv.bad_summary",
            "Row {row} of the summary is impossible: frequency must be a whole number ≥ 0, "
            "0 ≤ recency ≤ T, and recency > 0 when frequency > 0.",
            row=int(np.flatnonzero(bad)[0]) + 1,
        )


def bgnbd_log_likelihood(
    params: tuple[float, float, float, float], frequency: Any, recency: Any, T: Any
) -> np.ndarray:
    """Log-likelihood of each customer under the BG/NBD model with ``params = (r, alpha, a, b)``.

    Notes
    -----
    Fader, Hardie & Lee (2005), eq. (6):
    ``L = B(a, b+x)/B(a, b) · Γ(r+x) α^r / (Γ(r) (α+T)^(r+x))
    + [x > 0] · B(a+1, b+x−1)/B(a, b) · Γ(r+x) α^r / (Γ(r) (α+t_x)^(r+x))``,
    evaluated as ``log`` with ``gammaln``, ``betaln`` and ``logaddexp``.
    """
    r, alpha, a, b = (float(p) for p in params)
    x = np.asarray(frequency, dtype=float)
    t_x = np.asarray(recency, dtype=float)
    T = np.asarray(T, dtype=float)
    return _bgnbd_ll(r, alpha, a, b, x, t_x, T)[0]


def _bgnbd_ll(
    r: float,
    alpha: float,
    a: float,
    b: float,
    x: np.ndarray,
    t_x: np.ndarray,
    T: np.ndarray,
    gradient: bool = False,
    groups: tuple[np.ndarray, np.ndarray] | None = None,
) -> tuple[np.ndarray, np.ndarray | None]:
    """Per-customer log-likelihood and (optionally) its gradient in (r, alpha, a, b).

    The gamma-function terms depend on the whole number ``x`` only, so they are evaluated
    once per distinct frequency (``groups`` = the distinct values and each row's index).
    Uses ``B(a, b+x)/B(a, b) = Γ(b+x) Γ(a+b) / (Γ(a+b+x) Γ(b))`` and
    ``B(a+1, b+x−1)/B(a, b) = a/(b+x−1) · B(a, b+x)/B(a, b)``.
    """
    xu, inv = groups if groups is not None else np.unique(x, return_inverse=True)
    gl = special.gammaln
    ratio1 = gl(b + xu) - gl(a + b + xu) - gl(b) + gl(a + b)  # log B(a, b+x)/B(a, b)
    repeat_u = xu > 0
    log_bx1 = np.log(np.where(repeat_u, b + xu - 1.0, 1.0))
    ratio2 = np.where(repeat_u, math.log(a) - log_bx1 + ratio1, -np.inf)  # log B(a+1, b+x−1)/B(a, b)
    base = (gl(r + xu) - gl(r) + r * math.log(alpha))[inv]
    log_aT = np.log(alpha + T)
    log_atx = np.log(alpha + t_x)
    rx = r + x
    t1 = ratio1[inv] - rx * log_aT
    t2 = ratio2[inv] - rx * log_atx
    mix = np.logaddexp(t1, t2)
    ll = base + mix
    if not gradient:
        return ll, None
    w2 = np.exp(t2 - mix)
    w1 = 1.0 - w2
    dg = special.digamma
    d_abx = dg(a + b + xu)
    d_ab = dg(a + b)
    d_bx = dg(b + xu)
    dt1_a = (d_ab - d_abx)[inv]
    dt1_b = (d_bx - d_abx - dg(b) + d_ab)[inv]
    dt2_a = dt1_a + 1.0 / a
    dt2_b = dt1_b - np.where(repeat_u, 1.0 / np.exp(log_bx1), 0.0)[inv]
    d_r = (dg(r + xu) - dg(r) + math.log(alpha))[inv] - w1 * log_aT - w2 * log_atx
    d_alpha = r / alpha - rx * (w1 / (alpha + T) + w2 / (alpha + t_x))
    d_a = w1 * dt1_a + w2 * dt2_a
    d_b = w1 * dt1_b + w2 * dt2_b
    return ll, np.vstack([d_r, d_alpha, d_a, d_b])


def _compress(*columns: np.ndarray) -> tuple[list[np.ndarray], np.ndarray]:
    """Unique rows of the columns and how often each occurs (the likelihood is a weighted sum)."""
    stacked = np.column_stack(columns)
    unique, counts = np.unique(stacked, axis=0, return_counts=True)
    return [unique[:, i] for i in range(unique.shape[1])], counts.astype(float)


def _maximise(objective, start: np.ndarray, n_params: int) -> optimize.OptimizeResult:
    """Minimise ``objective`` over log-parameters (L-BFGS-B, analytic gradient).

    BLAS runs single-threaded here: the products are a few thousand long, and OpenBLAS
    threads spinning beside other work on a busy server made the same fit 4× slower.
    """
    with threadpool_limits(limits=1, user_api="blas"):
        return _maximise_from(objective, start, n_params)


def _maximise_from(objective, start: np.ndarray, n_params: int) -> optimize.OptimizeResult:
    best = None
    for attempt in (start, np.zeros(n_params), start + 1.0):
        result = optimize.minimize(
            objective,
            attempt,
            jac=True,
            method="L-BFGS-B",
            bounds=[_LOG_BOUNDS] * n_params,
            options={"ftol": 1e-15, "gtol": 1e-9, "maxiter": 2000, "maxls": 50},
        )
        if np.isfinite(result.fun) and (best is None or result.fun < best.fun):
            best = result
        if result.success and np.isfinite(result.fun):
            break
    if best is None or not np.isfinite(best.fun):
        raise KamError("clv.fit_failed", "The model could not be fitted to these purchases.")
    return best


def _one_minus(log_power: np.ndarray, hyp: np.ndarray) -> np.ndarray:
    """``1 − exp(log_power) · hyp`` without overflow (NaN where it cannot be had)."""
    with np.errstate(all="ignore"):
        positive = hyp > 0
        out = -np.expm1(log_power + np.log(np.where(positive, hyp, 1.0)))
        direct = 1.0 - np.exp(log_power) * hyp
    out = np.where(positive, out, direct)
    return np.where(np.isfinite(out) & np.isfinite(hyp), out, np.nan)


def _conditional_alive(
    r: float, alpha: float, a: float, b: float, x: np.ndarray, T: np.ndarray, t: float
) -> np.ndarray:
    """E[purchases in (T, T+t] | alive at T, x, T] (FHL 2005 eq. 10 without P(alive))."""
    z = t / (alpha + T + t)
    log_ratio = np.log(alpha + T) - np.log(alpha + T + t)
    factor = (a + b + x - 1.0) / (a - 1.0)
    with np.errstate(all="ignore"):
        euler = special.hyp2f1(a + b - 1.0 - r, a - 1.0, a + b + x - 1.0, z)
    bracket = _one_minus((a - 1.0) * log_ratio, euler)
    todo = ~np.isfinite(bracket)
    if todo.any():
        with np.errstate(all="ignore"):
            plain = special.hyp2f1(r + x[todo], b + x[todo], a + b + x[todo] - 1.0, z[todo])
        bracket[todo] = _one_minus((r + x[todo]) * log_ratio[todo], plain)
    value = factor * bracket
    todo = ~np.isfinite(value) | (value < 0)
    if todo.any():
        p_bar = a / (a + b + x[todo])
        value[todo] = -np.expm1(-(r + x[todo]) * np.log1p(p_bar * t / (alpha + T[todo]))) / p_bar
    return value


class BetaGeoModel(BaseModel):
    """A fitted BG/NBD model: ``params`` (``r``, ``alpha``, ``a``, ``b``) in the summary's unit."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    params: dict[str, float]
    log_likelihood: float
    n_customers: int
    unit: str = "W"

    def _rab(self) -> tuple[float, float, float, float]:
        p = self.params
        return p["r"], p["alpha"], p["a"], p["b"]

    def p_alive(self, summary: pd.DataFrame) -> pd.Series:
        """P(still active at the end of the period) for each row of ``summary``.

        Notes
        -----
        ``P = 1 / (1 + [x > 0] · a/(b+x−1) · ((α+T)/(α+t_x))^(r+x))`` (FHL 2005, eq. 13),
        computed as ``exp(−log1p(exp(·)))``; 1 for a customer without repeat purchases.
        """
        x, t_x, T = _arrays(summary, "frequency", "recency", "T")
        return pd.Series(np.exp(-self._log_odds_dead(x, t_x, T)), index=summary.index, name="p_alive")

    def _log_odds_dead(self, x: np.ndarray, t_x: np.ndarray, T: np.ndarray) -> np.ndarray:
        """log(1 + [x>0] a/(b+x−1) ((α+T)/(α+t_x))^(r+x)) — the log of 1/P(alive)."""
        r, alpha, a, b = self._rab()
        repeat = x > 0
        z = np.full_like(x, -np.inf)
        xr = x[repeat]
        z[repeat] = (
            math.log(a)
            - np.log(b + xr - 1.0)
            + (r + xr) * (np.log(alpha + T[repeat]) - np.log(alpha + t_x[repeat]))
        )
        return np.logaddexp(0.0, z)

    def expected_purchases(self, summary: pd.DataFrame, t: float) -> pd.Series:
        """Purchases each customer of ``summary`` is expected to make in the next ``t`` units.

        Notes
        -----
        FHL (2005), eq. (10): ``E[Y(t) | x, t_x, T] =
        (a+b+x−1)/(a−1) · [1 − ((α+T)/(α+T+t))^(r+x) · ₂F₁(r+x, b+x; a+b+x−1; t/(α+T+t))]
        · P(alive)``. The bracket uses Euler's transformation
        ``((α+T)/(α+T+t))^(a−1) · ₂F₁(a+b−1−r, a−1; a+b+x−1; z)``, which stays finite for
        large ``x``. Where ``₂F₁`` overflows (very large ``a`` and ``b``: almost nobody drops
        out) the untransformed form is used, and failing that the posterior mean of the
        drop-out probability ``p̄ = a/(a+b+x)`` in ``(1 − ((α+T)/(α+T+p̄t))^(r+x)) / p̄``.
        """
        x, t_x, T = _arrays(summary, "frequency", "recency", "T")
        r, alpha, a, b = self._rab()
        a = _away_from_one(a)
        t = float(t)
        alive = _conditional_alive(r, alpha, a, b, x, T, t)
        value = alive * np.exp(-self._log_odds_dead(x, t_x, T))
        return pd.Series(value, index=summary.index, name="expected_purchases")

    def expected_purchases_new(self, t: float | np.ndarray) -> float | np.ndarray:
        """Purchases a customer just acquired makes in its first ``t`` units (FHL 2005, eq. 9).

        ``E[X(t)] = (a+b−1)/(a−1) · [1 − (α/(α+t))^r ₂F₁(r, b; a+b−1; t/(α+t))]``.
        """
        r, alpha, a, b = self._rab()
        a = _away_from_one(a)
        t_arr = np.asarray(t, dtype=float)
        z = t_arr / (alpha + t_arr)
        log_ratio = np.log(alpha) - np.log(alpha + t_arr)
        hyp = special.hyp2f1(a + b - 1.0 - r, a - 1.0, a + b - 1.0, z)
        value = (a + b - 1.0) / (a - 1.0) * (1.0 - np.exp((a - 1.0) * log_ratio) * hyp)
        return float(value) if np.ndim(value) == 0 else value


def _away_from_one(a: float) -> float:
    """The closed forms divide by a − 1; a fit that lands on a = 1 is nudged by 1e-7."""
    return a if abs(a - 1.0) > 1e-7 else 1.0 + math.copysign(1e-7, a - 1.0)


def fit_bgnbd(summary: pd.DataFrame) -> BetaGeoModel:
    """Fit the BG/NBD model by maximum likelihood to ``frequency``, ``recency``, ``T``.

    Parameters
    ----------
    summary : DataFrame
        Output of :func:`summary` (or any frame with those three columns).

    Returns
    -------
    BetaGeoModel
        ``params`` r, alpha (purchase rate ~ Gamma(r, alpha)), a, b (drop-out probability
        ~ Beta(a, b)), the maximised ``log_likelihood`` and the number of customers.

    Notes
    -----
    Maximises the sum of :func:`bgnbd_log_likelihood` over log-parameters with L-BFGS-B
    and the analytic gradient; customers with identical (x, t_x, T) are evaluated once.
    """
    x, t_x, T = _arrays(summary, "frequency", "recency", "T")
    _check_rft(x, t_x, T)
    if len(x) < MIN_CUSTOMERS:
        raise KamError(
            "clv.too_few_customers",
            "The model needs at least {minimum} customers; there are {n}.",
            minimum=MIN_CUSTOMERS,
            n=len(x),
        )
    (ux, ut, uT), weight = _compress(x, t_x, T)
    total = weight.sum()
    groups = np.unique(ux, return_inverse=True)

    def objective(theta: np.ndarray) -> tuple[float, np.ndarray]:
        params = np.exp(theta)
        ll, grad = _bgnbd_ll(*params, ux, ut, uT, gradient=True, groups=groups)
        if not np.isfinite(ll).all():
            return np.inf, np.zeros(4)
        return -float(weight @ ll) / total, -(grad @ weight) * params / total

    scale = max(float(np.mean(T)), 1e-3)
    start = np.log(np.array([1.0, scale, 1.0, 1.0]))
    result = _maximise(objective, start, 4)
    r, alpha, a, b = np.exp(result.x)
    return BetaGeoModel(
        params={"r": float(r), "alpha": float(alpha), "a": float(a), "b": float(b)},
        log_likelihood=float(-result.fun * total),
        n_customers=len(x),
        unit=str(summary.attrs.get("unit", "W")),
    )


# ----------------------------------------------------------------------- Gamma-Gamma


def gamma_gamma_log_likelihood(
    params: tuple[float, float, float], frequency: Any, monetary: Any
) -> np.ndarray:
    """Log-likelihood of each repeat buyer's mean spend under Gamma-Gamma, ``params = (p, q, v)``.

    Notes
    -----
    Fader & Hardie (2013), eq. (4): ``f(m_x | p, q, γ, x) = Γ(px+q) / (Γ(px) Γ(q)) ·
    γ^q m_x^(px−1) x^(px) / (γ + m_x x)^(px+q)``.
    """
    p, q, v = (float(k) for k in params)
    return _gg_ll(p, q, v, np.asarray(frequency, dtype=float), np.asarray(monetary, dtype=float))[0]


def _gg_ll(
    p: float,
    q: float,
    v: float,
    x: np.ndarray,
    m: np.ndarray,
    gradient: bool = False,
    groups: tuple[np.ndarray, np.ndarray] | None = None,
) -> tuple[np.ndarray, np.ndarray | None]:
    """Per-customer log-likelihood (and gradient in p, q, v); gamma terms once per distinct x."""
    xu, inv = groups if groups is not None else np.unique(x, return_inverse=True)
    gl = special.gammaln
    pxu = p * xu
    px = p * x
    log_vxm = np.log(v + x * m)
    log_m, log_x = np.log(m), np.log(x)
    ll = (
        (gl(pxu + q) - gl(pxu))[inv]
        - gl(q)
        + q * math.log(v)
        + (px - 1.0) * log_m
        + px * log_x
        - (px + q) * log_vxm
    )
    if not gradient:
        return ll, None
    dg = special.digamma
    d_pq = dg(pxu + q)
    d_p = x * ((d_pq - dg(pxu))[inv] + log_m + log_x - log_vxm)
    d_q = d_pq[inv] - dg(q) + math.log(v) - log_vxm
    d_v = q / v - (px + q) / (v + x * m)
    return ll, np.vstack([d_p, d_q, d_v])


class GammaGammaModel(BaseModel):
    """A fitted Gamma-Gamma spend model: ``params`` p, q, v (Fader & Hardie's γ)."""

    model_config = ConfigDict(frozen=True)

    params: dict[str, float]
    log_likelihood: float
    n_customers: int

    @property
    def population_mean(self) -> float:
        """Mean spend per purchase across all customers, ``p·v / (q − 1)`` (inf when q ≤ 1)."""
        p, q, v = self.params["p"], self.params["q"], self.params["v"]
        return p * v / (q - 1.0) if q > 1.0 else math.inf

    def expected_spend(self, summary: pd.DataFrame) -> pd.Series:
        """Expected value of each customer's future purchases.

        Notes
        -----
        ``E[M | p, q, γ, m_x, x] = p (γ + m_x x) / (p x + q − 1)`` (Fader & Hardie 2013,
        eq. 5): a weighted mean of the population mean ``pγ/(q−1)`` and the customer's own
        mean ``m_x``; a customer without repeat purchases gets the population mean.
        """
        x, m = _arrays(summary, "frequency", "monetary")
        p, q, v = self.params["p"], self.params["q"], self.params["v"]
        m = np.where(x > 0, np.clip(m, 0.0, None), 0.0)
        with np.errstate(divide="ignore", invalid="ignore"):
            value = p * (v + m * x) / (p * x + q - 1.0)
        return pd.Series(value, index=summary.index, name="expected_spend")


def fit_gamma_gamma(summary: pd.DataFrame) -> GammaGammaModel:
    """Fit the Gamma-Gamma model of spend per purchase by maximum likelihood.

    Only customers with ``frequency > 0`` and ``monetary > 0`` (repeat buyers with a
    positive mean repeat spend) enter the fit, as in Fader & Hardie (2013).
    """
    x, m = _arrays(summary, "frequency", "monetary")
    used = (x > 0) & (m > 0)
    if used.sum() < MIN_REPEAT_BUYERS:
        raise KamError(
            "clv.too_few_repeat_buyers",
            "The spend model needs at least {minimum} customers who bought more than once; there are {n}.",
            minimum=MIN_REPEAT_BUYERS,
            n=int(used.sum()),
        )
    (ux, um), weight = _compress(x[used], m[used])
    total = weight.sum()
    groups = np.unique(ux, return_inverse=True)

    def objective(theta: np.ndarray) -> tuple[float, np.ndarray]:
        params = np.exp(theta)
        ll, grad = _gg_ll(*params, ux, um, gradient=True, groups=groups)
        if not np.isfinite(ll).all():
            return np.inf, np.zeros(3)
        return -float(weight @ ll) / total, -(grad @ weight) * params / total

    scale = float(np.mean(m[used]))
    result = _maximise(objective, np.log(np.array([1.0, 2.0, scale])), 3)
    p, q, v = np.exp(result.x)
    return GammaGammaModel(
        params={"p": float(p), "q": float(q), "v": float(v)},
        log_likelihood=float(-result.fun * total),
        n_customers=int(used.sum()),
    )


# ------------------------------------------------------------------------------- CLV


def clv(
    summary: pd.DataFrame,
    bgnbd: BetaGeoModel,
    gamma_gamma: GammaGammaModel | None = None,
    *,
    months: int = 12,
    annual_discount_rate: float = 0.0,
    margin: Any = None,
    spend: Any = None,
) -> pd.Series:
    """Expected (discounted) revenue — or profit, with ``margin`` — of each customer.

    Parameters
    ----------
    summary : DataFrame
        Output of :func:`summary`, in the unit the models were fitted in.
    bgnbd, gamma_gamma : fitted models
        ``gamma_gamma`` gives the spend per purchase; without it ``spend`` must be given.
    months : int
        Horizon in months (≥ 1).
    annual_discount_rate : float
        Yearly rate (0.08 = 8 %); month ``i``'s purchases are discounted by
        ``(1 + rate)^(−i/12)``.
    margin : float or array, optional
        Profit share of revenue (one number or one per row): the result is then profit.
    spend : float or array, optional
        Spend per purchase to use instead of the Gamma-Gamma expectation.

    Notes
    -----
    ``CLV = Σ_{i=1..months} (E[Y(t_i)] − E[Y(t_{i−1})]) · spend · margin / (1+d)^(i/12)``
    with ``t_i`` = i months in the model's unit.
    """
    if not (isinstance(months, (int, np.integer)) and months >= 1):
        raise KamError(
            "clv.bad_horizon", "The horizon must be a whole number of months ≥ 1; got {value}.", value=months
        )
    if not (math.isfinite(annual_discount_rate) and annual_discount_rate > -1):
        raise KamError(
            "clv.bad_rate", "The discount rate must be above −100 %; got {value}.", value=annual_discount_rate
        )
    unit = str(summary.attrs.get("unit", bgnbd.unit))
    month = _DAYS_PER_MONTH / _unit_days(unit)
    if spend is None:
        if gamma_gamma is None:
            raise KamError("clv.no_spend", "A spend model or a spend per purchase is needed.")
        spend_values = gamma_gamma.expected_spend(summary).to_numpy()
    else:
        spend_values = np.broadcast_to(np.asarray(spend, dtype=float), (len(summary),))
    factor = spend_values * (1.0 if margin is None else np.asarray(margin, dtype=float))
    total = np.zeros(len(summary))
    previous = np.zeros(len(summary))
    for i in range(1, months + 1):
        current = bgnbd.expected_purchases(summary, i * month).to_numpy()
        total += (current - previous) / (1.0 + annual_discount_rate) ** (i / 12.0)
        previous = current
    return pd.Series(total * factor, index=summary.index, name="clv")


# ------------------------------------------------------------------- hold-out check


class HoldoutCheck(BaseModel):
    """How well the model, fitted before ``calibration_end``, predicted the period after it."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    calibration_end: dt.date
    holdout_end: dt.date
    unit: str
    #: one row per calibration frequency bin (0, 1, …, censor+): ``bin``, ``customers``,
    #: ``actual`` and ``predicted`` mean purchases per customer in the hold-out period
    table: Any
    total_actual: float
    total_predicted: float
    #: |predicted − actual| / actual over all customers
    total_error: float
    #: Σ_bins n·|predicted − actual| / Σ_bins n·actual
    bin_error: float
    #: median coefficient of variation of the gaps between purchases (NaN when too few buyers)
    regularity: float
    params: dict[str, float]

    @property
    def fits_badly(self) -> bool:
        """True when the hold-out totals or bins miss by more than 20 % / 30 %."""
        return bool(self.total_error > 0.20 or self.bin_error > 0.30)

    @property
    def regular_rhythm(self) -> bool:
        """True when typical accounts buy at near-fixed intervals (contract-like), CV < 0.35."""
        return bool(np.isfinite(self.regularity) and self.regularity < 0.35)


def _regularity(days: pd.DataFrame, min_purchases: int = 4) -> float:
    """Median over customers with ≥ ``min_purchases`` purchase days of CV(gaps)."""
    frame = days[["customer", "day"]]
    gaps = frame["day"].diff()
    same = frame["customer"].eq(frame["customer"].shift())
    gaps = gaps[same.to_numpy()]
    owners = frame["customer"][same.to_numpy()]
    stats = gaps.groupby(owners.to_numpy()).agg(["mean", "std", "size"])
    stats = stats.loc[stats["size"] >= min_purchases - 1]
    if stats.empty:
        return math.nan
    return float((stats["std"] / stats["mean"]).median())


def holdout_check(
    transactions: pd.DataFrame,
    customer: str,
    date: str,
    value: str | None = None,
    *,
    calibration_end: Any = None,
    holdout_end: Any = None,
    unit: str = "W",
    censor: int = 7,
    groups: int | None = None,
) -> HoldoutCheck:
    """Fit BG/NBD up to ``calibration_end`` and compare its forecast with what happened after.

    ``calibration_end`` defaults to the latest date minus a third of the data's span (at most
    52 weeks, at least 4 weeks of hold-out). Customers are binned by calibration frequency
    (0 … ``censor`` and more, as in FHL 2005 fig. 4), or with ``groups`` into at most that
    many bins of about equal size (for frequent buyers, where nearly everyone is "7+"); per
    bin the mean actual hold-out purchases are set against the mean conditional expectation.
    The table has ``bin`` (0, 1, …), ``label`` ("0", "7+", "12–20"), ``customers``,
    ``actual`` and ``predicted``; empty bins are left out.
    """
    daily = _daily(transactions, customer, date, value)
    return _holdout_from_daily(daily, calibration_end, holdout_end, unit, censor, groups)


def _holdout_from_daily(
    daily: pd.DataFrame, calibration_end: Any, holdout_end: Any, unit: str, censor: int, groups: int | None
) -> HoldoutCheck:
    days = daily.loc[daily["value"].to_numpy() >= 0].reset_index(drop=True)
    if days.empty:
        raise KamError("clv.no_purchases", "There are no purchases to model.")
    end = _day_number(holdout_end) if holdout_end is not None else int(daily["day"].max())
    if calibration_end is None:
        span = end - int(days["day"].min())
        holdout_days = int(min(364, max(28, span // 3)))
        cal_end = end - holdout_days
    else:
        cal_end = _day_number(calibration_end)
    cal_date = pd.Timestamp(np.datetime64(cal_end, "D"))
    _unit_days(unit)
    data = _with_holdout(days, cal_end, end, unit)
    model = fit_bgnbd(data)
    horizon = float(data["holdout_T"].iloc[0])
    predicted = model.expected_purchases(data, horizon).to_numpy()
    frequency = data["frequency"].to_numpy()
    if groups is None:
        bins = np.minimum(frequency, censor)
        labels = {b: (str(b) if b < censor else f"{censor}+") for b in range(censor + 1)}
    else:
        edges = np.unique(np.floor(np.quantile(frequency, np.linspace(0.0, 1.0, groups + 1)[1:-1])))
        bins = np.searchsorted(edges, frequency, side="left")  # bin k: edges[k-1] < f <= edges[k]
        labels = {}
        for b in np.unique(bins):
            lo, hi = int(frequency[bins == b].min()), int(frequency[bins == b].max())
            labels[int(b)] = str(lo) if lo == hi else f"{lo}–{hi}"
    table = (
        pd.DataFrame(
            {"bin": bins, "actual": data["holdout_frequency"].to_numpy(dtype=float), "predicted": predicted}
        )
        .groupby("bin")
        .agg(customers=("actual", "size"), actual=("actual", "mean"), predicted=("predicted", "mean"))
        .reset_index()
    )
    table.insert(1, "label", table["bin"].map(labels).astype("str"))
    table["customers"] = table["customers"].astype("int64")
    total_actual = float(data["holdout_frequency"].sum())
    total_predicted = float(predicted.sum())
    weighted_actual = float((table["customers"] * table["actual"]).sum())
    weighted_miss = float((table["customers"] * (table["predicted"] - table["actual"]).abs()).sum())
    return HoldoutCheck(
        calibration_end=cal_date.date(),
        holdout_end=pd.Timestamp(np.datetime64(end, "D")).date(),
        unit=unit,
        table=table,
        total_actual=total_actual,
        total_predicted=total_predicted,
        total_error=abs(total_predicted - total_actual) / total_actual if total_actual > 0 else math.inf,
        bin_error=weighted_miss / weighted_actual if weighted_actual > 0 else math.inf,
        regularity=_regularity(days.loc[days["day"].to_numpy() <= cal_end]),
        params=model.params,
    )


# ------------------------------------------------------------- accounts, for the app


class FutureValue(BaseModel):
    """Per-account future value plus the fitted models and what they were fitted on."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    #: one row per account with purchases: ``account``, ``frequency``, ``recency``, ``T``,
    #: ``monetary``, ``p_alive``, ``expected_purchases_12m``, ``expected_spend``,
    #: ``expected_revenue_12m``, ``last_year_revenue``, ``revenue_at_risk``, and the change
    #: against the same months a year earlier (:func:`revenue_change`): ``year_before_revenue``,
    #: ``revenue_change``, ``revenue_change_pct``
    accounts: Any
    as_of: dt.date
    bgnbd: BetaGeoModel
    gamma_gamma: GammaGammaModel | None
    #: True when too few repeat buyers for Gamma-Gamma: spend is each account's own mean
    spend_fallback: bool
    #: with ``with_check``: the hold-out check ending at ``as_of`` ...
    check: HoldoutCheck | None = None
    #: ... or why it could not be made (``code``, ``message``, ``params`` of the KamError)
    check_error: dict | None = None


def future_value(
    transactions: pd.DataFrame,
    as_of: Any = None,
    *,
    customer: str = "customer_id",
    date: str = "date",
    value: str = "revenue",
    months: int = 12,
    with_check: bool = False,
    check_groups: int | None = 8,
    on_step: Callable[[str], None] | None = None,
) -> FutureValue:
    """Fit BG/NBD and Gamma-Gamma on all purchases up to ``as_of`` and value every account.

    ``on_step`` (optional) is called with each step's name as it starts: ``"summary"``,
    ``"bgnbd"``, ``"gamma_gamma"``, ``"values"``, ``"check"`` (an app shows it as progress).

    With ``with_check`` the :func:`holdout_check` ending at ``as_of`` (bins: ``check_groups``)
    is made from the same daily aggregation and kept in ``check`` (or its error in
    ``check_error``), so an app needs one pass over the transactions.

    ``revenue_at_risk = (1 − P(alive)) × last 12 months' revenue``: what the account brought
    in last year, weighted by the chance it has already gone. ``year_before_revenue``,
    ``revenue_change`` and ``revenue_change_pct`` are :func:`revenue_change`'s for the same end
    (``months`` long windows): an account that still buys regularly but half as much keeps a
    high P(alive), and shows here. Spend per purchase comes from
    Gamma-Gamma; with fewer than :data:`MIN_REPEAT_BUYERS` repeat buyers (or q ≤ 1) each
    account's own mean purchase value is used instead (``spend_fallback``).
    """
    step = on_step or (lambda _name: None)
    step("summary")
    daily = _daily(transactions, customer, date, value)
    days = daily.loc[daily["value"].to_numpy() >= 0].reset_index(drop=True)
    if days.empty:
        raise KamError("clv.no_purchases", "There are no purchases to model.")
    end = _day_number(as_of) if as_of is not None else int(daily["day"].max())
    unit = "W"
    table = _summarise(days, end, UNITS[unit])
    if table.empty:
        raise KamError("clv.nothing_before_end", "No purchase falls on or before {end}.", end=_end_text(end))
    table.attrs["unit"] = unit
    step("bgnbd")
    bg = fit_bgnbd(table)
    gg: GammaGammaModel | None
    step("gamma_gamma")
    try:
        gg = fit_gamma_gamma(table)
        if gg.params["q"] <= 1.0:
            gg = None
    except KamError:
        gg = None
    step("values")
    mine = table["code"].to_numpy()
    size = int(daily["code"].max()) + 1
    if gg is not None:
        spend = gg.expected_spend(table).to_numpy()
    else:
        seen = days["day"].to_numpy() <= end
        codes = days["code"].to_numpy()[seen]
        count = np.bincount(codes, minlength=size)[mine]
        total = np.bincount(codes, weights=days["value"].to_numpy()[seen], minlength=size)[mine]
        spend = total / np.maximum(count, 1)
    p_alive = bg.p_alive(table).to_numpy()
    purchases = bg.expected_purchases(table, months * _DAYS_PER_MONTH / UNITS[unit]).to_numpy()

    # last 12 months' net revenue, credit notes included, and the same 12 months a year earlier
    end_ts = pd.Timestamp(np.datetime64(end, "D"))
    last_year, year_before = (column[mine] for column in _window_revenue(daily, end, months, size))
    accounts = pd.DataFrame(
        {
            "account": table["customer"],
            "frequency": table["frequency"],
            "recency": table["recency"],
            "T": table["T"],
            "monetary": table["monetary"],
            "p_alive": p_alive,
            "expected_purchases_12m": purchases,
            "expected_spend": spend,
            "expected_revenue_12m": purchases * spend,
            "last_year_revenue": last_year,
            "revenue_at_risk": (1.0 - p_alive) * np.clip(last_year, 0.0, None),
            "year_before_revenue": year_before,
            "revenue_change": last_year - year_before,
            "revenue_change_pct": _change_share(last_year, year_before),
        }
    )
    check, check_error = None, None
    if with_check:
        step("check")
        try:
            check = _holdout_from_daily(daily, None, end_ts, "W", 7, check_groups)
        except KamError as exc:  # kept as data: the result must pickle (Streamlit caches it)
            check_error = {"code": exc.code, "message": exc.message, "params": exc.params}
    return FutureValue(
        check=check,
        check_error=check_error,
        accounts=accounts,
        as_of=end_ts.date(),
        bgnbd=bg,
        gamma_gamma=gg,
        spend_fallback=gg is None,
    )


def _window_revenue(daily: pd.DataFrame, end: int, months: int, size: int) -> tuple[np.ndarray, np.ndarray]:
    """Net revenue per customer code (``size`` codes) in the ``months`` up to day ``end`` and in
    the ``months`` before those: windows ``(end - months, end]`` and ``(end - 2 months, end - months]``,
    the months counted on the calendar (a year back from 31.10.2026 is 31.10.2025)."""
    end_ts = pd.Timestamp(np.datetime64(end, "D"))
    start = _day_number(end_ts - pd.DateOffset(months=months))
    before = _day_number(end_ts - pd.DateOffset(months=2 * months))
    day = daily["day"].to_numpy()
    code = daily["code"].to_numpy()
    value = daily["value"].to_numpy()

    def total(window: np.ndarray) -> np.ndarray:
        return np.bincount(code[window], weights=value[window], minlength=size).astype(float)

    return total((day > start) & (day <= end)), total((day > before) & (day <= start))


def _change_share(last: np.ndarray, before: np.ndarray) -> np.ndarray:
    """(last − before) / before where ``before`` is positive, else NaN (no base to compare with)."""
    positive = before > 0
    return np.divide(last - before, before, out=np.full(len(before), np.nan), where=positive)


def revenue_change(
    transactions: pd.DataFrame,
    as_of: Any = None,
    *,
    customer: str = "customer_id",
    date: str = "date",
    value: str = "revenue",
    months: int = 12,
) -> pd.DataFrame:
    """Each account's revenue in the last ``months`` months against the same months a year earlier.

    A steady buyer that halved its orders keeps buying, so BG/NBD gives it a high P(alive); the
    fall shows here. Credit notes count (net revenue), as in ``last_year_revenue``.

    Parameters
    ----------
    transactions : DataFrame
        One row per sale: ``customer``, ``date``, ``value`` columns (canonical names by default).
    as_of : date-like, optional
        Last day of the recent window; default the latest date in ``transactions``. Lines after
        it are left out.
    months : int
        Length of each window in calendar months.

    Returns
    -------
    DataFrame
        One row per account with a line on or before ``as_of``, sorted by account:
        ``account``, ``last_year_revenue`` (the window ``(as_of − months, as_of]``),
        ``year_before_revenue`` (``(as_of − 2·months, as_of − months]``), ``revenue_change``
        (last − before) and ``revenue_change_pct`` (change / before as a fraction; NaN when
        ``year_before_revenue`` is not positive: a new account has no base).

    Examples
    --------
    >>> import pandas as pd
    >>> from kamcore import clv
    >>> sales = pd.DataFrame({
    ...     "customer_id": ["A", "A", "A", "B", "B"],
    ...     "date": pd.to_datetime(["2025-03-01", "2025-05-31", "2026-03-01", "2025-12-01", "2026-05-31"]),
    ...     "revenue": [600.0, 400.0, 250.0, 80.0, 20.0]})
    >>> clv.revenue_change(sales, "2026-05-31").round(3).to_records(index=False).tolist()
    [('A', 250.0, 1000.0, -750.0, -0.75), ('B', 100.0, 0.0, 100.0, nan)]
    """
    daily = _daily(transactions, customer, date, value)
    end = _day_number(as_of) if as_of is not None else (int(daily["day"].max()) if len(daily) else 0)
    seen = daily.loc[daily["day"].to_numpy() <= end]
    codes = np.unique(seen["code"].to_numpy())
    size = int(daily["code"].max()) + 1 if len(daily) else 0
    last, before = (column[codes] for column in _window_revenue(daily, end, months, size))
    first = np.searchsorted(daily["code"].to_numpy(), codes)  # daily is sorted by customer code
    return pd.DataFrame(
        {
            "account": daily["customer"].to_numpy()[first] if len(codes) else pd.Series(dtype="str"),
            "last_year_revenue": last,
            "year_before_revenue": before,
            "revenue_change": last - before,
            "revenue_change_pct": _change_share(last, before),
        }
    )


def account_future_value(transactions: pd.DataFrame, as_of: Any = None) -> pd.DataFrame:
    """P(alive) and the next 12 months' expected purchases and revenue per account.

    Parameters
    ----------
    transactions : DataFrame
        Canonical columns ``customer_id``, ``date``, ``revenue``.
    as_of : date-like, optional
        The models see purchases up to this day; default the latest date.

    Returns
    -------
    DataFrame
        ``account``, ``p_alive``, ``expected_purchases_12m``, ``expected_revenue_12m``; one
        row per account with at least one purchase day up to ``as_of``, sorted by account.
    """
    result = future_value(transactions, as_of)
    return result.accounts[["account", "p_alive", "expected_purchases_12m", "expected_revenue_12m"]].copy()

"""Future-value figures and tables: hold-out check, ABC classes next year, drifting accounts."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from kamcore import clv, portfolio
from ui import charts
from ui.i18n import fmt_date, fmt_num, lang, t

#: The drifting-away list's mark for an account with P(alive) below the limit.
BELOW_MARK = "✓"
#: Rows of the drifting-away list shown on the page (the download holds them all).
DRIFTING_ROWS = 200
#: Rows of the all-accounts table shown (in ABC order; the download holds them all).
ACCOUNT_ROWS = 500
#: The drifting-away list's orders: revenue at risk (the model), the change against the same
#: 12 months a year earlier in per cent, and in money (largest fall first).
RANKS = ("risk", "change_pct", "change")


def _local_numbers(fig: go.Figure) -> go.Figure:
    """Decimal comma and space thousands in nb/sv (Plotly's ``separators``: decimal, then thousands)."""
    if lang() in ("nb", "sv"):
        fig.update_layout(separators=",\u00a0")
    return fig


def holdout_figure(check: clv.HoldoutCheck) -> go.Figure:
    """Mean purchases per account in the hold-out period, actual against forecast, by how
    often the accounts bought in the calibration period (Fader, Hardie & Lee 2005, fig. 4)."""
    table = check.table
    labels = table["label"].tolist()
    hover_n = [t("clv.hover_customers", n=fmt_num(n)) for n in table["customers"]]
    fig = go.Figure(
        [
            go.Scatter(
                x=labels,
                y=table["actual"],
                name=t("clv.legend_actual"),
                mode="lines+markers",
                line={"color": charts.PALETTE[0], "width": 3},
                customdata=hover_n,
                hovertemplate="%{y:.2f} · %{customdata}<extra>" + t("clv.legend_actual") + "</extra>",
            ),
            go.Scatter(
                x=labels,
                y=table["predicted"],
                name=t("clv.legend_predicted"),
                mode="lines+markers",
                line={"color": charts.PALETTE[1], "width": 3, "dash": "dash"},
                customdata=hover_n,
                hovertemplate="%{y:.2f} · %{customdata}<extra>" + t("clv.legend_predicted") + "</extra>",
            ),
        ]
    )
    fig.update_xaxes(type="category")
    _local_numbers(fig)
    return charts.style(
        fig,
        title=t(
            "clv.holdout_title",
            start=fmt_date(check.calibration_end + dt.timedelta(days=1)),
            end=fmt_date(check.holdout_end),
        ),
        x_title=t("clv.axis_calibration_purchases", end=fmt_date(check.calibration_end)),
        y_title=t("clv.axis_holdout_purchases"),
        height=420,
    )


def class_outlook(accounts: pd.DataFrame) -> pd.DataFrame:
    """Last 12 months' revenue and the next 12 months' expected revenue per ABC class."""
    return (
        accounts.groupby("abc_class")[["last_year_revenue", "expected_revenue_12m"]]
        .sum()
        .reindex(list(portfolio.CLASSES), fill_value=0.0)
    )


def class_outlook_figure(outlook: pd.DataFrame) -> go.Figure:
    """Grouped bars: what each ABC class bought last year and is expected to buy next year."""
    classes = [t(f"portfolio.class_{c}") for c in outlook.index]
    fig = go.Figure(
        [
            go.Bar(
                x=classes,
                y=outlook["last_year_revenue"],
                name=t("clv.legend_last_year"),
                marker_color=charts.NEUTRAL,
                hovertemplate="%{y:,.0f}<extra></extra>",
            ),
            go.Bar(
                x=classes,
                y=outlook["expected_revenue_12m"],
                name=t("clv.legend_next_year"),
                marker_color=charts.PALETTE[0],
                hovertemplate="%{y:,.0f}<extra></extra>",
            ),
        ]
    )
    fig.update_layout(barmode="group")
    _local_numbers(fig)
    return charts.style(fig, title=t("clv.outlook_title"), y_title=t("clv.axis_revenue"), height=380)


def with_classes(values: pd.DataFrame, classes: pd.DataFrame, names: pd.Series) -> pd.DataFrame:
    """Future values joined to the page's ABC ranking (class, rank, display name, and
    ``in_view``: whether the page's filters, e.g. its status filter, show the account).

    Looked up by position (``Index.get_indexer`` on plain object arrays): 50,000 accounts
    join in milliseconds, where ``Series.map`` on Arrow strings takes most of a second. The
    display name comes from the ranking's ``name`` column when it has one (the Portfolio
    page's does: one lookup instead of two), else from ``names``.
    """
    account = values["account"].to_numpy(dtype=object)
    ranked = pd.Index(classes["customer"].to_numpy(dtype=object), dtype=object).get_indexer(account)
    found = ranked >= 0
    at = np.maximum(ranked, 0)
    abc = classes["abc_class"].to_numpy(dtype=object)
    rank = classes["rank"].to_numpy(dtype=float)
    if "name" in classes.columns:
        labels = classes["name"].to_numpy(dtype=object)
        name = np.where(found, labels[at], None)
    else:
        named = pd.Index(names.index.to_numpy(dtype=object), dtype=object).get_indexer(account)
        labels = names.to_numpy(dtype=object)
        name = np.where(named >= 0, labels[np.maximum(named, 0)], None)
    return values.assign(
        name=name,
        abc_class=np.where(found, abc[at], "C"),
        rank=np.where(found, rank[at], np.nan),
        in_view=found,
    )


def by_risk(accounts: pd.DataFrame) -> pd.DataFrame:
    """``accounts`` ranked by revenue at risk (largest first; ties by account number)."""
    if accounts["account"].is_monotonic_increasing:  # as kamcore.clv returns them
        # a stable sort on the number alone keeps ties in account order (no string sort key)
        return accounts.iloc[np.argsort(-accounts["revenue_at_risk"].to_numpy(float), kind="stable")]
    return accounts.sort_values(["revenue_at_risk", "account"], ascending=[False, True])


def by_rank(accounts: pd.DataFrame) -> pd.DataFrame:
    """``accounts`` in ABC order (rank; unranked accounts last; ties by account number)."""
    if accounts["account"].is_monotonic_increasing:
        return accounts.iloc[np.argsort(accounts["rank"].to_numpy(float), kind="stable")]  # NaN last
    return accounts.sort_values(["rank", "account"], na_position="last")


def by_change(accounts: pd.DataFrame, rank: str) -> pd.DataFrame:
    """``accounts`` by their change against the same 12 months a year earlier, largest fall
    first: in per cent (``rank="change_pct"``; ties by the fall in money; accounts without
    revenue a year earlier, which have no per cent, last) or in money (``rank="change"``);
    remaining ties by account number."""
    if rank == "change_pct":
        columns = ["revenue_change_pct", "revenue_change", "account"]
    elif rank == "change":
        columns = ["revenue_change", "account"]
    else:
        raise ValueError(f"unknown ranking {rank!r}")
    if accounts["account"].is_monotonic_increasing:  # as kamcore.clv returns them
        # lexsort is stable (ties stay in account order) and puts NaN last: no string sort key
        keys = [accounts[c].to_numpy(float) for c in reversed(columns[:-1])]
        return accounts.iloc[np.lexsort(keys)]
    return accounts.sort_values(columns, na_position="last", kind="stable")


def ranked(accounts: pd.DataFrame, rank: str) -> pd.DataFrame:
    """``accounts`` in the drifting-away list's order ``rank`` (one of :data:`RANKS`)."""
    return by_risk(accounts) if rank == "risk" else by_change(accounts, rank)


def drifting_table(
    accounts: pd.DataFrame, as_of, below: float = 0.5, *, presorted: bool = False, rank: str = "risk"
) -> pd.DataFrame:
    """Every account, ranked by revenue at risk (or by ``rank``: :func:`ranked`), under translated
    headers; P(alive) under ``below`` is marked in its own column, not filtered (a steady buyer
    that halved its orders keeps a high P(alive) but can still carry the most revenue at risk),
    and the change against the same 12 months a year earlier is shown in money and per cent
    (empty when the account bought nothing then), beside the class when ``rank`` is a change.
    ``presorted``: ``accounts`` is already in that order."""
    rows = accounts if presorted else ranked(accounts, rank)
    last_purchase = pd.Timestamp(as_of) - pd.to_timedelta(rows["T"] - rows["recency"], unit="W")
    table = pd.DataFrame(
        {
            t("portfolio.col_customer"): rows["account"],
            t("portfolio.col_name"): rows["name"],
            t("portfolio.col_class"): rows["abc_class"],
            t("clv.col_p_alive"): (rows["p_alive"] * 100).round(1),
            # a mark, not a boolean: the downloads would write True/False in English
            t("clv.col_below_limit"): np.where(rows["p_alive"].to_numpy() < below, BELOW_MARK, ""),
            t("clv.col_last_purchase"): last_purchase.dt.round("D").dt.date,
            t("clv.col_last_year"): rows["last_year_revenue"].round(0),
            t("clv.col_change"): rows["revenue_change"].round(0),
            t("clv.col_change_pct"): (rows["revenue_change_pct"] * 100).round(1),
            t("clv.col_at_risk"): rows["revenue_at_risk"].round(0),
            t("clv.col_expected_revenue"): rows["expected_revenue_12m"].round(0),
        }
    )
    if rank == "risk":
        return table
    # ranked by the change: its columns beside the class, where the list opens (no sideways scroll)
    first = [
        t("portfolio.col_customer"),
        t("portfolio.col_name"),
        t("portfolio.col_class"),
        t("clv.col_change_pct"),
        t("clv.col_change"),
        t("clv.col_last_year"),
    ]
    return table[first + [c for c in table.columns if c not in first]]


def accounts_table(accounts: pd.DataFrame, *, presorted: bool = False) -> pd.DataFrame:
    """Every account in ABC order with P(alive) and next year's expected purchases and revenue
    (``presorted``: ``accounts`` is already in :func:`by_rank` order)."""
    ordered = accounts if presorted else by_rank(accounts)
    return pd.DataFrame(
        {
            t("portfolio.col_rank"): ordered["rank"],
            t("portfolio.col_customer"): ordered["account"],
            t("portfolio.col_name"): ordered["name"],
            t("portfolio.col_class"): ordered["abc_class"],
            t("clv.col_p_alive"): (ordered["p_alive"] * 100).round(1),
            t("clv.col_purchases"): (ordered["frequency"] + 1),
            t("clv.col_expected_purchases"): ordered["expected_purchases_12m"].round(1),
            t("clv.col_last_year"): ordered["last_year_revenue"].round(0),
            t("clv.col_expected_revenue"): ordered["expected_revenue_12m"].round(0),
        }
    )


def holdout_table(check: clv.HoldoutCheck) -> pd.DataFrame:
    """The hold-out comparison as a table under translated headers."""
    table = check.table
    return pd.DataFrame(
        {
            t("clv.col_bin"): table["label"],
            t("clv.col_customers"): table["customers"],
            t("clv.col_actual"): table["actual"].round(2),
            t("clv.col_predicted"): table["predicted"].round(2),
        }
    )

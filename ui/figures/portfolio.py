"""Portfolio figures and tables: classes by group, Pareto, whale curve, movement, drill-down."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from kamcore import portfolio
from ui import charts
from ui.i18n import fmt_date, fmt_num, fmt_pct, t


def class_label(name: str) -> str:
    """'A' -> 'A accounts'; 'new' -> 'New'; 'lost' -> 'Lost'."""
    return t(f"portfolio.class_{name}")


def account_names(frame: pd.DataFrame) -> pd.Series:
    """Display name per customer_id: 'name (id)' when names are mapped, else the id."""
    if "customer_name" not in frame:
        ids = frame["customer_id"].astype("string")
        return pd.Series(ids.unique(), index=ids.unique())
    # the first name given per customer id (as a groupby's first()), from the customer codes
    # every analysis of the page shares (kamcore.portfolio.customer_codes, computed once)
    codes, uniques = portfolio.customer_codes(frame["customer_id"])
    given = frame["customer_name"]
    rows = np.flatnonzero((codes >= 0) & given.notna().to_numpy())
    # each code's first named row, in one pass (no sort of a million codes)
    first_row = np.full(len(uniques), len(codes), dtype=np.int64)
    np.minimum.at(first_row, codes[rows], rows)
    found = np.flatnonzero(first_row < len(codes))
    index = pd.Index(pd.Series(uniques, dtype="string").to_numpy(), dtype="string", name="customer_id")
    values = pd.Series(pd.NA, index=index, dtype=given.dtype)
    values.iloc[found] = given.iloc[first_row[found]].to_numpy()
    present = np.bincount(codes[codes >= 0], minlength=len(uniques)) > 0
    names = values.loc[present]
    return (names.fillna("") + " (" + names.index.to_series() + ")").where(
        names.notna(), names.index.to_series()
    )


#: The totals the Portfolio page states for the current filters, in this order.
TOTALS = ("revenue", "profit")


def totals(frame: pd.DataFrame) -> dict[str, float]:
    """Total revenue and profit (those mapped) and the number of accounts in ``frame``."""
    out = {name: float(frame[name].sum()) for name in TOTALS if name in frame.columns}
    out["accounts"] = float(frame["customer_id"].nunique())
    return out


def totals_caption(filters) -> str:
    """What the totals cover: the period (or all dates) and that the sidebar filters apply."""
    if filters.date_from is not None and filters.date_to is not None:
        return t("portfolio.totals_period", start=fmt_date(filters.date_from), end=fmt_date(filters.date_to))
    return t("portfolio.totals_all_dates")


def measure_axis(measure: str) -> str:
    """The axis title (with unit) for a measure."""
    return t(f"portfolio.axis_{measure}")


def group_figure(counts: pd.DataFrame, group: str) -> go.Figure:
    """Accounts per ABC class in each group, as stacked horizontal bars.

    ``counts`` has one row per group value (the index) and one column per class (A, B, C).
    """
    fig = go.Figure(
        [
            go.Bar(
                y=charts.safe_series(counts.index.to_series().astype("string").fillna("–")),
                x=counts[cls],
                name=class_label(cls),
                orientation="h",
                marker_color=charts.CLASS_COLORS[cls],
                hovertemplate="%{y}: %{x}<extra>" + class_label(cls) + "</extra>",
            )
            for cls in portfolio.CLASSES
        ]
    )
    fig.update_layout(barmode="stack")
    return charts.style(
        fig,
        title=t("portfolio.group_chart_title", group=t(f"app.role_{group}").lower()),
        x_title=t("portfolio.axis_accounts"),
        y_title=t(f"app.role_{group}"),
    )


@charts.memo_figure  # the same for every session with the same data, filters and language
def pareto_figure(
    top: pd.DataFrame, measure: str, thresholds: tuple[float, float], n_accounts: int
) -> go.Figure:
    """Pareto chart: value per account by rank (coloured by class) and the cumulative share line.

    ``top`` is the head of ``portfolio.abc_classes`` output with a ``name`` column added;
    ``n_accounts`` is the number of accounts in the whole ranking (for the title).
    """
    hover_names = charts.safe_series(top["name"].fillna(""))
    # each point's Plotly id is its customer id: a click opens the account (ui.account_charts)
    ids = top["customer"].astype("string").fillna("") if "customer" in top else pd.Series("", index=top.index)
    fig = go.Figure()
    for cls in portfolio.CLASSES:
        ranks = top.loc[top["abc_class"] == cls, "rank"]
        if ranks.empty:
            continue
        fig.add_vrect(
            x0=ranks.min() - 0.5,
            x1=ranks.max() + 0.5,
            fillcolor=charts.CLASS_COLORS[cls],
            opacity=0.08,
            line_width=0,
            layer="below",
        )
        part = top[top["abc_class"] == cls]
        fig.add_bar(
            x=part["rank"],
            y=part["value"],
            name=class_label(cls),
            marker_color=charts.CLASS_COLORS[cls],
            ids=ids[part.index].tolist(),
            customdata=hover_names[part.index],
            hovertemplate="%{customdata}<br>"
            + t("portfolio.hover_rank")
            + ": %{x}<br>"
            + t(f"portfolio.measure_{measure}")
            + ": %{y:,.0f}<extra></extra>",
        )
    fig.add_scatter(
        x=top["rank"],
        y=top["cum_share"] * 100,
        yaxis="y2",
        mode="lines",
        name=t("portfolio.cumulative_share"),
        line={"color": "#000000", "width": 2},
        ids=ids.tolist(),
        customdata=hover_names,
        hovertemplate="%{customdata}<br>" + t("portfolio.cumulative_share") + ": %{y:.1f}%<extra></extra>",
    )
    for limit, dash in ((thresholds[0], "dash"), (thresholds[1], "dot")):
        fig.add_hline(
            y=limit * 100,
            yref="y2",
            line_dash=dash,
            line_color="#555555",
            annotation_text=fmt_pct(limit, 0),
            annotation_position="top right",
        )
    fig.update_layout(
        yaxis2={"overlaying": "y", "side": "right", "range": [0, 102], "dtick": 20, "showgrid": False},
        bargap=0.1,
    )
    charts.style(
        fig,
        title=t(
            "portfolio.pareto_title",
            n=fmt_num(len(top)),
            total=fmt_num(n_accounts),
            measure=t(f"portfolio.measure_{measure}").lower(),
        ),
        x_title=t("portfolio.axis_rank"),
        y_title=measure_axis(measure),
    )
    # style() titles every y axis; the cumulative axis gets its own title afterwards.
    fig.update_layout(yaxis2_title_text=t("portfolio.axis_cumulative"))
    return fig


def whale_figure(curve: pd.DataFrame, names: pd.Series, whale: portfolio.WhaleSummary) -> go.Figure:
    """Whale curve: cumulative profit share against cumulative account share, the peak marked.

    ``curve`` is ``portfolio.whale_curve`` output; ``names`` maps customer id to display name.
    """
    curve_names = charts.safe_series(curve["customer"].astype("string").map(names).fillna(""))
    fig = go.Figure()
    fig.add_scatter(
        x=[0, *(curve["cum_accounts_pct"] * 100)],
        y=[0, *(curve["cum_profit_pct"] * 100)],
        # invisible markers: Plotly selects (clicks) only points that have a marker; an
        # invisible fill to zero keeps the axes as for a line alone (markers would pad them)
        mode="lines+markers",
        marker={"size": 0, "opacity": 0, "color": charts.POSITIVE},
        fill="tozeroy",
        fillcolor="rgba(0,0,0,0)",
        name=t("portfolio.whale_line"),
        line={"color": charts.POSITIVE},
        # each point's Plotly id is its customer id ("" at the origin): a click opens the account
        ids=["", *curve["customer"].astype("string").fillna("")],
        customdata=["", *curve_names],
        hovertemplate="%{customdata}<br>"
        + t("portfolio.axis_accounts_pct")
        + ": %{x:.1f}<br>"
        + t("portfolio.axis_profit_pct")
        + ": %{y:.1f}<extra></extra>",
    )
    peak_x = whale.accounts_at_peak_share * 100
    peak_y = whale.peak_pct * 100
    fig.add_scatter(
        x=[peak_x],
        y=[peak_y],
        mode="markers",
        name=t("portfolio.whale_peak"),
        marker={"color": charts.NEGATIVE, "size": 12},
        hovertemplate=t("portfolio.whale_peak") + ": %{y:.0f}%<extra></extra>",
    )
    fig.add_annotation(
        x=peak_x,
        y=peak_y,
        text=charts.safe(
            t(
                "portfolio.whale_peak_note",
                pct=fmt_pct(whale.peak_pct, 0),
                n=fmt_num(whale.accounts_at_peak),
            )
        ),
        showarrow=True,
        arrowhead=2,
        ay=-30,
    )
    fig.add_hline(y=100, line_dash="dot", line_color="#555555")
    return charts.style(
        fig,
        title=t("portfolio.whale_title"),
        x_title=t("portfolio.axis_accounts_pct"),
        y_title=t("portfolio.axis_profit_pct"),
    )


def concentration_table(conc: portfolio.Concentration) -> pd.DataFrame:
    """Share of the measure held by the top 1/5/10/20 % and the top 5/10/20 accounts."""
    rows = [
        (
            t(
                "portfolio.conc_row_top_pct",
                pct=fmt_pct(p, 0),
                n=fmt_num(portfolio.top_count(conc.n_accounts, p)),
            ),
            getattr(conc, f"top_{k}pct"),
        )
        for p, k in ((0.01, 1), (0.05, 5), (0.10, 10), (0.20, 20))
    ] + [(t("portfolio.conc_row_top_n", n=fmt_num(k)), getattr(conc, f"top_{k}")) for k in (5, 10, 20)]
    return pd.DataFrame(
        {
            t("portfolio.conc_col_group"): [r[0] for r in rows],
            t("portfolio.conc_col_share"): [fmt_pct(r[1]) for r in rows],
        }
    )


def movement_matrix_figure(matrix: pd.DataFrame) -> go.Figure:
    """Accounts moving from the previous period's class (rows) to the current one (columns)."""
    fig = go.Figure(
        go.Heatmap(
            z=matrix.to_numpy(),
            x=[class_label(c) for c in matrix.columns],
            y=[class_label(c) for c in matrix.index],
            colorscale="Blues",
            text=matrix.to_numpy(),
            texttemplate="%{text}",
            showscale=False,
            hovertemplate="%{y} → %{x}: %{z}<extra></extra>",
        )
    )
    fig.update_yaxes(autorange="reversed")
    return charts.style(
        fig,
        title=t("portfolio.movement_title"),
        x_title=t("portfolio.axis_current_class"),
        y_title=t("portfolio.axis_previous_class"),
    )


def movement_sankey_figure(matrix: pd.DataFrame) -> go.Figure:
    """The movement matrix as a Sankey diagram: previous classes left, current classes right."""
    sources, targets, counts = [], [], []
    for i, prev in enumerate(matrix.index):
        for j, cur in enumerate(matrix.columns):
            if matrix.loc[prev, cur] > 0:
                sources.append(i)
                targets.append(len(matrix.index) + j)
                counts.append(int(matrix.loc[prev, cur]))
    colors = [charts.CLASS_COLORS.get(c, charts.PALETTE[2]) for c in matrix.index] + [
        charts.CLASS_COLORS.get(c, charts.PALETTE[5]) for c in matrix.columns
    ]
    labels = [class_label(c) for c in matrix.index] + [class_label(c) for c in matrix.columns]
    fig = go.Figure(
        go.Sankey(
            node={"label": labels, "color": colors, "pad": 20},
            link={"source": sources, "target": targets, "value": counts},
        )
    )
    return charts.style(fig, title=t("portfolio.movement_title"))


def churn_table(risk: pd.DataFrame, names: pd.Series) -> pd.DataFrame:
    """``portfolio.churn_risk`` output with names, translated classes and headers, rounded values."""
    return pd.DataFrame(
        {
            t("portfolio.col_customer"): risk["customer"].astype("string"),
            t("portfolio.col_name"): risk["customer"].astype("string").map(names),
            t("portfolio.col_previous_class"): risk["previous_class"].map(class_label),
            t("portfolio.col_current_class"): risk["current_class"].map(class_label),
            t("portfolio.col_previous_value"): risk["previous_value"].round(0),
            t("portfolio.col_current_value"): risk["current_value"].round(0),
            t("portfolio.col_change_pct"): (risk["change_pct"] * 100).round(1),
            t("portfolio.col_last_purchase"): risk["last_purchase"].dt.date,
            t("portfolio.col_fell"): risk["fell"],
            t("portfolio.col_stopped"): risk["stopped"],
        }
    )


def accounts_table(classes: pd.DataFrame, measure: str) -> pd.DataFrame:
    """The ABC ranking (with a ``name`` column added) under translated headers, shares in %."""
    return pd.DataFrame(
        {
            t("portfolio.col_rank"): classes["rank"],
            t("portfolio.col_customer"): classes["customer"].astype("string"),
            t("portfolio.col_name"): classes["name"],
            t("portfolio.col_class"): classes["abc_class"],
            t(f"portfolio.measure_{measure}"): classes["value"].round(2),
            t("portfolio.col_share"): (classes["share"] * 100).round(2),
            t("portfolio.col_cum_share"): (classes["cum_share"] * 100).round(2),
            t("portfolio.col_non_positive"): classes["non_positive"],
        }
    )


def group_accounts_table(
    group_classes: pd.DataFrame, group: str, names: pd.Series, measure: str
) -> pd.DataFrame:
    """``portfolio.abc_by_group`` output with names under translated headers, shares in %."""
    return pd.DataFrame(
        {
            t(f"app.role_{group}"): group_classes["group"].astype("string"),
            t("portfolio.col_rank"): group_classes["rank"],
            t("portfolio.col_customer"): group_classes["customer"].astype("string"),
            t("portfolio.col_name"): group_classes["customer"].astype("string").map(names),
            t("portfolio.col_class"): group_classes["abc_class"],
            t(f"portfolio.measure_{measure}"): group_classes["value"].round(2),
            t("portfolio.col_share"): (group_classes["share"] * 100).round(2),
        }
    )


def drill_figure(series: pd.DataFrame, revenue_col: str, with_profit: bool, account_name: str) -> go.Figure:
    """One account's monthly revenue (bars) and, when mapped, profit (line).

    ``series`` is ``portfolio.monthly_series`` output; ``account_name`` is the user's text.
    """
    fig = go.Figure()
    fig.add_bar(
        x=series["month"],
        y=series["revenue"],
        name=t(f"portfolio.measure_{revenue_col}"),
        marker_color=charts.POSITIVE,
    )
    if with_profit:
        fig.add_scatter(
            x=series["month"],
            y=series["profit"],
            name=t("portfolio.measure_profit"),
            mode="lines+markers",
            line={"color": charts.NEGATIVE},
        )
    return charts.style(
        fig,
        title=t("portfolio.drill_chart_title", account=charts.safe(account_name)),
        x_title=t("portfolio.axis_month"),
        y_title=t("portfolio.axis_amount"),
    )

"""Survey figures and table headers: answer histograms, diverging bars, gap, snake, mirror, IPA, loyalty."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.colors as pcolors
import plotly.graph_objects as go

from kamcore import survey, survey_model
from ui import charts
from ui.figures.common import style_item_rows
from ui.i18n import dimension_label, fmt_num, t

CHURNED_COLOR = charts.NEGATIVE
REST_COLOR = charts.POSITIVE


def pick_default(options: list[str], words: tuple[str, ...], texts: dict[str, str]) -> int:
    """Index of the first option whose name or question contains one of ``words`` (else 0)."""
    for i, option in enumerate(options):
        haystack = f"{option} {texts.get(option, '')}".casefold()
        if any(w in haystack for w in words):
            return i
    return 0


def role_label(role: str) -> str:
    """A dictionary role (expectation, perception, ...) in the user's language; unknown roles as given."""
    return t(f"survey.role_{role}") if role in survey_model.ROLES else role


def gap_columns(first: str = "pair") -> dict[str, str]:
    """Translated headers of a gap table whose first column is ``first`` (pair or dimension)."""
    return {
        first: t(f"survey.col_{first}"),
        "n": t("survey.col_n"),
        "mean_expectation": t("survey.col_mean_expectation"),
        "mean_perception": t("survey.col_mean_perception"),
        "mean_gap": t("survey.col_mean_gap"),
        "ci_low": t("survey.col_ci_low"),
        "ci_high": t("survey.col_ci_high"),
        "t_p": t("survey.col_t_p"),
        "wilcoxon_p": t("survey.col_wilcoxon_p"),
        "p_holm": t("survey.col_p_holm"),
        "d_z": t("survey.col_d_z"),
        "small_n": t("survey.col_small_n"),
    }


def histogram_figure(
    answers: survey.AnswerCounts, item: str, question: str, scale: tuple[float, float]
) -> go.Figure:
    """Answer counts with the normal curve of the same mean and s.d. (as case B drew by hand).

    ``answers`` is :func:`kamcore.survey.answer_counts` of the item.
    """
    lo, hi = scale
    counts, mean, sd, n = answers
    fig = go.Figure(
        go.Bar(
            x=counts.index,
            y=counts.to_numpy(),
            name=t("survey.legend_answers"),
            marker_color=charts.PALETTE[0],
            hovertemplate=t("survey.hover_count") + "<extra></extra>",
        )
    )
    if n > 1 and sd > 0:
        x = np.linspace(lo - 0.5, hi + 0.5, 200)
        y = n * np.exp(-0.5 * ((x - mean) / sd) ** 2) / (sd * np.sqrt(2 * np.pi))
        fig.add_trace(
            go.Scatter(
                x=x,
                y=y,
                mode="lines",
                name=t("survey.legend_normal"),
                line={"color": charts.PALETTE[1], "width": 2},
                hoverinfo="skip",
            )
        )
    fig.add_vline(x=mean, line_dash="dash", line_color=charts.NEUTRAL)
    charts.style(
        fig,
        title=t(
            "survey.hist_title",
            item=charts.safe(item),
            mean=fmt_num(mean, 2),
            sd=fmt_num(sd, 2),
            n=fmt_num(n),
        ),
        x_title=t("survey.axis_answer"),
        y_title=t("survey.axis_respondents"),
        height=380,
    )
    if question and question != item:
        fig.update_layout(title_text=f"{fig.layout.title.text}<br><sup>{charts.safe(question)}</sup>")
    fig.update_xaxes(dtick=1)
    return fig


def diverging_figure(dist: pd.DataFrame, items: list[str], scale: tuple[float, float]) -> go.Figure:
    """Diverging stacked bars: shares below the midpoint to the left, above to the right.

    ``dist`` is :func:`kamcore.survey.distribution` of ``items`` on ``scale``.
    """
    lo, hi = scale
    mid = (lo + hi) / 2
    values = np.arange(lo, hi + 1, dtype=float)
    colours = pcolors.sample_colorscale("RdBu", [i / max(len(values) - 1, 1) for i in range(len(values))])
    fig = go.Figure()
    labels = charts.safe_series(pd.Series(items)).tolist()
    for value, colour in zip(values, colours, strict=True):
        share = dist[dist["value"] == value].set_index("item")["share"].reindex(items).fillna(0).to_numpy()
        if value == mid:
            parts = [-share / 2, share / 2]
        else:
            parts = [-share if value < mid else share]
        for k, x in enumerate(parts):
            fig.add_trace(
                go.Bar(
                    y=labels,
                    x=x * 100,
                    orientation="h",
                    marker_color=colour,
                    name=fmt_num(value),
                    legendgroup=str(value),
                    showlegend=k == 0,
                    customdata=share * 100,
                    hovertemplate="%{y}: "
                    + t("survey.hover_share", value=fmt_num(value))
                    + "<extra></extra>",
                )
            )
    fig.update_layout(barmode="relative")
    return style_item_rows(
        fig,
        len(items),
        title=t("survey.diverging_title"),
        x_title=t("survey.axis_share_pct"),
        min_height=300,
        row_height=28,
    )


def gap_figure(
    gaps: pd.DataFrame, label: str, title: str, groups: dict[str, pd.DataFrame] | None = None
) -> go.Figure:
    """Mean gap per item, sorted by size, with 95 % CI whiskers (one trace per group if given)."""
    groups = groups or {"": gaps}
    order = gaps.sort_values("mean_gap")[label].tolist()
    fig = go.Figure()
    colours = [CHURNED_COLOR, REST_COLOR] if len(groups) > 1 else [charts.PALETTE[0]]
    for (name, frame), colour in zip(groups.items(), colours, strict=False):
        frame = frame.set_index(label).reindex(order)
        fig.add_trace(
            go.Scatter(
                x=frame["mean_gap"],
                # the four key areas in the user's language; other labels are the user's own
                y=charts.safe_series(pd.Series(order).map(dimension_label if label == "dimension" else str)),
                mode="markers",
                name=name,
                showlegend=bool(name),
                marker={"color": colour, "size": 10},
                error_x={
                    "type": "data",
                    "symmetric": False,
                    "array": frame["ci_high"] - frame["mean_gap"],
                    "arrayminus": frame["mean_gap"] - frame["ci_low"],
                    "color": colour,
                },
                customdata=np.column_stack([frame["n"], frame["ci_low"], frame["ci_high"]]),
                hovertemplate="%{y}: " + t("survey.hover_gap") + "<extra></extra>",
            )
        )
    fig.add_vline(x=0, line_color=charts.NEUTRAL)
    # sorted ascending and drawn top-down: the largest shortfall on top
    return style_item_rows(fig, len(order), title=title, x_title=t("survey.axis_gap"))


def snake_figure(gaps: pd.DataFrame) -> go.Figure:
    """Snake plot: mean expectation and mean perception per pair."""
    labels = charts.safe_series(gaps["pair"])
    fig = go.Figure()
    for column, name, colour in (
        ("mean_expectation", t("survey.legend_expectation"), charts.PALETTE[1]),
        ("mean_perception", t("survey.legend_perception"), charts.PALETTE[0]),
    ):
        fig.add_trace(
            go.Scatter(
                x=gaps[column],
                y=labels,
                mode="lines+markers",
                name=name,
                line={"color": colour},
                hovertemplate="%{y}: %{x:.2f}<extra></extra>",
            )
        )
    return style_item_rows(fig, len(gaps), title=t("survey.snake_title"), x_title=t("survey.axis_mean"))


def mirror_figure(gaps: pd.DataFrame) -> go.Figure:
    """Customers' own mean beside supplier staff's estimate, per item (a dumbbell chart)."""
    frame = gaps.sort_values("gap", ascending=False)
    labels = charts.safe_series(frame["item"]).tolist()
    fig = go.Figure()
    for a, b, label in zip(frame["mean_staff"], frame["mean_customers"], labels, strict=True):
        fig.add_trace(
            go.Scatter(
                x=[a, b],
                y=[label, label],
                mode="lines",
                showlegend=False,
                line={"color": charts.NEUTRAL, "width": 2},
                hoverinfo="skip",
            )
        )
    for column, name, marker in (
        ("mean_customers", t("survey.legend_customers"), {"color": charts.PALETTE[0], "size": 11}),
        (
            "mean_staff",
            t("survey.legend_staff"),
            {"color": charts.PALETTE[1], "size": 11, "symbol": "diamond"},
        ),
    ):
        fig.add_trace(
            go.Scatter(
                x=frame[column],
                y=labels,
                mode="markers",
                name=name,
                marker=marker,
                hovertemplate="%{y}: %{x:.2f}<extra></extra>",
            )
        )
    return style_item_rows(fig, len(frame), title=t("survey.mirror_title"), x_title=t("survey.axis_mean"))


def ipa_figure(result: pd.DataFrame, texts: dict[str, str]) -> go.Figure:
    """Importance (y) against performance (x) per pair, coloured by quadrant, with the crosshair."""
    fig = go.Figure()
    colours = dict(
        zip(
            survey.QUADRANTS,
            [charts.NEGATIVE, charts.PALETTE[0], charts.NEUTRAL, charts.PALETTE[1]],
            strict=True,
        )
    )
    for quadrant in survey.QUADRANTS:
        part = result[result["quadrant"] == quadrant]
        if part.empty:
            continue
        fig.add_trace(
            go.Scatter(
                x=part["performance"],
                y=part["importance"],
                mode="markers+text",
                name=t(f"survey.quadrant_{quadrant}"),
                text=charts.safe_series(part["item"]),
                textposition="top center",
                marker={"color": colours[quadrant], "size": 11},
                customdata=charts.safe_series(part["item"].map(lambda i: texts.get(i, i))),
                hovertemplate="%{customdata}<br>" + t("survey.hover_ipa") + "<extra></extra>",
            )
        )
    fig.add_vline(
        x=float(result["performance_crosshair"].iloc[0]), line_dash="dash", line_color=charts.NEUTRAL
    )
    fig.add_hline(
        y=float(result["importance_crosshair"].iloc[0]), line_dash="dash", line_color=charts.NEUTRAL
    )
    charts.style(
        fig,
        title=t("survey.ipa_title"),
        x_title=t("survey.axis_performance"),
        y_title=t("survey.axis_importance"),
        height=520,
    )
    return fig


def loyalty_figure(
    table: pd.DataFrame, cut_attitude: float, cut_repeat: float, repeat_label: str, attitude: str
) -> go.Figure:
    """Attitude against repeat behaviour per respondent, coloured by loyalty type, with the cuts.

    ``table`` has columns ``repeat``, ``attitude`` and ``loyalty_type``; ``repeat_label`` is
    already safe text (translated or escaped), ``attitude`` is the user's item name.
    """
    rng = np.random.default_rng(0)  # a fixed jitter so repeated answers stay visible and the chart is stable
    fig = go.Figure()
    for kind, colour in zip(
        survey.LOYALTY_TYPES,
        [charts.PALETTE[0], charts.PALETTE[2], charts.NEGATIVE, charts.NEUTRAL],
        strict=True,
    ):
        part = table[table["loyalty_type"] == kind]
        if part.empty:
            continue
        fig.add_trace(
            go.Scatter(
                x=part["repeat"] + rng.uniform(-0.15, 0.15, len(part)),
                y=part["attitude"] + rng.uniform(-0.15, 0.15, len(part)),
                mode="markers",
                name=t(f"survey.loyalty_{kind}"),
                marker={"color": colour, "size": 8, "opacity": 0.8},
                hovertemplate=t("survey.hover_loyalty") + "<extra></extra>",
                customdata=np.column_stack([part["repeat"], part["attitude"]]),
            )
        )
    fig.add_vline(x=cut_repeat, line_dash="dash", line_color=charts.NEUTRAL)
    fig.add_hline(y=cut_attitude, line_dash="dash", line_color=charts.NEUTRAL)
    return charts.style(
        fig,
        title=t("survey.loyalty_chart_title"),
        x_title=t("survey.axis_repeat", item=repeat_label),
        y_title=t("survey.axis_attitude", item=charts.safe(attitude)),
        height=480,
    )


def results_table(frame: pd.DataFrame, columns: dict[str, str]) -> pd.DataFrame:
    """The columns of ``frame`` named in ``columns`` (those present), roles translated, headers renamed."""
    shown = frame[[c for c in columns if c in frame.columns]]
    if "role" in shown:
        shown = shown.assign(role=shown["role"].map(role_label))
    if "dimension" in shown:
        shown = shown.assign(dimension=shown["dimension"].map(dimension_label))
    return shown.rename(columns=columns)

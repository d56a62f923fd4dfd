"""Selection figures and tables: the portfolio matrix, chart picks and the shortlist table."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pyarrow as pa
import pyarrow.compute as pc

from kamcore import selection
from ui import charts
from ui.i18n import _separators, fmt_num, lang, t, translate

#: Criteria whose names come from the catalogue; any other is one the team added and named.
_BUILT_IN = {c.name for c in selection.default_model().criteria} | set(selection.COMPUTED_SOURCES)


def criterion_label(name: str) -> str:
    """A criterion's name in the user's language; a team's own criterion keeps its given name."""
    return t(f"selection.criterion_{name}") if name in _BUILT_IN else name


def criteria_labels(names: str) -> str:
    """Comma-separated criterion names (as kamcore writes them) in the user's language."""
    return ", ".join(criterion_label(n) for n in str(names).split(", ") if n)


def category_label(category: str) -> str:
    """A portfolio category (key, key development, ...) in the user's language."""
    return t(f"selection.category_{category}")


def _numbers(values: pd.Series, decimals: int, language: str) -> list[str]:
    """:func:`ui.i18n.fmt_num` of every value, in one pass (the same text, value by value)."""
    thousands, decimal = _separators(language)
    table = str.maketrans({",": thousands, ".": decimal})
    spec = f",.{decimals}f"
    out = []
    for value in pd.to_numeric(values, errors="coerce").to_numpy(dtype="float64", na_value=float("nan")).tolist():
        if value != value:
            out.append("–")
            continue
        text = format(value, spec)
        if text[0] == "-" and not text.strip("-0.,"):
            text = text[1:]  # no "-0" for a small negative amount (it rounds to 0)
        out.append(text.translate(table))
    return out


def _escaped(values: pd.Series) -> list[str]:
    """:func:`ui.charts.safe` of every value (``&``, ``<``, ``>`` escaped), the known ones in Arrow."""
    known = values.notna().to_numpy()
    out = np.empty(len(values), dtype=object)
    text = pa.array(values[known].astype("str").to_numpy(dtype=object), type=pa.string())
    for raw, escaped in (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;")):  # as html.escape, & first
        text = pc.replace_substring(text, raw, escaped)
    out[known] = text.to_numpy(zero_copy_only=False)
    out[~known] = [charts.safe(v) for v in values[~known]]
    return out.tolist()


#: Bubbles drawn at most by the portfolio matrix: the best-ranked accounts, plus the largest.
#: Tens of thousands of bubbles are a cloud nobody can read, and they cost the server and the
#: browser seconds per change; the room argues about the candidates at the top.
MATRIX_MAX_BEST = 2_000
MATRIX_MAX_LARGEST = 500


def drawn_accounts(scored: pd.DataFrame) -> pd.DataFrame:
    """The rows of ``scored`` (columns ``rank`` and ``revenue``) the matrix draws: all of them up to
    ``MATRIX_MAX_BEST + MATRIX_MAX_LARGEST`` accounts, else the ``MATRIX_MAX_BEST`` best-ranked and
    the ``MATRIX_MAX_LARGEST`` largest by revenue, in ``scored``'s order."""
    if len(scored) <= MATRIX_MAX_BEST + MATRIX_MAX_LARGEST:
        return scored
    best = scored["rank"].rank(method="first") <= MATRIX_MAX_BEST
    largest = scored["revenue"].rank(method="first", ascending=False, na_option="bottom") <= MATRIX_MAX_LARGEST
    return scored.loc[(best | largest).to_numpy()]


def matrix_figure(
    scored: pd.DataFrame, model: selection.SelectionModel, colour_by: str, classes: pd.Series | None = None
) -> go.Figure:
    """McDonald's portfolio matrix: x = our strength, y = attractiveness, bubble = revenue.

    With ``colour_by="abc"`` the bubbles take ``classes`` (customer id -> A/B/C,
    :func:`kamcore.selection.revenue_classes`); the figure computes no statistics itself.
    """
    frame = drawn_accounts(scored).copy()
    if colour_by == "abc":
        if classes is None:
            raise ValueError("matrix_figure(colour_by='abc') needs the accounts' classes")
        frame["group"] = frame["customer_id"].map(classes).fillna("C")
        groups = [(g, t("selection.abc_class", cls=g), charts.CLASS_COLORS[g]) for g in ("A", "B", "C")]
    else:
        frame["group"] = frame["category"]
        groups = [(c, category_label(c), charts.CATEGORY_COLORS[c]) for c in selection.CATEGORIES]
    size = frame["revenue"].clip(lower=0).fillna(0)
    sizeref = 2.0 * max(float(size.max()), 1.0) / 45.0**2
    # One hover text per account (50,000 on a large workspace): every line's text is looked up
    # once, the numbers are formatted column by column, and only the joining is per account.
    language = lang()
    labels = {c: category_label(c) for c in frame["category"].dropna().unique()}

    # every line's text with numbered fields, e.g. "Revenue, last 12 months: {2}"
    fields = {"revenue": ("revenue", 0), "profit": ("profit", 0), "attractiveness": ("attractiveness", 1),
              "strength": ("strength", 1), "rank": ("rank", 0), "total": ("total", 1)}  # fmt: skip
    marks = {name: f"\x00{i + 2}\x00" for i, name in enumerate(fields)}
    lines = [
        translate("selection.hover_revenue", language, value=marks["revenue"]),
        translate("selection.hover_profit", language, value=marks["profit"]),
        translate("selection.hover_attractiveness", language, value=marks["attractiveness"]),
        translate("selection.hover_strength", language, value=marks["strength"]),
        translate("selection.hover_rank", language, rank=marks["rank"], total=marks["total"]),
    ]
    template = "<br>".join(["<b>\x000\x00</b> (\x001\x00)", *lines, "\x008\x00"])
    columns = [
        _escaped(frame["customer_name"]),
        _escaped(frame["customer_id"]),
        *(_numbers(frame[column], decimals, language) for column, decimals in fields.values()),
        [labels[c] if c in labels else category_label(c) for c in frame["category"]],
    ]
    # the template's text between the fields, joined with the fields row by row in Arrow;
    # hover texts and ids as fixed-width text arrays: Plotly copies them as one block
    pieces: list = []
    for i, piece in enumerate(re.split("\x00(\\d)\x00", template)):
        pieces.append(piece if i % 2 == 0 else pa.array(columns[int(piece)], type=pa.string()))
    hover = np.asarray(pc.binary_join_element_wise(*pieces, "").to_numpy(zero_copy_only=False), dtype=str)
    ids = np.asarray(frame["customer_id"].astype("str").to_numpy(dtype=object), dtype=str).reshape(-1, 1)
    group_of = frame["group"].to_numpy(dtype=object)
    fig = go.Figure()
    for group, label, colour in groups:
        rows = group_of == group
        part = frame.loc[rows]
        fig.add_trace(
            go.Scatter(
                x=part["strength"],
                y=part["attractiveness"],
                mode="markers",
                name=label,
                customdata=ids[rows],
                hovertext=hover[rows],
                hovertemplate="%{hovertext}<extra></extra>",
                marker={
                    "size": size.loc[part.index],
                    "sizemode": "area",
                    "sizeref": sizeref,
                    "sizemin": 4,
                    "color": colour,
                    "opacity": 0.75,
                    "line": {"width": 0.5, "color": "white"},
                },
            )
        )
    cut_a, cut_s = selection.matrix_cuts(scored, model)
    fig.add_hline(
        y=cut_a,
        line_dash="dash",
        line_color=charts.NEUTRAL,
        annotation_text=fmt_num(cut_a, 1),
        annotation_position="bottom left",
        annotation_font_color=charts.NEUTRAL,
    )
    fig.add_vline(
        x=cut_s,
        line_dash="dash",
        line_color=charts.NEUTRAL,
        annotation_text=fmt_num(cut_s, 1),
        annotation_position="bottom right",
        annotation_font_color=charts.NEUTRAL,
    )
    corners = {
        "key": (102, 102, "right", "top"),
        "key_development": (-2, 102, "left", "top"),
        "maintenance": (102, -2, "right", "bottom"),
        "opportunistic": (-2, -2, "left", "bottom"),
    }
    for category, (x, y, xanchor, yanchor) in corners.items():
        fig.add_annotation(
            x=x,
            y=y,
            text=f"<b>{category_label(category)}</b>",
            showarrow=False,
            xanchor=xanchor,
            yanchor=yanchor,
            font={"color": charts.CATEGORY_COLORS[category]},
        )
    fig.update_xaxes(range=[-4, 104], zeroline=False)
    fig.update_yaxes(range=[-4, 104], zeroline=False)
    # the room's choices that move bubbles between boxes, on the chart itself
    note = t(
        "selection.matrix_note",
        missing=t(f"selection.missing_policy_{model.missing}").lower(),
        cuts=cut_rule_label(model),
    )
    if len(frame) < len(scored):
        note += " · " + t("selection.matrix_drawn", shown=fmt_num(len(frame)), total=fmt_num(len(scored)))
    fig.update_layout(margin_t=charts.TOP_MARGIN_WITH_LEGEND + 20)
    return charts.style(
        fig,
        title=f"{t('selection.matrix_title')}<br><span style='font-size:12px'>{charts.safe(note)}</span>",
        x_title=t("selection.matrix_x"),
        y_title=t("selection.matrix_y"),
        height=560,
    )


def cut_rule_label(model: selection.SelectionModel) -> str:
    """Where the boxes are cut, in words: the key-box rule, the medians or the room's values."""
    if model.cut_attractiveness is not None or model.cut_strength is not None:
        return t("selection.cut_mode_value").lower()
    return t(f"selection.cut_mode_{model.cut_rule}", limit=fmt_num(model.shortlist_limit)).lower()


def cuts_caption(scored: pd.DataFrame, model: selection.SelectionModel) -> str:
    """The cut-points, how many accounts the key box holds, and the shortlist limit."""
    cut_a, cut_s = selection.matrix_cuts(scored, model)
    return t(
        "selection.cuts_caption",
        attractiveness=fmt_num(cut_a, 1),
        strength=fmt_num(cut_s, 1),
        n_key=fmt_num(int((scored["category"] == "key").sum())),
        total=fmt_num(len(scored)),
        limit=fmt_num(model.shortlist_limit),
        rule=cut_rule_label(model),
    )


def coverage_table(coverage: pd.DataFrame) -> pd.DataFrame:
    """``selection.criterion_coverage`` under translated headers, criterion names translated."""
    return pd.DataFrame(
        {
            t("selection.col_criterion"): coverage["criterion"].map(criterion_label),
            t("selection.col_axis"): coverage["axis"].map(lambda a: t(f"selection.axis_{a}")),
            t("selection.col_weight"): coverage["weight"].round(1),
            t("selection.col_n_scored"): coverage["n_scored"],
            t("selection.col_n_accounts"): coverage["n_accounts"],
            t("selection.col_coverage"): (coverage["share"] * 100).round(1),
        }
    )


def picked_in_chart(event, figure: go.Figure) -> list[str]:
    """Customer ids of the points the user clicked, boxed or lassoed."""
    points = (event or {}).get("selection", {}).get("points", []) if event else []
    picked = []
    for point in points:
        custom = point.get("customdata")
        if custom:
            picked.append(str(custom[0] if isinstance(custom, list | tuple) else custom))
            continue
        trace, index = point.get("curve_number"), point.get("point_index")
        if trace is not None and index is not None:
            picked.append(str(figure.data[trace].customdata[index][0]))
    return picked


#: Columns the shortlist shows on screen, with their widths in pixels: at 1280 px beside the
#: sidebar every one must fit without a sideways scrollbar. The axis scores are on the matrix,
#: the missing inputs and how each account was chosen in the download.
SHORTLIST_ON_SCREEN = {
    "selection.col_rank": 45,
    "selection.col_customer_id": 70,
    "selection.col_customer_name": 140,
    "selection.col_category": 105,
    "selection.col_total": 55,
    "selection.col_revenue_12m": 90,
    "selection.col_why": 150,
    "selection.col_stability": 80,
}


def shortlist_on_screen(table: pd.DataFrame) -> list[str]:
    """The shortlist's on-screen columns (translated headers) present in ``table``."""
    return [t(key) for key in SHORTLIST_ON_SCREEN if t(key) in table.columns]


def shortlist_table(chosen: pd.DataFrame, shares: pd.Series) -> pd.DataFrame:
    """The shortlist as the user sees and downloads it, with translated headers."""
    return pd.DataFrame(
        {
            t("selection.col_rank"): chosen["rank"].to_numpy(),
            t("selection.col_customer_id"): chosen["customer_id"].to_numpy(),
            t("selection.col_customer_name"): chosen["customer_name"].to_numpy(),
            t("selection.col_category"): chosen["category"].map(category_label).to_numpy(),
            t("selection.col_total"): chosen["total"].round(1).to_numpy(),
            t("selection.col_attractiveness"): chosen["attractiveness"].round(1).to_numpy(),
            t("selection.col_strength"): chosen["strength"].round(1).to_numpy(),
            t("selection.col_revenue_12m"): chosen["revenue"].round(0).to_numpy(),
            t("selection.col_why"): chosen["top_criteria"].map(criteria_labels).to_numpy(),
            # whole percent (0-100): the table's progress bar writes it in the user's language
            t("selection.col_stability"): (chosen["customer_id"].map(shares) * 100).round(0).to_numpy(),
            t("selection.col_missing"): chosen["missing_inputs"].map(criteria_labels).to_numpy(),
            t("selection.col_chosen_by"): chosen["chosen_by"]
            .map(lambda c: t(f"selection.chosen_by_{c}"))
            .to_numpy(),
        }
    )

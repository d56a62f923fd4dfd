"""Segment figures and tables: index-against-k panels, PCA map, profiles, histograms, RFM; names."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from kamcore import segments as sg
from ui import charts
from ui.i18n import fmt_num, fmt_pct, t

INDICES = ("silhouette", "calinski_harabasz", "davies_bouldin", "gap")
#: Characters per line of a k-chart panel title (wrapped between words).
SUBPLOT_TITLE_WIDTH = 20


def segment_colour(position: int) -> str:
    """The palette colour of the segment at ``position`` (the palette repeats after eight)."""
    return charts.PALETTE[position % len(charts.PALETTE)]


def feature_label(feature: str, source: str) -> str:
    """Account features are ours and translated; survey columns are the user's own names."""
    return t(f"segments.feature_{feature}") if source == "accounts" else str(feature)


def reason_text(result: sg.SegmentResult, scan: sg.SegmentResult | None = None) -> str:
    """The choice rule and the k every other index points to, in the user's language.

    Each index's k is read from ``scan.k_scores`` (the numbers the k chart draws; ``result``
    itself when no separate scan), and every sentence names its k, so none can be read as
    agreeing with a different number than the chart shows.
    """
    if result.choice_rule == "fixed":
        return t("segments.reason_fixed", k=result.k)
    primary = "gap" if result.choice_rule == "gap_1se" else "silhouette"
    best = sg.best_k_by_index((scan or result).k_scores)
    parts = [t(f"segments.reason_{result.choice_rule}", k=result.k)]
    for index in INDICES:
        if index == primary or index not in best:
            continue
        chosen = t("segments.index_best_chosen") if best[index] == result.k else ""
        parts.append(
            t(
                f"segments.index_best_{sg.INDEX_DIRECTION[index]}",
                index=t(f"segments.index_{index}"),
                k=best[index],
                chosen=chosen,
            )
        )
    return " ".join(parts)


#: Characters per line of a feature name under the profile chart's bars.
FEATURE_LABEL_WIDTH = 14


def k_chart(scan: sg.SegmentResult, chosen_k: int) -> go.Figure:
    """One small panel per index against k, the k in use marked in every panel."""
    fig = make_subplots(
        rows=1,
        cols=len(INDICES),
        # two short lines each: four panels side by side leave ~a quarter of the width per title
        subplot_titles=[charts.wrap(t(f"segments.index_{i}_short"), SUBPLOT_TITLE_WIDTH) for i in INDICES],
        horizontal_spacing=0.07,
    )
    scores = scan.k_scores
    for column, index in enumerate(INDICES, start=1):
        chosen = scores["k"] == chosen_k
        fig.add_trace(
            go.Scatter(
                x=scores["k"],
                y=scores[index],
                mode="lines+markers",
                name=t(f"segments.index_{index}"),
                line={"color": charts.PALETTE[0]},
                showlegend=False,
                hovertemplate="k = %{x}<br>%{y:.3f}<extra></extra>",
            ),
            row=1,
            col=column,
        )
        fig.add_trace(
            go.Scatter(
                x=scores.loc[chosen, "k"],
                y=scores.loc[chosen, index],
                mode="markers",
                marker={"size": 14, "color": charts.PALETTE[5], "symbol": "diamond"},
                name=t("segments.chosen_k"),
                showlegend=column == 1,
                hovertemplate="k = %{x}<br>%{y:.3f}<extra></extra>",
            ),
            row=1,
            col=column,
        )
        fig.update_xaxes(title_text=t("segments.axis_k"), dtick=1, row=1, col=column)
    fig.update_layout(margin={"t": 110})
    return charts.legend_below(charts.style(fig, title=t("segments.k_chart_title"), height=420))


def default_names(
    result: sg.SegmentResult, source: str, observed_range: tuple[float, float]
) -> dict[int, str]:
    """Descriptive names from the centroids, built from translatable parts."""
    # Survey items usually share one answer scale: judge "high"/"low" on it (its observed
    # range) rather than against each item's spread. Account features have no common scale.
    scale_range = (observed_range[0], observed_range[1]) if source == "survey" else None
    names: dict[int, str] = {}
    for segment, parts in sg.segment_name_parts(result, scale_range).items():
        phrases = []
        for part in parts:
            if source == "accounts":
                # Short words ("recency", "R score") keep names readable; "/" lists them all.
                what = "/".join(t(f"segments.short_{f}") for f in part.features)
            else:
                labels = [str(f) for f in part.features]
                what = (
                    labels[0]
                    if len(labels) == 1
                    else (", ".join(labels) if len(labels) == 2 else f"{labels[0]}–{labels[-1]}")
                )
            phrases.append(t(f"segments.level_{part.level}", what=what))
        names[segment] = ", ".join(phrases)
    counts = pd.Series(list(names.values())).value_counts()
    return {
        s: t("segments.name_numbered", name=n, segment=s) if counts[n] > 1 else n for s, n in names.items()
    }


#: Points the PCA map draws at most. Its shape is the same from a random sample of this size,
#: and 50,000 points with their hover texts cost the server and the browser a second per change.
PCA_MAX_POINTS = 5_000


def drawn_points(coords: pd.DataFrame) -> pd.DataFrame:
    """``coords`` itself up to ``PCA_MAX_POINTS`` rows, else that many rows picked at random
    (seeded: the same rows every time), in ``coords``' order."""
    if len(coords) <= PCA_MAX_POINTS:
        return coords
    picked = np.sort(np.random.default_rng(0).choice(len(coords), size=PCA_MAX_POINTS, replace=False))
    return coords.iloc[picked]


def pca_chart(
    coords: pd.DataFrame, labels: pd.Series, names: dict[int, str], hover: pd.Series, ids: pd.Series | None = None
) -> go.Figure:
    """Accounts or respondents on the first two principal components, one trace per segment.

    With ``ids`` (customer ids by the index of ``coords``) each point's Plotly id is its
    customer id, so a click can open the account (``ui.account_charts``). Above
    ``PCA_MAX_POINTS`` rows a seeded random sample is drawn and the title says so.
    """
    fig = go.Figure()
    ratio = coords.attrs.get("explained_variance_ratio", [0.0, 0.0])
    total = len(coords)
    coords = drawn_points(coords)
    title = charts.wrap(t("segments.pca_title"), charts.HALF_WIDTH_TITLE)
    if len(coords) < total:
        note = t("segments.pca_sampled", shown=fmt_num(len(coords)), total=fmt_num(total))
        title += f"<br><span style='font-size:12px'>{charts.safe(note)}</span>"
    segments = labels.reindex(coords.index)
    for position, (segment, name) in enumerate(names.items()):
        rows = segments == segment
        rows = rows.fillna(False).astype(bool)
        fig.add_trace(
            go.Scattergl(
                x=coords.loc[rows, "pc1"],
                y=coords.loc[rows, "pc2"],
                mode="markers",
                name=charts.safe(name),
                marker={"color": segment_colour(position), "size": 7, "opacity": 0.75},
                ids=None if ids is None else ids.reindex(coords.index[rows]).astype("string").fillna("").tolist(),
                customdata=charts.safe_series(hover.reindex(coords.index[rows])).to_numpy(),
                hovertemplate="%{customdata}<extra>" + charts.safe(name) + "</extra>",
            )
        )
    # segment names can be long: two per legend row under the plot, never into the title
    return charts.legend_below(
        charts.style(
            fig,
            title=title,
            x_title=t("segments.pca_axis", n=1, share=fmt_pct(ratio[0])),
            y_title=t("segments.pca_axis", n=2, share=fmt_pct(ratio[1])),
            height=560,
        ),
        per_row=2,
    )


def profile_chart(result: sg.SegmentResult, names: dict[int, str], source: str) -> go.Figure:
    """Segment centroids per feature (original units) as grouped bars beside the overall mean."""
    # wrapped, not rotated: long feature names stay readable and inside the chart
    labels = [charts.wrap(charts.safe(feature_label(f, source)), FEATURE_LABEL_WIDTH) for f in result.features]
    fig = go.Figure()
    for position, (segment, centroid) in enumerate(result.centroids.iterrows()):
        fig.add_trace(
            go.Bar(
                x=labels,
                y=centroid.to_numpy(),
                name=charts.safe(names[int(segment)]),
                marker_color=segment_colour(position),
                hovertemplate="%{x}: %{y:.2f}<extra>" + charts.safe(names[int(segment)]) + "</extra>",
            )
        )
    fig.add_trace(
        go.Scatter(
            x=labels,
            y=result.overall_mean.to_numpy(),
            mode="markers",
            marker={"symbol": "line-ew-open", "size": 28, "color": charts.NEUTRAL, "line": {"width": 3}},
            name=t("segments.overall_mean"),
            hovertemplate="%{x}: %{y:.2f}<extra></extra>",
        )
    )
    fig.update_layout(barmode="group")
    fig.update_xaxes(tickangle=0)
    return charts.legend_below(
        charts.style(
            fig,
            title=charts.wrap(t("segments.profile_title"), charts.HALF_WIDTH_TITLE),
            x_title=t("segments.axis_feature"),
            y_title=t("segments.axis_mean_original"),
            height=560,
        ),
        per_row=2,
        tick_lines=max(label.count("<br>") + 1 for label in labels) if labels else 1,
    )


def histogram_figure(
    table: pd.DataFrame, result: sg.SegmentResult, names: dict[int, str], source: str, feature: str
) -> go.Figure:
    """Overlaid histograms of one clustering feature, one trace per segment."""
    fig = go.Figure()
    for position, (segment, name) in enumerate(names.items()):
        rows = (result.labels == segment).fillna(False).astype(bool)
        values = table.loc[rows, feature]
        fig.add_trace(
            go.Histogram(
                x=values,
                name=charts.safe(name),
                opacity=0.6,
                marker_color=segment_colour(position),
            )
        )
    fig.update_layout(barmode="overlay")
    label = charts.safe(feature_label(feature, source))
    return charts.style(
        fig,
        title=t("segments.hist_title", feature=label),
        x_title=t("segments.hist_axis", feature=label),
        y_title=t("segments.axis_count"),
        height=300,
    )


def profile_table(profile: pd.DataFrame, names: dict[int, str], source: str) -> pd.DataFrame:
    """The profile with segment names and translated headers, as shown and downloaded."""
    shown = profile.assign(
        segment=profile["segment"].map(names),
        feature=profile["feature"].map(lambda f: feature_label(f, source)),
    )
    return shown.rename(
        columns={
            "segment": t("segments.col_segment_name"),
            "feature": t("segments.col_feature"),
            "n": t("segments.col_n"),
            "mean": t("segments.col_mean"),
            "overall_mean": t("segments.col_overall_mean"),
            "difference": t("segments.col_difference"),
            "std": t("segments.col_std"),
        }
    )


def rfm_chart(table: pd.DataFrame) -> go.Figure:
    """Accounts per RFM segment, in the fixed RFM segment order."""
    counts = table["rfm_segment"].value_counts().reindex(list(sg.RFM_SEGMENTS), fill_value=0)
    fig = go.Figure(
        go.Bar(
            x=counts.to_numpy(),
            y=[t(f"segments.rfm_{code}") for code in counts.index],
            orientation="h",
            marker_color=charts.PALETTE[0],
            hovertemplate="%{y}: %{x}<extra></extra>",
        )
    )
    fig.update_yaxes(autorange="reversed")
    return charts.style(fig, title=t("segments.rfm_title"), x_title=t("segments.axis_accounts"), height=420)

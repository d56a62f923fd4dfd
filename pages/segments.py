"""Segments: RFM and k-means clusters of accounts or survey respondents, named and saved back."""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from kamcore import segment_inputs as inputs
from kamcore import segments as sg
from kamcore.errors import KamError
from ui import account_charts, charts, i18n, router, state, widgets
from ui import segment_views as views
from ui.figures import segments as figures
from ui.i18n import fmt_num, labeller, t

router.require_router()

SOURCES = ("accounts", "survey")
SCALES = ("standard", "log", "minmax", "none")

# --------------------------------------------------------------------------- page

st.title(t("segments.title"))
st.caption(t("segments.intro"))

source = widgets.choice("segments.source", SOURCES, key="segments.source", default="accounts",
                        option_prefix="segments.source")
widgets.require(source, "segments.pick_source")

if source == "accounts":
    table, table_name, key_column, hover = views.account_source()
else:
    table, table_name, key_column, hover = views.survey_source()

features = views.pick_features(table, source, key_column, table_name)
widgets.require(features, "segments.pick_features")

left, middle, right = st.columns(3)
k_mode = left.segmented_control(
    t("segments.k_mode"),
    ("auto", "fixed"),
    default="auto",
    format_func=labeller("segments.k_mode_"),
    key="segments.k_mode",
)
k_fixed = middle.slider(
    t("segments.k"), min_value=2, max_value=8, value=3, key="segments.k", disabled=k_mode != "fixed"
)
scale = right.selectbox(
    t("segments.scale"),
    SCALES,
    format_func=labeller("segments.scale_"),
    key="segments.scale",
    help=t("segments.scale_help"),
)
impute = st.toggle(t("segments.impute"), key="segments.impute", help=t("segments.impute_help"))
impute_option = "median" if impute else None

workspace_key = state.workspace_key()
clustered = table[features]
table_hash = views.fingerprint(table, features)  # once per data key for the account features
# With k fixed, the quality indices and the stability re-runs (and the scan over every k
# behind the k chart) are computed only when the user asks to see them; cached either way.
show_quality = k_mode != "fixed" or st.toggle(
    t("segments.show_quality"), key="segments.show_quality", help=t("segments.show_quality_help")
)
pending = None
try:
    with st.spinner(t("segments.running")):
        if k_mode == "fixed":
            result = views.cluster(clustered, workspace_key, table_hash, tuple(features), k_fixed, scale,
                                   impute_option, show_quality)
            origin = views.result_origin(workspace_key, table_hash, tuple(features), k_fixed, scale, impute_option,
                                         show_quality)
        else:  # at 50,000 accounts the scan over every k runs in the background (see views)
            result, pending = views.result_or_pending(clustered, workspace_key, table_hash, tuple(features),
                                                      k_fixed, scale, impute_option)
            origin = views.auto_origin(len(clustered), pending, workspace_key, table_hash, tuple(features), k_fixed,
                                       scale, impute_option)
            show_quality = pending is None
        scan = result
        if k_mode == "fixed" and show_quality:  # the k chart: the scan over every k
            scan, pending = views.result_or_pending(clustered, workspace_key, table_hash, tuple(features),
                                                    k_fixed, scale, impute_option)
            scan = result if pending is not None else scan
        coords = views.projection(clustered, workspace_key, table_hash, tuple(features), scale, impute_option)
except KamError as exc:
    widgets.stop_with_error(exc)

if pending is not None:
    views.scan_pending(pending, result.k, len(clustered))
a, b, c, d = st.columns(4)
a.metric(t("segments.metric_k"), fmt_num(result.k))
b.metric(t("segments.metric_used"), fmt_num(result.n_used))
c.metric(
    t("segments.metric_excluded"),
    fmt_num(result.n_excluded_missing),
    help=t("segments.metric_excluded_help", imputed=fmt_num(result.n_imputed)),
)
if show_quality:
    d.metric(
        t("segments.metric_stability"), fmt_num(result.stability_ari, 2), help=t("segments.metric_stability_help")
    )
if pending is None:  # (while the scan runs, its status box says why this k is shown)
    st.caption(figures.reason_text(result, scan))
st.caption(
    t(
        "segments.method_note",
        algorithm=result.algorithm
        if result.weighted_distinct_rows is None
        else t("segments.method_weighted", algorithm=result.algorithm, n=fmt_num(result.weighted_distinct_rows)),
        silhouette=t("segments.silhouette_exact")
        if result.silhouette_method == "exact"
        else t("segments.silhouette_sample", n=fmt_num(sg.SILHOUETTE_SAMPLE)),
    )
)
if len(scan.k_scores) > 1:
    charts.show(figures.k_chart(scan, result.k), key="segments.k_chart")

st.subheader(t("segments.names_title"))
st.caption(t("segments.names_help"))
observed = clustered.to_numpy(dtype=float)
suggested = figures.default_names(result, source, (float(np.nanmin(observed)), float(np.nanmax(observed))))
names = views.name_editor(result, suggested, views.saved_names(table_name, result), origin)
if len(set(names.values())) < len(names):
    st.warning(t("segments.names_not_unique"))

# an account's id is the table's index; respondents have no page of their own
account_ids = pd.Series(table.index.astype("str"), index=table.index) if key_column == "customer_id" else None
if st.button(t("segments.save"), key="segments.save", type="primary", icon=":material/save:"):
    ids = account_ids if account_ids is not None else hover
    payload = inputs.assignment_payload(key_column, ids, result.labels, names, result.features, result.k)
    try:
        state.workspace().save_object("segment_assignment", table_name, payload, user=state.user())
    except KamError as exc:
        widgets.error(exc)
    else:
        st.success(t("segments.saved", n=fmt_num(len(payload["labels"])), k=result.k))

left, right = st.columns(2)
with left:
    if account_ids is not None:  # a click on an account opens its page
        account_charts.show(figures.pca_chart(coords, result.labels, names, hover, account_ids), key="segments.pca")
    else:
        charts.show(figures.pca_chart(coords, result.labels, names, hover), key="segments.pca")
with right:
    charts.show(figures.profile_chart(result, names, source), key="segments.profile")

st.subheader(t("segments.profile_table_title"))
profile = sg.segment_profile(table, result.labels, features)
shown_profile = figures.profile_table(profile, names, source)
i18n.dataframe(
    shown_profile,
    hide_index=True,
    width="stretch",
    decimals={t(f"segments.col_{name}"): 2 for name in ("mean", "overall_mean", "difference", "std")},
)

if st.toggle(t("segments.show_histograms"), key="segments.histograms"):
    views.histograms(table, result, names, source)

if source == "accounts" and st.toggle(t("segments.show_rfm"), key="segments.rfm"):
    charts.show(figures.rfm_chart(table), key="segments.rfm_chart")
    st.caption(
        t(
            "segments.rfm_caption",
            frequency=t(f"segments.rfm_frequency_{table.attrs.get('frequency', 'orders')}"),
        )
    )

st.subheader(t("segments.downloads"))
labelled = table.assign(
    **{
        t("segments.col_segment"): result.labels,
        t("segments.col_segment_name"): result.labels.map(names),
    }
)
if key_column == "customer_id":
    labelled = labelled.reset_index()
st.caption(t("segments.download_rows"))
widgets.download_buttons(labelled, f"segments_{table_name}", key="segments.download_rows")
st.caption(t("segments.download_profile"))
widgets.download_buttons(shown_profile, f"segment_profile_{table_name}", key="segments.download_profile")

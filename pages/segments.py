"""Segments: RFM and k-means clusters of accounts or survey respondents, named and saved back."""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pandas as pd
import streamlit as st

from kamcore import segments as sg
from kamcore.errors import KamError
from kamcore.schemas import TableKind
from ui import charts, data, i18n, router, state, widgets
from ui.figures import segments as figures
from ui.i18n import fmt_num, labeller, t

router.require_router()

SOURCES = ("accounts", "survey")
ACCOUNT_FEATURES = (
    "recency_days",
    "frequency",
    "monetary",
    "margin_pct",
    "r_score",
    "f_score",
    "m_score",
)
DEFAULT_ACCOUNT_FEATURES = ["r_score", "f_score", "m_score"]
DEFAULT_SURVEY_FEATURES = ["Q6", "Q7", "Q8", "Q9", "Q10"]
SCALES = ("standard", "log", "minmax", "none")
ROW_KEY = "row_number"


def content_hash(frame: pd.DataFrame) -> str:
    """A hash of the values (and index) of ``frame``, used as the cache key beside it."""
    hashed = pd.util.hash_pandas_object(frame, index=True).to_numpy()
    columns = json.dumps([str(c) for c in frame.columns])
    return hashlib.sha256(hashed.tobytes() + columns.encode()).hexdigest()


# The frame goes in unhashed (_table); the workspace key and the content hash identify it.
@st.cache_data(max_entries=16, show_spinner=False)
def cluster(
    _table: pd.DataFrame,
    workspace_key: str,
    table_hash: str,
    features: tuple[str, ...],
    k: int | None,
    scale: str,
    impute: str | None,
    diagnostics: bool = True,
) -> sg.SegmentResult:
    return sg.kmeans_segments(_table, list(features), k=k, scale=scale, impute=impute, diagnostics=diagnostics)


@st.cache_data(max_entries=16, show_spinner=False)
def projection(
    _table: pd.DataFrame,
    workspace_key: str,
    table_hash: str,
    features: tuple[str, ...],
    scale: str,
    impute: str | None,
) -> pd.DataFrame:
    return sg.pca_2d(_table, list(features), scale=scale, impute=impute)


def account_source() -> tuple[pd.DataFrame, str, str, pd.Series]:
    """Account table with RFM and margin features, its save name, key column and hover names."""
    transactions = data.transactions()
    widgets.require(transactions, "segments.no_transactions")
    try:
        table = sg.account_features(transactions)
    except KamError as exc:
        widgets.stop_with_error(exc)
    names = table["customer_name"] if "customer_name" in table else pd.Series(table.index, index=table.index)
    hover = names.astype("str").where(names.notna(), "") + " (" + table.index.astype("str") + ")"
    return table, data.active_table(TableKind.transactions) or "transactions", "customer_id", hover


def survey_source() -> tuple[pd.DataFrame, str, str, pd.Series]:
    """The chosen survey table, its name, the respondent key column and hover labels."""
    name = widgets.table_picker(TableKind.survey, key="segments.survey_table")
    widgets.require(name, "segments.no_survey")
    table = data.table(name)
    widgets.require(table, "segments.no_survey")
    key = sg.respondent_key(table)
    if key is None:
        ids = pd.Series(np.arange(1, len(table) + 1), index=table.index).astype("str")
        key = ROW_KEY
    else:
        ids = key_text(table[key])
    return table, name, key, ids


def key_text(values: pd.Series) -> pd.Series:
    """Respondent ids as text; whole numbers stored as floats (1.0) are written as 1."""
    if pd.api.types.is_float_dtype(values) and (values.dropna() % 1 == 0).all():
        values = values.astype("Int64")
    return values.astype("str")


def pick_features(table: pd.DataFrame, source: str, key_column: str) -> list[str]:
    if source == "accounts":
        options = [f for f in ACCOUNT_FEATURES if f in table]
        default = DEFAULT_ACCOUNT_FEATURES
    else:
        options = [
            str(c) for c in table.columns if c != key_column and pd.api.types.is_numeric_dtype(table[c])
        ]
        default = [c for c in DEFAULT_SURVEY_FEATURES if c in options] or options[: min(5, len(options))]
    remembered = st.session_state.get("segments.features")
    # Options change with the source; a stale choice would not be a valid value any more.
    if remembered is None or any(f not in options for f in remembered):
        st.session_state["segments.features"] = [f for f in default if f in options]
    return st.multiselect(
        t("segments.features"),
        options,
        key="segments.features",
        format_func=labeller("segments.feature_") if source == "accounts" else str,
        help=t("segments.features_help"),
    )


def saved_names(table_name: str, result: sg.SegmentResult) -> dict[int, str]:
    """Names saved earlier for this table, when they belong to the same features and k."""
    payload = state.workspace().load_object("segment_assignment", table_name)
    if not payload or payload.get("k") != result.k or payload.get("features") != result.features:
        return {}
    return {int(s): str(n) for s, n in payload.get("names", {}).items()}


def name_editor(result: sg.SegmentResult, suggested: dict[int, str], start: dict[int, str]) -> dict[int, str]:
    """Editable segment names beside their size; returns the names to use."""
    signature = json.dumps([result.k, result.features, sorted(start.items())])
    if st.session_state.get("segments._names_signature") != signature:
        # Edits belong to one clustering; a new one starts from fresh names.
        st.session_state.pop("segments.names", None)
        st.session_state["segments._names_signature"] = signature
    frame = pd.DataFrame(
        {
            "name": [start.get(s, suggested[s]) for s in result.sizes.index],
            "suggested": [suggested[s] for s in result.sizes.index],
            "n": result.sizes.to_numpy(),
            "share": (100 * result.sizes.to_numpy() / result.sizes.sum()).round(0),
        },
        index=result.sizes.index,
    )
    edited = st.data_editor(
        frame,
        key="segments.names",
        disabled=["suggested", "n", "share"],
        width="stretch",
        column_config={
            "_index": st.column_config.NumberColumn(t("segments.col_segment")),
            "name": st.column_config.TextColumn(t("segments.col_name"), required=True, max_chars=80),
            "suggested": st.column_config.TextColumn(t("segments.col_suggested")),
            "n": st.column_config.NumberColumn(t("segments.col_n"), format=i18n.number_format(0)),
            "share": st.column_config.ProgressColumn(
                t("segments.col_share"), format=i18n.percent_format(), min_value=0, max_value=100
            ),
        },
    )
    names = {}
    for segment, name in edited["name"].items():
        text = str(name).strip() if pd.notna(name) else ""
        names[int(segment)] = text or suggested[int(segment)]
    return names


def histograms(table: pd.DataFrame, result: sg.SegmentResult, names: dict[int, str], source: str) -> None:
    for feature in result.features:
        charts.show(
            figures.histogram_figure(table, result, names, source, feature), key=f"segments.hist.{feature}"
        )


# --------------------------------------------------------------------------- page

st.title(t("segments.title"))
st.caption(t("segments.intro"))

source = widgets.choice("segments.source", SOURCES, key="segments.source", default="accounts",
                        option_prefix="segments.source")
widgets.require(source, "segments.pick_source")

if source == "accounts":
    table, table_name, key_column, hover = account_source()
else:
    table, table_name, key_column, hover = survey_source()

features = pick_features(table, source, key_column)
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
table_hash = content_hash(clustered)
# With k fixed, the quality indices and the stability re-runs (and the scan over every k
# behind the k chart) are computed only when the user asks to see them; cached either way.
show_quality = k_mode != "fixed" or st.toggle(
    t("segments.show_quality"), key="segments.show_quality", help=t("segments.show_quality_help")
)
try:
    with st.spinner(t("segments.running")):
        result = cluster(
            clustered,
            workspace_key,
            table_hash,
            tuple(features),
            k_fixed if k_mode == "fixed" else None,
            scale,
            impute_option,
            show_quality,
        )
        scan = (
            result
            if k_mode != "fixed" or not show_quality
            else cluster(clustered, workspace_key, table_hash, tuple(features), None, scale, impute_option)
        )
        coords = projection(clustered, workspace_key, table_hash, tuple(features), scale, impute_option)
except KamError as exc:
    widgets.stop_with_error(exc)

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
st.caption(figures.reason_text(result, scan))
st.caption(
    t(
        "segments.method_note",
        algorithm=result.algorithm,
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
names = name_editor(result, suggested, saved_names(table_name, result))
if len(set(names.values())) < len(names):
    st.warning(t("segments.names_not_unique"))

if st.button(t("segments.save"), key="segments.save", type="primary", icon=":material/save:"):
    ids = pd.Series(table.index.astype("str"), index=table.index) if key_column == "customer_id" else hover
    assigned = result.labels.dropna()
    payload = {
        "key": key_column,
        "labels": {str(ids[i]): names[int(s)] for i, s in assigned.items()},
        "names": {str(s): n for s, n in names.items()},
        "features": list(result.features),
        "k": result.k,
    }
    try:
        state.workspace().save_object("segment_assignment", table_name, payload, user=state.user())
    except KamError as exc:
        widgets.error(exc)
    else:
        st.success(t("segments.saved", n=fmt_num(len(payload["labels"])), k=result.k))

left, right = st.columns(2)
with left:
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
    histograms(table, result, names, source)

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

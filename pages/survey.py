"""Survey: item dictionary, descriptives, the Gap model, importance–performance, reliability, loyalty."""

from __future__ import annotations

import io

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from kamcore import survey, survey_ingest
from kamcore.errors import KamError
from kamcore.schemas import TableKind
from ui import account_link, charts, data, router, state, widgets
from ui.figures import survey as figures
from ui.i18n import fmt_num, fmt_pct, t

router.require_router()

VIEWS = ("descriptives", "customer_gap", "knowledge_gap", "ipa", "reliability", "loyalty")
ATTITUDE_WORDS = ("tilfreds", "fornøyd", "nöjd", "satisf", "verdsatt", "värderad", "valued")
REPEAT_WORDS = ("gjenkjøp", "återköp", "repeat", "lojal", "loyal", "kjøpe igjen", "köpa igen")
RECOMMEND_WORDS = ("anbefal", "rekommend", "recommend", "nps")
REPEAT_WINDOW_MONTHS = 12
P_COLUMNS = frozenset({"t_p", "wilcoxon_p", "p_holm", "welch_p"})


# ------------------------------------------------------------------------------ helpers


def show_table(frame: pd.DataFrame, columns: dict[str, str], key: str, download: str | None = None,
               account_ids: list[str] | None = None) -> None:
    """A results table with translated headers (and CSV/XLSX downloads of the same table)."""
    shown = figures.results_table(frame, columns)
    config = {}
    for name, header in columns.items():
        if name not in frame.columns or not pd.api.types.is_float_dtype(frame[name]):
            continue
        if name in P_COLUMNS:
            config[header] = st.column_config.NumberColumn(header, format="%.4f")
        elif name == "share":
            config[header] = st.column_config.NumberColumn(header, format="percent")
        else:
            config[header] = st.column_config.NumberColumn(header, format="%.2f")
    if account_ids is not None:  # a row opens the account's page
        account_link.account_table(shown, account_ids, key=key, hide_index=True, width="stretch", column_config=config)
    else:
        st.dataframe(shown, hide_index=True, width="stretch", key=key, column_config=config)
    if download:
        widgets.download_buttons(shown, download, key=f"{key}.download")


def small_n_warning(frame: pd.DataFrame) -> None:
    if "small_n" in frame and frame["small_n"].any():
        st.warning(t("survey.small_n_warning", limit=fmt_num(survey.SMALL_N)), icon=":material/warning:")


def load_dictionary(name: str, items: list[str], texts: dict[str, str], columns: list[str]) -> pd.DataFrame:
    """The saved dictionary for this table when it still fits the survey, else a fresh guess."""
    guessed = survey_ingest.guess_item_dictionary(items, texts)
    payload = state.workspace().load_object("item_dictionary", name)
    if payload and payload.get("rows"):
        try:
            saved = survey_ingest.ItemDictionary.from_frame(pd.DataFrame(payload["rows"]), available=columns)
            return saved.to_frame()
        except KamError:
            return guessed
    return guessed


def save_dictionary(name: str, model: survey_ingest.ItemDictionary) -> None:
    payload = {"rows": model.to_frame().to_dict("records")}
    if state.workspace().load_object("item_dictionary", name) != payload:
        state.workspace().save_object("item_dictionary", name, payload, user=state.user())
        st.toast(t("survey.dictionary_saved"), icon=":material/save:")


def dictionary_section(
    name: str, items: list[str], texts: dict[str, str], columns: list[str]
) -> survey_ingest.ItemDictionary:
    """Upload, edit (grid) and download the item dictionary; returns the validated one."""
    with st.expander(t("survey.dictionary_title"), icon=":material/list_alt:"):
        st.caption(t("survey.dictionary_help"))
        upload = st.file_uploader(t("survey.dictionary_upload"), type=["csv"], key="survey.dictionary_upload")
        if upload is not None and st.session_state.get("survey._dictionary_upload_id") != upload.file_id:
            st.session_state["survey._dictionary_upload_id"] = upload.file_id
            try:
                frame = pd.read_csv(
                    io.BytesIO(upload.getvalue()),
                    sep=None,
                    engine="python",
                    dtype=str,
                    keep_default_na=False,
                    encoding="utf-8-sig",
                )
                save_dictionary(name, survey_ingest.ItemDictionary.from_frame(frame, available=columns))
                st.session_state.pop("survey.dictionary", None)
            except (KamError, ValueError, UnicodeDecodeError) as exc:
                widgets.error(
                    exc
                    if isinstance(exc, KamError)
                    else KamError(
                        "survey.dictionary_unreadable",
                        "The item dictionary file could not be read as a CSV table.",
                    )
                )
        base = load_dictionary(name, items, texts, columns)
        edited = st.data_editor(
            base,
            key="survey.dictionary",
            num_rows="fixed",
            hide_index=True,
            disabled=["item"],
            width="stretch",
            column_config={
                "item": st.column_config.TextColumn(t("survey.col_item")),
                "question": st.column_config.TextColumn(t("survey.col_question")),
                "dimension": st.column_config.TextColumn(
                    t("survey.col_dimension"), help=t("survey.dimension_help")
                ),
                "role": st.column_config.SelectboxColumn(
                    t("survey.col_role"),
                    options=list(survey_ingest.ROLES),
                    format_func=figures.role_label,
                    required=True,
                    help=t("survey.role_help"),
                ),
                "pair": st.column_config.TextColumn(t("survey.col_pair"), help=t("survey.pair_help")),
                "reverse": st.column_config.CheckboxColumn(
                    t("survey.col_reverse"), help=t("survey.reverse_help")
                ),
            },
        )
        try:
            model = survey_ingest.ItemDictionary.from_frame(edited, available=columns)
        except KamError as exc:
            widgets.error(exc)
            model = survey_ingest.ItemDictionary.from_frame(base, available=columns)
        else:
            if (st.session_state.get("survey.dictionary") or {}).get("edited_rows"):
                save_dictionary(name, model)
        widgets.download_buttons(
            model.to_frame(), f"{name}_item_dictionary", key="survey.dictionary_download"
        )
    return model


def label_section(responses: pd.DataFrame, label_items: list[str]) -> pd.DataFrame:
    """Text answers -> numbers with a mapping the user can correct."""
    values = pd.unique(responses[label_items].astype("string").stack().dropna().str.strip())
    guessed = survey_ingest.guess_label_mapping(values)
    base = pd.DataFrame({"label": sorted(values, key=lambda v: (guessed.get(v, 99), v))})
    base["value"] = base["label"].map(guessed).astype("Float64")
    with st.expander(t("survey.labels_title"), icon=":material/translate:"):
        st.caption(t("survey.labels_help"))
        edited = st.data_editor(
            base,
            key="survey.label_mapping",
            hide_index=True,
            num_rows="fixed",
            disabled=["label"],
            column_config={
                "label": st.column_config.TextColumn(t("survey.col_label")),
                "value": st.column_config.NumberColumn(t("survey.col_value"), step=1),
            },
        )
    mapping = {str(r.label): float(r.value) for r in edited.itertuples() if pd.notna(r.value)}
    try:
        return survey_ingest.apply_label_mapping(responses, label_items, mapping)
    except KamError as exc:
        widgets.stop_with_error(exc)


# ------------------------------------------------------------------------------ charts


def show_chart(fig: go.Figure, key: str) -> None:
    """charts.show with room above the plot, so the horizontal legend sits under the title, not on it."""
    fig.update_layout(margin={"t": 110})
    charts.show(fig, key=key)


# ------------------------------------------------------------------------------ views


def view_descriptives(
    frame: pd.DataFrame,
    model: survey_ingest.ItemDictionary,
    scales: pd.DataFrame,
    texts: dict[str, str],
    churned: pd.Series | None,
    compare: bool,
    only_customers: bool,
) -> None:
    items = [i for i in model.items if i in frame.columns]
    stats = survey.describe_items(frame, items)
    columns = {
        "item": t("survey.col_item"),
        "n": t("survey.col_n"),
        "mean": t("survey.col_mean"),
        "sd": t("survey.col_sd"),
        "median": t("survey.col_median"),
        "min": t("survey.col_min"),
        "max": t("survey.col_max"),
    }
    if compare and churned is not None:
        lost = survey.describe_items(frame[churned.reindex(frame.index, fill_value=False)], items)
        rest = survey.describe_items(frame[~churned.reindex(frame.index, fill_value=False)], items)
        stats = stats.assign(
            mean_churned=lost["mean"].to_numpy(),
            n_churned=lost["n"].to_numpy(),
            mean_rest=rest["mean"].to_numpy(),
            n_rest=rest["n"].to_numpy(),
        )
        stats["difference"] = stats["mean_churned"] - stats["mean_rest"]
        columns |= {
            "n_churned": t("survey.col_n_churned"),
            "mean_churned": t("survey.col_mean_churned"),
            "n_rest": t("survey.col_n_rest"),
            "mean_rest": t("survey.col_mean_rest"),
            "difference": t("survey.col_difference"),
        }
    st.subheader(t("survey.descriptives_title"))
    if only_customers:
        st.caption(t("survey.customers_only"))
    show_table(stats, columns, key="survey.item_stats", download="item_statistics")
    dims = survey.describe_dimensions(frame, model)
    if not dims.empty:
        st.subheader(t("survey.dimensions_title"))
        show_table(
            dims,
            {
                "dimension": t("survey.col_dimension"),
                "role": t("survey.col_role"),
                "n_items": t("survey.col_n_items"),
                "n": t("survey.col_n"),
                "mean": t("survey.col_mean"),
                "sd": t("survey.col_sd"),
            },
            key="survey.dimension_stats",
        )

    scale_of = scales.set_index("item")
    item = st.selectbox(t("survey.item_pick"), items, key="survey.item")
    lo, hi = scale_of.loc[item, ["scale_min", "scale_max"]]
    scale = (float(lo), float(hi)) if pd.notna(lo) else (float(frame[item].min()), float(frame[item].max()))
    if frame[item].notna().sum() == 0:
        st.info(t("survey.no_answers"))
        return
    show_chart(
        figures.histogram_figure(frame[item], item, texts.get(item, ""), scale), key="survey.histogram"
    )
    same_scale = scales[
        scales["item"].isin(items) & (scales["scale_min"] == scale[0]) & (scales["scale_max"] == scale[1])
    ]["item"].tolist()
    if same_scale:
        show_chart(figures.diverging_figure(frame, same_scale, scale), key="survey.diverging")
        st.caption(t("survey.diverging_caption", lo=fmt_num(scale[0]), hi=fmt_num(scale[1])))


def view_gap_by_account(
    customers: pd.DataFrame, model: survey_ingest.ItemDictionary, account: str, churned: pd.Series | None
) -> None:
    """Which accounts feel the largest shortfall, worst first, with names and lost flags."""
    by_account = survey.gap_by_account(customers, model, account)
    if by_account.empty:
        return
    accounts = data.accounts(filtered=False)
    if accounts is not None and "customer_name" in accounts:
        names = accounts.assign(customer_id=accounts["customer_id"].astype("str")).drop_duplicates("customer_id")
        by_account["name"] = by_account["account"].map(names.set_index("customer_id")["customer_name"])
    if churned is not None:
        flag = churned.reindex(customers.index, fill_value=False)
        lost = set(customers.loc[flag, account].astype("string").str.strip().dropna())
        by_account["lost"] = [t("survey.yes") if a in lost else t("survey.no") for a in by_account["account"]]
    dimensions = [c.split("::", 1)[1] for c in by_account.columns if c.startswith("gap::")]
    columns = {
        "account": t("survey.col_account"),
        "name": t("survey.col_account_name"),
        "lost": t("survey.col_lost"),
        "n": t("survey.col_respondents"),
        "mean_gap": t("survey.col_mean_gap"),
        **{f"gap::{d}": t("survey.col_gap_dimension", dimension=d) for d in dimensions},
        "worst_pair": t("survey.col_worst_pair"),
        "worst_gap": t("survey.col_worst_gap"),
    }
    st.subheader(t("survey.by_account_title"))
    st.caption(t("survey.by_account_caption"))
    show_table(by_account, columns, key="survey.gap_by_account", download="customer_gap_by_account",
               account_ids=by_account["account"].astype(str).tolist())


def view_customer_gap(
    customers: pd.DataFrame,
    model: survey_ingest.ItemDictionary,
    churned: pd.Series | None,
    compare: bool,
    account: str | None = None,
) -> None:
    pairs = model.pairs("gap")
    if not pairs:
        st.info(t("survey.no_pairs"), icon=":material/info:")
        return
    gaps = survey.customer_gap(customers, pairs)
    st.subheader(t("survey.customer_gap_title"))
    st.caption(t("survey.customer_gap_caption"))
    small_n_warning(gaps)
    groups = None
    if compare and churned is not None:
        flag = churned.reindex(customers.index, fill_value=False)
        lost_frame = customers[flag]
        if lost_frame.empty:
            st.info(t("survey.no_churned"))
        else:
            lost = survey.customer_gap(lost_frame, pairs)
            rest = survey.customer_gap(customers[~flag], pairs)
            groups = {
                t("survey.legend_churned", n=fmt_num(len(lost_frame))): lost,
                t("survey.legend_rest", n=fmt_num(int((~flag).sum()))): rest,
            }
            small_n_warning(lost)
    show_chart(figures.gap_figure(gaps, "pair", t("survey.gap_chart_title"), groups), key="survey.gap_chart")
    if groups:
        st.subheader(t("survey.churned_title"))
        for (name, frame), key in zip(groups.items(), ("churned", "rest"), strict=True):
            st.caption(name)
            show_table(frame, figures.gap_columns(), key=f"survey.gap_{key}", download=f"customer_gap_{key}")
    if groups:
        st.caption(t("survey.legend_all", n=fmt_num(len(customers))))
    show_table(gaps, figures.gap_columns(), key="survey.gap_table", download="customer_gap")
    show_chart(figures.snake_figure(gaps), key="survey.snake")
    by_dim = survey.customer_gap_by_dimension(customers, model)
    if not by_dim.empty:
        st.subheader(t("survey.gap_by_dimension_title"))
        show_table(
            by_dim,
            figures.gap_columns("dimension"),
            key="survey.gap_dimension",
            download="customer_gap_by_dimension",
        )
        if groups:
            flag = churned.reindex(customers.index, fill_value=False)
            lost = survey.customer_gap_by_dimension(customers[flag], model)
            rest = survey.customer_gap_by_dimension(customers[~flag], model)
            show_chart(
                figures.gap_figure(
                    by_dim,
                    "dimension",
                    t("survey.gap_dimension_chart_title"),
                    dict(zip(groups, (lost, rest), strict=True)),
                ),
                key="survey.gap_dimension_chart",
            )
    if account:
        view_gap_by_account(customers, model, account, churned)


def view_knowledge_gap(
    customers: pd.DataFrame, staff: pd.DataFrame | None, model: survey_ingest.ItemDictionary
) -> None:
    items = model.items_with_role("expectation") or model.items_with_role("importance")
    if staff is None or staff.empty:
        st.info(t("survey.no_staff"), icon=":material/info:")
        return
    items = [i for i in items if staff[i].notna().any()] if items else []
    if not items:
        st.info(t("survey.no_mirror_items"), icon=":material/info:")
        return
    gaps = survey.mirror_gap(customers, staff, items)
    st.subheader(t("survey.knowledge_gap_title"))
    st.caption(t("survey.knowledge_gap_caption"))
    small_n_warning(gaps)
    show_chart(figures.mirror_figure(gaps), key="survey.mirror_chart")
    show_table(
        gaps,
        {
            "item": t("survey.col_item"),
            "n_customers": t("survey.col_n_customers"),
            "n_staff": t("survey.col_n_staff"),
            "mean_customers": t("survey.col_mean_customers"),
            "mean_staff": t("survey.col_mean_staff"),
            "gap": t("survey.col_knowledge_gap"),
            "ci_low": t("survey.col_ci_low"),
            "ci_high": t("survey.col_ci_high"),
            "welch_p": t("survey.col_welch_p"),
            "p_holm": t("survey.col_p_holm"),
            "hedges_g": t("survey.col_hedges_g"),
            "small_n": t("survey.col_small_n"),
        },
        key="survey.mirror_table",
        download="knowledge_gap",
    )
    dim_of = model.dimension_of()
    by_dim = gaps.assign(dimension=gaps["item"].map(dim_of)).dropna(subset=["dimension"])
    if not by_dim.empty:
        summary = by_dim.groupby("dimension", sort=False)["gap"].mean().reset_index()
        show_table(
            summary,
            {"dimension": t("survey.col_dimension"), "gap": t("survey.col_mean_knowledge_gap")},
            key="survey.mirror_dimension",
        )


def view_ipa(
    customers: pd.DataFrame, model: survey_ingest.ItemDictionary, scales: pd.DataFrame, texts: dict[str, str]
) -> None:
    pairs = model.pairs("ipa")
    if not pairs:
        pairs = model.pairs("gap")
        if not pairs:
            st.info(t("survey.no_pairs"), icon=":material/info:")
            return
        st.caption(t("survey.ipa_from_gap"))
    crosshair = widgets.choice(
        "survey.crosshair", ["mean", "midpoint"], key="survey.crosshair", default="mean",
        option_prefix="survey.crosshair",
    )
    first = next(iter(pairs.values()))[0]
    row = scales.set_index("item").loc[first]
    scale = (float(row["scale_min"]), float(row["scale_max"])) if pd.notna(row["scale_min"]) else (1.0, 7.0)
    importance = customers[[p[0] for p in pairs.values()]].set_axis(list(pairs), axis=1)
    performance = customers[[p[1] for p in pairs.values()]].set_axis(list(pairs), axis=1)
    result = survey.ipa(importance, performance, crosshair=crosshair, scale=scale)
    show_chart(
        figures.ipa_figure(result, {p: texts.get(e, p) for p, (e, _) in pairs.items()}),
        key="survey.ipa_chart",
    )
    shown = result.assign(quadrant=result["quadrant"].map(lambda q: t(f"survey.quadrant_{q}") if q else ""))
    show_table(
        shown,
        {
            "item": t("survey.col_pair"),
            "importance": t("survey.col_importance"),
            "performance": t("survey.col_performance"),
            "quadrant": t("survey.col_quadrant"),
        },
        key="survey.ipa_table",
        download="importance_performance",
    )


def view_reliability(customers: pd.DataFrame, model: survey_ingest.ItemDictionary) -> None:
    table = survey.reliability_by_dimension(customers, model)
    st.subheader(t("survey.reliability_title"))
    st.caption(t("survey.reliability_caption"))
    if table.empty:
        items = model.items_with_role("plain") or model.items
        table = pd.DataFrame(
            [
                {
                    "dimension": t("survey.all_items"),
                    "role": "plain",
                    "n_items": len(items),
                    "n": int(customers[items].notna().all(axis=1).sum()),
                    "alpha": survey.cronbach_alpha(customers, items),
                }
            ]
        )
        groups = {0: items}
    else:
        groups = {}
        for i, r in enumerate(table.itertuples()):
            groups[i] = [x.item for x in model.rows if x.dimension == r.dimension and x.role == r.role]
    show_table(
        table,
        {
            "dimension": t("survey.col_dimension"),
            "role": t("survey.col_role"),
            "n_items": t("survey.col_n_items"),
            "n": t("survey.col_n_complete"),
            "alpha": t("survey.col_alpha"),
        },
        key="survey.alpha_table",
        download="reliability",
    )
    choice = st.selectbox(
        t("survey.alpha_group"),
        list(groups),
        format_func=lambda i: f"{table['dimension'].iloc[i]} · {figures.role_label(table['role'].iloc[i])}",
        key="survey.alpha_group",
    )
    dropped = survey.alpha_if_dropped(customers, groups[choice])
    show_table(
        dropped,
        {
            "item": t("survey.col_item"),
            "alpha_if_dropped": t("survey.col_alpha_if_dropped"),
            "item_rest_r": t("survey.col_item_rest_r"),
            "n": t("survey.col_n_complete"),
        },
        key="survey.alpha_dropped",
    )


def view_loyalty(
    customers: pd.DataFrame,
    model: survey_ingest.ItemDictionary,
    scales: pd.DataFrame,
    texts: dict[str, str],
    churned: pd.Series | None,
    compare: bool,
    purchase_months: pd.Series | None,
) -> None:
    numeric = [i for i in model.items if i in customers.columns and customers[i].notna().any()]
    if len(numeric) < 2:
        st.info(t("survey.no_loyalty_items"))
        return
    st.subheader(t("survey.loyalty_title"))
    st.caption(t("survey.loyalty_caption"))
    source = "item"
    if purchase_months is not None and purchase_months.notna().any():
        source = widgets.choice(
            "survey.repeat_source", ["item", "transactions"], key="survey.repeat_source", default="item",
            option_prefix="survey.repeat_source",
        )
    left, middle, right = st.columns(3)
    attitude = left.selectbox(
        t("survey.attitude_item"),
        numeric,
        key="survey.attitude",
        index=figures.pick_default(numeric, ATTITUDE_WORDS, texts),
    )
    scale_of = scales.set_index("item")
    if source == "transactions":
        repeat_values = purchase_months.reindex(customers.index)
        repeat_label = t("survey.repeat_months_label", months=fmt_num(REPEAT_WINDOW_MONTHS))
        lo_r, hi_r = 0.0, float(REPEAT_WINDOW_MONTHS)
        middle.caption(t("survey.repeat_months_help", months=fmt_num(REPEAT_WINDOW_MONTHS)))
    else:
        repeat = middle.selectbox(
            t("survey.repeat_item"),
            numeric,
            key="survey.repeat",
            index=figures.pick_default(numeric, REPEAT_WORDS, texts),
        )
        repeat_values = customers[repeat]
        repeat_label = charts.safe(repeat)
        lo_r, hi_r = scale_of.loc[repeat, ["scale_min", "scale_max"]]
    cut_rule = widgets.choice(
        "survey.cut_rule", ["midpoint", "median"], key="survey.cut_rule", default="midpoint",
        option_prefix="survey.cut", container=right,
    )
    lo_a, hi_a = scale_of.loc[attitude, ["scale_min", "scale_max"]]
    try:
        if cut_rule == "midpoint" and pd.notna(lo_a) and pd.notna(lo_r):
            result = survey.loyalty_types(
                customers[attitude],
                repeat_values,
                cut_attitude=(lo_a + hi_a) / 2,
                cut_repeat=(lo_r + hi_r) / 2,
            )
        else:
            result = survey.loyalty_types(customers[attitude], repeat_values)
    except KamError as exc:
        widgets.error(exc)
        return
    st.caption(
        t("survey.cut_points", attitude=fmt_num(result.cut_attitude, 1), repeat=fmt_num(result.cut_repeat, 1))
    )
    counts = result.counts.assign(label=result.counts["loyalty_type"].map(lambda k: t(f"survey.loyalty_{k}")))
    if compare and churned is not None:
        flag = churned.reindex(result.table.index, fill_value=False)
        counts["n_churned"] = [
            int(((result.table["loyalty_type"] == k) & flag).sum()) for k in counts["loyalty_type"]
        ]
    show_table(
        counts,
        {
            "label": t("survey.col_loyalty_type"),
            "n": t("survey.col_n"),
            "share": t("survey.col_share"),
            "n_churned": t("survey.col_n_churned"),
        },
        key="survey.loyalty_table",
        download="loyalty_types",
    )
    fig = figures.loyalty_figure(result.table, result.cut_attitude, result.cut_repeat, repeat_label, attitude)
    show_chart(fig, key="survey.loyalty_chart")

    scale_of = scales.set_index("item")
    nps_items = [
        i for i in numeric if scale_of.loc[i, "scale_max"] == 10 and scale_of.loc[i, "scale_min"] in (0, 1)
    ]
    if not nps_items:
        return
    st.subheader(t("survey.nps_title"))
    item = st.selectbox(
        t("survey.nps_item"),
        nps_items,
        key="survey.nps_item",
        index=figures.pick_default(nps_items, RECOMMEND_WORDS, texts),
    )
    try:
        groups = {"all": customers[item]}
        if compare and churned is not None:
            flag = churned.reindex(customers.index, fill_value=False)
            groups |= {"churned": customers.loc[flag, item], "rest": customers.loc[~flag, item]}
        results = {k: survey.nps(v) for k, v in groups.items() if v.notna().any()}
    except KamError as exc:
        widgets.error(exc)
        return
    cols = st.columns(len(results))
    for col, (k, res) in zip(cols, results.items(), strict=True):
        col.metric(t(f"survey.nps_{k}", n=fmt_num(res.n)), fmt_num(res.score, 0))
        col.caption(
            t(
                "survey.nps_parts",
                promoters=fmt_pct(res.share_promoters, 0),
                passives=fmt_pct(res.share_passives, 0),
                detractors=fmt_pct(res.share_detractors, 0),
            )
        )


# ------------------------------------------------------------------------------ page

st.title(t("survey.title"))
st.caption(t("survey.intro"))

name = widgets.table_picker(TableKind.survey, key="survey.table", label_key="survey.table_pick")
widgets.require(name, "survey.no_survey")
raw = data.table(name)
widgets.require(raw, "survey.empty_table")

question_texts: dict[str, str] = {}
try:
    if survey_ingest.detect_layout(raw) == "long":
        raw = survey_ingest.to_wide(raw)
        st.caption(t("survey.long_converted"))
    elif survey_ingest.has_two_row_header(raw):
        merged = survey_ingest.merge_two_row_header(raw)
        raw, question_texts = merged.frame, merged.question_texts
        st.caption(t("survey.two_row_merged", n=fmt_num(merged.dropped_rows)))
except KamError as exc:
    widgets.stop_with_error(exc)

attrs = survey_ingest.respondent_attributes(raw)
mapped = state.workspace().table_info(name).mapping
if mapped.get("customer_id") in raw.columns and attrs.account is None:
    attrs = attrs.model_copy(update={"account": mapped.get("customer_id")})
if mapped.get("segment") in raw.columns:
    attrs = attrs.model_copy(update={"segment": mapped.get("segment")})

candidate_items = survey_ingest.survey_items(raw, attrs)
widgets.require(candidate_items, "survey.no_items")
scales = survey_ingest.detect_scales(raw, candidate_items)
label_items = scales.loc[scales["kind"] == "labels", "item"].tolist()
responses = label_section(raw, label_items) if label_items else raw

model = dictionary_section(name, candidate_items, question_texts, list(responses.columns))
texts = {r.item: r.question for r in model.rows}
scales = survey_ingest.detect_scales(responses, model.items)
if model.reversed_items():
    scale_of = scales.set_index("item")
    responses = survey_ingest.reverse_items(
        responses, model.reversed_items(), scale_of["scale_min"].to_dict(), scale_of["scale_max"].to_dict()
    )
    st.caption(t("survey.reversed_note", n=fmt_num(len(model.reversed_items()))))

# ---------------------------------------------------------------- respondent attributes and filters
churned: pd.Series | None = None
if attrs.churned:
    churned = survey_ingest.churned_flag(responses[attrs.churned])
elif attrs.account:
    accounts = data.accounts(filtered=False)
    if accounts is not None and "status" in accounts:
        lost_ids = set(
            accounts.loc[accounts["status"].astype("string") == "churned", "customer_id"].astype(str)
        )
        if lost_ids:
            churned = responses[attrs.account].astype("string").isin(lost_ids).fillna(False).astype(bool)

purchase_months: pd.Series | None = None
if attrs.account:
    transactions = data.transactions(filtered=False)
    if transactions is not None and "date" in transactions:
        months = survey.repeat_purchase_months(transactions, REPEAT_WINDOW_MONTHS)
        by_account = months.set_index("customer_id")["purchase_months"]
        purchase_months = responses[attrs.account].astype("string").map(by_account).astype(float)

segment: pd.Series | None = None
if attrs.segment:
    segment = responses[attrs.segment].astype("string")
else:
    assignment = state.workspace().load_object("segment_assignment", name)
    if assignment and assignment.get("key") == "respondent" and assignment.get("labels"):
        keys = (
            responses[attrs.respondent].astype("string")
            if attrs.respondent
            else pd.Series(responses.index.astype(str), index=responses.index)
        )
        segment = keys.map(assignment["labels"]).astype("string")

filters = st.columns(3)
keep = pd.Series(True, index=responses.index)
if attrs.account:
    account_ids = responses[attrs.account].astype("string")
    options = sorted(account_ids.dropna().loc[lambda s: s != ""].unique().tolist())
    chosen = filters[0].multiselect(
        t("survey.filter_accounts"), options, key="survey.accounts", placeholder=t("survey.all")
    )
    if chosen:
        keep &= account_ids.isin(chosen).fillna(False).astype(bool)
if segment is not None and segment.notna().any():
    options = sorted(segment.dropna().unique().tolist())
    chosen = filters[1].multiselect(
        t("survey.filter_segments"), options, key="survey.segments", placeholder=t("survey.all")
    )
    if chosen:
        keep &= segment.isin(chosen).fillna(False).astype(bool)
# Listwise is the textbook default (case B dropped 2 of 146); when it would throw away more than
# a tenth of the answers (scattered blanks over many items), pairwise is the better start.
listwise_preview = survey_ingest.exclude_incomplete(responses[keep], model.items, "listwise", group=attrs.group)
default_method = "pairwise" if listwise_preview.n_dropped > 0.10 * max(listwise_preview.n_before, 1) else "listwise"
method = widgets.choice(
    "survey.exclusion", ["listwise", "pairwise"], key=f"survey.exclusion.{name}", default=default_method,
    option_prefix="survey.exclusion", help_key="survey.exclusion_help", container=filters[2],
)

report = survey_ingest.exclude_incomplete(responses[keep], model.items, method, group=attrs.group)
st.caption(
    t(
        "survey.exclusion_report",
        before=fmt_num(report.n_before),
        after=fmt_num(report.n_after),
        dropped=fmt_num(report.n_dropped),
        method=t(f"survey.exclusion_{method}"),
    )
)
frame = report.frame
widgets.require(frame, "survey.nobody_left")

if attrs.group:
    group = survey_ingest.group_labels(frame[attrs.group])
    is_staff = (group == "supplier").fillna(False).astype(bool)
    customers, staff = frame[~is_staff], frame[is_staff]
else:
    customers, staff = frame, None

compare = False
if churned is not None and churned.reindex(customers.index, fill_value=False).any():
    compare = st.toggle(
        t("survey.compare_churned"), key="survey.compare_churned", help=t("survey.compare_help")
    )

view = widgets.choice(
    "survey.view", list(VIEWS), key="survey.view", default="descriptives",
    option_prefix="survey.view",
)

try:
    if view == "descriptives":
        view_descriptives(customers, model, scales, texts, churned, compare, only_customers=staff is not None)
    elif view == "customer_gap":
        view_customer_gap(customers, model, churned, compare, attrs.account)
    elif view == "knowledge_gap":
        view_knowledge_gap(customers, staff, model)
    elif view == "ipa":
        view_ipa(customers, model, scales, texts)
    elif view == "reliability":
        view_reliability(customers, model)
    elif view == "loyalty":
        view_loyalty(customers, model, scales, texts, churned, compare, purchase_months)
except KamError as exc:
    widgets.error(exc)

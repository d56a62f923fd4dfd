"""The survey page's views: each takes one :class:`SurveyView` (a prepared, filtered survey) and draws."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cached_property

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from kamcore import survey
from kamcore.errors import KamError
from kamcore.schemas import TableKind
from kamcore.survey_model import ItemDictionary
from kamcore.survey_prepare import PreparedSurvey, prepare_survey
from ui import account_link, charts, data, i18n, state, widgets
from ui.account_names import names_of
from ui.figures import survey as figures
from ui.i18n import fmt_num, fmt_pct, t

VIEWS = ("descriptives", "customer_gap", "knowledge_gap", "ipa", "reliability", "loyalty")
ATTITUDE_WORDS = ("tilfreds", "fornøyd", "nöjd", "satisf", "verdsatt", "värderad", "valued", "lojal", "loyal")
REPEAT_WORDS = (
    "gjenkjøp",
    "återköp",
    "repeat",
    "kjøpe igjen",
    "köpa igen",
    "velge igjen",
    "choose again",
    "again",
)
RECOMMEND_WORDS = ("anbefal", "rekommend", "recommend", "nps")
REPEAT_WINDOW_MONTHS = 12
P_COLUMNS = frozenset({"t_p", "wilcoxon_p", "p_holm", "welch_p"})
MAX_DIVERGING_POINTS = 11


@dataclass
class SurveyView:
    """What every view needs: one prepared survey, cut to the customer respondents the filters and the
    missing-answer rule leave, with the staff's answers (mirror survey) and the churn/account attributes."""

    survey: PreparedSurvey  # customer respondents after the filters and the missing-answer rule
    method: str  # "listwise" (on the items a view uses), "any", "pairwise"
    staff: pd.DataFrame | None = None  # keyed answers of supplier staff (mirror survey)
    churned: pd.Series | None = None
    compare: bool = False
    account: pd.Series | None = None
    purchase_months: pd.Series | None = None

    @property
    def customers(self) -> pd.DataFrame:
        """Answers as given."""
        return self.survey.responses

    @cached_property
    def keyed(self) -> pd.DataFrame:
        """The same answers with the dictionary's reverse-keyed items turned round."""
        return self.survey.keyed()

    @property
    def dictionary(self) -> ItemDictionary:
        return self.survey.dictionary

    @cached_property
    def texts(self) -> dict[str, str]:
        """Item -> question text."""
        return {r.item: r.question for r in self.survey.dictionary.rows}

    def used(self, frame: pd.DataFrame, items: list[str]) -> pd.DataFrame:
        """``frame`` with the listwise rule applied to ``items`` (when chosen), and the count shown."""
        if self.method != "listwise" or not items:
            return frame
        kept = frame.dropna(subset=items)
        st.caption(
            t(
                "survey.listwise_used",
                kept=fmt_num(len(kept)),
                total=fmt_num(len(frame)),
                dropped=fmt_num(len(frame) - len(kept)),
            )
        )
        return kept

    def churn_flag(self, frame: pd.DataFrame) -> pd.Series:
        assert self.churned is not None
        return self.churned.reindex(frame.index, fill_value=False).astype(bool)


# ------------------------------------------------------------------------------ preparation


@st.cache_data(max_entries=8, show_spinner=False)
def _prepare(_raw: pd.DataFrame, content_hash: str, options_json: str, _accounts, _transactions, context_key: str):
    options = json.loads(options_json)
    dictionary = pd.DataFrame(options["dictionary"]) if options["dictionary"] else None
    return prepare_survey(
        _raw, dictionary, accounts=_accounts, transactions=_transactions, segments=options["segments"],
        question_texts=options["texts"], label_mapping=options["labels"], shifts=options["shifts"],
        mapping=options["mapping"],
    )


def prepared_table(name: str, raw: pd.DataFrame | None = None) -> tuple[PreparedSurvey | None, KamError | None]:
    """The stored survey ``name`` prepared with everything the user saved for it (item dictionary,
    label corrections, accepted shifts, respondent segments, question texts, role mapping).

    The one preparation the survey page, the account page and the health score share, so they never
    disagree on a survey's items, scales or reverse keys. Returns ``(prepared, problem)``: when the
    saved dictionary no longer fits the data the proposed one is returned with the problem; when the
    table cannot be prepared at all ``prepared`` is None.
    """
    raw = data.table(name) if raw is None else raw
    if raw is None or raw.empty:
        return None, None
    ws = state.workspace()
    info = ws.table_info(name)
    saved = (ws.load_object("item_dictionary", name) or {}).get("rows")
    options = {
        "dictionary": saved,
        "segments": ws.load_object("segment_assignment", name),
        "labels": (ws.load_object("survey_labels", name) or {}).get("labels", {}),
        "shifts": (ws.load_object("survey_shifts", name) or {}).get("shifts", {}),
        "texts": ((info.quality or {}).get("question_texts") or {}),
        "mapping": dict(info.mapping.roles),
    }
    transactions = data.transactions(filtered=False)
    # prepare_survey reads the accounts only for their status (lost accounts flag churned
    # respondents): without an accounts table and a status on the transactions there is none,
    # and rolling up every account of a million transactions would find none
    with_status = data.active_table(TableKind.accounts) is not None or (
        transactions is not None and "status" in transactions)
    accounts = data.accounts(filtered=False) if with_status else None
    context = f"{state.workspace_name()}:{len(accounts) if accounts is not None else 0}:" \
              f"{len(transactions) if transactions is not None else 0}"
    try:
        with st.spinner(t("working.survey_preparing")):
            return _prepare(raw, info.content_hash, json.dumps(options, sort_keys=True, default=str),
                            accounts, transactions, context), None
    except KamError as exc:
        if not saved:
            return None, exc
        options["dictionary"] = None
        try:
            return _prepare(raw, info.content_hash, json.dumps(options, sort_keys=True, default=str),
                            accounts, transactions, context), exc
        except KamError:
            return None, exc


# ------------------------------------------------------------------------------ helpers


def show_table(frame: pd.DataFrame, columns: dict[str, str], key: str, download: str | None = None,
               account_ids: list[str] | None = None) -> None:
    """A results table with translated headers, numbers in the user's language (and CSV/XLSX downloads)."""
    shown = figures.results_table(frame, columns)
    decimals: dict[str, int] = {}
    config = {}
    for name, header in columns.items():
        if name not in frame.columns or not pd.api.types.is_float_dtype(frame[name]):
            continue
        if name == "share":
            config[header] = st.column_config.NumberColumn(header, format="percent")
        else:
            decimals[header] = 4 if name in P_COLUMNS else 2
    if account_ids is not None:  # a row opens the account's page
        account_link.account_table(shown, account_ids, key=key, decimals=decimals, column_config=config,
                                   hide_index=True, width="stretch")
    else:
        i18n.dataframe(shown, decimals=decimals, column_config=config, hide_index=True, width="stretch", key=key)
    if download:
        widgets.download_buttons(shown, download, key=f"{key}.download")


def show_chart(fig: go.Figure, key: str) -> None:
    """charts.show with room above the plot, so the horizontal legend sits under the title, not on it."""
    fig.update_layout(margin={"t": 110})
    charts.show(fig, key=key)


def small_n_warning(frame: pd.DataFrame) -> None:
    if "small_n" in frame and frame["small_n"].any():
        st.warning(t("survey.small_n_warning", limit=fmt_num(survey.SMALL_N)), icon=":material/warning:")


def _scale(d: ItemDictionary, item: str, values: pd.Series) -> tuple[float, float]:
    scale = d.scale_of(item)
    if scale is not None:
        return scale
    v = values.dropna()
    return (float(v.min()), float(v.max())) if len(v) else (0.0, 1.0)


def _pick(options: list[str], words: tuple[str, ...], texts: dict[str, str], avoid: str | None = None) -> int:
    """Index of the first option matching ``words`` that is not ``avoid`` (else the first that is not)."""
    ranked = [i for i, o in enumerate(options) if o != avoid]
    for i in ranked:
        haystack = f"{options[i]} {texts.get(options[i], '')}".casefold()
        if any(w in haystack for w in words):
            return i
    return ranked[0] if ranked else 0


# ------------------------------------------------------------------------------ views


def descriptives(v: SurveyView) -> None:
    d = v.dictionary
    items = [i for i in d.items if i in v.customers.columns]
    frame = v.used(v.customers, items)
    stats = survey.describe_items(frame, items)
    # The question text only where the export had one (not the item's own name again).
    stats.insert(1, "question", [q if (q := v.texts.get(i, "")) != i else "" for i in items])
    columns = {
        "item": t("survey.col_item"),
        "question": t("survey.col_question"),
        "n": t("survey.col_n"),
        "mean": t("survey.col_mean"),
        "sd": t("survey.col_sd"),
        "median": t("survey.col_median"),
        "min": t("survey.col_min"),
        "max": t("survey.col_max"),
    }
    if v.compare and v.churned is not None:
        flag = v.churn_flag(frame)
        lost, rest = survey.describe_items(frame[flag], items), survey.describe_items(frame[~flag], items)
        stats = stats.assign(
            mean_churned=lost["mean"].to_numpy(),
            n_churned=lost["n"].to_numpy(),
            mean_rest=rest["mean"].to_numpy(),
            n_rest=rest["n"].to_numpy(),
        )
        stats["difference"] = stats["mean_churned"] - stats["mean_rest"]
        columns |= {
            k: t(f"survey.col_{k}")
            for k in ("n_churned", "mean_churned", "n_rest", "mean_rest", "difference")
        }
    st.subheader(t("survey.descriptives_title"))
    if v.staff is not None:
        st.caption(t("survey.customers_only"))
    show_table(stats, columns, key="survey.item_stats", download="item_statistics")
    dims = survey.describe_dimensions(v.keyed.loc[frame.index], d)
    if not dims.empty:
        st.subheader(t("survey.dimensions_title"))
        if d.reversed_items():
            st.caption(t("survey.reversed_note", n=fmt_num(len(d.reversed_items()))))
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
    item = st.selectbox(t("survey.item_pick"), items, key="survey.item")
    if frame[item].notna().sum() == 0:
        st.info(t("survey.no_answers"))
        return
    scale = _scale(d, item, frame[item])
    show_chart(
        figures.histogram_figure(survey.answer_counts(frame[item], scale), item, v.texts.get(item, ""), scale),
        key="survey.histogram",
    )
    same = [i for i in items if d.scale_of(i) == scale]
    if same and scale[1] - scale[0] + 1 <= MAX_DIVERGING_POINTS:
        dist = survey.distribution(frame, same, scale)
        show_chart(figures.diverging_figure(dist, same, scale), key="survey.diverging")
        st.caption(t("survey.diverging_caption", lo=fmt_num(scale[0]), hi=fmt_num(scale[1])))


def _gap_by_account(v: SurveyView, customers: pd.DataFrame) -> None:
    """Which accounts feel the largest shortfall, worst first, with names and lost flags."""
    assert v.account is not None
    frame = customers.assign(__account=v.account.reindex(customers.index))
    by_account = survey.gap_by_account(frame, v.dictionary, "__account")
    if by_account.empty:
        return
    names = names_of(by_account["account"])  # only these accounts' names (no roll-up of every account)
    if names is not None:
        by_account["name"] = by_account["account"].map(names)
    if v.churned is not None:
        lost = set(frame.loc[v.churn_flag(frame), "__account"].astype("string").str.strip().dropna())
        by_account["lost"] = [t("survey.yes") if a in lost else t("survey.no") for a in by_account["account"]]
    dimensions = [c.split("::", 1)[1] for c in by_account.columns if c.startswith("gap::")]
    columns = {
        "account": t("survey.col_account"),
        "name": t("survey.col_account_name"),
        "lost": t("survey.col_lost"),
        "n": t("survey.col_respondents"),
        "mean_gap": t("survey.col_mean_gap"),
        **{f"gap::{x}": t("survey.col_gap_dimension", dimension=i18n.dimension_label(x)) for x in dimensions},
        "worst_pair": t("survey.col_worst_pair"),
        "worst_gap": t("survey.col_worst_gap"),
    }
    st.subheader(t("survey.by_account_title"))
    st.caption(t("survey.by_account_caption"))
    show_table(by_account, columns, key="survey.gap_by_account", download="customer_gap_by_account",
               account_ids=by_account["account"].astype(str).tolist())


def customer_gap(v: SurveyView) -> None:
    d = v.dictionary
    pairs = d.pairs("gap")
    if not pairs:
        st.info(t("survey.no_pairs"), icon=":material/info:")
        return
    customers = v.used(v.keyed, sorted({c for p in pairs.values() for c in p}))
    gaps = survey.customer_gap(customers, pairs)
    st.subheader(t("survey.customer_gap_title"))
    st.caption(t("survey.customer_gap_caption"))
    small_n_warning(gaps)
    groups = None
    if v.compare and v.churned is not None:
        flag = v.churn_flag(customers)
        if not flag.any():
            st.info(t("survey.no_churned"))
        else:
            lost, rest = (
                survey.customer_gap(customers[flag], pairs),
                survey.customer_gap(customers[~flag], pairs),
            )
            groups = {
                t("survey.legend_churned", n=fmt_num(int(flag.sum()))): lost,
                t("survey.legend_rest", n=fmt_num(int((~flag).sum()))): rest,
            }
            small_n_warning(lost)
    show_chart(figures.gap_figure(gaps, "pair", t("survey.gap_chart_title"), groups), key="survey.gap_chart")
    if groups:
        st.subheader(t("survey.churned_title"))
        for (name, frame), key in zip(groups.items(), ("churned", "rest"), strict=True):
            st.caption(name)
            show_table(frame, figures.gap_columns(), key=f"survey.gap_{key}", download=f"customer_gap_{key}")
        st.caption(t("survey.legend_all", n=fmt_num(len(customers))))
    show_table(gaps, figures.gap_columns(), key="survey.gap_table", download="customer_gap")
    show_chart(figures.snake_figure(gaps), key="survey.snake")
    by_dim = survey.customer_gap_by_dimension(customers, d)
    if not by_dim.empty:
        st.subheader(t("survey.gap_by_dimension_title"))
        show_table(
            by_dim,
            figures.gap_columns("dimension"),
            key="survey.gap_dimension",
            download="customer_gap_by_dimension",
        )
        if groups:
            flag = v.churn_flag(customers)
            lost = survey.customer_gap_by_dimension(customers[flag], d)
            rest = survey.customer_gap_by_dimension(customers[~flag], d)
            show_chart(
                figures.gap_figure(
                    by_dim,
                    "dimension",
                    t("survey.gap_dimension_chart_title"),
                    dict(zip(groups, (lost, rest), strict=True)),
                ),
                key="survey.gap_dimension_chart",
            )
    if v.account is not None:
        _gap_by_account(v, customers)


def knowledge_gap(v: SurveyView) -> None:
    d = v.dictionary
    items = d.items_with_role("expectation") or d.items_with_role("importance")
    if v.staff is None or v.staff.empty:
        st.info(t("survey.no_staff"), icon=":material/info:")
        return
    items = [i for i in items if v.staff[i].notna().any()] if items else []
    if not items:
        st.info(t("survey.no_mirror_items"), icon=":material/info:")
        return
    gaps = survey.mirror_gap(v.keyed, v.staff, items)
    st.subheader(t("survey.knowledge_gap_title"))
    st.caption(t("survey.knowledge_gap_caption"))
    small_n_warning(gaps)
    show_chart(figures.mirror_figure(gaps), key="survey.mirror_chart")
    columns = {n: t("survey.col_knowledge_gap" if n == "gap" else f"survey.col_{n}") for n in survey.MIRROR_COLUMNS}
    show_table(gaps, columns, key="survey.mirror_table", download="knowledge_gap")
    by_dim = gaps.assign(dimension=gaps["item"].map(d.dimension_of())).dropna(subset=["dimension"])
    if not by_dim.empty:
        summary = by_dim.groupby("dimension", sort=False)["gap"].mean().reset_index()
        show_table(
            summary,
            {"dimension": t("survey.col_dimension"), "gap": t("survey.col_mean_knowledge_gap")},
            key="survey.mirror_dimension",
        )


def ipa(v: SurveyView) -> None:
    d = v.dictionary
    pairs = d.pairs("ipa")
    if not pairs:
        pairs = d.pairs("gap")
        if not pairs:
            st.info(t("survey.no_pairs"), icon=":material/info:")
            return
        st.caption(t("survey.ipa_from_gap"))
    crosshair = widgets.choice(
        "survey.crosshair",
        ["mean", "midpoint"],
        key="survey.crosshair",
        default="mean",
        option_prefix="survey.crosshair",
    )
    first = next(iter(pairs.values()))[0]
    frame = v.used(v.keyed, sorted({c for p in pairs.values() for c in p}))
    scale = _scale(d, first, frame[first])
    importance = frame[[p[0] for p in pairs.values()]].set_axis(list(pairs), axis=1)
    performance = frame[[p[1] for p in pairs.values()]].set_axis(list(pairs), axis=1)
    result = survey.ipa(importance, performance, crosshair=crosshair, scale=scale)
    show_chart(
        figures.ipa_figure(result, {p: v.texts.get(e, p) for p, (e, _) in pairs.items()}),
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


def reliability(v: SurveyView) -> None:
    d = v.dictionary
    table = survey.reliability_by_dimension(v.keyed, d)
    st.subheader(t("survey.reliability_title"))
    st.caption(t("survey.reliability_caption"))
    if d.reversed_items():
        st.caption(t("survey.reversed_note", n=fmt_num(len(d.reversed_items()))))
    groups: dict[int, list[str]] = {}
    if table.empty:
        items = d.items_with_role("plain") or d.items
        res = survey.cronbach_alpha_ci(v.keyed, items)
        table = pd.DataFrame(
            [
                {
                    "dimension": t("survey.all_items"),
                    "role": "plain",
                    "n_items": len(items),
                    "n": res.n,
                    "alpha": res.alpha,
                    "ci_low": res.ci_low,
                    "ci_high": res.ci_high,
                }
            ]
        )
        groups = {0: items}
    else:
        for i, r in enumerate(table.itertuples()):
            groups[i] = [x.item for x in d.rows if x.dimension == r.dimension and x.role == r.role]
    show_table(
        table,
        {
            "dimension": t("survey.col_dimension"),
            "role": t("survey.col_role"),
            "n_items": t("survey.col_n_items"),
            "n": t("survey.col_n_complete"),
            "alpha": t("survey.col_alpha"),
            "ci_low": t("survey.col_alpha_ci_low"),
            "ci_high": t("survey.col_alpha_ci_high"),
        },
        key="survey.alpha_table",
        download="reliability",
    )
    labels = {
        i: f"{table['dimension'].iloc[i]} · {figures.role_label(table['role'].iloc[i])}" for i in groups
    }
    choice = st.selectbox(
        t("survey.alpha_group"), list(groups), format_func=labels.__getitem__, key="survey.alpha_group"
    )
    dropped = survey.alpha_if_dropped(v.keyed, groups[choice])
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


def loyalty(v: SurveyView) -> None:
    d = v.dictionary
    frame = v.keyed
    # An expectation (or importance) is what someone wants, not how they feel about the supplier.
    attitudes = [
        i
        for i in d.items_with_role("plain", "perception", "performance")
        if i in frame.columns and frame[i].notna().any()
    ]
    repeats_all = [i for i in d.items if i in frame.columns and frame[i].notna().any()]
    has_months = v.purchase_months is not None and v.purchase_months.notna().any()
    if not attitudes or (len(repeats_all) < 2 and not has_months):
        st.info(t("survey.no_loyalty_items"))
        return
    st.subheader(t("survey.loyalty_title"))
    st.caption(t("survey.loyalty_caption"))
    source = "item"
    if has_months:
        source = widgets.choice(
            "survey.repeat_source",
            ["item", "transactions"],
            key="survey.repeat_source",
            default="item",
            option_prefix="survey.repeat_source",
        )
    left, middle, right = st.columns(3)
    attitude = left.selectbox(
        t("survey.attitude_item"),
        attitudes,
        key="survey.attitude",
        index=_pick(attitudes, ATTITUDE_WORDS, v.texts),
    )
    if source == "transactions":
        assert v.purchase_months is not None
        repeat_values = v.purchase_months.reindex(frame.index)
        repeat_label = t("survey.repeat_months_label", months=fmt_num(REPEAT_WINDOW_MONTHS))
        lo_r, hi_r = 0.0, float(REPEAT_WINDOW_MONTHS)
        middle.caption(t("survey.repeat_months_help", months=fmt_num(REPEAT_WINDOW_MONTHS)))
    else:
        repeats = [
            i for i in repeats_all if i != attitude and d.row(i).role not in ("expectation", "importance")
        ]
        if not repeats:
            st.info(t("survey.no_loyalty_items"))
            return
        repeat = middle.selectbox(
            t("survey.repeat_item"),
            repeats,
            key="survey.repeat",
            index=_pick(repeats, REPEAT_WORDS, v.texts, avoid=attitude),
        )
        repeat_values = frame[repeat]
        repeat_label = charts.safe(repeat)
        lo_r, hi_r = _scale(d, repeat, frame[repeat])
    cut_rule = widgets.choice(
        "survey.cut_rule",
        ["midpoint", "median"],
        key="survey.cut_rule",
        default="midpoint",
        option_prefix="survey.cut",
        container=right,
    )
    lo_a, hi_a = _scale(d, attitude, frame[attitude])
    try:
        if cut_rule == "midpoint":
            result = survey.loyalty_types(
                frame[attitude], repeat_values, cut_attitude=(lo_a + hi_a) / 2, cut_repeat=(lo_r + hi_r) / 2
            )
        else:
            result = survey.loyalty_types(frame[attitude], repeat_values)
    except KamError as exc:
        widgets.error(exc)
        return
    st.caption(
        t("survey.cut_points", attitude=fmt_num(result.cut_attitude, 1), repeat=fmt_num(result.cut_repeat, 1))
    )
    counts = result.counts.assign(label=result.counts["loyalty_type"].map(lambda k: t(f"survey.loyalty_{k}")))
    if v.compare and v.churned is not None:
        flag = v.churned.reindex(result.table.index, fill_value=False)
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
    show_chart(
        figures.loyalty_figure(result.table, result.cut_attitude, result.cut_repeat, repeat_label, attitude),
        key="survey.loyalty_chart",
    )
    nps_section(v)


def nps_section(v: SurveyView) -> None:
    d = v.dictionary
    nps_items = [
        i
        for i in d.items
        if (sc := d.scale_of(i)) is not None and sc[1] == 10 and sc[0] in (0, 1) and i in v.customers.columns
    ]
    if not nps_items:
        return
    st.subheader(t("survey.nps_title"))
    item = st.selectbox(
        t("survey.nps_item"),
        nps_items,
        key="survey.nps_item",
        index=_pick(nps_items, RECOMMEND_WORDS, v.texts),
    )
    answers = v.customers[item]
    try:
        groups = {"all": answers}
        if v.compare and v.churned is not None:
            flag = v.churn_flag(v.customers)
            groups |= {"churned": answers[flag], "rest": answers[~flag]}
        results = {k: survey.nps(x) for k, x in groups.items() if x.notna().any()}
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


RENDER = {
    "descriptives": descriptives,
    "customer_gap": customer_gap,
    "knowledge_gap": knowledge_gap,
    "ipa": ipa,
    "reliability": reliability,
    "loyalty": loyalty,
}

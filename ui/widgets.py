"""Widgets every page shares: sidebar filters, workspace/table pickers, downloads, guards."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any, NoReturn

import pandas as pd
import streamlit as st

from kamcore import access, db, export, tables
from kamcore.errors import KamError
from kamcore.schemas import FILTER_ROLES, FilterSettings, TableKind
from ui import anonymity, data, state
from ui.i18n import error_message, fmt_date, labeller, lang, t

log = logging.getLogger(__name__)


def require(value: Any, message_key: str, **params: Any) -> None:
    """Stop the page with an info message when ``value`` is None or empty."""
    empty = value is None or (isinstance(value, pd.DataFrame | pd.Series | list | dict | tuple) and len(value) == 0)
    if empty:
        st.info(t(message_key, **params))
        st.stop()


def error(exc: Exception) -> None:
    """Show ``exc`` as one sentence in the user's language (never a traceback)."""
    if not isinstance(exc, KamError):
        log.exception("unexpected error", exc_info=exc)
    st.error(error_message(exc))


def stop_with_error(exc: Exception) -> NoReturn:
    """Show ``exc`` and stop the page."""
    error(exc)
    st.stop()


def workspace_picker() -> None:
    """Sidebar selector of the workspace this session works in."""
    root = state.settings().workspaces_root
    infos = db.list_workspaces(root)
    rules = access.read_rules(root, [info.name for info in infos]) if state.settings().login_required else {}
    names = [info.name for info in access.visible_workspaces(state.principal(), infos, rules)]
    current = state.workspace_name()
    if current not in names:
        names.append(current)

    def _switch() -> None:
        try:
            state.switch_workspace(st.session_state["app.workspace"])
        except KamError as exc:  # e.g. its owner stopped sharing it a moment ago
            st.session_state["app.workspace_error"] = exc

    refused = st.session_state.pop("app.workspace_error", None)
    if refused is not None:
        st.sidebar.error(error_message(refused))
    st.session_state["app.workspace"] = current
    st.sidebar.selectbox(t("app.workspace"), names, key="app.workspace", on_change=_switch)


def create_workspace_form(prefix: str, then_page: str | None = None) -> None:
    """The first step for a new client: name a workspace, create it and open it.

    Widget keys are ``<prefix>.new_workspace`` and ``<prefix>.create``; with ``then_page`` the
    person is taken there (e.g. the Data page, to upload) once the workspace exists.
    """
    from ui import auth  # here: ui.auth imports ui.state, which pages import before widgets

    with st.form(f"{prefix}.create_form", clear_on_submit=True, border=False):
        name_col, button_col = st.columns([3, 1], vertical_alignment="bottom")
        new_name = name_col.text_input(t("data.new_workspace"), key=f"{prefix}.new_workspace",
                                       placeholder=t("start.name_placeholder"))
        created = button_col.form_submit_button(t("data.create"), key=f"{prefix}.create", type="primary",
                                                icon=":material/create_new_folder:", width="stretch")
    if not created:
        return
    try:
        state.switch_workspace(auth.create_workspace(new_name))
    except Exception as exc:  # noqa: BLE001
        error(exc)
        return
    if then_page:
        st.switch_page(then_page)
    st.rerun()


def table_picker(kind: TableKind | str, key: str, label_key: str = "app.table") -> str | None:
    """Selector of the tables of ``kind``; remembers the choice for every page. None if none exist."""
    names = data.table_names(kind)
    if not names:
        return None
    active = data.active_table(kind)
    choice = st.selectbox(t(label_key), names, index=names.index(active) if active in names else 0, key=key)
    data.set_active_table(kind, choice)
    return choice


def _period_options(first: dt.date, last: dt.date, start_month: int) -> list[str]:
    years = [str(year) for year in tables.fiscal_years(first, last, start_month)]
    return ["all", "last12", *years, "custom"]


def sidebar_filters() -> FilterSettings:
    """The shared filters in the sidebar (period, region, industry, segment, owner, cluster)."""
    # Date range and each role's values, computed once per table version (ui.data caches them).
    choices = data.filter_choices()
    if choices is None:
        settings = FilterSettings()
        st.session_state["filters"] = settings
        return settings
    st.sidebar.subheader(t("app.filters"))
    values: dict[str, Any] = {}
    if "date" in choices:
        first, last = choices["date"]
        start_month = state.settings().fiscal_year_start_month
        options = _period_options(first, last, start_month)

        def _label(option: str) -> str:
            if option in ("all", "last12", "custom"):
                return t(f"app.period_{option}")
            if start_month == 1:
                return t("app.period_year", year=option)
            return t("app.period_fiscal_year", year=option, next=str(int(option) + 1)[-2:])

        # Labels fixed now (see i18n.labeller): Streamlit may format options outside this run.
        period_labels = {option: _label(option) for option in options}
        period = st.sidebar.selectbox(t("app.period"), options, format_func=period_labels.__getitem__,
                                      key="filters.period")
        if period == "last12":
            values["date_from"] = (pd.Timestamp(last) - pd.DateOffset(months=12) + pd.Timedelta(days=1)).date()
            values["date_to"] = last
        elif period == "custom":
            chosen = st.sidebar.date_input(
                t("app.date_range"), value=(first, last), min_value=first, max_value=last,
                key="filters.date_range", format="DD.MM.YYYY",
            )
            if isinstance(chosen, tuple | list) and len(chosen) == 2:
                values["date_from"], values["date_to"] = chosen
        elif period != "all":
            values["date_from"], values["date_to"] = tables.fiscal_year_bounds(int(period), start_month)
        if "date_from" in values:
            st.sidebar.caption(t("app.period_shown", start=fmt_date(values["date_from"]),
                                 end=fmt_date(values["date_to"])))
    for role in (*FILTER_ROLES, "cluster"):
        if role not in choices:
            continue
        options = choices[role]
        if len(options) < 2:
            continue
        format_func = str
        if role == "owner" and anonymity.on():
            # pseudonyms, listed in their own order: the list's order reveals nothing either
            shown = {option: anonymity.person(option) for option in options}
            options = sorted(options, key=shown.__getitem__)
            format_func = shown.__getitem__
        chosen = st.sidebar.multiselect(t(f"app.role_{role}"), options, key=f"filters.{role}",
                                        placeholder=t("app.all"), format_func=format_func)
        values[role] = tuple(chosen)
    settings = FilterSettings(**values)
    st.session_state["filters"] = settings
    return settings


def download_buttons(df: pd.DataFrame, basename: str, key: str) -> None:
    """CSV and Excel downloads of ``df``; text cells that look like formulas are neutralised."""
    left, right = st.columns(2)
    # In anonymised mode the file gets the pseudonyms the page shows (read now, as the language).
    pseudo = anonymity.pseudonymiser()
    if pseudo is not None:
        df = pseudo.frame(df)
    # ';' and a decimal comma for nb/sv Excel (read now: the callable runs outside the script).
    separator, decimal = export.csv_format(lang())
    left.download_button(
        t("app.download_csv"),
        # Callables: the bytes are only built when the user clicks, not on every rerun.
        data=lambda: export.to_csv_bytes(df, sep=separator, decimal=decimal),
        file_name=f"{basename}.csv",
        mime="text/csv",
        key=f"{key}.csv",
        icon=":material/download:",
        # No rerun on click: a rerun registers a new file for the button and drops the one the
        # click asked for, so the browser's request could find nothing and the download hung.
        on_click="ignore",
    )
    right.download_button(
        t("app.download_xlsx"),
        data=lambda: export.to_xlsx_bytes(df),
        file_name=f"{basename}.xlsx",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        key=f"{key}.xlsx",
        icon=":material/download:",
        on_click="ignore",
    )


def choice(label_key: str, options: list[str] | tuple[str, ...], *, key: str, default: str, option_prefix: str,
           help_key: str | None = None, container: Any = None) -> str:
    """A required one-of-several segmented control whose labels come from the catalogue.

    Option ``v`` is shown as ``t(f"{option_prefix}_{v}")``; the value returned is the option
    itself (never None: ``default`` until the person picks another).
    """
    target = container if container is not None else st
    picked = target.segmented_control(
        t(label_key),
        options,
        format_func=labeller(f"{option_prefix}_"),
        default=default,
        key=key,
        required=True,
        help=t(help_key) if help_key else None,
        # In the URL (?<key>=<option>): a reload or a shared link opens the same view.
        bind="query-params",
        # Options wrap onto a second row when the column is narrow; without it, a row in a
        # column scrolls sideways and hides options ("Ta bort respondenten" in Swedish).
        wrap=True,
    )
    return picked or default


def status_filter(key: str, container: Any = None) -> frozenset[str] | None:
    """Which account statuses a page shows (default: active only), from the customers table.

    Returns the chosen statuses, or None when no customers table gives a ``status`` (then the
    page shows every account). Pages keep accounts with
    ``tables.accounts_with_status(ids, data.account_status(), chosen)``.
    """
    status = data.account_status()
    if status is None or status.empty:
        return None
    # every account the customers table does not describe counts as "unknown": always offered
    options = sorted(set(status.unique()) | {tables.UNKNOWN_STATUS},
                     key=lambda s: (STATUS_ORDER.index(s) if s in STATUS_ORDER else len(STATUS_ORDER), s))
    labels = {s: t(f"status.{s}") if s in STATUS_ORDER else s for s in options}
    default = [s for s in ("active", tables.UNKNOWN_STATUS) if s in options] or options
    target = container if container is not None else st
    chosen = target.multiselect(
        t("status.label"), options, default=default, format_func=labels.__getitem__, key=key,
        help=t("status.help"), placeholder=t("status.none_chosen"),
    )
    return frozenset(chosen)


#: Statuses KAM Studio knows (kamcore.tables.normalise_status); others show as written.
STATUS_ORDER: tuple[str, ...] = ("active", "churned", "unknown")

"""The Data page's parts: upload bookkeeping, the column-mapping editor and the quality report.

``pages/data.py`` calls these; parsing and the mapping guess are ``kamcore.ingest``'s, who may
rename or delete a workspace ``kamcore.access``'s.
"""

from __future__ import annotations

import hashlib

import pandas as pd
import streamlit as st

from kamcore.schemas import ROLES, ColumnMapping, roles_for_kind
from ui import i18n, widgets
from ui.i18n import escape_markdown, fmt_num, t

NONE = "—"


def delimiter_label(delimiter: str | None) -> str:
    """How a detected separator or decimal mark is named to the user, quoted (runs of spaces get words)."""
    if not delimiter:
        return "–"
    return t("data.delimiter_whitespace") if delimiter == " " else repr(delimiter)


def upload_token(content: bytes) -> str:
    """Identifies an uploaded file by its content, so widget keys are stable across reruns."""
    return hashlib.sha256(content).hexdigest()[:12]


def uploader_key(upload_round: int) -> str:
    """The file uploader's widget key; a new round (after an import) starts with no files."""
    return "data.upload" if upload_round == 0 else f"data.upload.{upload_round}"


#: Which page shows a table of each kind (none for "other").
KIND_PAGES = {
    "transactions": ("pages/portfolio.py", "start.open_portfolio", ":material/leaderboard:"),
    "accounts": ("pages/portfolio.py", "start.open_portfolio", ":material/leaderboard:"),
    "survey": ("pages/survey.py", "start.open_survey", ":material/fact_check:"),
}


def dismiss(token: str) -> None:
    """Forget one pending upload (and empty the uploader, so it does not come back)."""
    st.session_state["data.pending"].pop(token, None)
    st.session_state["data.upload_round"] = st.session_state.get("data.upload_round", 0) + 1
    st.rerun()


def show_import_summary(workspace_name: str) -> None:
    """What the last import stored (table, rows, kind) and a link to the page that uses it."""
    done = st.session_state.get("data.last_import")
    if not done or done["workspace"] != workspace_name:
        return
    # The table name comes from the user: escaped so it shows literally in the message.
    sentence = t("start.imported", name=escape_markdown(done["name"]), rows=fmt_num(done["rows"]),
                 kind=t(f"data.kind_{done['kind']}"))
    if done.pop("toast", False):
        # Seen wherever the page is scrolled to (the Import button was further down).
        st.toast(sentence, icon=":material/check_circle:")
    with st.container(border=True, key="data.import_summary"):
        st.success(sentence, icon=":material/check_circle:")
        target = KIND_PAGES.get(done["kind"])
        link, close = st.columns([3, 1], vertical_alignment="center")
        if target:
            path, label_key, icon = target
            link.page_link(path, label=t(label_key), icon=icon)
        else:
            link.caption(t("start.imported_other"))
        if close.button(t("data.dismiss"), key="data.import_summary_dismiss"):
            del st.session_state["data.last_import"]
            st.rerun()


def role_label(role: str) -> str:
    """A role's name: sales roles in app.json, the buying-centre roles in relationships.json."""
    return t(f"app.role_{role}") if role in ROLES else t(f"relationships.role_{role}")


def mapping_editor(columns: list[str], initial: ColumnMapping, key: str, kind: str | None = None) -> ColumnMapping:
    """One selector per role of ``kind``; returns the mapping the user confirmed."""
    roles: dict[str, str] = {}
    options = [NONE, *columns]
    grid = st.columns(3)
    for index, role in enumerate(roles_for_kind(kind)):
        current = initial.get(role)
        chosen = grid[index % 3].selectbox(
            role_label(role), options,
            index=options.index(current) if current in options else 0,
            key=f"{key}.role.{role}",
        )
        if chosen != NONE:
            roles[role] = chosen
    return ColumnMapping(roles=roles)


#: Negative values read differently by role: credit notes in revenue, loss lines in profit.
NEGATIVE_BY_ROLE = {"revenue": "negative_values_revenue", "profit": "negative_values_profit"}


def quality_table(report, roles: dict[str, str] | None = None) -> pd.DataFrame:
    """The report's issues as rows a person can read (text shown literally, never as markup).

    ``roles`` maps a column to its (proposed) role, so negative values are named for what they
    are: credit notes in a revenue column, loss-making lines in a profit column.
    """
    rows = []
    for issue in report.issues:
        code = issue.code
        if code == "negative_values":
            code = NEGATIVE_BY_ROLE.get((roles or {}).get(issue.column or ""), code)
        rows.append({
            t("data.severity"): t(f"data.severity_{issue.severity}"),
            # A whole-file note has no row or column. The row is text: the browser's table draws a
            # missing number as "None" whatever the Styler says, so a dash must be in the data.
            t("data.row"): "–" if issue.row is None else fmt_num(issue.row),
            t("data.column"): issue.column or "",
            t("data.message"): t(f"quality.{code}", **_counts_in_language(issue.params)),
        })
    return pd.DataFrame(rows)


#: Parameters of the report's sentences that are counts: written with the language's thousands
#: separator ("1 000 000 rader lest"). Line and row numbers, and values from the file, stay as they are.
_COUNT_PARAMS = frozenset(
    {"rows_read", "rows_kept", "rows_rejected", "empty_rows", "n", "n_columns", "n_skipped", "n_texts"}
)


def _counts_in_language(params: dict) -> dict:
    return {
        name: fmt_num(value) if name in _COUNT_PARAMS and isinstance(value, int) and not isinstance(value, bool)
        else value
        for name, value in params.items()
    }


def show_quality(report, rejected: pd.DataFrame, key: str, roles: dict[str, str] | None = None) -> None:
    """Metrics, issues and the rejected rows of one parsed table."""
    cols = st.columns(4)
    cols[0].metric(t("data.rows_read"), fmt_num(report.rows_read))
    cols[1].metric(t("data.rows_kept"), fmt_num(report.rows_kept))
    cols[2].metric(t("data.rows_rejected"), fmt_num(report.rows_rejected))
    cols[3].metric(t("data.duplicate_rows"), fmt_num(report.duplicate_rows))
    issues = quality_table(report, roles)
    if not issues.empty:
        i18n.dataframe(issues, hide_index=True, key=f"{key}.issues")
    details = {
        t("data.columns_coerced"): report.columns_coerced,
        t("data.negative_values"): report.negative_values,
        t("data.missing_values"): report.missing_values,
    }
    detail_rows = [
        {t("data.check"): check, t("data.column"): column, t("data.value"): str(value)}
        for check, values in details.items() for column, value in values.items()
    ]
    if detail_rows:
        with st.expander(t("data.quality_details")):
            st.dataframe(pd.DataFrame(detail_rows), hide_index=True, key=f"{key}.details", placeholder=i18n.MISSING)
    if len(rejected):
        st.warning(t("data.rejected_note", n=fmt_num(len(rejected))))
        i18n.dataframe(rejected.head(200), hide_index=True, key=f"{key}.rejected")
        widgets.download_buttons(rejected, "rejected_rows", key=f"{key}.rejected_download")

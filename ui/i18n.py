"""Translation catalogue and locale-aware number/date formatting for the UI.

Catalogue files live in ``ui/locales/<namespace>.json`` as ``{key: {"en": …, "nb": …, "sv": …}}``;
``t("portfolio.title")`` looks up key ``title`` in ``portfolio.json``. The pseudo-locale ``qps``
wraps every English string in ⟦…⟧ so tests can spot text that bypassed the catalogue.
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
import functools
import json
import logging
import math
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import streamlit as st
from streamlit.errors import StreamlitAPIException

from kamcore.errors import KamError

LOCALES_DIR = Path(__file__).parent / "locales"
LANGUAGES: dict[str, str] = {"en": "English", "nb": "Norsk (bokmål)", "sv": "Svenska"}
PSEUDO = "qps"
DEFAULT_LANGUAGE = "en"
#: What a table shows for a missing value, in every language.
MISSING = "–"
_NBSP = "\u00a0"

log = logging.getLogger(__name__)


def strict() -> bool:
    """True when a missing catalogue entry must raise (tests set KAMSTUDIO_STRICT_I18N=1)."""
    return os.environ.get("KAMSTUDIO_STRICT_I18N") == "1"


@functools.cache
def catalogue(namespace: str) -> dict[str, dict[str, str]]:
    """The parsed catalogue file for ``namespace`` (empty when the file does not exist)."""
    path = LOCALES_DIR / f"{namespace}.json"
    if not path.exists():
        return {}
    return json.loads(path.read_text(encoding="utf-8"))


def all_namespaces() -> list[str]:
    """Every catalogue file's namespace."""
    return sorted(p.stem for p in LOCALES_DIR.glob("*.json"))


#: A language fixed for a block of work (the meeting pack renders in the language it was asked for,
#: in the app as from the command line); see :func:`language`.
_FORCED_LANGUAGE: contextvars.ContextVar[str | None] = contextvars.ContextVar("kam_language", default=None)


@contextlib.contextmanager
def language(code: str):
    """Within the block, :func:`t` and the formatters speak ``code`` (en/nb/sv/qps)."""
    token = _FORCED_LANGUAGE.set(code)
    try:
        yield
    finally:
        _FORCED_LANGUAGE.reset(token)


def lang() -> str:
    """The language chosen in this session (English outside a Streamlit run)."""
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    forced = _FORCED_LANGUAGE.get()
    if forced is not None:
        return forced
    if get_script_run_ctx(suppress_warning=True) is None:
        return DEFAULT_LANGUAGE
    return st.session_state.get("lang", DEFAULT_LANGUAGE)


def labeller(prefix: str) -> Callable[[Any], str]:
    """A widget ``format_func`` showing ``t(prefix + option)`` in this run's language.

    The language is read now, not when the label is drawn: Streamlit may call a format_func
    outside the session's run (AppTest does), where the session's language is unknown.
    """
    language = lang()
    return lambda option: translate(f"{prefix}{option}", language)


def translate(key: str, language: str, **params: Any) -> str:
    """The catalogue text for ``key`` in ``language``, formatted with ``params``; where ``n``
    is 1 and the catalogue has ``<key>_one``, that singular text instead."""
    namespace, _, name = key.partition(".")
    entries = catalogue(namespace)
    if str(params.get("n")) == "1" and f"{name}_one" in entries:
        name = f"{name}_one"  # "1 empty cell", not "1 empty cells": a key may have a singular twin
    entry = entries.get(name)
    base_language = DEFAULT_LANGUAGE if language == PSEUDO else language
    text = entry.get(base_language) if entry else None
    if text is None:
        if strict():
            raise KeyError(f"missing translation: {key} [{base_language}]")
        log.warning("missing translation: %s [%s]", key, base_language)
        text = (entry or {}).get(DEFAULT_LANGUAGE, key)
    if params:
        text = text.format(**params)
    return f"⟦{text}⟧" if language == PSEUDO else text


def t(key: str, **params: Any) -> str:
    """Translate ``key`` ("namespace.name") into the session's language."""
    return translate(key, lang(), **params)


def _kam_error_inside(exc: Exception) -> KamError | None:
    # Pydantic wraps errors raised in validators; the first KamError inside is the sentence.
    from pydantic import ValidationError

    if isinstance(exc, ValidationError):
        for detail in exc.errors():
            inner = (detail.get("ctx") or {}).get("error")
            if isinstance(inner, KamError):
                return inner
    return None


_MARKDOWN_SPECIALS = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~:$])")


def escape_markdown(text: str) -> str:
    """``text`` with every Markdown/HTML special character backslash-escaped (shown literally)."""
    return _MARKDOWN_SPECIALS.sub(r"\\\1", text)


def error_message(exc: Exception) -> str:
    """A user sentence for ``exc`` in the session's language (user text inside it made inert)."""
    exc = _kam_error_inside(exc) or exc
    if isinstance(exc, KamError):
        module, _, what = exc.code.partition(".")
        key = f"err_{module}.{what}"
        namespace, _, name = key.partition(".")
        # st.error renders Markdown; file, table and column names inside must show literally.
        params = {k: escape_markdown(v) if isinstance(v, str) else v for k, v in exc.params.items()}
        if name in catalogue(namespace) or strict():
            return t(key, **params)
        return exc.message.format(**params) if params else exc.message
    return t("app.unexpected_error")


def _separators(language: str) -> tuple[str, str]:
    if language in ("nb", "sv"):
        return _NBSP, ","
    return ",", "."


def _is_missing(value: Any) -> bool:
    try:
        import pandas as pd

        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def fmt_num(value: float | int | None, decimals: int = 0, language: str | None = None) -> str:
    """``1234567.8`` → ``1 234 567,8`` (nb/sv) or ``1,234,567.8`` (en); blanks for missing."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or _is_missing(value):
        return "–"
    thousands, decimal = _separators(language or lang())
    if round(value, decimals) == 0:
        value = 0  # no "-0" for a small negative amount
    text = f"{value:,.{decimals}f}"
    return text.replace(",", "\x00").replace(".", decimal).replace("\x00", thousands)


def fmt_pct(fraction: float | None, decimals: int = 1, language: str | None = None) -> str:
    """``0.8`` → ``80,0 %`` (nb/sv) or ``80.0%`` (en)."""
    if fraction is None or (isinstance(fraction, float) and math.isnan(fraction)) or _is_missing(fraction):
        return "–"
    language = language or lang()
    number = fmt_num(fraction * 100, decimals, language)
    return f"{number}{_NBSP}%" if language in ("nb", "sv") else f"{number}%"


def fmt_date(value: dt.date | dt.datetime | None, language: str | None = None) -> str:
    """A date the way the chosen language writes it: 31.10.2026 (nb), 2026-10-31 (sv), 31 Oct 2026 (en)."""
    if value is None:
        return "–"
    try:
        import pandas as pd

        if pd.isna(value):
            return "–"
    except (TypeError, ValueError):
        pass
    language = language or lang()
    if language == "nb":
        return value.strftime("%d.%m.%Y")
    if language == "sv":
        return value.strftime("%Y-%m-%d")
    return f"{value.day} {translate('app.month_' + str(value.month), 'en')} {value.year}"


def dimension_label(name: Any) -> str:
    """A survey dimension in the user's language: the four key areas (accuracy, availability,
    adaptation, advice) from the catalogue ``dimensions.json``; a dimension the user named keeps
    its name."""
    text = "" if name is None or _is_missing(name) else str(name)
    return t(f"dimensions.{text}") if text in catalogue("dimensions") else text


def base_language(language: str | None = None) -> str:
    """The real language behind ``language`` (the pseudo-locale formats like English)."""
    language = language or lang()
    return DEFAULT_LANGUAGE if language == PSEUDO else language


# ------------------------------------------------------------------------ tables

#: moment.js date formats for st.column_config.DateColumn, as fmt_date writes dates.
TABLE_DATE_FORMATS: dict[str, str] = {"en": "D MMM YYYY", "nb": "DD.MM.YYYY", "sv": "YYYY-MM-DD"}
TABLE_DATETIME_FORMATS: dict[str, str] = {
    "en": "D MMM YYYY HH:mm", "nb": "DD.MM.YYYY HH:mm", "sv": "YYYY-MM-DD HH:mm",
}
#: Up to this many cells a table's numbers are written by fmt_num (pandas Styler display
#: values: the cells still sort as numbers); larger tables use Streamlit's printf formats,
#: which know thousands separators but only the decimal point.
STYLER_MAX_CELLS = 20_000
MAX_INFERRED_DECIMALS = 2


def decimals_of(values: Any, max_decimals: int = MAX_INFERRED_DECIMALS) -> int:
    """The fewest decimals (up to ``max_decimals``) that show every value of ``values`` exactly."""
    import numpy as np
    import pandas as pd

    numbers = pd.to_numeric(pd.Series(values), errors="coerce").dropna().to_numpy(dtype=float)
    numbers = numbers[np.isfinite(numbers)]
    for decimals in range(max_decimals + 1):
        if np.allclose(numbers, np.round(numbers, decimals), rtol=0, atol=1e-9):
            return decimals
    return max_decimals


def number_format(decimals: int, language: str | None = None) -> str:
    """A printf format for st.column_config.NumberColumn with the language's thousands separator.

    Streamlit's printf formats always write a decimal point; the Styler path (see
    :func:`table_view`) is used wherever a decimal comma matters.
    """
    thousands, _ = _separators(base_language(language))
    flag = "," if thousands == "," else f"'{thousands},"
    return f"%{flag}d" if decimals == 0 else f"%{flag}.{decimals}f"


def percent_format(language: str | None = None) -> str:
    """A printf format for whole percentages (values 0-100) as the language writes them."""
    return "%d%%" if base_language(language) == "en" else f"%d{_NBSP}%%"


def _is_number_column(series: Any) -> bool:
    import pandas as pd

    return pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series)


def _date_kind(series: Any) -> str | None:
    import pandas as pd

    if pd.api.types.is_datetime64_any_dtype(series):
        values = series.dropna()
        midnight = bool(len(values)) and bool((values == values.dt.normalize()).all())
        return "date" if midnight or not len(values) else "datetime"
    if series.dtype == object:
        values = series.dropna()
        if len(values) and all(isinstance(v, dt.date) and not isinstance(v, dt.datetime) for v in values):
            return "date"
    return None


def table_view(
    df: Any,
    decimals: dict[str, int] | None = None,
    column_config: dict[str, Any] | None = None,
    language: str | None = None,
) -> tuple[Any, dict[str, Any]]:
    """``df`` ready for ``st.dataframe`` in the user's language: (data or Styler, column_config).

    Numbers show the language's decimal and thousands separators (``decimals`` per column,
    else the fewest that show the values, at most two), dates the language's date format,
    missing cells an en dash instead of "None". The values themselves are unchanged, so the
    columns sort as numbers and dates. A column whose type ``column_config`` already sets is left
    alone; a plain ``st.column_config.Column`` (a width) is formatted all the same.
    """
    import streamlit as st

    language = base_language(language)
    decimals = dict(decimals or {})
    config: dict[str, Any] = dict(column_config or {})
    formatters: dict[str, Callable[[Any], str]] = {}
    use_styler = df.size <= STYLER_MAX_CELLS and df.columns.is_unique
    for column in df.columns:
        series = df[column]
        given = config.get(column)
        if given is not None and (not isinstance(given, dict) or given.get("type_config") is not None):
            continue  # the caller chose the column's type and format
        # A plain st.column_config.Column (a width, a help text) keeps the language's format.
        width = given.get("width") if given else None
        kind = _date_kind(series)
        if kind == "date":
            config[column] = st.column_config.DateColumn(format=TABLE_DATE_FORMATS[language], width=width)
        elif kind == "datetime":
            config[column] = st.column_config.DatetimeColumn(format=TABLE_DATETIME_FORMATS[language], width=width)
        elif _is_number_column(series):
            places = decimals.get(column, decimals_of(series))
            if use_styler:
                formatters[column] = functools.partial(_format_cell, decimals=places, language=language)
            else:
                config[column] = st.column_config.NumberColumn(format=number_format(places, language), width=width)
    if not use_styler:
        return df, config
    # every missing cell (text columns too) shows a dash, never "None"; then the numbers
    return df.style.format(na_rep=MISSING).format(formatters, na_rep=MISSING), config


def _format_cell(value: Any, decimals: int, language: str) -> str:
    return fmt_num(value, decimals, language)


def dataframe(
    df: Any,
    *,
    decimals: dict[str, int] | None = None,
    column_config: dict[str, Any] | None = None,
    **kwargs: Any,
) -> Any:
    """``st.dataframe`` with numbers, dates and missing cells in the user's language (and
    pseudonyms for real names in anonymised mode)."""
    from ui import anonymity  # here: ui.anonymity reads the session's language from this module

    data, config = table_view(anonymity.frame(df), decimals=decimals, column_config=column_config)
    # The grid draws a missing value as "None" whatever the Styler says; a dash in every language.
    kwargs.setdefault("placeholder", MISSING)
    return st.dataframe(data, column_config=config, **kwargs)


def _is_plain_choice(value: object) -> bool:
    """A value a choice widget holds (an option or a list of options), never a button's or an upload's."""
    plain = (str, int, float)
    if isinstance(value, bool):
        return False
    if value is None:  # also an empty file uploader's value, which the script may never set
        return False
    if isinstance(value, plain):
        return True
    return isinstance(value, (list, tuple)) and all(isinstance(item, plain) and not isinstance(item, bool)
                                                    for item in value)


def _redraw_chosen_values() -> None:
    """Hand every chosen value back to its widget after a language switch.

    The browser keeps showing a select box's chosen option in the language it was picked in
    ("All dates" under "Periode") until the script sets the value; setting it to itself makes
    Streamlit send the value again, drawn with the new language's labels.
    """
    for key in list(st.session_state.keys()):
        if key == "app.lang" or str(key).startswith("_"):
            continue
        value = st.session_state[key]
        if not _is_plain_choice(value):
            continue
        try:
            st.session_state[key] = value
        except StreamlitAPIException:  # a widget whose value the script may not set
            continue


def language_selector() -> None:
    """Sidebar selector; the choice lives in session state so switching keeps everything else."""
    options = list(LANGUAGES)
    if lang() == PSEUDO:
        return
    st.session_state.setdefault("lang", DEFAULT_LANGUAGE)
    if st.session_state.get("app.lang") not in options:
        st.session_state["app.lang"] = st.session_state["lang"]

    def _copy() -> None:
        st.session_state["lang"] = st.session_state["app.lang"]
        _redraw_chosen_values()

    st.sidebar.selectbox(
        t("app.language"),
        options,
        format_func=LANGUAGES.__getitem__,
        key="app.lang",
        on_change=_copy,
    )

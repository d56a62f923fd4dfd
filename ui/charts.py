"""One Plotly look for every chart: template, colour-blind-safe palette, safe labels."""

from __future__ import annotations

import collections
import datetime as dt
import functools
import hashlib
import html
import math
import textwrap
import threading
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio
import streamlit as st

from ui.i18n import _separators, base_language

# Okabe & Ito (2008): distinguishable with every common form of colour blindness.
PALETTE: list[str] = [
    "#0072B2",  # blue
    "#E69F00",  # orange
    "#009E73",  # bluish green
    "#CC79A7",  # reddish purple
    "#56B4E9",  # sky blue
    "#D55E00",  # vermillion
    "#F0E442",  # yellow
    "#000000",  # black
]
NEUTRAL = "#8C8C8C"
CLASS_COLORS: dict[str, str] = {"A": "#0072B2", "B": "#E69F00", "C": NEUTRAL}
CATEGORY_COLORS: dict[str, str] = {
    "key": "#0072B2",
    "key_development": "#009E73",
    "maintenance": "#E69F00",
    "opportunistic": NEUTRAL,
}
POSITIVE = "#0072B2"
NEGATIVE = "#D55E00"

TEMPLATE_NAME = "kam"
#: Top margin without a legend above the plot (the title's row) and with one (title + legend).
TOP_MARGIN, TOP_MARGIN_WITH_LEGEND = 60, 100
#: Extra top margin per additional title line (a title wrapped with <br>).
TITLE_LINE = 22
#: Bottom margin pieces for a legend under the plot: axis title and padding, a line of tick
#: labels, a legend row.
LEGEND_BOTTOM_BASE, TICK_LINE, LEGEND_ROW = 50, 20, 24
#: Characters per title line for a chart in half the page width (two charts side by side).
HALF_WIDTH_TITLE = 42

#: d3 time formats per zoom level for date axes: numbers only, so no English month names.
_DATE_TICKS: dict[str, tuple[str, str, str]] = {
    # (day, month, year)
    "nb": ("%d.%m.%Y", "%m.%Y", "%Y"),
    "sv": ("%Y-%m-%d", "%Y-%m", "%Y"),
}
_DATE_HOVER: dict[str, str] = {"en": "%-d %b %Y", "nb": "%d.%m.%Y", "sv": "%Y-%m-%d"}
#: Numeric axes: full numbers with the language's separators ("70 000 000", never "70M").
NUMBER_TICKFORMAT = ",~r"
NUMBER_HOVERFORMAT = ",.2~f"


def _register_template() -> None:
    template = go.layout.Template(pio.templates["plotly_white"])
    template.layout.colorway = PALETTE
    template.layout.font = {"family": "Inter, Segoe UI, Helvetica, Arial, sans-serif", "size": 13}
    # The title sits in its own row at the very top of the figure; a horizontal legend sits
    # in the row below it, just above the plot area (style() makes the top margin hold both).
    template.layout.title = {
        "x": 0.0, "xanchor": "left", "xref": "container",
        "y": 1.0, "yanchor": "top", "yref": "container", "pad": {"t": 14, "l": 12},
        "font": {"size": 16},
    }
    template.layout.margin = {"l": 60, "r": 20, "t": TOP_MARGIN, "b": 50}
    template.layout.hoverlabel = {"font": {"size": 12}}
    template.layout.legend = {"orientation": "h", "yanchor": "bottom", "y": 1.02, "x": 0, "yref": "paper"}
    pio.templates[TEMPLATE_NAME] = template


_register_template()


def safe(text: Any) -> str:
    """Text from a user's file made inert for Plotly (which understands a few HTML tags)."""
    return html.escape("" if text is None else str(text), quote=False)


def safe_series(values: pd.Series) -> pd.Series:
    """:func:`safe` applied to every value of ``values``."""
    return values.map(safe)


def wrap(text: str, width: int) -> str:
    """``text`` broken into lines of at most ``width`` characters (Plotly ``<br>``), words kept whole.

    A short title with a parenthesis is split before it, when both parts fit on a line:
    "Gap statistic<br>(look for the elbow)".
    """
    head, bracket, tail = text.partition(" (")
    if bracket and len(head) <= width and len(bracket.strip() + tail) <= width:
        return head + "<br>(" + tail
    return "<br>".join(textwrap.wrap(text, width=width, break_long_words=False)) or text


def plotly_separators(language: str | None = None) -> str:
    """Plotly's ``layout.separators``: the decimal mark, then the thousands separator."""
    thousands, decimal = _separators(base_language(language))
    return decimal + thousands


def _shows_legend(fig: go.Figure) -> bool:
    if fig.layout.showlegend is False:
        return False
    named = [
        trace for trace in fig.data
        if "showlegend" in trace and trace.showlegend is not False and "name" in trace and trace.name
    ]
    return len(named) > 1 or any(trace.showlegend for trace in named)


def _axis_name(ref: str | None, letter: str) -> str:
    # "x" -> "xaxis", "x2" -> "xaxis2"
    ref = ref or letter
    return f"{letter}axis{ref[1:]}"


def _kind(values: Any) -> str | None:
    if values is None:
        return None
    array = np.asarray(values)
    if array.size == 0:
        return None
    if np.issubdtype(array.dtype, np.datetime64):
        return "date"
    if np.issubdtype(array.dtype, np.number) and not np.issubdtype(array.dtype, np.bool_):
        return "number"
    if array.dtype == object:
        first = next((v for v in array.ravel() if v is not None and not pd.isna(v)), None)
        if isinstance(first, dt.date | pd.Timestamp):
            return "date"
        if isinstance(first, int | float | np.number) and not isinstance(first, bool):
            return "number"
    return None


def axis_kinds(fig: go.Figure) -> dict[str, str]:
    """``{"xaxis": "number", "yaxis2": "date", ...}`` from the data of the cartesian traces."""
    kinds: dict[str, str] = {}
    for trace in fig.data:
        if trace.type not in ("scatter", "scattergl", "bar", "histogram", "box", "violin"):
            continue
        for letter in "xy":
            kind = _kind(getattr(trace, letter, None))
            if kind is None:
                continue
            name = _axis_name(getattr(trace, f"{letter}axis", None), letter)
            kinds.setdefault(name, kind)
    return kinds


def localise(fig: go.Figure, language: str | None = None) -> go.Figure:
    """Separators, number ticks and date ticks of ``fig`` in the user's language.

    Numeric axes show whole numbers with the language's separators (no "70M"); date axes show
    numeric dates in nb/sv (no English month names). An axis whose format the figure set
    itself is left alone.
    """
    language = base_language(language)
    fig.update_layout(separators=plotly_separators(language))
    for name, kind in axis_kinds(fig).items():
        axis = fig.layout[name]
        if axis is None or axis.type == "category":
            continue
        if kind == "number":
            if axis.tickformat is None:
                axis.tickformat = NUMBER_TICKFORMAT
            if axis.hoverformat is None:
                axis.hoverformat = NUMBER_HOVERFORMAT
        elif kind == "date":
            if axis.hoverformat is None:
                axis.hoverformat = _DATE_HOVER[language]
            if axis.tickformat is None and not axis.tickformatstops and language in _DATE_TICKS:
                day, month, year = _DATE_TICKS[language]
                axis.tickformatstops = [
                    {"dtickrange": [None, "M1"], "value": day},
                    {"dtickrange": ["M1", "M12"], "value": month},
                    {"dtickrange": ["M12", None], "value": year},
                ]
    return fig


def legend_below(fig: go.Figure, *, per_row: int = 4, tick_lines: int = 1) -> go.Figure:
    """A horizontal legend at the very bottom of the figure, under the x axis and its title.

    For legends with many or long entries (segment names), which above the plot would run into
    the title. The bottom margin holds ``tick_lines`` lines of tick labels, the axis title and
    ceil(entries / ``per_row``) legend rows; the top margin shrinks back to the title's.
    """
    entries = [t for t in fig.data if "showlegend" in t and t.showlegend is not False and "name" in t and t.name]
    rows = max(1, math.ceil(len(entries) / per_row))
    title_lines = 1 + (fig.layout.title.text or "").count("<br>")
    fig.update_layout(
        legend={"orientation": "h", "yref": "container", "y": 0, "yanchor": "bottom", "x": 0},
        margin_b=LEGEND_BOTTOM_BASE + TICK_LINE * tick_lines + LEGEND_ROW * rows,
    )
    if fig.layout.margin.t == TOP_MARGIN_WITH_LEGEND + TITLE_LINE * (title_lines - 1):
        fig.update_layout(margin_t=TOP_MARGIN + TITLE_LINE * (title_lines - 1))
    return fig


def style(fig: go.Figure, *, title: str, x_title: str | None = None, y_title: str | None = None,
          height: int | None = None) -> go.Figure:
    """Apply the house template, the chart title and axis titles (with units) to ``fig``.

    Also puts numbers and dates in the user's language (:func:`localise`) and gives a
    legend above the plot its own row under the title.
    """
    fig.update_layout(template=TEMPLATE_NAME, title_text=title)
    if fig.layout.margin.t is None:
        extra_lines = title.count("<br>")
        top = TOP_MARGIN_WITH_LEGEND if _shows_legend(fig) else TOP_MARGIN
        if top != TOP_MARGIN or extra_lines:
            fig.update_layout(margin_t=top + TITLE_LINE * extra_lines)
    localise(fig)
    if x_title is not None:
        fig.update_xaxes(title_text=x_title)
    if y_title is not None:
        fig.update_yaxes(title_text=y_title)
    if height:
        fig.update_layout(height=height)
    return fig


def show(fig: go.Figure, *, key: str, **kwargs: Any) -> Any:
    """Render ``fig`` full-width with a PNG download in its toolbar named after ``key``."""
    config = {
        "displaylogo": False,
        "toImageButtonOptions": {"format": "png", "filename": key.replace(".", "_"), "scale": 2},
    }
    localise(fig)  # again: traces or axes may have been added after style()
    from ui import anonymity  # here: it imports ui.state, which pages import after this module

    fig = anonymity.figure(fig)  # a copy with pseudonyms in anonymised mode
    # theme=None: our template, not Streamlit's, decides colours (the palette is colour-blind safe).
    return st.plotly_chart(fig, key=key, config=config, width="stretch", theme=None, **kwargs)


# ------------------------------------------------------------ figures shared by sessions
# Building a Plotly figure (validation, templates, shapes) costs far more than drawing it;
# twenty people opening the same page on the same workspace and filters build the same
# figure twenty times. memo_figure builds it once per process for identical inputs. The key
# is the *content* of every argument (tables hashed row by row) plus the language, so a
# session can only ever receive the figure it would have built itself: nothing crosses from
# one workspace or filter state to another. The memo keeps the figure as a dict; each call
# gets its own Figure made from it (validating a finished figure costs a fraction of
# building it), so a session that changes its figure (show() localises it) changes nothing
# for another.
_FIGURE_MEMO: collections.OrderedDict[tuple, dict] = collections.OrderedDict()
_FIGURE_MEMO_LOCK = threading.Lock()
FIGURE_MEMO_SIZE = 64


def _rows_digest(value: pd.DataFrame | pd.Series) -> str:
    # One 64-bit hash per row (index included), then the sequence hashed in order.
    return hashlib.sha256(pd.util.hash_pandas_object(value, index=True).to_numpy().tobytes()).hexdigest()


def _content_key(value: Any) -> Any:
    if isinstance(value, pd.DataFrame):
        return ("frame", tuple(map(str, value.columns)), tuple(map(str, value.dtypes)), _rows_digest(value))
    if isinstance(value, pd.Series):
        return ("series", str(value.name), str(value.dtype), _rows_digest(value))
    if isinstance(value, list | tuple):
        return (type(value).__name__, tuple(_content_key(v) for v in value))
    if isinstance(value, dict):
        return ("dict", tuple(sorted((str(k), _content_key(v)) for k, v in value.items())))
    if isinstance(value, str | int | float | bool | type(None)):
        return (type(value).__name__, value)
    raise TypeError(f"memo_figure cannot key a {type(value).__name__}")


def memo_figure(builder: Callable[..., go.Figure]) -> Callable[..., go.Figure]:
    """Decorator: ``builder(*args)`` built once per process for identical inputs (see above)."""

    @functools.wraps(builder)
    def wrapper(*args: Any, **kwargs: Any) -> go.Figure:
        from ui.i18n import lang

        key = (builder.__module__, builder.__qualname__, lang(), _content_key(list(args)),
               _content_key(dict(kwargs)))
        with _FIGURE_MEMO_LOCK:
            hit = _FIGURE_MEMO.get(key)
            if hit is not None:
                _FIGURE_MEMO.move_to_end(key)
        if hit is not None:
            return go.Figure(hit)
        figure = builder(*args, **kwargs)
        with _FIGURE_MEMO_LOCK:
            _FIGURE_MEMO[key] = figure.to_dict()
            while len(_FIGURE_MEMO) > FIGURE_MEMO_SIZE:
                _FIGURE_MEMO.popitem(last=False)
        return figure

    return wrapper


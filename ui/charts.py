"""One Plotly look for every chart: template, colour-blind-safe palette, safe labels."""

from __future__ import annotations

import collections
import functools
import hashlib
import html
import threading
from collections.abc import Callable
from typing import Any

import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio
import streamlit as st

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


def _register_template() -> None:
    template = go.layout.Template(pio.templates["plotly_white"])
    template.layout.colorway = PALETTE
    template.layout.font = {"family": "Inter, Segoe UI, Helvetica, Arial, sans-serif", "size": 13}
    template.layout.title = {"x": 0.0, "xanchor": "left", "font": {"size": 16}}
    template.layout.margin = {"l": 60, "r": 20, "t": 60, "b": 50}
    template.layout.hoverlabel = {"font": {"size": 12}}
    template.layout.legend = {"orientation": "h", "yanchor": "bottom", "y": 1.02, "x": 0}
    pio.templates[TEMPLATE_NAME] = template


_register_template()


def safe(text: Any) -> str:
    """Text from a user's file made inert for Plotly (which understands a few HTML tags)."""
    return html.escape("" if text is None else str(text), quote=False)


def safe_series(values: pd.Series) -> pd.Series:
    """:func:`safe` applied to every value of ``values``."""
    return values.map(safe)


def style(fig: go.Figure, *, title: str, x_title: str | None = None, y_title: str | None = None,
          height: int | None = None) -> go.Figure:
    """Apply the house template, the chart title and axis titles (with units) to ``fig``."""
    fig.update_layout(template=TEMPLATE_NAME, title_text=title)
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
    # theme=None: our template, not Streamlit's, decides colours (the palette is colour-blind safe).
    return st.plotly_chart(fig, key=key, config=config, width="stretch", theme=None, **kwargs)


# ------------------------------------------------------------ figures shared by sessions
# Building a Plotly figure (validation, templates, shapes) costs far more than drawing it;
# twenty people opening the same page on the same workspace and filters build the same
# figure twenty times. memo_figure builds it once per process for identical inputs. The key
# is the *content* of every argument (tables hashed row by row) plus the language, so a
# session can only ever receive the figure it would have built itself: nothing crosses from
# one workspace or filter state to another. The figure returned is shared: callers draw it
# (show) and never change it.
_FIGURE_MEMO: collections.OrderedDict[tuple, go.Figure] = collections.OrderedDict()
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
                return hit
        figure = builder(*args, **kwargs)
        with _FIGURE_MEMO_LOCK:
            _FIGURE_MEMO[key] = figure
            while len(_FIGURE_MEMO) > FIGURE_MEMO_SIZE:
                _FIGURE_MEMO.popitem(last=False)
        return figure

    return wrapper


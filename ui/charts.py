"""One Plotly look for every chart: template, colour-blind-safe palette, safe labels."""

from __future__ import annotations

import html
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

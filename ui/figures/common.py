"""Chart pieces that more than one figure uses in the same way."""

from __future__ import annotations

import plotly.graph_objects as go

from ui import charts


def style_item_rows(
    fig: go.Figure,
    n_rows: int,
    *,
    title: str,
    x_title: str,
    min_height: int = 320,
    row_height: int = 30,
) -> go.Figure:
    """House style for a chart with one horizontal row per item, first item on top.

    The height grows with the number of rows (``max(min_height, row_height * n_rows + 140)``)
    so labels never overlap.
    """
    fig.update_yaxes(autorange="reversed")
    return charts.style(fig, title=title, x_title=x_title, height=max(min_height, row_height * n_rows + 140))

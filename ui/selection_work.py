"""The Selection page's heavy work, done once per data and choices (issue 19, Views).

Account measures, criterion scores, the sensitivity report and the matrix figure take seconds
at 50,000 accounts; a rerun that changes none of their inputs (a click on the shortlist, a
second session on the same workspace and filters) gets them from ``ui.shared.keyed``. Every
key starts with the key ``ui.data`` handed out with the transactions (workspace file, content
hash, mapping, segments, filters) and adds every other input: the accounts table's key, the
window's end, the statuses, the model (weights, normalisation, missing-score rule), the
manual scores' content and the future values' content. Two sessions share a result only
when they would have computed the same one.
"""

from __future__ import annotations

import types
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from kamcore import selection
from ui.figures import selection as figures
from ui.i18n import lang
from ui.shared import keyed


def content_key(frame: pd.DataFrame | pd.Series | None) -> str:
    """A key for a small frame a session holds (manual scores, future values): its columns,
    types and a hash of its rows."""
    if frame is None:
        return "-"
    if isinstance(frame, pd.Series):
        frame = frame.to_frame()
    rows = pd.util.hash_pandas_object(frame, index=False).to_numpy()
    return f"{list(frame.columns)}|{[str(d) for d in frame.dtypes]}|{len(frame)}|{hash(rows.tobytes())}"


def measures(frame_key: tuple, transactions: pd.DataFrame, accounts: pd.DataFrame | None,
             accounts_key: tuple, as_of: pd.Timestamp) -> pd.DataFrame:
    """:func:`kamcore.selection.account_measures`, once per transactions, accounts and end."""
    return keyed((*frame_key, accounts_key, str(as_of)), selection.account_measures, transactions,
                 accounts, as_of=as_of)


def _scoring(measures: pd.DataFrame, model: selection.SelectionModel, manual: pd.DataFrame | None
             ) -> tuple[pd.DataFrame, int, pd.DataFrame]:
    return selection.scoring(measures, model, manual)


def model_key(model: selection.SelectionModel, manual: pd.DataFrame | None) -> tuple:
    """The model's settings and the manual scores' content, for a key."""
    return (model.model_dump_json(), content_key(manual))


def scoring(frame_key: tuple, measures: pd.DataFrame, model: selection.SelectionModel,
            manual: pd.DataFrame | None) -> tuple[pd.DataFrame, int, pd.DataFrame]:
    """(criterion coverage, accounts excluded, scored accounts), once per measures and model.
    ``frame_key`` is the measures' key (see :func:`measures_key`)."""
    return keyed((*frame_key, "scoring", *model_key(model, manual)), _scoring, measures, model, manual)


def sensitivity(frame_key: tuple, measures: pd.DataFrame, model: selection.SelectionModel,
                manual: pd.DataFrame | None, size: int, runs: int, spread: float,
                scored: pd.DataFrame | None = None) -> pd.DataFrame:
    """:func:`kamcore.selection.sensitivity` (seeded: the same report for the same inputs);
    ``scored`` is :func:`scoring`'s scored accounts of the same key, whose criterion scores it reuses."""
    return keyed((*frame_key, "sensitivity", *model_key(model, manual), size, runs, spread),
                 selection.sensitivity, measures, model, size, n_runs=runs, spread=spread,
                 random_state=0, manual_scores=manual, scored=scored)


def _matrix(scored: pd.DataFrame, model: selection.SelectionModel, colour_by: str) -> dict[str, Any]:
    classes = selection.revenue_classes(scored) if colour_by == "abc" else None
    built = figures.matrix_figure(scored, model, colour_by, classes=classes).to_dict()
    # Plotly copies a figure's data deeply twice on its way to the browser (a new Figure, then
    # to_dict); 50,000 hover texts and ids as Python lists took a second to copy, as fixed-width
    # text arrays a memory copy. The browser receives the same JSON lists.
    for trace in built["data"]:
        for name in ("hovertext", "customdata"):
            if trace.get(name) is not None:
                trace[name] = np.asarray(trace[name], dtype=str)
    return built


def matrix_figure(frame_key: tuple, scored: pd.DataFrame, model: selection.SelectionModel,
                  manual: pd.DataFrame | None, colour_by: str) -> go.Figure:
    """The portfolio matrix of ``scored`` (50,000 bubbles with their hover texts), built once
    per scores, colouring and language; each call gets its own figure."""
    built = keyed((*frame_key, "matrix", *model_key(model, manual), colour_by, lang()), _matrix, scored,
                  model, colour_by)
    # the dict came from a figure plotly validated when it was built (as ui.charts.memo_figure)
    return go.Figure(built, _validate=False)


class _Labels(dict):
    """Option labels; an option without one shows as itself."""

    def __missing__(self, key: Any) -> str:
        return str(key)


@dataclass(frozen=True)
class AccountChoices:
    """The scored accounts for the shortlist picker: ids in score order, the set of them, and
    "id · name" labels. Immutable, so every session with the same key shares one."""

    ids: tuple[str, ...]
    known: frozenset[str]
    labels: types.MappingProxyType

    def label(self, option: Any) -> str:
        return self.labels[option]


def _choices(scored: pd.DataFrame) -> AccountChoices:
    ids = scored["customer_id"].astype("str").to_numpy(dtype=object).tolist()
    names = scored["customer_name"].astype("str").fillna("").to_numpy(dtype=object).tolist()
    labels = _Labels(zip(ids, (f"{c} · {n}" for c, n in zip(ids, names, strict=True)), strict=True))
    return AccountChoices(tuple(ids), frozenset(ids), types.MappingProxyType(labels))


def account_choices(frame_key: tuple, scored: pd.DataFrame, model: selection.SelectionModel,
                    manual: pd.DataFrame | None) -> AccountChoices:
    """:class:`AccountChoices` of ``scored``, once per scores."""
    return keyed((*frame_key, "choices", *model_key(model, manual)), _choices, scored)

"""What the Segments page clusters by default, how it identifies its input, and what it saves.

The clustering itself is :mod:`kamcore.segments`; this module owns the page's decisions:

* :func:`feature_options` and :func:`default_features` — the features a table offers and the
  ones chosen before the user picks. Account tables start from the RFM scores. A survey table
  starts from the features the workspace keeps for it (``save_object("segment_features",
  <table>, {"features": [...]})``; the demo keeps case B's published Q6–Q10 for its dealer
  survey), else from its first :data:`DEFAULT_FEATURE_COUNT` numeric columns.
* :func:`frame_fingerprint` — the cache key of the clustered values. Not
  ``kamcore.db.content_hash`` (the digest of a stored table): this one includes the index,
  because the cached segment labels are indexed by it.
* :func:`assignment_payload` and :func:`names_from_payload` — the saved segment assignment
  (``save_object("segment_assignment", <table>, payload)``, see docs/architecture.md).

>>> import pandas as pd
>>> survey = pd.DataFrame({"Respondent": [1, 2], "Q1": ["a", "b"], "Q2": [3, 4], "Q3": [5.0, 6.0]})
>>> feature_options(survey, "survey", "Respondent")
['Q2', 'Q3']
>>> default_features(["Q2", "Q3"], "survey")
['Q2', 'Q3']
>>> default_features(["Q2", "Q3"], "survey", saved={"features": ["Q3"]})
['Q3']
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

#: The account features the page offers, in this order (columns of ``segments.account_features``).
ACCOUNT_FEATURES = ("recency_days", "frequency", "monetary", "margin_pct", "r_score", "f_score", "m_score")
#: Accounts are segmented by their RFM scores until the user picks other features.
DEFAULT_ACCOUNT_FEATURES = ("r_score", "f_score", "m_score")
#: A survey without kept features starts from this many of its numeric columns (in file order).
DEFAULT_FEATURE_COUNT = 5
#: ``save_object`` kind of a table's kept default features.
FEATURES_KIND = "segment_features"
#: The key of a table without a respondent column: rows are numbered from 1.
ROW_KEY = "row_number"


def feature_options(table: pd.DataFrame, source: str, key_column: str) -> list[str]:
    """Columns of ``table`` the user may cluster by.

    ``source`` ``"accounts"``: the :data:`ACCOUNT_FEATURES` present. ``"survey"``: every
    numeric column except the respondent key, in file order.
    """
    if source == "accounts":
        return [f for f in ACCOUNT_FEATURES if f in table]
    return [str(c) for c in table.columns if c != key_column and pd.api.types.is_numeric_dtype(table[c])]


def default_features(
    options: Sequence[str], source: str, saved: Mapping[str, Any] | None = None
) -> list[str]:
    """The features chosen before the user picks, all of them among ``options``.

    ``saved`` is the table's ``segment_features`` payload (``{"features": [...]}``) or None;
    it is used for a survey when every feature in it is still offered (a renamed or dropped
    column makes it stale), else the first :data:`DEFAULT_FEATURE_COUNT` options.

    >>> default_features(["frequency", "r_score", "f_score", "m_score"], "accounts")
    ['r_score', 'f_score', 'm_score']
    >>> default_features(["Q1", "Q2"], "survey", saved={"features": ["Q2", "Q9"]})
    ['Q1', 'Q2']
    """
    if source == "accounts":
        return [f for f in DEFAULT_ACCOUNT_FEATURES if f in options]
    kept = [str(f) for f in (saved or {}).get("features", [])]
    if kept and all(f in options for f in kept):
        return kept
    return list(options[:DEFAULT_FEATURE_COUNT])


def frame_fingerprint(frame: pd.DataFrame) -> str:
    """SHA-256 of ``frame``'s values, index and column names (a cache key beside the frame).

    Two frames get the same fingerprint when their column names, index and values are equal
    in order; a different index (other customer ids) gives a different one.
    """
    hashed = pd.util.hash_pandas_object(frame, index=True).to_numpy()
    columns = json.dumps([str(c) for c in frame.columns])
    return hashlib.sha256(hashed.tobytes() + columns.encode()).hexdigest()


def respondent_ids(values: pd.Series) -> pd.Series:
    """Respondent ids as text; whole numbers stored as floats (1.0) are written as ``"1"``.

    >>> respondent_ids(pd.Series([1.0, 2.0])).tolist()
    ['1', '2']
    >>> respondent_ids(pd.Series([1.5, 2.0])).tolist()
    ['1.5', '2.0']
    """
    if pd.api.types.is_float_dtype(values) and (values.dropna() % 1 == 0).all():
        values = values.astype("Int64")
    return values.astype("str")


def assignment_payload(
    key_column: str,
    ids: pd.Series,
    labels: pd.Series,
    names: Mapping[int, str],
    features: Sequence[str],
    k: int,
) -> dict[str, Any]:
    """The saved segment assignment: each row's key (``ids``, by ``labels``' index) -> segment name.

    Rows without a segment (``labels`` missing: excluded for missing values) are left out.
    """
    assigned = labels.dropna()
    return {
        "key": key_column,
        "labels": {str(ids[i]): names[int(s)] for i, s in assigned.items()},
        "names": {str(s): n for s, n in names.items()},
        "features": list(features),
        "k": k,
    }


def names_from_payload(payload: Mapping[str, Any] | None, k: int, features: Sequence[str]) -> dict[int, str]:
    """Segment names saved earlier, when they belong to the same ``k`` and ``features``; else ``{}``.

    >>> names_from_payload({"k": 2, "features": ["Q6"], "names": {"0": "Loyal", "1": "Price"}}, 2, ["Q6"])
    {0: 'Loyal', 1: 'Price'}
    >>> names_from_payload({"k": 3, "features": ["Q6"], "names": {"0": "Loyal"}}, 2, ["Q6"])
    {}
    """
    if not payload or payload.get("k") != k or payload.get("features") != list(features):
        return {}
    return {int(s): str(n) for s, n in payload.get("names", {}).items()}

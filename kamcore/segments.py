"""Segmentation: RFM scores for accounts and k-means clusters for accounts or survey respondents.

One workflow serves both sources: build a table with one row per account or respondent,
pick numeric features, call :func:`kmeans_segments`, name the segments with
:func:`describe_segments`, and profile them with :func:`segment_profile` and :func:`pca_2d`.
"""

from __future__ import annotations

import math
from typing import Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict
from sklearn.cluster import KMeans, MiniBatchKMeans
from sklearn.decomposition import PCA
from sklearn.metrics import adjusted_rand_score, calinski_harabasz_score, davies_bouldin_score
from threadpoolctl import threadpool_limits

from kamcore.errors import KamError

Scale = Literal["standard", "log", "minmax", "none"]
Impute = Literal["median"] | None
Frequency = Literal["orders", "active_months"]

#: Above this many rows the k-means fit switches to MiniBatchKMeans.
MINIBATCH_ABOVE = 10_000
#: Silhouette is exact up to this many rows and computed on a random sample of this size above.
SILHOUETTE_SAMPLE = 5_000
#: Rows (at most) and uniform reference sets used for the gap statistic.
GAP_SAMPLE = 1_000
GAP_REFERENCES = 5
#: Re-runs with other seeds used for the stability figure.
STABILITY_RUNS = 5

RFM_SEGMENTS: tuple[str, ...] = (
    "champions",
    "loyal",
    "potential_loyalist",
    "new",
    "promising",
    "need_attention",
    "about_to_sleep",
    "at_risk",
    "cant_lose",
    "hibernating",
    "lost",
)

# Rows: r_score 5 (top) .. 1; columns: fm_score 1 .. 5. See the table in rfm()'s docstring.
_RFM_GRID: dict[int, tuple[str, str, str, str, str]] = {
    5: ("new", "potential_loyalist", "potential_loyalist", "champions", "champions"),
    4: ("promising", "potential_loyalist", "potential_loyalist", "loyal", "loyal"),
    3: ("about_to_sleep", "about_to_sleep", "need_attention", "loyal", "loyal"),
    2: ("hibernating", "hibernating", "at_risk", "at_risk", "cant_lose"),
    1: ("lost", "hibernating", "at_risk", "at_risk", "cant_lose"),
}


# --------------------------------------------------------------------------- RFM


def _require_columns(table: pd.DataFrame, columns: list[str]) -> None:
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise KamError(
            "segments.missing_column",
            "The table has no column '{column}'.",
            column=missing[0],
        )


def quintile_score(values: pd.Series, higher_is_better: bool = True) -> pd.Series:
    """Score values 1–5 by quintile of their rank (5 = best); equal values get equal scores.

    Parameters
    ----------
    values : pd.Series
        Numbers, no missing values.
    higher_is_better : bool
        False for recency, where fewer days since the last purchase is better.

    Returns
    -------
    pd.Series
        Integer scores 1..5, same index.

    Notes
    -----
    With ``r`` the average rank (ties share it) among ``n`` values,
    ``score = floor(5 * (r - 0.5) / n) + 1``. The mid-rank makes the scale symmetric
    (five distinct values score 1, 2, 3, 4, 5) and, unlike ``pd.qcut``, never fails on
    repeated bin edges when many values are equal.
    """
    n = len(values)
    if n == 0:
        return pd.Series([], index=values.index, dtype="int64")
    oriented = values if higher_is_better else -values
    ranks = oriented.rank(method="average").to_numpy(dtype=float)
    scores = np.floor(5.0 * (ranks - 0.5) / n).astype("int64") + 1
    return pd.Series(np.clip(scores, 1, 5), index=values.index, name=values.name)


def rfm_segment(r_score: int, fm_score: int) -> str:
    """The named RFM segment (a code) for a recency score and a combined frequency–monetary score."""
    return _RFM_GRID[int(r_score)][int(fm_score) - 1]


def rfm(
    transactions: pd.DataFrame,
    customer: str,
    date: str,
    value: str,
    as_of: pd.Timestamp | str | None = None,
    frequency: Frequency = "orders",
    order: str | None = None,
) -> pd.DataFrame:
    """Recency, frequency and monetary value per account, with 1–5 scores and a named segment.

    Parameters
    ----------
    transactions : pd.DataFrame
        One row per transaction or invoice line. Rows without a customer or a date are ignored;
        a missing value counts as 0.
    customer, date, value : str
        Column names of the account key, the transaction date and the amount (revenue).
    as_of : date-like, optional
        Reference date for recency. Default: the day after the latest date in the table.
    frequency : {"orders", "active_months"}
        "orders" counts distinct order ids (``order`` column) or, without one, distinct
        purchase days; "active_months" counts distinct calendar months with a purchase.
    order : str, optional
        Column with the order or invoice number.

    Returns
    -------
    pd.DataFrame
        Indexed by customer (text), columns ``last_purchase``, ``recency_days``, ``frequency``,
        ``monetary``, ``r_score``, ``f_score``, ``m_score``, ``fm_score``, ``rfm_segment``,
        sorted by customer. ``df.attrs["frequency"]`` says what was counted ("orders",
        "purchase_days" or "active_months"), ``df.attrs["as_of"]`` the reference date.

    Notes
    -----
    ``recency_days = (as_of - last purchase date).days``; ``monetary = sum(value)``.
    Scores are rank quintiles (see :func:`quintile_score`), 5 = best (most recent, most
    frequent, highest value). ``fm_score = floor((f_score + m_score + 1) / 2)`` (mean, halves
    rounded up). The segment is read from this grid of r_score (rows) × fm_score (columns):

    ======= ============== ================== ================== ========= =========
    r \\ fm  1              2                  3                  4         5
    ======= ============== ================== ================== ========= =========
    5       new            potential_loyalist potential_loyalist champions champions
    4       promising      potential_loyalist potential_loyalist loyal     loyal
    3       about_to_sleep about_to_sleep     need_attention     loyal     loyal
    2       hibernating    hibernating        at_risk            at_risk   cant_lose
    1       lost           hibernating        at_risk            at_risk   cant_lose
    ======= ============== ================== ================== ========= =========

    Examples
    --------
    >>> tx = pd.DataFrame({"c": ["a", "a", "b"], "d": pd.to_datetime(["2026-01-01",
    ...     "2026-02-01", "2026-01-15"]), "v": [10.0, 20.0, 5.0]})
    >>> row = rfm(tx, "c", "d", "v").loc["a"]
    >>> int(row["recency_days"]), int(row["frequency"]), float(row["monetary"]), row["rfm_segment"]
    (1, 2, 30.0, 'loyal')
    """
    if frequency not in ("orders", "active_months"):
        raise KamError(
            "segments.bad_option",
            "Unknown option '{value}' for '{option}'.",
            value=str(frequency),
            option="frequency",
        )
    needed = [customer, date, value] + ([order] if order else [])
    _require_columns(transactions, needed)
    dates = pd.to_datetime(transactions[date], errors="coerce").dt.normalize()
    if isinstance(transactions[customer].dtype, pd.StringDtype) and frequency != "active_months":
        fast = _rfm_columns(transactions, customer, dates, value, order)
        if fast is not None:
            return _rfm_scores(fast, customer, as_of, "orders" if order else "purchase_days")
    frame = pd.DataFrame(
        {
            "customer": transactions[customer].astype("str"),
            "date": dates,
            "value": pd.to_numeric(transactions[value], errors="coerce").fillna(0.0),
        }
    )
    frame = frame.assign(customer=frame["customer"].where(transactions[customer].notna()))
    if order:
        frame = frame.assign(order=transactions[order].astype("str"))
    frame = frame.dropna(subset=["customer", "date"])
    if frame.empty:
        raise KamError(
            "segments.no_transactions",
            "There are no transactions with both a customer and a date.",
        )
    reference = (
        frame["date"].max() + pd.Timedelta(days=1) if as_of is None else pd.Timestamp(as_of).normalize()
    )

    grouped = frame.groupby("customer", sort=True)
    last = grouped["date"].max()
    if frequency == "active_months":
        counted = frame.assign(month=frame["date"].dt.to_period("M"))
        freq = counted.groupby("customer")["month"].nunique()
        frequency_label = "active_months"
    elif order:
        freq = grouped["order"].nunique()
        frequency_label = "orders"
    else:
        freq = grouped["date"].nunique()
        frequency_label = "purchase_days"

    result = pd.DataFrame(
        {
            "last_purchase": last,
            "recency_days": (reference - last).dt.days.astype("int64"),
            "frequency": freq.reindex(last.index).astype("int64"),
            "monetary": grouped["value"].sum().astype(float),
        }
    )
    result.index.name = customer
    return _scored(result, reference, frequency_label)


def _rfm_columns(
    transactions: pd.DataFrame, customer: str, dates: pd.Series, value: str, order: str | None
) -> tuple[pd.DataFrame, pd.Timestamp] | None:
    """Last purchase, count and value per customer on integer codes (text customer ids).

    The same figures as the groupby in :func:`rfm`, computed on the customer codes the
    portfolio analyses already made for this column (see ``portfolio.customer_codes``):
    no second grouping of a million text ids. None when no row has a customer and a date.
    """
    from kamcore.portfolio import customer_codes

    codes, customers = customer_codes(transactions[customer])
    day = dates.to_numpy()
    valid = (codes >= 0) & ~np.isnat(day)
    if not valid.any():
        return None
    c, d = codes[valid], day[valid]
    amounts = pd.to_numeric(transactions[value], errors="coerce").fillna(0.0).to_numpy(dtype=float)[valid]
    n = len(customers)
    present = np.bincount(c, minlength=n) > 0
    # One sort of (code, day) keys gives each customer's last day and distinct days.
    days = d.astype("datetime64[D]").view("int64")
    first_day = int(days.min())
    day_span = int(days.max()) - first_day + 1
    keys = np.sort(c.astype("int64") * day_span + (days - first_day))
    owner = keys // day_span
    ends = np.flatnonzero(np.r_[owner[1:] != owner[:-1], True])
    last = np.full(n, np.datetime64("NaT"), dtype=d.dtype)
    last[owner[ends]] = (first_day + keys[ends] % day_span).astype("datetime64[D]").astype(d.dtype)
    if order:
        # Distinct orders per customer (nunique skips a missing order number).
        numbers = pd.factorize(transactions[order].astype("str"))[0][valid].astype("int64")
        known = numbers >= 0
        span = int(numbers.max()) + 1 if known.any() else 1
        keys = np.sort(c[known].astype("int64") * span + numbers[known])
        owner = keys // span
    distinct = np.r_[True, keys[1:] != keys[:-1]] if keys.size else np.zeros(0, dtype=bool)
    counted = np.bincount(owner[distinct], minlength=n)
    monetary = np.bincount(c, weights=amounts, minlength=n)
    index = pd.Index(customers[present], name=customer)
    reference = pd.Timestamp(d.max()) + pd.Timedelta(days=1)
    frame = pd.DataFrame(
        {"last_purchase": last[present], "frequency": counted[present].astype("int64"), "monetary": monetary[present]},
        index=index,
    )
    return frame, reference


def _rfm_scores(
    found: tuple[pd.DataFrame, pd.Timestamp], customer: str, as_of: pd.Timestamp | str | None, label: str
) -> pd.DataFrame:
    frame, latest = found
    reference = latest if as_of is None else pd.Timestamp(as_of).normalize()
    last = frame["last_purchase"]
    result = pd.DataFrame(
        {
            "last_purchase": last,
            "recency_days": (reference - last).dt.days.astype("int64"),
            "frequency": frame["frequency"],
            "monetary": frame["monetary"].astype(float),
        }
    )
    result.index.name = customer
    return _scored(result, reference, label)


def _scored(result: pd.DataFrame, reference: pd.Timestamp, frequency_label: str) -> pd.DataFrame:
    """Add the 1-5 scores and the named segment to recency/frequency/monetary per account."""
    r = quintile_score(result["recency_days"], higher_is_better=False)
    f = quintile_score(result["frequency"])
    m = quintile_score(result["monetary"])
    fm = (f + m + 1) // 2
    result = result.assign(r_score=r, f_score=f, m_score=m, fm_score=fm)
    grid = np.array([[""] * 6] + [["", *_RFM_GRID[score]] for score in range(1, 6)], dtype=object)
    result = result.assign(rfm_segment=grid[r.to_numpy(), fm.to_numpy()].astype("str"))
    result.attrs["frequency"] = frequency_label
    result.attrs["as_of"] = reference
    return result


def account_features(transactions: pd.DataFrame, as_of: pd.Timestamp | str | None = None) -> pd.DataFrame:
    """RFM and margin features per account from canonical transactions (see kamcore.tables).

    Parameters
    ----------
    transactions : pd.DataFrame
        Canonical columns ``customer_id``, ``date``, ``revenue``; optional ``order_id``,
        ``profit``, ``customer_name``.
    as_of : date-like, optional
        Reference date for recency (default: the day after the latest date).

    Returns
    -------
    pd.DataFrame
        The columns of :func:`rfm` indexed by ``customer_id``, plus ``margin_pct`` (profit /
        revenue, missing when revenue ≤ 0 or no profit column) and ``customer_name`` when known.
    """
    order = "order_id" if "order_id" in transactions.columns else None
    result = rfm(transactions, "customer_id", "date", "revenue", as_of=as_of, order=order)
    if isinstance(transactions["customer_id"].dtype, pd.StringDtype):
        return _margin_and_names_by_codes(transactions, result)
    keys = transactions["customer_id"].astype("str")
    revenue = pd.to_numeric(transactions["revenue"], errors="coerce").groupby(keys).sum()
    if "profit" in transactions.columns:
        profit = pd.to_numeric(transactions["profit"], errors="coerce").groupby(keys).sum()
        margin = (profit / revenue.where(revenue > 0)).reindex(result.index)
    else:
        margin = pd.Series(np.nan, index=result.index)
    result = result.assign(margin_pct=margin.astype(float))
    if "customer_name" in transactions.columns:
        names = transactions["customer_name"].groupby(keys).first()
        result = result.assign(customer_name=names.reindex(result.index).astype("str"))
    return result


def _margin_and_names_by_codes(transactions: pd.DataFrame, result: pd.DataFrame) -> pd.DataFrame:
    """:func:`account_features`' margin and name for a text ``customer_id``, grouped on the
    customer codes the portfolio analyses already made for the column (no second grouping of a
    million text ids). The same figures as the text groupby: the sums are pandas' grouped sums
    over the same rows in the same order, the name the first non-missing one per customer."""
    from kamcore.portfolio import customer_codes

    codes, customers = customer_codes(transactions["customer_id"])
    codes = np.asarray(codes)
    known = codes >= 0
    keys = codes[known]
    # where each account of ``result`` (a subset of the sorted distinct ids) sits among the codes
    positions = customers.get_indexer(result.index)

    if "profit" in transactions.columns:
        # the codes as categories: pandas groups on them as they are (no hashing of a million keys)
        groups = pd.Categorical.from_codes(keys, categories=pd.RangeIndex(len(customers)))
        sums = pd.DataFrame(
            {column: pd.to_numeric(transactions[column], errors="coerce").to_numpy(dtype=float, na_value=np.nan)[known]
             for column in ("revenue", "profit")}
        ).groupby(groups, observed=False).sum()
        revenue = sums["revenue"].to_numpy()[positions]
        profit = sums["profit"].to_numpy()[positions]
        with np.errstate(divide="ignore", invalid="ignore"):
            margin = np.where(revenue > 0, profit / np.where(revenue > 0, revenue, 1.0), np.nan)
    else:
        margin = np.full(len(result), np.nan)
    result = result.assign(margin_pct=pd.Series(margin, index=result.index, dtype=float))
    if "customer_name" in transactions.columns:
        names = transactions["customer_name"]
        named = known & names.notna().to_numpy()
        rows = np.flatnonzero(named)
        first = np.full(len(customers), len(codes), dtype=np.int64)
        np.minimum.at(first, codes[named], rows)  # the first row with a name, per customer
        picked = first[positions]
        has_name = picked < len(codes)
        shown = pd.Series(pd.NA, index=result.index, dtype=names.dtype)
        shown[has_name] = names.take(picked[has_name]).to_numpy()
        result = result.assign(customer_name=shown.astype("str"))
    return result


# --------------------------------------------------------------------------- k-means


class SegmentResult(BaseModel):
    """What :func:`kmeans_segments` found: labels, centroids, sizes and how k was chosen."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    #: Number of segments found (ids 1..k).
    k: int
    features: list[str]
    #: Segment id per input row (nullable Int64, input index); <NA> = excluded for missing values.
    labels: pd.Series
    #: Mean of each feature per segment, in the features' original units; index = segment id.
    centroids: pd.DataFrame
    #: Rows per segment; index = segment id.
    sizes: pd.Series
    #: One row per k tried: k, silhouette, calinski_harabasz, davies_bouldin, gap, gap_se.
    k_scores: pd.DataFrame
    #: The k each index prefers: "gap", "silhouette", "calinski_harabasz", "davies_bouldin".
    k_by_index: dict[str, int]
    #: "gap_1se", "highest_silhouette" or "fixed".
    choice_rule: str
    #: English sentence: the deciding rule and whether each other index agrees.
    choice_reason: str
    #: Mean adjusted Rand index against re-runs with other seeds (1 = always the same).
    stability_ari: float
    n_used: int
    n_excluded_missing: int
    n_imputed: int
    #: "KMeans(n_init=10)" or "MiniBatchKMeans(n_init=3, batch_size=2048)" (the technical name only).
    algorithm: str
    #: When k-means ran on the distinct rows weighted by how often each occurs: their number; else None.
    weighted_distinct_rows: int | None = None
    #: "exact" or "sample of 5000".
    silhouette_method: str
    scale: str
    #: Mean and (population) standard deviation of each feature over the segmented rows.
    overall_mean: pd.Series
    overall_std: pd.Series


def _numeric_features(table: pd.DataFrame, features: list[str]) -> pd.DataFrame:
    if not features:
        raise KamError("segments.no_features", "Choose at least one feature to cluster on.")
    _require_columns(table, list(features))
    for column in features:
        series = table[column]
        if not (pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series)):
            raise KamError(
                "segments.not_numeric",
                "Column '{column}' does not hold numbers.",
                column=str(column),
            )
    return table[list(features)].astype(float)


def _scale(values: np.ndarray, scale: Scale) -> np.ndarray:
    if scale == "none":
        return values.copy()
    if scale == "log":
        # Money and counts are heavy-tailed: on z-scores one giant account is a segment of its
        # own. sign(x)·log(1 + |x|) keeps zero and the sign of losses, then z-scores as usual.
        return _scale(np.sign(values) * np.log1p(np.abs(values)), "standard")
    if scale == "standard":
        centre = values.mean(axis=0)
        spread = values.std(axis=0)
    elif scale == "minmax":
        centre = values.min(axis=0)
        spread = values.max(axis=0) - centre
    else:
        raise KamError(
            "segments.bad_option",
            "Unknown option '{value}' for '{option}'.",
            value=str(scale),
            option="scale",
        )
    # A constant feature carries no information; dividing by 1 keeps it at zero instead of NaN.
    spread = np.where(spread > 0, spread, 1.0)
    return (values - centre) / spread


def _make_model(k: int, seed: int, minibatch: bool, n_init: int | None = None):
    if minibatch:
        return MiniBatchKMeans(n_clusters=k, n_init=n_init or 3, batch_size=2048, random_state=seed)
    return KMeans(n_clusters=k, n_init=n_init or 10, random_state=seed)


def _n_clusters(labels: np.ndarray) -> int:
    return int(np.unique(labels).size)


def _silhouettes(sample: np.ndarray, labelings: list[np.ndarray]) -> list[float]:
    """Mean silhouette of several labelings of the same rows, sharing one distance pass.

    Same definition as sklearn.metrics.silhouette_score: for row i, a = mean distance to the
    other rows of its cluster, b = smallest mean distance to another cluster,
    s = (b - a) / max(a, b), and s = 0 for a row alone in its cluster. NaN when a labeling
    has fewer than 2 or more than n - 1 clusters.
    """
    n = len(sample)
    codes = [np.unique(labels, return_inverse=True)[1] for labels in labelings]
    onehots = [np.eye(int(c.max()) + 1)[c] for c in codes]
    counts = [oh.sum(axis=0) for oh in onehots]
    totals = [0.0] * len(labelings)
    squared = np.einsum("ij,ij->i", sample, sample)
    for start in range(0, n, 500):
        block = sample[start : start + 500]
        dist = squared[start : start + 500, None] + squared[None, :] - 2.0 * block @ sample.T
        dist = np.sqrt(np.maximum(dist, 0.0))
        for i, (code, onehot, count) in enumerate(zip(codes, onehots, counts, strict=True)):
            sums = dist @ onehot
            own = code[start : start + 500]
            rows = np.arange(len(block))
            own_size = count[own]
            a = sums[rows, own] / np.maximum(own_size - 1, 1)
            means = sums / count[None, :]
            means[rows, own] = np.inf
            b = means.min(axis=1)
            s = np.where(own_size > 1, (b - a) / np.maximum(np.maximum(a, b), 1e-300), 0.0)
            totals[i] += float(s.sum())
    return [totals[i] / n if 2 <= len(counts[i]) <= n - 1 else float("nan") for i in range(len(labelings))]


def _gap(sample: np.ndarray, ks: list[int], seed: int) -> tuple[dict[int, float], dict[int, float]]:
    """Gap statistic (Tibshirani, Walther & Hastie 2001) with uniform box references."""
    rng = np.random.default_rng(seed)
    low, high = sample.min(axis=0), sample.max(axis=0)
    references = [rng.uniform(low, high, size=sample.shape) for _ in range(GAP_REFERENCES)]
    # Fewer restarts on the references than on the data: their spread, not their optimum,
    # is what the statistic needs, and this is the slowest part on large tables.
    gap: dict[int, float] = {}
    se: dict[int, float] = {}
    for k in ks:
        observed = KMeans(n_clusters=k, n_init=3, random_state=seed).fit(sample).inertia_
        log_ref = np.array(
            [
                math.log(max(KMeans(n_clusters=k, n_init=1, random_state=seed).fit(r).inertia_, 1e-12))
                for r in references
            ]
        )
        gap[k] = float(log_ref.mean() - math.log(max(observed, 1e-12)))
        se[k] = float(log_ref.std() * math.sqrt(1.0 + 1.0 / GAP_REFERENCES))
    return gap, se


def _gap_choice(ks: list[int], gap: dict[int, float], se: dict[int, float]) -> tuple[int, bool]:
    """Smallest k with gap(k) >= gap(k+1) - se(k+1), and whether any k qualified.

    When none qualifies (or only one k was tried) the k with the largest gap is returned
    with False: the range holds no clear elbow.
    """
    for k, following in zip(ks, ks[1:], strict=False):
        if gap[k] >= gap[following] - se[following]:
            return k, True
    return max(ks, key=lambda k: gap[k]), False


def _best(scores: pd.DataFrame, column: str, largest: bool) -> int | None:
    valid = scores.dropna(subset=[column])
    if valid.empty:
        return None
    values = valid[column] if largest else -valid[column]
    # idxmax takes the first maximum, so ties go to the smaller k.
    return int(valid.loc[values.idxmax(), "k"])


#: Which way each validity index is better: "max" (higher), "min" (lower) or "elbow" (gap, 1-SE rule).
INDEX_DIRECTION: dict[str, str] = {
    "silhouette": "max",
    "calinski_harabasz": "max",
    "davies_bouldin": "min",
    "gap": "elbow",
}


def best_k_by_index(k_scores: pd.DataFrame) -> dict[str, int]:
    """The k each validity index prefers, read from ``k_scores`` (one row per k tried).

    Silhouette and Calinski–Harabasz: the k with the highest value; Davies–Bouldin: the
    lowest; the gap statistic: the smallest k with gap(k) >= gap(k+1) - se(k+1) (else the
    largest gap). Ties go to the smaller k. Indices without a value are left out.
    Charts and sentences that read these numbers use this one function, so they agree.
    """
    best: dict[str, int] = {}
    if "gap" in k_scores and k_scores["gap"].notna().any():
        rows = k_scores.dropna(subset=["gap"]).sort_values("k")
        ks = [int(k) for k in rows["k"]]
        se = rows["gap_se"].fillna(0.0) if "gap_se" in rows else pd.Series(0.0, index=rows.index)
        best["gap"] = _gap_choice(ks, dict(zip(ks, rows["gap"], strict=True)), dict(zip(ks, se, strict=True)))[0]
    for name in ("silhouette", "calinski_harabasz", "davies_bouldin"):
        if name in k_scores:
            chosen = _best(k_scores, name, largest=INDEX_DIRECTION[name] == "max")
            if chosen is not None:
                best[name] = chosen
    return best


def kmeans_segments(
    table: pd.DataFrame,
    features: list[str],
    k: int | None = None,
    k_range: tuple[int, int] = (2, 8),
    scale: Scale = "standard",
    random_state: int = 0,
    impute: Impute = None,
    diagnostics: bool = True,
) -> SegmentResult:
    """Cluster the rows of a table with k-means, choosing k when it is not given.

    Parameters
    ----------
    table : pd.DataFrame
        One row per account or respondent; ``features`` must be numeric columns.
    features : list[str]
        Columns to cluster on.
    k : int, optional
        Number of segments. None chooses k in ``k_range`` (inclusive): see Notes.
    k_range : (int, int)
        Smallest and largest k tried when ``k`` is None.
    scale : {"standard", "log", "minmax", "none"}
        Feature scaling before clustering: z-scores, z-scores of sign(x)·log(1 + |x|) (for
        heavy-tailed money and counts), 0–1 range, or the raw values.
    random_state : int
        Seed for k-means, the silhouette sample and the gap references.
    impute : {None, "median"}
        None excludes rows with a missing feature (counted in ``n_excluded_missing``);
        "median" fills them with the column median (counted in ``n_imputed``).
    diagnostics : bool
        With ``k`` given, False skips everything but the one fit: the quality indices
        (``k_scores`` then holds NaN) and ``stability_ari`` (NaN). Ignored when k is chosen.

    Returns
    -------
    SegmentResult
        ``labels`` (nullable Int64, aligned with ``table.index``, <NA> for excluded rows),
        segment ids 1..k ordered by the centroid of the first feature (then the next features,
        then size); ``centroids`` in the original units (the mean of each feature per
        segment); ``k_scores`` for every k tried; ``k_by_index`` the k each index prefers.

    Notes
    -----
    Up to 10,000 rows: ``KMeans(n_init=10)``; above: ``MiniBatchKMeans(n_init=3,
    batch_size=2048)``. Silhouette (higher is better) is exact up to 5,000 rows, on a random
    sample of 5,000 above. Calinski–Harabasz (higher is better) and Davies–Bouldin (lower is
    better) use all rows. The gap statistic uses at most 1,000 rows and 5 uniform reference
    sets over the data's bounding box: ``gap(k) = mean_b log W*_kb - log W_k`` with W the
    within-cluster sum of squares, ``gap_se = sd_b(log W*_kb) * sqrt(1 + 1/B)``; its preferred
    k is the smallest with ``gap(k) >= gap(k+1) - gap_se(k+1)``. ``stability_ari`` is the mean
    adjusted Rand index between the chosen labels and 5 re-runs with seeds
    ``random_state + 1 .. + 5``. Rows are put in a canonical (sorted) order before fitting so
    the result does not depend on the order of the input rows. Where rows repeat a lot (RFM
    scores: at most 125 different rows for any number of accounts), k-means runs on the
    distinct rows weighted by how often each occurs — the same objective, a fraction of the
    work — with ``KMeans(n_init=10)`` whatever the number of rows.

    Choice rule (``choice_rule``): "gap_1se" — the gap statistic's k, because the
    silhouette favours the coarsest well-separated split (on case B it prefers 2 segments
    over the 3 real ones); "highest_silhouette" — used when no k in the range satisfies the
    gap rule (no elbow); "fixed" — k given. ``choice_reason`` says which rule decided and
    whether each other index agrees; ``k_by_index`` holds every index's preferred k.
    """
    # Many small k-means fits: OpenMP worker threads cost more than they save here, and on a
    # shared server they fight other sessions for cores (10x slower under load when measured).
    with threadpool_limits(limits=1):
        return _kmeans_segments(table, features, k, k_range, scale, random_state, impute, diagnostics)


def _kmeans_segments(
    table: pd.DataFrame,
    features: list[str],
    k: int | None,
    k_range: tuple[int, int],
    scale: Scale,
    random_state: int,
    impute: Impute,
    diagnostics: bool = True,
) -> SegmentResult:
    """The steps of :func:`kmeans_segments`, top to bottom (see there)."""
    _check_impute(impute)
    rows = _Rows(*_complete_rows(table, features, impute))
    ks = _candidate_ks(k, k_range, rows)
    fitter = _Fitter(rows, scale)
    silhouette_method = silhouette_method_of(rows.n_used)
    common = {
        "n_excluded": rows.n_excluded, "n_imputed": rows.n_imputed, "algorithm": fitter.algorithm,
        "weighted_distinct_rows": fitter.weighted_distinct_rows, "silhouette_method": silhouette_method, "scale": scale,
    }  # fmt: skip
    if k is not None and not diagnostics:
        nan = float("nan")
        return _result(
            fitter.fit(int(k), random_state), table, rows, features,
            k_scores=pd.DataFrame([{"k": int(k), "silhouette": nan, "calinski_harabasz": nan, "davies_bouldin": nan, "gap": nan, "gap_se": nan}]),
            k_by_index={}, choice_rule="fixed", choice_reason=f"k = {int(k)} was set by the user.",
            stability_ari=nan, **common,
        )  # fmt: skip
    k_scores, fitted, gap, gap_se = _score_ks(fitter, ks, random_state)
    chosen_k, choice_rule, k_by_index = _choose_k(k, ks, k_scores, gap, gap_se)
    choice_reason = _choice_reason(chosen_k, choice_rule, k_scores, k_by_index)
    labels = fitted[chosen_k]
    return _result(
        labels, table, rows, features,
        k_scores=k_scores, k_by_index=k_by_index, choice_rule=choice_rule, choice_reason=choice_reason,
        stability_ari=_stability(fitter, labels, chosen_k, random_state), **common,
    )  # fmt: skip


def _check_impute(impute: Impute) -> None:
    if impute not in (None, "median"):
        raise KamError(
            "segments.bad_option",
            "Unknown option '{value}' for '{option}'.",
            value=str(impute),
            option="impute",
        )


def _complete_rows(table: pd.DataFrame, features: list[str], impute: Impute) -> tuple[pd.DataFrame, int, int]:
    """The numeric feature rows that can be used (imputed if asked), rows excluded, rows imputed."""
    values = _numeric_features(table, features).reset_index(drop=True)
    missing_rows = values.isna().any(axis=1)
    n_imputed = 0
    if impute == "median":
        n_imputed = int(missing_rows.sum())
        values = values.fillna(values.median())
        # A column with no value at all still has no median; those rows must go.
        missing_rows = values.isna().any(axis=1)
    return values.loc[~missing_rows], int(missing_rows.sum()), n_imputed


class _Rows:
    """The rows to cluster in canonical (sorted) order, with where they came from."""

    def __init__(self, values: pd.DataFrame, n_excluded: int, n_imputed: int) -> None:
        # Canonical row order: identical inputs in any order give identical fits and samples.
        order = np.lexsort(values.to_numpy().T[::-1])
        self.values = values.iloc[order]
        self.positions = self.values.index.to_numpy()  # row positions in the input table
        self.original = self.values.to_numpy(dtype=float)
        self.n_used = len(self.values)
        # Sorted rows: a row differing from the one before starts a new distinct row.
        self.starts = np.ones(self.n_used, dtype=bool)
        if self.n_used > 1:
            self.starts[1:] = (self.original[1:] != self.original[:-1]).any(axis=1)
        self.n_distinct = int(self.starts.sum())
        self.n_excluded = n_excluded
        self.n_imputed = n_imputed


def _too_few_rows(rows: _Rows, k: int) -> KamError:
    return KamError(
        "segments.too_few_rows",
        "Only {n} complete rows with {distinct} different answers: too few for {k} segments.",
        n=rows.n_used,
        distinct=rows.n_distinct,
        k=k,
    )


def _candidate_ks(k: int | None, k_range: tuple[int, int], rows: _Rows) -> list[int]:
    """The numbers of segments to try: ``[k]`` when given, else the range the rows allow."""
    if k is not None:
        if k < 2:
            raise KamError("segments.bad_k", "The number of segments must be at least 2.")
        if rows.n_distinct < k or rows.n_used <= k:
            raise _too_few_rows(rows, k)
        return [int(k)]
    low, high = int(k_range[0]), int(k_range[1])
    if low < 2 or high < low:
        raise KamError("segments.bad_k", "The number of segments must be at least 2.")
    high = min(high, rows.n_distinct - 1, rows.n_used - 1)
    if high < low:
        raise _too_few_rows(rows, low)
    return list(range(low, high + 1))


class _Fitter:
    """k-means on the scaled rows: on distinct rows weighted by count where rows repeat a lot,
    MiniBatchKMeans above ``MINIBATCH_ABOVE`` rows, else KMeans."""

    def __init__(self, rows: _Rows, scale: Scale) -> None:
        self.n_used = rows.n_used
        self.scaled = _scale(rows.original, scale)
        self.weighted = rows.n_distinct <= MINIBATCH_ABOVE and 4 * rows.n_distinct <= rows.n_used
        self.minibatch = rows.n_used > MINIBATCH_ABOVE and not self.weighted
        self.algorithm = "MiniBatchKMeans(n_init=3, batch_size=2048)" if self.minibatch else "KMeans(n_init=10)"
        self.weighted_distinct_rows: int | None = rows.n_distinct if self.weighted else None
        if self.weighted:
            self.group = np.cumsum(rows.starts) - 1
            self.points, self.weights = self.scaled[rows.starts], np.bincount(self.group).astype(float)

    def fit(self, n_clusters: int, seed: int) -> np.ndarray:
        """Raw cluster labels of the sorted rows."""
        if self.weighted:
            model = KMeans(n_clusters=n_clusters, n_init=10, random_state=seed)
            return model.fit(self.points, sample_weight=self.weights).labels_[self.group]
        return _make_model(n_clusters, seed, self.minibatch).fit_predict(self.scaled)


def _score_ks(
    fitter: _Fitter, ks: list[int], random_state: int
) -> tuple[pd.DataFrame, dict[int, np.ndarray], dict[int, float], dict[int, float]]:
    """Fit every k and score it: silhouette, Calinski–Harabasz, Davies–Bouldin and the gap."""
    n_used, scaled = fitter.n_used, fitter.scaled
    # One generator, drawn in this order (gap rows, then silhouette rows): results are reproducible.
    rng = np.random.default_rng(random_state)
    gap_rows = (
        np.sort(rng.choice(n_used, size=GAP_SAMPLE, replace=False))
        if n_used > GAP_SAMPLE
        else np.arange(n_used)
    )
    gap, gap_se = _gap(scaled[gap_rows], ks, random_state)

    fitted = {n_clusters: fitter.fit(n_clusters, random_state) for n_clusters in ks}
    silhouette_rows = (
        np.sort(rng.choice(n_used, size=SILHOUETTE_SAMPLE, replace=False))
        if n_used > SILHOUETTE_SAMPLE
        else np.arange(n_used)
    )
    silhouettes = _silhouettes(scaled[silhouette_rows], [fitted[n][silhouette_rows] for n in ks])
    rows = []
    for n_clusters, silhouette in zip(ks, silhouettes, strict=True):
        labels = fitted[n_clusters]
        usable = 2 <= _n_clusters(labels) <= n_used - 1
        rows.append(
            {
                "k": n_clusters,
                "silhouette": silhouette,
                "calinski_harabasz": float(calinski_harabasz_score(scaled, labels)) if usable else np.nan,
                "davies_bouldin": float(davies_bouldin_score(scaled, labels)) if usable else np.nan,
                "gap": gap[n_clusters],
                "gap_se": gap_se[n_clusters],
            }
        )
    return pd.DataFrame(rows), fitted, gap, gap_se


def _choose_k(
    k: int | None, ks: list[int], k_scores: pd.DataFrame, gap: dict[int, float], gap_se: dict[int, float]
) -> tuple[int, str, dict[int, int]]:
    """The chosen k, the rule that chose it and every index's preferred k (see kmeans_segments)."""
    gap_k, gap_has_elbow = _gap_choice(ks, gap, gap_se)
    k_by_index = {
        name: best
        for name, best in best_k_by_index(k_scores).items()
        if name in ("gap", "silhouette", "calinski_harabasz", "davies_bouldin")
    }
    k_by_index = {"gap": gap_k, **{n: b for n, b in k_by_index.items() if n != "gap"}}
    if k is not None:
        return int(k), "fixed", k_by_index
    if gap_has_elbow or "silhouette" not in k_by_index:
        return gap_k, "gap_1se", k_by_index
    return k_by_index["silhouette"], "highest_silhouette", k_by_index


def _stability(fitter: _Fitter, labels: np.ndarray, chosen_k: int, random_state: int) -> float:
    """Mean adjusted Rand index between ``labels`` and re-runs with seeds random_state + 1, 2 ..."""
    stability = [
        adjusted_rand_score(labels, fitter.fit(chosen_k, random_state + run)) for run in range(1, STABILITY_RUNS + 1)
    ]
    return float(np.mean(stability))


def silhouette_method_of(n_used: int) -> str:
    return "exact" if n_used <= SILHOUETTE_SAMPLE else f"sample of {SILHOUETTE_SAMPLE}"


def _result(
    labels: np.ndarray,
    table: pd.DataFrame,
    rows: _Rows,
    features: list[str],
    *,
    k_scores: pd.DataFrame,
    k_by_index: dict[str, int],
    choice_rule: str,
    choice_reason: str,
    stability_ari: float,
    n_excluded: int,
    n_imputed: int,
    algorithm: str,
    weighted_distinct_rows: int | None,
    silhouette_method: str,
    scale: str,
) -> SegmentResult:
    """The result for ``labels`` (raw cluster ids of the sorted rows), segments renumbered."""
    n_used = len(labels)
    segment_of_row, centroids, sizes = _renumber(labels, rows.original, features)
    filled = np.zeros(len(table), dtype="int64")
    filled[rows.positions] = segment_of_row
    missing = np.ones(len(table), dtype=bool)
    missing[rows.positions] = False
    label_array = pd.arrays.IntegerArray(filled, missing)
    full_labels = pd.Series(label_array, index=table.index, name="segment")
    segment_ids = list(centroids.index)

    return SegmentResult(
        k=len(segment_ids),
        features=list(features),
        labels=full_labels,
        centroids=centroids,
        sizes=sizes,
        k_scores=k_scores,
        k_by_index=k_by_index,
        choice_rule=choice_rule,
        choice_reason=choice_reason,
        stability_ari=stability_ari,
        n_used=n_used,
        n_excluded_missing=n_excluded,
        n_imputed=n_imputed,
        algorithm=algorithm,
        weighted_distinct_rows=weighted_distinct_rows,
        silhouette_method=silhouette_method,
        scale=scale,
        overall_mean=rows.values.mean(),
        overall_std=rows.values.std(ddof=0),
    )


def _renumber(
    labels: np.ndarray, original: np.ndarray, features: list[str]
) -> tuple[np.ndarray, pd.DataFrame, pd.Series]:
    """Segments 1..k ordered by centroid (original units) of the features in order, then size.

    Returns each row's segment, the centroids and the sizes, both indexed by segment.
    """
    raw_ids, codes = np.unique(labels, return_inverse=True)
    sizes_raw = np.bincount(codes, minlength=len(raw_ids))
    centroids_raw = np.vstack([original[codes == i].mean(axis=0) for i in range(len(raw_ids))])
    keys = [*(centroids_raw[:, j] for j in range(centroids_raw.shape[1]))][::-1]
    ranking = np.lexsort([-sizes_raw, *keys])
    rank_of_code = np.empty(len(raw_ids), dtype="int64")
    rank_of_code[ranking] = np.arange(1, len(raw_ids) + 1)
    segment_ids = list(range(1, len(raw_ids) + 1))
    centroids = pd.DataFrame(
        centroids_raw[ranking], index=pd.Index(segment_ids, name="segment"), columns=features
    )
    sizes = pd.Series(sizes_raw[ranking], index=centroids.index, name="n").astype("int64")
    return rank_of_code[codes], centroids, sizes


def _choice_reason(chosen: int, rule: str, k_scores: pd.DataFrame, k_by_index: dict[str, int]) -> str:
    by_k = k_scores.set_index("k")
    if rule == "fixed":
        return f"k = {chosen} was set by the user."
    if rule == "gap_1se":
        parts = [f"k = {chosen}: gap statistic, smallest k with gap(k) >= gap(k+1) - se(k+1)."]
    else:
        parts = [
            f"k = {chosen}: highest silhouette ({by_k.loc[chosen, 'silhouette']:.3f}); "
            "the gap statistic shows no elbow in the range."
        ]
    labels = {
        "gap": "Gap statistic",
        "silhouette": "Silhouette",
        "calinski_harabasz": "Calinski–Harabasz",
        "davies_bouldin": "Davies–Bouldin",
    }
    primary = "gap" if rule == "gap_1se" else "silhouette"
    for index, label in labels.items():
        if index == primary or index not in k_by_index:
            continue
        other = k_by_index[index]
        verdict = "agrees" if other == chosen else f"prefers k = {other}"
        parts.append(f"{label} {verdict}.")
    return " ".join(parts)


# --------------------------------------------------------------------------- naming


class NamePart(BaseModel):
    """One phrase of a segment name: a level ("high", "low", "average") for a run of features."""

    features: list[str]
    level: Literal["high", "low", "average"]


def _level(diff: float, threshold: float) -> str:
    if diff >= threshold:
        return "high"
    if diff <= -threshold:
        return "low"
    return "average"


def segment_name_parts(
    result: SegmentResult, scale_range: tuple[float, float] | None = None
) -> dict[int, list[NamePart]]:
    """The phrases that describe each segment, as (features, level) parts a UI can translate.

    Parameters
    ----------
    result : SegmentResult
        From :func:`kmeans_segments`.
    scale_range : (float, float), optional
        The answer scale (e.g. (1, 10)) when all features share one.

    Returns
    -------
    dict[int, list[NamePart]]
        Per segment id, runs of consecutive features (in feature order) with the same level;
        runs at "average" are left out unless every feature is average.

    Notes
    -----
    ``diff = centroid - overall mean``. A feature is "high" when ``diff >= t`` and "low" when
    ``diff <= -t``; ``t = 0.5 × overall standard deviation`` of the feature, or
    ``t = 0.15 × (scale max - scale min)`` when ``scale_range`` is given (so a 1–10 item is
    high 1.35 points above the mean).
    """
    parts: dict[int, list[NamePart]] = {}
    for segment, centroid in result.centroids.iterrows():
        levels = []
        for feature in result.features:
            if scale_range is not None:
                threshold = 0.15 * (float(scale_range[1]) - float(scale_range[0]))
            else:
                threshold = 0.5 * float(result.overall_std[feature])
            diff = float(centroid[feature]) - float(result.overall_mean[feature])
            levels.append(_level(diff, threshold) if threshold > 0 else "average")
        runs: list[NamePart] = []
        for feature, level in zip(result.features, levels, strict=True):
            if runs and runs[-1].level == level:
                runs[-1].features.append(feature)
            else:
                runs.append(NamePart(features=[feature], level=level))
        named = [run for run in runs if run.level != "average"]
        parts[int(segment)] = named or [NamePart(features=list(result.features), level="average")]
    return parts


def _feature_run_label(features: list[str], feature_labels: dict[str, str] | None) -> str:
    labels = [str((feature_labels or {}).get(f, f)) for f in features]
    if len(labels) <= 2:
        return ", ".join(labels)
    return f"{labels[0]}–{labels[-1]}"


def describe_segments(
    result: SegmentResult,
    feature_labels: dict[str, str] | None = None,
    scale_range: tuple[float, float] | None = None,
) -> dict[int, str]:
    """English descriptive names per segment, e.g. "high Q6–Q10" or "low recency_days, high monetary".

    Parameters
    ----------
    result : SegmentResult
        From :func:`kmeans_segments`.
    feature_labels : dict[str, str], optional
        Display label per feature (defaults to the column name).
    scale_range : (float, float), optional
        The answer scale when all features share one; see :func:`segment_name_parts`.

    Returns
    -------
    dict[int, str]
        Segment id -> name. Names are unique: a repeated name gets " (segment <id>)".

    Notes
    -----
    Runs of three or more consecutive features are written "first–last"; phrases are joined
    with ", " in feature order.
    """
    names: dict[int, str] = {}
    for segment, parts in segment_name_parts(result, scale_range).items():
        names[segment] = ", ".join(
            f"{part.level} {_feature_run_label(part.features, feature_labels)}" for part in parts
        )
    counts = pd.Series(list(names.values())).value_counts()
    return {
        segment: f"{name} (segment {segment})" if counts[name] > 1 else name
        for segment, name in names.items()
    }


# --------------------------------------------------------------------------- profiles


def segment_profile(table: pd.DataFrame, labels: pd.Series, features: list[str]) -> pd.DataFrame:
    """Mean of each feature per segment beside the overall mean of the segmented rows.

    Parameters
    ----------
    table : pd.DataFrame
        The clustered table; ``features`` numeric columns.
    labels : pd.Series
        Segment per row, aligned with ``table.index``; missing = not segmented (left out).
    features : list[str]
        Columns to profile.

    Returns
    -------
    pd.DataFrame
        One row per (segment, feature): ``segment``, ``feature``, ``n`` (rows in the segment),
        ``mean``, ``overall_mean``, ``difference`` (= mean - overall_mean), ``std``.

    Notes
    -----
    Means skip missing values, so with median imputation off they equal the centroids.
    """
    values = _numeric_features(table, features)
    aligned = labels.reindex(values.index)
    keep = aligned.notna()
    values = values.loc[keep]
    segments = aligned.loc[keep].astype("int64")
    overall = values.mean()
    grouped = values.groupby(segments)
    means = grouped.mean()
    stds = grouped.std(ddof=1)
    sizes = segments.value_counts()
    rows = [
        {
            "segment": int(segment),
            "feature": feature,
            "n": int(sizes[segment]),
            "mean": float(means.loc[segment, feature]),
            "overall_mean": float(overall[feature]),
            "difference": float(means.loc[segment, feature] - overall[feature]),
            "std": float(stds.loc[segment, feature]),
        }
        for segment in sorted(means.index)
        for feature in features
    ]
    return pd.DataFrame(
        rows, columns=["segment", "feature", "n", "mean", "overall_mean", "difference", "std"]
    )


def pca_2d(
    table: pd.DataFrame,
    features: list[str],
    scale: Scale = "standard",
    impute: Impute = None,
) -> pd.DataFrame:
    """The first two principal components of the (scaled) features, for a 2-D scatter.

    Parameters
    ----------
    table : pd.DataFrame
        Numeric ``features``.
    features : list[str]
        Columns to project.
    scale : {"standard", "log", "minmax", "none"}
        Same scaling as used for clustering.
    impute : {None, "median"}
        None leaves out rows with a missing feature; "median" fills them.

    Returns
    -------
    pd.DataFrame
        Columns ``pc1``, ``pc2`` indexed like the kept rows of ``table``;
        ``df.attrs["explained_variance_ratio"]`` holds the two shares of variance.
        With one feature (or one distinct row) ``pc2`` is 0.
    """
    values = _numeric_features(table, features)
    values = values.fillna(values.median()) if impute == "median" else values
    values = values.dropna()
    if len(values) < 2:
        raise KamError(
            "segments.too_few_rows",
            "Only {n} complete rows with {distinct} different answers: too few for {k} segments.",
            n=len(values),
            distinct=len(values),
            k=2,
        )
    scaled = _scale(values.to_numpy(dtype=float), scale)
    n_components = min(2, scaled.shape[1], scaled.shape[0])
    pca = PCA(n_components=n_components, random_state=0)
    coords = pca.fit_transform(scaled)
    ratio = [float(x) for x in np.nan_to_num(pca.explained_variance_ratio_)]
    if n_components < 2:
        coords = np.column_stack([coords, np.zeros(len(coords))])
        ratio = ratio + [0.0]
    frame = pd.DataFrame(coords[:, :2], index=values.index, columns=["pc1", "pc2"])
    frame.attrs["explained_variance_ratio"] = ratio
    return frame


def respondent_key(table: pd.DataFrame) -> str | None:
    """The column that identifies respondents in a survey table, or None to use the row number.

    Prefers a column named like "respondent", "respondent_id" or "id" (any case); otherwise
    the first non-numeric column whose values are all present and distinct.
    """
    by_name = {str(c).strip().lower().replace(" ", "_"): c for c in table.columns}
    for candidate in ("respondent", "respondent_id", "respondentid", "respondent_nr", "id"):
        if candidate in by_name and table[by_name[candidate]].notna().all():
            column = by_name[candidate]
            if table[column].is_unique:
                return str(column)
    for column in table.columns:
        series = table[column]
        if pd.api.types.is_numeric_dtype(series):
            continue
        if series.notna().all() and series.is_unique:
            return str(column)
    return None

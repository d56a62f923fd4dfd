"""Survey statistics: descriptives, the Gap model, importance–performance, reliability, loyalty, NPS.

All functions take responses as a DataFrame with one row per respondent and one numeric
column per item (blanks as NaN); see :mod:`kamcore.survey_ingest` for getting there.

Examples
--------
>>> import pandas as pd
>>> from kamcore.survey import cronbach_alpha, customer_gap, nps
>>> answers = pd.DataFrame({
...     "E_acc1": [7, 6, 7, 5], "P_acc1": [5, 5, 6, 5],
...     "E_acc2": [6, 6, 7, 4], "P_acc2": [4, 5, 5, 4],
...     "Anbefale": [9, 10, 6, 8],
... })
>>> gaps = customer_gap(answers, {"acc1": ("E_acc1", "P_acc1"), "acc2": ("E_acc2", "P_acc2")})
>>> gaps[["pair", "n", "mean_gap"]].to_records(index=False).tolist()  # perception - expectation
[('acc1', 4, -1.0), ('acc2', 4, -1.25)]
>>> round(cronbach_alpha(answers, ["P_acc1", "P_acc2"]), 3)
0.727
>>> nps(answers["Anbefale"]).score  # 2 promoters, 1 detractor of 4
25.0
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Literal, NamedTuple

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict
from scipy import stats

from kamcore.errors import KamError
from kamcore.survey_model import ItemDictionary

#: Below this many respondents a gap is flagged as too small to say anything.
SMALL_N = 10
#: With fewer non-zero differences the exact two-sided signed-rank p can never drop below
#: 2/2**5 = 0.0625, so the test cannot say anything.
MIN_WILCOXON_NONZERO = 6

QUADRANTS: tuple[str, ...] = (
    "concentrate_here",
    "keep_up_the_good_work",
    "low_priority",
    "possible_overkill",
)
LOYALTY_TYPES: tuple[str, ...] = ("true", "latent", "spurious", "none")


def _numeric(df: pd.DataFrame, items: Sequence[str]) -> pd.DataFrame:
    missing = [c for c in items if c not in df.columns]
    if missing:
        raise KamError(
            "survey.item_missing", "Column '{column}' is not in the survey.", column=str(missing[0])
        )
    cols = list(items)
    if all(pd.api.types.is_float_dtype(df[c]) for c in cols):
        return df[cols]  # already answers as floats (the usual case): no copy
    out = {}
    for col in items:
        s = df[col]
        if not pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s):
            converted = pd.to_numeric(s, errors="coerce")
            if (converted.isna() & s.notna()).any():
                raise KamError(
                    "survey.item_not_numeric",
                    "Column '{column}' holds text answers; map the labels to numbers first.",
                    column=str(col),
                )
            s = converted
        out[col] = s.astype(float)
    return pd.DataFrame(out, index=df.index)


def holm(pvalues: Sequence[float]) -> np.ndarray:
    """Holm–Bonferroni adjusted p-values; NaNs stay NaN and do not count as tests.

    Notes
    -----
    Sort the m valid p-values ascending, p_(i) -> max_{j<=i} min(1, (m - j + 1) p_(j)).
    """
    p = np.asarray(pvalues, dtype=float)
    out = np.full(p.shape, np.nan)
    valid = np.flatnonzero(~np.isnan(p))
    m = len(valid)
    if m == 0:
        return out
    order = valid[np.argsort(p[valid], kind="stable")]
    adjusted = np.minimum(1.0, (m - np.arange(m)) * p[order])
    out[order] = np.maximum.accumulate(adjusted)
    return out


# --------------------------------------------------------------------------------------
# Descriptives
# --------------------------------------------------------------------------------------


def describe_items(responses: pd.DataFrame, items: Sequence[str]) -> pd.DataFrame:
    """Per item: n, mean, s.d., median, min, max and the distribution of answers.

    Parameters
    ----------
    responses : DataFrame
        One row per respondent, numeric item columns (NaN = no answer).
    items : sequence of str
        Columns to describe.

    Returns
    -------
    DataFrame
        Columns ``item``, ``n``, ``mean``, ``sd`` (sample s.d., ddof = 1), ``median``,
        ``min``, ``max``, ``distribution`` (dict answer value -> count, ascending).
    """
    data = _numeric(responses, items)
    rows = []
    for col in items:
        v = data[col].dropna()
        counts = v.value_counts().sort_index()
        rows.append(
            {
                "item": col,
                "n": len(v),
                "mean": float(v.mean()) if len(v) else np.nan,
                "sd": float(v.std(ddof=1)) if len(v) > 1 else np.nan,
                "median": float(v.median()) if len(v) else np.nan,
                "min": float(v.min()) if len(v) else np.nan,
                "max": float(v.max()) if len(v) else np.nan,
                "distribution": {float(k): int(c) for k, c in counts.items()},
            }
        )
    return pd.DataFrame(rows, columns=["item", "n", "mean", "sd", "median", "min", "max", "distribution"])


def distribution(
    responses: pd.DataFrame, items: Sequence[str], scale: tuple[float, float] | None = None
) -> pd.DataFrame:
    """Long table of answer counts: ``item``, ``value``, ``count``, ``share`` (of the item's answers).

    With ``scale=(lo, hi)`` every whole value in lo..hi appears, unused ones with count 0.
    """
    data = _numeric(responses, items)
    rows = []
    for col in items:
        v = data[col].dropna()
        counts = v.value_counts()
        values = sorted(
            set(counts.index) | (set(np.arange(scale[0], scale[1] + 1, dtype=float)) if scale else set())
        )
        for value in values:
            c = int(counts.get(value, 0))
            rows.append((col, float(value), c, c / len(v) if len(v) else np.nan))
    return pd.DataFrame(rows, columns=["item", "value", "count", "share"])


class AnswerCounts(NamedTuple):
    """One item's answers for a histogram: counts per scale point, mean, s.d. and n."""

    counts: pd.Series  # index: every whole value lo..hi (float), values: respondents
    mean: float
    sd: float  # ddof = 1 (NaN below two answers)
    n: int


def answer_counts(values: pd.Series, scale: tuple[float, float]) -> AnswerCounts:
    """How many answered each whole value of ``scale``, with the answers' mean and s.d.

    Blank answers are left out; answers off the whole scale points are counted in ``n``,
    ``mean`` and ``sd`` but have no bar.

    >>> c = answer_counts(pd.Series([1.0, 2.0, 2.0, 5.0, None]), (1.0, 5.0))
    >>> c.counts.tolist(), c.mean, round(c.sd, 4), c.n
    ([1, 2, 0, 0, 1], 2.5, 1.7321, 4)
    """
    v = values.dropna()
    lo, hi = scale
    counts = v.value_counts().reindex(np.arange(lo, hi + 1, dtype=float), fill_value=0)
    return AnswerCounts(counts=counts, mean=float(v.mean()), sd=float(v.std(ddof=1)), n=len(v))


def dimension_scores(
    responses: pd.DataFrame, items_by_dimension: Mapping[str, Sequence[str]]
) -> pd.DataFrame:
    """Per respondent, the mean of the answered items of each dimension (NaN if none answered).

    >>> answers = pd.DataFrame({"acc1": [7, 5, None], "acc2": [5, None, None], "ava1": [2, 4, 6]})
    >>> dimension_scores(answers, {"accuracy": ["acc1", "acc2"], "availability": ["ava1"]})
       accuracy  availability
    0       6.0           2.0
    1       5.0           4.0
    2       NaN           6.0
    """
    out = {}
    for dim, items in items_by_dimension.items():
        out[dim] = _numeric(responses, items).mean(axis=1, skipna=True)
    return pd.DataFrame(out, index=responses.index)


def _items_by_dimension_and_role(
    responses: pd.DataFrame, dictionary: ItemDictionary
) -> dict[tuple[str, str], list[str]]:
    """(dimension, role) -> the dictionary's items in ``responses``, in dictionary order."""
    groups: dict[tuple[str, str], list[str]] = {}
    for r in dictionary.rows:
        if r.dimension and r.item in responses.columns:
            groups.setdefault((r.dimension, r.role), []).append(r.item)
    return groups


def describe_dimensions(responses: pd.DataFrame, dictionary: ItemDictionary) -> pd.DataFrame:
    """Per dimension and role: number of items, n, mean and s.d. of respondents' dimension scores.

    Parameters
    ----------
    responses : DataFrame
        One row per respondent.
    dictionary : ItemDictionary
        Items without a dimension are left out.

    Returns
    -------
    DataFrame
        Columns ``dimension``, ``role``, ``n_items``, ``n``, ``mean``, ``sd`` (ddof = 1).

    Notes
    -----
    A respondent's dimension score is the mean of the items of that dimension and role
    they answered; expectation and perception items are kept apart because averaging
    them would mix two different questions.
    """
    rows = []
    for (dim, role), items in _items_by_dimension_and_role(responses, dictionary).items():
        score = dimension_scores(responses, {dim: items})[dim].dropna()
        rows.append(
            {
                "dimension": dim,
                "role": role,
                "n_items": len(items),
                "n": len(score),
                "mean": float(score.mean()) if len(score) else np.nan,
                "sd": float(score.std(ddof=1)) if len(score) > 1 else np.nan,
            }
        )
    return pd.DataFrame(rows, columns=["dimension", "role", "n_items", "n", "mean", "sd"])


# --------------------------------------------------------------------------------------
# Customer gap (gap 5): paired
# --------------------------------------------------------------------------------------


def signed_rank_p(differences: np.ndarray) -> float:
    """Two-sided Wilcoxon signed-rank p-value, the same number ``scipy.stats.wilcoxon(d)`` gives.

    Notes
    -----
    Zero differences are dropped (``zero_method="wilcox"``). Without ties or zeros scipy's
    exact distribution is used; with ties or zeros and at most 13 differences scipy runs an
    exhaustive sign-flip permutation test, which it does slowly through a generic loop —
    here all 2^m sign patterns of the m non-zero ranks are enumerated in one matrix product
    (flipping a zero never changes R+, so the proportions are the same). Larger samples
    with ties use the normal approximation. NaN with fewer than 6 non-zero differences.
    """
    d = np.asarray(differences, dtype=float)
    d = d[~np.isnan(d)]
    nonzero = d[d != 0]
    m = len(nonzero)
    if m < MIN_WILCOXON_NONZERO:
        return float("nan")
    has_ties = len(np.unique(np.abs(nonzero))) < m
    if not (has_ties or m < len(d)) or len(d) > 13:
        return float(stats.wilcoxon(d).pvalue)
    ranks = stats.rankdata(np.abs(nonzero))
    observed = ranks[nonzero > 0].sum()
    signs = (np.arange(2**m)[:, None] >> np.arange(m)) & 1
    null = signs @ ranks
    gamma = abs(np.finfo(float).eps * 100 * observed)
    p_less = np.count_nonzero(null <= observed + gamma) / len(null)
    p_greater = np.count_nonzero(null >= observed - gamma) / len(null)
    return float(np.clip(2 * min(p_less, p_greater), 0.0, 1.0))


GAP_COLUMNS = [
    "pair",
    "n",
    "mean_expectation",
    "mean_perception",
    "mean_gap",
    "ci_low",
    "ci_high",
    "t_p",
    "wilcoxon_p",
    "p_holm",
    "d_z",
    "small_n",
]


def _paired_row(expectation: pd.Series, perception: pd.Series) -> dict[str, float]:
    both = expectation.notna() & perception.notna()
    e = expectation[both].to_numpy(dtype=float)
    p = perception[both].to_numpy(dtype=float)
    d = p - e
    n = len(d)
    row: dict[str, float] = {
        "n": n,
        "mean_expectation": float(e.mean()) if n else np.nan,
        "mean_perception": float(p.mean()) if n else np.nan,
        "mean_gap": float(d.mean()) if n else np.nan,
        "ci_low": np.nan,
        "ci_high": np.nan,
        "t_p": np.nan,
        "wilcoxon_p": np.nan,
        "d_z": np.nan,
    }
    if n < 2:
        return row
    mean = d.mean()
    sd = d.std(ddof=1)
    if sd == 0:
        # Everyone moved by the same amount: no spread, so no test, but the interval is the point.
        row["ci_low"] = row["ci_high"] = float(mean)
    else:
        half = stats.t.ppf(0.975, n - 1) * sd / np.sqrt(n)
        row["ci_low"], row["ci_high"] = float(mean - half), float(mean + half)
        row["t_p"] = float(stats.ttest_rel(p, e).pvalue)
        row["d_z"] = float(mean / sd)
    row["wilcoxon_p"] = signed_rank_p(d)
    return row


def customer_gap(responses: pd.DataFrame, pairs: Mapping[str, tuple[str, str]]) -> pd.DataFrame:
    """Customer gap (gap 5) per pair: perception minus expectation on the same respondents.

    Parameters
    ----------
    responses : DataFrame
        One row per respondent with the expectation and perception columns.
    pairs : mapping
        Pair name -> (expectation_column, perception_column).

    Returns
    -------
    DataFrame
        One row per pair: ``pair``, ``n`` (respondents who answered both), ``mean_expectation``,
        ``mean_perception``, ``mean_gap``, ``ci_low``, ``ci_high``, ``t_p``,
        ``wilcoxon_p``, ``p_holm``, ``d_z``, ``small_n`` (n < 10).

    Notes
    -----
    With d_i = P_i - E_i over the n respondents who answered both:
    mean_gap = mean(d); CI = mean(d) ± t_{0.975, n-1} · sd(d)/√n (sd with ddof = 1);
    t_p = paired t-test (``scipy.stats.ttest_rel``); wilcoxon_p = signed-rank test on d
    (as ``scipy.stats.wilcoxon`` with its defaults, see :func:`signed_rank_p`), NaN with
    fewer than 6 non-zero differences; p_holm = Holm over the pairs on t_p;
    d_z = mean(d) / sd(d). Negative gaps are shortfalls. When every d_i is equal the
    t-test, d_z and p are NaN and the CI collapses to the mean.
    """
    cols = sorted({c for ep in pairs.values() for c in ep}, key=str)
    data = _numeric(responses, cols)
    rows = []
    for name, (e_col, p_col) in pairs.items():
        row = _paired_row(data[e_col], data[p_col])
        row["pair"] = name
        rows.append(row)
    out = pd.DataFrame(rows, columns=[c for c in GAP_COLUMNS if c not in ("p_holm", "small_n")])
    out["p_holm"] = holm(out["t_p"].to_numpy()) if len(out) else []
    out["small_n"] = out["n"] < SMALL_N
    return out[GAP_COLUMNS].astype({"n": int, "small_n": bool})


def _gap_pairs_by_dimension(dictionary: ItemDictionary) -> dict[str, list[str]]:
    """Dimension -> names of its gap pairs (a pair's dimension is its expectation item's, else
    its perception item's); pairs without a dimension are left out."""
    dim_of = dictionary.dimension_of()
    by_dim: dict[str, list[str]] = {}
    for name, (e_col, p_col) in dictionary.pairs("gap").items():
        dim = dim_of.get(e_col) or dim_of.get(p_col)
        if dim:
            by_dim.setdefault(dim, []).append(name)
    return by_dim


def _paired_dimension_frame(
    responses: pd.DataFrame, dictionary: ItemDictionary
) -> tuple[pd.DataFrame, dict[str, tuple[str, str]]]:
    pairs = dictionary.pairs("gap")
    by_dim = {dim: [pairs[n] for n in names] for dim, names in _gap_pairs_by_dimension(dictionary).items()}
    frame = {}
    mapping = {}
    for dim, members in by_dim.items():
        e = _numeric(responses, [m[0] for m in members])
        p = _numeric(responses, [m[1] for m in members])
        # Only pairs a respondent answered on both sides enter their scores, so E and P compare like with like.
        both = e.notna().to_numpy() & p.notna().to_numpy()
        frame[f"E::{dim}"] = e.where(both).mean(axis=1)
        frame[f"P::{dim}"] = p.where(both).mean(axis=1)
        mapping[dim] = (f"E::{dim}", f"P::{dim}")
    return pd.DataFrame(frame, index=responses.index), mapping


def customer_gap_by_dimension(responses: pd.DataFrame, dictionary: ItemDictionary) -> pd.DataFrame:
    """Customer gap per dimension, on each respondent's mean over the dimension's pairs.

    Returns the columns of :func:`customer_gap` with ``dimension`` in place of ``pair``.

    Notes
    -----
    A respondent's expectation (perception) score for a dimension is the mean of the
    expectation (perception) items of the pairs in that dimension they answered on both
    sides; the paired statistics of :func:`customer_gap` are then computed on these
    scores, Holm across dimensions.
    """
    frame, mapping = _paired_dimension_frame(responses, dictionary)
    out = customer_gap(frame, mapping)
    return out.rename(columns={"pair": "dimension"})


_BY_ACCOUNT_COLUMNS = ["account", "n", "mean_gap", "worst_pair", "worst_gap"]


def gap_by_account(responses: pd.DataFrame, dictionary: ItemDictionary, account: str) -> pd.DataFrame:
    """Customer gap per account: where the shortfall sits, worst account first.

    Parameters
    ----------
    responses : DataFrame
        One row per customer respondent with the column ``account`` (the account id; blank
        rows are left out) and the expectation/perception items of the dictionary's pairs.
    dictionary : ItemDictionary
        Its ``gap`` pairs and their dimensions.
    account : str
        The account column.

    Returns
    -------
    DataFrame
        One row per account with at least one answered pair: ``account``, ``n`` (its
        respondents who answered a pair on both sides), ``mean_gap``, one ``gap::<dimension>``
        column per dimension, ``worst_pair`` and ``worst_gap``; sorted by ``mean_gap``
        (largest shortfall first), then account.

    Notes
    -----
    With d = P - E per respondent and pair: a pair's gap for an account is the mean of d over
    its respondents; ``mean_gap`` is the mean of the account's pair gaps, ``gap::<dim>`` the
    mean of the pair gaps in that dimension, and ``worst_pair`` the pair with the lowest gap
    (the first in dictionary order on ties). Means skip pairs nobody at the account answered.
    """
    pairs = dictionary.pairs("gap")
    if account not in responses.columns:
        raise KamError("survey.item_missing", "Column '{column}' is not in the survey.", column=account)
    if not pairs:
        return pd.DataFrame(columns=_BY_ACCOUNT_COLUMNS)
    cols = sorted({c for ep in pairs.values() for c in ep}, key=str)
    data = _numeric(responses, cols)
    ids = responses[account].astype("string").str.strip()
    differences = pd.DataFrame({name: data[p] - data[e] for name, (e, p) in pairs.items()}, index=responses.index)
    answered = differences.notna().any(axis=1) & ids.notna() & (ids != "")
    differences, ids = differences[answered], ids[answered]
    if differences.empty:
        return pd.DataFrame(columns=_BY_ACCOUNT_COLUMNS)
    per_pair = differences.groupby(ids.to_numpy()).mean()
    out = pd.DataFrame(index=per_pair.index)
    out["n"] = differences.groupby(ids.to_numpy()).size().astype(int)
    out["mean_gap"] = per_pair.mean(axis=1, skipna=True)
    for dim, members in _gap_pairs_by_dimension(dictionary).items():
        out[f"gap::{dim}"] = per_pair[members].mean(axis=1, skipna=True)
    out["worst_pair"] = per_pair.idxmin(axis=1, skipna=True)
    out["worst_gap"] = per_pair.min(axis=1, skipna=True)
    out = out.rename_axis("account").reset_index()
    out["account"] = out["account"].astype("str")
    return out.sort_values(["mean_gap", "account"], kind="mergesort").reset_index(drop=True)


# --------------------------------------------------------------------------------------
# Knowledge gap (gap 1) / mirror survey: two independent groups
# --------------------------------------------------------------------------------------

MIRROR_COLUMNS = [
    "item",
    "n_customers",
    "n_staff",
    "mean_customers",
    "mean_staff",
    "gap",
    "ci_low",
    "ci_high",
    "welch_p",
    "p_holm",
    "hedges_g",
    "small_n",
]


def _welch_row(x: np.ndarray, y: np.ndarray) -> dict[str, float]:
    n1, n2 = len(x), len(y)
    row = {
        "n_customers": n1,
        "n_staff": n2,
        "mean_customers": float(x.mean()) if n1 else np.nan,
        "mean_staff": float(y.mean()) if n2 else np.nan,
        "ci_low": np.nan,
        "ci_high": np.nan,
        "welch_p": np.nan,
        "hedges_g": np.nan,
    }
    row["gap"] = row["mean_customers"] - row["mean_staff"]
    if n1 < 2 or n2 < 2:
        return row
    v1, v2 = x.var(ddof=1), y.var(ddof=1)
    se2 = v1 / n1 + v2 / n2
    if se2 > 0:
        df = se2**2 / ((v1 / n1) ** 2 / (n1 - 1) + (v2 / n2) ** 2 / (n2 - 1))
        half = stats.t.ppf(0.975, df) * np.sqrt(se2)
        row["ci_low"], row["ci_high"] = row["gap"] - half, row["gap"] + half
        row["welch_p"] = float(stats.ttest_ind(x, y, equal_var=False).pvalue)
    pooled = np.sqrt(((n1 - 1) * v1 + (n2 - 1) * v2) / (n1 + n2 - 2))
    if pooled > 0:
        row["hedges_g"] = float(row["gap"] / pooled * (1 - 3 / (4 * (n1 + n2) - 9)))
    return row


def mirror_gap(customers: pd.DataFrame, staff: pd.DataFrame, items: Sequence[str]) -> pd.DataFrame:
    """Knowledge gap (gap 1): customers' own answers minus supplier staff's estimate, per item.

    Parameters
    ----------
    customers, staff : DataFrame
        One row per respondent of each group, with the same item columns (staff answer
        what they think customers expect).
    items : sequence of str
        Columns to compare.

    Returns
    -------
    DataFrame
        ``item``, ``n_customers``, ``n_staff``, ``mean_customers``, ``mean_staff``, ``gap``
        (customers − staff), ``ci_low``, ``ci_high`` (95 % Welch interval), ``welch_p``,
        ``p_holm`` (Holm over the items), ``hedges_g``, ``small_n`` (either n < 10).

    Notes
    -----
    se = √(s1²/n1 + s2²/n2); Welch–Satterthwaite df = se⁴ / ((s1²/n1)²/(n1−1) + (s2²/n2)²/(n2−1));
    CI = gap ± t_{0.975, df} · se; welch_p = ``scipy.stats.ttest_ind(equal_var=False)``;
    Hedges' g = gap / s_pooled · (1 − 3 / (4(n1 + n2) − 9)) with
    s_pooled = √(((n1−1)s1² + (n2−1)s2²)/(n1 + n2 − 2)), as ``pingouin.compute_effsize``.
    """
    cust = _numeric(customers, items)
    stf = _numeric(staff, items)
    rows = []
    for col in items:
        row = _welch_row(cust[col].dropna().to_numpy(), stf[col].dropna().to_numpy())
        row["item"] = col
        rows.append(row)
    out = pd.DataFrame(rows, columns=[c for c in MIRROR_COLUMNS if c not in ("p_holm", "small_n")])
    out["p_holm"] = holm(out["welch_p"].to_numpy()) if len(out) else []
    out["small_n"] = (out["n_customers"] < SMALL_N) | (out["n_staff"] < SMALL_N)
    return out[MIRROR_COLUMNS].astype({"n_customers": int, "n_staff": int, "small_n": bool})


# --------------------------------------------------------------------------------------
# Importance–performance analysis
# --------------------------------------------------------------------------------------


def _item_means(x: pd.DataFrame | pd.Series, what: str) -> pd.Series:
    if isinstance(x, pd.DataFrame):
        return _numeric(x, list(x.columns)).mean(axis=0, skipna=True)
    if isinstance(x, pd.Series):
        return pd.to_numeric(x, errors="coerce").astype(float)
    raise KamError(
        "survey.ipa_input", "The {what} input must be a table of answers or a list of item means.", what=what
    )


def ipa(
    importance: pd.DataFrame | pd.Series,
    performance: pd.DataFrame | pd.Series,
    crosshair: Literal["mean", "midpoint"] = "mean",
    scale: tuple[float, float] = (1, 7),
) -> pd.DataFrame:
    """Importance–performance analysis: each item's quadrant.

    Parameters
    ----------
    importance, performance : DataFrame or Series
        Either answers (rows = respondents, columns = items; the column mean is used) or
        a Series of item means indexed by item. Both must name the same items — rename the
        columns to the pair names first (``I_acc1`` and ``P_acc1`` both to ``acc1``).
    crosshair : {"mean", "midpoint"}
        Cross-hairs at the grand means (mean of the item means on each axis) or at the
        scale midpoint (scale_min + scale_max) / 2.
    scale : (min, max)
        Answer scale, used for the midpoint.

    Returns
    -------
    DataFrame
        ``item``, ``importance``, ``performance``, ``quadrant`` (concentrate_here: important,
        performing below the cross-hair; keep_up_the_good_work: important, at or above;
        low_priority: less important, below; possible_overkill: less important, at or
        above), ``importance_crosshair``, ``performance_crosshair``. A value equal to the
        cross-hair counts as high.
    """
    imp = _item_means(importance, "importance")
    perf = _item_means(performance, "performance")
    if set(imp.index) != set(perf.index):
        only = sorted(set(imp.index) ^ set(perf.index), key=str)
        raise KamError(
            "survey.ipa_items_differ",
            "Importance and performance must cover the same items; '{item}' is only in one of them.",
            item=str(only[0]),
        )
    if crosshair not in ("mean", "midpoint"):
        raise KamError("survey.bad_crosshair", "Unknown cross-hair '{crosshair}'.", crosshair=crosshair)
    perf = perf.reindex(imp.index)
    valid = imp.notna() & perf.notna()
    if crosshair == "mean":
        ci, cp = float(imp[valid].mean()), float(perf[valid].mean())
    else:
        ci = cp = (scale[0] + scale[1]) / 2
    high_i = imp >= ci
    high_p = perf >= cp
    quadrant = np.select(
        [high_i & ~high_p, high_i & high_p, ~high_i & ~high_p, ~high_i & high_p],
        list(QUADRANTS),
        default="",
    )
    quadrant = np.where(valid, quadrant, None)
    return pd.DataFrame(
        {
            "item": list(imp.index),
            "importance": imp.to_numpy(),
            "performance": perf.to_numpy(),
            "quadrant": quadrant,
            "importance_crosshair": ci,
            "performance_crosshair": cp,
        }
    )


# --------------------------------------------------------------------------------------
# Reliability
# --------------------------------------------------------------------------------------


def _alpha(values: np.ndarray) -> float:
    k = values.shape[1]
    if k < 2 or values.shape[0] < 2:
        return float("nan")
    total_var = values.sum(axis=1).var(ddof=1)
    if total_var == 0:
        return float("nan")
    return float(k / (k - 1) * (1 - values.var(axis=0, ddof=1).sum() / total_var))


def cronbach_alpha(responses: pd.DataFrame, items: Sequence[str]) -> float:
    """Cronbach's alpha of ``items`` over the respondents who answered all of them.

    Notes
    -----
    alpha = k/(k−1) · (1 − Σ s_i² / s_total²), sample variances (ddof = 1), s_total² the
    variance of the respondents' sum scores. NaN with fewer than two items or two complete
    respondents, or when the sum score does not vary.
    """
    data = _numeric(responses, items).dropna()
    return _alpha(data.to_numpy())


class AlphaResult(BaseModel):
    """Cronbach's alpha with its confidence interval."""

    alpha: float
    ci_low: float
    ci_high: float
    n: int
    n_items: int


def alpha_ci(alpha: float, n: int, k: int, confidence: float = 0.95) -> tuple[float, float]:
    """Feldt's confidence interval for Cronbach's alpha (the one ``pingouin.cronbach_alpha`` gives).

    Notes
    -----
    With df1 = n − 1 and df2 = (n − 1)(k − 1):
    low = 1 − (1 − alpha) · F⁻¹(1 − (1 − c)/2; df1, df2), high = 1 − (1 − alpha) · F⁻¹((1 − c)/2; df1, df2)
    (Feldt, Woodruff & Salih 1987). NaN when alpha is NaN or n < 2 or k < 2.
    """
    if not np.isfinite(alpha) or n < 2 or k < 2:
        return float("nan"), float("nan")
    df1 = n - 1
    df2 = df1 * (k - 1)
    low = 1 - (1 - alpha) * stats.f.isf((1 - confidence) / 2, df1, df2)
    high = 1 - (1 - alpha) * stats.f.isf((1 + confidence) / 2, df1, df2)
    return float(low), float(high)


def cronbach_alpha_ci(responses: pd.DataFrame, items: Sequence[str], confidence: float = 0.95) -> AlphaResult:
    """Cronbach's alpha of ``items`` (respondents who answered all of them) with Feldt's interval.

    Examples
    --------
    >>> df = pd.DataFrame({"a": [1, 2, 3, 4, 5], "b": [2, 2, 3, 5, 5], "c": [1, 3, 3, 4, 4]})
    >>> round(cronbach_alpha_ci(df, ["a", "b", "c"]).alpha, 4)
    0.9538
    """
    data = _numeric(responses, items).dropna()
    value = _alpha(data.to_numpy())
    low, high = alpha_ci(value, len(data), len(items), confidence)
    return AlphaResult(alpha=value, ci_low=low, ci_high=high, n=len(data), n_items=len(items))


def alpha_if_dropped(responses: pd.DataFrame, items: Sequence[str]) -> pd.DataFrame:
    """Alpha with each item left out, and the corrected item–rest correlation.

    Returns
    -------
    DataFrame
        ``item``, ``alpha_if_dropped``, ``item_rest_r`` (Pearson correlation of the item
        with the sum of the other items), ``n`` — all on the respondents who answered every
        item, so the numbers compare with :func:`cronbach_alpha` on the same rows.
    """
    data = _numeric(responses, items).dropna()
    values = data.to_numpy()
    rows = []
    for j, col in enumerate(items):
        rest = np.delete(values, j, axis=1)
        r = np.nan
        if len(values) > 1 and rest.shape[1] >= 1:
            x, y = values[:, j], rest.sum(axis=1)
            if x.std() > 0 and y.std() > 0:
                r = float(np.corrcoef(x, y)[0, 1])
        rows.append({"item": col, "alpha_if_dropped": _alpha(rest), "item_rest_r": r, "n": len(values)})
    return pd.DataFrame(rows, columns=["item", "alpha_if_dropped", "item_rest_r", "n"])


def reliability_by_dimension(responses: pd.DataFrame, dictionary: ItemDictionary) -> pd.DataFrame:
    """Cronbach's alpha per dimension and role, with its 95 % interval.

    Returns the columns ``dimension``, ``role``, ``n_items``, ``n``, ``alpha``, ``ci_low``,
    ``ci_high``. ``responses`` should already be keyed (:func:`kamcore.survey_model.apply_keys`).
    """
    rows = []
    for (dim, role), items in _items_by_dimension_and_role(responses, dictionary).items():
        result = cronbach_alpha_ci(responses, items)
        rows.append(
            {
                "dimension": dim,
                "role": role,
                "n_items": len(items),
                "n": result.n,
                "alpha": result.alpha,
                "ci_low": result.ci_low,
                "ci_high": result.ci_high,
            }
        )
    return pd.DataFrame(rows, columns=["dimension", "role", "n_items", "n", "alpha", "ci_low", "ci_high"])


# --------------------------------------------------------------------------------------
# Loyalty typology and NPS
# --------------------------------------------------------------------------------------


class LoyaltyResult(BaseModel):
    """Dick & Basu loyalty types with the cut-points that made them."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    table: pd.DataFrame
    counts: pd.DataFrame
    cut_attitude: float
    cut_repeat: float
    cut_rule: Literal["given", "median", "midpoint"]


def loyalty_types(
    attitude: pd.Series,
    repeat: pd.Series,
    cut_attitude: float | None = None,
    cut_repeat: float | None = None,
    scale: tuple[float, float] | None = None,
) -> LoyaltyResult:
    """Dick & Basu loyalty typology from relative attitude and repeat patronage.

    Parameters
    ----------
    attitude : Series
        Per respondent, e.g. overall satisfaction or "how valued do you feel".
    repeat : Series
        Per respondent (same index), e.g. repeat-purchase intention or observed repeat
        purchases.
    cut_attitude, cut_repeat : float, optional
        Cut-points; a value strictly above its cut is "high".
    scale : (min, max), optional
        When given, missing cut-points default to the scale midpoint; otherwise to the
        median of the observed values (a *relative* attitude, as Dick & Basu define it).

    Returns
    -------
    LoyaltyResult
        ``table`` (index of the inputs; ``attitude``, ``repeat``, ``loyalty_type`` in
        true / latent / spurious / none), ``counts`` (``loyalty_type``, ``n``, ``share``),
        the cut-points and the rule that set them. Respondents missing either value are
        left out.

    Notes
    -----
    true = high attitude and high repeat; latent = high attitude, low repeat;
    spurious = low attitude, high repeat (at risk); none = low and low.
    """
    a = pd.to_numeric(attitude, errors="coerce").astype(float)
    r = pd.to_numeric(repeat, errors="coerce").astype(float).reindex(a.index)
    both = a.notna() & r.notna()
    a, r = a[both], r[both]
    if not len(a):
        raise KamError(
            "survey.loyalty_no_data", "No respondent answered both the attitude and the repeat item."
        )
    rule: Literal["given", "median", "midpoint"] = "given"
    if cut_attitude is None or cut_repeat is None:
        rule = "midpoint" if scale is not None else "median"
    if cut_attitude is None:
        cut_attitude = (scale[0] + scale[1]) / 2 if scale is not None else float(a.median())
    if cut_repeat is None:
        cut_repeat = (scale[0] + scale[1]) / 2 if scale is not None else float(r.median())
    high_a, high_r = a > cut_attitude, r > cut_repeat
    kind = np.select(
        [high_a & high_r, high_a & ~high_r, ~high_a & high_r], ["true", "latent", "spurious"], "none"
    )
    table = pd.DataFrame({"attitude": a, "repeat": r, "loyalty_type": kind}, index=a.index)
    n = table["loyalty_type"].value_counts().reindex(list(LOYALTY_TYPES), fill_value=0)
    counts = pd.DataFrame({"loyalty_type": list(LOYALTY_TYPES), "n": n.to_numpy().astype(int)})
    counts["share"] = counts["n"] / len(table)
    return LoyaltyResult(
        table=table,
        counts=counts,
        cut_attitude=float(cut_attitude),
        cut_repeat=float(cut_repeat),
        cut_rule=rule,
    )


def repeat_purchase_months(transactions: pd.DataFrame, months: int = 12) -> pd.DataFrame:
    """Repeat patronage per account from transactions: in how many of the last ``months`` months it bought.

    Parameters
    ----------
    transactions : DataFrame
        Canonical columns ``customer_id`` and ``date`` (other columns ignored); credit notes
        count like any line.
    months : int
        Window length, ending with the month of the latest date in ``transactions``.

    Returns
    -------
    DataFrame
        ``customer_id`` (string), ``purchase_months`` (0..months) for every account that
        appears in ``transactions``; accounts without lines in the window get 0.

    Notes
    -----
    Counting months with a purchase, not orders, keeps one huge order from looking like
    loyalty; the scale is 0..months, so the midpoint (months / 2) is a natural cut-point.
    """
    for column in ("customer_id", "date"):
        if column not in transactions.columns:
            raise KamError(
                "survey.repeat_needs_columns",
                "Repeat purchases need the transaction columns customer_id and date; '{column}' is missing.",
                column=column,
            )
    fast = _repeat_months_by_codes(transactions, months)
    if fast is not None:
        return fast
    frame = transactions[["customer_id", "date"]].dropna()
    ids = frame["customer_id"].astype("string")
    period = pd.to_datetime(frame["date"]).dt.to_period("M")
    if period.empty:
        return pd.DataFrame(
            {"customer_id": pd.Series(dtype="string"), "purchase_months": pd.Series(dtype=int)}
        )
    last = period.max()
    inside = period > last - months
    counts = pd.DataFrame({"customer_id": ids[inside], "month": period[inside]}).drop_duplicates()
    per_account = counts.groupby("customer_id").size()
    all_ids = pd.Index(ids.unique(), dtype="string")
    result = per_account.reindex(all_ids, fill_value=0).astype(int)
    return pd.DataFrame({"customer_id": all_ids, "purchase_months": result.to_numpy()})


def _repeat_months_by_codes(transactions: pd.DataFrame, months: int) -> pd.DataFrame | None:
    """:func:`repeat_purchase_months` for a text ``customer_id`` and a plain datetime ``date``, on the
    customer codes the portfolio analyses already made for the column (a million lines: no grouping
    of text ids, no periods); None for other columns (the general path then)."""
    ids, dates = transactions["customer_id"], transactions["date"]
    if not isinstance(ids.dtype, pd.StringDtype) or not isinstance(dates.dtype, np.dtype) \
            or dates.dtype.kind != "M" or months < 1:
        return None
    from kamcore.portfolio import customer_codes

    codes, customers = customer_codes(ids)
    codes = np.asarray(codes)
    day = dates.to_numpy()
    valid = (codes >= 0) & ~np.isnat(day)
    if not valid.any():
        return None  # the general path's empty answer
    rows = np.flatnonzero(valid)
    code = codes[rows]
    month = day[rows].astype("datetime64[M]").astype(np.int64)
    first_month = int(month.max()) - months + 1  # the window: the last ``months`` months
    inside = month >= first_month
    seen = np.zeros(len(customers) * months, dtype=bool)
    seen[code[inside].astype(np.int64) * months + (month[inside] - first_month)] = True
    counts = seen.reshape(len(customers), months).sum(axis=1)
    # every account with a dated line, in the order of its first such line (as ``unique`` lists them)
    first = np.full(len(customers), len(codes), dtype=np.int64)
    np.minimum.at(first, code, rows)
    present = np.flatnonzero(first < len(codes))
    present = present[np.argsort(first[present], kind="stable")]
    return pd.DataFrame({
        "customer_id": pd.array(customers.take(present).astype("str"), dtype="string"),
        "purchase_months": counts[present].astype(int),
    })


class NpsResult(BaseModel):
    """Net Promoter Score and its parts."""

    n: int
    promoters: int
    passives: int
    detractors: int
    share_promoters: float
    share_passives: float
    share_detractors: float
    score: float


def nps(recommend: pd.Series) -> NpsResult:
    """Net Promoter Score from a 0–10 "would you recommend" item.

    Notes
    -----
    Promoters answer 9–10, passives 7–8, detractors 0–6; score = 100 · (promoters −
    detractors) / n, from −100 to 100. Blanks are left out.

    Raises
    ------
    KamError
        ``survey.nps_out_of_range`` when an answer is not a whole number 0–10,
        ``survey.nps_no_answers`` when nobody answered.
    """
    v = pd.to_numeric(recommend, errors="coerce").astype(float)
    text_bad = v.isna() & recommend.notna() & (recommend.astype("string").str.strip() != "")
    v_valid = v.dropna()
    bad = text_bad | (v.notna() & ((v < 0) | (v > 10) | (v != np.round(v))))
    if bad.any():
        position = int(np.flatnonzero(bad.to_numpy())[0])
        raise KamError(
            "survey.nps_out_of_range",
            "Row {row}: '{value}' is not a whole number from 0 to 10, so it cannot be used for NPS.",
            row=position + 2,
            value=str(recommend.iloc[position]),
        )
    n = len(v_valid)
    if n == 0:
        raise KamError("survey.nps_no_answers", "Nobody answered the recommend question.")
    promoters = int((v_valid >= 9).sum())
    detractors = int((v_valid <= 6).sum())
    passives = n - promoters - detractors
    return NpsResult(
        n=n,
        promoters=promoters,
        passives=passives,
        detractors=detractors,
        share_promoters=promoters / n,
        share_passives=passives / n,
        share_detractors=detractors / n,
        score=100.0 * (promoters - detractors) / n,
    )

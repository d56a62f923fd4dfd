"""Turn an uploaded table plus its mapping into canonical, role-named columns."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from kamcore.errors import KamError
from kamcore.schemas import DATE_ROLES, FILTER_ROLES, NUMERIC_ROLES, ColumnMapping, FilterSettings

_CHURNED_WORDS = {
    "churned", "lost", "tapt", "förlorad", "forlorad", "inactive", "inaktiv", "avsluttet", "avslutad",
}
_ACTIVE_WORDS = {"active", "aktiv", "1", "ja", "yes"}


def normalise_status(values: pd.Series) -> pd.Series:
    """Map status words in English/Norwegian/Swedish to 'active' / 'churned' (others kept, lower-case)."""
    text = values.astype("string").str.strip().str.lower()
    out = text.copy()
    out[text.isin(_CHURNED_WORDS)] = "churned"
    out[text.isin(_ACTIVE_WORDS)] = "active"
    return out


#: The status of an account the customers table does not describe (or leaves empty).
UNKNOWN_STATUS = "unknown"


def account_status(accounts: pd.DataFrame) -> pd.Series:
    """Status per customer id (index) from a canonical accounts table; empty -> "unknown".

    The last row wins when an account appears twice.
    """
    if "customer_id" not in accounts or "status" not in accounts:
        return pd.Series(dtype="string")
    rows = accounts.dropna(subset=["customer_id"]).drop_duplicates("customer_id", keep="last")
    status = rows["status"].astype("string").fillna(UNKNOWN_STATUS).replace("", UNKNOWN_STATUS)
    return pd.Series(status.to_numpy(), index=rows["customer_id"].astype("string").to_numpy(), dtype="string")


def accounts_with_status(ids: pd.Series, status: pd.Series, chosen: set[str] | frozenset[str]) -> pd.Series:
    """Boolean mask over ``ids``: the account's status (``account_status``) is in ``chosen``.

    An id the status table does not know has status "unknown".
    """
    # One hash lookup per row against the accounts on one side (a few thousand ids), not a
    # map() of every row to its status text: the same mask at a fraction of the cost.
    wanted = status.astype("string").fillna(UNKNOWN_STATUS).isin(list(chosen)).to_numpy()
    text = ids.astype("string")
    if UNKNOWN_STATUS in chosen:  # every id except those known with another status
        return ~_text_isin(text, status.index[~wanted])
    return _text_isin(text, status.index[wanted])


def _text_isin(text: pd.Series, values: pd.Index) -> np.ndarray:
    """``text.isin(values)`` as a numpy mask; for Arrow text and text ``values`` by Arrow's
    ``is_in`` directly (pandas' ``isin`` takes several times as long on a million rows)."""
    if (isinstance(text.dtype, pd.StringDtype) and text.dtype.storage == "pyarrow"
            and pd.api.types.is_string_dtype(values.dtype)
            and pd.api.types.infer_dtype(values, skipna=True) in ("string", "empty")):
        chunks = text.array.__arrow_array__()
        value_set = pa.array(values.to_numpy(dtype=object, na_value=None), type=chunks.type)
        return pc.is_in(chunks, value_set=value_set).to_numpy()
    return np.asarray(text.isin(values), dtype=bool)


# Bytes a text value that ``str.strip()`` changes starts or ends with: the ASCII whitespace
# Arrow's utf8_trim_whitespace removes (tab, LF, VT, FF, CR, 0x1c-0x1f, space) and every byte
# of a multi-byte UTF-8 character (its other whitespace, U+0085, U+00A0, U+2000.., U+3000, is
# never ASCII). A value whose first and last byte are not here has nothing to strip.
_EDGE_BYTES = np.zeros(256, dtype=bool)
_EDGE_BYTES[[9, 10, 11, 12, 13, 28, 29, 30, 31, 32]] = True
_EDGE_BYTES[0x80:] = True


def _strip_changes(chunks: pa.ChunkedArray) -> bool:
    """True unless no value of Arrow text ``chunks`` changes under ``str.strip()`` (exact).

    Reads the values' first and last bytes in place (no copy of the text); only the few
    values that start or end with whitespace or a non-ASCII character are stripped to see.
    """
    for chunk in chunks.chunks:
        if not (pa.types.is_string(chunk.type) or pa.types.is_large_string(chunk.type)):
            return True
        if len(chunk) == 0:
            continue
        _validity, offsets_buffer, data_buffer = chunk.buffers()
        width = np.int64 if pa.types.is_large_string(chunk.type) else np.int32
        offsets = np.frombuffer(offsets_buffer, dtype=width)[chunk.offset: chunk.offset + len(chunk) + 1]
        data = np.frombuffer(data_buffer, dtype=np.uint8) if data_buffer is not None else None
        if data is None or data.size == 0:
            continue  # only empty or missing values
        starts, ends = offsets[:-1], offsets[1:]
        # "clip": an empty value's neighbour byte is read, then masked out (no index arrays built)
        edge = _EDGE_BYTES[data.take(starts, mode="clip")]
        edge |= _EDGE_BYTES[data.take(ends - 1, mode="clip")]
        edge &= ends > starts
        suspects = np.flatnonzero(edge)
        if suspects.size:
            values = chunk.take(pa.array(suspects))
            if pc.any(pc.not_equal(pc.utf8_trim_whitespace(values), values)).as_py():
                return True
    return False


def _stripped_text(values: pd.Series) -> pd.Series:
    """``values.astype("string").str.strip()``; without copying Arrow text that has nothing to strip."""
    text = values.astype("string")
    dtype = text.dtype
    if isinstance(dtype, pd.StringDtype) and dtype.storage == "pyarrow":
        if not _strip_changes(text.array.__arrow_array__()):
            return text
    return text.str.strip()


def canonical(df: pd.DataFrame, mapping: ColumnMapping) -> pd.DataFrame:
    """Columns renamed to their roles and typed; ``profit`` derived as revenue − cost if unmapped.

    Parameters
    ----------
    df : table as stored in the workspace (original headers).
    mapping : role -> column; every named column must exist in ``df``.

    Returns
    -------
    DataFrame with one column per mapped role (see docs/architecture.md for dtypes).
    """
    missing = [column for column in mapping.roles.values() if column not in df.columns]
    if missing:
        raise KamError(
            "tables.mapped_column_missing",
            "The mapped column(s) {columns} are not in the table any more; check the mapping on the Data page.",
            columns=", ".join(missing),
        )
    out = pd.DataFrame(index=df.index)
    for role, column in mapping.roles.items():
        values = df[column]
        if role in NUMERIC_ROLES:
            if values.dtype != np.float64:  # float64 already: to_numeric would only copy it
                values = pd.to_numeric(values, errors="coerce").astype("float64")
        elif role in DATE_ROLES:
            if not (values.dtype.kind == "M" and isinstance(values.dtype, np.dtype)):
                values = pd.to_datetime(values, errors="coerce")
        elif role == "status":
            values = normalise_status(values)
        else:
            values = _stripped_text(values)
        out[role] = values
    if "profit" not in out and {"revenue", "cost"} <= set(out.columns):
        out["profit"] = out["revenue"] - out["cost"]
    if "customer_name" not in out and "customer_id" in out:
        out["customer_name"] = out["customer_id"]
    return out.reset_index(drop=True)


def derive_accounts(transactions: pd.DataFrame) -> pd.DataFrame:
    """One row per customer from canonical transactions: first/last date, totals, descriptors.

    ``transactions`` must hold canonical columns with at least ``customer_id``.
    """
    if "customer_id" not in transactions:
        raise KamError("tables.no_customer_id", "Map a customer column to see accounts.")
    grouped = transactions.groupby("customer_id", sort=True, dropna=True)
    accounts = pd.DataFrame(index=grouped.size().index)
    for role in ("customer_name", "region", "industry", "segment", "owner", "status", "cluster"):
        if role in transactions:
            accounts[role] = grouped[role].last()
    for role in ("revenue", "cost", "profit", "quantity"):
        if role in transactions:
            accounts[role] = grouped[role].sum(min_count=1)
    if "date" in transactions:
        accounts["first_date"] = grouped["date"].min()
        accounts["last_date"] = grouped["date"].max()
    return accounts.reset_index()


def merge_accounts(accounts: pd.DataFrame, transactions: pd.DataFrame | None) -> pd.DataFrame:
    """Account master enriched with totals from transactions (master attributes win)."""
    if transactions is None or "customer_id" not in transactions:
        return accounts
    derived = derive_accounts(transactions)
    extra = [c for c in derived.columns if c == "customer_id" or c not in accounts.columns]
    return accounts.merge(derived[extra], on="customer_id", how="left")


def apply_filters(df: pd.DataFrame, filters: FilterSettings, *, apply_period: bool = True) -> pd.DataFrame:
    """Rows of canonical ``df`` that pass the shared filters (absent columns are not filtered).

    ``filters`` empty lists mean "all"; the date range applies to ``date`` when present and
    ``apply_period`` is true; ``cluster`` is filtered by ``filters.cluster``.
    """
    mask = pd.Series(True, index=df.index)
    if apply_period and "date" in df:
        if filters.date_from is not None:
            mask &= df["date"] >= pd.Timestamp(filters.date_from)
        if filters.date_to is not None:
            mask &= df["date"] < pd.Timestamp(filters.date_to) + pd.Timedelta(days=1)
    for role in FILTER_ROLES + ("cluster",):
        chosen = getattr(filters, role)
        if chosen and role in df:
            mask &= df[role].isin(list(chosen))
    if mask.all():
        return df.reset_index(drop=True)  # no copy of the data (copy-on-write)
    return df.loc[mask].reset_index(drop=True)


def attach_segments(df: pd.DataFrame, assignment: dict | None) -> pd.DataFrame:
    """Add a ``cluster`` column (segment name) from a saved segment assignment, by customer_id.

    ``assignment`` is the Segments page's payload: ``{"key": "customer_id", "labels": {id: name}}``.
    """
    if not assignment or "customer_id" not in df or assignment.get("key") != "customer_id":
        return df
    labels: dict[str, str] = assignment.get("labels", {})
    out = df.copy()
    out["cluster"] = df["customer_id"].map(labels).astype("string")
    return out


def fiscal_year_bounds(year: int, start_month: int = 1) -> tuple[dt.date, dt.date]:
    """First and last day of the fiscal year that starts in ``year`` on the 1st of ``start_month``."""
    first = dt.date(year, start_month, 1)
    next_first = dt.date(year + 1, start_month, 1)
    return first, next_first - dt.timedelta(days=1)


def fiscal_years(first: dt.date, last: dt.date, start_month: int = 1) -> list[int]:
    """Start years of the fiscal years that overlap ``first``..``last``, newest first."""
    def start_year(day: dt.date) -> int:
        return day.year if day.month >= start_month else day.year - 1

    return list(range(start_year(last), start_year(first) - 1, -1))

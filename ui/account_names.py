"""Names of a few accounts, without rolling up every account (issue 19).

``data.accounts(filtered=False)`` derives one row per account from the transactions (a
million lines at a large client) when there is no accounts table; pages that show a few
accounts by name (the buying centre's key accounts, the survey's accounts) need only theirs.
"""

from __future__ import annotations

from collections.abc import Iterable

from kamcore import tables
from kamcore.schemas import TableKind
from ui import data


def names_of(ids: Iterable[str]) -> dict[str, str] | None:
    """Account id -> name for ``ids``, as ``data.accounts(filtered=False)`` names them: the
    accounts table's name (first row per id), else the last name on the account's transactions;
    ids without a row are left out, an account without a name maps to a missing value. None
    when there is no name to be had (no accounts table or transactions with names)."""
    wanted = list(dict.fromkeys(str(i) for i in ids))
    name = data.active_table(TableKind.accounts)
    master = data.canonical_table(name) if name else None
    if master is not None and "customer_id" in master:  # the accounts table's names win
        accounts = master.drop_duplicates("customer_id")
    else:
        txn = data.transactions(filtered=False)
        if txn is None or "customer_id" not in txn:
            return None
        mine = txn.loc[txn["customer_id"].isin(wanted).fillna(False).to_numpy(dtype=bool)]
        accounts = tables.derive_accounts(mine[[c for c in ("customer_id", "customer_name") if c in mine]])
    if "customer_name" not in accounts:
        return None
    accounts = accounts.loc[accounts["customer_id"].astype(str).isin(wanted).to_numpy(dtype=bool)]
    return dict(zip(accounts["customer_id"].astype(str), accounts["customer_name"].astype(str), strict=False))

"""Canonical columns, derived accounts and the shared filters."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from kamcore import tables
from kamcore.errors import KamError
from kamcore.schemas import ColumnMapping, FilterSettings, missing_required_roles

RAW = pd.DataFrame({
    "Kundenr": ["01", "01", "02", "03"],
    "Navn": ["Fjord AS", "Fjord AS", "Berg AB", "Vik AS"],
    "Dato": pd.to_datetime(["2025-01-10", "2026-02-01", "2026-03-01", "2026-03-02"]),
    "Salg": [100.0, 50.0, 30.0, 20.0],
    "Kost": [60.0, 70.0, 10.0, 5.0],
    "Region": ["Øst", "Øst", "Vest", "Nord"],
    "Status": ["Aktiv", "aktiv", "Tapt", "churned"],
})
MAPPING = ColumnMapping(roles={
    "customer_id": "Kundenr", "customer_name": "Navn", "date": "Dato", "revenue": "Salg",
    "cost": "Kost", "region": "Region", "status": "Status",
})


def test_canonical_renames_types_and_derives_profit():
    out = tables.canonical(RAW, MAPPING)
    assert list(out.columns) == ["customer_id", "customer_name", "date", "revenue", "cost", "region",
                                 "status", "profit"]
    assert out["profit"].tolist() == [40.0, -20.0, 20.0, 15.0]
    assert out["status"].tolist() == ["active", "active", "churned", "churned"]


def test_canonical_reports_a_mapped_column_that_disappeared():
    with pytest.raises(KamError) as caught:
        tables.canonical(RAW.drop(columns="Salg"), MAPPING)
    assert caught.value.code == "tables.mapped_column_missing"


def test_derive_accounts_sums_per_customer():
    accounts = tables.derive_accounts(tables.canonical(RAW, MAPPING))
    assert accounts["customer_id"].tolist() == ["01", "02", "03"]
    assert accounts["revenue"].tolist() == [150.0, 30.0, 20.0]
    assert accounts["profit"].tolist() == [20.0, 20.0, 15.0]
    assert accounts.loc[0, "first_date"] == pd.Timestamp("2025-01-10")


def test_filters_by_period_and_region():
    canon = tables.canonical(RAW, MAPPING)
    period = FilterSettings(date_from=dt.date(2026, 1, 1), date_to=dt.date(2026, 3, 1))
    assert tables.apply_filters(canon, period)["revenue"].tolist() == [50.0, 30.0]
    assert tables.apply_filters(canon, period, apply_period=False)["revenue"].tolist() == [100.0, 50.0, 30.0, 20.0]
    region = FilterSettings(region=("Øst",))
    assert tables.apply_filters(canon, region)["customer_id"].tolist() == ["01", "01"]


def test_segments_attach_as_a_cluster_column():
    canon = tables.canonical(RAW, MAPPING)
    out = tables.attach_segments(canon, {"key": "customer_id", "labels": {"01": "Loyal", "02": "Price-driven"}})
    assert out["cluster"].tolist()[:3] == ["Loyal", "Loyal", "Price-driven"]
    assert pd.isna(out["cluster"].iloc[3])


def test_required_roles_per_kind():
    assert missing_required_roles("transactions", ColumnMapping(roles={"customer_id": "x"})) == ["date", "revenue"]
    assert missing_required_roles("accounts", ColumnMapping(roles={"customer_id": "x"})) == []


def test_kamcore_never_imports_streamlit():
    import subprocess
    import sys

    code = ("import sys, importlib, pkgutil, kamcore\n"
            "for m in pkgutil.iter_modules(kamcore.__path__): importlib.import_module('kamcore.' + m.name)\n"
            "print('streamlit' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"


def test_fiscal_years_and_bounds():
    assert tables.fiscal_year_bounds(2025, 1) == (dt.date(2025, 1, 1), dt.date(2025, 12, 31))
    assert tables.fiscal_year_bounds(2025, 7) == (dt.date(2025, 7, 1), dt.date(2026, 6, 30))
    assert tables.fiscal_years(dt.date(2023, 11, 1), dt.date(2026, 10, 31), 1) == [2026, 2025, 2024, 2023]
    assert tables.fiscal_years(dt.date(2023, 11, 1), dt.date(2026, 10, 31), 7) == [2026, 2025, 2024, 2023]
    assert tables.fiscal_years(dt.date(2023, 11, 1), dt.date(2026, 5, 31), 7) == [2025, 2024, 2023]


def test_account_status_and_the_status_mask_by_hand():
    from kamcore.tables import UNKNOWN_STATUS, account_status, accounts_with_status, normalise_status

    accounts = pd.DataFrame(
        {
            "customer_id": ["1", "2", "3", "3", None],
            "status": normalise_status(pd.Series(["aktiv", "tapt", "aktiv", "Förlorad", "aktiv"])),
        }
    )
    accounts.loc[1, "status"] = pd.NA  # "2" has an empty status cell
    status = account_status(accounts)
    # the last row of account 3 wins; an empty cell and a row without id are handled
    assert status.to_dict() == {"1": "active", "2": UNKNOWN_STATUS, "3": "churned"}
    ids = pd.Series(["1", "2", "3", "4"])
    assert accounts_with_status(ids, status, {"active"}).tolist() == [True, False, False, False]
    # "4" is not in the customers table: its status is unknown
    assert accounts_with_status(ids, status, {"active", UNKNOWN_STATUS}).tolist() == [True, True, False, True]
    assert account_status(pd.DataFrame({"customer_id": ["1"]})).empty

"""The key-account page states the account's P(alive) and next 12 months' expected purchases and
revenue (issue 18), from the same fit on all data that health reads."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from kamcore import clv
from tests.app.conftest import new_app

DEMO = Path(__file__).resolve().parents[2] / "data" / "demo"


def demo_values() -> clv.FutureValue:
    raw = pd.read_csv(
        DEMO / "transactions.csv", sep=";", decimal=",", encoding="utf-8-sig", dtype={"Kundenr": str}
    )
    sales = pd.DataFrame(
        {
            "customer_id": raw["Kundenr"],
            "date": pd.to_datetime(raw["Fakturadato"], format="%d.%m.%Y"),
            "revenue": raw["Omsetning"].astype(float),
        }
    )
    return clv.future_value(sales)


def open_account(account: str, lang: str):
    at = new_app("home", lang=lang, timeout=180)
    at.session_state["app.start_page"] = "account"
    at.session_state["account._selected"] = account
    return at.run(timeout=180)


@pytest.mark.parametrize(
    ("account", "lang", "pattern"),
    [
        # the demo's whale (data/README.md): bought all along, likely to buy on
        ("027522", "en", "Future-value model (BG/NBD and Gamma-Gamma, all data up to 30 Oct 2026): "
                         "P(alive) {p}; next 12 months about {n} purchase days and {rev} in revenue."),
        ("027522", "nb", "Framtidig verdi (BG/NBD og Gamma-Gamma, alle data til og med 30.10.2026): "
                         "P(aktiv) {p}; neste 12 måneder omtrent {n} kjøpsdager og {rev} i omsetning."),
    ],
)  # fmt: skip
def test_the_account_page_states_p_alive_and_expected_value(make_app, account, lang, pattern):
    at = open_account(account, lang)
    assert not at.exception, [e.value for e in at.exception]
    row = demo_values().accounts.set_index("account").loc[account]
    if lang == "en":
        p, n, rev = (
            f"{row['p_alive']:.0%}",
            f"{row['expected_purchases_12m']:,.1f}",
            f"{row['expected_revenue_12m']:,.0f}",
        )
    else:
        p = f"{row['p_alive'] * 100:.0f}\u00a0%"
        n = f"{row['expected_purchases_12m']:.1f}".replace(".", ",")
        rev = f"{row['expected_revenue_12m']:,.0f}".replace(",", "\u00a0")
    expected = pattern.format(p=p, n=n, rev=rev)
    captions = [c.value for c in at.caption]
    assert expected in captions, [c for c in captions if "BG/NBD" in c]
    assert row["p_alive"] > 0.9 and row["expected_revenue_12m"] > 0
    # the health measures name P(alive) as the future-value view does: P(aktiv) in nb
    measure = {"en": "Measure", "nb": "Mål"}[lang]
    names = next(df.value[measure].tolist() for df in at.dataframe if measure in df.value.columns)
    assert {
        "en": "Chance that it still buys (P(alive), BG/NBD)",
        "nb": "Sannsynlighet for at kunden fortsatt kjøper (P(aktiv), BG/NBD)",
    }[lang] in names


def test_a_lost_account_reads_as_unlikely_to_buy(make_app):
    values = demo_values().accounts.set_index("account")
    customers = pd.read_csv(DEMO / "customers.csv", sep=";", encoding="utf-8-sig", dtype={"Kundenr": str})
    lost = customers.loc[customers["Status"] == "tapt", "Kundenr"]
    account = values.loc[values.index.isin(lost), "p_alive"].idxmin()
    at = open_account(account, "en")
    assert not at.exception, [e.value for e in at.exception]
    caption = next(c.value for c in at.caption if c.value.startswith("Future-value model"))
    assert f"P(alive) {values.loc[account, 'p_alive']:.0%};" in caption
    assert values.loc[account, "p_alive"] < 0.05

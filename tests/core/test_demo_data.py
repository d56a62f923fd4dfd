"""The committed demo data is reproducible, in Norwegian export format, and carries the planted stories."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import linear_sum_assignment
from sklearn.cluster import KMeans

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "data" / "demo"
FILES = [
    "contact_links.csv",
    "contacts.csv",
    "customers.csv",
    "our_people.csv",
    "survey_dealer.csv",
    "survey_keyareas.csv",
    "transactions.csv",
]
AREAS = ("acc", "ava", "ada", "adv")

HEADERS = {
    "transactions.csv": "Kundenr;Kundenavn;Fakturadato;Ordrenr;Produktgruppe;Omsetning;Kostnad;Antall;"
    "Region;Bransje;Selger",
    "customers.csv": "Kundenr;Kundenavn;Region;Bransje;Selger;Status;Kunde siden;Strategisk passform;"
    "Partnerskapsvilje;Kundeandel;Relasjonsstyrke",
    "survey_keyareas.csv": "Respondent;Gruppe;Kundenr;Tapt;"
    + ";".join(f"{side}_{area}{k}" for side in "EP" for area in AREAS for k in (1, 2, 3))
    + ";Anbefale;Tilfredshet;Gjenkjøp",
    "survey_dealer.csv": "Respondent;" + ";".join(f"Q{i}" for i in range(1, 13)),
    "contacts.csv": "Kundenr;Kundenavn;Kontaktperson;Stilling;Avdeling;Roller i kjøpssenter;Innflytelse;Holdning;"
    "Sist kontaktet;Sluttet",
    "our_people.csv": "Medarbeider;Rolle;Ledergruppe",
    "contact_links.csv": "Kundenr;Vår person;Kontaktperson;Styrke;Sist kontakt",
}

PUBLISHED_CENTROIDS = np.array(
    [
        [3.41, 1.90, 1.70, 2.12, 2.09],
        [5.2, 3.04, 4.33, 5.91, 3.4],
        [7.32, 7.22, 7.31, 7.15, 6.56],
    ]
)
PUBLISHED_SIZES = np.array([41, 45, 58])


def _load_generator():
    spec = importlib.util.spec_from_file_location("generate_demo", ROOT / "data" / "generate_demo.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _read(name: str, **kwargs) -> pd.DataFrame:
    return pd.read_csv(
        DEMO / name,
        sep=";",
        decimal=",",
        encoding="utf-8-sig",
        dtype={"Kundenr": str, "Ordrenr": str, "Respondent": str},
        **kwargs,
    )


@pytest.fixture(scope="module")
def generator():
    return _load_generator()


@pytest.fixture(scope="module")
def plan(generator) -> pd.DataFrame:
    return generator.build_all()["_plan"]


@pytest.fixture(scope="module")
def tx() -> pd.DataFrame:
    frame = _read("transactions.csv")
    frame["Fakturadato"] = pd.to_datetime(frame["Fakturadato"], format="%d.%m.%Y")
    return frame


@pytest.fixture(scope="module")
def customers() -> pd.DataFrame:
    frame = _read("customers.csv")
    frame["Kunde siden"] = pd.to_datetime(frame["Kunde siden"], format="%d.%m.%Y")
    return frame


@pytest.fixture(scope="module")
def accounts(tx) -> pd.DataFrame:
    per_account = tx.groupby("Kundenr").agg(
        revenue=("Omsetning", "sum"), cost=("Kostnad", "sum"), last=("Fakturadato", "max")
    )
    per_account["profit"] = per_account["revenue"] - per_account["cost"]
    return per_account.sort_values("revenue", ascending=False)


@pytest.fixture(scope="module")
def keyareas() -> pd.DataFrame:
    return _read("survey_keyareas.csv")


@pytest.fixture(scope="module")
def dealer() -> pd.DataFrame:
    return _read("survey_dealer.csv")


def _area_mean(frame: pd.DataFrame, side: str, area: str) -> pd.Series:
    return frame[[f"{side}_{area}{k}" for k in (1, 2, 3)]].mean(axis=1)


# --- reproducibility and format -------------------------------------------------------------


def test_regenerating_gives_byte_identical_files(generator, tmp_path):
    written = generator.generate(tmp_path)
    assert sorted(p.name for p in written.values()) == FILES
    assert sorted(p.name for p in DEMO.iterdir()) == FILES
    for name in FILES:
        assert (tmp_path / name).read_bytes() == (DEMO / name).read_bytes(), name


def test_demo_folder_stays_small():
    assert sum((DEMO / name).stat().st_size for name in FILES) < 8_000_000


@pytest.mark.parametrize("name", FILES)
def test_files_are_norwegian_exports(name):
    raw = (DEMO / name).read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    text = raw[3:].decode("utf-8")
    assert text.endswith("\r\n")
    assert "\n" not in text.replace("\r\n", "")
    lines = text.split("\r\n")[:-1]
    assert lines[0] == HEADERS[name]
    width = lines[0].count(";")
    assert all(line.count(";") == width for line in lines)
    assert '"' not in text


def test_numbers_and_dates_use_norwegian_notation(tx):
    lines = (DEMO / "transactions.csv").read_text(encoding="utf-8-sig").split("\r\n")[1:-1]
    cells = [line.split(";") for line in lines]
    assert all(re.fullmatch(r"\d{2}\.\d{2}\.\d{4}", row[2]) for row in cells)
    assert all(re.fullmatch(r"-?\d+,\d{2}", row[5]) and re.fullmatch(r"-?\d+,\d{2}", row[6]) for row in cells)
    assert all(re.fullmatch(r"0\d{5}", row[0]) for row in cells)
    assert tx["Omsetning"].dtype == np.float64 and tx["Kostnad"].dtype == np.float64
    assert tx["Antall"].dtype == np.int64


# --- transactions and accounts --------------------------------------------------------------


def test_transactions_cover_three_years_of_400_accounts(tx, customers):
    assert 40_000 <= len(tx) <= 70_000
    assert tx["Fakturadato"].min() >= pd.Timestamp("2023-11-01")
    assert tx["Fakturadato"].max() <= pd.Timestamp("2026-10-31")
    assert tx["Fakturadato"].dt.day_of_week.max() <= 4
    assert len(customers) == 400 and customers["Kundenr"].is_unique
    assert set(tx["Kundenr"]) == set(customers["Kundenr"])
    master = customers.set_index("Kundenr")
    for column in ("Kundenavn", "Region", "Bransje", "Selger"):
        assert (tx[column].to_numpy() == master.loc[tx["Kundenr"], column].to_numpy()).all(), column
    assert set(customers["Region"]) == {"Øst", "Vest", "Midt", "Nord", "Sør"}
    assert set(customers["Bransje"]) == {
        "Bygg og anlegg",
        "Industri",
        "Dagligvare",
        "Helse",
        "Offentlig sektor",
        "Transport og logistikk",
    }
    assert customers["Selger"].nunique() == 8
    assert customers["Kundenavn"].str.contains("[æøåÆØÅ]").sum() > 40


def test_credit_notes_are_about_one_percent_and_fully_negative(tx):
    credit = tx["Omsetning"] < 0
    assert 0.005 <= credit.mean() <= 0.015
    assert ((tx["Kostnad"] < 0) == credit).all()
    assert ((tx["Antall"] < 0) == credit).all()
    assert (tx["Antall"] != 0).all()


def test_revenue_follows_pareto(accounts):
    share_of_revenue = accounts["revenue"].cumsum() / accounts["revenue"].sum()
    accounts_for_80 = int((share_of_revenue < 0.8).sum()) + 1
    assert 0.12 <= accounts_for_80 / len(accounts) <= 0.28


def test_some_large_and_small_accounts_lose_money(accounts):
    top40 = accounts.head(40)
    assert 4 <= int((top40["profit"] < 0).sum()) <= 6
    assert int((accounts.iloc[40:]["profit"] < 0).sum()) >= 10
    margin = accounts["profit"] / accounts["revenue"]
    assert 0.15 <= margin.median() <= 0.35
    by_profit = accounts["profit"].sort_values(ascending=False)
    whale_peak = (by_profit.cumsum() / by_profit.sum()).max()
    assert whale_peak >= 1.2


def test_churned_accounts_stop_at_their_churn_date(tx, customers, accounts, plan):
    assert set(customers["Status"]) == {"aktiv", "tapt"}
    churned = customers.loc[customers["Status"] == "tapt", "Kundenr"]
    assert 8 <= len(churned) <= 14
    churn_date = plan.set_index("Kundenr")["churn_date"]
    assert set(churn_date.dropna().index) == set(churned)
    last = accounts.loc[churned, "last"]
    assert (last == churn_date.loc[churned]).all()
    assert (last >= pd.Timestamp("2025-11-01")).all()
    assert (last <= pd.Timestamp("2026-08-31")).all()
    assert not tx.loc[tx["Kundenr"].isin(churned), "Fakturadato"].ge("2026-09-01").any()


def test_new_accounts_and_planted_decliners(tx, customers, plan):
    new = customers[customers["Kunde siden"] >= pd.Timestamp("2025-11-01")]
    assert 3 <= len(new) <= 12
    first = tx.groupby("Kundenr")["Fakturadato"].min()
    assert (first.loc[new["Kundenr"]].to_numpy() >= new["Kunde siden"].to_numpy()).all()
    assert (customers["Kunde siden"] < pd.Timestamp("2023-01-01")).sum() >= 200

    last12 = tx[tx["Fakturadato"] >= "2025-11-01"].groupby("Kundenr")["Omsetning"].sum()
    prev12 = tx[tx["Fakturadato"].between("2024-11-01", "2025-10-31")].groupby("Kundenr")["Omsetning"].sum()
    decliners = plan.loc[plan["role"] == "decliner", "Kundenr"]
    assert len(decliners) >= 5
    assert (customers.set_index("Kundenr").loc[decliners, "Status"] == "aktiv").all()
    assert (last12.loc[decliners] / prev12.loc[decliners] < 0.7).all()


def test_manual_scores_are_1_to_5_with_some_empty(customers):
    for column in ("Strategisk passform", "Partnerskapsvilje"):
        filled = customers[column].dropna()
        assert set(filled.unique()) <= {1, 2, 3, 4, 5}
        assert (filled == filled.round()).all()
        assert 0.10 <= customers[column].isna().mean() <= 0.30


def test_strength_scores_are_1_to_5_with_about_15_percent_empty(customers):
    scores = customers[["Kundeandel", "Relasjonsstyrke"]]
    filled = scores.stack().dropna()
    assert set(filled.unique()) <= {1, 2, 3, 4, 5}
    assert (filled == filled.round()).all()
    assert 0.10 <= scores.isna().to_numpy().mean() <= 0.20
    for column in scores.columns:
        assert 0.10 <= scores[column].isna().mean() <= 0.20, column
        # the matrix needs spread along the strength axis, not a band around the midpoint
        assert scores[column].dropna().nunique() == 5, column


def test_strength_scores_carry_the_planted_stories(customers, plan):
    scores = customers.set_index("Kundenr")[["Kundeandel", "Relasjonsstyrke"]]
    story = plan.set_index("Kundenr")["strength_story"]
    role = plan.set_index("Kundenr")["role"]
    churned = customers.loc[customers["Status"] == "tapt", "Kundenr"]
    assert scores.loc[churned, "Relasjonsstyrke"].mean() <= 2.2
    decliners = role.index[role == "decliner"]
    assert scores.loc[decliners, "Relasjonsstyrke"].mean() <= 2.2
    assert scores.loc[churned.tolist() + decliners.tolist(), "Relasjonsstyrke"].dropna().le(2).mean() >= 0.8

    whales = role.index[role == "loss_whale"]
    assert scores.loc[whales, "Kundeandel"].mean() >= 4.0
    assert 2.5 <= scores.loc[whales, "Relasjonsstyrke"].mean() <= 3.5

    growing = story.index[story == "growing"]
    assert len(growing) >= 15
    assert (role.loc[growing].isin(["normal", "joined"])).all()
    assert (plan.set_index("Kundenr").loc[growing, "drift"] >= 0.10).all()
    assert scores.loc[growing, "Kundeandel"].mean() <= 2.2

    anchors = story.index[story == "anchor"]
    assert len(anchors) >= 10
    assert (customers.set_index("Kundenr").loc[anchors, "Kunde siden"] < pd.Timestamp("2010-01-01")).all()
    assert (scores.loc[anchors].mean() >= 4.0).all()

    rest = story.index[story == ""]
    assert scores.loc[growing, "Kundeandel"].mean() + 0.5 <= scores.loc[rest, "Kundeandel"].mean()
    assert scores.loc[anchors, "Relasjonsstyrke"].mean() - 1.0 >= scores.loc[rest, "Relasjonsstyrke"].mean()


def test_large_unprofitable_and_long_standing_accounts_are_what_the_plan_says(accounts, customers, plan):
    # the story labels must match the transactions, not only the plan
    story = plan.set_index("Kundenr")["strength_story"]
    whales = story.index[story == "whale"]
    assert len(whales) == 6
    assert (accounts.loc[whales, "profit"] < 0).all()
    anchors = story.index[story == "anchor"]
    assert (accounts.loc[anchors, "profit"] > 0).all()
    assert accounts.index.get_indexer(anchors).max() < 100


# --- key-area survey ------------------------------------------------------------------------


def test_keyarea_survey_shape_and_consistency(keyareas, customers):
    clients = keyareas[keyareas["Gruppe"] == "kunde"]
    staff = keyareas[keyareas["Gruppe"] == "leverandør"]
    assert len(clients) + len(staff) == len(keyareas)
    assert 60 <= len(clients) <= 80 and 35 <= clients["Kundenr"].nunique() <= 45
    assert 12 <= len(staff) <= 18
    status = customers.set_index("Kundenr")["Status"]
    assert (
        clients["Tapt"].map({"ja": "tapt", "nei": "aktiv"}).to_numpy()
        == status.loc[clients["Kundenr"]].to_numpy()
    ).all()
    churned = set(status[status == "tapt"].index)
    assert len(churned & set(clients["Kundenr"])) >= len(churned) - 2
    assert staff["Kundenr"].isna().all() and staff["Tapt"].isna().all()
    not_for_staff = [c for c in keyareas.columns if c.startswith("P_")] + [
        "Anbefale",
        "Tilfredshet",
        "Gjenkjøp",
    ]
    assert staff[not_for_staff].isna().all().all()
    expectations = [c for c in keyareas.columns if c.startswith("E_")]
    assert staff[expectations].notna().all().all()
    items = [c for c in keyareas.columns if c[:2] in ("E_", "P_")]
    assert keyareas[items].stack().dropna().between(1, 7).all()
    assert clients["Anbefale"].dropna().between(0, 10).all()
    assert clients[["Tilfredshet", "Gjenkjøp"]].stack().dropna().between(1, 7).all()
    missing = clients[items + ["Anbefale", "Tilfredshet", "Gjenkjøp"]].isna().mean().mean()
    assert 0.005 <= missing <= 0.04


def test_knowledge_gap_is_on_advice(keyareas):
    clients = keyareas[keyareas["Gruppe"] == "kunde"]
    staff = keyareas[keyareas["Gruppe"] == "leverandør"]
    gap = {
        area: _area_mean(clients, "E", area).mean() - _area_mean(staff, "E", area).mean() for area in AREAS
    }
    assert gap["adv"] >= 1.2
    assert all(abs(gap[area]) < 0.5 for area in ("acc", "ava", "ada"))


def test_customer_gap_is_concentrated_in_churned_accounts(keyareas):
    clients = keyareas[keyareas["Gruppe"] == "kunde"]
    lost = clients["Tapt"] == "ja"
    for area in ("acc", "ava"):
        gap = _area_mean(clients, "P", area) - _area_mean(clients, "E", area)
        assert gap[lost].mean() <= -1.5, area
        assert gap[~lost].mean() >= -0.7, area


def test_all_four_loyalty_types_occur_and_churned_do_not_recommend(keyareas):
    clients = keyareas[keyareas["Gruppe"] == "kunde"].dropna(subset=["Tilfredshet", "Gjenkjøp"])
    quadrant = pd.crosstab(clients["Tilfredshet"] >= 5, clients["Gjenkjøp"] >= 5)
    assert quadrant.shape == (2, 2) and (quadrant.to_numpy() >= 3).all()
    recommend = clients.groupby("Tapt")["Anbefale"].mean()
    assert recommend["nei"] - recommend["ja"] >= 2.0
    assert clients["Anbefale"].corr(clients["Tilfredshet"]) > 0.5


# --- dealer survey (case B) -----------------------------------------------------------------


def test_dealer_survey_has_144_complete_answers(dealer):
    assert len(dealer) == 146
    assert len(dealer.dropna()) == 144
    assert dealer.isna().sum().sum() == 2
    assert set(dealer["Q1"]) == {"18–29", "30–44", "45–59", "60+"}
    assert set(dealer["Q2"]) == {"Ja", "Nei"}
    answers = dealer.loc[:, "Q3":"Q12"].stack().dropna()
    assert answers.between(1, 10).all() and (answers == answers.round()).all()
    means = dealer.dropna().loc[:, ["Q3", "Q4", "Q5", "Q11", "Q12"]].mean().to_numpy()
    np.testing.assert_allclose(means, [4.71, 5.51, 4.19, 3.54, 6.28], atol=0.1)


@pytest.mark.parametrize("standardize", [False, True])
def test_kmeans_recovers_the_published_segments(dealer, standardize):
    features = dealer.dropna()[["Q6", "Q7", "Q8", "Q9", "Q10"]].to_numpy(dtype=float)
    fitted = (features - features.mean(axis=0)) / features.std(axis=0) if standardize else features
    labels = KMeans(n_clusters=3, n_init=10, random_state=0).fit(fitted).labels_
    centroids = np.array([features[labels == j].mean(axis=0) for j in range(3)])
    distance = np.linalg.norm(centroids[:, None, :] - PUBLISHED_CENTROIDS[None, :, :], axis=2)
    found, published = linear_sum_assignment(distance)
    sizes = np.bincount(labels, minlength=3)[found]
    assert (np.abs(sizes - PUBLISHED_SIZES[published]) <= 5).all()
    assert (np.abs(centroids[found] - PUBLISHED_CENTROIDS[published]) <= 0.7).all()

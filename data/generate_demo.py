"""Deterministic demo data for KAM Studio: a Norwegian wholesaler of industrial and building supplies.

Run ``python data/generate_demo.py [--out DIR]`` (default ``data/demo/``) or call
``generate(out_dir)``. Seed 20261123, numpy ``Generator`` only; the four parts (accounts,
transactions, key-area survey, dealer survey) each draw from their own child stream of one
``SeedSequence``, so changing one part never reshuffles another. Two runs give byte-identical
files, on any CPU: results of exp, log1p and powers are rounded before anything uses them and
sorts break ties by Kundenr (see ``_rounded_exp``).

Output format (Norwegian export on purpose, so the demo exercises the ingest)
    ``;`` separator, decimal comma, no thousands separator, dates ``dd.mm.yyyy``, UTF-8 with BOM,
    CRLF line ends, empty cell = missing. Kundenr are six-digit strings with a leading zero
    ("010042"), so a reader that turns them into numbers loses information.

Assumptions — accounts (``customers.csv``, 400 rows)
    * Region drawn Øst 38 %, Vest 25 %, Midt 14 %, Nord 13 %, Sør 10 %; the company name uses a
      town of that region, a regional word or a family name, plus an industry word ("Nordvik Bygg AS",
      "Trøndelag Elektro AS", "Ørsta kommune"). Industry drawn Bygg og anlegg 32 %, Industri 22 %,
      Transport og logistikk 14 %, Dagligvare 12 %, Offentlig sektor 11 %, Helse 9 %.
    * Eight salespeople (Selger), each covering one region (Øst, Vest, Sør have two).
    * Planned yearly revenue is lognormal (median 250 000 NOK, sigma 1.7), which puts roughly 20 %
      of accounts behind 80 % of revenue (Pareto).
    * "Kunde siden": most accounts between 1994 and 2023; ~25 joined during the first two years of
      the window and 8 joined in the last 12 months (their invoices start on that date).
    * "Strategisk passform" / "Partnerskapsvilje": integers 1–5, mildly higher for large accounts,
      20 % empty each (manual scores nobody filled in).
    * "Kundeandel" (share of wallet: how much of the customer's spend in our category we get) and
      "Relasjonsstyrke" (relationship strength on the four key areas): integers 1–5, ~15 % empty
      each, drawn after everything else from the accounts stream, so no other file changes.
      Outside the planted groups below, share of wallet rises with size (centre
      ``1.9 + 1.6 * size percentile``, sd 0.9) and relationship strength with size and years as
      customer (centre ``2.4 + 1.0 * size percentile + 0.6 * years / 32``, sd 0.8), rounded and
      clipped to 1–5.

Assumptions — transactions (``transactions.csv``, invoice lines 01.11.2023–31.10.2026)
    * Invoice dates are Norwegian working days (no weekends or public holidays); season weights
      follow a building-supply year (low in July and around Christmas, high in spring and autumn).
    * Lines per year grow with account size (``14 * (revenue / 100 000) ** 0.6``, at least 6);
      orders hold 1–8 lines; line values are lognormal (sigma 0.7) around the account's mean line.
    * Normal accounts grow or shrink smoothly (yearly drift N(3 %, 10 %)).
    * Unit prices per product group; Antall = revenue / unit price, rounded, at least 1.
    * Gross margin per account N(21 %, 5 %) clipped to 12–36 %, per product group ±5 points and
      per line N(0, 4 points): a normal account earns 15–35 %.
    * ~1 % of lines are credit notes: Omsetning, Kostnad and Antall all negative, their own Ordrenr.

Planted stories (the pages must be able to show them; tests/core/test_demo_data.py checks them)
    1. Profit whale: 6 of the 40 largest accounts (one of the three largest, five more among the
       30 largest by plan) are unprofitable overall — deep discounts and high cost-to-serve,
       account margin −30 % to −14 % — and 10 mid-size (margin −15 % to −3 %) and 30 small accounts
       (−40 % to −5 %) lose money too, so the whale curve of cumulative profit peaks at about
       125 % of total profit.
    2. Churn: 11 mid-to-large accounts (planned size rank 11–120) went to a competitor; each has a
       churn date (a working day between 15.11.2025 and 31.08.2026), its invoicing fades over the
       half year before, its last invoice is dated on the churn date itself, and customers.csv says
       Status "tapt". No churned account has lines in the last two months.
    3. Churn risk: 14 active accounts (rank 16–200) fade from month 22 on, and their last-12-month
       revenue is scaled down where needed so it is 30–60 % of the 12 months before (a drop of more
       than 30 % year over year) without churning. 8 accounts are new in the last 12 months.
    4. Key-area survey (``survey_keyareas.csv``): customers of the largest active accounts (2–3
       respondents each) and of every churned account, plus 15 supplier staff who estimate what
       customers expect (only E_ items). Knowledge gap: customers expect much advice (latent mean
       6.2) while staff believe they expect 4.3; on accuracy, availability and adaptation staff are
       within a few tenths. Customer gap (P − E): churned respondents perceive availability and
       accuracy about 2 points below what they expect (adaptation −0.9, advice −1.2); active
       respondents are within −0.5..+0.1. Anbefale (0–10), Tilfredshet (1–7) and Gjenkjøp (1–7)
       come from a loyalty type assigned per respondent (true, latent, spurious, none; churned
       respondents mostly "none"), so all four Dick & Basu types occur. ~2 % of customer answers
       are empty.
    5. Relative strength (``Kundeandel`` / ``Relasjonsstyrke``, the plan's ``strength_story``):
       churned and declining accounts have a weak relationship (centre 1.4, sd 0.5: mostly 1–2);
       the six unprofitable whales buy almost everything from us (share of wallet centre 4.6,
       sd 0.4) but the relationship is middling (centre 3.0, sd 0.4); growing mid-size accounts
       (planned size rank 41–200, normal or joined in the window, yearly drift ≥ 10 %) give us
       little of their spend (share of wallet centre 1.6, sd 0.5: room to grow, "key
       development") and the relationship is still being built (centre 2.8, sd 0.6), so on the
       selection matrix most of them land in "key development"; long-standing profitable large
       accounts (normal, rank 1–60, customer since before 2010) score high on both (centre 4.5,
       sd 0.5).
    6. Dealer survey (``survey_dealer.csv``, case B of the primer): 146 respondents, 2 with one
       missing answer, so N = 144 complete. Q6–Q10 come from three groups of 41 / 45 / 58
       respondents around the published K-means centroids (noise sd 0.9, rounded, clipped to 1–10,
       then each group's item means nudged by single steps to the published centroid), in shuffled
       order. Q3, Q4, Q5, Q11 and Q12 depend on the group and are nudged so their overall means match
       the published ones (4.71, 5.51, 4.19, 3.54, 6.28).
"""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd

SEED = 20261123
WINDOW_START = dt.date(2023, 11, 1)
WINDOW_END = dt.date(2026, 10, 31)
LAST_YEAR_START = dt.date(2025, 11, 1)
CHURN_LATEST = dt.date(2026, 8, 31)
N_ACCOUNTS = 400
DEFAULT_OUT = Path(__file__).resolve().parent / "demo"

TABLES = ("transactions", "customers", "survey_keyareas", "survey_dealer")

REGIONS = {
    "Øst": (
        0.38,
        [
            "Oslo",
            "Bærum",
            "Asker",
            "Lillestrøm",
            "Jessheim",
            "Ski",
            "Moss",
            "Fredrikstad",
            "Sarpsborg",
            "Halden",
            "Drammen",
            "Kongsberg",
            "Hønefoss",
            "Hamar",
            "Elverum",
            "Kongsvinger",
            "Gjøvik",
            "Lillehammer",
            "Tønsberg",
            "Sandefjord",
            "Larvik",
            "Skien",
            "Porsgrunn",
            "Notodden",
            "Fagernes",
            "Otta",
            "Løten",
            "Råholt",
            "Mysen",
            "Ås",
        ],
        ["Østlandske", "Viken", "Glåmdal", "Mjøs", "Oslofjord"],
    ),
    "Vest": (
        0.25,
        [
            "Bergen",
            "Stavanger",
            "Sandnes",
            "Haugesund",
            "Egersund",
            "Bryne",
            "Stord",
            "Voss",
            "Odda",
            "Førde",
            "Sogndal",
            "Florø",
            "Ålesund",
            "Ørsta",
            "Volda",
            "Åsane",
            "Knarvik",
            "Leirvik",
            "Nærbø",
            "Ålgård",
            "Sauda",
            "Kopervik",
            "Norheimsund",
            "Måløy",
        ],
        ["Vestlandske", "Vestkyst", "Fjordane", "Sunnmøre", "Hordaland"],
    ),
    "Midt": (
        0.14,
        [
            "Trondheim",
            "Steinkjer",
            "Levanger",
            "Stjørdal",
            "Namsos",
            "Orkanger",
            "Oppdal",
            "Røros",
            "Molde",
            "Kristiansund",
            "Verdal",
            "Malvik",
            "Melhus",
            "Brekstad",
            "Surnadal",
        ],
        ["Trøndelag", "Midtnorsk", "Trønder", "Nordmøre", "Romsdal"],
    ),
    "Nord": (
        0.13,
        [
            "Tromsø",
            "Bodø",
            "Narvik",
            "Harstad",
            "Alta",
            "Hammerfest",
            "Kirkenes",
            "Vadsø",
            "Mo i Rana",
            "Mosjøen",
            "Sandnessjøen",
            "Brønnøysund",
            "Sortland",
            "Svolvær",
            "Finnsnes",
            "Fauske",
            "Lakselv",
            "Andenes",
        ],
        ["Nordnorsk", "Polar", "Ishavs", "Lofoten", "Helgeland"],
    ),
    "Sør": (
        0.10,
        [
            "Arendal",
            "Grimstad",
            "Kristiansand",
            "Mandal",
            "Flekkefjord",
            "Lillesand",
            "Farsund",
            "Vennesla",
            "Risør",
            "Tvedestrand",
            "Evje",
            "Lyngdal",
        ],
        ["Sørlandets", "Agder", "Skagerak", "Sørkyst", "Setesdal"],
    ),
}

INDUSTRIES = {
    "Bygg og anlegg": (
        0.32,
        [
            "Bygg",
            "Entreprenør",
            "Anlegg",
            "Byggservice",
            "Betong",
            "Tak og Fasade",
            "Grunnarbeid",
            "Rørleggerservice",
            "Elektro",
            "Tømrer",
            "Maskin og Anlegg",
        ],
    ),
    "Industri": (
        0.22,
        [
            "Mekaniske",
            "Industri",
            "Verksted",
            "Sveis",
            "Plast",
            "Stål",
            "Trevare",
            "Metall",
            "Hydraulikk",
            "Elektro",
            "Produksjon",
        ],
    ),
    "Transport og logistikk": (
        0.14,
        ["Transport", "Logistikk", "Frakt", "Spedisjon", "Lastebil", "Terminal", "Budservice", "Båtservice"],
    ),
    "Dagligvare": (
        0.12,
        ["Dagligvare", "Handel", "Engros", "Matsenter", "Kolonial", "Bakeri", "Fiskemottak", "Storkjøkken"],
    ),
    "Offentlig sektor": (
        0.11,
        [
            "kommune",
            "Eiendom KF",
            "Havn KF",
            "Brann og redning IKS",
            "Vann og avløp KF",
            "Renovasjon IKS",
            "Bydrift KF",
        ],
    ),
    "Helse": (
        0.09,
        [
            "Legesenter",
            "Helsehus",
            "Tannklinikk",
            "Rehabilitering",
            "Omsorgssenter",
            "Fysioterapi",
            "Sykehjem",
        ],
    ),
}

FAMILIES = [
    "Hansen",
    "Johansen",
    "Olsen",
    "Larsen",
    "Andersen",
    "Pedersen",
    "Nilsen",
    "Kristiansen",
    "Jensen",
    "Karlsen",
    "Johnsen",
    "Pettersen",
    "Eriksen",
    "Berg",
    "Haugen",
    "Hagen",
    "Dahl",
    "Jørgensen",
    "Halvorsen",
    "Lund",
    "Sørensen",
    "Moen",
    "Gundersen",
    "Iversen",
    "Strand",
    "Solberg",
    "Eide",
    "Knutsen",
    "Bakken",
    "Lie",
    "Amundsen",
    "Lunde",
    "Solheim",
    "Berge",
    "Nygård",
    "Bakke",
    "Holm",
    "Lien",
    "Hauge",
    "Sæther",
    "Aas",
    "Myhre",
    "Haugland",
    "Sandvik",
    "Rønning",
    "Næss",
    "Vik",
    "Ellingsen",
    "Birkeland",
    "Gulbrandsen",
    "Ruud",
    "Strøm",
    "Myklebust",
    "Tangen",
    "Ødegård",
    "Helland",
    "Bøe",
    "Aune",
    "Tveit",
    "Brekke",
    "Grønli",
    "Kvåle",
    "Løvås",
    "Fjærli",
    "Skjævesland",
    "Åsheim",
    "Røed",
    "Sæbø",
    "Høgberg",
    "Øvrebø",
]
OWN_WORDS = [
    "Nordvik",
    "Sørvik",
    "Bjørkli",
    "Granheim",
    "Solvang",
    "Fjellheim",
    "Havbris",
    "Nordlys",
    "Kystlinje",
    "Fjordgløtt",
    "Breidablikk",
    "Storeng",
    "Vårli",
    "Furulund",
    "Elvebakken",
    "Skogly",
    "Bølgen",
    "Kjerringøy",
    "Måkeskjær",
    "Nøstet",
]

SALESPEOPLE = {
    "Øst": ["Ingrid Solberg", "Jonas Bakken"],
    "Vest": ["Erik Lunde", "Åse Myklebust"],
    "Midt": ["Sigrid Ødegård"],
    "Nord": ["Martin Hauge"],
    "Sør": ["Hanne Kristiansen", "Thomas Sæther"],
}

# product group: (typical unit price NOK, margin adjustment in points)
PRODUCTS = {
    "Festemidler": (45.0, 0.06),
    "Verktøy": (650.0, 0.02),
    "Elektro": (380.0, -0.01),
    "VVS": (520.0, 0.00),
    "Verneutstyr": (210.0, 0.04),
    "Byggevarer": (290.0, -0.04),
    "Maling og overflate": (420.0, 0.03),
    "Hydraulikk": (1450.0, -0.02),
    "Emballasje": (95.0, -0.05),
    "Rengjøring": (130.0, 0.01),
}
# relative weight of each product group (same order as PRODUCTS) per industry
PRODUCT_MIX = {
    "Bygg og anlegg": [5, 3, 3, 3, 2, 6, 2, 1, 0.5, 0.5],
    "Industri": [4, 4, 2, 1, 3, 1, 2, 4, 2, 1],
    "Transport og logistikk": [2, 2, 1, 0.5, 3, 0.5, 1, 3, 4, 2],
    "Dagligvare": [1, 1, 1, 1, 1, 0.5, 0.5, 0.2, 6, 5],
    "Offentlig sektor": [2, 2, 2, 3, 2, 3, 3, 0.5, 1, 4],
    "Helse": [0.5, 0.5, 1, 1, 3, 0.5, 1, 0.1, 3, 6],
}
# building-supply year: July holidays and Christmas are quiet
SEASON = np.array([0.80, 0.90, 1.05, 1.05, 1.10, 1.05, 0.55, 1.00, 1.15, 1.15, 1.05, 0.75])

KEY_AREAS = ("acc", "ava", "ada", "adv")

# Norwegian public holidays in the window: nothing is invoiced on these days
NORWEGIAN_HOLIDAYS = [
    "2023-12-25",
    "2023-12-26",
    "2024-01-01",
    "2024-03-28",
    "2024-03-29",
    "2024-04-01",
    "2024-05-01",
    "2024-05-09",
    "2024-05-17",
    "2024-05-20",
    "2024-12-25",
    "2024-12-26",
    "2025-01-01",
    "2025-04-17",
    "2025-04-18",
    "2025-04-21",
    "2025-05-01",
    "2025-05-29",
    "2025-06-09",
    "2025-12-25",
    "2025-12-26",
    "2026-01-01",
    "2026-04-02",
    "2026-04-03",
    "2026-04-06",
    "2026-05-01",
    "2026-05-14",
    "2026-05-25",
]


# ln(250 000), written out so no C library computes it
LOG_MEDIAN_REVENUE = 12.429216196844383

# Transcendental functions are not the same everywhere: numpy picks SIMD kernels for exp, log,
# power … at run time from the CPU's features (AVX-512, AVX2, baseline, ASIMD …) and they differ
# from each other and from the C library in the last bits. Every such result therefore goes
# through one of the helpers below, which round it right away to a fixed number of decimals
# (money to whole kroner or øre), before anything compares, sorts, rounds, draws or writes it.
# tests/core/test_demo_cpu_independence.py runs the generator with fewer numpy kernels and with
# every transcendental result moved by one ulp, and expects the committed files byte for byte.
_EXP = np.exp
_LOG1P = np.log1p
_POWER = np.power


def _rounded_exp(x, decimals: int, scale=1.0):
    """``round(scale * exp(x), decimals)``."""
    return np.round(scale * _EXP(np.asarray(x, dtype=float)), decimals)


def _rounded_log1p(x, decimals: int) -> float:
    return float(np.round(_LOG1P(np.asarray(x, dtype=float)), decimals))


def _rounded_power(x, exponent: float, decimals: int) -> float:
    return float(np.round(_POWER(np.asarray(x, dtype=float), exponent), decimals))


def _pick(rng: np.random.Generator, weighted: dict) -> str:
    names = list(weighted)
    weights = np.array([weighted[n][0] for n in names])
    return names[rng.choice(len(names), p=weights / weights.sum())]


def _company_name(rng: np.random.Generator, region: str, industry: str, taken: set[str]) -> str:
    towns, regional_words = REGIONS[region][1], REGIONS[region][2]
    words = INDUSTRIES[industry][1]
    while True:
        word = words[rng.integers(len(words))]
        town = towns[rng.integers(len(towns))]
        if industry == "Offentlig sektor":
            name = f"{town} {word}"
        elif industry == "Helse":
            first = town if rng.random() < 0.6 else FAMILIES[rng.integers(len(FAMILIES))]
            name = f"{first} {word} AS"
        else:
            style = rng.random()
            if style < 0.35:
                first = town
            elif style < 0.60:
                first = FAMILIES[rng.integers(len(FAMILIES))]
            elif style < 0.75:
                first = regional_words[rng.integers(len(regional_words))]
            elif style < 0.88:
                first = OWN_WORDS[rng.integers(len(OWN_WORDS))]
            else:
                a, b = rng.choice(len(FAMILIES), size=2, replace=False)
                first = f"{FAMILIES[a]} & {FAMILIES[b]}"
            name = f"{first} {word} {'ASA' if rng.random() < 0.03 else 'AS'}"
        if name not in taken:
            taken.add(name)
            return name


def _random_date(rng: np.random.Generator, start: dt.date, end: dt.date) -> dt.date:
    return start + dt.timedelta(days=int(rng.integers(0, (end - start).days + 1)))


def build_accounts(rng: np.random.Generator) -> pd.DataFrame:
    """Plan the 400 accounts: master data plus the hidden story parameters.

    Returns one row per account with the customers.csv fields and the planning columns
    ``yearly_revenue``, ``margin``, ``drift``, ``start``, ``end`` (last possible invoice date),
    ``churn_date`` (NaT unless churned), ``decline_to`` (planned last-year / year-before revenue
    ratio of decliners), ``role`` (normal / loss_whale / loss_mid / loss_small / churned /
    decliner / new / joined) and ``strength_story`` (weak / whale / growing / anchor / "",
    see ``_strength_scores``).
    """
    ids = rng.choice(np.arange(10000, 100000), size=N_ACCOUNTS, replace=False)
    taken: set[str] = set()
    rows = []
    for i in range(N_ACCOUNTS):
        region = _pick(rng, REGIONS)
        industry = _pick(rng, INDUSTRIES)
        sellers = SALESPEOPLE[region]
        rows.append(
            {
                "Kundenr": f"{ids[i]:06d}",
                "Kundenavn": _company_name(rng, region, industry, taken),
                "Region": region,
                "Bransje": industry,
                "Selger": sellers[rng.integers(len(sellers))],
            }
        )
    acc = pd.DataFrame(rows)
    # whole kroner, so the ranking by size never hangs on the last bits of exp
    yearly = _rounded_exp(LOG_MEDIAN_REVENUE + 1.7 * rng.standard_normal(N_ACCOUNTS), 0)
    acc["yearly_revenue"] = np.clip(yearly, 15_000, 45_000_000)
    acc["margin"] = np.clip(rng.normal(0.21, 0.05, N_ACCOUNTS), 0.12, 0.36)
    acc["drift"] = rng.normal(0.03, 0.10, N_ACCOUNTS)
    acc["role"] = "normal"

    # positions by planned size, largest first; roles are drawn from disjoint rank bands
    # (ties, e.g. at the 15 000 floor, go by Kundenr: a sort never decides them)
    by_size = acc.sort_values(
        ["yearly_revenue", "Kundenr"], ascending=[False, True], kind="stable"
    ).index.to_numpy()
    loss_whales = by_size[
        np.concatenate(
            [rng.choice(np.arange(0, 3), size=1), rng.choice(np.arange(3, 30), size=5, replace=False)]
        )
    ]
    acc.loc[loss_whales, "role"] = "loss_whale"
    acc.loc[loss_whales, "margin"] = rng.uniform(-0.30, -0.14, 6)
    acc.loc[loss_whales, "drift"] = rng.normal(0.02, 0.03, 6)

    free = [i for i in by_size[10:120] if acc.at[i, "role"] == "normal"]
    churned = rng.choice(free, size=11, replace=False)
    acc.loc[churned, "role"] = "churned"

    free = [i for i in by_size[15:200] if acc.at[i, "role"] == "normal"]
    decliners = rng.choice(free, size=14, replace=False)
    acc.loc[decliners, "role"] = "decliner"
    acc.loc[decliners, "drift"] = rng.normal(0.0, 0.03, 14)
    acc["decline_to"] = np.nan
    acc.loc[decliners, "decline_to"] = rng.uniform(0.3, 0.6, 14)

    free = [i for i in by_size[60:140] if acc.at[i, "role"] == "normal"]
    loss_mid = rng.choice(free, size=10, replace=False)
    acc.loc[loss_mid, "role"] = "loss_mid"
    acc.loc[loss_mid, "margin"] = rng.uniform(-0.15, -0.03, 10)

    free = [i for i in by_size[140:] if acc.at[i, "role"] == "normal"]
    loss_small = rng.choice(free, size=30, replace=False)
    acc.loc[loss_small, "role"] = "loss_small"
    acc.loc[loss_small, "margin"] = rng.uniform(-0.40, -0.05, 30)

    free = [i for i in by_size[60:] if acc.at[i, "role"] == "normal"]
    new = rng.choice(free, size=8, replace=False)
    acc.loc[new, "role"] = "new"
    free = [i for i in by_size[40:] if acc.at[i, "role"] == "normal"]
    joined = rng.choice(free, size=25, replace=False)
    acc.loc[joined, "role"] = "joined"

    since, start, end, churn = [], [], [], []
    for role in acc["role"]:
        first = _random_date(rng, dt.date(1994, 1, 1), dt.date(2023, 9, 30))
        begin, stop, lost = WINDOW_START, WINDOW_END, pd.NaT
        if role == "new":
            first = _random_date(rng, LAST_YEAR_START, dt.date(2026, 9, 15))
            begin = first
        elif role == "joined":
            first = _random_date(rng, WINDOW_START, dt.date(2025, 10, 15))
            begin = first
        elif role == "churned":
            candidates = business_days()
            candidates = candidates[(candidates >= "2025-11-15") & (candidates <= pd.Timestamp(CHURN_LATEST))]
            lost = candidates[rng.integers(len(candidates))].date()
            stop = lost
        since.append(first)
        start.append(begin)
        end.append(stop)
        churn.append(lost)
    acc["Kunde siden"] = since
    acc["start"] = start
    acc["end"] = end
    acc["churn_date"] = pd.to_datetime(pd.Series(churn, dtype="object"))
    acc["Status"] = np.where(acc["role"] == "churned", "tapt", "aktiv")

    size_rank = acc["yearly_revenue"].rank(pct=True).to_numpy()
    for column, pull in (("Strategisk passform", 1.6), ("Partnerskapsvilje", 1.0)):
        score = np.clip(np.rint(1.6 + pull * size_rank * 2 + rng.normal(0, 0.9, N_ACCOUNTS)), 1, 5)
        score = pd.array(score.astype(int), dtype="Int64")
        score[rng.random(N_ACCOUNTS) < 0.2] = pd.NA
        acc[column] = score
    # drawn last, so the accounts stream feeds every earlier column exactly as before
    _strength_scores(rng, acc, by_size)
    return acc


def _strength_scores(rng: np.random.Generator, acc: pd.DataFrame, by_size: np.ndarray) -> None:
    """Add ``strength_story``, ``Kundeandel`` and ``Relasjonsstyrke`` (1–5, ~15 % empty) to ``acc``.

    A planted group replaces the size-driven centre and sd of a score; noise is one standard normal
    draw per account and score, so the groups only move centres, never the draw order.
    """
    position = np.empty(N_ACCOUNTS, dtype=int)
    position[by_size] = np.arange(N_ACCOUNTS)
    size_rank = acc["yearly_revenue"].rank(pct=True).to_numpy()
    since = pd.to_datetime(pd.Series(acc["Kunde siden"], dtype="object"))
    years = ((pd.Timestamp(WINDOW_END) - since).dt.days / 365.25).to_numpy()
    role = acc["role"].to_numpy()

    story = np.full(N_ACCOUNTS, "", dtype=object)
    story[(role == "normal") & (position < 60) & (since < pd.Timestamp("2010-01-01")).to_numpy()] = "anchor"
    growing = np.isin(role, ["normal", "joined"]) & (position >= 40) & (position < 200)
    story[growing & (acc["drift"].to_numpy() >= 0.10)] = "growing"
    story[role == "loss_whale"] = "whale"
    story[np.isin(role, ["churned", "decliner"])] = "weak"
    acc["strength_story"] = story

    wallet_centre = 1.9 + 1.6 * size_rank
    wallet_sd = np.full(N_ACCOUNTS, 0.9)
    relation_centre = 2.4 + 1.0 * size_rank + 0.6 * np.clip(years, 0, 32) / 32
    relation_sd = np.full(N_ACCOUNTS, 0.8)
    for name, wallet, relation in (
        ("weak", None, (1.4, 0.5)),
        ("whale", (4.6, 0.4), (3.0, 0.4)),
        ("growing", (1.6, 0.5), (2.8, 0.6)),
        ("anchor", (4.5, 0.5), (4.5, 0.5)),
    ):
        members = story == name
        if wallet is not None:
            wallet_centre[members], wallet_sd[members] = wallet
        if relation is not None:
            relation_centre[members], relation_sd[members] = relation

    for column, centre, sd in (
        ("Kundeandel", wallet_centre, wallet_sd),
        ("Relasjonsstyrke", relation_centre, relation_sd),
    ):
        score = np.clip(np.rint(centre + sd * rng.standard_normal(N_ACCOUNTS)), 1, 5)
        score = pd.array(score.astype(int), dtype="Int64")
        score[rng.random(N_ACCOUNTS) < 0.15] = pd.NA
        acc[column] = score


def business_days() -> pd.DatetimeIndex:
    """Norwegian working days in the invoice window (weekends and public holidays removed)."""
    return pd.bdate_range(WINDOW_START, WINDOW_END, freq="C", holidays=NORWEGIAN_HOLIDAYS)


def _activity_weights(days: pd.DatetimeIndex, row: pd.Series) -> np.ndarray:
    """Relative invoicing intensity per business day for one account (0 outside its life)."""
    years = (days - pd.Timestamp(WINDOW_START)).days.to_numpy() / 365.25
    weight = SEASON[days.month.to_numpy() - 1] * _rounded_exp(row["drift"] * years, 6)
    if row["role"] == "decliner":
        # halves over the last ~14 months, so last 12 months vs the 12 before is down > 30 %
        weight *= np.where(years < 1.8, 1.0, np.maximum(0.38, 1.0 - (years - 1.8) * 1.8))
    if row["role"] == "churned":
        # business fading in the half year before the switch to a competitor
        to_churn = (pd.Timestamp(row["churn_date"]) - days).days.to_numpy() / 365.25
        weight *= np.where(to_churn < 0.5, 0.55 + 0.9 * to_churn, 1.0)
    alive = (days >= pd.Timestamp(row["start"])) & (days <= pd.Timestamp(row["end"]))
    return weight * alive


def build_transactions(rng: np.random.Generator, acc: pd.DataFrame) -> pd.DataFrame:
    """Invoice lines for every account, sorted by date and order number, with raw numbers."""
    days = business_days()
    product_names = list(PRODUCTS)
    unit_price = np.array([PRODUCTS[p][0] for p in product_names])
    product_margin = np.array([PRODUCTS[p][1] for p in product_names])
    per_year = SEASON.mean() * len(days) / 3.0
    parts = []
    for idx, row in acc.iterrows():
        weight = _activity_weights(days, row)
        lines_per_year = np.clip(14.0 * _rounded_power(row["yearly_revenue"] / 100_000, 0.6, 6), 6, 2500)
        lines_per_order = 1.0 + min(3.5, 0.4 * _rounded_log1p(row["yearly_revenue"] / 200_000, 6))
        expected_lines = lines_per_year * weight.sum() / per_year
        n_orders = max(2, int(rng.poisson(expected_lines / lines_per_order)))
        order_day = rng.choice(len(days), size=n_orders, p=weight / weight.sum())
        if row["role"] == "churned":
            # the last delivery before the switch is invoiced on the churn date itself
            order_day[0] = days.get_loc(pd.Timestamp(row["churn_date"]))
        order_size = np.minimum(8, 1 + rng.poisson(lines_per_order - 1.0, n_orders))
        line_day = np.repeat(order_day, order_size)
        order_key = np.repeat(np.arange(n_orders), order_size)
        n = len(line_day)
        mix = np.array(PRODUCT_MIX[row["Bransje"]], dtype=float)
        product = rng.choice(len(product_names), size=n, p=mix / mix.sum())
        mean_line = row["yearly_revenue"] / lines_per_year
        # lognormal line value and unit price, in øre at once
        revenue = _rounded_exp(rng.normal(-0.5 * 0.7 * 0.7, 0.7, n), 2, scale=mean_line)
        price = _rounded_exp(rng.normal(0, 0.25, n), 2, scale=unit_price[product])
        quantity = np.maximum(1, np.rint(revenue / price))
        line_margin = row["margin"] + product_margin[product] + rng.normal(0, 0.04, n)
        cost = revenue * (1.0 - line_margin)
        parts.append(
            pd.DataFrame(
                {
                    "account": idx,
                    "day": line_day,
                    "order_key": order_key,
                    "product": product,
                    "revenue": revenue,
                    "cost": cost,
                    "quantity": quantity,
                }
            )
        )
    tx = pd.concat(parts, ignore_index=True)

    # ~1 % credit notes: a return or price correction, booked on its own document
    credit = rng.random(len(tx)) < 0.01
    share = rng.uniform(0.2, 1.0, int(credit.sum()))
    tx.loc[credit, "revenue"] = -tx.loc[credit, "revenue"].to_numpy() * share
    tx.loc[credit, "cost"] = -tx.loc[credit, "cost"].to_numpy() * share
    tx.loc[credit, "quantity"] = -np.maximum(1, np.rint(tx.loc[credit, "quantity"].to_numpy() * share))
    tx.loc[credit, "order_key"] = -1 - np.arange(int(credit.sum()))

    # a few invoices can hide a planted decline in small accounts: scale the last year down to plan
    last_year = days[tx["day"].to_numpy()] >= pd.Timestamp(LAST_YEAR_START)
    year_before = (
        days[tx["day"].to_numpy()] >= pd.Timestamp(LAST_YEAR_START) - pd.DateOffset(years=1)
    ) & ~last_year
    for idx in acc.index[acc["role"] == "decliner"]:
        mine = (tx["account"] == idx).to_numpy()
        ratio = tx.loc[mine & last_year, "revenue"].sum() / tx.loc[mine & year_before, "revenue"].sum()
        factor = min(1.0, acc.at[idx, "decline_to"] / ratio)
        rows = mine & last_year
        tx.loc[rows, "revenue"] = tx.loc[rows, "revenue"].to_numpy() * factor
        tx.loc[rows, "cost"] = tx.loc[rows, "cost"].to_numpy() * factor
        quantity = tx.loc[rows, "quantity"].to_numpy()
        tx.loc[rows, "quantity"] = np.sign(quantity) * np.maximum(1, np.rint(np.abs(quantity) * factor))

    orders = (
        tx[["day", "account", "order_key"]].drop_duplicates().sort_values(["day", "account", "order_key"])
    )
    orders["Ordrenr"] = [str(n) for n in range(230001, 230001 + len(orders))]
    tx = tx.merge(orders, on=["day", "account", "order_key"], how="left")
    tx = tx.sort_values(["day", "Ordrenr", "product"], kind="stable").reset_index(drop=True)
    tx["date"] = days[tx["day"].to_numpy()]
    tx["revenue"] = tx["revenue"].round(2)
    tx["cost"] = tx["cost"].round(2)
    out = pd.DataFrame(
        {
            "Kundenr": acc.loc[tx["account"], "Kundenr"].to_numpy(),
            "Kundenavn": acc.loc[tx["account"], "Kundenavn"].to_numpy(),
            "Fakturadato": tx["date"].to_numpy(),
            "Ordrenr": tx["Ordrenr"].to_numpy(),
            "Produktgruppe": np.array(product_names)[tx["product"].to_numpy()],
            "Omsetning": tx["revenue"].to_numpy(),
            "Kostnad": tx["cost"].to_numpy(),
            "Antall": tx["quantity"].to_numpy().astype(int),
            "Region": acc.loc[tx["account"], "Region"].to_numpy(),
            "Bransje": acc.loc[tx["account"], "Bransje"].to_numpy(),
            "Selger": acc.loc[tx["account"], "Selger"].to_numpy(),
        }
    )
    return out


def _likert(rng: np.random.Generator, centre: np.ndarray, sd: float, low: int, high: int) -> np.ndarray:
    return np.clip(np.rint(centre + rng.normal(0, sd, np.shape(centre))), low, high)


def build_survey_keyareas(rng: np.random.Generator, acc: pd.DataFrame, tx: pd.DataFrame) -> pd.DataFrame:
    """Customer and supplier-staff answers on the four key areas (E_ expectation, P_ perception)."""
    revenue = tx.groupby("Kundenr")["Omsetning"].sum()
    active = acc[acc["Status"] == "aktiv"].set_index("Kundenr")
    top_active = (
        revenue.loc[active.index]
        .rename("revenue")
        .reset_index()
        .sort_values(["revenue", "Kundenr"], ascending=[False, True], kind="stable")["Kundenr"]
        .to_numpy()[:28]
    )
    churned = acc.loc[acc["Status"] == "tapt", "Kundenr"].tolist()
    respondents: list[tuple[str, bool]] = []
    for rank, kundenr in enumerate(top_active):
        count = 3 if rank < 10 else (2 if rank < 20 else 1)
        respondents += [(kundenr, False)] * count
    for kundenr in sorted(churned):
        respondents += [(kundenr, True)] * int(1 + rng.integers(0, 2))

    expect_customer = {"acc": 6.0, "ava": 6.1, "ada": 5.2, "adv": 6.2}
    expect_staff = {"acc": 5.8, "ava": 5.9, "ada": 5.0, "adv": 4.3}
    gap_active = {"acc": -0.3, "ava": -0.5, "ada": 0.1, "adv": -0.4}
    gap_churned = {"acc": -2.0, "ava": -2.1, "ada": -0.9, "adv": -1.2}

    rows = []
    for number, (kundenr, lost) in enumerate(respondents, start=1):
        row: dict[str, object] = {
            "Respondent": f"R{number:03d}",
            "Gruppe": "kunde",
            "Kundenr": kundenr,
            "Tapt": "ja" if lost else "nei",
        }
        for area in KEY_AREAS:
            level = expect_customer[area] + rng.normal(0, 0.45)
            gap = (gap_churned if lost else gap_active)[area] + rng.normal(0, 0.35)
            e_items = _likert(rng, np.full(3, level), 0.55, 1, 7)
            p_items = _likert(rng, e_items + gap, 0.5, 1, 7)
            for k in range(3):
                row[f"E_{area}{k + 1}"] = e_items[k]
                row[f"P_{area}{k + 1}"] = p_items[k]
        # Dick & Basu: attitude (satisfaction, recommend) crossed with repeat intention
        kind = rng.choice(4, p=[0.0, 0.2, 0.1, 0.7] if lost else [0.55, 0.12, 0.15, 0.18])
        attitude_high = kind in (0, 1)
        repeat_high = kind in (0, 2)
        attitude = rng.normal(6.0 if attitude_high else 2.9, 0.5)
        row["Anbefale"] = float(
            _likert(rng, np.array(attitude * 10 / 7 + 0.3 - (1.2 if lost else 0.0)), 0.8, 0, 10)
        )
        row["Tilfredshet"] = float(_likert(rng, np.array(attitude), 0.4, 1, 7))
        row["Gjenkjøp"] = float(
            _likert(rng, np.array(rng.normal(6.0 if repeat_high else 3.0, 0.6)), 0.4, 1, 7)
        )
        rows.append(row)
    customers = pd.DataFrame(rows)
    answer_cols = [c for c in customers.columns if c not in ("Respondent", "Gruppe", "Kundenr", "Tapt")]
    values = customers[answer_cols].to_numpy(dtype=float, copy=True)
    values[rng.random(values.shape) < 0.02] = np.nan
    customers[answer_cols] = values

    staff_rows = []
    for number in range(1, 16):
        row = {"Respondent": f"L{number:03d}", "Gruppe": "leverandør", "Kundenr": "", "Tapt": ""}
        for area in KEY_AREAS:
            e_items = _likert(rng, np.full(3, expect_staff[area] + rng.normal(0, 0.45)), 0.55, 1, 7)
            for k in range(3):
                row[f"E_{area}{k + 1}"] = e_items[k]
                row[f"P_{area}{k + 1}"] = np.nan
        row.update({"Anbefale": np.nan, "Tilfredshet": np.nan, "Gjenkjøp": np.nan})
        staff_rows.append(row)
    survey = pd.concat([customers, pd.DataFrame(staff_rows)], ignore_index=True)
    item_order = [f"{side}_{area}{k}" for side in ("E", "P") for area in KEY_AREAS for k in (1, 2, 3)]
    survey = survey[
        ["Respondent", "Gruppe", "Kundenr", "Tapt", *item_order, "Anbefale", "Tilfredshet", "Gjenkjøp"]
    ]
    for column in [*item_order, "Anbefale", "Tilfredshet", "Gjenkjøp"]:
        survey[column] = pd.array(survey[column].to_numpy(), dtype="Int64")
    return survey


# case B of the primer: published K-means segments on Q6–Q10
DEALER_GROUPS = {
    "economists": (41, [3.41, 1.90, 1.70, 2.12, 2.09]),
    "hybrid": (45, [5.2, 3.04, 4.33, 5.91, 3.4]),
    "relationship": (58, [7.32, 7.22, 7.31, 7.15, 6.56]),
}
# group means for Q3, Q4, Q5, Q11, Q12 (before nudging) and the published overall means
DEALER_OTHER_GROUP_MEANS = {
    "economists": [3.2, 3.6, 1.9, 1.7, 5.0],
    "hybrid": [4.5, 5.4, 3.6, 2.9, 6.1],
    "relationship": [5.9, 6.9, 6.3, 5.3, 7.3],
}
DEALER_OTHER_TARGETS = [4.71, 5.51, 4.19, 3.54, 6.28]


def _nudge_mean(
    rng: np.random.Generator, values: np.ndarray, target: float, low: int, high: int
) -> np.ndarray:
    """Move single answers one step at a time until the mean is within half a step of ``target``."""
    values = values.copy()
    step = 1.0 / len(values)
    while abs(values.mean() - target) > step / 2:
        up = values.mean() < target
        movable = np.flatnonzero(values < high) if up else np.flatnonzero(values > low)
        values[movable[rng.integers(len(movable))]] += 1 if up else -1
    return values


def build_survey_dealer(rng: np.random.Generator) -> pd.DataFrame:
    """Case B car-dealer survey: 146 rows, two with one missing answer."""
    blocks = []
    for group, (size, centre) in DEALER_GROUPS.items():
        n = size + (1 if group != "economists" else 0)  # the two extra rows become the incomplete ones
        q6_10 = _likert(rng, np.tile(centre, (n, 1)), 0.9, 1, 10)
        for j in range(5):
            q6_10[:, j] = _nudge_mean(rng, q6_10[:, j], centre[j], 1, 10)
        others = _likert(rng, np.tile(DEALER_OTHER_GROUP_MEANS[group], (n, 1)), 2.3, 1, 10)
        block = np.column_stack([others[:, :3], q6_10, others[:, 3:]])
        blocks.append((group, block))
    q3_12 = np.vstack([b for _, b in blocks])
    for j, column in enumerate((0, 1, 2, 8, 9)):
        q3_12[:, column] = _nudge_mean(rng, q3_12[:, column], DEALER_OTHER_TARGETS[j], 1, 10)
    n_rows = len(q3_12)
    ages = np.array(["18–29", "30–44", "45–59", "60+"])
    frame = pd.DataFrame(
        {
            "Q1": ages[rng.choice(4, size=n_rows, p=[0.18, 0.30, 0.31, 0.21])],
            "Q2": np.where(rng.random(n_rows) < 0.82, "Ja", "Nei"),
        }
    )
    for j in range(10):
        frame[f"Q{j + 3}"] = pd.array(q3_12[:, j].astype(int), dtype="Int64")
    # one extra hybrid and one extra relationship row each lose one answer
    incomplete = [blocks[0][1].shape[0] + blocks[1][1].shape[0] - 1, n_rows - 1]
    frame.loc[incomplete[0], "Q11"] = pd.NA
    frame.loc[incomplete[1], "Q8"] = pd.NA
    frame = frame.iloc[rng.permutation(n_rows)].reset_index(drop=True)
    frame.insert(0, "Respondent", [str(i) for i in range(1, n_rows + 1)])
    return frame


def _cell(value: object) -> str:
    if value is None or value is pd.NA or value is pd.NaT:
        return ""
    if isinstance(value, float):
        return "" if np.isnan(value) else f"{value:.2f}".replace(".", ",")
    if isinstance(value, (pd.Timestamp, dt.date)):
        return value.strftime("%d.%m.%Y")
    return str(value)


def write_norwegian_csv(frame: pd.DataFrame, path: Path) -> Path:
    """Write ``frame`` as a Norwegian Excel-style export (``;``, decimal comma, BOM, CRLF)."""
    columns = [list(frame.columns)]
    for name in frame.columns:
        series = frame[name]
        if pd.api.types.is_float_dtype(series.dtype):
            text = series.map(lambda v: "" if np.isnan(v) else f"{v:.2f}".replace(".", ","))
        elif pd.api.types.is_datetime64_any_dtype(series.dtype):
            text = series.dt.strftime("%d.%m.%Y").fillna("")
        else:
            text = series.map(_cell)
        columns.append(text.astype(str).tolist())
    # the writer never quotes, so no cell may hold a character that would need it
    if any(mark in cell for column in columns for cell in column for mark in (";", '"', "\n", "\r")):
        raise ValueError(f"{path.name}: a cell would need quoting")
    rows = [list(frame.columns), *zip(*columns[1:], strict=True)]
    body = "".join(";".join(row) + "\r\n" for row in rows)
    path.write_bytes(body.encode("utf-8-sig"))
    return path


def build_all(seed: int = SEED) -> dict[str, pd.DataFrame]:
    """Build the four demo tables (and the account plan under ``"_plan"``) in memory."""
    rng_accounts, rng_tx, rng_keyareas, rng_dealer = (
        np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(4)
    )
    plan = build_accounts(rng_accounts)
    tx = build_transactions(rng_tx, plan)
    customers = plan[
        [
            "Kundenr",
            "Kundenavn",
            "Region",
            "Bransje",
            "Selger",
            "Status",
            "Kunde siden",
            "Strategisk passform",
            "Partnerskapsvilje",
            "Kundeandel",
            "Relasjonsstyrke",
        ]
    ].copy()
    customers["Kunde siden"] = pd.to_datetime(pd.Series(customers["Kunde siden"], dtype="object"))
    customers = customers.sort_values("Kundenr").reset_index(drop=True)
    return {
        "transactions": tx,
        "customers": customers,
        "survey_keyareas": build_survey_keyareas(rng_keyareas, plan, tx),
        "survey_dealer": build_survey_dealer(rng_dealer),
        "_plan": plan,
    }


def generate(out_dir: Path = DEFAULT_OUT) -> dict[str, Path]:
    """Write the four demo CSV files into ``out_dir`` and return their paths by table name."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    tables = build_all()
    return {name: write_norwegian_csv(tables[name], out_dir / f"{name}.csv") for name in TABLES}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output folder (default data/demo/)")
    args = parser.parse_args(argv)
    for name, path in generate(args.out).items():
        print(f"{name:16s} {path}  {path.stat().st_size / 1e6:.2f} MB")


if __name__ == "__main__":
    main()

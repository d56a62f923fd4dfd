"""Guess which column plays which role (customer_id, revenue ...) and what kind of table it is.

Headers are matched against an English/Norwegian/Swedish glossary (domain primer §8); the
data then confirms or vetoes each match (a ``date`` must hold dates, ``revenue`` numbers).
"""

from __future__ import annotations

import re
import unicodedata
from concurrent.futures import ThreadPoolExecutor

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from kamcore.schemas import DATE_ROLES, NUMERIC_ROLES, ROLES, ColumnMapping, TableKind


class MappingGuess(BaseModel):
    """Proposed role -> column mapping, the table kind and, per role, why it was chosen."""

    model_config = ConfigDict(frozen=True)

    mapping: ColumnMapping
    kind: TableKind
    reasons: dict[str, str] = Field(default_factory=dict)


# Exact header names (normalised: lower case, accents kept, _-./ as spaces) and their score.
# Higher scores win; group/category beats single product, order date beats ship date.
_EXACT: dict[str, dict[str, int]] = {
    "customer_id": {
        **dict.fromkeys(
            [
                "kundenr",
                "kundenummer",
                "kunde nr",
                "kunde id",
                "kundeid",
                "kundnr",
                "kundnummer",
                "kund nr",
                "kund id",
                "kundid",
                "customer id",
                "customerid",
                "customer no",
                "customer number",
                "customer nr",
                "cust id",
                "client id",
                "account id",
                "account number",
                "account no",
                "kontonr kunde",
            ],
            10,
        ),
    },
    "customer_name": {
        **dict.fromkeys(
            [
                "kundenavn",
                "kunde navn",
                "kundnamn",
                "kund namn",
                "customer name",
                "client name",
                "account name",
                "company name",
                "firmanavn",
                "företagsnamn",
                "foretagsnamn",
                "bedriftsnavn",
            ],
            10,
        ),
        **dict.fromkeys(
            ["kunde", "kund", "customer", "client", "account", "company", "firma", "företag", "bedrift"], 8
        ),
        **dict.fromkeys(["navn", "namn", "name"], 4),
    },
    "date": {
        **dict.fromkeys(
            [
                "dato",
                "fakturadato",
                "datum",
                "fakturadatum",
                "order date",
                "orderdate",
                "invoice date",
                "ordredato",
                "orderdatum",
                "transaksjonsdato",
                "transaction date",
                "bilagsdato",
                "date",
                "salgsdato",
                "försäljningsdatum",
                "leveringsdato",
            ],
            10,
        ),
    },
    "order_id": {
        **dict.fromkeys(
            [
                "ordrenr",
                "ordrenummer",
                "ordre nr",
                "ordre id",
                "ordernr",
                "ordernummer",
                "order nr",
                "order id",
                "orderid",
                "order no",
                "order number",
                "invoice no",
                "invoice number",
                "invoice id",
                "fakturanr",
                "fakturanummer",
                "faktura nr",
                "bilagsnr",
            ],
            10,
        ),
    },
    "revenue": {
        **dict.fromkeys(
            [
                "omsetning",
                "salg",
                "inntekt",
                "inntekter",
                "försäljning",
                "omsättning",
                "intäkt",
                "intäkter",
                "sales",
                "revenue",
                "net sales",
                "netto omsetning",
                "nettoomsetning",
                "turnover",
                "salgsbeløp",
                "beløp",
                "belopp",
                "amount",
                "net revenue",
                "omsetning nok",
                "omsättning sek",
                "sales amount",
                "dollar value",
                "order value",
                "sales value",
                "ordreverdi",
                "salgsverdi",
                "ordervärde",
                "försäljningsvärde",
            ],
            10,
        ),
    },
    "cost": {
        **dict.fromkeys(
            [
                "kostnad",
                "kostnader",
                "cost",
                "costs",
                "cogs",
                "varekost",
                "varekostnad",
                "cost of goods",
                "kost",
                "innkjøpskost",
                "inköpskostnad",
                "cost to serve",
            ],
            10,
        ),
    },
    "profit": {
        **dict.fromkeys(
            [
                "fortjeneste",
                "db",
                "dekningsbidrag",
                "tb",
                "täckningsbidrag",
                "profit",
                "margin",
                "contribution margin",
                "contribution",
                "resultat",
                "vinst",
                "gross profit",
                "bruttofortjeneste",
                "bruttovinst",
                "gross margin",
            ],
            10,
        ),
    },
    "quantity": {
        **dict.fromkeys(
            [
                "antall",
                "antal",
                "quantity",
                "qty",
                "mengde",
                "stk",
                "units",
                "kvantitet",
                "volum",
                "volym",
                "number of units",
                "number of cds",
            ],
            10,
        ),
    },
    "product": {
        **dict.fromkeys(
            [
                "produktgruppe",
                "produktgrupp",
                "varegruppe",
                "varugrupp",
                "product group",
                "category",
                "kategori",
                "produktkategori",
                "product category",
                "category name",
            ],
            10,
        ),
        **dict.fromkeys(["produkt", "product", "vare", "vara", "artikkel", "artikel", "item"], 9),
    },
    "region": {
        **dict.fromkeys(
            [
                "region",
                "distrikt",
                "district",
                "område",
                "omrade",
                "area",
                "territory",
                "landsdel",
                "fylke",
                "län",
                "sales region",
                "salgsregion",
                "säljregion",
            ],
            10,
        ),
    },
    "industry": {
        **dict.fromkeys(
            ["bransje", "bransch", "industry", "sector", "sektor", "næring", "näring", "vertical"], 10
        ),
    },
    "segment": {
        **dict.fromkeys(
            [
                "segment",
                "kundesegment",
                "kundsegment",
                "customer segment",
                "tier",
                "kundetype",
                "kundtyp",
                "customer type",
            ],
            10,
        ),
    },
    "owner": {
        **dict.fromkeys(
            [
                "selger",
                "säljare",
                "saljare",
                "kam",
                "owner",
                "sales rep",
                "salesperson",
                "sales person",
                "account manager",
                "key account manager",
                "kundeansvarlig",
                "kundansvarig",
                "ansvarlig",
                "ansvarig",
                "account owner",
                "rep",
            ],
            10,
        ),
        **dict.fromkeys(["employee id", "employee", "ansatt", "anställd"], 6),
    },
    "status": {
        **dict.fromkeys(
            [
                "status",
                "kundestatus",
                "kundstatus",
                "aktiv",
                "active",
                "churned",
                "churn",
                "tapt",
                "förlorad",
                "lost",
            ],
            10,
        ),
    },
    "customer_since": {
        **dict.fromkeys(
            [
                "kunde siden",
                "kunde fra",
                "kund sedan",
                "kund från",
                "customer since",
                "first purchase",
                "første kjøp",
                "första köp",
                "start date",
                "startdato",
                "startdatum",
                "since",
            ],
            10,
        ),
    },
}

# Words that, found anywhere in a header, suggest a role with a lower score.
_WORDS: dict[str, tuple[tuple[str, ...], int]] = {
    "date": (("dato", "datum", "date"), 5),
    "revenue": (
        ("omsetning", "omsättning", "salg", "sales", "revenue", "försäljning", "inntekt", "intäkt"),
        5,
    ),
    "cost": (("kostnad", "cost", "kost"), 5),
    "profit": (("profit", "fortjeneste", "dekningsbidrag", "täckningsbidrag", "margin", "vinst"), 5),
    "quantity": (("antall", "antal", "quantity", "qty"), 5),
    "product": (("produkt", "product", "category", "kategori", "vare"), 5),
    "region": (("region", "distrikt", "district"), 4),
    "industry": (("bransje", "bransch", "industry"), 5),
    "segment": (("segment",), 5),
    "owner": (("selger", "säljare", "owner", "manager", "kam"), 5),
    "status": (("status",), 5),
}
_CUSTOMER_WORDS = ("kunde", "kund", "customer", "client", "account", "cust")
_ID_WORDS = ("id", "nr", "no", "number", "nummer", "nummer", "kode", "code", "key", "nøkkel")
_RESPONDENT_WORDS = ("respondent", "resp", "respondent id", "id", "svar id", "response id", "responseid")
_DATE_WORDS = ("dato", "datum", "date", "siden", "sedan", "since")
# A country is not a sales region: "Land", "Country", "Land/region", "Country/Region" (Excel's
# and Power BI's name for a country column) are never proposed as region.
_COUNTRY_WORDS = ("land", "country", "countries", "länder", "nation", "nasjon", "landskode", "landkod")


def _normalise(header: str) -> str:
    text = unicodedata.normalize("NFC", str(header)).casefold().strip()
    text = re.sub(r"[_\-./:()\[\]#]+", " ", text)
    return re.sub(r"\s+", " ", text).strip()


def _tokens(header: str) -> list[str]:
    return _normalise(header).split(" ")


def is_id_header(header: str) -> bool:
    """True when a header names an identifier (Kundenr, Customer ID, Postal code, order_id...).

    Integer columns with such headers are kept as text: leading zeros and ids are not amounts.
    """
    tokens = _tokens(header)
    if not tokens:
        return False
    pairs = zip(tokens, tokens[1:], strict=False)
    if any(a in ("number", "nummer", "antall", "antal") and b in ("of", "på", "av") for a, b in pairs):
        return False  # "number of cds", "antall av": a count, not an identifier
    joined = "".join(tokens)
    if any(
        t
        in ("id", "nr", "no", "nummer", "number", "kode", "code", "postnummer", "postnr", "zip", "respondent")
        for t in tokens
    ):
        return True
    if any(t.startswith(("postal", "postnum", "postnr", "zip")) for t in tokens):
        return True
    return bool(re.search(r"(nr|nummer|id)$", joined)) and len(joined) > 3


def is_date_header(header: str) -> bool:
    """True when a header suggests a date (Dato, Fakturadato, Datum, Order Date, Kunde siden)."""
    normalised = _normalise(header)
    return any(word in normalised for word in _DATE_WORDS)


def _header_score(role: str, header: str) -> tuple[int, str]:
    normalised = _normalise(header)
    if role == "region" and any(t in _COUNTRY_WORDS for t in normalised.split(" ")):
        return 0, ""
    exact = _EXACT.get(role, {}).get(normalised)
    if exact:
        return exact, f"header '{header}' is a usual name for {role}"
    tokens = normalised.split(" ")
    if role == "customer_id":
        if any(t.startswith(_CUSTOMER_WORDS) for t in tokens) and (
            any(t in _ID_WORDS for t in tokens) or re.search(r"(nr|id|nummer)$", normalised.replace(" ", ""))
        ):
            return 6, f"header '{header}' names a customer number"
        return 0, ""
    if role == "customer_name":
        if any(t.startswith(_CUSTOMER_WORDS) for t in tokens) and any(
            t in ("navn", "namn", "name") for t in tokens
        ):
            return 7, f"header '{header}' names a customer name"
        return 0, ""
    if role == "order_id":
        if any(t.startswith(("ordre", "order", "faktura", "invoice")) for t in tokens) and any(
            t in _ID_WORDS for t in tokens
        ):
            return 6, f"header '{header}' names an order number"
        return 0, ""
    words, score = _WORDS.get(role, ((), 0))
    if any(word in normalised for word in words):
        return score, f"header '{header}' contains a word for {role}"
    return 0, ""


def _fits_data(role: str, series: pd.Series) -> bool:
    if role in DATE_ROLES:
        if pd.api.types.is_datetime64_any_dtype(series):
            return True
        if role == "customer_since" and pd.api.types.is_numeric_dtype(series):
            values = series.dropna()
            return bool(len(values)) and bool(values.between(1900, 2100).all())
        return False
    if role in NUMERIC_ROLES:
        return pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series)
    if role in ("customer_id", "order_id"):
        return not pd.api.types.is_datetime64_any_dtype(series)
    return not pd.api.types.is_datetime64_any_dtype(series) and not pd.api.types.is_float_dtype(series)


def _likert_columns(table: pd.DataFrame) -> list[str]:
    found = []
    for column in table.columns:
        series = table[column]
        if not pd.api.types.is_numeric_dtype(series):
            continue
        values = series.dropna()
        if len(values) == 0:
            continue
        if (
            (values == values.round()).all()
            and values.min() >= 0
            and values.max() <= 10
            and values.nunique() >= 2
        ):
            found.append(column)
    return found


def _respondent_column(table: pd.DataFrame) -> str | None:
    for column in table.columns:
        if _normalise(column) in _RESPONDENT_WORDS or _normalise(column).startswith("respondent"):
            return column
    for column in table.columns:
        series = table[column].dropna()
        if len(series) and series.is_unique and not pd.api.types.is_float_dtype(series):
            return column
        if (
            len(series)
            and series.is_unique
            and pd.api.types.is_float_dtype(series)
            and (series == series.round()).all()
        ):
            return column
    return None


def guess_mapping(table: pd.DataFrame) -> MappingGuess:
    """Propose a role -> column mapping and the table kind from headers and data.

    Parameters
    ----------
    table : a parsed table (``ParsedTable.data``): numbers float64, dates datetime64, text str.

    Returns
    -------
    MappingGuess
        ``mapping`` (each column at most one role), ``kind`` and a reason per mapped role.

    Notes
    -----
    Each (role, column) pair gets a header score (exact glossary name 10, a usual word in
    the header 4-6); pairs whose data do not fit the role (text as revenue, a number as a
    date) are dropped; then pairs are taken best first so every role and column is used
    once. CRM contact exports are recognised first by their headers (a contacts table names
    an account and a contact plus a title, buying role, attitude, influence or leaving date; a
    links table names our person, their contact and a strength; a people table our person and a
    role or seniority) and get the relationship roles of ``schemas.RELATIONSHIP_ROLES``.
    Without a header match, the first date column becomes ``date`` and a text column
    of short repeated codes becomes ``customer_id``. Kind: ``survey`` when at least half the
    columns (and at least three) hold integers 0-10 and one column identifies the
    respondent; ``transactions`` when customer ids repeat; ``accounts`` when each id occurs
    once; else ``other``.
    """
    answers = _answer_columns(table)
    relationship = None if _looks_like_survey(table, answers=answers) else _guess_relationship(table)
    if relationship is not None:
        return relationship
    candidates: list[tuple[int, int, int, str, str, str]] = []
    for role_rank, role in enumerate(ROLES):
        for column_rank, column in enumerate(table.columns):
            score, reason = _header_score(role, str(column))
            if score and _fits_data(role, table[column]):
                candidates.append((-score, column_rank, role_rank, role, str(column), reason))
    candidates.sort()
    roles: dict[str, str] = {}
    reasons: dict[str, str] = {}
    used: set[str] = set()
    for _neg, _c, _r, role, column, reason in candidates:
        if role in roles or column in used:
            continue
        roles[role] = column
        reasons[role] = reason
        used.add(column)

    if "date" not in roles:
        for column in table.columns:
            if column not in used and pd.api.types.is_datetime64_any_dtype(table[column]):
                roles["date"] = str(column)
                reasons["date"] = f"column '{column}' holds dates"
                used.add(str(column))
                break
    survey = _looks_like_survey(table, roles, answers=answers)
    if survey:
        reasons["__kind__"] = _survey_reason(table)
    if "customer_id" not in roles and not survey:
        for column in table.columns:
            series = table[column].dropna()
            if column in used or not len(series) or not pd.api.types.is_string_dtype(series):
                continue
            lengths = series.str.len()
            code_like = series.str.fullmatch(r"[A-Za-z0-9_\-./]*\d[A-Za-z0-9_\-./]*")
            compact = code_like.mean() >= 0.9 and lengths.mean() <= 20
            repeated = 2 <= series.nunique() <= 0.5 * len(series)
            if compact and repeated:
                roles["customer_id"] = str(column)
                reasons["customer_id"] = (
                    f"column '{column}' holds short codes that repeat, like customer numbers"
                )
                used.add(str(column))
                break

    kind = TableKind.survey if survey else _guess_kind(table, roles)
    ordered = {role: roles[role] for role in ROLES if role in roles}
    kind_reason = {"kind": reasons["__kind__"]} if "__kind__" in reasons else {}
    return MappingGuess(
        mapping=ColumnMapping(roles=ordered), kind=kind, reasons={r: reasons[r] for r in ordered} | kind_reason
    )


# ------------------------------------------------------------------ surveys (issue 14)
_ITEM_HEADERS = ("item", "items", "question", "questions", "spørsmål", "sporsmal", "fråga", "fraga", "variable")


def _distinct_answers(series: pd.Series) -> tuple[int, object]:
    """(cells that are not blank once stripped, the distinct stripped non-blank texts) of a
    column without missing values. Stripped per distinct value, not per cell."""
    if isinstance(series.dtype, pd.StringDtype):
        # Already text: astype(str) would change nothing, so the distinct cells are enough, and
        # counting is needed only for cells that strip to "" (rare; often none at all).
        unique = pd.Series(series.unique(), dtype="str").str.strip().to_numpy(dtype=object)
        blank = unique == ""
        n_text = len(series)
        if blank.any():
            raw = series.unique()[blank]
            n_text -= int(series.isin(raw).sum())
        return n_text, pd.unique(unique[~blank])
    counts = series.astype(str).value_counts(sort=False, dropna=False)
    stripped = pd.Series(counts.index.astype(str), dtype="str").str.strip().to_numpy(dtype=object)
    filled = stripped != ""
    return int(counts.to_numpy()[filled].sum()), pd.unique(stripped[filled])


# Tables at least this long survey their columns on two threads: the costly steps (pyarrow's
# unique over a text column, numpy's checks over a number column) release the GIL.
_PARALLEL_ROWS = 100_000


def _answer_evidence(series: pd.Series) -> tuple[str, tuple[str, ...]] | None:
    """What one column says about answers: ``("scale", ())`` for whole numbers on a scale or
    labels of a known scale, ``("few", labels)`` for a few unknown text answers, else None."""
    from kamcore.survey_labels import known_label

    series = series.dropna()
    if not len(series):
        return None
    if pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
        values = series.astype(float)
        head = values.iloc[:2000]
        if not (head == head.round()).all() or head.min() < -10 or head.max() > 100:
            return None  # the first rows already break a rule the whole column must keep
        if (values == values.round()).all():
            low, high = values.min(), values.max()
            # no NaN left (dropna): at least two distinct values exactly when min < max
            if low >= -10 and high <= 100 and low < high:
                return ("scale", ())
        return None
    if not pd.api.types.is_string_dtype(series) and series.dtype != object:
        return None
    head = series.iloc[:2000].astype(str).str.strip()
    if head[head != ""].nunique() > 11:
        return None  # more than 11 distinct answers in the first rows already: not a scale
    n_text, distinct = _distinct_answers(series)
    if not len(distinct) or len(distinct) > 11:
        return None
    if sum(known_label(v) for v in distinct) >= 0.8 * len(distinct):
        return ("scale", ())
    if len(distinct) >= 3 and len(distinct) <= 0.5 * n_text:
        return ("few", tuple(sorted(distinct)))
    return None


def _answer_columns(table: pd.DataFrame) -> list[str]:
    """Columns that look like answers: whole numbers on a scale (−10…100), labels of a known
    scale, or the same few text answers in several columns (a scale with labels we do not know).

    Notes
    -----
    Each column is judged alone (:func:`_answer_evidence`); a long table's columns are judged
    on two threads, which changes nothing but the wall time (results are taken in column order).
    """
    columns = list(table.columns)
    series = [table[column] for column in columns]
    if len(table) >= _PARALLEL_ROWS and len(columns) > 1:
        with ThreadPoolExecutor(max_workers=2) as pool:
            evidence = list(pool.map(_answer_evidence, series))
    else:
        evidence = [_answer_evidence(s) for s in series]
    found = [column for column, e in zip(columns, evidence, strict=True) if e is not None and e[0] == "scale"]
    few = {column: e[1] for column, e in zip(columns, evidence, strict=True) if e is not None and e[0] == "few"}
    for column, labels in few.items():
        if sum(1 for other in few.values() if other == labels) >= 2:
            found.append(column)
    return found


def _long_survey(table: pd.DataFrame) -> bool:
    """Respondent, item, value: an item column of repeated codes and whole-number answers."""
    if not 3 <= len(table.columns) <= 5 or len(table) < 4:
        return False
    items = [c for c in table.columns if _normalise(c) in _ITEM_HEADERS]
    cols = list(table.columns)
    item = items[0] if items else (cols[1] if len(cols) == 3 else None)
    if item is None:
        return False
    values = [c for c in cols if c != item and pd.api.types.is_numeric_dtype(table[c])]
    if not values:
        return False
    value = values[-1]
    v = table[value].dropna().astype(float)
    codes = table[item].dropna().astype(str)
    keys = [c for c in cols if c not in (item, value)]
    return (
        bool(len(v))
        and bool((v == v.round()).all())
        and v.min() >= -10
        and v.max() <= 100
        and 2 <= codes.nunique() <= 200
        and codes.nunique() < 0.5 * len(codes)
        and bool(keys)
        and not table.duplicated(subset=[keys[0], item]).any()
    )


def _looks_like_survey(
    table: pd.DataFrame, roles: dict[str, str] | None = None, answers: list[str] | None = None
) -> bool:
    """``answers``: :func:`_answer_columns` of ``table`` where the caller has it already."""
    roles = roles or {}
    if _long_survey(table):
        return True
    answers = _answer_columns(table) if answers is None else answers
    if len(answers) < 3:
        return False
    # Survey tools export metadata columns nobody fills (e-mail, name): they do not count.
    filled = int(table.notna().any(axis=0).sum()) or len(table.columns)
    share = len(answers) / filled
    if "revenue" in roles or "cost" in roles or "profit" in roles:
        return share >= 0.6
    return share >= (0.4 if _respondent_column(table) is not None else 0.5)


def survey_evidence(table: pd.DataFrame) -> dict[str, int | bool]:
    """Why a table looks like a survey: ``long`` layout, or ``answers`` of ``columns`` (filled) hold answers."""
    filled = int(table.notna().any(axis=0).sum()) or len(table.columns)
    return {"long": _long_survey(table), "answers": len(_answer_columns(table)), "columns": filled}


def _survey_reason(table: pd.DataFrame) -> str:
    if _long_survey(table):
        return "one row per answer: respondent, item and value columns"
    evidence = survey_evidence(table)
    return f"{evidence['answers']} of {evidence['columns']} columns hold answers on a rating scale"


def _guess_kind(table: pd.DataFrame, roles: dict[str, str]) -> TableKind:
    customer = roles.get("customer_id")
    if customer is None:
        return TableKind.other
    ids = table[customer].dropna()
    if not len(ids):
        return TableKind.other
    # A repeat among the first rows already settles it (a transaction export repeats its
    # customers at once); only then is the whole column hashed.
    if not ids.iloc[:10_000].is_unique:
        return TableKind.transactions
    return TableKind.accounts if ids.is_unique else TableKind.transactions


# ----------------------------------------------------------------------------- relationship tables
# CRM contact exports: contacts at the customer, our people, and who of ours talks to whom.
# Exact (normalised) header names per kind and role, in English, Norwegian and Swedish.
_ACCOUNT_HEADERS = (
    "kundenr", "kundenummer", "kunde nr", "kunde id", "kundnr", "kundnummer", "kund nr", "kund id",
    "customer id", "customer no", "customer number", "account id", "account number", "account no",
    "kunde", "kund", "customer", "account", "company", "firma", "företag", "bedrift", "organisasjon",
    "organisation", "organization", "konto", "kundenavn", "kundnamn", "customer name", "account name",
    "company name", "firmanavn", "företagsnamn",
)
_CONTACT_HEADERS = (
    "kontaktperson", "kontakt", "kontaktnavn", "kontaktnamn", "contact", "contact name", "contact person",
    "navn", "namn", "name", "full name", "fullt navn", "fullständigt namn", "deres kontakt", "deras kontakt",
    "their contact", "kundekontakt", "kundkontakt", "customer contact",
)
_LAST_CONTACT_HEADERS = (
    "sist kontaktet", "siste kontakt", "sist kontakt", "senast kontakt", "senaste kontakt", "senast kontaktad",
    "last contact", "last contacted", "last contact date", "siste møte", "senaste möte", "last meeting",
    "sist snakket", "sist pratat",
)
_THEIR_CONTACT_HEADERS = frozenset(_CONTACT_HEADERS) - {"navn", "namn", "name", "full name", "fullt navn",
                                                        "fullständigt namn"}
_PERSON_HEADERS = (
    "vår person", "vår kontakt", "våre folk", "vår medarbeider", "vår medarbetare", "our person", "our contact",
    "our people", "ansatt", "anställd", "medarbeider", "medarbetare", "employee", "person", "intern",
    "internal", "selger", "säljare", "fra oss", "från oss", "from us",
)
_RELATIONSHIP_EXACT: dict[str, dict[str, tuple[str, ...]]] = {
    "contacts": {
        "account": _ACCOUNT_HEADERS,
        "contact": _CONTACT_HEADERS,
        "title": ("stilling", "tittel", "stillingstittel", "title", "job title", "titel", "befattning", "position",
                  "yrkestittel"),
        "department": ("avdeling", "avdelning", "department", "funksjon", "funktion", "function", "enhet"),
        "roles": ("roller", "rolle", "roll", "roles", "role", "buying role", "buying roles", "kjøpssenterrolle",
                  "kjøpssenterroller", "rolle i kjøpssenter", "roller i kjøpssenter", "roll i köpcentrum",
                  "roller i köpcentrum", "köpcentrumroll", "buying centre role", "buying center role", "dmu role"),
        "influence": ("innflytelse", "inflytande", "influence", "påvirkning", "makt", "power"),
        "attitude": ("holdning", "inställning", "attitude", "stance", "sentiment", "holdning til oss",
                     "inställning till oss", "attitude to us"),
        "last_contact": _LAST_CONTACT_HEADERS,
        "left_on": ("sluttet", "sluttdato", "sluttet dato", "sluttet i firmaet", "slutat", "slutdatum",
                    "slutade", "left", "left on", "left company", "left date", "end date", "fratrådt", "avgått"),
    },
    "people": {
        "person": _PERSON_HEADERS + ("navn", "namn", "name"),
        "role": ("rolle", "roll", "role", "funksjon", "funktion", "function", "stilling", "position", "title",
                 "tittel", "titel"),
        "executive": ("leder", "ledelse", "toppleder", "executive", "senior", "seniority", "ansiennitet",
                      "ledernivå", "ledarnivå", "nivå", "level", "chef", "ledning", "ledergruppe", "ledningsgrupp",
                      "management", "executive sponsor", "sponsor"),
    },
    "links": {
        "account": _ACCOUNT_HEADERS,
        "person": _PERSON_HEADERS,
        "contact": _CONTACT_HEADERS,
        "strength": ("styrke", "styrka", "strength", "relasjonsstyrke", "relationsstyrka", "relationship strength",
                     "tie strength", "relasjon", "relation"),
        "last_contact": _LAST_CONTACT_HEADERS,
    },
}
# What a table must show by its headers before it is taken for that kind (beyond the required roles).
_RELATIONSHIP_SIGNS: dict[str, tuple[str, ...]] = {
    "links": ("strength",),
    "contacts": ("roles", "attitude", "influence", "title", "left_on"),
    "people": ("role", "executive"),
}


def _guess_relationship(table: pd.DataFrame) -> MappingGuess | None:
    """A contacts / people / links guess when the headers say so; None for anything else."""
    from kamcore.schemas import REQUIRED_ROLES, roles_for_kind

    headers = {str(column): _normalise(column) for column in table.columns}
    if any(h in _EXACT["revenue"] or h in _EXACT["order_id"] for h in headers.values()):
        return None  # sales data
    for kind in ("links", "contacts", "people"):
        glossary = _RELATIONSHIP_EXACT[kind]
        roles: dict[str, str] = {}
        reasons: dict[str, str] = {}
        used: set[str] = set()
        for role in roles_for_kind(kind):
            names = glossary[role]
            # the earliest name in the glossary wins (Kundenr before Kundenavn), then the leftmost column
            ranked = sorted(
                (names.index(h), i, column)
                for i, (column, h) in enumerate(headers.items())
                if h in names and column not in used
            )
            for _rank, _i, column in ranked:
                series = table[column]
                empty = bool(series.isna().all())  # e.g. 'Sluttet' while nobody has left yet
                if role in DATE_ROLES and not (empty or pd.api.types.is_datetime64_any_dtype(series)):
                    continue
                if role in NUMERIC_ROLES and not (empty or pd.api.types.is_numeric_dtype(series)):
                    continue
                roles[role] = column
                reasons[role] = f"header '{column}' is a usual name for {role}"
                used.add(column)
                break
        required = REQUIRED_ROLES[TableKind(kind)]
        if all(r in roles for r in required) and any(r in roles for r in _RELATIONSHIP_SIGNS[kind]):
            if kind == "people" and any(h in _THEIR_CONTACT_HEADERS for h in headers.values()):
                continue  # names people at the customer: not a list of our own people
            return MappingGuess(mapping=ColumnMapping(roles=roles), kind=TableKind(kind), reasons=reasons)
    return None

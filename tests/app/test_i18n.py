"""The translation catalogue is complete and locale formatting is right."""

from __future__ import annotations

import re
import string
from pathlib import Path

import pytest

from ui import i18n

ROOT = Path(__file__).resolve().parents[2]
LITERAL_KEY = re.compile(r"""\bt\(\s*["']([a-z_]+\.[A-Za-z0-9_.]+)["']""")


def _source_files() -> list[Path]:
    return sorted([ROOT / "app.py", *(ROOT / "pages").glob("*.py"), *(ROOT / "ui").glob("*.py")])


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_every_literal_key_used_in_the_ui_is_in_the_catalogue_in_every_language():
    missing = []
    for path in _source_files():
        for key in LITERAL_KEY.findall(path.read_text(encoding="utf-8")):
            namespace, _, name = key.partition(".")
            entry = i18n.catalogue(namespace).get(name)
            for language in i18n.LANGUAGES:
                if not entry or not entry.get(language):
                    missing.append(f"{path.name}: {key} [{language}]")
    assert missing == []


@pytest.mark.parametrize("namespace", i18n.all_namespaces())
def test_catalogue_entries_have_all_languages_with_the_same_placeholders(namespace):
    problems = []
    for name, entry in i18n.catalogue(namespace).items():
        languages = set(entry)
        if languages != set(i18n.LANGUAGES):
            problems.append(f"{name}: languages {sorted(languages)}")
            continue
        expected = _placeholders(entry["en"])
        for language, text in entry.items():
            if not text.strip():
                problems.append(f"{name}: empty {language}")
            if _placeholders(text) != expected:
                problems.append(f"{name}: placeholders differ in {language}")
    assert problems == []


def test_missing_key_raises_in_strict_mode():
    with pytest.raises(KeyError, match="app.no_such_key"):
        i18n.translate("app.no_such_key", "nb")


def test_translate_picks_the_language_and_formats_parameters():
    assert i18n.translate("app.period_year", "nb", year=2025) == "År 2025"
    assert i18n.translate("app.period_year", "en", year=2025) == "Year 2025"
    assert i18n.translate("app.period_year", i18n.PSEUDO, year=2025) == "⟦Year 2025⟧"


@pytest.mark.parametrize(
    ("language", "expected"),
    [("nb", "1\u00a0234\u00a0567,8"), ("sv", "1\u00a0234\u00a0567,8"), ("en", "1,234,567.8")],
)
def test_numbers_are_formatted_for_the_locale(language, expected):
    assert i18n.fmt_num(1234567.8, 1, language) == expected


def test_negative_numbers_and_percentages():
    assert i18n.fmt_num(-1250, 0, "nb") == "-1\u00a0250"
    assert i18n.fmt_pct(0.8, 1, "nb") == "80,0\u00a0%"
    assert i18n.fmt_pct(0.125, 1, "en") == "12.5%"
    assert i18n.fmt_num(float("nan"), 0, "en") == "–"


def test_dates_are_formatted_for_the_locale():
    import datetime as dt

    day = dt.date(2026, 10, 31)
    assert i18n.fmt_date(day, "nb") == "31.10.2026"
    assert i18n.fmt_date(day, "sv") == "2026-10-31"
    assert i18n.fmt_date(day, "en") == "31 Oct 2026"


def test_kam_error_inside_a_pydantic_validation_error_is_translated():
    from kamcore.schemas import ColumnMapping

    with pytest.raises(Exception) as caught:
        ColumnMapping(roles={"revenue": "Beløp", "cost": "Beløp"})
    message = i18n.error_message(caught.value)
    assert message.startswith("Column 'Beløp' is mapped to both")


@pytest.mark.parametrize("module", ["db", "ingest", "portfolio", "selection", "segments", "survey", "tables",
                                    "schemas"])
def test_every_error_code_raised_in_kamcore_has_a_translation(module):
    # Every kamcore module, not only kamcore/<module>.py: a namespace's codes are raised from
    # several modules (selection.* also from manual_scores.py, ingest.* also from ingest_excel.py).
    source = "".join(path.read_text(encoding="utf-8") for path in sorted((ROOT / "kamcore").rglob("*.py")))
    codes = set(re.findall(rf'"{module}\.([a-z_]+)"', source))
    catalogue = i18n.catalogue(f"err_{module}")
    assert sorted(code for code in codes if code not in catalogue) == []


@pytest.mark.parametrize(
    ("language", "n", "expected"),
    [
        ("en", 1, "Column 'Kostnad' has 1 empty cell."),
        ("en", "1", "Column 'Kostnad' has 1 empty cell."),
        ("en", 2, "Column 'Kostnad' has 2 empty cells."),
        ("en", "1 000", "Column 'Kostnad' has 1 000 empty cells."),
        ("nb", "1", "Kolonnen «Kostnad» har 1 tom celle."),
        ("nb", "11", "Kolonnen «Kostnad» har 11 tomme celler."),
        ("sv", 1, "Kolumnen ”Kostnad” har 1 tom cell."),
    ],
)
def test_a_count_of_one_takes_the_singular_where_the_catalogue_has_one(language, n, expected):
    assert i18n.translate("quality.missing_values", language, column="Kostnad", n=n) == expected


def test_every_singular_twin_has_a_plural_key_with_the_same_placeholders():
    for namespace in i18n.all_namespaces():
        entries = i18n.catalogue(namespace)
        for name, entry in entries.items():
            if not name.endswith("_one"):
                continue
            plural = entries.get(name.removesuffix("_one"))
            assert plural, f"{namespace}.{name} has no plural key"
            for language in i18n.LANGUAGES:
                assert set(re.findall(r"{(\w+)}", entry[language])) == set(re.findall(r"{(\w+)}", plural[language]))
                assert "{n}" in entry[language], f"{namespace}.{name} [{language}]"

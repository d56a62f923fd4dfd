"""Every page loads on the demo in every language, and shows only catalogue strings."""

from __future__ import annotations

import pytest

from tests.app.pseudo import untranslated

PAGES = ["home", "data", "portfolio", "selection", "segments", "survey", "relationships"]


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("lang", ["en", "nb", "sv"])
def test_page_loads_without_exception(make_app, page, lang):
    at = make_app(page, lang=lang)
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


@pytest.mark.parametrize("page", PAGES)
def test_page_shows_no_string_missing_from_the_catalogue(make_app, page):
    at = make_app(page, lang="qps")
    assert not at.exception, [e.value for e in at.exception]
    assert untranslated(at) == []


@pytest.mark.parametrize("page", ["home", "data", "portfolio", "selection", "segments", "relationships", "account"])
def test_a_missing_value_in_a_table_is_a_dash_not_the_word_none(make_app, page):
    # The browser's grid writes "None" in an empty cell unless the table says otherwise.
    at = make_app(page, lang="nb")
    assert not at.exception, [e.value for e in at.exception]
    tables = list(at.dataframe)
    assert tables or page in ("home", "portfolio", "relationships"), f"no table on {page} to check"
    for table in tables:
        assert table.proto.placeholder == "–", (page, list(table.value.columns)[:3])

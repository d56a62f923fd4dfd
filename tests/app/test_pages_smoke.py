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

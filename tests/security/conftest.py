"""Security test fixtures: the app fixtures (demo_root, make_app) and server-like routing."""

from __future__ import annotations

import pytest

from tests.app.conftest import _demo_template, demo_root, make_app  # noqa: F401


@pytest.fixture
def server_routing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make AppTest run app.py on every run, as a server does.

    While a folder named ``pages/`` exists, Streamlit treats the app as a legacy multipage app
    until the first ``st.navigation`` call switches that off for the process. AppTest resets
    the flag before every run, so from the second run on it executes only the page script and
    skips app.py (sidebar, login gate). Renaming ``pages/`` makes this fixture unnecessary.
    """
    from streamlit.runtime import pages_manager

    original = pages_manager.PagesManager.__init__

    def init(self, *args, **kwargs):
        original(self, *args, **kwargs)
        pages_manager.PagesManager.uses_pages_directory = False

    monkeypatch.setattr(pages_manager.PagesManager, "__init__", init)


@pytest.fixture(autouse=True)
def _fresh_sign_in_throttle():
    """The sign-in throttle is process-wide on purpose; each test starts with none counted."""
    from ui import auth

    auth.THROTTLE.clear()
    auth.VERIFIED.clear()
    yield
    auth.THROTTLE.clear()
    auth.VERIFIED.clear()

"""AppTest fixtures: a demo workspace built once per test session, copied fresh per test."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from kamcore.demo import DEMO_NAME, build_demo_workspace

ROOT = Path(__file__).resolve().parents[2]
APP = str(ROOT / "app.py")
DEMO_DATA = ROOT / "data" / "demo"


@pytest.fixture(scope="session")
def _demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("demo-template")
    return build_demo_workspace(folder / f"{DEMO_NAME}.duckdb", DEMO_DATA)


@pytest.fixture
def demo_root(tmp_path: Path, _demo_template: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A workspaces folder holding a fresh copy of the demo workspace, used by the app."""
    root = tmp_path / "workspaces"
    root.mkdir()
    shutil.copyfile(_demo_template, root / f"{DEMO_NAME}.duckdb")
    monkeypatch.setenv("KAMSTUDIO_WORKSPACES", str(root))
    from ui import state

    state.settings.cache_clear()
    return root


class RouterAppTest(AppTest):
    """AppTest that always enters through app.py's router.

    Streamlit 1.67's AppTest re-requests the page it finished on by its page hash, and in
    that mode the elements app.py draws around ``st.navigation`` (the shared sidebar:
    language, workspace, filters) are dropped from the element tree. A real browser keeps
    them. Clearing the remembered hash makes every run enter like a browser reload of the
    same page; which page opens is decided by ``app.start_page`` in session state.
    """

    def _run(self, widget_state=None, timeout=None):  # type: ignore[override]
        if not self._page_hash:
            self._finished_page_script_hash = ""
        return super()._run(widget_state, timeout)


def new_app(page: str | None = None, lang: str = "en", timeout: float = 60) -> AppTest:
    """An AppTest of app.py in ``lang`` on ``pages/<page>.py``, run once."""
    at = RouterAppTest(Path(APP), default_timeout=timeout)
    at.session_state["lang"] = lang
    # Opened through app.py's router so the shared sidebar (filters, language) is there too.
    at.session_state["app.start_page"] = page or "home"
    at.run()
    return at


@pytest.fixture
def make_app(demo_root: Path) -> Callable[..., AppTest]:
    """Factory: ``make_app("portfolio", lang="nb")`` on the demo workspace."""
    return new_app

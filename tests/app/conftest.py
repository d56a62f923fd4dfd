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


def new_app(page: str | None = None, lang: str = "en", timeout: float = 60) -> AppTest:
    """An AppTest of app.py in ``lang``, switched to ``pages/<page>.py`` and run once."""
    at = AppTest.from_file(APP, default_timeout=timeout)
    at.session_state["lang"] = lang
    at.run()
    if page is not None:
        at.switch_page(f"pages/{page}.py")
        at.run()
    return at


@pytest.fixture
def make_app(demo_root: Path) -> Callable[..., AppTest]:
    """Factory: ``make_app("portfolio", lang="nb")`` on the demo workspace."""
    return new_app

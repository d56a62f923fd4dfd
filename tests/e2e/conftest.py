"""A real KAM Studio server on localhost and Debian's Chromium driven by Playwright."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
from tests.conftest import CHROMIUM, CHROMIUM_ARGS  # noqa: E402,F401 - the one browser set-up


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_healthy(url: str, process: subprocess.Popen, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"streamlit exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url + "/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise TimeoutError("streamlit did not become healthy")


@contextlib.contextmanager
def running_server(workspaces: Path, env_extra: dict[str, str] | None = None,
                   args_extra: list[str] | None = None) -> Iterator[str]:
    """Start ``streamlit run app.py`` on a free port with ``workspaces``; yield its URL."""
    port = _free_port()
    env = {**os.environ, "KAMSTUDIO_WORKSPACES": str(workspaces), **(env_extra or {})}
    env.pop("KAMSTUDIO_STRICT_I18N", None)
    log = open(workspaces / "server.log", "wb")  # noqa: SIM115 - closed below
    process = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"),
         "--server.port", str(port), "--server.address", "127.0.0.1", "--server.headless", "true",
         *(args_extra or [])],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(url, process)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """URL of a KAM Studio server shared by the e2e tests (the demo builds on first visit)."""
    with running_server(tmp_path_factory.mktemp("e2e-workspaces")) as url:
        yield url


@pytest.fixture
def fresh_server(tmp_path: Path) -> Iterator[str]:
    """A server no browser has visited yet (for first-request behaviour)."""
    workspaces = tmp_path / "workspaces"
    workspaces.mkdir()
    with running_server(workspaces) as url:
        yield url


@pytest.fixture
def screenshots(tmp_path: Path) -> Path:
    """Where a test saves screenshots (kept under the pytest tmp folder)."""
    return tmp_path

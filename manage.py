#!/usr/bin/env python3
"""KAM Studio's two set-up commands (needs only Python 3.11+ and git).

    python3 manage.py start   # create .venv if missing, install, open the app on the demo workspace
    python3 manage.py test    # install test dependencies (and Chromium for the browser test), run all tests
    python3 manage.py pack --workspace NAME --lang nb|sv|en [--anonymise] [--format pptx|pdf] --out FILE
                              # the meeting pack of a workspace (PowerPoint or PDF)

Extra arguments after the command go to Streamlit or pytest.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")
CHROMIUM = Path("/usr/bin/chromium")


def say(message: str) -> None:
    print(f"[kam-studio] {message}", flush=True)


def ensure_venv() -> None:
    """Create the local virtual environment once."""
    if not PYTHON.exists():
        say(f"creating virtual environment in {VENV}")
        venv.EnvBuilder(with_pip=True, clear=False).create(VENV)


def ensure_requirements(requirements: str) -> None:
    """Install ``requirements`` into .venv unless the same file was installed before."""
    files = [ROOT / "requirements.txt", ROOT / requirements]
    digest = hashlib.sha256(b"".join(f.read_bytes() for f in files)).hexdigest()
    stamp = VENV / f".installed-{requirements}"
    if stamp.exists() and stamp.read_text() == digest:
        return
    say(f"installing {requirements} (first run takes a few minutes)")
    subprocess.run([str(PYTHON), "-m", "pip", "install", "--quiet", "--upgrade", "pip"], check=True)
    subprocess.run([str(PYTHON), "-m", "pip", "install", "--quiet", "-r", str(ROOT / requirements)], check=True)
    stamp.write_text(digest)


def ensure_chromium(purpose: str = "the browser test", any_browser: bool = False) -> None:
    """Debian's Chromium: the meeting pack draws its charts and prints its PDF with it (any
    Chromium/Chrome on the PATH, or BROWSER_PATH, will do), and the end-to-end test drives
    /usr/bin/chromium (Playwright never downloads a browser here)."""
    if CHROMIUM.exists():
        return
    if any_browser and (os.environ.get("BROWSER_PATH")
                        or any(shutil.which(n) for n in ("chromium", "google-chrome", "chrome"))):
        return
    apt = shutil.which("apt-get")
    if apt and hasattr(os, "geteuid") and os.geteuid() == 0:
        say(f"installing Debian's chromium for {purpose}")
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run([apt, "update", "-qq"], check=True, env=env)
        subprocess.run([apt, "install", "-y", "-qq", "chromium"], check=True, env=env)
    else:
        say(f"chromium is not installed and cannot be installed here: {purpose} will fail "
            "(install chromium or Chrome, or set BROWSER_PATH)")


DEFAULT_PORT = 8501


def server_port(args: list[str], environ: dict[str, str] | None = None) -> int:
    """The port Streamlit will listen on: ``--server.port N`` or ``--server.port=N`` in ``args``
    (the last one wins, as for Streamlit), else ``STREAMLIT_SERVER_PORT``, else 8501."""
    port: str | None = None
    for index, arg in enumerate(args):
        if arg == "--server.port" and index + 1 < len(args):
            port = args[index + 1]
        elif arg.startswith("--server.port="):
            port = arg.partition("=")[2]
    if port is None:
        port = (os.environ if environ is None else environ).get("STREAMLIT_SERVER_PORT")
    try:
        return int(port) if port else DEFAULT_PORT
    except ValueError:
        return DEFAULT_PORT


def start(args: list[str]) -> int:
    ensure_venv()
    ensure_requirements("requirements.txt")
    ensure_chromium("the meeting pack's charts and PDF", any_browser=True)
    port = server_port(args)
    say(f"starting KAM Studio on http://localhost:{port} (the demo workspace is built on first start)")
    command = [str(PYTHON), "-m", "streamlit", "run", str(ROOT / "app.py"), *args]
    return subprocess.call(command, cwd=ROOT)


def test(args: list[str]) -> int:
    ensure_venv()
    ensure_requirements("requirements-dev.txt")
    ensure_chromium()
    env = {**os.environ, "KAMSTUDIO_STRICT_I18N": "1", "PYTHONPATH": str(ROOT)}
    # One process: the suite takes about 8 minutes, and some reliability tests watch shared
    # resources (temp folders, memory) that a second worker would disturb.
    command = [str(PYTHON), "-m", "pytest", *args]
    say("running the test suite: " + " ".join(command[2:]))
    return subprocess.call(command, cwd=ROOT, env=env)


def pack(args: list[str]) -> int:
    ensure_venv()
    ensure_requirements("requirements.txt")
    ensure_chromium("the meeting pack's charts and PDF", any_browser=True)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.call([str(PYTHON), "-m", "ui.pack_cli", *args], cwd=ROOT, env=env)


def main() -> int:
    commands = {"start": start, "test": test, "pack": pack}
    if len(sys.argv) < 2 or sys.argv[1] not in commands:
        print(__doc__)
        return 2
    return commands[sys.argv[1]](sys.argv[2:])


if __name__ == "__main__":
    sys.exit(main())

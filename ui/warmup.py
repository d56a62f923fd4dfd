"""Process warm-up: import the app's modules once, then keep them out of the garbage
collector's full scans.

Streamlit runs a full garbage collection (``gc.collect(2)``) after every script run of every
session (``runner.postScriptGC``), holding the interpreter lock while it walks every tracked
object: about 200,000 once pandas, plotly, scikit-learn and Streamlit are imported, 0.3 s per
run on this project's 2-core server. With 20 sessions signing in at once that was most of the
wait (measured with py-spy, see benchmarks/load.py).

:func:`start` (called by app.py on every run; it acts once per process) imports every module
of ``ui`` and ``kamcore`` in a background thread, so the first visitor does not wait for it,
then calls :func:`gc.freeze`: everything alive at that moment (modules, classes, functions,
Streamlit's runtime) moves to the collector's permanent generation and is never scanned again.
Later collections only walk objects made after it — the sessions' own data — so Streamlit's
collection after each run stays and keeps memory in check, at a fraction of the cost.

The trade-off: an object frozen here that later becomes part of unreachable reference cycle is
not reclaimed by the collector (reference counting still frees everything else). At warm-up
only module-level objects and the first session's few settings exist, so this is bounded
and small.
"""

from __future__ import annotations

import gc
import importlib
import logging
import pkgutil
import threading

_lock = threading.Lock()
_started = False
_done = threading.Event()
#: Packages whose modules are imported before freezing (their imports pull in the libraries).
PACKAGES = ("kamcore", "ui")
#: Library modules the pages import on first use, not at module level: pandas' Styler (and
#: jinja2 with it, 0.1-0.2 s) behind ``DataFrame.style`` in ``ui.i18n.table_view``.
LIBRARIES = ("pandas.io.formats.style",)

log = logging.getLogger(__name__)


def start() -> None:
    """Start the warm-up once per process (later calls return at once)."""
    global _started
    with _lock:
        if _started:
            return
        _started = True
    threading.Thread(target=_warm_up, name="kam-warmup", daemon=True).start()


def wait(timeout: float | None = None) -> bool:
    """Block until the warm-up has finished (for tests); True when it has."""
    return _done.wait(timeout)


def import_all() -> list[str]:
    """Import every module of :data:`PACKAGES`; the names of those that failed."""
    failed = []
    for package_name in PACKAGES:
        package = importlib.import_module(package_name)
        for module in pkgutil.walk_packages(package.__path__, package_name + "."):
            try:
                importlib.import_module(module.name)
            except Exception:  # noqa: BLE001 - a module that cannot load here fails on its page anyway
                failed.append(module.name)
    for name in LIBRARIES:
        try:
            importlib.import_module(name)
        except Exception:  # noqa: BLE001 - an optional library missing here fails on its page anyway
            failed.append(name)
    return failed


def _warm_up() -> None:
    try:
        failed = import_all()
        if failed:
            log.warning("warm-up could not import %s", ", ".join(failed))
        gc.collect()
        gc.freeze()
    finally:
        _done.set()

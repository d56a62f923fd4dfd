"""#13: ui.auth and ui.state formed an import cycle, hidden by an import inside a function
(state._require_sign_in imported ui.auth). ui.state is the lower layer now: it imports neither
ui.auth nor anything that does, and ui.auth registers its sign-in form with it."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _imported_modules(path: Path) -> list[tuple[str, bool]]:
    """(module, inside a function?) for every import statement of ``path``."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: list[tuple[str, bool]] = []

    def visit(node: ast.AST, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            inner = in_function or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda)
            if isinstance(child, ast.Import):
                found.extend((alias.name, inner) for alias in child.names)
            elif isinstance(child, ast.ImportFrom) and child.module:
                found.append((child.module, inner))
                found.extend((f"{child.module}.{a.name}", inner) for a in child.names)
            visit(child, inner)

    visit(tree, False)
    return found


@pytest.mark.parametrize(("module", "other"), [("state", "ui.auth"), ("auth", "ui.state"),
                                               ("session_binding", "ui.state"),
                                               ("session_binding", "ui.auth")])
def test_no_function_local_import_of_the_other_module(module, other):
    imports = _imported_modules(ROOT / "ui" / f"{module}.py")
    assert imports, "no imports found: the parser is out of date"
    assert [name for name, local in imports if local and name == other] == []


def test_state_does_not_import_auth_at_all():
    assert [name for name, _ in _imported_modules(ROOT / "ui" / "state.py") if name == "ui.auth"] == []


CHILD = """
import json, sys
import {module}
print(json.dumps(sorted(m for m in sys.modules if m in ("ui.auth", "ui.state", "ui.session_binding"))))
"""


@pytest.mark.parametrize(("module", "expected"), [
    ("ui.state", ["ui.session_binding", "ui.state"]),
    ("ui.auth", ["ui.auth", "ui.session_binding", "ui.state"]),
    ("ui.session_binding", ["ui.session_binding"]),
])
def test_each_module_imports_alone(module, expected):
    done = subprocess.run([sys.executable, "-c", CHILD.format(module=module)], cwd=ROOT, capture_output=True,
                          text=True, timeout=120, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads(done.stdout.strip().splitlines()[-1]) == expected


def test_auth_registers_its_gate_as_the_sign_in_form():
    from ui import auth, state

    assert state._sign_in_form is auth.gate

"""Reuse the app fixtures (demo_root, make_app) in security tests."""

from tests.app.conftest import _demo_template, demo_root, make_app  # noqa: F401

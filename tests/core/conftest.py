"""Fixtures shared by the kamcore tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.core.demo_files import DEMO_DIR


@pytest.fixture(scope="session")
def demo_dir() -> Path:
    """The committed demo data (test_demo_data.py proves it is what the generator writes)."""
    return DEMO_DIR

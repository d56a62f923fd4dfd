"""Every kamcore module's examples run and print what their docstrings say."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import kamcore

MODULES = sorted(f"kamcore.{m.name}" for m in pkgutil.iter_modules(kamcore.__path__))


@pytest.mark.parametrize("name", MODULES)
def test_doctests(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE, verbose=False)
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples failed in {name}"


def test_the_modules_the_issue_names_have_examples():
    finder = doctest.DocTestFinder()
    for name in ("kamcore.portfolio", "kamcore.survey", "kamcore.selection", "kamcore.manual_scores",
                 "kamcore.ingest_rules"):
        examples = sum(len(test.examples) for test in finder.find(importlib.import_module(name)))
        assert examples >= 3, name

"""Work that is the same for every session, done once per process (issue 12, Load).

``shared(fn, *args)`` returns ``fn(*args)``, computed once for identical inputs: the key is
the *content* of every argument (tables hashed row by row, in order, with column names and
types) and the function, so a session only ever receives the result it would have computed
itself — nothing crosses from one workspace or filter state to another. Results come from
``st.cache_data`` (each session gets its own copy, so changing it changes nothing for
others); bounded in entries and age.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import pandas as pd
import streamlit as st

from ui.charts import _content_key

T = TypeVar("T")


@st.cache_data(max_entries=128, ttl=3600, show_spinner=False)
def _shared_call(key: str, _fn: Callable[..., Any], _args: tuple, _kwargs: dict) -> Any:
    return _fn(*_args, **_kwargs)


def shared(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """``fn(*args, **kwargs)``, computed once per process for identical inputs."""
    key = repr((fn.__module__, fn.__qualname__, _content_key(list(args)), _content_key(dict(kwargs))))
    return _shared_call(key, fn, args, kwargs)


@st.cache_resource(max_entries=96, ttl=600, show_spinner=False)
def _keyed_call(key: tuple, _fn: Callable[..., Any], _args: tuple, _kwargs: dict) -> Any:
    return _fn(*_args, **_kwargs)


def keyed(key: tuple, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """``fn(*args, **kwargs)``, computed once per process for each ``key``, without hashing.

    For results derived from data that already carries a content key (``data.transactions_keyed``):
    ``key`` must hold that key and every other input that changes the result (measure,
    thresholds…), so two sessions share a result only when they would have computed the same.
    Frames and series (also inside a tuple, list or dict) are handed out as shallow copies:
    pandas' copy-on-write keeps a session's changes to its copy from reaching the shared one.
    """
    return handout(_keyed_call((fn.__module__, fn.__qualname__, *key), fn, args, kwargs))


def handout(value: Any) -> Any:
    """A shared value as a session may have it: frames and series (also in a tuple, list or dict)
    as shallow copies, so copy-on-write keeps a session's changes from reaching the shared one."""
    if isinstance(value, pd.DataFrame | pd.Series):
        return value.copy(deep=False)
    if isinstance(value, tuple | list):
        return type(value)(handout(v) for v in value)
    if isinstance(value, dict):
        return {k: handout(v) for k, v in value.items()}
    return value

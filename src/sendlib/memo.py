"""Compute once per process what is the same for every council report.

A warm worker runs report after report in one kernel; computations over the whole panel (each
measure's national values, the programme counts over every council) come out the same for
every council. :func:`memoised` keeps a function's last results, keyed on the *content* of its
arguments, never on their identity: ``sendlib.tables.read_table`` hands every report its own
copy of a table, and a table edited in place must not find the old result. Results are handed
out as deep copies, so a report changing one cannot change what the next report gets.
"""

from __future__ import annotations

import copy
import functools
import hashlib
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

import pandas as pd

T = TypeVar("T")
#: Results kept per memoised function (the oldest is dropped): a run uses one set of tables.
MAX_ENTRIES = 8


def fingerprint(value: Any) -> Hashable:
    """A hashable key for ``value``'s content: a DataFrame or Series by its values, index,
    column names and dtypes (pandas' row hashes, digested); a tuple item by item; anything
    else by itself (it must be hashable)."""
    if isinstance(value, (pd.DataFrame, pd.Series)):
        rows = pd.util.hash_pandas_object(value, index=True).to_numpy()
        columns = tuple(value.columns) if isinstance(value, pd.DataFrame) else (value.name,)
        dtypes = tuple(map(str, value.dtypes)) if isinstance(value, pd.DataFrame) else (str(value.dtype),)
        return (type(value).__name__, value.shape, columns, dtypes, tuple(map(str, value.index.names)),
                hashlib.blake2b(rows.tobytes(), digest_size=16).hexdigest())
    if isinstance(value, tuple):
        return ("tuple", *map(fingerprint, value))
    hash(value)  # TypeError for an unhashable argument: pass a tuple instead of a list
    return (type(value).__name__, value)


def memoised(function: Callable[..., T]) -> Callable[..., T]:
    """``function`` computed once per distinct argument content in this process (see module
    doc); each call gets a deep copy of the result. ``wrapper.cache_clear()`` empties it."""
    cache: OrderedDict[Hashable, Any] = OrderedDict()

    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> T:
        key = (tuple(map(fingerprint, args)), tuple((name, fingerprint(v)) for name, v in sorted(kwargs.items())))
        if key in cache:
            cache.move_to_end(key)
        else:
            cache[key] = function(*args, **kwargs)
            while len(cache) > MAX_ENTRIES:
                cache.popitem(last=False)
        return copy.deepcopy(cache[key])

    wrapper.cache_clear = cache.clear  # type: ignore[attr-defined]
    return wrapper

"""Cyclic garbage collection paused for a batch that allocates a lot.

A chase sweep of ten thousand actions creates a few hundred thousand
objects that live until it ends (rows, loaded actions, outbox rows). Each
allocation past the collector's threshold starts a collection that walks
them all again, and those walks took a quarter of the sweep's time, for no
garbage: reference counting frees what the batch drops. So the batch runs
with the collector paused, and one collection follows it.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

_depth = 0  # blocks running now
_resume = False  # whether the collector was on when the first of them began


@contextmanager
def collection_paused() -> Iterator[None]:
    """Pause cyclic collection for the block (nested or overlapping blocks,
    such as two jobs at once, resume it when the last one ends; a collector
    someone else turned off stays off)."""
    global _depth, _resume
    if _depth == 0:
        _resume = gc.isenabled()
    _depth += 1
    gc.disable()
    try:
        yield
    finally:
        _depth -= 1
        if _depth == 0 and _resume:
            gc.enable()
            gc.collect(generation=1)

"""Running the cyclic garbage collector inside a test.

A test that calls ``gc.collect()`` also frees what earlier tests of the same worker left in
reference cycles; a socket among them warns ``ResourceWarning: unclosed`` from its
finaliser, which pytest (warnings are errors) then blames on the collecting test. These
helpers ignore that warning while they collect, so a test fails only for what it checks.
"""

from __future__ import annotations

import gc
import warnings


def collect() -> int:
    """``gc.collect()`` without failing on other tests' unclosed sockets."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        return gc.collect()


def clear_garbage() -> None:
    """Empty ``gc.garbage`` (after ``DEBUG_SAVEALL``), same precaution."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        gc.garbage.clear()

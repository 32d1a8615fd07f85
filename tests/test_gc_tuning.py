"""The serving process's collector settings."""

from __future__ import annotations

import gc

from industryos.gc_tuning import SERVING_THRESHOLDS, tune_for_serving


def test_start_up_heap_is_frozen_and_thresholds_raised() -> None:
    before = gc.get_threshold()
    try:
        tune_for_serving()
        assert gc.get_freeze_count() > 10_000
        assert gc.get_threshold() == SERVING_THRESHOLDS
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)

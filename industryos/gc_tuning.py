"""Garbage-collector settings for a serving node process.

CPython's cyclic collector walks every tracked object on each full collection. A node
holds some 300,000 long-lived objects from start-up (modules, routes, caches), and at
the default thresholds full collections over them took about a third of the node's CPU
under ingest load (bench/mqtt_ingest.py). Once the node is ready, the start-up heap is
frozen (moved out of the collector's sight for good) and the young-generation threshold
raised, so collections walk only what serving allocates.

Only the ``industryos run`` process does this: freezing is process-wide and permanent,
which suits a server but not a test process that starts hundreds of nodes.
"""

from __future__ import annotations

import gc

__all__ = ["SERVING_THRESHOLDS", "tune_for_serving"]

SERVING_THRESHOLDS = (20_000, 20, 50)
"""(gen0 allocations, gen0 runs per gen1, gen1 runs per gen2) once the node serves."""


def tune_for_serving() -> None:
    """Freeze the start-up heap and raise the collection thresholds."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*SERVING_THRESHOLDS)

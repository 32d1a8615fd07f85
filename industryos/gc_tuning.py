"""Garbage-collector settings for a serving node process.

CPython's cyclic collector walks every tracked object on each full collection. A node
holds some 300,000 long-lived objects from start-up (modules, routes, caches), and at
the default thresholds full collections over them took about a third of the node's CPU
under ingest load (bench/mqtt_ingest.py). Once the node is ready, the start-up heap is
frozen (moved out of the collector's sight for good) and the young-generation threshold
raised, so collections walk only what serving allocates.

Serving makes almost no cyclic garbage (a 10 s ingest window left under 5,000 objects in
cycles), but a young collection still walks every object allocated since the last one
that is alive: messages in flight, batches waiting for their commit. At a threshold of
20,000 such collections ran about four times a second under ingest load and took 10-35 ms
each (about a tenth of the node's CPU); at 100,000 about one ran per 10 s window.

Only the ``industryos run`` process does this: freezing is process-wide and permanent,
which suits a server but not a test process that starts hundreds of nodes.
"""

from __future__ import annotations

import gc

__all__ = ["SERVING_THRESHOLDS", "tune_for_serving"]

SERVING_THRESHOLDS = (100_000, 10, 50)
"""(gen0 allocations, gen0 runs per gen1, gen1 runs per gen2) once the node serves."""


def tune_for_serving() -> None:
    """Freeze the start-up heap and raise the collection thresholds."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*SERVING_THRESHOLDS)

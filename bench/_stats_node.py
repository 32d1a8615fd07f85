"""A node process for benchmarks: ``industryos run`` that prints queue counters on SIGUSR1.

Each SIGUSR1 writes one JSON line to stdout: queue counters ``appended``, ``commits``,
``fsyncs``, and the garbage collector's CPU seconds (``gc_s``, per generation ``gc_s0..2``)
and collection counts (``gc2``: full, ``gc_n0``/``gc_n1``), so a benchmark can read the
counters at the start and the end of its measured window. With ``PYTHONTRACEMALLOC`` set,
SIGUSR2 writes the top allocation sites to stderr (``MEM`` lines). With
``INDUSTRYOS_BENCH_PROFILE=<path>`` set, SIGHUP toggles cProfile: the first starts it, the
second writes the statistics to that path (py-spy cannot attach in this container).
Once started it tunes the collector as ``industryos run`` does (:mod:`industryos.gc_tuning`);
``INDUSTRYOS_BENCH_GC_GARBAGE=1`` keeps what the collector frees and SIGUSR2 then writes
its types to stderr (``GARBAGE`` lines); ``INDUSTRYOS_BENCH_GC_LOG=1`` writes every
collection over 10 ms (``GC`` lines). ``INDUSTRYOS_BENCH_GC_DEFAULT=1`` keeps CPython's
defaults instead, to measure the difference, and ``INDUSTRYOS_BENCH_GC_THRESHOLD``
("a,b,c") tries other thresholds. ``INDUSTRYOS_BENCH_TASKS=1`` counts the tasks made per
coroutine: each SIGUSR2 writes the counts since the previous one (``TASKS`` lines), and
``mqtt_ingest.py`` sends one at each end of its window, so tasks per message can be read.
``INDUSTRYOS_BENCH_LOOP_LAG=1`` times a 2 ms timer on the event loop: each SIGUSR1 line
then carries the longest stall since the previous line (``lag_max_ms``, and the main
thread's CPU time during it, ``lag_max_cpu_ms``) and the counts of
stalls over 10 and 50 ms (``lag_over10``, ``lag_over50``), so a tail latency can be told
apart from a loop that stopped turning (off by default: its wake-ups cost a little CPU).
``INDUSTRYOS_BENCH_NO_RULE_ENGINE=1`` starts no rule-engine consumer, so the device
transports and the durable queue can be measured alone (``mqtt_ingest.py --ingest-only``).
With ``INDUSTRYOS_WORKERS`` above 1 this process is worker 0 of the node and spawns the
others as ``industryos run`` does; its queue and collector figures are worker 0's alone,
and only the GC, SIGUSR1 and SIGUSR2 hooks apply (SIGTERM stops the node as usual).
"""

from __future__ import annotations

import asyncio
import cProfile
import gc
import json
import os
import signal
import sys
import time
from typing import TYPE_CHECKING

import uvloop

from industryos.config import load_settings
from industryos.workers.primary import run_workers

if TYPE_CHECKING:  # imported once the worker processes are spawned (they import meanwhile)
    from industryos.node import Node
    from industryos.rules.engine import RuleEngine


async def main() -> None:
    from industryos.gc_tuning import tune_for_serving
    from industryos.node import Node

    node = Node(load_settings())
    install_hooks(node)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    if os.environ.get("INDUSTRYOS_BENCH_TASKS"):
        _count_tasks(loop)
    await node.start()
    if not os.environ.get("INDUSTRYOS_BENCH_GC_DEFAULT"):
        tune_for_serving()
    if os.environ.get("INDUSTRYOS_BENCH_GC_GARBAGE"):  # what the collector frees, by type
        gc.set_debug(gc.DEBUG_SAVEALL)
        loop.add_signal_handler(signal.SIGUSR2, _garbage_report)
    if os.environ.get("INDUSTRYOS_BENCH_GC_THRESHOLD"):  # experiment: "50000,20,100"
        gc.set_threshold(*map(int, os.environ["INDUSTRYOS_BENCH_GC_THRESHOLD"].split(",")))
    try:
        await stop.wait()
    finally:
        await node.stop()


def worker0() -> type[Node]:
    """Worker 0 of a bench node with worker processes: the SIGUSR1/SIGUSR2/SIGHUP hooks
    (its own queue and collector), the rest as ``industryos run`` does it."""
    _no_rule_engine()
    from industryos.node import Node

    class Worker0(Node):
        async def start(self) -> None:
            install_hooks(self)
            await super().start()

    return Worker0


def _no_rule_engine() -> None:
    """With ``INDUSTRYOS_BENCH_NO_RULE_ENGINE`` set: no rule-engine consumer starts."""
    if os.environ.get("INDUSTRYOS_BENCH_NO_RULE_ENGINE"):
        from industryos.rules.engine import RuleEngine

        RuleEngine.start = _consume_nothing  # type: ignore[method-assign]


def install_hooks(node: Node) -> None:
    """SIGUSR1 (counters), SIGUSR2 (memory), SIGHUP (profile) and the GC timing."""
    loop = asyncio.get_running_loop()

    gc_time = {
        "s": 0.0,
        "started": 0.0,
        "full": 0,
        "s0": 0.0,
        "s1": 0.0,
        "s2": 0.0,
        "n0": 0,
        "n1": 0,
        "max": 0.0,
    }

    def on_gc(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            gc_time["started"] = time.thread_time()
            return
        spent = time.thread_time() - gc_time["started"]
        gc_time["max"] = max(gc_time["max"], spent)
        if spent > 0.01 and os.environ.get("INDUSTRYOS_BENCH_GC_LOG"):
            sys.stderr.write(f"GC {1000 * spent:.1f} ms {info} tracked {len(gc.get_objects(0))}\n")
        gc_time["s"] += spent
        gc_time[f"s{info['generation']}"] += spent
        if info["generation"] < 2:
            gc_time[f"n{info['generation']}"] += 1
        gc_time["full"] += info["generation"] == 2

    gc.callbacks.append(on_gc)

    lag = {"max_ms": 0.0, "max_cpu_ms": 0.0, "over10": 0, "over50": 0}
    if os.environ.get("INDUSTRYOS_BENCH_LOOP_LAG"):
        _WATCHES.add(loop.create_task(_watch_loop(lag)))

    def report() -> None:
        stats = node.queue_stats()
        line: dict[str, float] = {"appended": 0, "commits": 0, "fsyncs": 0}
        if stats is not None:
            line = {
                "appended": stats.appended,
                "commits": stats.commits,
                "fsyncs": stats.fsyncs,
                "offset_commits": stats.offset_commits,
                "offset_fsyncs": stats.offset_fsyncs,
            }
        line["gc_s"], line["gc2"] = gc_time["s"], gc_time["full"]
        line["tracked"] = len(gc.get_objects())
        for key in ("max_ms", "max_cpu_ms", "over10", "over50"):
            line[f"lag_{key}"] = lag[key]
        lag["max_ms"] = lag["max_cpu_ms"] = 0.0  # the next line's longest stall is its window's
        for key in ("s0", "s1", "s2", "n0", "n1", "max"):
            line[f"gc_{key}"] = gc_time[key]
        sys.stdout.write(json.dumps(line) + "\n")
        sys.stdout.flush()

    def memory() -> None:
        """With PYTHONTRACEMALLOC set: where the live Python memory was allocated."""
        import tracemalloc

        if not tracemalloc.is_tracing():
            return
        stats = tracemalloc.take_snapshot().statistics("lineno")
        for stat in stats[:40]:
            sys.stderr.write(f"MEM {stat.size / 1024:10.1f} KiB {stat.count:8d} {stat.traceback}\n")
        sys.stderr.flush()

    profiler: list[cProfile.Profile] = []

    def toggle_profile() -> None:
        """First SIGHUP: start profiling; second: stop and dump to the configured path."""
        path = os.environ.get("INDUSTRYOS_BENCH_PROFILE")
        if not path:
            return
        if not profiler:
            profiler.append(cProfile.Profile())
            profiler[0].enable()
            return
        profiler[0].disable()
        profiler[0].dump_stats(path)
        profiler.clear()

    loop.add_signal_handler(signal.SIGHUP, toggle_profile)
    loop.add_signal_handler(signal.SIGUSR1, report)
    loop.add_signal_handler(signal.SIGUSR2, memory)


_LAG_TICK_S = 0.002
_WATCHES: set[asyncio.Task[None]] = set()
"""The running loop watches (the loop keeps only weak references to tasks)."""


async def _watch_loop(lag: dict[str, float]) -> None:
    """How late the loop runs a 2 ms timer, in ms: any callback that holds the loop longer
    (a collection, a big batch built in one go) shows as a stall here, and so does a
    process waiting for a CPU; the main thread's CPU time over the longest stall
    (``lag_max_cpu_ms``) tells the two apart."""
    while True:
        began, began_cpu = time.perf_counter(), time.thread_time()
        await asyncio.sleep(_LAG_TICK_S)
        late_ms = (time.perf_counter() - began - _LAG_TICK_S) * 1000
        if late_ms > lag["max_ms"]:
            lag["max_ms"] = late_ms
            lag["max_cpu_ms"] = (time.thread_time() - began_cpu) * 1000
        lag["over10"] += late_ms > 10
        lag["over50"] += late_ms > 50


async def _consume_nothing(self: RuleEngine) -> None:
    """``RuleEngine.start`` of an ingest-only bench node."""


def _count_tasks(loop: asyncio.AbstractEventLoop) -> None:
    """With INDUSTRYOS_BENCH_TASKS set: count the tasks made per coroutine; SIGUSR2 writes
    the counts since the previous SIGUSR2 to stderr (``TASKS`` lines)."""
    import collections

    counts: collections.Counter[str] = collections.Counter()

    def factory(
        loop: asyncio.AbstractEventLoop, coro: object, **kwargs: object
    ) -> asyncio.Task[object]:
        counts[getattr(coro, "__qualname__", type(coro).__name__)] += 1
        return asyncio.Task(coro, loop=loop, **kwargs)  # type: ignore[arg-type]

    def report() -> None:
        for name, count in counts.most_common(25):
            sys.stderr.write(f"TASKS {count:9d} {name}\n")
        sys.stderr.flush()
        counts.clear()

    loop.set_task_factory(factory)  # type: ignore[arg-type]
    loop.add_signal_handler(signal.SIGUSR2, report)


def _garbage_report() -> None:
    """With INDUSTRYOS_BENCH_GC_GARBAGE set: the types (and frames) of cyclic garbage so far."""
    import collections

    gc.collect()
    garbage = gc.garbage
    kinds = collections.Counter(type(o).__qualname__ for o in garbage)
    frames = collections.Counter(
        f"{o.f_code.co_filename.rsplit('/', 1)[-1]}:{o.f_code.co_name}"
        for o in garbage
        if type(o).__name__ == "frame"
    )
    sys.stderr.write(f"GARBAGE {len(garbage)} objects in cycles\n")
    for name, count in [*kinds.most_common(30), *frames.most_common(20)]:
        sys.stderr.write(f"GARBAGE {count:8d} {name}\n")
    sys.stderr.flush()
    garbage.clear()


if __name__ == "__main__":
    settings = load_settings()
    if settings.workers > 1:  # worker 0 here, the others as `industryos run` spawns them
        run_workers(settings, None, load_node=worker0)
    else:
        _no_rule_engine()
        uvloop.run(main())

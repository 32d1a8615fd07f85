"""Repeats of one log line are limited per window; different lines pass independently."""

from __future__ import annotations

import logging
import subprocess
import sys
import textwrap

from industryos.logs import RepeatLimit


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _record(msg: str, *args: object, name: str = "industryos.transport") -> logging.LogRecord:
    return logging.LogRecord(name, logging.WARNING, __file__, 1, msg, args, None)


def test_a_line_passes_burst_times_per_window_then_reports_what_it_dropped() -> None:
    clock = Clock()
    limit = RepeatLimit(burst=3, window_s=60.0, clock=clock)
    records = [
        _record("%r: bad payload on %r", f"device-{n}", "v1/devices/me/telemetry") for n in range(5)
    ]
    assert [limit.filter(r) for r in records] == [True, True, True, False, False]
    clock.now += 59
    assert not limit.filter(_record("%r: bad payload on %r", "device-9", "t"))
    clock.now += 2
    later = _record("%r: bad payload on %r", "device-10", "t")
    assert limit.filter(later)
    assert (
        later.getMessage() == "'device-10': bad payload on 't' [3 more like this in the last 61 s]"
    )
    assert limit.filter(_record("%r: bad payload on %r", "device-11", "t"))  # a new window


def test_different_lines_do_not_hold_each_other_back() -> None:
    limit = RepeatLimit(burst=1, window_s=60.0, clock=Clock())
    assert limit.filter(_record("queue refused device messages: %s", "disk full"))
    assert not limit.filter(_record("queue refused device messages: %s", "disk full"))
    assert limit.filter(_record("CoAP request with an unknown access token"))
    assert limit.filter(_record("queue refused device messages: %s", "x", name="industryos.other"))


def test_an_object_logged_as_is_always_passes() -> None:
    limit = RepeatLimit(burst=1, window_s=60.0, clock=Clock())
    unhashable = logging.LogRecord("lib", logging.WARNING, __file__, 1, {"a": 1}, None, None)
    assert limit.filter(unhashable)
    again = logging.LogRecord("lib", logging.WARNING, __file__, 1, {"a": 1}, None, None)
    assert limit.filter(again)


def test_one_verdict_per_record_however_many_handlers() -> None:
    limit = RepeatLimit(burst=2, window_s=60.0, clock=Clock())
    first, second, third = (_record("same line") for _ in range(3))
    assert limit.filter(first) and limit.filter(first)  # two handlers, one record
    assert limit.filter(second) and limit.filter(second)
    assert not limit.filter(third) and not limit.filter(third)


def test_the_node_log_is_limited() -> None:
    script = textwrap.dedent(
        """
        import logging
        from industryos.logs import configure_logging
        configure_logging("INFO", "%(levelname)s %(name)s: %(message)s")
        device = logging.getLogger("industryos.transport.device_api")
        for n in range(500):
            device.error("queue refused device messages: %s", f"flush failed ({n})")
        logging.getLogger("industryos.node").info("node stopped")
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True
    )
    lines = done.stderr.splitlines()
    assert len([line for line in lines if "queue refused" in line]) == 20
    assert lines[-1] == "INFO industryos.node: node stopped"

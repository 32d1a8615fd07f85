"""kill -9 mid-stream loses nothing that was acknowledged (appends and consumer acks)."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

import orjson

from industryos.queue.embedded import EmbeddedQueue
from tests.queue.conftest import drain
from tests.queue.crash_child import config

CHILD = Path(__file__).with_name("crash_child.py")
ROOT = Path(__file__).resolve().parents[2]
CYCLES = 4
MIN_ACKS = 200


def run_and_kill(data_dir: Path, cycle: int, rng: random.Random) -> tuple[set[str], dict[int, int]]:
    """Run the child until it acknowledged some work, SIGKILL it; what it acknowledged."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    with subprocess.Popen(
        [sys.executable, str(CHILD), str(data_dir), str(cycle)],
        stdout=subprocess.PIPE,
        env=env,
        cwd=ROOT,
    ) as child:
        assert child.stdout is not None
        ready = child.stdout.readline()
        assert ready == b"READY\n", ready
        received: list[bytes] = []
        while len(received) < MIN_ACKS:  # however slow the machine, get some work done
            line = child.stdout.readline()
            assert line, "the child exited on its own"
            received.append(line)
        deadline = time.monotonic() + rng.random() * 0.5
        while time.monotonic() < deadline:
            received.append(child.stdout.readline())
        child.send_signal(signal.SIGKILL)
        received.append(child.stdout.read())
    assert child.returncode == -signal.SIGKILL

    out = b"".join(received).decode().split("\n")[:-1]  # the last piece is empty or torn
    appended: set[str] = set()
    acked: dict[int, int] = defaultdict(lambda: -1)
    for entry in out:
        kind, *fields = entry.split()
        if kind == "A":
            appended.add(fields[0])
        elif kind == "C":
            partition, offset = int(fields[0]), int(fields[1])
            acked[partition] = max(acked[partition], offset)
    return appended, dict(acked)


async def test_kill_9_loses_no_acknowledged_message(tmp_path: Path) -> None:
    data_dir = tmp_path / "queue"
    rng = random.Random(7)
    all_appended: set[str] = set()
    for cycle in range(CYCLES):
        appended, acked = run_and_kill(data_dir, cycle, rng)
        assert appended, "the child acknowledged appends before it was killed"
        all_appended |= appended

        queue = await EmbeddedQueue.open(config(data_dir))
        try:
            stored = [
                r for b in await drain(await queue.subscribe("Main", "keep")) for r in b.records
            ]
            ids = [str(r.msg.id) for r in stored]
            assert len(ids) == len(set(ids)), "no message is stored twice"
            missing = all_appended - set(ids)
            assert not missing, f"cycle {cycle}: {len(missing)} acknowledged appends lost"

            last_seq: dict[tuple[int, int], int] = {}
            for record in stored:
                data = orjson.loads(record.msg.data)
                key = (data["cycle"], data["producer"])
                assert data["seq"] == last_seq.get(key, -1) + 1, "per-originator order kept"
                last_seq[key] = data["seq"]

            committed = {
                lag.partition: lag.committed for lag in queue.stats().lags if lag.group == "child"
            }
            for partition, offset in acked.items():
                assert committed[partition] > offset, "acknowledged consumer acks survive"
        finally:
            await queue.close()

"""Before and after on a noisy machine: one benchmark, alternating an older commit and the
working tree, then the figures of each side.

    .venv/bin/python bench/ab.py [--base HEAD] [--pairs 3] [--bench B] [-- BENCH OPTIONS]
    .venv/bin/python bench/ab.py --base 9cd3233 --pairs 4 -- --no-mosquitto --seconds 12

On a shared two-core machine the same run moves by ±15 % from one minute to the next, so
two runs an hour apart compare the machine, not the code. This runs ``--bench`` (default
``mqtt_ingest.py``) ``--pairs`` times on each side, alternating which side goes first, with
the ``industryos`` package of ``--base`` (``git archive`` into a temporary directory, put
first on ``PYTHONPATH`` of the benchmark and of the node it starts) and of the working tree.
It prints every run's ``BENCH-RESULT`` figures and, per side, their mean, minimum and
maximum. The benchmark scripts themselves are the working tree's on both sides.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
FIGURES = (
    ("msg_s", "msg/s"),
    ("cpu_us_per_msg", "CPU µs/msg"),
    ("puback_p99_ms", "PUBACK p99 ms"),
    ("ws_p99_ms", "WS p99 ms"),
    ("stored_p99_ms", "stored p99 ms"),
    ("missing", "missing"),
)
"""The figures compared, where the benchmark reports them (``mqtt_ingest.py``'s names)."""


def _export(rev: str, into: Path) -> None:
    """The ``industryos`` package as of ``rev``, unpacked into ``into``."""
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", rev, "industryos"],
        check=True,
        capture_output=True,
    ).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        if hasattr(tarfile, "data_filter"):
            tar.extractall(into, filter="data")
        else:  # Python before 3.11.4 (Debian's 3.11.2) has no filters; this is our own archive
            tar.extractall(into)


def _run(bench: str, options: list[str], package_root: Path) -> dict[str, Any]:
    """One benchmark run with ``package_root``'s ``industryos``; its BENCH-RESULT figures."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(package_root), env.get("PYTHONPATH")]))
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / bench), *options],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    for line in done.stdout.splitlines():
        if line.startswith("BENCH-RESULT "):
            result: dict[str, Any] = json.loads(line.removeprefix("BENCH-RESULT "))
            return result
    raise SystemExit(f"{bench} printed no BENCH-RESULT (exit {done.returncode}):\n{done.stderr}")


def _row(label: str, values: dict[str, Any]) -> str:
    cells = [
        f"{values[key]:>14,.1f}" if isinstance(values.get(key), int | float) else f"{'-':>14}"
        for key, _ in FIGURES
    ]
    return f"{label:<12}" + "".join(cells)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", default="HEAD", help="the commit to compare against")
    parser.add_argument("--pairs", type=int, default=3, help="runs per side")
    parser.add_argument("--bench", default="mqtt_ingest.py", help="a script in bench/")
    args, options = parser.parse_known_args()  # the rest (after --) is the bench's
    if options[:1] == ["--"]:
        options = options[1:]
    runs: dict[str, list[dict[str, Any]]] = {"base": [], "tree": []}
    with tempfile.TemporaryDirectory(prefix="ab-") as tmp:
        base_root = Path(tmp)
        _export(args.base, base_root)
        sides = {"base": base_root, "tree": ROOT}
        print(f"{args.bench} {' '.join(options)}: {args.base} (base) against the working tree")
        print(f"{'run':<12}" + "".join(f"{name:>14}" for _, name in FIGURES))
        for pair in range(args.pairs):
            order = ("base", "tree") if pair % 2 == 0 else ("tree", "base")
            for side in order:
                result = _run(args.bench, options, sides[side])
                runs[side].append(result)
                print(_row(f"{side} {pair + 1}", result), flush=True)
    print()
    for side, results in runs.items():
        for name, pick in (("mean", statistics.fmean), ("min", min), ("max", max)):
            summary = {
                key: pick([r[key] for r in results])
                for key, _ in FIGURES
                if all(isinstance(r.get(key), int | float) for r in results)
            }
            print(_row(f"{side} {name}", summary))


if __name__ == "__main__":
    main()

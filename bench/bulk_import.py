"""CSV bulk import of devices through REST: rows per second.

    .venv/bin/python bench/bulk_import.py [--rows 10000] [--db-url postgresql://…]

Starts a fresh node (``bench/_common.py``), logs in as the demo tenant admin and posts one
CSV of ``--rows`` devices (name, type, label, access token, a shared and a server
attribute, one time series) to ``POST /api/device/bulk_import``; prints the wall time, rows
per second, the node's RSS after the import and the machine's load.
"""

from __future__ import annotations

import argparse
import time

import httpx
from _common import NodeProcess, Rest, load, result_line, rss_mib

MAPPING = [
    {"type": "NAME"},
    {"type": "TYPE"},
    {"type": "LABEL"},
    {"type": "ACCESS_TOKEN"},
    {"type": "SHARED_ATTRIBUTE", "key": "targetTemp"},
    {"type": "SERVER_ATTRIBUTE", "key": "site"},
    {"type": "TIMESERIES", "key": "temperature"},
]


def csv_of(rows: int) -> str:
    """A CSV with a header and ``rows`` devices."""
    lines = ["name,type,label,token,targetTemp,site,temperature"]
    lines += [
        f"bulk-{i},meter,hall {i % 10},bulk-token-{i},{20 + i % 5},plant-{i % 3},{i % 100}"
        for i in range(rows)
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--db-url", default=None)
    args = parser.parse_args()
    node = NodeProcess(db_url=args.db_url).start()
    try:
        node.wait_ready()
        rest = Rest(node.base)
        body = {
            "file": csv_of(args.rows),
            "mapping": {"columns": MAPPING, "delimiter": ",", "update": False, "header": True},
        }
        started = time.perf_counter()
        response = httpx.post(
            f"{node.base}/api/device/bulk_import", json=body, headers=rest.headers, timeout=600
        )
        elapsed = time.perf_counter() - started
        response.raise_for_status()
        result = response.json()
        rate = args.rows / elapsed
        engine = "postgresql" if args.db_url else "sqlite"
        print(
            f"bulk import of {args.rows} devices ({engine}): {elapsed:.1f} s, {rate:.0f} rows/s, "
            f"created {result['created']}, errors {result['errors']}, "
            f"node RSS {rss_mib(node.pid):.0f} MiB, {load()}"
        )
        result_line(
            "bulk_import",
            rows=args.rows,
            engine=engine,
            seconds=round(elapsed, 2),
            rows_per_s=round(rate),
            created=result["created"],
            errors=result["errors"],
        )
    finally:
        node.cleanup()


if __name__ == "__main__":
    main()

"""The ``industryos`` command's serving process: how it imports the node."""

from __future__ import annotations

import json
import subprocess
import sys

IMPORT_NODE = """
import gc, json, sys
from industryos import cli

assert "industryos.node" not in sys.modules
full_before = gc.get_stats()[2]["collections"]
node_class = cli.import_node()
print(json.dumps({
    "node": node_class.__module__,
    "full_collections": gc.get_stats()[2]["collections"] - full_before,
    "frozen": gc.get_freeze_count(),
    "enabled": gc.isenabled(),
}))
"""


def test_node_is_imported_without_collections_and_frozen() -> None:
    run = subprocess.run(
        [sys.executable, "-c", IMPORT_NODE], capture_output=True, text=True, timeout=120
    )
    assert run.returncode == 0, run.stderr
    result = json.loads(run.stdout.strip().splitlines()[-1])
    assert result["node"] == "industryos.node"
    assert result["full_collections"] == 0
    assert result["frozen"] > 100_000  # what the import built is out of the collector's way
    assert result["enabled"] is True  # and the collector runs again for what follows

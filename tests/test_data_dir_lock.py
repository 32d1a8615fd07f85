"""One node per data dir: a second one is refused before it touches anything."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from industryos.data_dir_lock import DataDirInUse, DataDirUnusable, hold_data_dir

HOLD = """
import sys, time
from pathlib import Path
from industryos.data_dir_lock import hold_data_dir
with hold_data_dir(Path(sys.argv[1])):
    print("held", flush=True)
    time.sleep(60)
"""


def test_a_second_holder_is_refused_with_the_first_ones_process(tmp_path: Path) -> None:
    with hold_data_dir(tmp_path / "data"):
        holder = subprocess.run(
            [sys.executable, "-c", HOLD, str(tmp_path / "data")],
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert holder.returncode == 1
    assert f"data dir {tmp_path / 'data'} is in use by another node (process {os.getpid()})" in (
        holder.stderr
    )


def test_the_lock_is_released_with_the_block_and_with_a_killed_process(tmp_path: Path) -> None:
    with hold_data_dir(tmp_path):
        pass
    # released at the end of the block above; a second holder in one process is refused too
    with hold_data_dir(tmp_path), pytest.raises(DataDirInUse), hold_data_dir(tmp_path):
        pass
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(tmp_path)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "held\n"
        with pytest.raises(DataDirInUse, match=f"process {holder.pid}"), hold_data_dir(tmp_path):
            pass
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait(30)
        assert holder.stdout is not None
        holder.stdout.close()
    with hold_data_dir(tmp_path):  # the kernel released the killed holder's lock
        pass


def test_a_data_dir_that_cannot_be_made_says_why(tmp_path: Path) -> None:
    a_file = tmp_path / "data"
    a_file.write_text("")
    with pytest.raises(DataDirUnusable) as refused, hold_data_dir(a_file):
        pass
    assert str(refused.value) == (
        f"data dir {a_file} cannot be used: it is not a directory (data_dir, INDUSTRYOS_DATA_DIR)"
    )
    with pytest.raises(DataDirUnusable, match="not a directory"), hold_data_dir(a_file / "sub"):
        pass

"""One node per data dir: ``industryos run`` holds the dir's lock before it touches anything.

A second node started on the same data dir by mistake (another terminal, a service manager
starting a second copy) used to get as far as migrating the database and binding its
sockets before the durable queue's own lock refused it, with a traceback; a newer version
would have migrated the database under the running node. The lock is taken first, before
migrations, sockets and the workers' bus, and the refusal is one line naming the holder.
The lock is an ``flock`` on ``<data dir>/node.lock``: the kernel releases it when the
holding process ends however it ends, so a node killed with SIGKILL leaves nothing stale.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path

from industryos.start_refused import StartRefused

__all__ = ["LOCK_FILE", "DataDirInUse", "DataDirUnusable", "hold_data_dir"]

LOCK_FILE = "node.lock"


class DataDirInUse(StartRefused):
    """Another process holds the data dir's lock."""


class DataDirUnusable(StartRefused):
    """The data dir cannot be created or written (a file by that name, no permission)."""


@contextlib.contextmanager
def hold_data_dir(data_dir: Path) -> Iterator[None]:
    """Hold ``data_dir``'s lock for the block (the process id is written beside it)."""
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(data_dir / LOCK_FILE, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    except OSError as exc:
        if data_dir.exists() and not data_dir.is_dir():
            reason = "it is not a directory"
        else:
            reason = os.strerror(exc.errno).lower() if exc.errno else str(exc)
        raise DataDirUnusable(
            f"data dir {data_dir} cannot be used: {reason} (data_dir, INDUSTRYOS_DATA_DIR)"
        ) from exc
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "unknown"
            raise DataDirInUse(
                f"data dir {data_dir} is in use by another node (process {holder}); stop it, "
                "or give this one another data dir (data_dir, INDUSTRYOS_DATA_DIR)"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        yield
    finally:
        os.close(fd)  # releases the lock

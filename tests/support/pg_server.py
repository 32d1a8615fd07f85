"""A PostgreSQL server of the test's own, to stop and start again (a database outage).

The machine's server (127.0.0.1:5432) is shared by every test; an outage test needs one it
may take down. ``initdb`` refuses to run as root, so as root the server runs as the
``postgres`` user, in a directory of its own under the temporary directory.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

from tests.support.ports import free_port

__all__ = ["PgServer", "pg_server"]


def _as_postgres() -> list[str]:
    return ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []


class PgServer:
    """One server on 127.0.0.1:``port``; ``url`` reaches its ``postgres`` database."""

    def __init__(self, data_dir: Path, port: int) -> None:
        self.data_dir = data_dir
        self.port = port
        self.url = f"postgresql://postgres@127.0.0.1:{port}/postgres"
        self.running = False

    def _ctl(self, *args: str) -> None:
        subprocess.run(
            [*_as_postgres(), "pg_ctl", "-D", str(self.data_dir), *args],
            check=True,
            capture_output=True,
            timeout=60,
        )

    def start(self) -> None:
        """Start (again) and wait until it accepts connections."""
        options = f"-p {self.port} -k {self.data_dir} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._ctl("-o", options, "-l", str(self.data_dir / "server.log"), "-w", "start")
        self.running = True

    @contextlib.contextmanager
    def frozen(self) -> Iterator[None]:
        """The server's processes stopped (SIGSTOP) for the block: connections stay open
        and queries hang, as with a server that stopped answering, until SIGCONT."""
        postmaster = int((self.data_dir / "postmaster.pid").read_text().split()[0])
        children = subprocess.run(
            ["pgrep", "-P", str(postmaster)], capture_output=True, text=True, check=True
        ).stdout.split()
        processes = [postmaster, *map(int, children)]
        for pid in processes:
            os.kill(pid, signal.SIGSTOP)
        try:
            yield
        finally:
            for pid in processes:
                os.kill(pid, signal.SIGCONT)

    def stop(self) -> None:
        """Stop at once, as a crash or a lost host would: connections are cut."""
        self._ctl("-m", "immediate", "-w", "stop")
        self.running = False


@contextlib.contextmanager
def pg_server() -> Iterator[PgServer]:
    """A fresh server (``initdb`` + start), removed at the end."""
    root = Path(tempfile.mkdtemp(prefix="industryos-pg-"))
    try:
        data_dir = root / "data"
        data_dir.mkdir()
        if os.geteuid() == 0:
            shutil.chown(root, "postgres")
            shutil.chown(data_dir, "postgres")
        subprocess.run(
            [
                *_as_postgres(),
                "initdb",
                "-D",
                str(data_dir),
                "-A",
                "trust",
                "-U",
                "postgres",
                "--no-sync",
            ],
            check=True,
            capture_output=True,
            timeout=120,
        )
        server = PgServer(data_dir, free_port())
        server.start()
        try:
            yield server
        finally:
            if server.running:
                server.stop()
    finally:
        shutil.rmtree(root, ignore_errors=True)

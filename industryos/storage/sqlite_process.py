"""SQLite write transactions in a process of their own, so the write lock is held for
SQLite's work alone.

A transaction run in a thread of the node's process must take the interpreter lock back from
the busy event loop after every SQLite step (``BEGIN``, each multi-row statement, ``COMMIT``),
and often waits out the interpreter's switch interval (5 ms) each time, all the while holding
SQLite's one write lock. Measured at max-rate ingest (November 2026, 2 cores): a time-series
batch of about 900 rows held the lock for 25-37 ms, of which SQLite's own work was about
6 ms (the same batch in a quiet process: 3.3 ms of statements, 2.9 ms of commit); with two
worker processes on one file, each waited out the other's interpreter-lock waits too. A
process of its own has an interpreter lock of its own.

Wire: frames of a 4-byte big-endian length and a pickle, over a socket pair. The first frame
names the file and its pragmas; each further one is a request, answered by one frame:

* ``("tx", [(spec, rows), ...])``: one transaction (``BEGIN IMMEDIATE``, the multi-row
  statements of :class:`~industryos.storage.multirow.MultiRowStatement` ``spec`` over
  ``rows``, ``COMMIT``), answered ``("ok", None)``;
* ``("query", sql)``: one read outside a transaction, answered ``("ok", rows)``;
* a failure is answered ``("error", module, class name, message, SQLite result code)`` and
  raised again in the parent as the same exception class (sqlite3's with its
  ``sqlite_errorcode``), so callers judge it as they would the thread's
  (:func:`industryos.outages.is_outage`).

Lifetime: the first request starts the process. One that died fails the request in flight
with :class:`ConnectionResetError` (an outage: the rule engine retries the message) and the
next request starts another. It ignores SIGINT and SIGTERM (a terminal's Ctrl-C reaches the
whole process group) and exits when the parent closes the connection or dies; a transaction
it has begun then commits or is rolled back by SQLite, never half applied. So a request
that failed or was cancelled on the parent's side may still have committed: its callers
retry, and the writes sent this way are idempotent upserts.
"""

from __future__ import annotations

import asyncio
import builtins
import os
import pickle
import signal
import socket
import sqlite3
import struct
import subprocess
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import IO, Any

from industryos.storage.multirow import MultiRowStatement, run_in_transaction
from industryos.storage.sqlite_plain import SQLITE_PRAGMAS, connect_sqlite

__all__ = ["SqliteProcess"]

_LENGTH = struct.Struct(">I")

Parts = Sequence[tuple[MultiRowStatement, Sequence[Sequence[Any]]]]


class SqliteProcess:
    """The parent's side: requests are sent one at a time and awaited on the event loop."""

    def __init__(self, path: str, pragmas: Sequence[str] = SQLITE_PRAGMAS) -> None:
        self._opening = ("open", path, tuple(pragmas))
        self._lock = asyncio.Lock()
        self._child: _Child | None = None

    @property
    def pid(self) -> int | None:
        """The running process's id, None before the first request or after a failure."""
        return None if self._child is None else self._child.process.pid

    async def transaction(self, parts: Parts) -> None:
        """Run ``parts`` (statement, rows) in one transaction; return once committed."""
        await self._request(("tx", [(statement.spec, rows) for statement, rows in parts]))

    async def query(self, sql: str) -> list[tuple[Any, ...]]:
        """The rows of one read on the process's connection (its pragmas, for one)."""
        rows: list[tuple[Any, ...]] = await self._request(("query", sql))
        return rows

    async def close(self) -> None:
        """Let the process finish and exit (a later request starts another)."""
        async with self._lock:
            child, self._child = self._child, None
        if child is not None:
            child.abandon(reap=False)
            await asyncio.to_thread(child.process.wait)

    async def _request(self, request: tuple[Any, ...]) -> Any:
        async with self._lock:
            child = self._child or self._start()
            try:
                answer = await child.ask(request)
            except BaseException:
                # Died, or cancelled with the answer unread: this connection is out of step.
                self._child = None
                child.abandon()
                raise
        return _result(answer)

    def _start(self) -> _Child:
        ours, theirs = socket.socketpair()
        try:
            process = subprocess.Popen(
                [sys.executable, "-m", __name__, str(theirs.fileno())],
                pass_fds=(theirs.fileno(),),
                stdin=subprocess.DEVNULL,
                env=_child_environment(),
            )
        except BaseException:
            ours.close()
            raise
        finally:
            theirs.close()
        ours.setblocking(False)
        self._child = child = _Child(process, ours, _frame(self._opening))
        return child


class _Child:
    """One started process and the parent's end of its socket pair."""

    def __init__(
        self, process: subprocess.Popen[bytes], sock: socket.socket, opening: bytes
    ) -> None:
        self.process = process
        self._sock = sock
        self._streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None
        self._pending = opening
        """The opening frame, sent ahead of the first request."""

    async def ask(self, request: tuple[Any, ...]) -> Any:
        if self._streams is None:
            self._streams = await asyncio.open_unix_connection(sock=self._sock)
        reader, writer = self._streams
        writer.write(self._pending + _frame(request))
        self._pending = b""
        try:
            await writer.drain()
            (length,) = _LENGTH.unpack(await reader.readexactly(_LENGTH.size))
            return pickle.loads(await reader.readexactly(length))
        except (asyncio.IncompleteReadError, BrokenPipeError) as exc:
            code = self.process.poll()
            raise ConnectionResetError(f"the SQLite writer process exited (code {code})") from exc

    def abandon(self, *, reap: bool = True) -> None:
        """Close our end: the process sees end of file and exits (reaped in the background
        unless the caller waits for it)."""
        if self._streams is not None:
            self._streams[1].close()
        else:
            self._sock.close()
        if reap and self.process.poll() is None:
            threading.Thread(target=self.process.wait, name="sqlite-process-reaper").start()


def _frame(message: object) -> bytes:
    payload = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    return _LENGTH.pack(len(payload)) + payload


def _result(answer: tuple[Any, ...]) -> Any:
    if answer[0] == "ok":
        return answer[1]
    _, module, name, message, code = answer
    raise _rebuilt(module, name, message, code)


def _rebuilt(module: str, name: str, message: str, code: int) -> Exception:
    """The child's exception as the same class here (RuntimeError for one we cannot name)."""
    source = {"sqlite3": sqlite3, "builtins": builtins}.get(module)
    found = getattr(source, name, None) if source is not None else None
    if not (isinstance(found, type) and issubclass(found, Exception)):
        return RuntimeError(f"{module}.{name}: {message}")
    exc = found(message)
    if isinstance(exc, sqlite3.Error):
        exc.sqlite_errorcode = code
    return exc


def _child_environment() -> dict[str, str]:
    """This environment, with the directory of the ``industryos`` package running here first
    on the path, so the child runs the same code (an archived revision in a benchmark)."""
    root = str(Path(__file__).resolve().parents[2])
    path = os.environ.get("PYTHONPATH")
    return {**os.environ, "PYTHONPATH": root if not path else f"{root}{os.pathsep}{path}"}


class _Server:
    """The child's side: one connection, the statements it was sent, one request at a time."""

    def __init__(self, path: str, pragmas: Sequence[str]) -> None:
        self._path = path
        self._pragmas = pragmas
        self._conn: sqlite3.Connection | None = None
        self._statements: dict[tuple[str, int, str], MultiRowStatement] = {}

    def answer(self, request: tuple[Any, ...]) -> tuple[Any, ...]:
        try:
            conn = self._conn or self._connect()
            if request[0] == "tx":
                run_in_transaction(conn, [(self._statement(s), rows) for s, rows in request[1]])
                return ("ok", None)
            if request[0] == "query":
                return ("ok", conn.execute(request[1]).fetchall())
            raise ValueError(f"unknown request {request[0]!r}")
        except Exception as exc:
            if isinstance(exc, sqlite3.OperationalError) and self._conn is not None:
                # A lost file, a full disk: the next request opens the file again.
                self._conn.close()
                self._conn = None
            kind = type(exc)
            code = getattr(exc, "sqlite_errorcode", 0)
            return ("error", kind.__module__, kind.__qualname__, str(exc), code)

    def _connect(self) -> sqlite3.Connection:
        self._conn = conn = connect_sqlite(self._path, self._pragmas)
        return conn

    def _statement(self, spec: tuple[str, int, str]) -> MultiRowStatement:
        statement = self._statements.get(spec)
        if statement is None:
            statement = self._statements[spec] = MultiRowStatement(*spec)
        return statement


def _read(stream: IO[bytes]) -> Any:
    """The next frame's message; None at end of file."""
    header = stream.read(_LENGTH.size)
    if len(header) < _LENGTH.size:
        return None
    (length,) = _LENGTH.unpack(header)
    payload = stream.read(length)
    if len(payload) < length:
        return None
    return pickle.loads(payload)


def main(argv: Sequence[str]) -> int:
    """Serve the parent on the socket descriptor ``argv[0]`` until it closes it."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    sock = socket.socket(fileno=int(argv[0]))
    stream = sock.makefile("rb")
    opening = _read(stream)
    if opening is None:
        return 0
    _, path, pragmas = opening
    server = _Server(path, pragmas)
    while (request := _read(stream)) is not None:
        try:
            sock.sendall(_frame(server.answer(request)))
        except OSError:
            return 0  # the parent is gone
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

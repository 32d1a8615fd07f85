"""Per-key loads asked for in the same event-loop turn, done as one batched load.

A fleet's devices all come back at once after a restart: their connections authenticate
together and their first messages reach the rule engine together, and each of them misses
the caches that later messages hit (credentials, a device's alarm-rule state). One load
each (several statements and loop hops apiece) kept the loop busy for milliseconds per
device. :class:`BatchLoads` gathers every key asked for until the loop's next turn and
hands them to one ``load_many`` call per group (a tenant, say), which reads them with a
few ``IN (…)`` statements (``storage/in_lists.py``). A group has one load in flight: keys
asked for while it runs wait and go together in the next one, so batches grow with the
load (devices connecting a few per loop turn still share reads) and cost no wait when idle.

A key that is already being loaded is not loaded twice: its callers share the result. A
caller that is cancelled does not cancel the load (others may wait for it). A failed load
fails every caller of that batch, each of which may retry.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable
from functools import partial
from typing import Generic, TypeVar

__all__ = ["BatchLoads"]

G = TypeVar("G", bound=Hashable)
K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

LoadMany = Callable[[G, list[K]], Awaitable[dict[K, V]]]


class BatchLoads(Generic[G, K, V]):
    """Coalesces :meth:`get` calls into batched ``load_many(group, keys)`` calls."""

    def __init__(self, load_many: LoadMany[G, K, V]) -> None:
        self._load_many = load_many
        self._loading: dict[tuple[G, K], asyncio.Future[V | None]] = {}
        self._asked: dict[G, list[K]] = {}
        """Keys asked for and not loading yet, by group, in the order asked."""
        self._running: dict[G, asyncio.Task[None]] = {}
        """The one load in flight per group: what is asked meanwhile waits for the next."""

    async def get(self, group: G, key: K) -> V | None:
        """The loaded value of ``key`` (None when ``load_many`` did not return it)."""
        future = self._loading.get((group, key))
        if future is None:
            loop = asyncio.get_running_loop()
            future = self._loading[(group, key)] = loop.create_future()
            asked = self._asked.setdefault(group, [])
            asked.append(key)
            if len(asked) == 1 and group not in self._running:
                loop.call_soon(self._flush, group)
        return await asyncio.shield(future)

    def _flush(self, group: G) -> None:
        keys = self._asked.pop(group, None)
        if keys:
            task = asyncio.get_running_loop().create_task(self._load(group, keys))
            self._running[group] = task
            task.add_done_callback(partial(self._landed, group))

    def _landed(self, group: G, _: asyncio.Task[None]) -> None:
        """A group's load ended: load what was asked for meanwhile, as one batch."""
        del self._running[group]
        self._flush(group)

    async def _load(self, group: G, keys: list[K]) -> None:
        futures = [self._loading[(group, key)] for key in keys]
        try:
            loaded = await self._load_many(group, keys)
        except Exception as exc:
            for future in futures:
                future.set_exception(exc)
                future.exception()  # retrieved: callers still get it when they await
            return
        except BaseException:
            for future in futures:
                future.cancel()
            raise
        else:
            for key, future in zip(keys, futures, strict=True):
                future.set_result(loaded.get(key))
        finally:
            for key in keys:
                del self._loading[(group, key)]

    async def close(self) -> None:
        """Wait for the loads in flight and those queued behind them (their callers are
        still waiting for them)."""
        while self._running:
            await asyncio.gather(*self._running.values(), return_exceptions=True)

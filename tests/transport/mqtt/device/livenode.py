"""A real Node on its own event-loop thread, with a tenant and devices, for blocking MQTT clients.

paho and tb-mqtt-client block and run their own network threads, so the node runs in a
background thread and the test thread drives it: ``live.run(coro)`` executes a coroutine
on the node's loop (to read storage, set attributes, call RPCs) and returns its result.
"""

from __future__ import annotations

import asyncio
import io
import threading
import time
import uuid
from collections.abc import Callable, Coroutine
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, TypeVar

import uvloop

from industryos.config import Settings, load_settings
from industryos.devices.state import DeviceState, DeviceStateTracker
from industryos.entities.access import Caller
from industryos.entities.ids import NULL_UUID
from industryos.entities.models import Authority, Device, DeviceProfile, Tenant, User
from industryos.node import Node
from industryos.telemetry.kv import AttributeScope, TsKvEntry

T = TypeVar("T")
SECRET = "s" * 64


@dataclass
class LiveNode:
    """A started node, its loop thread, and a tenant admin to act as."""

    node: Node
    loop: asyncio.AbstractEventLoop
    thread: threading.Thread
    admin: Caller | None = None
    devices: dict[str, Device] = field(default_factory=dict)

    @property
    def mqtt_port(self) -> int:
        port = self.node.devices.mqtt.port if self.node.devices else None
        assert port is not None
        return port

    @property
    def tls_port(self) -> int:
        port = self.node.devices.mqtt.tls_port if self.node.devices else None
        assert port is not None
        return port

    def run(self, coro: Coroutine[Any, Any, T], timeout: float = 30.0) -> T:
        """Run ``coro`` on the node's loop and wait for its result."""
        future: Future[T] = asyncio.run_coroutine_threadsafe(coro, self.loop)
        return future.result(timeout)

    def call(self, fn: Callable[[], T]) -> T:
        """Run a plain function on the node's loop (for loop-bound objects)."""

        async def wrapper() -> T:
            return fn()

        return self.run(wrapper())

    @property
    def core(self) -> Any:
        assert self.node.core is not None
        return self.node.core

    def create_device(
        self,
        name: str,
        *,
        token: str | None = None,
        gateway: bool = False,
        profile: DeviceProfile | None = None,
        credentials: Any = None,
    ) -> Device:
        """A device of the test tenant (access token ``token`` unless ``credentials``)."""
        assert self.admin is not None
        device = Device(name=name, additional_info={"gateway": gateway})
        if profile is not None:
            device.device_profile_id = profile.id
        saved: Device = self.run(
            self.core.devices.save(self.admin, device, access_token=token, credentials=credentials)
        )
        self.devices[name] = saved
        return saved

    def create_profile(self, name: str, transport: dict[str, Any]) -> DeviceProfile:
        """A device profile with ``transportConfiguration`` = ``transport``."""
        assert self.admin is not None
        profile = DeviceProfile(name=name, transport_type=transport.get("type", "DEFAULT"))
        profile.profile_data["transportConfiguration"] = transport
        saved: DeviceProfile = self.run(self.core.device_profiles.save(self.admin, profile))
        return saved

    def attributes(self, device: Device, scope: AttributeScope) -> dict[str, Any]:
        """Stored attributes of one scope as native values."""
        found = self.run(self.core.telemetry.get_attributes(device.tenant_id, device.id, scope))
        return {entry.key: entry.native_value() for entry in found.get(scope, [])}

    def latest(self, device: Device) -> dict[str, TsKvEntry]:
        """The latest stored point of every key."""
        points = self.run(self.core.telemetry.get_latest(device.tenant_id, device.id))
        return {point.key: point for point in points}

    def wait_for(
        self, predicate: Callable[[], T | Literal[False] | None], timeout: float = 10.0
    ) -> T:
        """Poll ``predicate`` until it returns something truthy (storage is asynchronous)."""
        deadline = time.monotonic() + timeout
        while True:
            result = predicate()
            if result:
                return result
            if time.monotonic() > deadline:
                raise AssertionError(f"condition not met within {timeout} s")
            time.sleep(0.05)

    def stop(self) -> None:
        try:
            self.run(self.node.stop(), timeout=90)
        except TimeoutError as exc:
            raise AssertionError(
                f"node.stop() still running after 90 s; its loop's tasks:\n{self._tasks()}"
            ) from exc
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(10)
            if not self.loop.is_running():
                self.loop.close()

    def _tasks(self) -> str:
        """Where every task of the node's loop waits (for a report of a hung stop)."""

        async def stacks() -> str:
            out = io.StringIO()
            for task in asyncio.all_tasks():
                if task is not asyncio.current_task():
                    task.print_stack(limit=8, file=out)
            return out.getvalue()

        try:
            return self.run(stacks(), timeout=5)
        except TimeoutError:
            return "(the loop itself is blocked)"


def tracked_state(state: DeviceStateTracker, device_id: uuid.UUID) -> DeviceState:
    """The tracked state of a device the node must have seen (call it on the node's loop)."""
    found = state.state(device_id)
    assert found is not None
    return found


async def _create_tenant(node: Node) -> Caller:
    core = node.core
    assert core is not None
    sysadmin = await core.users.create(
        User(email=f"root-{uuid.uuid4().hex[:6]}@test.local", authority=Authority.SYS_ADMIN),
        "sysadmin",
    )
    assert sysadmin.id is not None
    root = Caller(sysadmin.id, sysadmin.email, Authority.SYS_ADMIN)
    tenant = await core.tenants.save(root, Tenant(title="MQTT tests"))
    assert tenant.id is not None
    admin = await core.users.create(
        User(email="admin@mqtt.test", authority=Authority.TENANT_ADMIN, tenant_id=tenant.id),
        "password",
    )
    assert admin.id is not None
    return Caller(admin.id, admin.email, Authority.TENANT_ADMIN, tenant.id, NULL_UUID)


def start_live_node(
    data_dir: Path, db_url: str, *, with_tenant: bool = True, **overrides: Any
) -> LiveNode:
    """Start a node on free ports in a uvloop thread, with a fresh tenant admin (unless
    ``with_tenant`` is False: a second cluster node acts on the first one's tenant)."""
    options: dict[str, Any] = {
        "data_dir": data_dir,
        "db_url": db_url,
        "http_host": "127.0.0.1",
        "http_port": 0,
        "mqtt_port": 0,
        "mqtt_tls_port": 0,
        "coap_port": 0,
        "jwt_secret": SECRET,
        "demo": False,
    }
    live = run_node(load_settings(**{**options, **overrides}))
    if with_tenant:
        try:
            live.admin = live.run(_create_tenant(live.node))
        except BaseException:
            live.stop()
            raise
    return live


def run_node(settings: Settings, admin: Caller | None = None) -> LiveNode:
    """Start a node with ``settings`` on a new uvloop thread (as `industryos run` does);
    one that fails to start is stopped, as `industryos run` stops it, and its loop closed."""
    loop = uvloop.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="live-node", daemon=True)
    thread.start()
    live = LiveNode(Node(settings), loop, thread, admin=admin)
    try:
        live.run(live.node.start(), timeout=60)
    except BaseException as exc:
        try:
            live.stop()
        except Exception as stop_failed:
            exc.add_note(f"stopping the half-started node failed too: {stop_failed!r}")
        raise
    return live

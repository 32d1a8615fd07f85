"""Rule-engine throughput in process: the default root chain storing telemetry (SQLite).

Creates ``--devices`` devices and one alarm rule on their profile (``temperature > 1000``,
evaluated on every message, as in ``mqtt_ingest.py``), appends ``--messages``
POST_TELEMETRY_REQUEST messages from them to the ``Main`` queue up front, then starts the
engine and measures until every message is acknowledged: msg/s on one core (one asyncio
loop on uvloop; the time-series writer commits in batches), and p50/p99 time in chain as
the engine records it (from the start of a message's chain run to its end, including the
batched commit it waits for).

    .venv/bin/python bench/rule_engine.py --messages 50000 --devices 200
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import tempfile
import time
from pathlib import Path

import orjson
import uvloop
from _common import alarm_rule

from industryos.alarms.rules.loader import AlarmRuleServices
from industryos.config import load_settings
from industryos.entities.access import Caller
from industryos.entities.device_profile_service import DeviceProfileService
from industryos.entities.ids import EntityType
from industryos.entities.models import Authority, Device, Tenant, User
from industryos.gc_tuning import tune_for_serving
from industryos.msg import EntityRef, Msg, MsgType
from industryos.node import build_core
from industryos.queue.embedded import EmbeddedQueue, EmbeddedQueueConfig
from industryos.rules.consumer import QueueRunner
from industryos.rules.engine import RuleEngine, RuleEngineConfig
from industryos.rules.entities import EntityFields
from industryos.rules.nodes.base import ServiceSet
from industryos.rules.service import RuleChainService
from industryos.rules.strategy import DEFAULT_QUEUES
from industryos.storage.database import Database
from industryos.storage.engine import create_engine
from industryos.storage.migrate import upgrade


class _Discard:
    """Entity events are not part of this measurement."""

    async def publish(self, msg: Msg) -> None:
        """Drop."""


async def _drained(runner: QueueRunner, messages: int) -> None:
    stats = runner.stats
    while stats.successful + stats.failed + stats.timed_out < messages or runner.lag() > 0:  # noqa: ASYNC110
        await asyncio.sleep(0.01)


async def _add_alarm_rule(profiles: DeviceProfileService, caller: Caller) -> None:
    """``temperature > 1000`` on the default profile: evaluated on every message, never raised."""
    profile = await profiles.default_of(caller)
    profile.profile_data["alarms"] = [alarm_rule()]
    await profiles.save(caller, profile)


async def run(messages: int, devices: int, data_dir: Path, tune_gc: bool) -> None:
    """Set up a tenant with its root chain, fill the queue, run the engine, print figures."""
    settings = load_settings(data_dir=data_dir, jwt_secret="b" * 64, demo=False)
    engine = create_engine(settings.database_url)
    await upgrade(engine)
    core = build_core(Database(engine), settings, _Discard())
    await core.start()
    chains = RuleChainService(core.db)
    core.tenants.on_tenant_created(chains.on_tenant_created)
    sysadmin = await core.users.create(
        User(email="s@b.local", authority=Authority.SYS_ADMIN), "bench-pw"
    )
    assert sysadmin.id is not None
    tenant = await core.tenants.save(
        Caller(sysadmin.id, sysadmin.email, Authority.SYS_ADMIN), Tenant(title="Bench")
    )
    assert tenant.id is not None
    queue = await EmbeddedQueue.open(EmbeddedQueueConfig(data_dir=data_dir / "queue"))
    as_engine = Caller.rule_engine(tenant.id)
    await _add_alarm_rule(core.device_profiles, as_engine)
    ids = []
    for i in range(devices):  # real devices: the profile node loads their alarm rules
        device = await core.devices.save(as_engine, Device(name=f"d{i}", type="default"))
        assert device.id is not None
        ids.append(device.id)
    batch = []
    for i in range(messages):
        batch.append(
            Msg(
                type=MsgType.POST_TELEMETRY_REQUEST.value,
                originator=EntityRef(EntityType.DEVICE, ids[i % devices]),
                tenant_id=tenant.id,
                data=orjson.dumps({"temperature": 20 + i % 10, "humidity": i % 100}).decode(),
                metadata={
                    "deviceName": f"d{i % devices}",
                    "deviceType": "default",
                    "ts": str(i + 1),
                },
            )
        )
        if len(batch) == 5000:
            await queue.append_many("Main", batch)
            batch = []
    if batch:
        await queue.append_many("Main", batch)
    rules = RuleEngine(
        queue,
        chains,
        ServiceSet(
            telemetry=core.telemetry,
            alarms=AlarmRuleServices(core.db, core.alarms.service, core.telemetry),
        ),
        EntityFields(core.db),
        RuleEngineConfig(queues=DEFAULT_QUEUES[:1]),
    )
    if tune_gc:
        tune_for_serving()  # as ``industryos run`` does once the node is ready
    started = time.perf_counter()
    cpu_started, loop_started = time.process_time(), time.thread_time()
    await rules.start()
    runner = rules.runners[0]
    await _drained(runner, messages)
    elapsed = time.perf_counter() - started
    cpu_us = 1e6 * (time.process_time() - cpu_started) / messages
    loop_us = 1e6 * (time.thread_time() - loop_started) / messages
    print(
        f"rule engine, default root chain, SQLite: {messages} msgs from {devices} devices "
        f"in {elapsed:.2f} s = {messages / elapsed:,.0f} msg/s; "
        f"time in chain p50 {runner.stats.percentile(50):.1f} ms, "
        f"p99 {runner.stats.percentile(99):.1f} ms; failed {runner.stats.failed}, "
        f"timed out {runner.stats.timed_out}; "
        f"{cpu_us:.0f} µs CPU per message (all threads), {loop_us:.0f} µs on the event loop's "
        "thread (the figure that bounds one node's engine); "
        f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB"
    )
    await rules.stop()
    await queue.close()
    await core.stop()
    await engine.dispose()


def main() -> None:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--messages", type=int, default=20_000)
    parser.add_argument("--devices", type=int, default=100)
    parser.add_argument(
        "--gc-default", action="store_true", help="keep CPython's collector defaults"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        uvloop.run(run(args.messages, args.devices, Path(tmp), not args.gc_default))


if __name__ == "__main__":
    main()

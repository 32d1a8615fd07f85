"""``GET /metrics``: what it counts, and with ``/api/health`` a queue that cannot write."""

from __future__ import annotations

import asyncio
import errno
from collections.abc import Callable

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from industryos.api.routes.metrics import Sample, render
from industryos.queue.embedded import segments
from industryos.queue.embedded.recent import Appended
from tests.api.checks import create_device
from tests.api.conftest import NodePlatform
from tests.support.paho import close_paho


def samples(text: str) -> dict[str, str]:
    """``name{labels}`` → value of every sample line of an exposition."""
    return dict(line.rsplit(" ", 1) for line in text.splitlines() if not line.startswith("#"))


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_a_full_disk_shows_in_metrics_and_health_until_writes_succeed_again(
    node_platform: NodePlatform, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An operator learns from the scrape and the health check that device data is being
    refused, and sees both recover once the disk has room again (before, both said all
    was well while every device publish failed)."""
    token = await _device_token(node_platform, "meter-1")
    devices = node_platform.client()
    scraper = node_platform.client()
    assert (await devices.post(f"/api/v1/{token}/telemetry", json={"kWh": 1})).status_code == 200
    before = samples((await scraper.get("/metrics")).text)
    assert int(before['industryos_queue_appended_total{worker="0"}']) >= 1
    assert int(before['industryos_queue_fsyncs_total{worker="0"}']) >= 1
    assert before['industryos_queue_write_failures_total{worker="0"}'] == "0"
    assert before['industryos_queue_writes_refused{worker="0"}'] == "0"
    assert before['industryos_mqtt_connections{worker="0"}'] == "0"
    assert before['industryos_ts_failed_batches_total{worker="0"}'] == "0"
    assert (await scraper.get("/api/health")).json() == {"status": "UP"}

    def no_space(self: segments.PartitionLog, payloads: list[bytes]) -> Appended:
        raise OSError(errno.ENOSPC, "No space left on device")

    with monkeypatch.context() as disk:
        disk.setattr(segments.PartitionLog, "write", no_space)
        refused = await devices.post(f"/api/v1/{token}/telemetry", json={"kWh": 2})
        assert refused.status_code == 500
        during = samples((await scraper.get("/metrics")).text)
        assert during['industryos_queue_write_failures_total{worker="0"}'] == "1"
        assert during['industryos_queue_writes_refused{worker="0"}'] == "1"
        health = await scraper.get("/api/health")
        assert health.status_code == 503
        assert health.json()["status"] == "DOWN"
        assert "refuses device data" in health.json()["reason"]
    # the disk has room again: the queue tries again after its pause (1 s) and takes data
    for _ in range(100):
        if (await scraper.get("/api/health")).status_code == 200:
            break
        await asyncio.sleep(0.05)
    assert (await scraper.get("/api/health")).json() == {"status": "UP"}
    assert (await devices.post(f"/api/v1/{token}/telemetry", json={"kWh": 3})).status_code == 200
    after = samples((await scraper.get("/metrics")).text)
    assert after['industryos_queue_write_failures_total{worker="0"}'] == "1"
    assert after['industryos_queue_writes_refused{worker="0"}'] == "0"
    assert int(after['industryos_queue_appended_total{worker="0"}']) > int(
        before['industryos_queue_appended_total{worker="0"}']
    )


async def _device_token(node_platform: NodePlatform, name: str) -> str:
    accounts = await node_platform.new_tenant("Metrics")
    device = await create_device(accounts.admin, name)
    credentials = await accounts.admin.get(f"/api/device/{device['id']['id']}/credentials")
    return str(credentials.json()["credentialsId"])


async def _scrape_until(
    node_platform: NodePlatform, metric: str, done: Callable[[int], bool]
) -> dict[str, str]:
    scraper = node_platform.client()
    for _ in range(200):
        values = samples((await scraper.get("/metrics")).text)
        if done(int(values[metric])):
            return values
        await asyncio.sleep(0.05)
    raise AssertionError(f"{metric} is still {values[metric]}")


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_a_device_shows_as_a_connection_and_its_points_as_stored(
    node_platform: NodePlatform,
) -> None:
    """A paho device connected over MQTT counts until it leaves; the points it sent count
    once the rule engine has stored them."""
    token = await _device_token(node_platform, "meter-2")
    assert node_platform.node.devices is not None
    port = node_platform.node.devices.mqtt.port
    assert port is not None
    device = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="meter-2")
    device.username_pw_set(token)
    await asyncio.to_thread(device.connect, "127.0.0.1", port)
    device.loop_start()
    try:
        sent = device.publish("v1/devices/me/telemetry", '{"kWh": 5, "V": 230}', qos=1)
        await asyncio.to_thread(sent.wait_for_publish, 10)
        connected = await _scrape_until(
            node_platform, 'industryos_ts_points_total{worker="0"}', lambda n: n >= 2
        )
        assert connected['industryos_mqtt_connections{worker="0"}'] == "1"
        assert int(connected['industryos_ts_batches_total{worker="0"}']) >= 1
        assert connected['industryos_ts_failed_batches_total{worker="0"}'] == "0"
    finally:
        close_paho(device)
    await _scrape_until(node_platform, 'industryos_mqtt_connections{worker="0"}', lambda n: n == 0)


def test_every_metric_has_one_type_line_and_its_samples_follow_it() -> None:
    """Prometheus rejects a metric typed twice or split up, and a label value with a bare
    quote; samples of several workers come interleaved and are grouped by metric."""
    worker_0 = ("worker", "0")
    worker_1 = ("worker", "1")
    text = render(
        [
            Sample("industryos_rule_engine_lag", "gauge", 4, (("queue", "Main"), worker_0)),
            Sample("industryos_queue_writes_refused", "gauge", 1, (worker_0,)),
            Sample("industryos_rule_engine_lag", "gauge", 0, (("queue", 'Odd "q"'), worker_1)),
            Sample("industryos_queue_writes_refused", "gauge", 0, (worker_1,)),
        ]
    )
    assert text.splitlines() == [
        "# TYPE industryos_rule_engine_lag gauge",
        'industryos_rule_engine_lag{queue="Main",worker="0"} 4',
        'industryos_rule_engine_lag{queue="Odd \\"q\\"",worker="1"} 0',
        "# TYPE industryos_queue_writes_refused gauge",
        'industryos_queue_writes_refused{worker="0"} 1',
        'industryos_queue_writes_refused{worker="1"} 0',
    ]

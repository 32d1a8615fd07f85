"""``GET /metrics`` and ``/api/health`` while the durable queue cannot write (a full disk)."""

from __future__ import annotations

import asyncio
import errno

import pytest

from industryos.api.routes.metrics import render
from industryos.queue.embedded import QueueStats, segments
from tests.api.checks import create_device
from tests.api.conftest import NodePlatform


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
    accounts = await node_platform.new_tenant("Metrics")
    device = await create_device(accounts.admin, "meter-1")
    credentials = await accounts.admin.get(f"/api/device/{device['id']['id']}/credentials")
    token = credentials.json()["credentialsId"]
    devices = node_platform.client()
    scraper = node_platform.client()
    assert (await devices.post(f"/api/v1/{token}/telemetry", json={"kWh": 1})).status_code == 200
    before = samples((await scraper.get("/metrics")).text)
    assert int(before['industryos_queue_appended_total{worker="0"}']) >= 1
    assert int(before['industryos_queue_fsyncs_total{worker="0"}']) >= 1
    assert before['industryos_queue_write_failures_total{worker="0"}'] == "0"
    assert before['industryos_queue_writes_refused{worker="0"}'] == "0"
    assert (await scraper.get("/api/health")).json() == {"status": "UP"}

    def no_space(self: segments.PartitionLog, payloads: list[bytes]) -> segments.Appended:
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


def test_every_metric_has_a_type_line_and_booleans_are_numbers() -> None:
    """Prometheus rejects a sample whose value is not a number (``True``)."""
    stats = QueueStats(
        appended=5,
        commits=2,
        fsyncs=3,
        bytes_written=100,
        offset_commits=1,
        offset_fsyncs=2,
        write_failures=1,
        offset_write_failures=0,
        writes_refused=True,
        partitions=(),
        lags=(),
    )
    main = {"queueName": "Main", "successfulMsgs": 4, "lag": 1, "ingestGateClosings": 0}
    text = render([main], stats, worker=1)
    values = samples(text)
    assert values['industryos_rule_engine_successful_total{queue="Main",worker="1"}'] == "4"
    assert values['industryos_queue_writes_refused{worker="1"}'] == "1"
    assert values['industryos_queue_written_bytes_total{worker="1"}'] == "100"
    typed = {line.split()[2] for line in text.splitlines() if line.startswith("# TYPE")}
    assert {name.split("{")[0] for name in values} <= typed
    assert all(v.lstrip("-").replace(".", "", 1).isdigit() for v in values.values())

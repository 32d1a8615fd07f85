"""Kill -9 mid-stream: every telemetry message that got a PUBACK survives (design contract).

A node runs as its own process (``python -m industryos.cli run``, uvloop, env settings).
A paho MQTT 5 client publishes QoS 1 telemetry as fast as it can; the test SIGKILLs the
node mid-stream, opens the node's durable queue itself and checks that every message
acknowledged so far, in this cycle and all earlier ones, is in it; then starts the node
again on the same data. Ten short cycles.
"""

from __future__ import annotations

import asyncio
import signal
import threading
import time
from pathlib import Path
from typing import Any

import orjson
import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from industryos.msg import MsgType
from industryos.queue.embedded import EmbeddedQueue, EmbeddedQueueConfig
from tests.support.node_process import RunningNode, start_node_process
from tests.support.paho import close_paho
from tests.transport.mqtt.device.livenode import SECRET, start_live_node

CYCLES = 10
STREAM_SECONDS = 0.6
TOKEN = "crash-test-token"


def _start_node(data_dir: Path) -> RunningNode:
    return start_node_process(
        data_dir, {"INDUSTRYOS_DEMO": "false", "INDUSTRYOS_JWT_SECRET": SECRET}
    )


class Streamer:
    """A paho MQTT 5 client publishing ``{"seq": n}`` at QoS 1 as fast as it can."""

    def __init__(self, port: int, first_seq: int) -> None:
        self.client = mqtt.Client(
            CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5, reconnect_on_failure=False
        )
        self.client.username_pw_set(TOKEN)
        self.client.max_inflight_messages_set(100)
        self.connected = threading.Event()
        self.acked_mids: list[int] = []
        self.seq_of_mid: dict[int, int] = {}
        self.next_seq = first_seq
        self.stop = threading.Event()
        self.client.on_connect = self._on_connect
        self.client.on_publish = self._on_publish
        self.connack: Any = None
        self.client.connect("127.0.0.1", port)
        self.client.loop_start()

    def wait_connected(self, node: RunningNode) -> None:
        """Wait for the CONNACK (the node may still be recovering from the last kill)."""
        if not self.connected.wait(30):
            raise AssertionError(f"no CONNACK within 30 s; the node's log:\n{node.tail()}")
        assert self.connack == 0, f"CONNECT refused: {self.connack}"

    def _on_connect(self, client: Any, userdata: Any, flags: Any, rc: Any, props: Any) -> None:
        self.connack = rc
        self.connected.set()

    def _on_publish(self, client: Any, userdata: Any, mid: int, rc: Any, props: Any) -> None:
        if not rc.is_failure:
            self.acked_mids.append(mid)

    def run(self) -> None:
        """Publish until stopped (or 60000 messages, before packet ids could repeat)."""
        while not self.stop.is_set() and len(self.seq_of_mid) < 60_000:
            info = self.client.publish(
                "v1/devices/me/telemetry", orjson.dumps({"seq": self.next_seq}), qos=1
            )
            if info.rc != mqtt.MQTT_ERR_SUCCESS and info.rc != mqtt.MQTT_ERR_QUEUE_SIZE:
                return  # the connection is gone
            self.seq_of_mid[info.mid] = self.next_seq
            self.next_seq += 1
            if len(self.seq_of_mid) - len(self.acked_mids) > 500:
                time.sleep(0.001)  # keep paho's own queue short

    def acked(self) -> set[int]:
        return {self.seq_of_mid[mid] for mid in list(self.acked_mids)}

    def close(self) -> None:
        close_paho(self.client)


async def _queued_seqs(data_dir: Path, group: str) -> set[int]:
    """Every ``seq`` of POST_TELEMETRY_REQUEST messages on disk (node not running)."""
    queue = await EmbeddedQueue.open(EmbeddedQueueConfig(data_dir=data_dir / "queue"))
    seqs: set[int] = set()
    try:
        consumer = await queue.subscribe("Main", group)
        while batches := await consumer.fetch(max_records=10_000, max_wait=0.2):
            for batch in batches:
                for record in batch.records:
                    if record.msg.type == MsgType.POST_TELEMETRY_REQUEST:
                        seqs.add(orjson.loads(record.msg.data)["seq"])
                # ack, or the consumer stops at max_unacked records per partition
                await consumer.ack(batch.partition, batch.records[-1].offset)
        assert not any(consumer.lag().values()), "the check did not read the whole log"
        await consumer.close()
    finally:
        await queue.close()
    return seqs


def test_acknowledged_telemetry_survives_sigkill(tmp_path: Path) -> None:
    db_url = f"sqlite+aiosqlite:///{tmp_path / 'industryos.db'}"
    setup = start_live_node(tmp_path, db_url)
    try:
        setup.create_device("crash device", token=TOKEN)
    finally:
        setup.stop()

    acked_total: set[int] = set()
    next_seq = 0
    for cycle in range(CYCLES):
        node = _start_node(tmp_path)
        process = node.process
        try:
            streamer = Streamer(node.wait_ready().mqtt, next_seq)
            streamer.wait_connected(node)
            thread = threading.Thread(target=streamer.run)
            thread.start()
            # kill while acks flow: the first ack can take a while on a busy machine (the
            # node may still be recovering from the previous kill), so wait for it first
            deadline = time.monotonic() + 30
            while not streamer.acked_mids and time.monotonic() < deadline:
                time.sleep(0.01)
            time.sleep(STREAM_SECONDS)
            process.send_signal(signal.SIGKILL)
            process.wait(10)
            streamer.stop.set()
            thread.join(10)
            streamer.close()
        finally:
            if process.poll() is None:
                process.kill()
                process.wait(10)
        acked = streamer.acked()
        assert acked, f"cycle {cycle}: nothing was acknowledged before the kill"
        assert len(acked) < len(streamer.seq_of_mid), f"cycle {cycle}: killed after the stream"
        acked_total |= acked
        next_seq = streamer.next_seq
        queued = asyncio.run(_queued_seqs(tmp_path, f"check{cycle}"))
        missing = acked_total - queued
        assert not missing, f"cycle {cycle}: {len(missing)} acknowledged messages lost"
    print(f"{CYCLES} kill -9 cycles, {len(acked_total)} acknowledged messages, none lost")

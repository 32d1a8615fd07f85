"""Both envelopes to one list of commands (platform-api §4.2, §4.3).

``/api/ws`` carries ``{"authCmd": …, "cmds": [{"type": …, "cmdId": …}, …]}`` and nothing
else: any other top-level key (a legacy ``tsSubCmds`` included) is a parse error, as in
ThingsBoard. The legacy endpoint's per-kind arrays are flattened into the same
:class:`Command` values, so one set of handlers serves both.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from industryos.api.ws.codes import LEGACY_KEYS, CmdType, Reason
from industryos.api.ws.errors import BadCommand

__all__ = ["Command", "Envelope", "parse_legacy", "parse_new"]

Json = Mapping[str, Any]
_NEW_KEYS = frozenset({"authCmd", "cmds"})


@dataclass(frozen=True, slots=True)
class Command:
    """One command: its type, the client's ``cmdId`` and its JSON body."""

    type: CmdType
    cmd_id: int
    body: Json


@dataclass(frozen=True, slots=True)
class Envelope:
    """A parsed frame: an optional auth token and the commands."""

    token: str | None
    commands: tuple[Command, ...]


def _load(text: str | bytes) -> Json:
    try:
        data = orjson.loads(text)
    except orjson.JSONDecodeError:
        raise BadCommand(Reason.PARSE_FAILED) from None
    if not isinstance(data, Mapping):
        raise BadCommand(Reason.PARSE_FAILED)
    return data


def _command(cmd_type: CmdType, raw: Any) -> Command:
    if not isinstance(raw, Mapping):
        raise BadCommand(Reason.PARSE_FAILED)
    cmd_id = raw.get("cmdId")
    if type(cmd_id) is not int:
        raise BadCommand(Reason.PARSE_FAILED)
    return Command(cmd_type, cmd_id, raw)


def parse_new(text: str | bytes) -> Envelope:
    """A ``/api/ws`` frame."""
    data = _load(text)
    if not data.keys() <= _NEW_KEYS:
        raise BadCommand(Reason.PARSE_FAILED)
    token = None
    auth = data.get("authCmd")
    if auth is not None:
        if not isinstance(auth, Mapping):
            raise BadCommand(Reason.PARSE_FAILED)
        token = str(auth.get("token") or "")
    raw_cmds = data.get("cmds") or []
    if not isinstance(raw_cmds, list):
        raise BadCommand(Reason.PARSE_FAILED)
    commands = []
    for raw in raw_cmds:
        if not isinstance(raw, Mapping):
            raise BadCommand(Reason.PARSE_FAILED)
        try:
            cmd_type = CmdType(str(raw.get("type")))
        except ValueError:
            raise BadCommand(Reason.PARSE_FAILED) from None
        commands.append(_command(cmd_type, raw))
    return Envelope(token, tuple(commands))


def parse_legacy(text: str | bytes) -> Envelope:
    """A ``/api/ws/plugins/telemetry`` frame (token only in the URL)."""
    data = _load(text)
    commands = []
    for key, raw_list in data.items():
        cmd_type = LEGACY_KEYS.get(key)
        if cmd_type is None or not isinstance(raw_list, list):
            raise BadCommand(Reason.PARSE_FAILED)
        commands += [_command(cmd_type, raw) for raw in raw_list]
    return Envelope(None, tuple(commands))

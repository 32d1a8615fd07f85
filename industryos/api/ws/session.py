"""One authenticated WebSocket session: its subscriptions and command dispatch.

Commands run one after another, in arrival order, through the handler table of
:class:`WsServices`. Errors below are translated here, once: a core error becomes an
error update on the command's id (v1 ``subscriptionId`` or v2 ``cmdId`` shape, by type),
an unexpected one is logged at ERROR and answered with INTERNAL_ERROR. Closing the
session closes every subscription, which unregisters its telemetry listeners.
"""

from __future__ import annotations

import logging
from typing import Protocol

from industryos.api.ws.codes import CloseCode, CmdType, CmdUpdateType, ErrorCode, Reason
from industryos.api.ws.commands import Command, Envelope
from industryos.api.ws.errors import CommandError, SessionClosed
from industryos.api.ws.messages import cmd_error, subscription_error
from industryos.api.ws.outbox import Outbox
from industryos.api.ws.services import WsServices
from industryos.entities.access import Caller
from industryos.entities.errors import InvalidArgument, NotFound, PermissionDenied
from industryos.telemetry.errors import TelemetryError

__all__ = ["Subscription", "WsSession"]

log = logging.getLogger(__name__)

_V1 = frozenset({CmdType.ATTRIBUTES, CmdType.TIMESERIES, CmdType.TIMESERIES_HISTORY})
_UPDATE_TYPE: dict[CmdType, CmdUpdateType] = {
    CmdType.ENTITY_DATA: CmdUpdateType.ENTITY_DATA,
    CmdType.ENTITY_DATA_UNSUBSCRIBE: CmdUpdateType.ENTITY_DATA,
    CmdType.ENTITY_COUNT: CmdUpdateType.COUNT_DATA,
    CmdType.ENTITY_COUNT_UNSUBSCRIBE: CmdUpdateType.COUNT_DATA,
    CmdType.ALARM_DATA: CmdUpdateType.ALARM_DATA,
    CmdType.ALARM_DATA_UNSUBSCRIBE: CmdUpdateType.ALARM_DATA,
    CmdType.ALARM_COUNT: CmdUpdateType.ALARM_COUNT_DATA,
    CmdType.ALARM_COUNT_UNSUBSCRIBE: CmdUpdateType.ALARM_COUNT_DATA,
    CmdType.ALARM_STATUS: CmdUpdateType.ALARM_STATUS,
    CmdType.ALARM_STATUS_UNSUBSCRIBE: CmdUpdateType.ALARM_STATUS,
    CmdType.NOTIFICATIONS: CmdUpdateType.NOTIFICATIONS,
    CmdType.NOTIFICATIONS_UNSUBSCRIBE: CmdUpdateType.NOTIFICATIONS,
    CmdType.NOTIFICATIONS_COUNT: CmdUpdateType.NOTIFICATIONS_COUNT,
    CmdType.MARK_NOTIFICATIONS_AS_READ: CmdUpdateType.NOTIFICATIONS,
    CmdType.MARK_ALL_NOTIFICATIONS_AS_READ: CmdUpdateType.NOTIFICATIONS,
}
"""The ``cmdUpdateType`` a v2 command's errors are reported under."""


class Subscription(Protocol):
    """Anything a session keeps under a ``cmdId`` until unsubscribed or closed."""

    def close(self) -> None:
        """Stop pushing updates and release listeners."""


class WsSession:
    """Subscriptions and outgoing messages of one connected, authenticated user."""

    def __init__(self, caller: Caller, services: WsServices, outbox: Outbox) -> None:
        self.caller = caller
        self.services = services
        self.outbox = outbox
        self.subscriptions: dict[int, Subscription] = {}

    def send(self, text: str) -> bool:
        """Queue a message for the client (False once the client is being dropped)."""
        return self.outbox.put(text)

    def add(self, cmd_id: int, subscription: Subscription) -> None:
        """Keep ``subscription`` under ``cmd_id``, replacing (and closing) an earlier one."""
        self.remove(cmd_id)
        if len(self.subscriptions) >= self.services.limits.max_subscriptions:
            subscription.close()
            raise SessionClosed(CloseCode.POLICY_VIOLATION, Reason.MAX_SUBSCRIPTIONS)
        self.subscriptions[cmd_id] = subscription

    def remove(self, cmd_id: int) -> None:
        """Close and forget the subscription of ``cmd_id``, if any."""
        subscription = self.subscriptions.pop(cmd_id, None)
        if subscription is not None:
            subscription.close()

    def close(self) -> None:
        """Close every subscription."""
        subscriptions, self.subscriptions = self.subscriptions, {}
        for subscription in subscriptions.values():
            subscription.close()

    async def handle(self, envelope: Envelope) -> None:
        """Run the commands of one frame in order."""
        for command in envelope.commands:
            await self._run(command)

    async def _run(self, command: Command) -> None:
        handler = self.services.handlers.get(command.type)
        if handler is None:
            self._error(command, ErrorCode.BAD_REQUEST, f"Unsupported command: {command.type}")
            return
        try:
            await handler(self, command)
        except CommandError as exc:
            self._error(command, exc.code, exc.message)
        except (InvalidArgument, TelemetryError) as exc:
            self._error(command, ErrorCode.BAD_REQUEST, str(exc))
        except (PermissionDenied, NotFound):
            self._error(command, ErrorCode.UNAUTHORIZED, None)
        except SessionClosed:
            raise
        except Exception:
            log.exception("WebSocket command %s %d failed", command.type, command.cmd_id)
            self._error(command, ErrorCode.INTERNAL_ERROR, None)

    def _error(self, command: Command, code: ErrorCode, message: str | None) -> None:
        log.debug(
            "WebSocket command %s %d: error %s %s", command.type, command.cmd_id, code, message
        )
        if command.type in _V1:
            self.send(subscription_error(command.cmd_id, code, message))
        else:
            update_type = _UPDATE_TYPE.get(command.type, CmdUpdateType.ENTITY_DATA)
            self.send(cmd_error(command.cmd_id, update_type, code, message))

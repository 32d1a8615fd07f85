"""The cluster bus: small, non-durable notifications from one node (or process) to another.

Code outside this package depends on :class:`Bus` only; ``node.py`` picks the
implementation with :func:`open_bus`: :class:`InProcessBus` in embedded and single-node mode,
:class:`LocalBus` for a ``unix:///path/bus.sock`` URL (the worker processes of one node,
through the :class:`LocalBusBroker` one of them runs on that socket), and :class:`NatsBus`
(core NATS subjects of the cluster's NATS server) for a ``nats://`` bus URL. It is not the
durable log (:mod:`industryos.queue.interface`): use it for what only matters to a node that
is alive now, such as a REST call waiting for the reply a chain produces on another node.
"""

from industryos.queue.bus.factory import open_bus
from industryos.queue.bus.interface import (
    Bus,
    BusError,
    BusTimeout,
    BusUnreachable,
    Handler,
    NoResponders,
    Responder,
    ResponderFailed,
    Subscription,
    check_subject,
    subject_token,
)
from industryos.queue.bus.local import LocalBus
from industryos.queue.bus.local_broker import LocalBusBroker
from industryos.queue.bus.memory import InProcessBus
from industryos.queue.bus.nats import NatsBus

__all__ = [
    "Bus",
    "BusError",
    "BusTimeout",
    "BusUnreachable",
    "Handler",
    "InProcessBus",
    "LocalBus",
    "LocalBusBroker",
    "NatsBus",
    "NoResponders",
    "Responder",
    "ResponderFailed",
    "Subscription",
    "check_subject",
    "open_bus",
    "subject_token",
]

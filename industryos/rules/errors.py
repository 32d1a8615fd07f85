"""Errors of the rule engine, one root for the layer.

::

    RuleEngineError             root of everything industryos.rules raises
    ├── ChainDefinitionError    a chain's JSON is malformed or names an unknown node class
    ├── NodeConfigError         a node's configuration cannot be used (bad field, service)
    ├── NodeFailure             a node could not process a message (→ its ``Failure`` label)
    │   ├── ScriptError         a script threw, returned the wrong type, or is disabled
    │   │   ├── ScriptTimeout   a script ran past its per-call time limit
    │   │   └── ScriptMemory    a script went past its isolate's memory limit
    │   └── NotAvailable        the node needs a layer that does not exist yet
    └── ChainLoopError          nested rule chains call each other too deep

``ChainDefinitionError`` and ``NodeConfigError`` become 400 at the REST edge (their message
names the offending class or field); ``NodeFailure`` never leaves the engine: it becomes the
``error`` metadata of the message routed to ``Failure``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from industryos.entities.errors import InvalidArgument

if TYPE_CHECKING:
    from industryos.msg import Msg


class RuleEngineError(Exception):
    """Root of every error the rule engine raises."""


class ChainDefinitionError(RuleEngineError, InvalidArgument):
    """A rule chain's JSON cannot be stored or run (wrong shape, unknown node class)."""


class NodeConfigError(RuleEngineError, InvalidArgument):
    """A node's configuration is unusable."""


class NodeFailure(RuleEngineError):
    """A node failed on one message; the message goes to the node's ``Failure`` relation.

    ``msg`` replaces the message sent on ``Failure`` (e.g. with a response's status in the
    metadata); the engine adds the ``error`` metadata either way.
    """

    def __init__(self, message: str, msg: Msg | None = None) -> None:
        super().__init__(message)
        self.msg = msg


class ScriptError(NodeFailure):
    """A script threw, returned a value of the wrong type, or has been disabled."""


class ScriptTimeout(ScriptError):
    """A script ran past its time limit and was terminated."""


class ScriptMemory(ScriptError):
    """A script exceeded its isolate's memory limit; the isolate is rebuilt."""


class NotAvailable(NodeFailure):
    """The node depends on a layer IndustryOS does not have yet (e.g. notifications)."""


class ChainLoopError(NodeFailure):
    """Rule chains nested deeper than the engine allows (a chain calling itself)."""

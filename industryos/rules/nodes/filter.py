"""Filter nodes: route a message by its type, originator, content or a script."""

from __future__ import annotations

from typing import Any

from industryos.msg import Msg
from industryos.rules.errors import ScriptError
from industryos.rules.labels import ORIGINATOR_TYPE_LABELS, TYPE_LABELS, Label
from industryos.rules.nodes.base import (
    ComponentType,
    Descriptor,
    Emit,
    NodeConfig,
    NodeContext,
    RuleNode,
    Service,
)
from industryos.rules.nodes.templates import body_of
from industryos.rules.scripts.engine import Script

PREFIX = "org.thingsboard.rule.engine."
TRUE_FALSE = (Label.TRUE, Label.FALSE, Label.FAILURE)


def _bool_label(value: bool) -> str:
    return Label.TRUE if value else Label.FALSE


def script_body(config: NodeConfig, js_key: str = "jsScript", tbel_key: str = "tbelScript") -> str:
    """The script source the node runs: ``jsScript`` or ``tbelScript`` by ``scriptLang``."""
    lang = config.choice("scriptLang", ("JS", "TBEL"), "JS")
    return config.text(tbel_key if lang == "TBEL" else js_key)


class MsgTypeSwitchNode(RuleNode):
    """Emits the label of the message type (spec §5.2), or ``Other``."""

    clazz = PREFIX + "filter.TbMsgTypeSwitchNode"
    descriptor = Descriptor(
        ComponentType.FILTER,
        "message type switch",
        "Routes incoming messages by message type",
        relation_types=(*dict.fromkeys(TYPE_LABELS.values()), Label.OTHER),
        default_configuration={"version": 0},
        custom_relations=False,
    )

    async def on_msg(self, msg: Msg) -> list[Emit]:
        """One line of logic, as in ThingsBoard."""
        return [Emit(TYPE_LABELS.get(msg.type, Label.OTHER), msg)]


class MsgTypeFilterNode(RuleNode):
    """``True`` when the message type is one of ``messageTypes``."""

    clazz = PREFIX + "filter.TbMsgTypeFilterNode"
    descriptor = Descriptor(
        ComponentType.FILTER,
        "message type",
        "Filter incoming messages by message type",
        relation_types=TRUE_FALSE,
        default_configuration={
            "messageTypes": ["POST_ATTRIBUTES_REQUEST", "POST_TELEMETRY_REQUEST"]
        },
    )

    def __init__(self, config: NodeConfig, ctx: NodeContext) -> None:
        super().__init__(config, ctx)
        self._types = frozenset(config.str_list("messageTypes"))

    async def on_msg(self, msg: Msg) -> list[Emit]:
        """Membership test."""
        return [Emit(_bool_label(msg.type in self._types), msg)]


class OriginatorTypeSwitchNode(RuleNode):
    """Emits the originator's entity type in title case (``Device``, ``Entity View``)."""

    clazz = PREFIX + "filter.TbOriginatorTypeSwitchNode"
    descriptor = Descriptor(
        ComponentType.FILTER,
        "entity type switch",
        "Route incoming messages by Message Originator Type",
        relation_types=(*ORIGINATOR_TYPE_LABELS.values(), Label.FAILURE),
        default_configuration={"version": 0},
    )

    async def on_msg(self, msg: Msg) -> list[Emit]:
        """Label lookup."""
        return [Emit(ORIGINATOR_TYPE_LABELS[msg.originator.entity_type.value], msg)]


class OriginatorTypeFilterNode(RuleNode):
    """``True`` when the originator type is one of ``originatorTypes``."""

    clazz = PREFIX + "filter.TbOriginatorTypeFilterNode"
    descriptor = Descriptor(
        ComponentType.FILTER,
        "entity type",
        "Filter incoming messages by the type of message originator entity",
        relation_types=TRUE_FALSE,
        default_configuration={"originatorTypes": ["DEVICE"]},
    )

    def __init__(self, config: NodeConfig, ctx: NodeContext) -> None:
        super().__init__(config, ctx)
        self._types = frozenset(config.str_list("originatorTypes"))

    async def on_msg(self, msg: Msg) -> list[Emit]:
        """Membership test."""
        return [Emit(_bool_label(msg.originator.entity_type.value in self._types), msg)]


class CheckMessageNode(RuleNode):
    """``True`` when the listed body and metadata keys are present (all or any)."""

    clazz = PREFIX + "filter.TbCheckMessageNode"
    descriptor = Descriptor(
        ComponentType.FILTER,
        "check fields presence",
        "Checks the presence of the specified fields in the message and/or metadata",
        relation_types=TRUE_FALSE,
        default_configuration={"messageNames": [], "metadataNames": [], "checkAllKeys": True},
    )

    def __init__(self, config: NodeConfig, ctx: NodeContext) -> None:
        super().__init__(config, ctx)
        self._body_keys = config.str_list("messageNames")
        self._meta_keys = config.str_list("metadataNames")
        self._all = config.flag("checkAllKeys", True)

    async def on_msg(self, msg: Msg) -> list[Emit]:
        """Presence test over both key lists."""
        body = body_of(msg) if self._body_keys else {}
        present = [isinstance(body, dict) and key in body for key in self._body_keys]
        present += [key in msg.metadata for key in self._meta_keys]
        found = all(present) if self._all else any(present)
        return [Emit(_bool_label(found), msg)]


class JsFilterNode(RuleNode):
    """A boolean script; any other result is a ``Failure``."""

    clazz = PREFIX + "filter.TbJsFilterNode"
    requires = frozenset({Service.SCRIPTS})
    descriptor = Descriptor(
        ComponentType.FILTER,
        "script",
        "Filter incoming messages using a script",
        relation_types=TRUE_FALSE,
        default_configuration={
            "scriptLang": "TBEL",
            "jsScript": "return msg.temperature > 20;",
            "tbelScript": "return msg.temperature > 20;",
        },
    )

    def __init__(self, config: NodeConfig, ctx: NodeContext) -> None:
        super().__init__(config, ctx)
        self._script = ctx.scripts().compile(script_body(config))

    async def on_msg(self, msg: Msg) -> list[Emit]:
        """Run the script and insist on a boolean."""
        result = await self._script.invoke(msg.data, msg.metadata, msg.type)
        if not isinstance(result, bool):
            raise _wrong_type(self._script, "boolean", result)
        return [Emit(_bool_label(result), msg)]


class JsSwitchNode(RuleNode):
    """A script returning a label or a list of labels; the message goes to each."""

    clazz = PREFIX + "filter.TbJsSwitchNode"
    requires = frozenset({Service.SCRIPTS})
    descriptor = Descriptor(
        ComponentType.FILTER,
        "switch",
        "Routes incoming message to one OR multiple output connections",
        relation_types=(Label.FAILURE,),
        custom_relations=True,
        default_configuration={
            "scriptLang": "TBEL",
            "jsScript": "return ['Other'];",
            "tbelScript": "return ['Other'];",
        },
    )

    def __init__(self, config: NodeConfig, ctx: NodeContext) -> None:
        super().__init__(config, ctx)
        self._script = ctx.scripts().compile(script_body(config))

    async def on_msg(self, msg: Msg) -> list[Emit]:
        """Run the script; a string or a list of strings."""
        result = await self._script.invoke(msg.data, msg.metadata, msg.type)
        if isinstance(result, str):
            return [Emit(result, msg)]
        if isinstance(result, list) and all(isinstance(x, str) for x in result):
            return [Emit(label, msg) for label in dict.fromkeys(result)]
        raise _wrong_type(self._script, "string or array of strings", result)


_JS_TYPES = {bool: "boolean", int: "number", float: "number", str: "string", list: "array"}


def js_type(value: Any) -> str:
    """The JavaScript name of a script result's type, for error messages."""
    if value is None:
        return "null"
    return _JS_TYPES.get(type(value), "object")


def _wrong_type(script: Script, expected: str, got: Any) -> ScriptError:
    reason = f"Wrong result type: {js_type(got)} (expected {expected})"
    script.failed(reason)
    return ScriptError(reason)


NODES: tuple[type[RuleNode], ...] = (
    MsgTypeSwitchNode,
    MsgTypeFilterNode,
    OriginatorTypeSwitchNode,
    OriginatorTypeFilterNode,
    CheckMessageNode,
    JsFilterNode,
    JsSwitchNode,
)

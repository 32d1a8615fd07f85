"""JSON path node (``transform.TbJsonPathNode``) and the JSONPath subset it evaluates.

ThingsBoard evaluates ``jsonPath`` with Jayway JsonPath and replaces the body with the
result. Supported here: ``$``, ``.name`` and ``['name']`` children, ``*`` wildcards,
``..name`` recursive descent, indexes (negative too), unions ``[0,2]`` / ``['a','b']`` and
slices ``[1:3]``. Filter expressions (``[?(...)]``) and functions are refused when the node
is built. As in Jayway, a *definite* path (names and single indexes only) yields one value
and fails when it does not exist; any other path yields a list, possibly empty.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from industryos.msg import Msg
from industryos.rules.errors import NodeConfigError, NodeFailure
from industryos.rules.labels import Label
from industryos.rules.nodes.base import (
    ComponentType,
    Descriptor,
    Emit,
    NodeConfig,
    NodeContext,
    RuleNode,
)
from industryos.rules.nodes.templates import body_of, json_text

PREFIX = "org.thingsboard.rule.engine."

_TOKEN = re.compile(
    r"""\.\.(?P<deep>[A-Za-z_$][\w$-]*|\*)"""
    r"""|\.(?P<name>[A-Za-z_$][\w$-]*|\*)"""
    r"""|\[(?P<bracket>[^\]]*)\]"""
)
_QUOTED = re.compile(r"""\s*(['"])(.*?)\1\s*""")


@dataclass(frozen=True, slots=True)
class _Step:
    kind: str
    """``child`` (names), ``deep`` (recursive names), ``index`` (ints), ``slice``, ``all``."""
    names: tuple[str, ...] = ()
    indexes: tuple[int, ...] = ()
    bounds: tuple[int | None, int | None] = (None, None)


class JsonPath:
    """A compiled path: its steps and whether it names exactly one value."""

    def __init__(self, text: str) -> None:
        text = text.strip()
        if not text.startswith("$"):
            raise ValueError("a JSON path starts with '$'")
        self.text = text
        self.steps: list[_Step] = []
        position = 1
        while position < len(text):
            match = _TOKEN.match(text, position)
            if match is None:
                raise ValueError(f"unexpected {text[position:]!r}")
            position = match.end()
            self.steps.append(_step(match))
        self.definite = all(
            (s.kind == "child" and len(s.names) == 1) or (s.kind == "index" and len(s.indexes) == 1)
            for s in self.steps
        )

    def find(self, document: Any) -> list[Any]:
        """Every value the path reaches, in document order."""
        current = [document]
        for step in self.steps:
            current = [found for value in current for found in _apply(step, value)]
        return current


def _step(match: re.Match[str]) -> _Step:
    if match.group("deep") is not None:
        deep = match.group("deep")
        return _Step("deep", () if deep == "*" else (deep,))
    if match.group("name") is not None:
        name = match.group("name")
        return _Step("all") if name == "*" else _Step("child", (name,))
    inner = match.group("bracket").strip()
    if inner == "*":
        return _Step("all")
    if inner.startswith("?") or inner.startswith("("):
        raise ValueError("filter and script expressions are not supported")
    if ":" in inner:
        parts = inner.split(":")
        if len(parts) != 2:
            raise ValueError(f"unsupported slice [{inner}]")
        start, end = (int(p) if p.strip() else None for p in parts)
        return _Step("slice", bounds=(start, end))
    items = [item for item in inner.split(",")]
    quoted = [_QUOTED.fullmatch(item) for item in items]
    if all(q is not None for q in quoted):
        return _Step("child", tuple(q.group(2) for q in quoted if q is not None))
    return _Step("index", indexes=tuple(int(item) for item in items))


def _apply(step: _Step, value: Any) -> Iterator[Any]:
    if step.kind == "child":
        if isinstance(value, dict):
            yield from (value[n] for n in step.names if n in value)
    elif step.kind == "all":
        if isinstance(value, dict):
            yield from value.values()
        elif isinstance(value, list):
            yield from value
    elif step.kind == "index":
        if isinstance(value, list):
            for index in step.indexes:
                if -len(value) <= index < len(value):
                    yield value[index]
    elif step.kind == "slice":
        if isinstance(value, list):
            yield from value[step.bounds[0] : step.bounds[1]]
    else:
        yield from _descend(step.names, value)


def _descend(names: tuple[str, ...], value: Any) -> Iterator[Any]:
    if isinstance(value, dict):
        for key, child in value.items():
            if not names or key in names:
                yield child
            yield from _descend(names, child)
    elif isinstance(value, list):
        for child in value:
            if not names:
                yield child
            yield from _descend(names, child)


class JsonPathNode(RuleNode):
    """Replace the body with what ``jsonPath`` selects from it."""

    clazz = PREFIX + "transform.TbJsonPathNode"
    descriptor = Descriptor(
        ComponentType.TRANSFORMATION,
        "json path",
        "Transforms incoming message body using JSONPath expression",
        default_configuration={"jsonPath": "$"},
    )

    def __init__(self, config: NodeConfig, ctx: NodeContext) -> None:
        super().__init__(config, ctx)
        text = config.text("jsonPath", "$") or "$"
        try:
            self._path = JsonPath(text)
        except ValueError as exc:
            raise NodeConfigError(f"{self.clazz}: invalid jsonPath {text!r}: {exc}") from None

    async def on_msg(self, msg: Msg) -> list[Emit]:
        """``$`` passes the message on unchanged; a missing definite path is a Failure."""
        if not self._path.steps:
            return [Emit(Label.SUCCESS, msg)]
        found = self._path.find(body_of(msg))
        if self._path.definite:
            if not found:
                raise NodeFailure(f"No results for path: {self._path.text}")
            result: Any = found[0]
        else:
            result = found
        return [Emit(Label.SUCCESS, msg.with_changes(data=json_text(result)))]


NODES: tuple[type[RuleNode], ...] = (JsonPathNode,)

"""Math function node (``math.TbMathNode``): one operation or a custom formula over arguments.

Arguments come from constants, the body, the metadata, an attribute or the latest time
series of the originator (``type`` CONSTANT / MESSAGE_BODY / MESSAGE_METADATA / ATTRIBUTE /
TIME_SERIES, with an optional ``defaultValue``); they are named ``a``, ``b``, ``c``… in
order unless they carry a ``name``. The result goes to the body, the metadata, an attribute
or a time series (``result.type``), rounded to ``resultValuePrecision`` decimals (0 → an
integer). CUSTOM formulas use exp4j's syntax (``+ - * / % ^``, parentheses and the usual
functions) and are evaluated by walking a Python AST of that formula: names, numbers,
arithmetic and whitelisted functions only, nothing else is accepted.
"""

from __future__ import annotations

import ast
import math
import operator
from collections.abc import Callable
from typing import Any

from industryos.entities.ids import now_ms
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
    Service,
)
from industryos.rules.nodes.enrichment import put_all
from industryos.rules.nodes.templates import body_of, fill
from industryos.telemetry.kv import AttributeScope, DataType, KvEntry, TsKvEntry
from industryos.telemetry.service import TelemetryService

PREFIX = "org.thingsboard.rule.engine."

_UNARY: dict[str, Callable[[float], float]] = {
    "SIN": math.sin,
    "SINH": math.sinh,
    "COS": math.cos,
    "COSH": math.cosh,
    "TAN": math.tan,
    "TANH": math.tanh,
    "ACOS": math.acos,
    "ASIN": math.asin,
    "ATAN": math.atan,
    "EXP": math.exp,
    "EXPM1": math.expm1,
    "SQRT": math.sqrt,
    "CBRT": lambda x: math.copysign(abs(x) ** (1 / 3), x),
    "GET_EXP": lambda x: float(math.frexp(x)[1] - 1) if x else 0.0,
    "LOG": math.log,
    "LOG10": math.log10,
    "LOG1P": math.log1p,
    "CEIL": math.ceil,
    "FLOOR": math.floor,
    "ABS": abs,
    "SIGNUM": lambda x: float((x > 0) - (x < 0)),
    "RAD": math.radians,
    "DEG": math.degrees,
}
_BINARY: dict[str, Callable[[float, float], float]] = {
    "ADD": operator.add,
    "SUB": operator.sub,
    "MULT": operator.mul,
    "DIV": operator.truediv,
    "ATAN2": math.atan2,
    "HYPOT": math.hypot,
    "FLOOR_DIV": lambda a, b: float(math.floor(a / b)),
    "FLOOR_MOD": lambda a, b: a - math.floor(a / b) * b,
    "MIN": min,
    "MAX": max,
    "POW": math.pow,
}
"""Operation → function (one or two arguments); CUSTOM takes a formula instead."""

_FUNCTIONS: dict[str, Callable[..., float]] = {
    **{name.lower(): fn for name, fn in _UNARY.items() if name not in ("RAD", "DEG", "GET_EXP")},
    "log2": math.log2,
    "pow": math.pow,
    "min": min,
    "max": max,
    "signum": _UNARY["SIGNUM"],
    "toradian": math.radians,
    "todegree": math.degrees,
}
_CONSTANTS = {"pi": math.pi, "π": math.pi, "e": math.e}
_OPERATORS: dict[type[ast.AST], Callable[..., float]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.Mod: operator.mod,
    ast.Pow: operator.pow,
    ast.USub: operator.neg,
    ast.UAdd: operator.pos,
}


def compile_formula(text: str, clazz: str) -> ast.Expression:
    """Parse an exp4j formula (``^`` is a power) into a checked AST."""
    try:
        tree = ast.parse(text.replace("^", "**"), mode="eval")
    except SyntaxError:
        raise NodeConfigError(f"{clazz}: invalid customFunction {text!r}") from None
    for node in ast.walk(tree):
        allowed = (ast.Expression, ast.BinOp, ast.UnaryOp, ast.Constant, ast.Name, ast.Call)
        if not isinstance(node, (*allowed, ast.operator, ast.unaryop, ast.Load)):
            raise NodeConfigError(f"{clazz}: unsupported syntax in customFunction {text!r}")
        if isinstance(node, ast.Call) and not (
            isinstance(node.func, ast.Name) and node.func.id.lower() in _FUNCTIONS
        ):
            raise NodeConfigError(f"{clazz}: unknown function in customFunction {text!r}")
    return tree


def evaluate(node: ast.AST, names: dict[str, float]) -> float:
    """The value of a checked formula AST."""
    if isinstance(node, ast.Expression):
        return evaluate(node.body, names)
    if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
        return float(node.value)
    if isinstance(node, ast.Name):
        if node.id in names:
            return names[node.id]
        if node.id in _CONSTANTS:
            return _CONSTANTS[node.id]
        raise NodeFailure(f"Unknown variable in customFunction: {node.id}")
    if isinstance(node, ast.BinOp):
        return float(
            _OPERATORS[type(node.op)](evaluate(node.left, names), evaluate(node.right, names))
        )
    if isinstance(node, ast.UnaryOp):
        return float(_OPERATORS[type(node.op)](evaluate(node.operand, names)))
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        args = [evaluate(a, names) for a in node.args]
        return float(_FUNCTIONS[node.func.id.lower()](*args))
    raise NodeFailure("unsupported expression")


def _number(value: Any, what: str) -> float:
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    try:
        return float(value)
    except (TypeError, ValueError):
        raise NodeFailure(f"Argument '{what}' is not a number: {value!r}") from None


class MathNode(RuleNode):
    """Compute one number from the arguments and put it where ``result`` says."""

    clazz = PREFIX + "math.TbMathNode"
    requires = frozenset({Service.TELEMETRY})
    descriptor = Descriptor(
        ComponentType.ACTION,
        "math function",
        "Applies a math function to arguments taken from the message or the database",
        default_configuration={
            "operation": "ADD",
            "arguments": [
                {"type": "MESSAGE_BODY", "key": "x"},
                {"type": "MESSAGE_BODY", "key": "y"},
            ],
            "customFunction": "",
            "result": {
                "type": "MESSAGE_BODY",
                "key": "result",
                "resultValuePrecision": 0,
                "addToBody": False,
                "addToMetadata": False,
                "attributeScope": "SERVER_SCOPE",
            },
        },
    )

    def __init__(self, config: NodeConfig, ctx: NodeContext) -> None:
        super().__init__(config, ctx)
        self._operation = config.text("operation", "ADD").upper()
        arguments = config.raw.get("arguments") or []
        if not isinstance(arguments, list) or not all(isinstance(a, dict) for a in arguments):
            raise NodeConfigError(f"{self.clazz}: 'arguments' must be a list of objects")
        self._arguments: list[dict[str, Any]] = arguments
        self._formula: ast.Expression | None = None
        if self._operation == "CUSTOM":
            self._formula = compile_formula(config.text("customFunction"), self.clazz)
        elif self._operation in _UNARY:
            self._need(1)
        elif self._operation in _BINARY:
            self._need(2)
        else:
            raise NodeConfigError(f"{self.clazz}: unknown operation {self._operation}")
        result = config.raw.get("result") or {}
        if not isinstance(result, dict) or not result.get("key"):
            raise NodeConfigError(f"{self.clazz}: result key should be specified")
        self._result: dict[str, Any] = result

    @property
    def _telemetry(self) -> TelemetryService:
        """Asked for only when an argument or the result lives in storage."""
        return self.ctx.telemetry()

    def _need(self, count: int) -> None:
        if len(self._arguments) < count:
            raise NodeConfigError(
                f"{self.clazz}: operation {self._operation} needs {count} argument(s)"
            )

    async def on_msg(self, msg: Msg) -> list[Emit]:
        """Read arguments, compute, round, store or attach."""
        values = [await self._argument(msg, arg) for arg in self._arguments]
        try:
            if self._formula is not None:
                names = {
                    str(arg.get("name") or chr(ord("a") + i)): v
                    for i, (arg, v) in enumerate(zip(self._arguments, values, strict=True))
                }
                result = evaluate(self._formula, names)
            elif self._operation in _UNARY:
                result = float(_UNARY[self._operation](values[0]))
            else:
                result = float(_BINARY[self._operation](values[0], values[1]))
        except (ArithmeticError, ValueError) as exc:
            raise NodeFailure(f"Math function failed: {exc}") from None
        return [Emit(Label.SUCCESS, await self._store(msg, result))]

    async def _argument(self, msg: Msg, arg: dict[str, Any]) -> float:
        kind = str(arg.get("type") or "CONSTANT")
        key = fill(str(arg.get("key") or ""), msg)
        value: Any = None
        if kind == "CONSTANT":
            value = key
        elif kind == "MESSAGE_BODY":
            body = body_of(msg)
            value = body.get(key) if isinstance(body, dict) else None
        elif kind == "MESSAGE_METADATA":
            value = msg.metadata.get(key)
        elif kind == "ATTRIBUTE":
            scope = AttributeScope(str(arg.get("attributeScope") or "SERVER_SCOPE"))
            got = await self._telemetry.get_attributes(
                msg.tenant_id, msg.originator.id, scope, [key]
            )
            entries = got.get(scope, [])
            value = entries[0].native_value() if entries else None
        elif kind == "TIME_SERIES":
            latest = await self._telemetry.get_latest(msg.tenant_id, msg.originator.id, [key])
            value = latest[0].native_value() if latest else None
        else:
            raise NodeFailure(f"Unsupported argument type: {kind}")
        if value is None:
            value = arg.get("defaultValue")
        if value is None:
            raise NodeFailure(f"Argument '{key}' of type {kind} is not present")
        return _number(value, key)

    async def _store(self, msg: Msg, result: float) -> Msg:
        spec = self._result
        key = fill(str(spec["key"]), msg)
        precision = int(spec.get("resultValuePrecision") or 0)
        value: int | float = round(result) if precision <= 0 else round(result, precision)
        kind = str(spec.get("type") or "MESSAGE_BODY")
        entry = (
            KvEntry(key, value, DataType.LONG)
            if isinstance(value, int)
            else KvEntry(key, value, DataType.DOUBLE)
        )
        if kind == "MESSAGE_BODY":
            return put_all(msg, {key: value}, "DATA")
        if kind == "MESSAGE_METADATA":
            return put_all(msg, {key: value}, "METADATA")
        if kind == "ATTRIBUTE":
            scope = AttributeScope(str(spec.get("attributeScope") or "SERVER_SCOPE"))
            await self._telemetry.save_attributes(msg.tenant_id, msg.originator.id, scope, [entry])
        elif kind == "TIME_SERIES":
            ts = int(msg.metadata.get("ts") or now_ms())
            point = TsKvEntry(ts, entry.key, entry.value, entry.data_type)
            await self._telemetry.save_timeseries(msg.tenant_id, msg.originator.id, [point])
        else:
            raise NodeFailure(f"Unsupported result type: {kind}")
        if spec.get("addToBody"):
            msg = put_all(msg, {key: value}, "DATA")
        if spec.get("addToMetadata"):
            msg = put_all(msg, {key: value}, "METADATA")
        return msg


NODES: tuple[type[RuleNode], ...] = (MathNode,)

"""Typed values to and from the five value columns (``bool_v, str_v, long_v, dbl_v, json_v``).

Shared by ``ts_kv``, ``ts_kv_latest`` and ``attribute_kv``. Writing is one table lookup
and one tuple per point. NUL characters are removed from strings on the way in, as
ThingsBoard's insert repositories do, because PostgreSQL ``text`` cannot hold them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles

from industryos.telemetry.kv import INT64_MAX, INT64_MIN, DataType, Value

__all__ = [
    "ROW_BUILDERS",
    "VALUE_COLUMNS",
    "RowBuilder",
    "decode",
    "json_text_param",
    "sql_value_columns",
    "value_columns",
    "value_tuple",
    "widen",
]

VALUE_COLUMNS = ("bool_v", "str_v", "long_v", "dbl_v", "json_v")
"""The value columns, in table order; a row names the one it sets by its index here."""

RowBuilder = Callable[[Any, int, int, Any], tuple[Any, ...]]
"""``(entity, key_id, ts, value) -> (entity, key_id, ts, column, value)``, ``column`` the
index of the value's column in :data:`VALUE_COLUMNS`.

This narrow form is what the SQLite writer binds (five parameters a point instead of eight,
four of them NULL: binding a NULL goes through the driver's adapter lookup, and the narrow
statements took a third less of the writer process's time); :func:`widen` gives the row
of every column (PostgreSQL's COPY). A builder raises ``ValueError`` when the value does
not fit its type (wrong Python type, LONG beyond int64, DOUBLE not finite): the check
costs a type test on the hot path, and callers turn it into a descriptive error with
:func:`check_value`.
"""


def _bool_row(e: Any, k: int, ts: int, v: Any) -> tuple[Any, ...]:
    if type(v) is not bool:
        raise ValueError
    return (e, k, ts, 0, v)


def _str_row(e: Any, k: int, ts: int, v: Any) -> tuple[Any, ...]:
    if type(v) is not str:
        raise ValueError
    return (e, k, ts, 1, v.replace("\x00", ""))


def _long_row(e: Any, k: int, ts: int, v: Any) -> tuple[Any, ...]:
    if type(v) is not int or not INT64_MIN <= v <= INT64_MAX:
        raise ValueError
    return (e, k, ts, 2, v)


def _double_row(e: Any, k: int, ts: int, v: Any) -> tuple[Any, ...]:
    if type(v) is not float or v - v != 0.0:
        raise ValueError
    return (e, k, ts, 3, v)


def _json_row(e: Any, k: int, ts: int, v: Any) -> tuple[Any, ...]:
    if type(v) is not str:
        raise ValueError
    return (e, k, ts, 4, v)


ROW_BUILDERS: dict[DataType, RowBuilder] = {
    DataType.BOOLEAN: _bool_row,
    DataType.STRING: _str_row,
    DataType.LONG: _long_row,
    DataType.DOUBLE: _double_row,
    DataType.JSON: _json_row,
}

_SPREAD: tuple[Callable[[Any], tuple[Any, ...]], ...] = (
    lambda v: (v, None, None, None, None),
    lambda v: (None, v, None, None, None),
    lambda v: (None, None, v, None, None),
    lambda v: (None, None, None, v, None),
    lambda v: (None, None, None, None, v),
)


def widen(row: tuple[Any, ...]) -> tuple[Any, ...]:
    """A built row with every value column: ``(entity, key_id, ts, bool_v, str_v, long_v,
    dbl_v, json_v)`` followed by whatever the row carried after its value."""
    return (*row[:3], *_SPREAD[row[3]](row[4]), *row[5:])


def value_tuple(data_type: DataType, value: Value) -> tuple[Any, ...]:
    """The five value columns of one typed value, in :data:`VALUE_COLUMNS` order."""
    row = ROW_BUILDERS[data_type](None, 0, 0, value)
    return _SPREAD[row[3]](row[4])


def value_columns(data_type: DataType, value: Value) -> dict[str, Any]:
    """The five value columns of one typed value, by name (for SQLAlchemy statements)."""
    return dict(zip(VALUE_COLUMNS, value_tuple(data_type, value), strict=True))


def json_text_param(value: Any, column: sa.Column[Any]) -> sa.ColumnElement[Any]:
    """Bind JSON *text* for ``column`` so it is stored as written, not serialised again.

    PostgreSQL needs the text cast to the column's ``json``/``jsonb`` type. SQLite must not
    cast: ``CAST(… AS JSON)`` has NUMERIC affinity there and turns the text into 0.
    """
    text: sa.ColumnElement[Any] = (
        value if isinstance(value, sa.BindParameter) else sa.literal(value, sa.Text())
    )
    return _JsonCast(sa.type_coerce(text, sa.Text()), column)


class _JsonCast(sa.sql.expression.ColumnElement[Any]):
    """Compiles to ``CAST(text AS <json type>)`` except on SQLite (plain text)."""

    inherit_cache = True

    def __init__(self, text: sa.ColumnElement[Any], column: sa.Column[Any]) -> None:
        self.text = text
        self.type = column.type


@compiles(_JsonCast)
def _compile_json_cast(element: _JsonCast, compiler: Any, **kw: Any) -> str:
    return compiler.process(element.text, **kw)  # type: ignore[no-any-return]


@compiles(_JsonCast, "postgresql")
def _compile_json_cast_pg(element: _JsonCast, compiler: Any, **kw: Any) -> str:
    return compiler.process(sa.cast(element.text, element.type), **kw)  # type: ignore[no-any-return]


def sql_value_columns(data_type: DataType, value: Value, table: sa.Table) -> dict[str, Any]:
    """The value columns for a SQLAlchemy insert/update of ``table`` (JSON bound as text)."""
    columns = value_columns(data_type, value)
    columns["json_v"] = json_text_param(columns["json_v"], table.c.json_v)
    return columns


def decode(
    bool_v: bool | None,
    str_v: str | None,
    long_v: int | None,
    dbl_v: float | None,
    json_v: str | None,
) -> tuple[Value, DataType]:
    """The typed value of a row's value columns (the one that is not NULL)."""
    if long_v is not None:
        return int(long_v), DataType.LONG
    if dbl_v is not None:
        return float(dbl_v), DataType.DOUBLE
    if str_v is not None:
        return str_v, DataType.STRING
    if bool_v is not None:
        return bool(bool_v), DataType.BOOLEAN
    if json_v is not None:
        return json_v, DataType.JSON
    raise ValueError("row has no value column set")

"""Key values as SQL: outer joins to latest telemetry and attributes, and key filters.

Each key a query touches (a latest value, a key filter, the sort key) becomes one outer
join on ``ts_kv_latest`` or ``attribute_kv`` (one per scope), by key *id*: names are
resolved through the cached key dictionary first, and a key nobody ever wrote is a typed
NULL, not a join. Predicates compare the typed value columns directly, so filtering,
sorting and paging happen in the database on both engines.

A number is ``long_v`` or ``dbl_v``; text is ``str_v`` or the other columns cast to text;
NULL (a missing key) never matches a predicate, as in ThingsBoard.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from industryos.entities.errors import InvalidArgument
from industryos.entities.query.keys import (
    ATTRIBUTE_SCOPES,
    BooleanOperation,
    ComplexOperation,
    EntityKeyType,
    NumericOperation,
    StringOperation,
)
from industryos.entities.query.model import (
    BooleanPredicate,
    ComplexPredicate,
    EntityKey,
    KeyFilter,
    NumericPredicate,
    Predicate,
    StringPredicate,
)
from industryos.entities.query.sources import NUMERIC_FIELDS, field_column
from industryos.storage import schema
from industryos.storage.timeseries.columns import VALUE_COLUMNS
from industryos.storage.timeseries.schema import ts_kv_latest

__all__ = ["VALUE_COLUMNS", "KeyColumns", "KeyJoins", "key_condition"]

Col = sa.ColumnElement[Any]


@dataclass(frozen=True, slots=True)
class KeyColumns:
    """The SQL of one key's value: an entity field, or ts + typed value columns."""

    key: EntityKey
    field: Col | None = None
    ts: Col | None = None
    values: tuple[Col, ...] = ()

    def numeric(self) -> Col:
        """The value as a number (NULL when it is not one)."""
        if self.field is not None:
            if self.key.key not in NUMERIC_FIELDS:
                raise InvalidArgument(f"Entity field '{self.key.key}' is not numeric")
            return sa.cast(self.field, sa.Float())
        if not self.values:
            return sa.cast(sa.null(), sa.Float())
        _bool, _str, long_v, dbl_v, _json = self.values
        return sa.func.coalesce(sa.cast(long_v, sa.Float()), dbl_v)

    def text(self) -> Col:
        """The value as text."""
        if self.field is not None:
            return sa.cast(self.field, sa.Text())
        if not self.values:
            return sa.cast(sa.null(), sa.Text())
        bool_v, str_v, long_v, dbl_v, json_v = self.values
        as_bool = sa.case((bool_v.is_(True), "true"), (bool_v.is_(False), "false"))
        return sa.func.coalesce(
            str_v,
            sa.cast(long_v, sa.Text()),
            sa.cast(dbl_v, sa.Text()),
            as_bool,
            sa.cast(json_v, sa.Text()),
        )

    def boolean(self) -> Col:
        """The value as a boolean (``"true"``/``"false"`` text counts)."""
        if self.field is not None or not self.values:
            return sa.func.lower(self.text()) == "true"
        bool_v, str_v, *_ = self.values
        return sa.func.coalesce(bool_v, sa.func.lower(str_v) == "true")

    def sort_columns(self) -> list[Col]:
        """Numbers order as numbers, then text (better than ThingsBoard's text-only sort)."""
        if self.field is not None:
            return [self.field]
        return [self.numeric(), self.text()]


class KeyJoins:
    """Outer-joins key values onto the entity subquery ``e``, one join set per key."""

    def __init__(self, entities: sa.Subquery, key_ids: Mapping[str, int]) -> None:
        self.entities = entities
        self.from_clause: sa.FromClause = entities
        self._key_ids = key_ids
        self._columns: dict[EntityKey, KeyColumns] = {}

    def columns(self, key: EntityKey) -> KeyColumns:
        """The columns of ``key``, joining its table on first use."""
        found = self._columns.get(key)
        if found is None:
            found = self._build(key)
            self._columns[key] = found
        return found

    def _build(self, key: EntityKey) -> KeyColumns:
        e = self.entities
        if key.type is EntityKeyType.ENTITY_FIELD:
            column = e.c.get(field_column(key.key))
            if column is None:
                raise InvalidArgument(f"Entity field '{key.key}' was not selected")
            return KeyColumns(key, field=column)
        key_id = self._key_ids.get(key.key)
        if key_id is None:
            return KeyColumns(key)
        n = len(self._columns)
        if key.type is EntityKeyType.TIME_SERIES:
            alias = ts_kv_latest.alias(f"k{n}")
            self.from_clause = self.from_clause.outerjoin(
                alias, sa.and_(alias.c.entity_id == e.c.id, alias.c.key == key_id)
            )
            return KeyColumns(key, ts=alias.c.ts, values=_values(alias))
        scopes = ATTRIBUTE_SCOPES.get(key.type)
        if scopes is None:
            raise InvalidArgument(f"Key type {key.type.value} is not supported in entity queries")
        aliases: list[sa.FromClause] = []
        for index, scope in enumerate(scopes):
            alias = schema.attribute_kv.alias(f"k{n}_{index}")
            self.from_clause = self.from_clause.outerjoin(
                alias,
                sa.and_(
                    alias.c.entity_id == e.c.id,
                    alias.c.attribute_type == scope.value,
                    alias.c.attribute_key == key_id,
                ),
            )
            aliases.append(alias)
        return _first_scope(key, aliases)


def _column(alias: sa.FromClause, name: str) -> Col:
    """A value column; JSON is read as its text on both engines (no decode round trip)."""
    column: Col = alias.c[name]
    return sa.type_coerce(column, sa.Text()) if name == "json_v" else column


def _values(alias: sa.FromClause) -> tuple[Col, ...]:
    return tuple(_column(alias, name) for name in VALUE_COLUMNS)


def _first_scope(key: EntityKey, aliases: list[sa.FromClause]) -> KeyColumns:
    """One scope: its columns; several: the first scope that has the key."""
    if len(aliases) == 1:
        (alias,) = aliases
        return KeyColumns(key, ts=alias.c.last_update_ts, values=_values(alias))

    def pick(column: str) -> Col:
        whens = [(alias.c.entity_id.is_not(None), _column(alias, column)) for alias in aliases[:-1]]
        return sa.case(*whens, else_=_column(aliases[-1], column))

    return KeyColumns(key, ts=pick("last_update_ts"), values=tuple(pick(c) for c in VALUE_COLUMNS))


_NUMERIC: dict[NumericOperation, Callable[[Col, float], Col]] = {
    NumericOperation.EQUAL: lambda v, x: v == x,
    NumericOperation.NOT_EQUAL: lambda v, x: v != x,
    NumericOperation.GREATER: lambda v, x: v > x,
    NumericOperation.LESS: lambda v, x: v < x,
    NumericOperation.GREATER_OR_EQUAL: lambda v, x: v >= x,
    NumericOperation.LESS_OR_EQUAL: lambda v, x: v <= x,
}


def _starts(v: Col, x: str) -> Col:
    return sa.func.substr(v, 1, len(x)) == x


def _ends(v: Col, x: str) -> Col:
    start = sa.func.length(v) - len(x) + 1
    return sa.and_(sa.func.length(v) >= len(x), sa.func.substr(v, start) == x)


def _contains(v: Col, x: str) -> Col:
    """Case-sensitive on both engines (SQLite's LIKE ignores case): removing ``x`` changes ``v``."""
    return sa.true() if not x else sa.func.replace(v, x, "") != v


def _csv(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


_STRING: dict[StringOperation, Callable[[Col, str], Col]] = {
    StringOperation.EQUAL: lambda v, x: v == x,
    StringOperation.NOT_EQUAL: lambda v, x: v != x,
    StringOperation.STARTS_WITH: _starts,
    StringOperation.ENDS_WITH: _ends,
    StringOperation.CONTAINS: _contains,
    StringOperation.NOT_CONTAINS: lambda v, x: sa.not_(_contains(v, x)),
    StringOperation.IN: lambda v, x: v.in_(_csv(x)),
    StringOperation.NOT_IN: lambda v, x: v.not_in(_csv(x)),
}


def _predicate(columns: KeyColumns, predicate: Predicate) -> sa.ColumnElement[bool]:
    if isinstance(predicate, NumericPredicate):
        return _NUMERIC[predicate.operation](columns.numeric(), predicate.value)
    if isinstance(predicate, StringPredicate):
        value, wanted = columns.text(), predicate.value
        if predicate.ignore_case:
            value, wanted = sa.func.lower(value), wanted.lower()
        # A missing key never matches, NOT_* operations included.
        return sa.and_(value.is_not(None), _STRING[predicate.operation](value, wanted))
    if isinstance(predicate, BooleanPredicate):
        equal = predicate.operation is BooleanOperation.EQUAL
        value = columns.boolean()
        return (value == predicate.value) if equal else (value != predicate.value)
    assert isinstance(predicate, ComplexPredicate)
    parts = [_predicate(columns, p) for p in predicate.predicates]
    if not parts:
        return sa.true()
    return sa.and_(*parts) if predicate.operation is ComplexOperation.AND else sa.or_(*parts)


def key_condition(joins: KeyJoins, key_filter: KeyFilter) -> sa.ColumnElement[bool]:
    """The SQL condition of one key filter."""
    return _predicate(joins.columns(key_filter.key), key_filter.predicate)

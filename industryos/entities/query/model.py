"""The entity data query as typed values, parsed from the wire JSON with clear 400s.

The REST routes and the WebSocket ENTITY_DATA/ENTITY_COUNT commands both hand raw JSON
here; everything downstream works on these frozen dataclasses. The entity filter stays a
JSON object (its fields depend on its ``type``): :mod:`.filters` reads it through a table
of builders, one per filter type, so an unknown type is refused in one place.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from industryos.entities.errors import InvalidArgument
from industryos.entities.paging import SortOrder
from industryos.entities.query.keys import (
    BooleanOperation,
    ComplexOperation,
    EntityKeyType,
    NumericOperation,
    PredicateType,
    StringOperation,
    ValueType,
)

__all__ = [
    "BooleanPredicate",
    "ComplexPredicate",
    "EntityCountQuery",
    "EntityDataQuery",
    "EntityKey",
    "KeyFilter",
    "NumericPredicate",
    "Predicate",
    "QueryPageLink",
    "StringPredicate",
    "parse_count_query",
    "parse_data_query",
    "parse_keys",
]

Json = Mapping[str, Any]
E = TypeVar("E")

MAX_PAGE_SIZE = 10_000
"""A page bigger than this is refused rather than loaded into memory."""


@dataclass(frozen=True, slots=True)
class EntityKey:
    """A key and where it lives."""

    type: EntityKeyType
    key: str


@dataclass(frozen=True, slots=True)
class StringPredicate:
    """Compare a value's text."""

    operation: StringOperation
    value: str
    ignore_case: bool = False


@dataclass(frozen=True, slots=True)
class NumericPredicate:
    """Compare a value as a number."""

    operation: NumericOperation
    value: float


@dataclass(frozen=True, slots=True)
class BooleanPredicate:
    """Compare a value as a boolean."""

    operation: BooleanOperation
    value: bool


@dataclass(frozen=True, slots=True)
class ComplexPredicate:
    """Several predicates joined by AND or OR (nestable)."""

    operation: ComplexOperation
    predicates: tuple[Predicate, ...]


Predicate = StringPredicate | NumericPredicate | BooleanPredicate | ComplexPredicate


@dataclass(frozen=True, slots=True)
class KeyFilter:
    """Keep the entities whose ``key`` satisfies ``predicate``."""

    key: EntityKey
    value_type: ValueType
    predicate: Predicate


@dataclass(frozen=True, slots=True)
class QueryPageLink:
    """Paging of an entity data query; sorting by any key."""

    page_size: int = 10
    page: int = 0
    text_search: str | None = None
    sort_key: EntityKey | None = None
    direction: SortOrder = SortOrder.ASC
    dynamic: bool = False


@dataclass(frozen=True, slots=True)
class EntityCountQuery:
    """Which entities (no columns, no paging)."""

    entity_filter: Json
    key_filters: tuple[KeyFilter, ...] = ()
    key_filters_operation: ComplexOperation = ComplexOperation.AND


@dataclass(frozen=True, slots=True)
class EntityDataQuery(EntityCountQuery):
    """Which entities, which columns and which page."""

    entity_fields: tuple[EntityKey, ...] = ()
    latest_values: tuple[EntityKey, ...] = ()
    page_link: QueryPageLink = field(default_factory=QueryPageLink)


def _enum(kind: type[E], value: Any, what: str) -> E:
    try:
        return kind(value)  # type: ignore[call-arg]
    except ValueError:
        raise InvalidArgument(f"Unsupported {what}: {value}") from None


def _object(value: Any, what: str) -> Json:
    if not isinstance(value, Mapping):
        raise InvalidArgument(f"'{what}' must be an object")
    return value


def _list(value: Any, what: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise InvalidArgument(f"'{what}' must be a list")
    return value


def parse_key(raw: Any) -> EntityKey:
    """``{"type": "TIME_SERIES", "key": "temperature"}``."""
    data = _object(raw, "key")
    key = data.get("key")
    if not isinstance(key, str) or not key:
        raise InvalidArgument("Entity key must have a non-empty 'key'")
    return EntityKey(_enum(EntityKeyType, data.get("type"), "entity key type"), key)


def parse_keys(raw: Any, what: str) -> tuple[EntityKey, ...]:
    """A list of entity keys."""
    return tuple(parse_key(item) for item in _list(raw, what))


def _predicate_value(data: Json) -> Any:
    """``userValue`` wins over ``defaultValue`` (dynamic values are not resolved yet)."""
    value = data.get("value")
    if isinstance(value, Mapping):
        user = value.get("userValue")
        return user if user is not None else value.get("defaultValue")
    return value


def _string(data: Json) -> Predicate:
    value = _predicate_value(data)
    return StringPredicate(
        _enum(StringOperation, data.get("operation"), "string operation"),
        "" if value is None else str(value),
        bool(data.get("ignoreCase", False)),
    )


def _numeric(data: Json) -> Predicate:
    value = _predicate_value(data)
    if isinstance(value, bool) or value is None:
        raise InvalidArgument("Numeric predicate needs a numeric value")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise InvalidArgument(f"Numeric predicate value is not a number: {value}") from None
    return NumericPredicate(
        _enum(NumericOperation, data.get("operation"), "numeric operation"), number
    )


def _boolean(data: Json) -> Predicate:
    value = _predicate_value(data)
    if isinstance(value, str):
        value = value.strip().lower() == "true"
    return BooleanPredicate(
        _enum(BooleanOperation, data.get("operation"), "boolean operation"), bool(value)
    )


def _complex(data: Json) -> Predicate:
    parts = tuple(parse_predicate(item) for item in _list(data.get("predicates"), "predicates"))
    return ComplexPredicate(
        _enum(ComplexOperation, data.get("operation", "AND"), "complex operation"), parts
    )


_PREDICATES = {
    PredicateType.STRING: _string,
    PredicateType.NUMERIC: _numeric,
    PredicateType.BOOLEAN: _boolean,
    PredicateType.COMPLEX: _complex,
}


def parse_predicate(raw: Any) -> Predicate:
    """A key filter predicate of any type."""
    data = _object(raw, "predicate")
    kind = _enum(PredicateType, data.get("type"), "predicate type")
    return _PREDICATES[kind](data)


def parse_key_filter(raw: Any) -> KeyFilter:
    """``{"key": …, "valueType": …, "predicate": …}``."""
    data = _object(raw, "keyFilter")
    value_type = _enum(ValueType, data.get("valueType", "STRING"), "value type")
    return KeyFilter(parse_key(data.get("key")), value_type, parse_predicate(data.get("predicate")))


def _page_link(raw: Any) -> QueryPageLink:
    if raw is None:
        return QueryPageLink()
    data = _object(raw, "pageLink")
    page_size = data.get("pageSize", 10)
    page = data.get("page", 0)
    if type(page_size) is not int or not 1 <= page_size <= MAX_PAGE_SIZE:
        raise InvalidArgument(f"pageSize must be an integer in [1, {MAX_PAGE_SIZE}]")
    if type(page) is not int or page < 0:
        raise InvalidArgument("page must be a non-negative integer")
    sort_key = None
    direction = SortOrder.ASC
    sort = data.get("sortOrder")
    if sort is not None:
        sort_data = _object(sort, "sortOrder")
        sort_key = parse_key(sort_data.get("key"))
        direction = SortOrder.parse(sort_data.get("direction"))
    text = data.get("textSearch")
    return QueryPageLink(
        page_size=page_size,
        page=page,
        text_search=str(text) if text else None,
        sort_key=sort_key,
        direction=direction,
        dynamic=bool(data.get("dynamic", False)),
    )


def _filters(data: Json) -> tuple[Json, tuple[KeyFilter, ...], ComplexOperation]:
    entity_filter = _object(data.get("entityFilter"), "entityFilter")
    key_filters = tuple(parse_key_filter(f) for f in _list(data.get("keyFilters"), "keyFilters"))
    operation = _enum(
        ComplexOperation, data.get("keyFiltersOperation") or "AND", "key filters operation"
    )
    return entity_filter, key_filters, operation


def parse_count_query(raw: Any) -> EntityCountQuery:
    """``EntityCountQuery {entityFilter, keyFilters}``."""
    entity_filter, key_filters, operation = _filters(_object(raw, "query"))
    return EntityCountQuery(entity_filter, key_filters, operation)


def parse_data_query(raw: Any) -> EntityDataQuery:
    """``EntityDataQuery {entityFilter, keyFilters, entityFields, latestValues, pageLink}``."""
    data = _object(raw, "query")
    entity_filter, key_filters, operation = _filters(data)
    return EntityDataQuery(
        entity_filter,
        key_filters,
        operation,
        entity_fields=parse_keys(data.get("entityFields"), "entityFields"),
        latest_values=parse_keys(data.get("latestValues"), "latestValues"),
        page_link=_page_link(data.get("pageLink")),
    )

"""Wire constants of the entity data query (platform-api §3.9): key types, value types,
predicate operations and entity filter names, each spelled exactly as ThingsBoard does."""

from __future__ import annotations

from enum import StrEnum

from industryos.telemetry.kv import AttributeScope

__all__ = [
    "ATTRIBUTE_SCOPES",
    "BooleanOperation",
    "ComplexOperation",
    "EntityFilterType",
    "EntityKeyType",
    "NumericOperation",
    "PredicateType",
    "StringOperation",
    "ValueType",
]


class EntityKeyType(StrEnum):
    """Where a key's value lives (``EntityKeyType``)."""

    ATTRIBUTE = "ATTRIBUTE"
    CLIENT_ATTRIBUTE = "CLIENT_ATTRIBUTE"
    SHARED_ATTRIBUTE = "SHARED_ATTRIBUTE"
    SERVER_ATTRIBUTE = "SERVER_ATTRIBUTE"
    TIME_SERIES = "TIME_SERIES"
    ENTITY_FIELD = "ENTITY_FIELD"
    ALARM_FIELD = "ALARM_FIELD"
    CONSTANT = "CONSTANT"


ATTRIBUTE_SCOPES: dict[EntityKeyType, tuple[AttributeScope, ...]] = {
    EntityKeyType.CLIENT_ATTRIBUTE: (AttributeScope.CLIENT_SCOPE,),
    EntityKeyType.SHARED_ATTRIBUTE: (AttributeScope.SHARED_SCOPE,),
    EntityKeyType.SERVER_ATTRIBUTE: (AttributeScope.SERVER_SCOPE,),
    # "any scope": the first scope that has the key wins, in this order.
    EntityKeyType.ATTRIBUTE: (
        AttributeScope.SERVER_SCOPE,
        AttributeScope.SHARED_SCOPE,
        AttributeScope.CLIENT_SCOPE,
    ),
}
"""Attribute key types and the scopes they read."""


class ValueType(StrEnum):
    """How a key filter compares values (``EntityKeyValueType``)."""

    STRING = "STRING"
    NUMERIC = "NUMERIC"
    BOOLEAN = "BOOLEAN"
    DATE_TIME = "DATE_TIME"


class PredicateType(StrEnum):
    """The ``type`` discriminator of a key filter predicate."""

    STRING = "STRING"
    NUMERIC = "NUMERIC"
    BOOLEAN = "BOOLEAN"
    COMPLEX = "COMPLEX"


class StringOperation(StrEnum):
    """Operations of a STRING predicate."""

    EQUAL = "EQUAL"
    NOT_EQUAL = "NOT_EQUAL"
    STARTS_WITH = "STARTS_WITH"
    ENDS_WITH = "ENDS_WITH"
    CONTAINS = "CONTAINS"
    NOT_CONTAINS = "NOT_CONTAINS"
    IN = "IN"
    NOT_IN = "NOT_IN"


class NumericOperation(StrEnum):
    """Operations of a NUMERIC predicate."""

    EQUAL = "EQUAL"
    NOT_EQUAL = "NOT_EQUAL"
    GREATER = "GREATER"
    LESS = "LESS"
    GREATER_OR_EQUAL = "GREATER_OR_EQUAL"
    LESS_OR_EQUAL = "LESS_OR_EQUAL"


class BooleanOperation(StrEnum):
    """Operations of a BOOLEAN predicate."""

    EQUAL = "EQUAL"
    NOT_EQUAL = "NOT_EQUAL"


class ComplexOperation(StrEnum):
    """How a COMPLEX predicate (and the list of key filters) combines its parts."""

    AND = "AND"
    OR = "OR"


class EntityFilterType(StrEnum):
    """The ``type`` discriminator of an entity filter."""

    SINGLE_ENTITY = "singleEntity"
    ENTITY_LIST = "entityList"
    ENTITY_NAME = "entityName"
    ENTITY_TYPE = "entityType"
    ASSET_TYPE = "assetType"
    DEVICE_TYPE = "deviceType"
    ENTITY_VIEW_TYPE = "entityViewType"
    EDGE_TYPE = "edgeType"
    RELATIONS_QUERY = "relationsQuery"
    ASSET_SEARCH_QUERY = "assetSearchQuery"
    DEVICE_SEARCH_QUERY = "deviceSearchQuery"
    ENTITY_VIEW_SEARCH_QUERY = "entityViewSearchQuery"
    EDGE_SEARCH_QUERY = "edgeSearchQuery"
    API_USAGE_STATE = "apiUsageState"

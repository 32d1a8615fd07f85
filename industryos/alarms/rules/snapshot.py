"""Latest values of one device's rule keys, and the dynamic values rules compare against.

The snapshot is the in-memory state the device profile node keeps per device (§6.2): time
series by key, attributes by scope, entity fields, and the SERVER_SCOPE attributes of the
device's customer and tenant for dynamic thresholds (device → customer → tenant).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["Snapshot"]

Json = dict[str, Any]

_ATTRIBUTE_KINDS = {
    "CLIENT_ATTRIBUTE": "CLIENT_SCOPE",
    "SHARED_ATTRIBUTE": "SHARED_SCOPE",
    "SERVER_ATTRIBUTE": "SERVER_SCOPE",
}


@dataclass(slots=True)
class Snapshot:
    """What a device's rules can read without touching storage."""

    timeseries: dict[str, Any] = field(default_factory=dict)
    attributes: dict[str, dict[str, Any]] = field(
        default_factory=lambda: {"CLIENT_SCOPE": {}, "SHARED_SCOPE": {}, "SERVER_SCOPE": {}}
    )
    fields: dict[str, Any] = field(default_factory=dict)
    customer_attributes: dict[str, Any] = field(default_factory=dict)
    tenant_attributes: dict[str, Any] = field(default_factory=dict)

    def attribute(self, key: str) -> Any:
        """A device attribute of any scope (server, then shared, then client)."""
        for scope in ("SERVER_SCOPE", "SHARED_SCOPE", "CLIENT_SCOPE"):
            if key in self.attributes[scope]:
                return self.attributes[scope][key]
        return None

    def value(self, key_type: str, key: str) -> Any:
        """The current value of a filter key (None when unknown)."""
        if key_type == "TIME_SERIES":
            return self.timeseries.get(key)
        if key_type == "ATTRIBUTE":
            return self.attribute(key)
        if key_type in _ATTRIBUTE_KINDS:
            return self.attributes[_ATTRIBUTE_KINDS[key_type]].get(key)
        if key_type == "ENTITY_FIELD":
            return self.fields.get(key)
        return None

    def any_value(self, key: str) -> Any:
        """A key's value for ``${key}`` details: time series first, then attributes."""
        if key in self.timeseries:
            return self.timeseries[key]
        found = self.attribute(key)
        return found if found is not None else self.fields.get(key)

    def dynamic(self, raw: Json | None) -> Any:
        """Resolve a FilterPredicateValue: dynamic source (with inheritance) or default."""
        if not isinstance(raw, dict):
            return raw
        dynamic = raw.get("dynamicValue")
        if isinstance(dynamic, dict) and dynamic.get("sourceAttribute"):
            attr = dynamic["sourceAttribute"]
            inherit = bool(dynamic.get("inherit"))
            chain = {
                "CURRENT_DEVICE": (self.attribute, self._customer, self._tenant),
                "CURRENT_CUSTOMER": (self._customer, self._tenant),
                "CURRENT_TENANT": (self._tenant,),
            }.get(dynamic.get("sourceType", ""), ())
            for index, source in enumerate(chain):
                if index > 0 and not inherit:
                    break
                found = source(attr)
                if found is not None:
                    return found
        return raw.get("defaultValue")

    def _customer(self, key: str) -> Any:
        return self.customer_attributes.get(key)

    def _tenant(self, key: str) -> Any:
        return self.tenant_attributes.get(key)

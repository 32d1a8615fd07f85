"""The wire shapes of CSV bulk import: ThingsBoard's ``BulkImportRequest`` and result.

``POST /api/device/bulk_import`` and ``/api/asset/bulk_import`` take
``{"file": "<csv text>", "mapping": {"columns": [{"type": "NAME"}, {"type":
"SHARED_ATTRIBUTE", "key": "k"}, …], "delimiter": ",", "update": true, "header": true}}``
and answer ``{"created", "updated", "errors", "errorsList": ["Line 3: …"]}`` plus, our
addition, ``results``: one ``{"line", "name", "result", "error"}`` per data row.

Column types are ThingsBoard's (LwM2M, SNMP and edge columns are not supported and are
refused with the request), plus two of ours: ``CREDENTIALS_TYPE`` (ACCESS_TOKEN,
MQTT_BASIC or X509_CERTIFICATE; otherwise inferred from the credential columns present)
and ``CUSTOMER`` (a customer title of the tenant; the entity is assigned to it).
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field

from industryos.entities.fields import WireModel

__all__ = [
    "BulkImportRequest",
    "BulkImportResult",
    "ColumnMapping",
    "ColumnType",
    "RowOutcome",
    "RowResult",
]


class ColumnType(StrEnum):
    """What a CSV column holds."""

    NAME = "NAME"
    TYPE = "TYPE"
    LABEL = "LABEL"
    DESCRIPTION = "DESCRIPTION"
    SHARED_ATTRIBUTE = "SHARED_ATTRIBUTE"
    SERVER_ATTRIBUTE = "SERVER_ATTRIBUTE"
    TIMESERIES = "TIMESERIES"
    ACCESS_TOKEN = "ACCESS_TOKEN"
    X509 = "X509"
    MQTT_CLIENT_ID = "MQTT_CLIENT_ID"
    MQTT_USER_NAME = "MQTT_USER_NAME"
    MQTT_PASSWORD = "MQTT_PASSWORD"
    IS_GATEWAY = "IS_GATEWAY"
    CREDENTIALS_TYPE = "CREDENTIALS_TYPE"
    CUSTOMER = "CUSTOMER"

    @property
    def keyed(self) -> bool:
        """The column needs a ``key`` (attribute or time-series name)."""
        return self in _KEYED


_KEYED = {ColumnType.SHARED_ATTRIBUTE, ColumnType.SERVER_ATTRIBUTE, ColumnType.TIMESERIES}


class Column(WireModel):
    """One column of the mapping."""

    type: str
    key: str | None = None


class ColumnMapping(WireModel):
    """How to read the CSV."""

    columns: list[Column]
    delimiter: str = Field(",", min_length=1, max_length=1)
    update: bool = True
    header: bool = True


class BulkImportRequest(WireModel):
    """The request body."""

    file: str
    mapping: ColumnMapping


class RowOutcome(StrEnum):
    """What happened to one row."""

    CREATED = "CREATED"
    UPDATED = "UPDATED"
    ERROR = "ERROR"


class RowResult(WireModel):
    """One data row's outcome; ``line`` is the line number in the file (1-based)."""

    line: int
    name: str | None = None
    result: RowOutcome
    error: str | None = None


class BulkImportResult(WireModel):
    """Counts, ThingsBoard's ``errorsList``, and every row's outcome."""

    created: int = 0
    updated: int = 0
    errors: int = 0
    errors_list: list[str] = Field(default_factory=list)
    results: list[RowResult] = Field(default_factory=list)

    def add(self, row: RowResult) -> None:
        """Count one row's outcome."""
        self.results.append(row)
        if row.result is RowOutcome.CREATED:
            self.created += 1
        elif row.result is RowOutcome.UPDATED:
            self.updated += 1
        else:
            self.errors += 1
            self.errors_list.append(f"Line {row.line}: {row.error}")

"""CSV rows to validated drafts: everything about a row that can be checked without storage.

Each data row becomes a :class:`Draft` or an error with its line number. Checked here: a
name, the column count, the credentials (type known, fields complete, normalised as the
device service would), the gateway flag and typed values (``true``/``false`` →
boolean, integers → LONG, decimals → DOUBLE, anything else a string; empty cells are
skipped, as ThingsBoard does). Duplicate names within the file are reported on every
later occurrence.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field

import orjson

from industryos.entities.bulk_import_model import (
    BulkImportRequest,
    ColumnType,
    RowOutcome,
    RowResult,
)
from industryos.entities.credentials import normalize
from industryos.entities.errors import EntityError, InvalidArgument
from industryos.entities.models import CredentialsType, DeviceCredentials
from industryos.telemetry.errors import TelemetryError
from industryos.telemetry.kv import AttributeScope, KvEntry, kv_entry

__all__ = ["Draft", "parse_rows"]

_INT = re.compile(r"^[+-]?\d{1,18}$")
_FLOAT = re.compile(r"^[+-]?(\d+\.\d*|\.\d+|\d+)([eE][+-]?\d+)?$")
_BOOL = {"true": True, "false": False}
_CREDENTIAL_COLUMNS = {
    ColumnType.ACCESS_TOKEN,
    ColumnType.X509,
    ColumnType.MQTT_CLIENT_ID,
    ColumnType.MQTT_USER_NAME,
    ColumnType.MQTT_PASSWORD,
}
_SCOPES = {
    ColumnType.SHARED_ATTRIBUTE: AttributeScope.SHARED_SCOPE,
    ColumnType.SERVER_ATTRIBUTE: AttributeScope.SERVER_SCOPE,
}


@dataclass(slots=True)
class Draft:
    """One importable row."""

    line: int
    name: str
    type: str | None = None
    label: str | None = None
    description: str | None = None
    gateway: bool | None = None
    customer: str | None = None
    credentials: DeviceCredentials | None = None
    """Normalised credentials; None: a generated access token (or keep the current)."""
    attributes: dict[AttributeScope, list[KvEntry]] = field(default_factory=dict)
    timeseries: list[KvEntry] = field(default_factory=list)

    def additional_info(self, base: object = None) -> dict[str, object]:
        """``additionalInfo`` with the row's description and gateway flag over ``base``."""
        info: dict[str, object] = dict(base) if isinstance(base, dict) else {}
        if self.description is not None:
            info["description"] = self.description
        if self.gateway is not None:
            info["gateway"] = self.gateway
        return info


def _typed(text: str) -> object:
    lowered = text.lower()
    if lowered in _BOOL:
        return _BOOL[lowered]
    if _INT.match(text):
        return int(text)
    if _FLOAT.match(text):
        return float(text)
    return text


def _columns(request: BulkImportRequest, devices: bool) -> list[tuple[ColumnType, str | None]]:
    """The mapping checked once for the whole request (a bad mapping refuses it all)."""
    columns: list[tuple[ColumnType, str | None]] = []
    for column in request.mapping.columns:
        try:
            kind = ColumnType(column.type)
        except ValueError:
            raise InvalidArgument(f"Unsupported column type {column.type!r}") from None
        if not devices and (kind in _CREDENTIAL_COLUMNS or kind in _DEVICE_ONLY):
            raise InvalidArgument(f"Column type {kind.value} is only for devices")
        key = (column.key or "").strip() or None
        if kind.keyed and key is None:
            raise InvalidArgument(f"Column type {kind.value} needs a key")
        columns.append((kind, key))
    if sum(1 for kind, _ in columns if kind is ColumnType.NAME) != 1:
        raise InvalidArgument("The mapping needs exactly one NAME column")
    return columns


_DEVICE_ONLY = {ColumnType.IS_GATEWAY, ColumnType.CREDENTIALS_TYPE}


def _credentials(cells: dict[ColumnType, str]) -> DeviceCredentials | None:
    declared = cells.get(ColumnType.CREDENTIALS_TYPE)
    if declared:
        try:
            kind = CredentialsType(declared.strip().upper())
        except ValueError:
            raise InvalidArgument(f"Unknown credentials type {declared!r}") from None
        if kind is CredentialsType.LWM2M_CREDENTIALS:
            raise InvalidArgument("LWM2M credentials cannot be imported")
    elif cells.get(ColumnType.X509):
        kind = CredentialsType.X509_CERTIFICATE
    elif any(
        cells.get(c) for c in _CREDENTIAL_COLUMNS - {ColumnType.ACCESS_TOKEN, ColumnType.X509}
    ):
        kind = CredentialsType.MQTT_BASIC
    elif cells.get(ColumnType.ACCESS_TOKEN):
        kind = CredentialsType.ACCESS_TOKEN
    else:
        return None
    if kind is CredentialsType.ACCESS_TOKEN:
        creds = DeviceCredentials(
            credentials_type=kind, credentials_id=cells.get(ColumnType.ACCESS_TOKEN) or None
        )
    elif kind is CredentialsType.X509_CERTIFICATE:
        creds = DeviceCredentials(
            credentials_type=kind, credentials_value=cells.get(ColumnType.X509)
        )
    else:
        value = {
            "clientId": cells.get(ColumnType.MQTT_CLIENT_ID) or None,
            "userName": cells.get(ColumnType.MQTT_USER_NAME) or None,
            "password": cells.get(ColumnType.MQTT_PASSWORD) or None,
        }
        creds = DeviceCredentials(
            credentials_type=kind, credentials_value=orjson.dumps(value).decode()
        )
    return normalize(creds)


def _draft(line: int, cells: list[str], columns: list[tuple[ColumnType, str | None]]) -> Draft:
    if len(cells) != len(columns):
        raise InvalidArgument(f"Expected {len(columns)} columns, found {len(cells)}")
    plain: dict[ColumnType, str] = {}
    draft = Draft(line=line, name="")
    for (kind, key), raw in zip(columns, cells, strict=True):
        text = raw.strip()
        if kind.keyed:
            if not text:
                continue
            assert key is not None
            entry = kv_entry(key, _typed(text))
            if kind is ColumnType.TIMESERIES:
                draft.timeseries.append(entry)
            else:
                draft.attributes.setdefault(_SCOPES[kind], []).append(entry)
        else:
            plain[kind] = text
    name = plain.get(ColumnType.NAME, "")
    if not name:
        raise InvalidArgument("Name is required")
    if len(name) > 255:
        raise InvalidArgument("Name is longer than 255 characters")
    draft.name = name
    draft.type = plain.get(ColumnType.TYPE) or None
    draft.label = plain.get(ColumnType.LABEL) or None
    draft.description = plain.get(ColumnType.DESCRIPTION) or None
    draft.customer = plain.get(ColumnType.CUSTOMER) or None
    gateway = plain.get(ColumnType.IS_GATEWAY)
    if gateway:
        flag = _BOOL.get(gateway.lower())
        if flag is None:
            raise InvalidArgument(f"IS_GATEWAY must be true or false, not {gateway!r}")
        draft.gateway = flag
    draft.credentials = _credentials(plain)
    return draft


def parse_rows(request: BulkImportRequest, *, devices: bool) -> tuple[list[Draft], list[RowResult]]:
    """The valid drafts and the refused rows of a request (InvalidArgument: bad mapping)."""
    columns = _columns(request, devices)
    reader = csv.reader(io.StringIO(request.file), delimiter=request.mapping.delimiter)
    drafts: list[Draft] = []
    errors: list[RowResult] = []
    first_line: dict[str, int] = {}
    name_at = [kind for kind, _ in columns].index(ColumnType.NAME)
    for index, cells in enumerate(reader):
        line = reader.line_num
        if index == 0 and request.mapping.header:
            continue
        if not cells or all(not cell.strip() for cell in cells):
            continue
        try:
            draft = _draft(line, cells, columns)
        except (EntityError, TelemetryError) as exc:
            name = cells[name_at].strip() if len(cells) > name_at else None
            errors.append(RowResult(line=line, name=name, result=RowOutcome.ERROR, error=str(exc)))
            continue
        earlier = first_line.setdefault(draft.name, line)
        if earlier != line:
            errors.append(
                RowResult(
                    line=line,
                    name=draft.name,
                    result=RowOutcome.ERROR,
                    error=f"Duplicate name {draft.name!r} (first on line {earlier})",
                )
            )
            continue
        drafts.append(draft)
    return drafts, errors

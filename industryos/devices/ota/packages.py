"""OTA packages of a tenant: descriptions in ``ota_package``, content in a content store.

The rules are ThingsBoard's (``OtaPackageController`` / ``BaseOtaPackageService``): a
package belongs to one device profile and has a type, title and version (unique per
tenant with the title); its content is uploaded once, after which title, version, type
and profile are fixed; a URL package's URL cannot change (so an assigned package never
loses what it offers); a package that devices or profiles use cannot be deleted. Tenant
admins manage packages; customer users may read descriptions. Content is streamed to
the store (``content.py``) with its checksum computed on the way, or verified when the
caller gave one (mismatch: 400, nothing stored).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import AsyncIterator, Callable

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from industryos.devices.ota.checksums import normalize
from industryos.devices.ota.content import PackageContent
from industryos.devices.ota.errors import ChecksumMismatch
from industryos.devices.ota.model import OtaPackageInfo, SaveOtaPackageInfoRequest
from industryos.devices.ota.schema import ota_package
from industryos.devices.ota.wire import ChecksumAlgorithm, OtaPackageType
from industryos.entities.access import Caller
from industryos.entities.audit_service import AuditService
from industryos.entities.errors import InvalidArgument, NotFound
from industryos.entities.ids import EntityType, new_id, now_ms
from industryos.entities.models import ActionType, Authority
from industryos.entities.paging import PageData, PageLink
from industryos.entities.tenant_limits import TenantLimitsService
from industryos.storage import schema
from industryos.storage.database import Database
from industryos.storage.repository import Repository

__all__ = ["OtaPackages", "Upload"]

log = logging.getLogger(__name__)

PackageListener = Callable[[OtaPackageInfo], None]
_FIXED_ONCE_STORED = ("type", "title", "version", "device_profile_id")


class Upload:
    """An uploaded file as the service reads it: name, content type and its chunks."""

    def __init__(
        self, file_name: str | None, content_type: str | None, chunks: AsyncIterator[bytes]
    ) -> None:
        self.file_name = file_name
        self.content_type = content_type or "application/octet-stream"
        self.chunks = chunks


class OtaPackages:
    """Create, upload, read, list and delete packages inside the caller's tenant."""

    def __init__(
        self,
        db: Database,
        content: PackageContent,
        audit: AuditService,
        *,
        limits: TenantLimitsService | None = None,
    ) -> None:
        self._db = db
        self._limits = limits or TenantLimitsService(db)
        self.content = content
        self._audit = audit
        self._repo = Repository(
            ota_package, OtaPackageInfo, search_columns=("title",), sort_aliases={"name": "title"}
        )
        self._listeners: list[PackageListener] = []

    def on_package_changed(self, listener: PackageListener) -> None:
        """Call ``listener`` after a package's content is stored or it is deleted."""
        self._listeners.append(listener)

    # --- reads ---------------------------------------------------------------------------

    async def find(self, package_id: uuid.UUID) -> OtaPackageInfo | None:
        """A package by id without caller checks (transports act as the device)."""
        async with self._db.read() as conn:
            return await self._repo.get(conn, package_id)

    async def get(self, caller: Caller, package_id: uuid.UUID) -> OtaPackageInfo:
        """A package of the caller's tenant (tenant admins and customer users)."""
        caller.require(Authority.TENANT_ADMIN, Authority.CUSTOMER_USER)
        package = await self.find(package_id)
        if package is None:
            raise NotFound()
        caller.check_tenant(package.tenant_id)
        return package

    async def get_for_admin(self, caller: Caller, package_id: uuid.UUID) -> OtaPackageInfo:
        """A package of the caller's tenant, for its tenant admin only."""
        caller.require(Authority.TENANT_ADMIN)
        return await self.get(caller, package_id)

    async def page(
        self,
        caller: Caller,
        link: PageLink,
        *,
        profile_id: uuid.UUID | None = None,
        kind: OtaPackageType | None = None,
    ) -> PageData[OtaPackageInfo]:
        """Packages of the caller's tenant; by profile and type only those with content."""
        caller.require(Authority.TENANT_ADMIN, Authority.CUSTOMER_USER)
        where: list[sa.ColumnElement[bool]] = [ota_package.c.tenant_id == caller.tenant_id]
        if profile_id is not None:
            where.append(ota_package.c.device_profile_id == profile_id)
        if kind is not None:
            where.append(ota_package.c.type == kind.value)
            where.append(ota_package.c.has_data.is_(True))
        async with self._db.read() as conn:
            return await self._repo.page(conn, link, *where)

    # --- writes --------------------------------------------------------------------------

    async def save(self, caller: Caller, request: SaveOtaPackageInfoRequest) -> OtaPackageInfo:
        """Create (no id) or update a package description."""
        caller.require(Authority.TENANT_ADMIN)
        info = OtaPackageInfo.model_validate(request.model_dump(exclude={"uses_url"}))
        if request.uses_url and not (info.url or "").strip():
            raise InvalidArgument("Ota package URL should be specified!")
        if not request.uses_url:
            info = info.model_copy(update={"url": None})
        async with self._db.transaction() as conn:
            stored = None
            if info.id is not None:  # ownership first: another tenant's id is 403, not 400
                stored = await self._repo.get(conn, info.id)
                if stored is None:
                    raise NotFound()
                caller.check_tenant(stored.tenant_id)
            await self._check_profile(conn, caller, info.device_profile_id)
            await self._check_unique(conn, caller.tenant_id, info)
            if stored is None:
                saved = await self._insert(conn, caller, info, uses_url=request.uses_url)
                action = ActionType.ADDED
            else:
                saved = await self._update(conn, stored, info)
                action = ActionType.UPDATED
        await self._record(caller, saved, action)
        return saved

    async def upload(
        self,
        caller: Caller,
        package_id: uuid.UUID,
        algorithm: ChecksumAlgorithm,
        checksum: str | None,
        upload: Upload,
    ) -> OtaPackageInfo:
        """Store a package's content, checksummed on the way; verified when one is given."""
        package = await self.get_for_admin(caller, package_id)
        if package.has_data:
            raise InvalidArgument("Updating otaPackage data is prohibited!")
        if package.url:
            raise InvalidArgument("A package with a URL takes no content")
        assert package.tenant_id is not None
        async with self._db.read() as conn:  # a tenant already at its limit stores nothing
            await self._limits.check_ota_bytes(conn, package.tenant_id, 0)
        stored = await self.content.write(package_id, upload.chunks, algorithm)
        if checksum and normalize(checksum) != stored.checksum:
            await self.content.discard(package_id, stored)
            raise ChecksumMismatch(
                f"Wrong {algorithm.value} checksum: the uploaded file's is {stored.checksum},"
                f" not {normalize(checksum)}"
            )
        values = {
            "has_data": True,
            "file_name": upload.file_name,
            "content_type": upload.content_type,
            "checksum_algorithm": algorithm.value,
            "checksum": stored.checksum,
            "data_size": stored.size,
        }
        try:
            async with self._db.transaction() as conn:
                # Claim the package (one upload wins a race), then put the content in place
                # before the claim commits: whoever sees has_data finds the content.
                claimed = await conn.execute(
                    sa.update(ota_package)
                    .where(ota_package.c.id == package_id, ota_package.c.has_data.is_(False))
                    .values(**values)
                )
                if not claimed.rowcount:
                    raise InvalidArgument("Updating otaPackage data is prohibited!")
                await self._limits.check_ota_bytes(conn, package.tenant_id, 0)
                await self.content.commit(package_id, stored)
                saved = await self._repo.get(conn, package_id)
        except BaseException:
            await self.content.discard(package_id, stored)
            raise
        assert saved is not None
        log.debug("package %s stored: %d bytes", package_id, stored.size)
        await self._record(caller, saved, ActionType.UPDATED)
        self._notify(saved)
        return saved

    async def delete(self, caller: Caller, package_id: uuid.UUID) -> None:
        """Delete a package no device or profile uses, with its content."""
        package = await self.get_for_admin(caller, package_id)
        async with self._db.transaction() as conn:
            for table, what in ((schema.device, "devices"), (schema.device_profile, "profile")):
                used = sa.select(sa.func.count()).where(
                    sa.or_(table.c.firmware_id == package_id, table.c.software_id == package_id)
                )
                if (await conn.execute(used)).scalar_one():
                    raise InvalidArgument(
                        f"The otaPackage referenced by the {what} cannot be deleted!"
                    )
            await self._repo.delete(conn, package_id)
        await self.content.delete(package_id)
        await self._record(caller, package, ActionType.DELETED)
        self._notify(package)

    # --- helpers -------------------------------------------------------------------------

    async def _check_profile(
        self, conn: AsyncConnection, caller: Caller, profile_id: uuid.UUID | None
    ) -> None:
        if profile_id is None:
            raise InvalidArgument("OtaPackage should be assigned to device profile!")
        profile = await conn.execute(
            sa.select(schema.device_profile.c.tenant_id).where(
                schema.device_profile.c.id == profile_id
            )
        )
        owner = profile.scalar_one_or_none()
        if owner is None or owner != caller.tenant_id:
            raise InvalidArgument("OtaPackage is referencing to non-existent device profile!")

    async def _check_unique(
        self, conn: AsyncConnection, tenant_id: uuid.UUID | None, info: OtaPackageInfo
    ) -> None:
        clash = await self._repo.find_one(
            conn,
            ota_package.c.tenant_id == tenant_id,
            ota_package.c.title == info.title,
            ota_package.c.version == info.version,
        )
        if clash is not None and clash.id != info.id:
            raise InvalidArgument("OtaPackage with such title and version already exists!")

    async def _insert(
        self, conn: AsyncConnection, caller: Caller, info: OtaPackageInfo, *, uses_url: bool
    ) -> OtaPackageInfo:
        values = info.model_dump(include=set(ota_package.c.keys()))
        values.update(
            id=new_id(),
            created_time=now_ms(),
            tenant_id=caller.tenant_id,
            has_data=False,
            data_size=None,
            file_name=None,
            content_type=None,
        )
        if not uses_url:
            values.update(checksum=None, checksum_algorithm=None)
        await conn.execute(sa.insert(ota_package).values(**values))
        return self._repo.from_row(values)

    async def _update(
        self, conn: AsyncConnection, stored: OtaPackageInfo, info: OtaPackageInfo
    ) -> OtaPackageInfo:
        assert info.id is not None
        if stored.url and stored.url != info.url:  # a URL package (maybe assigned) keeps it
            raise InvalidArgument("Updating otaPackage URL is prohibited!")
        if stored.has_data:
            for field in _FIXED_ONCE_STORED:
                if getattr(stored, field) != getattr(info, field):
                    raise InvalidArgument(f"Updating otaPackage {field} is prohibited!")
        values = {"tag": info.tag, "additional_info": info.additional_info}
        if not stored.has_data:
            values.update(
                type=info.type.value,
                title=info.title,
                version=info.version,
                device_profile_id=info.device_profile_id,
                url=info.url,
            )
        await conn.execute(
            sa.update(ota_package).where(ota_package.c.id == info.id).values(**values)
        )
        saved = await self._repo.get(conn, info.id)
        assert saved is not None
        return saved

    async def _record(self, caller: Caller, package: OtaPackageInfo, action: ActionType) -> None:
        await self._audit.record(
            caller,
            action,
            entity_type=EntityType.OTA_PACKAGE,
            entity_id=package.id,
            entity_name=package.title,
        )

    def _notify(self, package: OtaPackageInfo) -> None:
        for listener in self._listeners:
            listener(package)

"""Rule chains as a tenant administrator sees them: CRUD, metadata, root, export/import.

Rules kept here (spec §3.8): a new chain has empty metadata; only ``/root`` changes the
root; the root chain cannot be deleted; metadata must name known node classes (an unknown
class fails the save or import with a message naming it); import creates non-root chains
unless it overwrites the existing root. Every new tenant gets the §5.4 root chain (tenant
hook), and :meth:`RuleChainService.ensure_root_chains` gives one to tenants created before
the rule engine existed. Listeners hear about every change, so the engine swaps chains for
new messages without a restart.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa

from industryos.entities.access import Caller
from industryos.entities.errors import InvalidArgument, NotFound
from industryos.entities.ids import EntityType
from industryos.entities.models import Authority, Tenant
from industryos.entities.paging import PageData, PageLink
from industryos.entities.tenant_limits import TenantLimitsService
from industryos.rules.default_chain import root_chain_export
from industryos.rules.errors import ChainDefinitionError
from industryos.rules.model import ChainMetadata, RuleChain, chain_id_of
from industryos.rules.nodes import node_class
from industryos.rules.schema import rule_chain
from industryos.rules.store import ChainStore
from industryos.storage import schema
from industryos.storage.database import Database

__all__ = ["ChainListener", "RuleChainService"]

ChainListener = Callable[[uuid.UUID, uuid.UUID | None], None]
"""Called with (tenant id, changed chain id) after a commit; chain id None: the root moved."""

_INPUT_NODE = "org.thingsboard.rule.engine.flow.TbRuleChainInputNode"


def _check_nodes(meta: ChainMetadata) -> None:
    for node in meta.nodes:
        node_class(node.type)


class RuleChainService:
    """Tenant-scoped rule chain operations."""

    def __init__(
        self,
        db: Database,
        store: ChainStore | None = None,
        *,
        limits: TenantLimitsService | None = None,
    ) -> None:
        self._db = db
        self._limits = limits or TenantLimitsService(db)  # maxRuleChains of the profile
        self._store = store or ChainStore()
        self._listeners: list[ChainListener] = []

    def on_changed(self, listener: ChainListener) -> None:
        """Hear about saved, deleted and re-rooted chains."""
        self._listeners.append(listener)

    def _changed(self, tenant_id: uuid.UUID, chain_id: uuid.UUID | None) -> None:
        for listener in self._listeners:
            listener(tenant_id, chain_id)

    def changed_elsewhere(self, tenant_id: uuid.UUID, chain_id: uuid.UUID | None) -> None:
        """Another cluster node changed a chain of the tenant (``None``: which one is not
        known): tell this node's listeners as for a change made here."""
        self._changed(tenant_id, chain_id)

    @staticmethod
    def _tenant(caller: Caller) -> uuid.UUID:
        caller.require(Authority.TENANT_ADMIN)
        return caller.tenant_id

    async def _existing(self, tenant_id: uuid.UUID, chain_id: uuid.UUID) -> RuleChain:
        async with self._db.read() as conn:
            chain = await self._store.get(conn, tenant_id, chain_id)
        if chain is None:
            raise NotFound()
        return chain

    # -- REST operations -----------------------------------------------------------------

    async def get(self, caller: Caller, chain_id: uuid.UUID) -> RuleChain:
        """One chain of the caller's tenant."""
        return await self._existing(self._tenant(caller), chain_id)

    async def save(self, caller: Caller, chain: RuleChain) -> RuleChain:
        """Create (empty metadata, not root unless the tenant has none) or update a header."""
        tenant_id = self._tenant(caller)
        chain.tenant_id = tenant_id
        async with self._db.transaction() as conn:
            if chain.id is not None and await self._store.get(conn, tenant_id, chain.id) is None:
                raise NotFound()
            if chain.id is None:
                await self._limits.check_create(conn, tenant_id, EntityType.RULE_CHAIN)
                chain.root = (
                    chain.type == "CORE" and await self._store.root(conn, tenant_id) is None
                )
            saved = await self._store.save(conn, chain)
        assert saved.id is not None
        self._changed(tenant_id, saved.id)
        return saved

    async def delete(self, caller: Caller, chain_id: uuid.UUID) -> None:
        """Delete a chain; the root chain cannot be deleted."""
        tenant_id = self._tenant(caller)
        chain = await self._existing(tenant_id, chain_id)
        if chain.root:
            raise InvalidArgument("Deletion of Root Tenant Rule Chain is prohibited!")
        async with self._db.transaction() as conn:
            await self._store.delete(conn, chain_id)
        self._changed(tenant_id, chain_id)

    async def set_root(self, caller: Caller, chain_id: uuid.UUID) -> RuleChain:
        """Make a CORE chain the tenant's root."""
        tenant_id = self._tenant(caller)
        chain = await self._existing(tenant_id, chain_id)
        if chain.type != "CORE":
            raise InvalidArgument("Only a CORE rule chain can be the root")
        async with self._db.transaction() as conn:
            await self._store.set_root(conn, tenant_id, chain_id)
        chain.root = True
        self._changed(tenant_id, None)
        return chain

    async def page(
        self, caller: Caller, link: PageLink, chain_type: str | None = None
    ) -> PageData[RuleChain]:
        """The tenant's chains."""
        tenant_id = self._tenant(caller)
        async with self._db.read() as conn:
            return await self._store.page(conn, tenant_id, link, chain_type)

    async def get_metadata(self, caller: Caller, chain_id: uuid.UUID) -> ChainMetadata:
        """Nodes and connections of a chain."""
        chain = await self._existing(self._tenant(caller), chain_id)
        async with self._db.read() as conn:
            return await self._store.metadata(conn, chain)

    async def save_metadata(self, caller: Caller, meta: ChainMetadata) -> ChainMetadata:
        """Replace nodes and connections; returns them with node ids assigned."""
        tenant_id = self._tenant(caller)
        if meta.rule_chain_id is None:
            raise InvalidArgument("ruleChainId should be specified!")
        _check_nodes(meta)
        async with self._db.transaction() as conn:
            chain = await self._store.get(conn, tenant_id, meta.rule_chain_id)
            if chain is None:
                raise NotFound()
            saved = await self._store.save_metadata(conn, chain, meta)
        self._changed(tenant_id, chain.id)
        return saved

    async def export(self, caller: Caller, limit: int) -> dict[str, Any]:
        """``RuleChainData``: up to ``limit`` chains with their metadata."""
        tenant_id = self._tenant(caller)
        chains: list[dict[str, Any]] = []
        metadata: list[dict[str, Any]] = []
        async with self._db.read() as conn:
            page = await self._store.page(conn, tenant_id, PageLink(page_size=max(1, limit)), None)
            for chain in page.data:
                chains.append(chain.to_wire())
                metadata.append((await self._store.metadata(conn, chain)).to_wire())
        return {"ruleChains": chains, "metadata": metadata}

    async def import_chains(
        self, caller: Caller, data: Any, overwrite: bool = False
    ) -> list[dict[str, Any]]:
        """Import ``RuleChainData``; nested-chain references follow the new ids."""
        tenant_id = self._tenant(caller)
        if not isinstance(data, dict) or not isinstance(data.get("ruleChains"), list):
            raise ChainDefinitionError("ruleChains should be specified!")
        metas = {}
        for raw in data.get("metadata") or []:
            meta = ChainMetadata.from_wire(raw)
            _check_nodes(meta)
            metas[meta.rule_chain_id] = meta
        results = []
        id_map: dict[uuid.UUID, uuid.UUID] = {}
        pending: list[tuple[RuleChain, ChainMetadata | None, bool]] = []
        async with self._db.transaction() as conn:
            for raw in data["ruleChains"]:
                chain = RuleChain.from_wire(raw)
                old_id = chain.id
                existing = await self._by_name(conn, tenant_id, chain.name) if overwrite else None
                chain.tenant_id = tenant_id
                if existing is None:
                    await self._limits.check_create(conn, tenant_id, EntityType.RULE_CHAIN)
                chain.id = existing.id if existing is not None else None
                chain.version = None
                chain.root = existing.root if existing is not None else False
                saved = await self._store.save(conn, chain)
                assert saved.id is not None
                if old_id is not None:
                    id_map[old_id] = saved.id
                pending.append((saved, metas.get(old_id), existing is not None))
            for chain, chain_meta, updated in pending:
                if chain_meta is not None:
                    _remap_chain_refs(chain_meta, id_map)
                    chain_meta.rule_chain_id = chain.id
                    for node in chain_meta.nodes:
                        node.id = None
                    await self._store.save_metadata(conn, chain, chain_meta)
                results.append(
                    {
                        "ruleChainId": chain.to_wire()["id"],
                        "ruleChainName": chain.name,
                        "updated": updated,
                        "error": None,
                    }
                )
        for chain, _, _ in pending:
            self._changed(tenant_id, chain.id)
        return results

    async def _by_name(self, conn: Any, tenant_id: uuid.UUID, name: str) -> RuleChain | None:
        page = await self._store.page(conn, tenant_id, PageLink(page_size=1000), None)
        return next((c for c in page.data if c.name == name), None)

    # -- tenants' root chains -----------------------------------------------------------

    async def create_root_chain(self, tenant_id: uuid.UUID) -> RuleChain:
        """Store the §5.4 default root chain for a tenant (and make it the root)."""
        export = root_chain_export()
        chain = RuleChain.from_wire(export["ruleChain"])
        chain.tenant_id = tenant_id
        chain.root = True
        meta = ChainMetadata.from_wire(export["metadata"])
        _check_nodes(meta)
        async with self._db.transaction() as conn:
            await conn.execute(
                sa.update(rule_chain).where(rule_chain.c.tenant_id == tenant_id).values(root=False)
            )
            saved = await self._store.save(conn, chain)
            await self._store.save_metadata(conn, saved, meta)
        self._changed(tenant_id, None)
        return saved

    async def on_tenant_created(self, tenant: Tenant) -> None:
        """Tenant hook: every new tenant starts with the default root chain."""
        assert tenant.id is not None
        await self.create_root_chain(tenant.id)

    async def on_tenant_deleted(self, tenant: Tenant) -> None:
        """Tenant hook: a deleted tenant's chains go with it."""
        assert tenant.id is not None
        async with self._db.transaction() as conn:
            for chain_id in await self._store.all_ids(conn, tenant.id):
                await self._store.delete(conn, chain_id)
        self._changed(tenant.id, None)

    async def ensure_root_chains(self) -> int:
        """Give a root chain to every tenant that has none (tenants older than the engine)."""
        async with self._db.read() as conn:
            tenant_ids = list((await conn.execute(sa.select(schema.tenant.c.id))).scalars())
            missing = await self._store.tenants_without_root(conn, tenant_ids)
        for tenant_id in missing:
            await self.create_root_chain(tenant_id)
        return len(missing)

    # -- what the engine reads ------------------------------------------------------------

    async def root_id(self, tenant_id: uuid.UUID) -> uuid.UUID | None:
        """The tenant's root chain id."""
        async with self._db.read() as conn:
            chain = await self._store.root(conn, tenant_id)
        return None if chain is None else chain.id

    async def load(
        self, tenant_id: uuid.UUID, chain_id: uuid.UUID
    ) -> tuple[RuleChain, ChainMetadata] | None:
        """A chain and its metadata, for compiling."""
        async with self._db.read() as conn:
            chain = await self._store.get(conn, tenant_id, chain_id)
            if chain is None:
                return None
            return chain, await self._store.metadata(conn, chain)


def _remap_chain_refs(meta: ChainMetadata, id_map: dict[uuid.UUID, uuid.UUID]) -> None:
    for node in meta.nodes:
        if node.type != _INPUT_NODE:
            continue
        old = chain_id_of(node.configuration.get("ruleChainId"))
        if old is not None and old in id_map:
            node.configuration = {**node.configuration, "ruleChainId": str(id_map[old])}

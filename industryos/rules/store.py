"""SQL for rule chains: headers, their nodes, and which chain is a tenant's root.

Every query is scoped by tenant. Saving metadata replaces the node list in one
transaction: nodes that come back with an id of this chain keep it, the others get new
ids, and rows no longer listed are deleted.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from industryos.entities.errors import NotFound, VersionConflict
from industryos.entities.ids import new_id, now_ms
from industryos.entities.paging import PageData, PageLink, SortOrder
from industryos.rules.model import ChainMetadata, Connection, NodeDef, RuleChain
from industryos.rules.schema import rule_chain, rule_node

__all__ = ["ChainStore"]

_SORTABLE = {"createdTime": "created_time", "name": "name", "root": "root", "type": "type"}


def _chain(row: sa.RowMapping) -> RuleChain:
    return RuleChain(
        id=row["id"],
        created_time=row["created_time"],
        tenant_id=row["tenant_id"],
        name=row["name"],
        type=row["type"],
        root=row["root"],
        debug_mode=row["debug_mode"],
        first_rule_node_id=row["first_rule_node_id"],
        configuration=row["configuration"],
        additional_info=row["additional_info"],
        external_id=row["external_id"],
        version=row["version"],
    )


def _node(row: sa.RowMapping) -> NodeDef:
    return NodeDef(
        id=row["id"],
        created_time=row["created_time"],
        type=row["type"],
        name=row["name"],
        debug_mode=row["debug_mode"],
        debug_settings=row["debug_settings"],
        singleton_mode=row["singleton_mode"],
        queue_name=row["queue_name"],
        configuration_version=row["configuration_version"],
        configuration=row["configuration"] or {},
        additional_info=row["additional_info"],
        external_id=row["external_id"],
    )


class ChainStore:
    """Reads and writes rule chains on a connection the service opened."""

    async def get(
        self, conn: AsyncConnection, tenant_id: uuid.UUID, chain_id: uuid.UUID
    ) -> RuleChain | None:
        """A chain of the tenant."""
        query = sa.select(rule_chain).where(
            rule_chain.c.id == chain_id, rule_chain.c.tenant_id == tenant_id
        )
        row = (await conn.execute(query)).mappings().first()
        return None if row is None else _chain(row)

    async def root(self, conn: AsyncConnection, tenant_id: uuid.UUID) -> RuleChain | None:
        """The tenant's root chain (CORE)."""
        query = sa.select(rule_chain).where(
            rule_chain.c.tenant_id == tenant_id,
            rule_chain.c.root.is_(True),
            rule_chain.c.type == "CORE",
        )
        row = (await conn.execute(query.limit(1))).mappings().first()
        return None if row is None else _chain(row)

    async def tenants_without_root(
        self, conn: AsyncConnection, tenant_ids: Sequence[uuid.UUID]
    ) -> list[uuid.UUID]:
        """Which of ``tenant_ids`` have no root chain."""
        query = sa.select(rule_chain.c.tenant_id).where(
            rule_chain.c.root.is_(True), rule_chain.c.type == "CORE"
        )
        have = set((await conn.execute(query)).scalars())
        return [t for t in tenant_ids if t not in have]

    async def page(
        self, conn: AsyncConnection, tenant_id: uuid.UUID, link: PageLink, chain_type: str | None
    ) -> PageData[RuleChain]:
        """A page of the tenant's chains (``textSearch`` on name)."""
        where = [rule_chain.c.tenant_id == tenant_id]
        if chain_type:
            where.append(rule_chain.c.type == chain_type)
        if link.text_search:
            where.append(sa.func.lower(rule_chain.c.name).contains(link.text_search.lower()))
        total = (
            await conn.execute(sa.select(sa.func.count()).select_from(rule_chain).where(*where))
        ).scalar_one()
        column = rule_chain.c[_SORTABLE.get(link.sort_property or "", "created_time")]
        order = column.desc() if link.sort_order is SortOrder.DESC else column.asc()
        query = (
            sa.select(rule_chain)
            .where(*where)
            .order_by(order, rule_chain.c.id)
            .offset(link.offset)
            .limit(link.page_size)
        )
        rows = (await conn.execute(query)).mappings().all()
        return PageData([_chain(r) for r in rows], total, link.page_size, link.page)

    async def all_ids(self, conn: AsyncConnection, tenant_id: uuid.UUID) -> list[uuid.UUID]:
        """Every chain id of the tenant."""
        query = sa.select(rule_chain.c.id).where(rule_chain.c.tenant_id == tenant_id)
        return list((await conn.execute(query)).scalars())

    async def save(self, conn: AsyncConnection, chain: RuleChain) -> RuleChain:
        """Insert (no id or unknown id) or update a header, with optimistic locking."""
        assert chain.tenant_id is not None
        existing = None if chain.id is None else await self.get(conn, chain.tenant_id, chain.id)
        values: dict[str, Any] = {
            "name": chain.name,
            "type": chain.type,
            "debug_mode": chain.debug_mode,
            "configuration": chain.configuration,
            "additional_info": chain.additional_info,
            "external_id": chain.external_id,
        }
        if existing is None:
            chain.id = chain.id or new_id()
            chain.created_time = now_ms()
            chain.version = 1
            await conn.execute(
                sa.insert(rule_chain).values(
                    id=chain.id,
                    created_time=chain.created_time,
                    tenant_id=chain.tenant_id,
                    root=chain.root,
                    first_rule_node_id=None,
                    connections=[],
                    version=1,
                    **values,
                )
            )
            chain.first_rule_node_id = None
            return chain
        if chain.version is not None and chain.version != existing.version:
            raise VersionConflict(
                "The rule chain was already changed by someone else (version conflict)"
            )
        version = (existing.version or 0) + 1
        await conn.execute(
            sa.update(rule_chain)
            .where(rule_chain.c.id == existing.id)
            .values(version=version, **values)
        )
        chain.version = version
        chain.created_time = existing.created_time
        chain.root = existing.root
        chain.first_rule_node_id = existing.first_rule_node_id
        return chain

    async def set_root(
        self, conn: AsyncConnection, tenant_id: uuid.UUID, chain_id: uuid.UUID
    ) -> None:
        """Make ``chain_id`` the root; the previous root is un-flagged."""
        await conn.execute(
            sa.update(rule_chain)
            .where(rule_chain.c.tenant_id == tenant_id, rule_chain.c.root.is_(True))
            .values(root=False)
        )
        await conn.execute(
            sa.update(rule_chain).where(rule_chain.c.id == chain_id).values(root=True)
        )

    async def delete(self, conn: AsyncConnection, chain_id: uuid.UUID) -> None:
        """Delete a chain and its nodes."""
        await conn.execute(sa.delete(rule_node).where(rule_node.c.rule_chain_id == chain_id))
        await conn.execute(sa.delete(rule_chain).where(rule_chain.c.id == chain_id))

    async def metadata(self, conn: AsyncConnection, chain: RuleChain) -> ChainMetadata:
        """Nodes (in index order) and connections of a chain."""
        row = (
            await conn.execute(
                sa.select(
                    rule_chain.c.connections,
                    rule_chain.c.rule_chain_connections,
                    rule_chain.c.notes,
                ).where(rule_chain.c.id == chain.id)
            )
        ).first()
        if row is None:
            raise NotFound()
        nodes_rows = (
            (
                await conn.execute(
                    sa.select(rule_node)
                    .where(rule_node.c.rule_chain_id == chain.id)
                    .order_by(rule_node.c.idx)
                )
            )
            .mappings()
            .all()
        )
        nodes = [_node(r) for r in nodes_rows]
        first = next((i for i, n in enumerate(nodes) if n.id == chain.first_rule_node_id), None)
        return ChainMetadata(
            nodes=nodes,
            connections=[Connection(c[0], c[1], c[2]) for c in row[0] or []],
            first_node_index=first,
            rule_chain_connections=row[1],
            notes=row[2],
            rule_chain_id=chain.id,
            version=chain.version,
        )

    async def save_metadata(
        self, conn: AsyncConnection, chain: RuleChain, meta: ChainMetadata
    ) -> ChainMetadata:
        """Replace the chain's nodes and connections; ids kept where they belong here."""
        old = {
            r[0]: r[1]
            for r in await conn.execute(
                sa.select(rule_node.c.id, rule_node.c.created_time).where(
                    rule_node.c.rule_chain_id == chain.id
                )
            )
        }
        now = now_ms()
        kept: set[uuid.UUID] = set()
        await conn.execute(sa.delete(rule_node).where(rule_node.c.rule_chain_id == chain.id))
        rows = []
        for index, node in enumerate(meta.nodes):
            if node.id is None or node.id not in old or node.id in kept:
                node.id = new_id()
                node.created_time = now
            else:
                node.created_time = old[node.id]
            kept.add(node.id)
            rows.append(
                {
                    "id": node.id,
                    "created_time": node.created_time,
                    "rule_chain_id": chain.id,
                    "idx": index,
                    "type": node.type,
                    "name": node.name,
                    "debug_mode": node.debug_mode,
                    "debug_settings": node.debug_settings,
                    "singleton_mode": node.singleton_mode,
                    "queue_name": node.queue_name,
                    "configuration_version": node.configuration_version,
                    "configuration": node.configuration,
                    "additional_info": node.additional_info,
                    "external_id": node.external_id,
                }
            )
        if rows:
            await conn.execute(sa.insert(rule_node), rows)
        first_id = None if meta.first_node_index is None else meta.nodes[meta.first_node_index].id
        version = (chain.version or 0) + 1
        await conn.execute(
            sa.update(rule_chain)
            .where(rule_chain.c.id == chain.id)
            .values(
                first_rule_node_id=first_id,
                connections=[[c.from_index, c.to_index, c.type] for c in meta.connections],
                rule_chain_connections=meta.rule_chain_connections,
                notes=meta.notes,
                version=version,
            )
        )
        chain.first_rule_node_id = first_id
        chain.version = version
        meta.rule_chain_id = chain.id
        meta.version = version
        return meta

"""Rule chain REST (spec platform-api §3.8), node descriptors, and rule-engine statistics.

Statistics paths (IndustryOS additions, ThingsBoard has no REST for them):

* ``GET /api/ruleChain/{id}/stats`` (tenant admin): per node ``processed``, ``failed``,
  ``meanTimeMs`` and ``scriptDisabledReason``;
* ``GET /api/ruleEngine/queues/stats`` (sysadmin): per queue successful/failed/timed-out/
  retried counts, in-flight messages, ``lag`` (records not yet acknowledged) and p99 time
  in chain; on ``Main`` also the ingest gate (``ingestGateOpen``, ``ingestGateClosings``:
  how often device uplinks had to wait for the engine, ``ingestWaiting``: how many wait
  now), when ``ingest_max_lag`` is on (the same figures are in ``GET /metrics``, see
  :mod:`industryos.api.routes.metrics`). On a node of several workers, the worker asked
  adds up every worker's (``workers/node_metrics.py``).

The :class:`RuleChainApi` is set on ``app.state`` by whoever composes the app.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, FastAPI, Query, Request

from industryos.api.deps import CurrentCaller, Page
from industryos.entities.errors import InvalidArgument, NotFound
from industryos.entities.models import Authority
from industryos.rules.components import component, components
from industryos.rules.engine import RuleEngine
from industryos.rules.model import ChainMetadata, RuleChain
from industryos.rules.nodes import NODE_CLASSES
from industryos.rules.service import RuleChainService
from industryos.rules.stats import merge_queue_stats
from industryos.rules.testing import run_test_script

__all__ = ["STATE_ATTRIBUTE", "RuleChainApi", "install", "router"]

STATE_ATTRIBUTE = "rule_chains"
"""The ``app.state`` attribute holding the :class:`RuleChainApi`."""

router = APIRouter(tags=["rule-chain"])
Json = dict[str, Any]


@dataclass(frozen=True, slots=True)
class RuleChainApi:
    """What these routes need: the chain service and the running engine."""

    chains: RuleChainService
    engine: RuleEngine
    other_queue_stats: Callable[[], Awaitable[list[list[dict[str, Any]]]]] | None = None
    """The other workers' queue stats, on a node of several workers."""

    async def queue_stats(self) -> list[dict[str, Any]]:
        """The node's queue stats: this worker's, plus the other workers' when it has some."""
        mine = self.engine.queue_stats()
        if self.other_queue_stats is None:
            return mine
        return merge_queue_stats([mine, *await self.other_queue_stats()])


def install(app: FastAPI, api: RuleChainApi) -> None:
    """Mount the routes on ``app`` and hand them ``api``."""
    setattr(app.state, STATE_ATTRIBUTE, api)
    app.include_router(router)


def _api(request: Request) -> RuleChainApi:
    api: RuleChainApi = getattr(request.app.state, STATE_ATTRIBUTE)
    return api


Api = Annotated[RuleChainApi, Depends(_api)]
JsonBody = Annotated[Any, Body()]


@router.get("/api/ruleChain/{chain_id}")
async def get_chain(chain_id: uuid.UUID, caller: CurrentCaller, api: Api) -> Json:
    """One chain header."""
    return (await api.chains.get(caller, chain_id)).to_wire()


@router.post("/api/ruleChain")
async def save_chain(body: JsonBody, caller: CurrentCaller, api: Api) -> Json:
    """Create or update a chain header."""
    if not isinstance(body, dict):
        raise InvalidArgument("Rule chain must be a JSON object")
    return (await api.chains.save(caller, RuleChain.from_wire(body))).to_wire()


@router.delete("/api/ruleChain/{chain_id}")
async def delete_chain(chain_id: uuid.UUID, caller: CurrentCaller, api: Api) -> None:
    """Delete a chain (not the root)."""
    await api.chains.delete(caller, chain_id)


@router.post("/api/ruleChain/{chain_id}/root")
async def set_root(chain_id: uuid.UUID, caller: CurrentCaller, api: Api) -> Json:
    """Make a chain the tenant's root."""
    return (await api.chains.set_root(caller, chain_id)).to_wire()


@router.get("/api/ruleChain/{chain_id}/metadata")
async def get_metadata(chain_id: uuid.UUID, caller: CurrentCaller, api: Api) -> Json:
    """Nodes and connections."""
    return (await api.chains.get_metadata(caller, chain_id)).to_wire()


@router.post("/api/ruleChain/metadata")
async def save_metadata(
    body: JsonBody,
    caller: CurrentCaller,
    api: Api,
    update_related: Annotated[bool, Query(alias="updateRelated")] = True,
) -> Json:
    """Replace nodes and connections; node ids assigned, indices kept."""
    return (await api.chains.save_metadata(caller, ChainMetadata.from_wire(body))).to_wire()


@router.get("/api/ruleChains")
async def list_chains(
    caller: CurrentCaller,
    api: Api,
    link: Page,
    chain_type: Annotated[str | None, Query(alias="type")] = None,
) -> Json:
    """A page of the tenant's chains."""
    page = await api.chains.page(caller, link, chain_type)
    return page.to_wire(RuleChain.to_wire)


@router.get("/api/ruleChains/export")
async def export_chains(
    caller: CurrentCaller, api: Api, limit: Annotated[int, Query(ge=1)] = 100
) -> Json:
    """``RuleChainData`` of up to ``limit`` chains."""
    return await api.chains.export(caller, limit)


@router.post("/api/ruleChains/import")
async def import_chains(
    body: JsonBody,
    caller: CurrentCaller,
    api: Api,
    overwrite: Annotated[bool, Query()] = False,
) -> list[Json]:
    """Import ``RuleChainData``; unknown node classes fail the whole import."""
    return await api.chains.import_chains(caller, body, overwrite)


@router.post("/api/ruleChain/testScript")
async def script_test(
    body: JsonBody,
    caller: CurrentCaller,
    api: Api,
    script_lang: Annotated[str, Query(alias="scriptLang")] = "JS",
) -> Json:
    """Run a script once in the tenant's isolate: ``{output, error}``."""
    caller.require(Authority.TENANT_ADMIN)
    return await run_test_script(api.engine.scripts, caller.tenant_id, body)


@router.get("/api/components")
async def list_components(
    caller: CurrentCaller,
    component_types: Annotated[str | None, Query(alias="componentTypes")] = None,
    rule_chain_type: Annotated[str, Query(alias="ruleChainType")] = "CORE",
) -> list[Json]:
    """Descriptors of the node families asked for (all by default)."""
    types = None if not component_types else {t.strip() for t in component_types.split(",")}
    return components(types, rule_chain_type)


@router.get("/api/components/{component_type}")
async def list_components_of(
    component_type: str,
    caller: CurrentCaller,
    rule_chain_type: Annotated[str, Query(alias="ruleChainType")] = "CORE",
) -> list[Json]:
    """Descriptors of one node family."""
    return components({component_type}, rule_chain_type)


@router.get("/api/component/{clazz}")
async def get_component(clazz: str, caller: CurrentCaller) -> Json:
    """One node class's descriptor."""
    node = NODE_CLASSES.get(clazz)
    if node is None:
        raise NotFound()
    return component(node)


@router.get("/api/ruleChain/{chain_id}/stats")
async def chain_stats(chain_id: uuid.UUID, caller: CurrentCaller, api: Api) -> list[Json]:
    """Per node counters of a chain of the caller's tenant."""
    chain = await api.chains.get(caller, chain_id)
    assert chain.id is not None
    return await api.engine.chain_stats(caller.tenant_id, chain.id)


@router.get("/api/ruleEngine/queues/stats")
async def queue_stats(caller: CurrentCaller, api: Api) -> list[Json]:
    """Per queue counters and lag (system-wide, so sysadmin only)."""
    caller.require(Authority.SYS_ADMIN)
    return await api.queue_stats()

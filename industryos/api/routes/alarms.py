"""Alarm REST (spec platform-api §3.6): CRUD, ack/clear/assign, lists v1 and v2, comments."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Body, Query, Response

from industryos.alarms.enums import AlarmSearchStatus, AlarmSeverity, AlarmStatus
from industryos.alarms.model import Alarm, alarm_from_wire
from industryos.alarms.queries import AlarmFilter
from industryos.alarms.services import Alarms
from industryos.api.context import ApiContext
from industryos.api.deps import Context, CurrentCaller, Page, TimePage
from industryos.api.responses import JsonResponse
from industryos.entities.access import Caller
from industryos.entities.errors import InvalidArgument, NotFound
from industryos.entities.ids import EntityType
from industryos.entities.paging import PageData

router = APIRouter(prefix="/api", tags=["alarm"])

Json = dict[str, Any]


def _alarms(context: ApiContext) -> Alarms:
    if context.alarms is None:
        raise NotFound("Alarms are not available on this node")
    return context.alarms


def _enum(enum: Any, value: str | None, name: str) -> Any:
    if value is None or value == "":
        return None
    try:
        return enum(value.upper())
    except ValueError:
        raise InvalidArgument(f"Invalid {name}: {value}") from None


def _enums(enum: Any, value: str | None, name: str) -> list[Any]:
    if not value:
        return []
    return [_enum(enum, v.strip(), name) for v in value.split(",") if v.strip()]


def _entity(entity_type: str, entity_id: uuid.UUID) -> tuple[EntityType, uuid.UUID]:
    return _enum(EntityType, entity_type, "entity type"), entity_id


async def _info(context: ApiContext, alarm: Alarm) -> Json:
    return (await _alarms(context).queries.infos([alarm]))[0]


async def _infos_page(context: ApiContext, page: PageData[Alarm]) -> Json:
    infos = await _alarms(context).queries.infos(page.data)
    return {**page.to_wire(lambda a: a), "data": infos}


@router.get("/alarm/types")
async def alarm_types(caller: CurrentCaller, context: Context, link: Page) -> Json:
    """Distinct alarm types of the tenant, as a page of ``{type}``."""
    page = await _alarms(context).queries.types(caller, link)
    return page.to_wire(lambda t: {"type": t})


@router.get("/alarm/highestSeverity/{entity_type}/{entity_id}")
async def highest_severity(
    entity_type: str,
    entity_id: uuid.UUID,
    caller: CurrentCaller,
    context: Context,
    search_status: Annotated[str | None, Query(alias="searchStatus")] = None,
    status: Annotated[str | None, Query()] = None,
) -> Response:
    """The most severe severity among the entity's alarms; empty body when none."""
    flt = AlarmFilter(
        search_statuses=_enums(AlarmSearchStatus, search_status, "searchStatus"),
        status=_enum(AlarmStatus, status, "status"),
    )
    found = await _alarms(context).queries.highest_severity(
        caller, _entity(entity_type, entity_id), flt
    )
    if found is None:
        return Response(status_code=200)
    return JsonResponse(found.value)


@router.get("/alarm/info/{alarm_id}")
async def get_alarm_info(alarm_id: uuid.UUID, caller: CurrentCaller, context: Context) -> Json:
    """One alarm with originator and assignee details."""
    return await _info(context, await _alarms(context).service.get(caller, alarm_id))


@router.get("/alarm/{alarm_id}/comment")
async def alarm_comments(
    alarm_id: uuid.UUID, caller: CurrentCaller, context: Context, link: Page
) -> Json:
    """A page of the alarm's comments."""
    page = await _alarms(context).comments.page(caller, alarm_id, link)
    return page.to_wire(lambda c: c)


@router.post("/alarm/{alarm_id}/comment")
async def save_alarm_comment(
    alarm_id: uuid.UUID, body: Annotated[Json, Body()], caller: CurrentCaller, context: Context
) -> Json:
    """Add (or edit one's own) comment."""
    return (await _alarms(context).comments.save(caller, alarm_id, body)).to_wire()


@router.delete("/alarm/{alarm_id}/comment/{comment_id}")
async def delete_alarm_comment(
    alarm_id: uuid.UUID, comment_id: uuid.UUID, caller: CurrentCaller, context: Context
) -> None:
    """Delete one's own comment."""
    await _alarms(context).comments.delete(caller, alarm_id, comment_id)


@router.get("/alarm/{alarm_id}")
async def get_alarm(alarm_id: uuid.UUID, caller: CurrentCaller, context: Context) -> Json:
    """One alarm."""
    return (await _alarms(context).service.get(caller, alarm_id)).to_wire()


@router.post("/alarm")
async def save_alarm(
    body: Annotated[Json, Body()], caller: CurrentCaller, context: Context
) -> Json:
    """Create or update an alarm (an active one of the same originator and type is updated)."""
    alarm_id, alarm = alarm_from_wire(body, caller.tenant_id)
    return (await _alarms(context).service.save(caller, alarm_id, alarm)).to_wire()


@router.delete("/alarm/{alarm_id}")
async def delete_alarm(alarm_id: uuid.UUID, caller: CurrentCaller, context: Context) -> bool:
    """Delete an alarm."""
    await _alarms(context).service.delete(caller, alarm_id)
    return True


@router.post("/alarm/{alarm_id}/ack")
async def ack_alarm(alarm_id: uuid.UUID, caller: CurrentCaller, context: Context) -> Json:
    """Acknowledge an alarm."""
    return await _info(context, await _alarms(context).service.ack(caller, alarm_id))


@router.post("/alarm/{alarm_id}/clear")
async def clear_alarm(alarm_id: uuid.UUID, caller: CurrentCaller, context: Context) -> Json:
    """Clear an alarm."""
    return await _info(context, await _alarms(context).service.clear(caller, alarm_id))


@router.post("/alarm/{alarm_id}/assign/{assignee_id}")
async def assign_alarm(
    alarm_id: uuid.UUID, assignee_id: uuid.UUID, caller: CurrentCaller, context: Context
) -> Json:
    """Assign an alarm to a user."""
    return await _info(
        context, await _alarms(context).service.assign(caller, alarm_id, assignee_id)
    )


@router.delete("/alarm/{alarm_id}/assign")
async def unassign_alarm(alarm_id: uuid.UUID, caller: CurrentCaller, context: Context) -> Json:
    """Remove the assignee of an alarm."""
    return await _info(context, await _alarms(context).service.unassign(caller, alarm_id))


def _v1_filter(
    search_status: str | None, status: str | None, assignee_id: uuid.UUID | None
) -> AlarmFilter:
    return AlarmFilter(
        search_statuses=_enums(AlarmSearchStatus, search_status, "searchStatus"),
        status=_enum(AlarmStatus, status, "status"),
        assignee_id=assignee_id,
    )


def _v2_filter(
    statuses: str | None, severities: str | None, types: str | None, assignee: uuid.UUID | None
) -> AlarmFilter:
    return AlarmFilter(
        search_statuses=_enums(AlarmSearchStatus, statuses, "statusList"),
        severities=_enums(AlarmSeverity, severities, "severityList"),
        types=[t.strip() for t in (types or "").split(",") if t.strip()],
        assignee_id=assignee,
    )


SearchStatus = Annotated[str | None, Query(alias="searchStatus")]
Status = Annotated[str | None, Query()]
Assignee = Annotated[uuid.UUID | None, Query(alias="assigneeId")]
StatusList = Annotated[str | None, Query(alias="statusList")]
SeverityList = Annotated[str | None, Query(alias="severityList")]
TypeList = Annotated[str | None, Query(alias="typeList")]


async def _page(
    caller: Caller,
    context: ApiContext,
    link: Any,
    flt: AlarmFilter,
    entity: tuple[EntityType, uuid.UUID] | None,
) -> Json:
    page = await _alarms(context).queries.page(caller, link, flt, entity)
    return await _infos_page(context, page)


@router.get("/alarm/{entity_type}/{entity_id}")
async def entity_alarms(
    entity_type: str,
    entity_id: uuid.UUID,
    caller: CurrentCaller,
    context: Context,
    link: TimePage,
    search_status: SearchStatus = None,
    status: Status = None,
    assignee_id: Assignee = None,
) -> Json:
    """Alarms of an entity, including those propagated to it."""
    flt = _v1_filter(search_status, status, assignee_id)
    return await _page(caller, context, link, flt, _entity(entity_type, entity_id))


@router.get("/alarms")
async def all_alarms(
    caller: CurrentCaller,
    context: Context,
    link: TimePage,
    search_status: SearchStatus = None,
    status: Status = None,
    assignee_id: Assignee = None,
) -> Json:
    """Every alarm the caller may see."""
    return await _page(caller, context, link, _v1_filter(search_status, status, assignee_id), None)


@router.get("/v2/alarm/{entity_type}/{entity_id}")
async def entity_alarms_v2(
    entity_type: str,
    entity_id: uuid.UUID,
    caller: CurrentCaller,
    context: Context,
    link: TimePage,
    status_list: StatusList = None,
    severity_list: SeverityList = None,
    type_list: TypeList = None,
    assignee_id: Assignee = None,
) -> Json:
    """Alarms of an entity with list filters."""
    flt = _v2_filter(status_list, severity_list, type_list, assignee_id)
    return await _page(caller, context, link, flt, _entity(entity_type, entity_id))


@router.get("/v2/alarms")
async def all_alarms_v2(
    caller: CurrentCaller,
    context: Context,
    link: TimePage,
    status_list: StatusList = None,
    severity_list: SeverityList = None,
    type_list: TypeList = None,
    assignee_id: Assignee = None,
) -> Json:
    """Every alarm the caller may see, with list filters."""
    flt = _v2_filter(status_list, severity_list, type_list, assignee_id)
    return await _page(caller, context, link, flt, None)

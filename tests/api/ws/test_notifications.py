"""NOTIFICATIONS and NOTIFICATIONS_COUNT follow a notification request's deletion.

``DELETE /api/notification/request/{id}`` removes the request's WEB notifications of every
recipient: each recipient's bell gets its list re-sent without them, with the right unread
count, on the node that deleted and (through the cluster relay) on the others.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from typing import Any

import httpx

from industryos.notify.inbox import InboxChange
from tests.api.conftest import ok
from tests.api.ws.conftest import Live, ask, bell_pushes, token_of
from tests.api.ws.test_cluster import Cluster, cluster  # noqa: F401  (the fixture)

BELL = {"type": "NOTIFICATIONS", "cmdId": 1, "limit": 10}
BADGE = {"type": "NOTIFICATIONS_COUNT", "cmdId": 2}


def _template(subject: str) -> dict[str, Any]:
    return {
        "notificationType": "GENERAL",
        "configuration": {
            "deliveryMethodsTemplates": {"WEB": {"method": "WEB", "subject": subject, "body": "x"}}
        },
    }


async def _sent(admin: httpx.AsyncClient, target_id: str, subject: str) -> str:
    """Send a WEB notification to the target and wait until the request is SENT."""
    request = {"targets": [target_id], "template": _template(subject)}
    request_id = str(
        (await ok(await admin.post("/api/notification/request", json=request)))["id"]["id"]
    )
    for _ in range(200):
        shown = await ok(await admin.get(f"/api/notification/request/{request_id}"))
        if shown["status"] == "SENT":
            return request_id
        await asyncio.sleep(0.02)
    raise AssertionError(f"request {request_id} was not sent: {shown}")


async def _deleting_a_request_updates_the_bells(
    live: Live, deleter: Callable[[httpx.AsyncClient], httpx.AsyncClient]
) -> None:
    """Two users get two requests' notifications; the tenant admin deletes one request
    through ``deleter(admin)`` (this node's API or another's); both bells drop it."""
    a = await live.platform.new_tenant("A")
    b = await live.platform.new_tenant("B")
    admin_id = (await ok(await a.admin.get("/api/auth/user")))["id"]["id"]
    user_id = (await ok(await a.customer_user.get("/api/auth/user")))["id"]["id"]
    users = {"type": "USER_LIST", "usersIds": [admin_id, user_id]}
    config = {"type": "PLATFORM_USERS", "usersFilter": users}
    target = await ok(
        await a.admin.post(
            "/api/notification/target", json={"name": "Two", "configuration": config}
        )
    )
    target_id = target["id"]["id"]
    heard: dict[str, list[InboxChange]] = {admin_id: [], user_id: []}
    inbox = live.platform.core.notifications.center.inbox
    for listened, changes in heard.items():
        inbox.listen(uuid.UUID(listened), changes.append)

    recipients = [await live.authed(a.admin), await live.authed(a.customer_user)]
    stranger = await live.authed(b.admin)
    async with recipients[0], recipients[1], stranger:
        for connection in (*recipients, stranger):
            assert (await ask(connection, BELL))["totalUnreadCount"] == 0
            assert (await ask(connection, BADGE))["totalUnreadCount"] == 0
        await _sent(a.admin, target_id, "Keep")
        for connection in recipients:
            assert (await bell_pushes(connection))[1]["update"]["subject"] == "Keep"
        dropped = await _sent(a.admin, target_id, "Drop")
        for connection in recipients:
            pushed = await bell_pushes(connection)
            assert (pushed[1]["update"]["subject"], pushed[1]["totalUnreadCount"]) == ("Drop", 2)
        for changes in heard.values():
            changes.clear()

        await ok(await deleter(a.admin).delete(f"/api/notification/request/{dropped}"))
        for connection in recipients:
            pushed = await bell_pushes(connection)  # the list re-sent, without "Drop"
            assert pushed[1]["update"] is None
            assert [n["subject"] for n in pushed[1]["notifications"]] == ["Keep"]
            assert pushed[1]["totalUnreadCount"] == pushed[2]["totalUnreadCount"] == 1

        # one change per recipient, and nothing else pushed to anyone: a one-off reply
        # comes next on every connection
        assert {u: [c.added for c in changes] for u, changes in heard.items()} == {
            admin_id: [None],
            user_id: [None],
        }
        for connection, unread in ((recipients[0], 1), (recipients[1], 1), (stranger, 0)):
            reply = await ask(connection, {**BADGE, "cmdId": 3})
            assert (reply["cmdId"], reply["totalUnreadCount"]) == (3, unread)


async def test_deleting_a_request_resends_its_recipients_bells(live: Live) -> None:
    await _deleting_a_request_updates_the_bells(live, lambda admin: admin)


async def test_a_request_deleted_on_node_a_resends_the_bells_on_node_b(
    live: Live,
    cluster: Cluster,  # noqa: F811
) -> None:
    node_a = cluster.node_a
    await _deleting_a_request_updates_the_bells(live, lambda admin: node_a.client(token_of(admin)))
    assert cluster.feeds_a.out.dropped == cluster.feeds_b.out.dropped == 0

"""The WebSocket endpoints: ``/api/ws`` and the legacy ``/api/ws/plugins/telemetry``.

Authentication (§4.1): ``?token=`` on either endpoint, or on ``/api/ws`` an ``authCmd`` in
the first frame. No first frame within ``auth_timeout_s`` → close 1008; a first frame
without ``authCmd`` → 1008 "Auth cmd is missing"; a bad, expired or refresh token → 1007
with the reason. The legacy endpoint without a token is refused at the handshake; other
``/api/ws/plugins/<x>`` paths are refused too.

After authentication three tasks run per session: the reader (parses frames, runs
commands), the outbox writer, and a watch on the outbox's overflow. Whichever ends first
ends the session: the subscriptions close (listeners unregister), and a dropped slow
client gets close 1008 "Max pending updates limit reached!", bounded by
``close_timeout_s`` so a client that reads nothing cannot hold the task.
"""

from __future__ import annotations

import asyncio
import logging

from fastapi import APIRouter, WebSocket
from starlette.websockets import WebSocketState

from industryos.api.context import ApiContext
from industryos.api.deps import verify_token
from industryos.api.ws.codes import CloseCode, ErrorCode, Reason
from industryos.api.ws.commands import Envelope, parse_legacy, parse_new
from industryos.api.ws.errors import BadCommand, SessionClosed
from industryos.api.ws.messages import subscription_error
from industryos.api.ws.outbox import Outbox
from industryos.api.ws.services import STATE_ATTRIBUTE, WsServices
from industryos.api.ws.session import WsSession
from industryos.entities.access import Caller
from industryos.entities.errors import AuthenticationFailed

__all__ = ["router"]

log = logging.getLogger(__name__)

router = APIRouter()

PARSE_ERROR_SUBSCRIPTION = 1
"""``subscriptionId`` of the error answering an unparseable frame (as in ThingsBoard)."""


@router.websocket("/api/ws")
async def general(websocket: WebSocket) -> None:
    """The current endpoint (``WsCommandsWrapper`` envelope)."""
    await _serve(websocket, legacy=False)


@router.websocket("/api/ws/plugins/telemetry")
async def legacy_telemetry(websocket: WebSocket) -> None:
    """The deprecated telemetry endpoint (per-kind command arrays)."""
    await _serve(websocket, legacy=True)


@router.websocket("/api/ws/plugins/{plugin}")
async def unknown_plugin(websocket: WebSocket, plugin: str) -> None:
    """Any other plugin path is refused at the handshake."""
    await websocket.close(code=CloseCode.POLICY_VIOLATION)


async def _authenticate(context: ApiContext, token: str) -> Caller:
    try:
        verified = await verify_token(context, token)
    except AuthenticationFailed as exc:
        raise SessionClosed(CloseCode.BAD_DATA, exc.message) from None
    if verified.is_refresh:
        raise SessionClosed(CloseCode.BAD_DATA, "Refresh token can't be used to access the API")
    return verified.caller


async def _frame(websocket: WebSocket) -> str | bytes | None:
    """The next text or binary frame; None once the client is gone."""
    message = await websocket.receive()
    if message["type"] == "websocket.disconnect":
        return None
    text: str | None = message.get("text")
    return text if text is not None else message.get("bytes") or b""


async def _first_envelope(websocket: WebSocket, within_s: float) -> Envelope | None:
    try:
        async with asyncio.timeout(within_s):  # not wait_for: 3.11's can swallow a cancel
            frame = await _frame(websocket)
    except TimeoutError:
        raise SessionClosed(CloseCode.POLICY_VIOLATION, Reason.AUTH_TIMEOUT) from None
    if frame is None:
        return None
    try:
        envelope = parse_new(frame)
    except BadCommand:
        raise SessionClosed(CloseCode.POLICY_VIOLATION, Reason.AUTH_MISSING) from None
    if envelope.token is None:
        raise SessionClosed(CloseCode.POLICY_VIOLATION, Reason.AUTH_MISSING)
    return envelope


async def _serve(websocket: WebSocket, *, legacy: bool) -> None:
    services: WsServices = getattr(websocket.app.state, STATE_ATTRIBUTE)
    context: ApiContext = websocket.app.state.context
    token = websocket.query_params.get("token")
    if legacy and not token:
        await websocket.close(code=CloseCode.POLICY_VIOLATION, reason=Reason.TOKEN_MISSING)
        return
    await websocket.accept()
    first: Envelope | None = None
    try:
        if not token:
            first = await _first_envelope(websocket, services.limits.auth_timeout_s)
            if first is None:
                return
            token = first.token or ""
        caller = await _authenticate(context, token)
    except SessionClosed as closed:
        log.debug("WebSocket refused: %s %s", closed.close_code, closed.reason)
        await _close(websocket, closed.close_code, closed.reason, services.limits.close_timeout_s)
        return
    outbox = Outbox(websocket.send_text, services.limits.max_pending)
    session = WsSession(caller, services, outbox)
    services.stats.opened += 1
    try:
        await _run(websocket, session, first, legacy)
    finally:
        services.stats.closed += 1


async def _read(
    websocket: WebSocket, session: WsSession, first: Envelope | None, legacy: bool
) -> None:
    parse = parse_legacy if legacy else parse_new
    if first is not None:
        await session.handle(first)
    while (frame := await _frame(websocket)) is not None:
        try:
            envelope = parse(frame)
        except BadCommand:
            session.send(
                subscription_error(
                    PARSE_ERROR_SUBSCRIPTION, ErrorCode.BAD_REQUEST, Reason.PARSE_FAILED
                )
            )
            continue
        await session.handle(envelope)


async def _run(
    websocket: WebSocket, session: WsSession, first: Envelope | None, legacy: bool
) -> None:
    outbox = session.outbox
    reader = asyncio.create_task(_read(websocket, session, first, legacy), name="ws-reader")
    writer = asyncio.create_task(outbox.run(), name="ws-writer")
    overflow = asyncio.create_task(outbox.overflowed.wait(), name="ws-overflow")
    tasks = (reader, writer, overflow)
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        session.close()
        for task in tasks:
            task.cancel()
        results = await asyncio.gather(*tasks, return_exceptions=True)
    close_timeout = session.services.limits.close_timeout_s
    if outbox.overflowed.is_set():
        session.services.stats.dropped_slow += 1
        log.warning("WebSocket client of %s too slow: dropped", session.caller.email)
        await _close(websocket, CloseCode.POLICY_VIOLATION, Reason.MAX_PENDING, close_timeout)
        return
    failure = next(
        (
            r
            for r in results
            if isinstance(r, BaseException) and not isinstance(r, asyncio.CancelledError)
        ),
        None,
    )
    if isinstance(failure, SessionClosed):
        await _close(websocket, failure.close_code, failure.reason, close_timeout)
    elif failure is not None and websocket.client_state is WebSocketState.CONNECTED:
        log.debug("WebSocket session ended: %r", failure)
        await _close(websocket, CloseCode.INTERNAL_ERROR, "", close_timeout)
    else:
        await _close(websocket, CloseCode.NORMAL, "", close_timeout)


async def _close(websocket: WebSocket, code: int, reason: str, within_s: float) -> None:
    """Send a close frame unless the socket is already closed; give up after ``within_s``."""
    if websocket.application_state is not WebSocketState.CONNECTED:
        return
    if websocket.client_state is not WebSocketState.CONNECTED:
        return
    try:
        async with asyncio.timeout(within_s):
            await websocket.close(code=code, reason=reason)
    except TimeoutError:
        log.debug("WebSocket close frame not sent within %.1f s; dropping", within_s)
    except (RuntimeError, OSError) as exc:
        log.debug("WebSocket close failed: %r", exc)

"""Device claiming by customer users (spec platform-api §3.2, device-api §2.11).

``POST /api/customer/device/{deviceName}/claim`` with an optional ``{"secretKey"}``: 200
``{"device", "response": "SUCCESS"}``, or 400 with the bare outcome ``"FAILURE"`` (no claim,
expired, wrong secret) or ``"CLAIMED"`` (the device already has a customer), as ThingsBoard
answers. ``DELETE`` on the same path takes the device back (reclaim): 200 with no body.
The rules are :class:`~industryos.devices.customer_claims.CustomerClaims`'.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field
from starlette.responses import Response

from industryos.api.context import ApiContext
from industryos.api.deps import Context, CurrentCaller
from industryos.api.responses import JsonResponse
from industryos.devices.customer_claims import ClaimResponse, CustomerClaims

__all__ = ["router"]

router = APIRouter(prefix="/api", tags=["device claiming"])

_STATE_ATTRIBUTE = "customer_claims"


class ClaimRequest(BaseModel):
    """Body of a claim: the secret the device announced (empty when it announced none)."""

    model_config = ConfigDict(populate_by_name=True)

    secret_key: str | None = Field(None, alias="secretKey")


def _claims(request: Request, context: ApiContext) -> CustomerClaims:
    """One service per app, so its lock serialises racing claims."""
    claims: CustomerClaims | None = getattr(request.app.state, _STATE_ATTRIBUTE, None)
    if claims is None:
        claims = CustomerClaims(context.devices, context.telemetry_access)
        setattr(request.app.state, _STATE_ATTRIBUTE, claims)
    return claims


@router.post("/customer/device/{device_name}/claim")
async def claim_device(
    device_name: str,
    request: Request,
    caller: CurrentCaller,
    context: Context,
    body: ClaimRequest | None = None,
) -> JsonResponse:
    """Claim a device for the caller's customer with the device's secret."""
    secret = (body.secret_key if body is not None else None) or ""
    result = await _claims(request, context).claim(caller, device_name, secret)
    if result.response is ClaimResponse.SUCCESS:
        return JsonResponse(result.to_wire())
    return JsonResponse(result.response.value, status_code=400)


@router.delete("/customer/device/{device_name}/claim")
async def reclaim_device(
    device_name: str, request: Request, caller: CurrentCaller, context: Context
) -> Response:
    """Take a claimed device back from its customer."""
    await _claims(request, context).reclaim(caller, device_name)
    return Response(status_code=200)

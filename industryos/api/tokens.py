"""JWT access and refresh tokens with ThingsBoard's claims (spec platform-api §3.1).

Clients such as tb-rest-client decode the token (without checking the signature) to read
``exp``, so tokens are real JWTs. ``authTime`` (ms) lets a password change invalidate
tokens issued before it, even within the same second.
"""

from __future__ import annotations

import secrets
import time
import uuid
from dataclasses import dataclass
from typing import Any

import jwt

from industryos.entities.access import Caller
from industryos.entities.errors import AuthenticationFailed, TokenExpired
from industryos.entities.ids import NULL_UUID
from industryos.entities.models import Authority, Customer, User

ALGORITHM = "HS512"


@dataclass(frozen=True, slots=True)
class TokenPair:
    """What login and refresh return."""

    token: str
    refresh_token: str

    def to_wire(self) -> dict[str, str]:
        """``{"token", "refreshToken"}``."""
        return {"token": self.token, "refreshToken": self.refresh_token}


@dataclass(frozen=True, slots=True)
class VerifiedToken:
    """A token whose signature, issuer and expiry were checked."""

    caller: Caller
    issued_at_ms: int
    is_refresh: bool
    is_public: bool = False
    """A public customer's pseudo-user (``/api/auth/login/public``): read-only, no user row."""


class TokenIssuer:
    """Signs and verifies the node's JWTs."""

    def __init__(self, secret: str, issuer: str, access_ttl_s: int, refresh_ttl_s: int) -> None:
        self._secret = secret
        self._issuer = issuer
        self._access_ttl = access_ttl_s
        self._refresh_ttl = refresh_ttl_s

    @property
    def refresh_ttl_ms(self) -> int:
        """How long a refresh token lives, so revocations can expire with it."""
        return self._refresh_ttl * 1000

    def issue(
        self, user: User, session_id: str | None = None, *, is_public: bool = False
    ) -> TokenPair:
        """A new access + refresh pair for ``user`` in one session."""
        session = session_id or secrets.token_hex(16)
        now = time.time()
        common = {
            "sub": user.email,
            "userId": str(user.id),
            "sessionId": session,
            "isPublic": is_public,
        }
        access: dict[str, Any] = {
            **common,
            "scopes": [user.authority.value],
            "firstName": user.first_name,
            "lastName": user.last_name,
            "enabled": True,
            "tenantId": str(user.tenant_id),
            "customerId": str(user.customer_id),
        }
        refresh: dict[str, Any] = {
            **common,
            "scopes": [Authority.REFRESH_TOKEN.value],
            "jti": str(uuid.uuid4()),
        }
        return TokenPair(
            self._sign(access, now, self._access_ttl), self._sign(refresh, now, self._refresh_ttl)
        )

    def issue_public(self, customer: Customer, session_id: str | None = None) -> TokenPair:
        """A pair for the public customer's pseudo-user, as ThingsBoard's public login."""
        assert customer.id is not None
        # The subject is the public id, not an email, so the model's checks do not apply.
        public_user = User.model_construct(
            id=NULL_UUID,
            email=str(customer.id),
            authority=Authority.CUSTOMER_USER,
            tenant_id=customer.tenant_id or NULL_UUID,
            customer_id=customer.id,
            first_name="Public",
            last_name="Public",
        )
        return self.issue(public_user, session_id, is_public=True)

    def verify(self, token: str) -> VerifiedToken:
        """Check a token and read who it belongs to."""
        try:
            claims = jwt.decode(
                token,
                self._secret,
                algorithms=[ALGORITHM],
                issuer=self._issuer,
                options={"require": ["exp", "iat", "sub", "scopes", "userId"]},
            )
        except jwt.ExpiredSignatureError:
            raise TokenExpired() from None
        except jwt.PyJWTError:
            raise AuthenticationFailed("Invalid JWT token") from None
        scope = claims["scopes"][0] if claims["scopes"] else ""
        try:
            authority = Authority(scope)
            caller = Caller(
                user_id=uuid.UUID(claims["userId"]),
                email=claims["sub"],
                authority=authority,
                tenant_id=_uuid_or_null(claims.get("tenantId")),
                customer_id=_uuid_or_null(claims.get("customerId")),
                session_id=claims.get("sessionId", ""),
            )
        except (ValueError, TypeError):
            raise AuthenticationFailed("Invalid JWT token") from None
        return VerifiedToken(
            caller=caller,
            issued_at_ms=int(claims.get("authTime", claims["iat"] * 1000)),
            is_refresh=authority is Authority.REFRESH_TOKEN,
            is_public=claims.get("isPublic") is True,
        )

    def _sign(self, claims: dict[str, Any], now: float, ttl: int) -> str:
        payload = {
            **claims,
            "iss": self._issuer,
            "iat": int(now),
            "exp": int(now) + ttl,
            "authTime": int(now * 1000),
        }
        return jwt.encode(payload, self._secret, algorithm=ALGORITHM)


def _uuid_or_null(value: Any) -> uuid.UUID:
    return uuid.UUID(value) if value else NULL_UUID

"""Logged-out sessions: every token of a revoked session is refused until it would expire.

Revocations are stored (so a restart keeps them) and held in memory (so checking a token
costs no query).
"""

from __future__ import annotations

import sqlalchemy as sa

from industryos.entities.ids import now_ms
from industryos.storage import schema
from industryos.storage.database import Database


class SessionRevocations:
    """The set of session ids whose tokens are no longer accepted."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._revoked: dict[str, int] = {}

    async def load(self) -> None:
        """Read unexpired revocations and drop expired ones."""
        now = now_ms()
        table = schema.revoked_session
        async with self._db.transaction() as conn:
            await conn.execute(sa.delete(table).where(table.c.expires_at < now))
            rows = await conn.execute(sa.select(table.c.session_id, table.c.expires_at))
            self._revoked = {row[0]: int(row[1]) for row in rows}

    async def revoke(self, session_id: str, expires_at_ms: int) -> None:
        """Refuse every token of ``session_id`` from now on."""
        if not session_id or session_id in self._revoked:
            return
        self._revoked[session_id] = expires_at_ms
        async with self._db.transaction() as conn:
            await conn.execute(
                sa.insert(schema.revoked_session).values(
                    session_id=session_id, expires_at=expires_at_ms
                )
            )

    def is_revoked(self, session_id: str) -> bool:
        """True when the session was logged out."""
        return session_id in self._revoked

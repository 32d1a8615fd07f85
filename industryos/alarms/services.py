"""The alarm services as one typed bundle, built once by the node and shared by REST and rules."""

from __future__ import annotations

from dataclasses import dataclass

from industryos.alarms.comments import AlarmComments
from industryos.alarms.queries import AlarmQueries
from industryos.alarms.service import AlarmService
from industryos.entities.audit_service import AuditService
from industryos.entities.entity_lookup import EntityLookup
from industryos.entities.events import MsgPublisher
from industryos.storage.database import Database

__all__ = ["Alarms"]


@dataclass(frozen=True, slots=True)
class Alarms:
    """Write side, read side and comments of alarms."""

    service: AlarmService
    queries: AlarmQueries
    comments: AlarmComments

    @classmethod
    def build(
        cls, db: Database, lookup: EntityLookup, audit: AuditService, publisher: MsgPublisher
    ) -> Alarms:
        """Wire the alarm services over one database."""
        service = AlarmService(db, lookup, audit, publisher)
        return cls(service, AlarmQueries(db, lookup), AlarmComments(service))

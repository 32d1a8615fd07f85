"""The notification center (platform-api §7): targets, templates, rules, requests, WEB
notifications and delivery over email, SMS, Slack and webhooks.

:class:`Notifications` is what the node builds once: the center (stores, channels,
delivery log) and the triggers that turn alarms, entity actions and device activity into
requests. REST, WebSocket and rule nodes use it through this interface.
"""

from __future__ import annotations

from dataclasses import dataclass

from industryos.entities.entity_lookup import EntityLookup
from industryos.entities.tenant_limits import TenantLimitsService
from industryos.notify.center import NotificationCenter, SendSpec
from industryos.notify.delivery import RetryPolicy
from industryos.notify.hooks import NotifyingAlarmService, TriggerPublisher
from industryos.notify.ratelimit import RateLimit
from industryos.notify.triggers import Triggers
from industryos.storage.database import Database

__all__ = [
    "NotificationCenter",
    "Notifications",
    "NotifyingAlarmService",
    "RateLimit",
    "RetryPolicy",
    "SendSpec",
    "TriggerPublisher",
    "Triggers",
]


@dataclass(frozen=True, slots=True)
class Notifications:
    """The notification center and its triggers, built once per node."""

    center: NotificationCenter
    triggers: Triggers

    @classmethod
    def build(
        cls,
        db: Database,
        lookup: EntityLookup,
        *,
        retry: RetryPolicy | None = None,
        rate_limit: RateLimit | None = None,
        usage: TenantLimitsService | None = None,
    ) -> Notifications:
        """Wire the center over ``db``."""
        center = NotificationCenter(db, retry=retry, rate_limit=rate_limit, usage=usage)
        return cls(center, Triggers(center, lookup))

    async def stop(self) -> None:
        """Cancel deliveries in flight and close connections."""
        await self.center.stop()

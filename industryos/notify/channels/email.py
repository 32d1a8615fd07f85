"""EMAIL over SMTP (aiosmtplib): implicit TLS (``smtps``) or STARTTLS (``enableTls``).

Settings are ThingsBoard's mail ``AdminSettings`` JSON: ``mailFrom``, ``smtpProtocol``,
``smtpHost``, ``smtpPort``, ``timeout`` (ms), ``enableTls``, ``username``, ``password``.
4xx SMTP replies and lost connections are retried; 5xx replies (unknown mailbox, refused
authentication) are final.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any

from industryos.entities.errors import InvalidArgument
from industryos.notify.enums import SettingsKey
from industryos.notify.errors import DeliveryFailed, RetryableFailure
from industryos.notify.settings import SettingsStore
from industryos.notify.templates import Rendered

__all__ = ["EmailChannel", "Mail", "SmtpConfig", "send_mail"]


@dataclass(frozen=True, slots=True)
class SmtpConfig:
    """Where and how to submit mail."""

    host: str
    port: int
    mail_from: str
    implicit_tls: bool = False
    starttls: bool = False
    username: str | None = None
    password: str | None = None
    timeout_s: float = 10.0

    @classmethod
    def from_wire(cls, raw: Mapping[str, Any]) -> SmtpConfig:
        """Parse the mail settings JSON."""
        host = raw.get("smtpHost")
        if not isinstance(host, str) or not host:
            raise InvalidArgument("Mail settings need smtpHost")
        implicit = str(raw.get("smtpProtocol") or "smtp").lower() == "smtps"
        try:
            port = int(raw.get("smtpPort") or (465 if implicit else 25))
            timeout_ms = int(raw.get("timeout") or 10000)
        except (TypeError, ValueError):
            raise InvalidArgument("smtpPort and timeout must be numbers") from None
        return cls(
            host=host,
            port=port,
            mail_from=str(raw.get("mailFrom") or ""),
            implicit_tls=implicit,
            starttls=bool(raw.get("enableTls")) and not implicit,
            username=raw.get("username") or None,
            password=raw.get("password") or None,
            timeout_s=timeout_ms / 1000,
        )


@dataclass(frozen=True, slots=True)
class Mail:
    """One message: addresses, subject and body (HTML when ``html``)."""

    to: Sequence[str]
    subject: str
    body: str
    html: bool = False
    cc: Sequence[str] = ()
    bcc: Sequence[str] = ()
    sender: str | None = None


def _sender(config: SmtpConfig, mail: Mail) -> str:
    """The mail's own sender, else the settings' ``mailFrom``; a final failure if neither."""
    sender = (mail.sender or "").strip() or config.mail_from.strip()
    if not sender:
        raise DeliveryFailed(
            "Email sender is missing: give 'from' in the message or mailFrom in the SMTP settings"
        )
    return sender


def _message(config: SmtpConfig, mail: Mail) -> EmailMessage:
    message = EmailMessage()
    message["From"] = _sender(config, mail)
    message["To"] = ", ".join(mail.to)
    if mail.cc:
        message["Cc"] = ", ".join(mail.cc)
    message["Subject"] = mail.subject
    message.set_content(mail.body, subtype="html" if mail.html else "plain")
    return message


async def send_mail(config: SmtpConfig, mail: Mail) -> None:
    """Submit ``mail``; raises a :class:`DeliveryFailed` saying why it was not accepted."""
    import aiosmtplib  # ~0.1 s to import: only a node that sends mail pays it

    recipients = [*mail.to, *mail.cc, *mail.bcc]
    message = _message(config, mail)  # before connecting: a mail without sender never goes out
    try:
        await aiosmtplib.send(
            message,
            recipients=recipients,
            hostname=config.host,
            port=config.port,
            username=config.username,
            password=config.password,
            use_tls=config.implicit_tls,
            start_tls=config.starttls,
            timeout=config.timeout_s,
        )
    except aiosmtplib.SMTPResponseException as exc:
        text = f"SMTP {exc.code} {exc.message}"
        raise (RetryableFailure(text) if 400 <= exc.code < 500 else DeliveryFailed(text)) from None
    except aiosmtplib.SMTPRecipientsRefused as exc:
        raise DeliveryFailed(f"SMTP recipients refused: {len(exc.recipients)}") from None
    except (aiosmtplib.SMTPException, OSError) as exc:
        raise RetryableFailure(f"SMTP {type(exc).__name__}") from None


class EmailChannel:
    """Sends a rendered template to a user's address with the tenant's (or system) settings."""

    def __init__(self, settings: SettingsStore) -> None:
        self._settings = settings

    async def config(self, tenant_id: uuid.UUID) -> SmtpConfig:
        """The effective SMTP settings of ``tenant_id``."""
        raw = await self._settings.effective(tenant_id, SettingsKey.MAIL)
        if raw is None:
            raise DeliveryFailed("Mail settings are not configured")
        try:
            return SmtpConfig.from_wire(raw)
        except InvalidArgument as exc:
            raise DeliveryFailed(str(exc)) from None

    async def send(self, tenant_id: uuid.UUID, address: str, content: Rendered) -> None:
        """Mail ``content`` to ``address``."""
        body = content.body
        mail = Mail([address], content.subject or "", body, html=body.lstrip().startswith("<"))
        await send_mail(await self.config(tenant_id), mail)

"""Template rendering: ``${name}`` placeholders filled from a flat context.

ThingsBoard's forms are kept: ``${alarmType}``, and with a case function
``${alarmSeverity:upperCase}`` / ``:lowerCase`` / ``:capitalize``. An unknown name stays
as written, so a typo is visible in the delivered text rather than silently blank.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from industryos.entities.errors import InvalidArgument
from industryos.notify.enums import DeliveryMethod, NotificationType

__all__ = ["MethodTemplate", "Rendered", "Template", "parse_template", "render"]

_PLACEHOLDER = re.compile(r"\$\{([A-Za-z0-9_.]+)(?::([A-Za-z]+))?\}")

_CASES: dict[str, Callable[[str], str]] = {
    "upperCase": str.upper,
    "lowerCase": str.lower,
    "capitalize": lambda s: s[:1].upper() + s[1:],
}


def render(text: str, context: Mapping[str, str]) -> str:
    """Fill the placeholders of ``text`` from ``context``."""
    if "${" not in text:
        return text

    def replace(match: re.Match[str]) -> str:
        value = context.get(match.group(1))
        if value is None:
            return match.group(0)
        case = _CASES.get(match.group(2) or "")
        return case(value) if case is not None else value

    return _PLACEHOLDER.sub(replace, text)


@dataclass(frozen=True, slots=True)
class Rendered:
    """One method's content for one recipient."""

    subject: str | None
    body: str
    additional_config: Mapping[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class MethodTemplate:
    """``deliveryMethodsTemplates[method]``: subject (where the method has one) and body."""

    method: DeliveryMethod
    subject: str | None
    body: str
    additional_config: Mapping[str, Any] | None = None

    def render(self, context: Mapping[str, str]) -> Rendered:
        """The content for a recipient described by ``context``."""
        subject = None if self.subject is None else render(self.subject, context)
        return Rendered(subject, render(self.body, context), self.additional_config)


@dataclass(frozen=True, slots=True)
class Template:
    """A notification template: its type and the enabled methods' content."""

    notification_type: NotificationType
    methods: Mapping[DeliveryMethod, MethodTemplate]


def _method(name: str, raw: Any) -> MethodTemplate | None:
    try:
        method = DeliveryMethod(str(raw.get("method") or name))
    except (AttributeError, ValueError):
        raise InvalidArgument(f"Unknown delivery method: {name}") from None
    if not raw.get("enabled", True):
        return None
    body = raw.get("body")
    if not isinstance(body, str):
        raise InvalidArgument(f"Template for {method} needs a body")
    subject = raw.get("subject")
    extra = raw.get("additionalConfig")
    return MethodTemplate(
        method,
        subject if isinstance(subject, str) else None,
        body,
        extra if isinstance(extra, Mapping) else None,
    )


def parse_template(wire: Mapping[str, Any]) -> Template:
    """A template from its JSON (``notificationType`` + ``configuration``)."""
    try:
        kind = NotificationType(str(wire.get("notificationType") or "GENERAL"))
    except ValueError:
        raise InvalidArgument(
            f"Unknown notification type: {wire.get('notificationType')}"
        ) from None
    config = wire.get("configuration") or {}
    raw_methods = config.get("deliveryMethodsTemplates") if isinstance(config, Mapping) else None
    if not isinstance(raw_methods, Mapping) or not raw_methods:
        raise InvalidArgument("Template needs configuration.deliveryMethodsTemplates")
    methods: dict[DeliveryMethod, MethodTemplate] = {}
    for name, raw in raw_methods.items():
        if not isinstance(raw, Mapping):
            raise InvalidArgument(f"Template for {name} must be an object")
        parsed = _method(str(name), raw)
        if parsed is not None:
            methods[parsed.method] = parsed
    if not methods:
        raise InvalidArgument("At least one delivery method must be enabled")
    return Template(kind, methods)

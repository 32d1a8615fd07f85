"""Template placeholders and template JSON parsing."""

from __future__ import annotations

import pytest

from industryos.entities.errors import InvalidArgument
from industryos.notify.enums import DeliveryMethod, NotificationType
from industryos.notify.templates import parse_template, render


def test_placeholders_with_case_functions_and_unknown_names_kept() -> None:
    context = {"alarmType": "Leak", "alarmSeverity": "major", "name": "pump"}
    text = "${alarmType}: ${alarmSeverity:upperCase} ${name:capitalize} ${missing} ${name:odd}"
    assert render(text, context) == "Leak: MAJOR Pump ${missing} pump"


def test_disabled_methods_are_left_out() -> None:
    template = parse_template(
        {
            "notificationType": "ALARM",
            "configuration": {
                "deliveryMethodsTemplates": {
                    "WEB": {"method": "WEB", "enabled": True, "subject": "s", "body": "b"},
                    "SMS": {"method": "SMS", "enabled": False, "body": "x"},
                }
            },
        }
    )
    assert template.notification_type is NotificationType.ALARM
    assert list(template.methods) == [DeliveryMethod.WEB]


@pytest.mark.parametrize(
    "wire",
    [
        {"notificationType": "NOPE", "configuration": {"deliveryMethodsTemplates": {}}},
        {"notificationType": "GENERAL", "configuration": {}},
        {"configuration": {"deliveryMethodsTemplates": {"WEB": {"method": "WEB"}}}},
        {"configuration": {"deliveryMethodsTemplates": {"FAX": {"body": "x"}}}},
    ],
)
def test_bad_templates_are_refused(wire: dict[str, object]) -> None:
    with pytest.raises(InvalidArgument):
        parse_template(wire)

"""The package's public surface is exactly what ``__all__`` lists; config validation."""

from __future__ import annotations

import pytest

import industryos.transport.mqtt as mqtt


def test_all_names_exist_and_public_imports_are_listed() -> None:
    assert sorted(mqtt.__all__) == mqtt.__all__
    for name in mqtt.__all__:
        assert hasattr(mqtt, name), name
    exported = {
        name
        for name, value in vars(mqtt).items()
        if not name.startswith("_")
        and getattr(value, "__module__", "").startswith(mqtt.__name__)
        and not isinstance(value, type(mqtt))
    }
    assert exported == set(mqtt.__all__) - {"AuthResult"}


@pytest.mark.parametrize(
    "overrides",
    [{"receive_maximum": 0}, {"receive_maximum": 70_000}, {"max_payload_size": 0}],
)
def test_config_refuses_values_the_protocol_cannot_carry(overrides: dict[str, int]) -> None:
    with pytest.raises(ValueError, match=next(iter(overrides))):
        mqtt.MqttConfig(**overrides)  # type: ignore[arg-type]

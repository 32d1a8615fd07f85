"""The package's public surface is exactly what ``__all__`` lists."""

from __future__ import annotations

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

"""The public surface of the telemetry and time-series packages is what ``__all__`` says."""

from __future__ import annotations

import importlib

import pytest


@pytest.mark.parametrize(
    "module",
    [
        "industryos.telemetry",
        "industryos.telemetry.kv",
        "industryos.telemetry.parse",
        "industryos.telemetry.query",
        "industryos.telemetry.listeners",
        "industryos.telemetry.backends",
        "industryos.telemetry.service",
        "industryos.storage.timeseries",
        "industryos.storage.attributes",
    ],
)
def test_all_names_exist(module: str) -> None:
    """Every exported name is defined, and the list has no duplicates."""
    loaded = importlib.import_module(module)
    assert len(set(loaded.__all__)) == len(loaded.__all__)
    for name in loaded.__all__:
        assert hasattr(loaded, name), f"{module}.{name}"


def test_storage_implements_the_service_protocols() -> None:
    """The storage classes have every method the telemetry service's protocols name."""
    from industryos.storage.attributes import AttributeRepository
    from industryos.storage.timeseries import TimeseriesStore, TsBatchWriter
    from industryos.telemetry.backends import AttributeStore, TimeseriesReader, TimeseriesWriter

    for implementation, protocol in [
        (TsBatchWriter, TimeseriesWriter),
        (TimeseriesStore, TimeseriesReader),
        (AttributeRepository, AttributeStore),
    ]:
        wanted = {name for name in vars(protocol) if not name.startswith("_")}
        assert wanted <= set(dir(implementation)), protocol.__name__

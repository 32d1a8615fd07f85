"""Every table of the node, gathered on one ``metadata`` (migrations compare against it)."""

from __future__ import annotations

from industryos.storage.schema import metadata

__all__ = ["metadata"]

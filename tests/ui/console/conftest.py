"""One node for every console test (alarms, profiles, notifications, entities).

The parent conftest starts a node per module; these tests only add their own uniquely
named entities, so they share one node per package and the suite pays one start-up.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.ui.conftest import UiNode, running_ui_node


@pytest.fixture(scope="package")
def ui_node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[UiNode]:
    with running_ui_node(tmp_path_factory.mktemp("console-node")) as node:
        yield node

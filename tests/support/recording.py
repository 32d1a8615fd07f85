"""A rule-engine input that records what services announce, for assertions."""

from __future__ import annotations

from industryos.msg import Msg


class RecordingPublisher:
    """Keeps every published message in order."""

    def __init__(self) -> None:
        self.messages: list[Msg] = []

    async def publish(self, msg: Msg) -> None:
        """Record ``msg``."""
        self.messages.append(msg)

    def types(self) -> list[str]:
        """The message types published so far."""
        return [m.type for m in self.messages]

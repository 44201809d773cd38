"""What the inbox stores of an update before acknowledging it, and where it stores it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True)
class ReceivedUpdate:
    """An update as its platform sent it: the key repeats are dropped by, its order within
    the platform (Telegram's update_id; None where there is none), its chat, the raw JSON."""

    key: str
    sequence: int | None
    chat_id: str | None
    payload: str


class ReceivedRepository(Protocol):
    def store(self, platform: str, updates: Sequence[ReceivedUpdate], at: datetime) -> set[str]:
        """Store the updates not stored yet; returns the keys that are new."""
        ...


class RejectedRepository(Protocol):
    def record(self, platform: str, reason: str, body: bytes, at: datetime) -> None:
        """Keep a delivery that is no update (well-formed JSON, answered 200, never handled)."""
        ...

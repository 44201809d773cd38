"""What every channel's inbox says of a delivery that is well-formed JSON but no update."""

from __future__ import annotations


class RejectedUpdate(ValueError):
    """Not an update the platform could have sent: answered 200 (so the platform stops
    retrying), recorded with its reason, never handled."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason

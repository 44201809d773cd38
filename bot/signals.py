"""A wake-up from the side that handles messages to the side that sends fan-outs: an
announcement (/thongbao) was just committed, so the leader sends it now rather than at its
next sweep. Called from whatever thread committed; the listener hands it to its own loop."""

from __future__ import annotations

from collections.abc import Callable


class Signal:
    def __init__(self) -> None:
        self._listener: Callable[[], None] | None = None

    def listen(self, listener: Callable[[], None] | None) -> None:
        """One listener (the job service of this process, while it leads), or none."""
        self._listener = listener

    def notify(self) -> None:
        listener = self._listener
        if listener is not None:
            listener()

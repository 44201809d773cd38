"""Logging that cannot flood the disk: an error repeated many times a second (a full file
table, a client that sends garbage in a loop) is written once, then counted, and the count
is written once a minute while it goes on."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

# A line repeated within this many seconds of its last writing is counted, not written.
WINDOW_SECONDS = 60.0
# At most this many distinct lines are followed; the oldest are forgotten first.
TRACKED = 1000


class RepeatFilter(logging.Filter):
    """Lets a record through the first time its (logger, level, message, exception type)
    is seen in a window, then counts the repeats and lets one through with the count once
    the window has passed."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__()
        self.clock = clock
        # key -> (when last written, repeats since)
        self.seen: dict[tuple[object, ...], tuple[float, int]] = {}

    def filter(self, record: logging.LogRecord) -> bool:
        exception = record.exc_info[0] if record.exc_info else None
        key = (record.name, record.levelno, record.getMessage(), exception)
        now = self.clock()
        last = self.seen.get(key)
        if last is not None and now - last[0] < WINDOW_SECONDS:
            self.seen[key] = (last[0], last[1] + 1)
            return False
        repeats = last[1] if last is not None else 0
        if len(self.seen) >= TRACKED and key not in self.seen:
            self.seen.pop(next(iter(self.seen)))
        self.seen[key] = (now, 0)
        if repeats:
            record.msg = f"{record.msg} (repeated {repeats} times in the last minute)"
            # The traceback was written the first time; once is enough.
            record.exc_info = None
            record.exc_text = None
        return True


def install() -> RepeatFilter:
    """Put the filter on every handler of the root logger (where records are written)."""
    repeat = RepeatFilter()
    for handler in logging.getLogger().handlers:
        handler.addFilter(repeat)
    return repeat

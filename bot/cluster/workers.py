"""`quizbot run --workers N`: N bot processes on one PostgreSQL database and one port.

Each worker is a whole `quizbot run` (web server, channels, a candidate for leader); they
listen on the same port with SO_REUSEPORT, so the kernel spreads the connections (a reverse
proxy in front sees one address). This process only starts them, passes SIGTERM and SIGINT
on, and starts a worker again if it dies: the others carry on meanwhile, and one of them
takes the lead if the dead one held it.
"""

from __future__ import annotations

import logging
import signal
import subprocess
import sys
import time
from types import FrameType

from bot.config import Settings, SettingsError
from bot.domain import wording

log = logging.getLogger(__name__)

# A worker that dies is started again after this pause (not in a tight loop).
RESTART_AFTER_SECONDS = 1.0
# A worker that ends sooner than this after its start failed to start at all.
YOUNG_SECONDS = 10.0


def check_workers(settings: Settings, workers: int, *, polling: bool) -> None:
    if workers < 1:
        raise SettingsError(wording.CLI_WORKERS_TOO_FEW)
    if workers == 1:
        return
    if settings.database_url.startswith("sqlite"):
        raise SettingsError(wording.CLI_WORKERS_NEED_POSTGRES)
    if polling or not settings.public_base_url:
        raise SettingsError(wording.CLI_WORKERS_NEED_WEBHOOK)


def run_workers(settings: Settings, workers: int, *, polling: bool) -> int:
    check_workers(settings, workers, polling=polling)
    command = [sys.executable, "-m", "bot.cli", "run", "--shared-port"]
    running = [_Worker(command) for _ in range(workers)]
    stopping = False
    failed = 0

    def stop(signum: int, _frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True
        for worker in running:
            worker.signal(signum)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    log.info("started %d workers: %s", workers, ", ".join(str(w.process.pid) for w in running))
    while not stopping:
        time.sleep(0.5)
        for index, worker in enumerate(running):
            code = worker.process.poll()
            if code is None or stopping:
                continue
            if worker.young() and code > 0:
                # Ended by itself right after starting: the settings or the token are
                # wrong, and starting it again would only fail again. Stop them all. (One
                # killed by a signal, even that early, is started again.)
                log.error("worker %d ended at start (%s); stopping", worker.process.pid, code)
                failed = code or 1
                stop(signal.SIGTERM, None)
                break
            log.warning("worker %d ended (%s); starting it again", worker.process.pid, code)
            time.sleep(RESTART_AFTER_SECONDS)
            running[index] = _Worker(command)
    for worker in running:
        worker.process.wait()
    return failed


class _Worker:
    def __init__(self, command: list[str]) -> None:
        self.process = subprocess.Popen(command)
        self.started = time.monotonic()

    def young(self) -> bool:
        return time.monotonic() - self.started < YOUNG_SECONDS

    def signal(self, signum: int) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signum)

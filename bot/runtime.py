"""Putting a running bot together: a channel, the core, and the scheduled jobs."""

from __future__ import annotations

from pathlib import Path
from typing import TextIO

from sqlalchemy.engine import make_url
from telegram.ext import Application

from bot.app import Core, open_core
from bot.channels.console.simulator import ConsoleSimulator
from bot.channels.telegram.notifier import TelegramNotifier, open_broadcast_notifier
from bot.clock import MovableClock
from bot.config import Settings
from bot.domain import texts
from bot.domain.jobs import JOBS
from jobs.runner import RunReport
from jobs.service import JobService


def attach_jobs(application: Application, settings: Settings, core: Core) -> None:
    """Start the scheduler with the bot and stop it before the bot; fan-outs go through
    their own Bot instance (see open_broadcast_notifier)."""
    running: dict[str, tuple[JobService, TelegramNotifier]] = {}

    async def start(app: Application) -> None:
        notifier = await open_broadcast_notifier(
            settings.telegram_api_base_url, settings.telegram_token.reveal()
        )
        service = JobService(core, notifier, settings.schedules)
        await service.start()
        running["jobs"] = (service, notifier)
        app.bot_data["jobs"] = service

    async def stop(_app: Application) -> None:
        if "jobs" in running:
            service, notifier = running.pop("jobs")
            await service.stop()
            await notifier.bot.shutdown()

    application.bot_data["on_start"].append(start)
    application.bot_data["on_stop"].append(stop)


def console_files_dir(settings: Settings) -> Path:
    """Where the simulator saves the files the bot sends: beside the SQLite file, or data/."""
    url = make_url(settings.database_url)
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        return Path(url.database).parent / "console-files"
    return Path("data") / "console-files"


async def run_console(settings: Settings, clock: MovableClock, stdin: TextIO, out: TextIO) -> None:
    core = open_core(settings, clock, console=True)
    simulator = ConsoleSimulator(core, clock, stdin, out, files_dir=console_files_dir(settings))
    service = JobService(core, simulator.notifier, settings.schedules)

    def tell(reports: list[RunReport]) -> None:
        for report in reports:
            simulator.say(
                texts.console_job_ran(report.job, report.period, report.planned_now, report.queued)
            )

    async def show_jobs(_args: list[str]) -> None:
        planned = service.scheduler.schedule.planned(clock.now())
        simulator.say(
            texts.console_jobs([(p.job, p.cron, p.next_run) for p in planned], core.policy.tz)
        )

    async def run_job(args: list[str]) -> None:
        if not args or args[0] not in JOBS:
            simulator.say(texts.CONSOLE_JOB_USAGE)
            return
        tell([await service.runner.run(args[0], clock.now())])

    async def clock_moved() -> None:
        tell(await service.scheduler.tick())

    simulator.extra_controls.update({"jobs": show_jobs, "job": run_job})
    simulator.after_time_change = clock_moved
    await service.start(simulated=True)
    try:
        await simulator.run()
    finally:
        await service.stop()
        core.close()

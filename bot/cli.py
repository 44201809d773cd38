"""`quizbot` command line: init, run, units, admins."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import NoReturn, TypeVar

from bot.app import Core, NotInitialised, initialise, open_core
from bot.clock import FixedClock, MovableClock, SystemClock
from bot.config import TELEGRAM, Settings, SettingsError, load_settings
from bot.domain import texts
from bot.domain.delivery import Channels
from bot.domain.jobs import JOBS
from bot.domain.ports import Notifier
from bot.domain.tree import UnitTree
from bot.domain.units import UnitTableError
from bot.redaction import configure_logging, redact, register_secrets
from bot.storage import migrate
from bot.storage.database import Database, make_engine
from bot.storage.repositories import SqlStore

EXIT_USAGE = 2
EXIT_FAILED = 1
T = TypeVar("T")


def main(argv: Sequence[str] | None = None) -> int:
    arguments = _parser().parse_args(argv)
    try:
        settings = load_settings()
        configure_logging(
            "WARNING" if _is_console(arguments, settings) else settings.log_level,
            settings.secrets,
        )
        return int(arguments.handler(arguments, settings) or 0)
    except SettingsError as error:
        print(texts.cli_bad_settings(str(error)), file=sys.stderr)
    except UnitTableError as error:
        print(texts.cli_bad_units_file(error.problems), file=sys.stderr)
    except FileNotFoundError as error:
        print(texts.cli_missing_file(str(error.filename)), file=sys.stderr)
    except NotInitialised:
        print(texts.CLI_NOT_INITIALISED, file=sys.stderr)
    except Exception as error:  # the one place every other failure ends: never a traceback
        return _failed(error)
    return EXIT_USAGE


def _failed(error: Exception) -> int:
    """Any other failure as one redacted Vietnamese line; the traceback, redacted, only
    at DEBUG. The secrets were registered with the logging set-up; when the settings never
    loaded, the environment's token is registered here."""
    register_secrets(
        [os.environ.get(name, "") for name in ("TELEGRAM_BOT_TOKEN", "ZALO_BOT_TOKEN")]
    )
    logging.getLogger(__name__).debug("quizbot stopped", exc_info=error)
    print(
        redact(texts.cli_failed(_failure_kind(error), f"{type(error).__name__}: {error}")),
        file=sys.stderr,
    )
    return EXIT_FAILED


def _failure_kind(error: Exception) -> str:
    from telegram.error import InvalidToken, NetworkError

    from bot.channels.zalo.client import ZaloError, ZaloUnauthorized, ZaloUnreachable

    if isinstance(error, InvalidToken):
        return "rejected_token"
    if isinstance(error, ZaloUnauthorized):
        return "zalo_rejected_token"
    if isinstance(error, ZaloUnreachable | ZaloError):
        return "zalo_unreachable"
    if isinstance(error, NetworkError):
        return "unreachable"
    return "unexpected"


class _Parser(argparse.ArgumentParser):
    """argparse speaks English: its refusals are told in Vietnamese, with the usage line."""

    def error(self, message: str) -> NoReturn:
        usage = self.format_usage().replace("usage:", texts.CLI_USAGE_WORD, 1).strip()
        print(texts.cli_usage_error(self.prog, usage), file=sys.stderr)
        raise SystemExit(EXIT_USAGE)


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="quizbot", description=texts.CLI_DESCRIPTION)
    commands = parser.add_subparsers(dest="command", required=True)

    commands.add_parser("init", help=texts.CLI_HELP_INIT).set_defaults(handler=_init)
    run = commands.add_parser("run", help=texts.CLI_HELP_RUN)
    run.add_argument("--console", action="store_true", help=texts.CLI_HELP_CONSOLE)
    run.add_argument("--polling", action="store_true", help=texts.CLI_HELP_POLLING)
    run.add_argument("--workers", type=int, default=1, help=texts.CLI_HELP_WORKERS)
    # Set by `--workers N` on the workers it starts: they share the web server's port.
    run.add_argument("--shared-port", action="store_true", help=argparse.SUPPRESS)
    run.set_defaults(handler=_run)
    commands.add_parser("units", help=texts.CLI_HELP_UNITS).set_defaults(handler=_units)

    jobs = commands.add_parser("jobs", help=texts.CLI_HELP_JOBS)
    job_actions = jobs.add_subparsers(dest="action", required=True)
    job_actions.add_parser("list").set_defaults(handler=_jobs_list)
    run_job = job_actions.add_parser("run")
    run_job.add_argument("name", choices=sorted(JOBS))
    run_job.add_argument("--at", help=texts.CLI_HELP_AT)
    run_job.set_defaults(handler=_jobs_run)

    export = commands.add_parser("export", help=texts.CLI_HELP_EXPORT)
    period = export.add_mutually_exclusive_group(required=True)
    period.add_argument("--week", help="2024-W37")
    period.add_argument("--month", help="2024-09")
    export.add_argument("-o", "--output", required=True, type=Path)
    export.set_defaults(handler=_export)

    admins = commands.add_parser("admins", help=texts.CLI_HELP_ADMINS)
    admin_actions = admins.add_subparsers(dest="action", required=True)
    admin_actions.add_parser("list").set_defaults(handler=_admins_list)
    for action, handler in (("grant", _admins_grant), ("revoke", _admins_revoke)):
        sub = admin_actions.add_parser(action)
        sub.add_argument("user_id")
        sub.add_argument("--platform", default=TELEGRAM)
        sub.set_defaults(handler=handler)
    return parser


def _local_time(text: str, settings: Settings) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as error:
        raise SettingsError(texts.cli_bad_time(text)) from error
    return moment if moment.tzinfo else moment.replace(tzinfo=settings.timezone)


def _is_console(arguments: argparse.Namespace, settings: Settings) -> bool:
    return arguments.command == "run" and (
        arguments.console or not (settings.has_telegram or settings.has_zalo)
    )


def _init(_arguments: argparse.Namespace, settings: Settings) -> int:
    campaign, counts = initialise(settings)
    print(texts.cli_initialised(campaign, counts))
    return 0


def _run(arguments: argparse.Namespace, settings: Settings) -> int:
    if _is_console(arguments, settings):
        from bot.runtime import run_console

        if not arguments.console:
            print(texts.CONSOLE_STARTING)
        try:
            asyncio.run(run_console(settings, MovableClock(), sys.stdin, sys.stdout))
        except KeyboardInterrupt:  # Ctrl-C ends the simulator, not with a traceback
            print(f"\n{texts.CONSOLE_BYE}")
        return 0

    if arguments.workers != 1:
        from bot.workers import run_workers

        return run_workers(settings, arguments.workers, polling=arguments.polling)

    from bot.runtime import BotProcess

    core = open_core(settings, SystemClock())
    channels = [
        name
        for name, on in (("Telegram", settings.has_telegram), ("Zalo", settings.has_zalo))
        if on
    ]
    logging.getLogger(__name__).info("starting %s", " and ".join(channels))

    async def until_stopped() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for stopping in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(stopping, stop.set)
        # Pending updates are kept on restart: they are reports people already sent.
        process = BotProcess(
            settings, core, polling=arguments.polling, reuse_port=arguments.shared_port
        )
        try:
            await process.start()
            await process.run_until(stop)
        finally:
            await process.stop()

    try:
        asyncio.run(until_stopped())
    finally:
        core.close()
    return 0


def _jobs_list(_arguments: argparse.Namespace, settings: Settings) -> int:
    from bot.domain.status import budget_usage
    from jobs.scheduler import Schedule

    core = open_core(settings, SystemClock())
    try:
        last_runs = core.database.run(lambda store: store.job_runs.latest())
        counts = core.database.run(lambda store: store.outbox.counts())
        budgets = core.database.run(lambda store: budget_usage(store, core.policy, core.now()))
    finally:
        core.close()
    planned = Schedule(settings.schedules, core.policy).planned(core.now())
    print(
        texts.cli_jobs_table(
            [(p.job, p.cron, p.next_run) for p in planned],
            {job: (run.period, run.state) for job, run in last_runs.items()},
            settings.timezone,
            uncertain=counts.get("unknown", 0),
            budgets=budgets,
        )
    )
    return 0


def _jobs_run(arguments: argparse.Namespace, settings: Settings) -> int:
    from jobs.outbox import OutboxDispatcher
    from jobs.runner import JobRunner
    from jobs.scheduler import Schedule

    at = _local_time(arguments.at, settings) if arguments.at else None
    clock = FixedClock(at) if at else SystemClock()
    core = open_core(settings, clock)
    # Without --at: the job's latest due slot, so running it again completes that run
    # instead of starting a new period.
    schedule = Schedule(settings.schedules, core.policy)
    slot = at or schedule.last_slot(arguments.name, clock.now()) or clock.now()

    async def run() -> None:
        notifier, close = await _job_notifier(settings, core)
        try:
            dispatcher = OutboxDispatcher(core.database, notifier)
            runner = JobRunner(core, notifier, dispatcher, wall_clock=SystemClock())
            together = schedule.due_with(arguments.name, slot)
            report = await runner.run(arguments.name, slot, together=together)
        finally:
            await close()
        print(
            texts.cli_job_report(
                report.job,
                report.period,
                report.planned_now,
                report.queued,
                vars(report.delivery),
            )
        )

    try:
        asyncio.run(run())
    finally:
        core.close()
    return 0


async def _job_notifier(
    settings: Settings, core: Core
) -> tuple[Notifier | Channels, Callable[[], Awaitable[None]]]:
    """Every configured chat platform; without any, the console (standard output)."""
    if settings.has_telegram or settings.has_zalo:
        from bot.runtime import open_job_channels

        return await open_job_channels(settings, core)
    from bot.channels.console.simulator import ConsoleNotifier, ConsoleState

    async def nothing() -> None:
        return None

    return ConsoleNotifier(sys.stdout, ConsoleState()), nothing


def _export(arguments: argparse.Namespace, settings: Settings) -> int:
    from bot.domain.exports import month_table, week_table
    from bot.domain.weeks import Month, Week

    core = open_core(settings, SystemClock())
    try:
        if arguments.week:
            week = _parsed(Week.from_iso, arguments.week)
            spec = core.database.run(
                lambda store: week_table(store, core.policy, week, as_of=core.now())
            )
        else:
            month = _parsed(Month.from_iso, arguments.month)
            weeks = [w for w in month.weeks() if core.policy.covers(w)]
            spec = core.database.run(
                lambda store: month_table(store, core.policy, month, weeks, as_of=core.now())
            )
        attachment = core.renderer.render(spec)
    finally:
        core.close()
    arguments.output.write_bytes(attachment.content)
    print(texts.cli_exported(str(arguments.output), len(spec.rows) - 1))
    return 0


def _parsed(parse: Callable[[str], T], text: str) -> T:
    try:
        return parse(text)
    except ValueError as error:
        raise SettingsError(texts.cli_bad_period(text)) from error


def _database(settings: Settings) -> Database:
    database = Database(make_engine(settings.database_url))
    if not migrate.is_up_to_date(database.engine):
        database.dispose()
        raise NotInitialised("the database schema is not up to date")
    return database


def _units(_arguments: argparse.Namespace, settings: Settings) -> int:
    database = _database(settings)
    try:
        units = database.run(lambda store: store.units.everything())
    finally:
        database.dispose()
    print(texts.cli_units_table(UnitTree(units).ordered()))
    return 0


def _admins_list(_arguments: argparse.Namespace, settings: Settings) -> int:
    database = _database(settings)
    try:
        granted = database.run(lambda store: store.admins.granted(TELEGRAM))
    finally:
        database.dispose()
    print(texts.cli_admins(sorted(settings.admin_ids), granted))
    return 0


def _admins_grant(arguments: argparse.Namespace, settings: Settings) -> int:
    return _change_admin(arguments, settings, grant=True)


def _admins_revoke(arguments: argparse.Namespace, settings: Settings) -> int:
    return _change_admin(arguments, settings, grant=False)


def _change_admin(arguments: argparse.Namespace, settings: Settings, *, grant: bool) -> int:
    user_id = arguments.user_id.strip()
    if not user_id.lstrip("-").isdigit():
        print(texts.cli_bad_user_id(user_id), file=sys.stderr)
        return EXIT_USAGE
    database = _database(settings)

    def change(store: SqlStore) -> bool:
        if grant:
            return store.admins.grant(arguments.platform, user_id, datetime.now(UTC))
        return store.admins.revoke(arguments.platform, user_id)

    try:
        changed = database.run(change)
    finally:
        database.dispose()
    print(texts.cli_admin_changed(user_id, grant=grant, changed=changed))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""`quizbot` command line: init, run, units, admins."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import re
import signal
import sys
from collections.abc import Awaitable, Callable, Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NoReturn, TypeVar

from bot.bootstrap import initialise, open_core
from bot.cli_base import UsageError, database_of, parsed
from bot.cli_rollout import add_rollout_commands
from bot.clock import FixedClock, MovableClock, SystemClock
from bot.config import TELEGRAM, ZALO, Settings, SettingsError, load_settings
from bot.core import Core, NotInitialised
from bot.domain import wording
from bot.domain.delivery import Channels
from bot.domain.model.entities import Unit
from bot.domain.model.messages import Attachment, TableSpec
from bot.domain.model.tree import UnitTree
from bot.domain.ports import Notifier
from bot.domain.scheduled.table import JOBS
from bot.domain.usecases.unit_table import UnitTableError
from bot.redaction import configure_logging, redact, register_secrets
from bot.storage.repositories import SqlStore

EXIT_USAGE = 2
EXIT_FAILED = 1
PLATFORMS = (TELEGRAM, ZALO)
_ZALO_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
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
        print(wording.cli_bad_settings(str(error)), file=sys.stderr)
    except UnitTableError as error:
        print(wording.cli_bad_units_file(error.problems), file=sys.stderr)
    except FileNotFoundError as error:
        print(wording.cli_missing_file(str(error.filename)), file=sys.stderr)
    except NotInitialised:
        print(wording.CLI_NOT_INITIALISED, file=sys.stderr)
    except UsageError as error:
        print(str(error), file=sys.stderr)
    except BrokenPipeError:
        # `quizbot units | head`: the reader has gone; end quietly, as a shell tool does.
        _silence_stdout()
        return 0
    except Exception as error:  # the one place every other failure ends: never a traceback
        return _failed(error)
    return EXIT_USAGE


def _silence_stdout() -> None:
    """Python flushes stdout at exit; with the pipe closed that would raise again."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())


def _failed(error: Exception) -> int:
    """Any other failure as one redacted Vietnamese line; the traceback, redacted, only
    at DEBUG. The secrets were registered with the logging set-up; when the settings never
    loaded, the environment's token is registered here."""
    register_secrets(
        [os.environ.get(name, "") for name in ("TELEGRAM_BOT_TOKEN", "ZALO_BOT_TOKEN")]
    )
    logging.getLogger(__name__).debug("quizbot stopped", exc_info=error)
    print(
        redact(wording.cli_failed(_failure_kind(error), f"{type(error).__name__}: {error}")),
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


class _Formatter(argparse.HelpFormatter):
    """argparse's help in Vietnamese: its usage line's word (its section titles are set on
    each parser, its help flag is our own)."""

    def add_usage(
        self,
        usage: str | None,
        actions: Iterable[argparse.Action],
        groups: Iterable[argparse._MutuallyExclusiveGroup],
        prefix: str | None = None,
    ) -> None:
        # argparse asks with prefix "" for a subcommand's program name: keep that as it is.
        word = f"{wording.CLI_USAGE_WORD} " if prefix is None else prefix
        super().add_usage(usage, actions, groups, word)


class _Parser(argparse.ArgumentParser):
    """argparse speaks English: its help and its refusals are told in Vietnamese."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", _Formatter)
        kwargs["add_help"] = False
        super().__init__(*args, **kwargs)
        self._positionals.title = wording.CLI_POSITIONALS
        self._optionals.title = wording.CLI_OPTIONALS
        self.add_argument("-h", "--help", action="help", help=wording.CLI_HELP_FLAG)

    def error(self, message: str) -> NoReturn:
        usage = self.format_usage().strip()
        print(wording.cli_usage_error(self.prog, usage), file=sys.stderr)
        raise SystemExit(EXIT_USAGE)


def _subcommand(commands: Any, name: str) -> argparse.ArgumentParser:
    """A subcommand with its one-line description and an example, from the wording."""
    summary, example = wording.CLI_SUBCOMMANDS[name]
    parser: argparse.ArgumentParser = commands.add_parser(
        name.split()[-1],
        help=summary,
        description=summary,
        epilog=f"{wording.CLI_EXAMPLE_WORD} {example}",
    )
    return parser


def _commands(parser: argparse.ArgumentParser, dest: str) -> Any:
    return parser.add_subparsers(
        dest=dest, required=True, title=wording.CLI_COMMANDS_TITLE, metavar=wording.CLI_COMMAND_WORD
    )


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="quizbot",
        description=wording.CLI_DESCRIPTION,
        epilog=f"{wording.CLI_EXAMPLE_WORD} quizbot init && quizbot run",
    )
    commands = _commands(parser, "command")

    _subcommand(commands, "init").set_defaults(handler=_init)
    run = _subcommand(commands, "run")
    run.add_argument("--console", action="store_true", help=wording.CLI_HELP_CONSOLE)
    run.add_argument("--polling", action="store_true", help=wording.CLI_HELP_POLLING)
    run.add_argument("--workers", type=int, default=1, metavar="N", help=wording.CLI_HELP_WORKERS)
    # Set by `--workers N` on the workers it starts: they share the web server's port.
    run.add_argument("--shared-port", action="store_true", help=argparse.SUPPRESS)
    run.set_defaults(handler=_run)
    units = _subcommand(commands, "units")
    units.add_argument("--missing", action="store_true", help=wording.CLI_HELP_MISSING)
    units.set_defaults(handler=_units)

    jobs = _subcommand(commands, "jobs")
    job_actions = _commands(jobs, "action")
    _subcommand(job_actions, "jobs list").set_defaults(handler=_jobs_list)
    run_job = _subcommand(job_actions, "jobs run")
    run_job.add_argument("name", metavar=wording.CLI_JOB_NAME, help=wording.CLI_HELP_JOB_NAME)
    run_job.add_argument("--at", metavar=wording.CLI_TIME_WORD, help=wording.CLI_HELP_AT)
    run_job.set_defaults(handler=_jobs_run)

    export = _subcommand(commands, "export")
    period = export.add_mutually_exclusive_group(required=True)
    period.add_argument("--week", metavar="NĂM-WTUẦN", help=wording.CLI_HELP_WEEK)
    period.add_argument("--month", metavar="NĂM-THÁNG", help=wording.CLI_HELP_MONTH)
    period.add_argument("--campaign", type=int, metavar="SỐ", help=wording.CLI_HELP_EXPORT_CAMPAIGN)
    export.add_argument(
        "-o", "--output", required=True, type=Path, metavar="TỆP", help=wording.CLI_HELP_OUTPUT
    )
    export.set_defaults(handler=_export)

    add_rollout_commands(commands, _subcommand)

    admins = _subcommand(commands, "admins")
    admin_actions = _commands(admins, "action")
    _subcommand(admin_actions, "admins list").set_defaults(handler=_admins_list)
    for action, handler in (("grant", _admins_grant), ("revoke", _admins_revoke)):
        sub = _subcommand(admin_actions, f"admins {action}")
        sub.add_argument("user_id", metavar="ID", help=wording.CLI_HELP_USER_ID)
        sub.add_argument(
            "--platform", default=TELEGRAM, metavar="NỀN_TẢNG", help=wording.CLI_HELP_PLATFORM
        )
        if action == "grant":
            sub.add_argument("--unit", metavar="MÃ", help=wording.CLI_HELP_UNIT)
        sub.set_defaults(handler=handler)
    return parser


def _local_time(text: str, settings: Settings) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as error:
        raise UsageError(wording.cli_bad_time(text)) from error
    return moment if moment.tzinfo else moment.replace(tzinfo=settings.timezone)


def _is_console(arguments: argparse.Namespace, settings: Settings) -> bool:
    """Also `jobs`: an operator's command prints its own Vietnamese lines, not log lines."""
    return arguments.command == "jobs" or (
        arguments.command == "run"
        and (arguments.console or not (settings.has_telegram or settings.has_zalo))
    )


def _init(_arguments: argparse.Namespace, settings: Settings) -> int:
    campaign, counts = initialise(settings)
    print(wording.cli_initialised(campaign, counts))
    return 0


def _run(arguments: argparse.Namespace, settings: Settings) -> int:
    if _is_console(arguments, settings):
        from bot.bootstrap import run_console

        if not arguments.console:
            print(wording.CONSOLE_STARTING)
        try:
            asyncio.run(run_console(settings, MovableClock(), sys.stdin, sys.stdout))
        except KeyboardInterrupt:  # Ctrl-C ends the simulator, not with a traceback
            print(f"\n{wording.CONSOLE_BYE}")
        return 0

    if arguments.workers != 1:
        from bot.cluster.workers import run_workers

        return run_workers(settings, arguments.workers, polling=arguments.polling)

    from bot.bootstrap import BotProcess

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
    from bot.domain.usecases.status import budget_usage
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
        wording.cli_jobs_table(
            [(p.job, p.cron, p.next_run) for p in planned],
            {job: (run.slot, run.state) for job, run in last_runs.items()},
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

    if arguments.name not in JOBS:
        raise UsageError(wording.cli_unknown_job(arguments.name))
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
            wording.cli_job_report(
                report.job,
                slot,
                settings.timezone,
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
        from bot.bootstrap import open_job_channels

        return await open_job_channels(settings, core)
    from bot.channels.console.simulator import ConsoleNotifier, ConsoleState

    async def nothing() -> None:
        return None

    return ConsoleNotifier(sys.stdout, ConsoleState()), nothing


def _export(arguments: argparse.Namespace, settings: Settings) -> int:
    from bot.domain.model.weeks import Month, Week
    from bot.domain.usecases.exports import month_table, week_table

    folder = arguments.output.parent
    if not folder.is_dir():
        raise UsageError(wording.cli_no_folder(str(folder)))
    if arguments.campaign is not None:
        return _export_campaign(arguments, settings)
    if arguments.week:
        week = parsed(Week.from_iso, arguments.week, wording.cli_bad_week)
    else:
        month = parsed(Month.from_iso, arguments.month, wording.cli_bad_month)
    core = open_core(settings, SystemClock())
    try:
        campaign = core.policy.campaign
        if arguments.week:
            if not core.policy.covers(week):
                raise UsageError(wording.cli_week_outside_campaign(week, campaign))
            spec = core.database.run(
                lambda store: week_table(store, core.policy, week, as_of=core.now())
            )
        else:
            weeks = [w for w in month.weeks() if core.policy.covers(w)]
            if not weeks:
                raise UsageError(wording.cli_month_outside_campaign(month, campaign))
            spec = core.database.run(
                lambda store: month_table(store, core.policy, month, weeks, as_of=core.now())
            )
        attachment = core.renderer.render(spec)
    finally:
        core.close()
    return _written(arguments.output, attachment, spec)


def _export_campaign(arguments: argparse.Namespace, settings: Settings) -> int:
    """A whole campaign, past or running, with its own quotas."""
    from bot.domain.usecases.campaigns import campaign_table

    core = open_core(settings, SystemClock())
    try:
        now = core.now()
        campaign = core.database.run(lambda store: store.campaigns.get(arguments.campaign))
        if campaign is None:
            raise UsageError(wording.cli_unknown_campaign(arguments.campaign))
        today = now.astimezone(settings.timezone).date()
        spec = core.database.run(
            lambda store: campaign_table(store, core.policy, campaign, today, as_of=now)
        )
        attachment = core.renderer.render(spec)
    finally:
        core.close()
    return _written(arguments.output, attachment, spec)


def _written(output: Path, attachment: Attachment, spec: TableSpec) -> int:
    output.write_bytes(attachment.content)
    print(wording.cli_exported(str(output), len(spec.rows) - 1))
    return 0


def _units(arguments: argparse.Namespace, settings: Settings) -> int:
    from bot.domain.usecases.coverage import reached_units, without_reporter

    database = database_of(settings)
    try:
        units, reached = database.run(
            lambda store: (store.units.everything(), reached_units(store))
        )
    finally:
        database.dispose()
    if arguments.missing:
        active = UnitTree(unit for unit in units if unit.active)
        missing = without_reporter(active, reached)
        print(wording.cli_missing_units(missing, active.by_code))
    else:
        print(wording.cli_units_table(UnitTree(units).ordered()))
    return 0


def _admins_list(_arguments: argparse.Namespace, settings: Settings) -> int:
    database = database_of(settings)
    try:

        def granted_by_platform(store: SqlStore) -> dict[str, list[tuple[str, Unit | None]]]:
            found: dict[str, list[tuple[str, Unit | None]]] = {}
            for grant in store.admins.grants():
                unit = store.units.get(grant.unit_code) if grant.unit_code else None
                found.setdefault(grant.platform, []).append((grant.user_id, unit))
            return found

        granted = database.run(granted_by_platform)
    finally:
        database.dispose()
    configured = {TELEGRAM: sorted(settings.admin_ids), ZALO: sorted(settings.zalo_admin_ids)}
    print(wording.cli_admins(configured, granted))
    return 0


def _admins_grant(arguments: argparse.Namespace, settings: Settings) -> int:
    return _change_admin(arguments, settings, grant=True)


def _admins_revoke(arguments: argparse.Namespace, settings: Settings) -> int:
    return _change_admin(arguments, settings, grant=False)


def _change_admin(arguments: argparse.Namespace, settings: Settings, *, grant: bool) -> int:
    user_id = arguments.user_id.strip()
    platform = arguments.platform.strip().lower()
    if platform not in PLATFORMS:
        raise UsageError(wording.cli_bad_platform(arguments.platform, PLATFORMS))
    # Telegram's ids are numbers; Zalo's are strings of letters and digits.
    valid = user_id.lstrip("-").isdigit() if platform == TELEGRAM else _ZALO_ID.fullmatch(user_id)
    if not valid:
        raise UsageError(wording.cli_bad_user_id(user_id, platform))
    code = (getattr(arguments, "unit", None) or "").strip().upper() or None
    database = database_of(settings)

    def change(store: SqlStore) -> tuple[bool, Unit | None]:
        unit = store.units.get(code) if code else None
        if code and (unit is None or not unit.active):
            raise UsageError(wording.cli_unknown_unit(code))
        if grant:
            return store.admins.grant(platform, user_id, datetime.now(UTC), code), unit
        return store.admins.revoke(platform, user_id), None

    try:
        changed, unit = database.run(change)
    finally:
        database.dispose()
    print(wording.cli_admin_changed(user_id, platform, grant=grant, changed=changed, unit=unit))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

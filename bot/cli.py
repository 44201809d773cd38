"""`quizbot` command line: init, run, units, admins."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Sequence
from datetime import UTC, datetime

from bot.app import NotInitialised, initialise, open_core
from bot.clock import MovableClock, SystemClock
from bot.config import TELEGRAM, Settings, SettingsError, load_settings
from bot.domain import texts
from bot.domain.status import tree_order
from bot.domain.units import UnitTableError
from bot.redaction import configure_logging
from bot.storage import migrate
from bot.storage.database import Database, make_engine
from bot.storage.repositories import SqlStore

EXIT_USAGE = 2


def main(argv: Sequence[str] | None = None) -> int:
    arguments = _parser().parse_args(argv)
    try:
        settings = load_settings()
        configure_logging(
            "WARNING" if _is_console(arguments, settings) else settings.log_level,
            [settings.telegram_token.reveal()],
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
    return EXIT_USAGE


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="quizbot", description=texts.CLI_DESCRIPTION)
    commands = parser.add_subparsers(dest="command", required=True)

    commands.add_parser("init", help=texts.CLI_HELP_INIT).set_defaults(handler=_init)
    run = commands.add_parser("run", help=texts.CLI_HELP_RUN)
    run.add_argument("--console", action="store_true", help=texts.CLI_HELP_CONSOLE)
    run.set_defaults(handler=_run)
    commands.add_parser("units", help=texts.CLI_HELP_UNITS).set_defaults(handler=_units)

    admins = commands.add_parser("admins", help=texts.CLI_HELP_ADMINS)
    admin_actions = admins.add_subparsers(dest="action", required=True)
    admin_actions.add_parser("list").set_defaults(handler=_admins_list)
    for action, handler in (("grant", _admins_grant), ("revoke", _admins_revoke)):
        sub = admin_actions.add_parser(action)
        sub.add_argument("user_id")
        sub.add_argument("--platform", default=TELEGRAM)
        sub.set_defaults(handler=handler)
    return parser


def _is_console(arguments: argparse.Namespace, settings: Settings) -> bool:
    return arguments.command == "run" and (arguments.console or not settings.has_telegram)


def _init(_arguments: argparse.Namespace, settings: Settings) -> int:
    campaign, counts = initialise(settings)
    print(texts.cli_initialised(campaign, counts))
    return 0


def _run(arguments: argparse.Namespace, settings: Settings) -> int:
    if _is_console(arguments, settings):
        from bot.channels.console.simulator import ConsoleSimulator

        if not arguments.console:
            print(texts.CONSOLE_STARTING)
        clock = MovableClock()
        core = open_core(settings, clock, console=True)
        try:
            asyncio.run(ConsoleSimulator(core, clock, sys.stdin, sys.stdout).run())
        finally:
            core.close()
        return 0

    from telegram import Update

    from bot.channels.telegram.app import build_application

    core = open_core(settings, SystemClock())
    logging.getLogger(__name__).info("starting Telegram polling")
    # Pending updates are kept on restart: they are reports people already sent.
    build_application(settings, core).run_polling(
        allowed_updates=Update.ALL_TYPES, drop_pending_updates=False
    )
    return 0


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
    print(texts.cli_units_table(tree_order(units)))
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

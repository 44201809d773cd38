"""`quizbot invite` and `quizbot campaign new|list|end`: rolling out and campaigns."""

from __future__ import annotations

import argparse
import csv
import io
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any

from bot.cli_base import UsageError, database_of, parsed
from bot.config import Settings
from bot.core import switch_campaign
from bot.domain import wording
from bot.domain.model.entities import Campaign
from bot.domain.usecases.campaigns import current_campaign, overlapping
from bot.storage.repositories import SqlStore
from bot.storage.seed import decode_units_file, read_units_file

# The largest weekly quota a file may give (as units.csv).
MAX_QUOTA = 1_000_000
Subcommand = Callable[[Any, str], argparse.ArgumentParser]


def add_rollout_commands(commands: Any, subcommand: Subcommand) -> None:
    invite = subcommand(commands, "invite")
    which = invite.add_mutually_exclusive_group(required=True)
    which.add_argument("--unit", metavar="MÃ", help=wording.CLI_HELP_INVITE_UNIT)
    which.add_argument("--all", action="store_true", help=wording.CLI_HELP_INVITE_ALL)
    which.add_argument("--missing", action="store_true", help=wording.CLI_HELP_INVITE_MISSING)
    invite.add_argument(
        "--out", required=True, type=Path, metavar="THƯ_MỤC", help=wording.CLI_HELP_INVITE_OUT
    )
    invite.add_argument(
        "--uses", type=int, default=3, metavar="N", help=wording.CLI_HELP_INVITE_USES
    )
    invite.set_defaults(handler=_invite)

    campaign = subcommand(commands, "campaign")
    actions = campaign.add_subparsers(
        dest="action",
        required=True,
        title=wording.CLI_COMMANDS_TITLE,
        metavar=wording.CLI_COMMAND_WORD,
    )
    new = subcommand(actions, "campaign new")
    new.add_argument("--name", required=True, metavar="TÊN", help=wording.CLI_HELP_CAMPAIGN_NAME)
    new.add_argument("--start", required=True, metavar="NGÀY", help=wording.CLI_HELP_CAMPAIGN_START)
    new.add_argument("--end", required=True, metavar="NGÀY", help=wording.CLI_HELP_CAMPAIGN_END)
    new.add_argument(
        "--metric", default="lượt dự thi", metavar="TÊN", help=wording.CLI_HELP_CAMPAIGN_METRIC
    )
    new.add_argument("--quotas", type=Path, metavar="TỆP", help=wording.CLI_HELP_CAMPAIGN_QUOTAS)
    new.set_defaults(handler=_campaign_new)
    subcommand(actions, "campaign list").set_defaults(handler=_campaign_list)
    end = subcommand(actions, "campaign end")
    end.add_argument("--id", type=int, metavar="SỐ", help=wording.CLI_HELP_CAMPAIGN_ID)
    end.set_defaults(handler=_campaign_end)


def _invite(arguments: argparse.Namespace, settings: Settings) -> int:
    from bot.invite_cards import UnknownUnit, write_invitations

    folder: Path = arguments.out
    if folder.exists() and not folder.is_dir():
        raise UsageError(wording.cli_no_folder(str(folder)))
    if not 1 <= arguments.uses <= 100:
        raise UsageError(wording.invite_bad_uses(100))
    folder.mkdir(parents=True, exist_ok=True)
    code = arguments.unit.strip().upper() if arguments.unit else None
    database = database_of(settings)
    try:
        written = write_invitations(
            database,
            settings,
            folder,
            unit_code=code,
            missing_only=arguments.missing,
            uses=arguments.uses,
        )
    except UnknownUnit as error:
        raise UsageError(wording.cli_unknown_unit(str(error))) from error
    finally:
        database.dispose()
    if written.count == 0:
        print(wording.CLI_INVITE_NOTHING)
    else:
        print(
            wording.cli_invites_written(
                written.count, str(folder), str(written.sheet), with_links=written.with_links
            )
        )
    return 0


def _today(settings: Settings) -> date:
    return datetime.now(settings.timezone).date()


def _campaign_new(arguments: argparse.Namespace, settings: Settings) -> int:
    start = parsed(
        date.fromisoformat, arguments.start, lambda raw: wording.setting_not_date("--start", raw)
    )
    end = parsed(
        date.fromisoformat, arguments.end, lambda raw: wording.setting_not_date("--end", raw)
    )
    if end < start:
        raise UsageError(wording.cli_campaign_bad_dates())
    name = arguments.name.strip()
    quotas = {unit.code: unit.weekly_quota for unit in read_units_file(settings.units_file)}
    if arguments.quotas is not None:
        quotas |= read_quota_file(arguments.quotas, set(quotas))
    database = database_of(settings)

    def create(store: SqlStore) -> Campaign:
        if store.campaigns.by_name(name) is not None:
            raise UsageError(wording.cli_campaign_name_taken(name))
        other = overlapping(store.campaigns.all(), start, end)
        if other is not None:
            raise UsageError(wording.cli_campaign_overlaps(other))
        source = "file" if arguments.quotas is not None else "units"
        campaign = store.campaigns.create(
            name, start, end, arguments.metric.strip(), quotas_from=source
        )
        known = {unit.code for unit in store.units.everything()}
        store.campaigns.set_quotas(
            campaign.id, {code: q for code, q in quotas.items() if code in known}
        )
        switch_campaign(store, _today(settings))
        return campaign

    try:
        campaign = database.run(create)
    finally:
        database.dispose()
    print(wording.cli_campaign_created(campaign, arguments.quotas is not None))
    return 0


def read_quota_file(path: Path, known: set[str]) -> dict[str, int]:
    """`code,weekly_quota` rows (a header line is allowed); every problem is refused with
    its line. Units the file leaves out keep units.csv's quota."""
    text = decode_units_file(path.read_bytes())
    quotas: dict[str, int] = {}
    problems = []
    # A header names the columns (units.csv itself will do: its weekly_quota is read).
    quota_column = 1
    for number, row in enumerate(csv.reader(io.StringIO(text)), 1):
        if not row or not "".join(row).strip():
            continue
        if number == 1 and row[0].strip().lower() == "code":
            names = [cell.strip().lower() for cell in row]
            quota_column = names.index("weekly_quota") if "weekly_quota" in names else 1
            continue
        code = row[0].strip().upper()
        raw = row[quota_column].strip() if len(row) > quota_column else ""
        if code not in known:
            problems.append(wording.quota_line_unknown_unit(number, code))
        elif not raw.isdigit() or int(raw) > MAX_QUOTA:
            problems.append(wording.quota_line_not_a_quota(number, raw, MAX_QUOTA))
        else:
            quotas[code] = int(raw)
    if problems:
        raise UsageError("\n".join(problems))
    return quotas


def _campaign_list(_arguments: argparse.Namespace, settings: Settings) -> int:
    database = database_of(settings)
    try:
        campaigns = database.run(lambda store: store.campaigns.all())
    finally:
        database.dispose()
    print(wording.cli_campaigns(campaigns, _today(settings)))
    return 0


def _campaign_end(arguments: argparse.Namespace, settings: Settings) -> int:
    today = _today(settings)
    database = database_of(settings)

    def end(store: SqlStore) -> Campaign:
        if arguments.id is not None:
            campaign = store.campaigns.get(arguments.id)
            if campaign is None:
                raise UsageError(wording.cli_unknown_campaign(arguments.id))
        else:
            campaign = current_campaign(store.campaigns.all(), today)
        if not campaign.exists or campaign.state(today) != "running":
            raise UsageError(wording.CLI_NO_RUNNING_CAMPAIGN)
        store.campaigns.end(campaign.id, today)
        switch_campaign(store, today)
        return campaign

    try:
        campaign = database.run(end)
    finally:
        database.dispose()
    print(wording.cli_campaign_ended(campaign, today))
    return 0

"""`quizbot invite`: invitations for one unit, every unit or the units nobody reports for,
each with a card to print or forward (PNG, QR code of the Telegram link) and one spreadsheet
listing them all."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from bot.config import Settings
from bot.domain import wording
from bot.domain.model.entities import Invitation, Person, Unit, UnitKind
from bot.domain.model.messages import TableSpec
from bot.domain.model.tree import UnitTree
from bot.domain.ports import Store
from bot.domain.usecases.coverage import reached_units, without_reporter
from bot.domain.usecases.invitations import DEFAULT_USES, create_invitation, deep_link
from bot.render.cards import render_card
from bot.render.spreadsheet import render_table
from bot.storage.database import Database

# Who made an invitation written on the command line (the operator, not a chat user).
OPERATOR = Person("operator", "quizbot", "quizbot invite")


class UnknownUnit(ValueError):
    pass


@dataclass(frozen=True)
class Written:
    count: int
    sheet: Path
    with_links: bool


def write_invitations(
    database: Database,
    settings: Settings,
    folder: Path,
    *,
    unit_code: str | None,
    missing_only: bool,
    uses: int = DEFAULT_USES,
) -> Written:
    """Make the invitations in one unit of work, then draw their cards and their list."""
    username = telegram_username(settings)
    now = datetime.now(UTC)

    def make(store: Store) -> list[tuple[Unit, Invitation]]:
        tree = UnitTree(store.units.active())
        if unit_code is not None:
            unit = tree.by_code.get(unit_code)
            if unit is None:
                raise UnknownUnit(unit_code)
            chosen = [unit]
        elif missing_only:
            chosen = without_reporter(tree, reached_units(store))
        else:
            chosen = [u for _, u in tree.ordered() if u.kind is not UnitKind.DISTRICT]
        return [
            (unit, create_invitation(store, unit, uses, OPERATOR, now, settings.invite_days))
            for unit in chosen
        ]

    made = database.run(make)
    parents = database.run(lambda store: {unit.code: unit for unit in store.units.active()})
    rows = []
    for unit, invitation in made:
        link = deep_link(username, invitation.code)
        card = render_card(
            wording.card_title(unit),
            wording.card_code_line(invitation.code),
            link or invitation.code,
            wording.card_steps(invitation, link, settings.timezone),
        )
        (folder / wording.card_file(unit)).write_bytes(card)
        parent = parents.get(unit.parent or "")
        expires = invitation.expires_at.astimezone(settings.timezone)
        rows.append(
            (
                unit.code,
                unit.name,
                parent.code if parent else "",
                invitation.code,
                link or "",
                invitation.max_uses,
                wording.invite_expiry(expires),
                wording.card_file(unit),
            )
        )
    sheet = folder / wording.INVITES_FILE
    table = TableSpec(
        wording.INVITES_FILE, wording.INVITES_SHEET, wording.INVITES_COLUMNS, tuple(rows)
    )
    sheet.write_bytes(render_table(table).content)
    return Written(len(made), sheet, username is not None)


def telegram_username(settings: Settings) -> str | None:
    """The bot's username from Telegram's getMe (for the deep link); None without Telegram."""
    if not settings.has_telegram:
        return None
    from telegram import Bot

    async def ask() -> str | None:
        base = settings.telegram_api_base_url
        async with Bot(settings.telegram_token.reveal(), base_url=f"{base}/bot") as bot:
            return bot.username

    return asyncio.run(ask())

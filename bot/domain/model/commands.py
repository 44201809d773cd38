"""Command names: the canonical (English) name first, then its aliases (Vietnamese first).

Telegram and the console register exactly these, so the conversation is the same everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Audience(StrEnum):
    """Who a help line is for."""

    EVERYONE = "everyone"
    # Not registered and not an admin.
    NEWCOMER = "newcomer"
    # A unit's secretary (admins see these lines too).
    SECRETARY = "secretary"
    ADMIN = "admin"


@dataclass(frozen=True)
class Command:
    """One command: its canonical (English) name, its aliases (the Vietnamese one shown to
    people first), whether it is in Telegram's "/" menu, and its help lines (keys of
    wording.HELP_LINES) for each audience. The parser, /huongdan and the menu all read this."""

    name: str
    aliases: tuple[str, ...]
    menu: bool = False
    help: tuple[tuple[Audience, str], ...] = ()

    @property
    def shown(self) -> str:
        """The name people see: the first Vietnamese alias."""
        return next((alias for alias in self.aliases if alias != self.name), self.name)


COMMAND_TABLE: tuple[Command, ...] = (
    Command("start", ("huongdan", "start", "help"), True, ((Audience.EVERYONE, "start"),)),
    Command(
        "status",
        ("tiendo", "status"),
        True,
        (
            (Audience.EVERYONE, "status"),
            (Audience.ADMIN, "status.all"),
            (Audience.ADMIN, "status.unit"),
        ),
    ),
    Command(
        "history",
        ("lichsu", "history"),
        True,
        ((Audience.EVERYONE, "history"), (Audience.ADMIN, "history.unit")),
    ),
    Command(
        "register",
        ("dangky", "register"),
        True,
        ((Audience.NEWCOMER, "register"), (Audience.ADMIN, "register.group")),
    ),
    Command(
        "report",
        ("bc", "baocao", "report"),
        True,
        (
            (Audience.SECRETARY, "report.add"),
            (Audience.SECRETARY, "report.set"),
            (Audience.SECRETARY, "report.last_week"),
            (Audience.ADMIN, "report.for_unit"),
        ),
    ),
    Command("undo", ("huy", "undo"), True, ((Audience.SECRETARY, "undo"),)),
    Command(
        "monthly",
        ("baocaothang", "monthly"),
        True,
        ((Audience.SECRETARY, "free_text"), (Audience.SECRETARY, "monthly")),
    ),
    Command(
        "readreport",
        ("xembaocao", "readreport"),
        False,
        ((Audience.SECRETARY, "readreport"), (Audience.ADMIN, "readreport.admin")),
    ),
    Command("approve", ("duyet", "approve"), False, ((Audience.ADMIN, "approve"),)),
    Command("reject", ("tuchoi", "reject")),
    Command("units", ("donvi", "units"), False, ((Audience.ADMIN, "units"),)),
    Command("subscribe", ("dangkynhan", "subscribe"), False, ((Audience.ADMIN, "subscribe"),)),
    Command("unsubscribe", ("huynhan", "unsubscribe"), False, ((Audience.ADMIN, "unsubscribe"),)),
    Command("export", ("xuat", "export"), False, ((Audience.ADMIN, "export"),)),
    Command("board", ("bangtin", "board"), True, ((Audience.EVERYONE, "board"),)),
    Command("unboard", ("huybangtin", "unboard")),
    Command("campaign", ("cuocthi", "campaign"), False, ((Audience.ADMIN, "campaign"),)),
    Command("announce", ("thongbao", "announce"), False, ((Audience.ADMIN, "announce"),)),
    Command("invite", ("moi", "invite"), False, ((Audience.ADMIN, "invite"),)),
    Command("uninvite", ("huymoi", "uninvite")),
    Command("grant", ("capquyen", "grant"), False, ((Audience.ADMIN, "grant"),)),
    Command("revoke", ("thuhoiquyen", "revoke")),
)
COMMANDS: dict[str, tuple[str, ...]] = {command.name: command.aliases for command in COMMAND_TABLE}


def help_lines(audiences: frozenset[Audience]) -> list[str]:
    """The help line keys for these audiences, in the table's order."""
    return [key for command in COMMAND_TABLE for who, key in command.help if who in audiences]


def menu() -> list[str]:
    """The commands of Telegram's "/" menu, by the names people see."""
    return [command.shown for command in COMMAND_TABLE if command.menu]


_ALIASES = {alias: name for name, aliases in COMMANDS.items() for alias in aliases}

# Commands whose edited message means something (an edit revises the report it carried).
EDITABLE = frozenset({"report"})


def canonical(name: str) -> str | None:
    """'/BC@quizbot' -> 'report'; None for a command the bot does not know."""
    bare = name.lstrip("/").split("@", 1)[0].lower()
    return _ALIASES.get(bare)


def split_command(text: str) -> tuple[str | None, tuple[str, ...]]:
    """'/bc 45 tuantruoc' -> ('report', ('45', 'tuantruoc')); (None, ()) for anything else,
    unknown commands included (they are then read as free text)."""
    if not text.startswith("/"):
        return None, ()
    head, *rest = text.split()
    command = canonical(head)
    return (command, tuple(rest)) if command is not None else (None, ())

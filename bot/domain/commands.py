"""Command names: the canonical (English) name first, then its aliases (Vietnamese first).

Telegram and the console register exactly these, so the conversation is the same everywhere.
"""

from __future__ import annotations

COMMANDS: dict[str, tuple[str, ...]] = {
    "start": ("start", "help", "huongdan"),
    "register": ("register", "dangky"),
    "approve": ("approve", "duyet"),
    "reject": ("reject", "tuchoi"),
    "report": ("report", "bc", "baocao"),
    "undo": ("undo", "huy"),
    "status": ("status", "tiendo"),
    "history": ("history", "lichsu"),
    "units": ("units", "donvi"),
    "monthly": ("monthly", "baocaothang"),
    "readreport": ("readreport", "xembaocao"),
    "subscribe": ("subscribe", "dangkynhan"),
    "unsubscribe": ("unsubscribe", "huynhan"),
    "export": ("export", "xuat"),
}

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

"""What every callback of the Telegram channel reaches, typed (python-telegram-bot's
`bot_data` through `ContextTypes`, instead of a dict keyed by strings)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeAlias

from telegram.ext import Application, CallbackContext, ContextTypes, ExtBot

if TYPE_CHECKING:
    from bot.channels.telegram.notifier import TelegramNotifier
    from bot.core import Core


class Unbound(RuntimeError):
    """The channel was built without its core (a programming error, not a user's)."""


class BotData:
    """python-telegram-bot makes this with no arguments; `build_application` binds it."""

    def __init__(self) -> None:
        self._core: Core | None = None
        self._notifier: TelegramNotifier | None = None
        # Services started after the bot and stopped before it (the scheduler, for one).
        self.on_start: list[Hook] = []
        self.on_stop: list[Hook] = []
        # The scheduled side when it runs with this application alone (tests wait on it).
        self.jobs: Any = None

    def bind(self, core: Core, notifier: TelegramNotifier) -> None:
        self._core, self._notifier = core, notifier

    @property
    def core(self) -> Core:
        if self._core is None:
            raise Unbound("the Telegram application has no core")
        return self._core

    @property
    def notifier(self) -> TelegramNotifier:
        if self._notifier is None:
            raise Unbound("the Telegram application has no notifier")
        return self._notifier


# ExtBot[int]: the bot has a rate limiter (its argument type int); no job queue: the
# scheduled side runs on its own scheduler (jobs/).
Context: TypeAlias = CallbackContext[ExtBot[int], dict[Any, Any], dict[Any, Any], BotData]
TelegramApp: TypeAlias = Application[
    ExtBot[int], Context, dict[Any, Any], dict[Any, Any], BotData, None
]
Hook = Callable[[TelegramApp], Awaitable[None]]
CONTEXT_TYPES = ContextTypes(bot_data=BotData)

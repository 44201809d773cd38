"""Which notifier delivers a message: the one of its chat's platform (as httpx picks a
transport by URL). Each notifier owns its limits, its start and its close."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from bot.domain.messages import Outbound
from bot.domain.ports import Notifier


class Channels:
    """The notifiers of a running bot, one per platform."""

    def __init__(self, notifiers: Iterable[Notifier]) -> None:
        self._by_platform = {notifier.platform: notifier for notifier in notifiers}

    @classmethod
    def of(cls, notifiers: Notifier | Channels | Iterable[Notifier]) -> Channels:
        if isinstance(notifiers, Channels):
            return notifiers
        if isinstance(notifiers, Iterable):
            return cls(notifiers)
        return cls([notifiers])

    @property
    def platforms(self) -> list[str]:
        return sorted(self._by_platform)

    def get(self, platform: str) -> Notifier | None:
        return self._by_platform.get(platform)

    def __iter__(self) -> Iterator[Notifier]:
        return iter(self._by_platform.values())

    def parts(self, message: Outbound) -> list[Outbound]:
        """The separate sends of a message on its platform; a message for a platform the bot
        does not serve stays whole (the outbox records it as undeliverable)."""
        notifier = self.get(message.chat.platform)
        return notifier.parts(message) if notifier is not None else [message]

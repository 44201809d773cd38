"""Which notifier delivers a message: the one of its chat's platform (as httpx picks a
transport by URL). Each notifier owns its limits, its start and its close, and declares what
its platform can show; the domain adds the text fallback where a capability is missing."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import replace

from bot.domain.model.messages import (
    Attachment,
    Capabilities,
    RenderedMessage,
    Send,
    StoredFile,
    as_type,
    single_sends,
)
from bot.domain.model.textsplit import split_message
from bot.domain.ports import Notifier
from bot.domain.rendering import buttons_as_text, plain_text

# A platform the bot does not serve: nothing special (its messages are recorded undeliverable).
UNSERVED = Capabilities(
    buttons=False, edits=False, max_text=4000, markup="plain", documents=False, photos_by_url=False
)


def sends_for(message: RenderedMessage, capabilities: Capabilities) -> list[Send]:
    """A message as the separate sends a platform with these capabilities needs: each text
    part on its own, then each file; buttons and edits replaced where missing."""
    if not capabilities.buttons:
        message = buttons_as_text(message)
    if not capabilities.edits and message.edit_message_id is not None:
        message = replace(message, edit_message_id=None)
    if capabilities.markup == "plain":
        return single_sends(
            message, lambda text: split_message(plain_text(text), capabilities.max_text)
        )
    return single_sends(message, lambda text: split_message(text, capabilities.max_text))


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

    def capabilities(self, platform: str) -> Capabilities:
        """What a chat of the platform can show (nothing special where the bot does not
        serve it)."""
        notifier = self.get(platform)
        if notifier is None:
            return UNSERVED
        return notifier.capabilities

    async def fetch(self, file: StoredFile) -> Attachment | None:
        """The content of a file its platform keeps (None when that platform's notifier
        cannot fetch it, or the file is too big to pass on)."""
        notifier = self.get(file.platform or "")
        fetch = getattr(notifier, "fetch", None)
        return await fetch(file) if fetch is not None else None

    def parts(self, message: RenderedMessage) -> list[Send]:
        """The separate sends of a message on its platform; a message for a platform the bot
        does not serve stays whole (the outbox records it as undeliverable)."""
        notifier = self.get(message.chat.platform)
        return notifier.parts(message) if notifier is not None else [as_type(Send, message)]

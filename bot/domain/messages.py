"""Neutral inbound and outbound messages: what every channel turns its platform's updates into."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from bot.domain.model import ChatRef, MessageRef, Person


class ChatKind(StrEnum):
    PRIVATE = "private"
    GROUP = "group"


@dataclass(frozen=True)
class Inbound:
    """A message, an edit or a button press, as the domain sees it."""

    sender: Person
    chat: ChatRef
    chat_kind: ChatKind
    sent_at: datetime
    text: str = ""
    # Canonical command name ("report", "status", ...) or None for free text.
    command: str | None = None
    args: tuple[str, ...] = ()
    message_id: str | None = None
    # Set when this is an edit of an earlier message; the platform's edit timestamp.
    edited_at: datetime | None = None
    # Free text in a group counts only when it answers the bot.
    replies_to_bot: bool = False
    # Set for a button press: the bot message that carried the button.
    button_message_id: str | None = None

    @property
    def source(self) -> MessageRef | None:
        if self.message_id is None:
            return None
        return MessageRef(self.chat.platform, self.chat.chat_id, self.message_id)

    @property
    def is_private(self) -> bool:
        return self.chat_kind is ChatKind.PRIVATE


@dataclass(frozen=True)
class Button:
    label: str
    command: str
    argument: str


@dataclass(frozen=True)
class Attachment:
    filename: str
    content: bytes
    # "photo" is shown inline (a chart); "document" is a file to download (a spreadsheet).
    kind: str = "document"


@dataclass(frozen=True)
class Outbound:
    """A message for one chat. `text` is HTML-lite: only <b> and <i>, user text escaped."""

    chat: ChatRef
    text: str
    buttons: tuple[Button, ...] = ()
    reply_to: str | None = None
    # Replace the text of this earlier bot message instead of sending a new one.
    edit_message_id: str | None = None
    attachments: tuple[Attachment, ...] = field(default=())


class DeliveryStatus(StrEnum):
    DELIVERED = "delivered"
    # The chat blocked the bot, was deleted, or the bot was removed: stop writing to it.
    CHAT_GONE = "chat_gone"
    # A group became a supergroup under a new id; `Delivery.new_chat_id` holds it.
    MIGRATED = "migrated"


@dataclass(frozen=True)
class Delivery:
    status: DeliveryStatus
    new_chat_id: str | None = None

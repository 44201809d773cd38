"""Neutral inbound and outbound messages: what every channel turns its platform's updates into."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, fields
from datetime import datetime
from enum import StrEnum
from typing import Any, TypeVar

from bot.domain.model.entities import ChatRef, MessageRef, Person

M = TypeVar("M", bound="Outbound")


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
    # A document sent with the message (its caption is then `text`).
    document: FileRef | None = None
    # A photo sent with the message (its largest size; its caption is then `text`).
    photo: FileRef | None = None
    # What else the message carried instead of text: "photo", "document", "sticker",
    # "voice", ... (its caption, if any, is `text`).
    media: str | None = None

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
    # What to type instead where a chat has no buttons (default: the command itself).
    typed: str = ""

    @property
    def as_text(self) -> str:
        return self.typed or f"/{self.command} {self.argument}"


@dataclass(frozen=True)
class FileRef:
    """A file someone sent to the bot, kept by the platform; we keep only its reference."""

    file_id: str
    file_name: str


@dataclass(frozen=True)
class Attachment:
    filename: str
    content: bytes
    # "photo" is shown inline (a chart); "document" is a file to download (a spreadsheet).
    kind: str = "document"


@dataclass(frozen=True)
class Bar:
    # The unit's full name and code, wrapped on word boundaries ("\n" between lines).
    label: str
    total: int
    quota: int
    # "met", "behind", "silent" (no report at all) or, on a chart of counts, "reported".
    standing: str
    # Drawn length in axis units (percent of quota, or entries on a chart of counts).
    length: float
    value_label: str
    # Where the value label starts: right of the bar and of the reference line, so that the
    # two never cross.
    label_at: float


@dataclass(frozen=True)
class ChartSpec:
    """A horizontal bar chart of units, rendered outside the domain: every position and
    label is decided here, the renderer only draws."""

    filename: str
    title: str
    bars: tuple[Bar, ...]
    axis_label: str
    # (standing, label) for each colour shown.
    legend: tuple[tuple[str, str], ...]
    # The dashed 100% line, on a chart of shares; none on a chart of counts.
    reference: float | None
    x_max: float


@dataclass(frozen=True)
class Column:
    header: str
    # "text", "int" or "percent" (a fraction, shown as %).
    kind: str = "text"
    width: int = 12


@dataclass(frozen=True)
class TableSpec:
    """A spreadsheet: one header row (frozen), then rows; rendered outside the domain."""

    filename: str
    sheet_title: str
    columns: tuple[Column, ...]
    rows: tuple[tuple[str | int | float | None, ...], ...]
    # How many leading columns stay visible when scrolling sideways.
    frozen_columns: int = 2
    # Lines above the table (campaign, scope, "as of"), the first one as its title.
    title_lines: tuple[str, ...] = ()
    # Whether the last row is a total (shown bold, left out of the filter).
    total_row: bool = False


@dataclass(frozen=True)
class StoredFile:
    """A file the platform already keeps (a unit's report), sent on by its id: the bot
    never downloads it. Only chats of the same platform can receive it."""

    file_id: str
    file_name: str
    caption: str = ""
    # A photo is sent as a photo (Telegram will not send a photo's id as a document).
    photo: bool = False
    # The platform that keeps it, when not the chat's own (a Telegram file announced to a
    # Zalo chat): fetched and linked where the chat's platform can show files by link.
    platform: str | None = None


Rendered = Attachment | ChartSpec | TableSpec | StoredFile


@dataclass(frozen=True)
class Outbound:
    """A message for one chat. `text` is HTML-lite: only <b> and <i>, user text escaped."""

    chat: ChatRef
    text: str
    buttons: tuple[Button, ...] = ()
    reply_to: str | None = None
    # Replace the text of this earlier bot message instead of sending a new one.
    edit_message_id: str | None = None
    # Charts and tables are described here and rendered to files before delivery.
    attachments: tuple[Rendered, ...] = field(default=())


@dataclass(frozen=True)
class RenderedMessage(Outbound):
    """A message whose charts and tables are files now (`with_files`): what a notifier
    takes. A separate type, so that a description cannot reach a platform by mistake."""


@dataclass(frozen=True)
class Send(RenderedMessage):
    """One request to a platform: one text part or one file. An outbox row is one Send."""


def as_type(kind: type[M], message: Outbound, **changes: Any) -> M:
    """The message as another of the three types (a reply, a rendered message, a send)."""
    values = {item.name: getattr(message, item.name) for item in fields(message)}
    return kind(**(values | changes))


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


@dataclass(frozen=True)
class DeliveryLimits:
    """How fast a platform lets a bot send; None means no limit."""

    per_second: float | None = None
    per_chat_per_second: float | None = None
    per_group_per_minute: float | None = None
    # Chat ids of groups start with this (Telegram: negative ids); None if not applicable.
    group_prefix: str | None = None
    # Sends in flight at once (each to a different chat).
    concurrency: int = 1

    def is_group(self, chat: ChatRef) -> bool:
        return self.group_prefix is not None and chat.chat_id.startswith(self.group_prefix)


class RateLimited(Exception):
    """The platform refused a send for flooding; nothing may be sent for `retry_after` s."""

    def __init__(self, retry_after: float) -> None:
        super().__init__(f"rate limited for {retry_after} s")
        self.retry_after = retry_after


class DeliveryUncertain(Exception):
    """A send timed out: the message may or may not have arrived. Never resent."""


def with_files(
    message: Outbound, render: Callable[[ChartSpec | TableSpec], Attachment]
) -> RenderedMessage:
    """The message with every chart and table description replaced by its rendered file."""
    if isinstance(message, RenderedMessage):
        return message
    files = tuple(
        item if isinstance(item, Attachment | StoredFile) else render(item)
        for item in message.attachments
    )
    return as_type(RenderedMessage, message, attachments=files)


def single_sends(message: RenderedMessage, split_text: Callable[[str], list[str]]) -> list[Send]:
    """A message as separate sends: its text in parts (the reply quote on the first, the
    buttons on the last), then each file on its own."""
    chunks = split_text(message.text) if message.text else []
    sends = [
        as_type(
            Send,
            message,
            text=chunk,
            attachments=(),
            reply_to=message.reply_to if index == 0 else None,
            buttons=message.buttons if index == len(chunks) - 1 else (),
        )
        for index, chunk in enumerate(chunks)
    ]
    sends += [Send(message.chat, "", attachments=(file,)) for file in message.attachments]
    return sends


@dataclass(frozen=True)
class Capabilities:
    """What a chat platform can show."""

    # Inline buttons under a message (else: what to type is written out).
    buttons: bool
    # Changing a message already sent (else: the new text is a new message).
    edits: bool
    # The longest text one message may carry (longer ones are split on line boundaries).
    max_text: int
    # "html" (the domain's <b>/<i> kept) or "plain" (tags dropped, entities decoded).
    markup: str
    # Files sent as documents (else: a spreadsheet goes as a link).
    documents: bool
    # Photos uploaded with the message, or only fetched by the platform from a URL.
    photos_by_url: bool
    # Files shown as signed links under the bot's public address (Zalo with PUBLIC_BASE_URL).
    links: bool = False


@dataclass(frozen=True)
class PublishedFile:
    """A file served under a signed link (for a platform that fetches files by URL), kept
    until the link expires."""

    id: str
    filename: str
    kind: str
    content: bytes
    expires_at: datetime

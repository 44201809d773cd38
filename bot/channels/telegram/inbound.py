"""Turning Telegram updates into neutral inbound messages."""

from __future__ import annotations

from datetime import UTC, datetime

from telegram import CallbackQuery, Message, User
from telegram.constants import ChatType

from bot.domain.model.entities import ChatRef, Person
from bot.domain.model.messages import ChatKind, FileRef, Inbound

PLATFORM = "telegram"


def person(user: User) -> Person:
    return Person(PLATFORM, str(user.id), user.full_name)


def from_message(
    message: Message,
    *,
    bot_id: int,
    edited: bool,
    command: str | None = None,
    args: tuple[str, ...] = (),
) -> Inbound | None:
    """None for messages without a person behind them (channel posts, anonymous admins)."""
    user = message.from_user
    if user is None or user.is_bot or message.sender_chat is not None:
        return None
    replied = message.reply_to_message
    replies_to_bot = bool(replied and replied.from_user and replied.from_user.id == bot_id)
    return Inbound(
        sender=person(user),
        chat=ChatRef(PLATFORM, str(message.chat.id)),
        chat_kind=ChatKind.PRIVATE if message.chat.type == ChatType.PRIVATE else ChatKind.GROUP,
        sent_at=message.date,
        text=message.text or message.caption or "",
        command=command,
        args=args,
        message_id=str(message.message_id),
        edited_at=(message.edit_date or datetime.now(UTC)) if edited else None,
        replies_to_bot=replies_to_bot,
        document=_document(message),
        photo=_photo(message),
        media=_media(message),
    )


_MEDIA_KINDS = (
    "photo",
    "document",
    "sticker",
    "voice",
    "audio",
    "video",
    "video_note",
    "animation",
    "location",
    "contact",
)


def _media(message: Message) -> str | None:
    """What the message carries instead of text, if anything."""
    return next((kind for kind in _MEDIA_KINDS if getattr(message, kind, None)), None)


def _document(message: Message) -> FileRef | None:
    document = message.document
    if document is None:
        return None
    return FileRef(document.file_id, document.file_name or document.file_unique_id)


def _photo(message: Message) -> FileRef | None:
    if not message.photo:
        return None
    largest = message.photo[-1]
    return FileRef(largest.file_id, f"anh-{largest.file_unique_id}.jpg")


def from_button(query: CallbackQuery) -> Inbound | None:
    """A press on an inline button whose data is `command:argument`."""
    message = query.message
    if message is None or not query.data or ":" not in query.data:
        return None
    command, _, argument = query.data.partition(":")
    return Inbound(
        sender=person(query.from_user),
        chat=ChatRef(PLATFORM, str(message.chat.id)),
        chat_kind=ChatKind.PRIVATE if message.chat.type == ChatType.PRIVATE else ChatKind.GROUP,
        sent_at=datetime.now(UTC),
        command=command,
        args=(argument,),
        button_message_id=str(message.message_id),
    )

"""Turning Zalo Bot Platform updates into neutral inbound messages.

Payloads are read tolerantly: the platform's samples disagree on several field names
(`display_name` or `first_name`, `photo` or `photo_url`), and the webhook body comes either
bare or wrapped like an API answer.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

from bot.domain.model.commands import split_command
from bot.domain.model.entities import ChatRef, Person
from bot.domain.model.messages import ChatKind, Inbound

PLATFORM = "zalo"
# received_update.update_key holds at most this many characters.
MAX_KEY = 64

_MEDIA = {
    "message.image.received": "photo",
    "message.sticker.received": "sticker",
    "message.voice.received": "voice",
    "message.unsupported.received": "unsupported",
}


def unwrap(body: object) -> dict[str, Any] | None:
    """The update itself, from a bare `{event_name, message}` or an `{ok, result}` wrapper."""
    if not isinstance(body, dict):
        return None
    if "event_name" in body or "message" in body:
        return body
    result = body.get("result")
    if isinstance(result, dict):
        return unwrap(result)
    return None


def update_key(update: dict[str, Any]) -> str | None:
    """What identifies an update for good (Zalo has no update_id): its event and message id.
    A retried webhook delivery has the same key, so it is stored once."""
    message = update.get("message")
    if not isinstance(message, dict) or not message.get("message_id"):
        return None
    key = f"{update.get('event_name', '')}:{message['message_id']}"
    if len(key) > MAX_KEY:
        key = "sha1:" + hashlib.sha1(key.encode(), usedforsecurity=False).hexdigest()
    return key


def chat_id_of(update: dict[str, Any]) -> str | None:
    message = update.get("message")
    chat = message.get("chat") if isinstance(message, dict) else None
    return str(chat["id"]) if isinstance(chat, dict) and chat.get("id") else None


def to_inbound(update: dict[str, Any], received_at: datetime) -> Inbound | None:
    """None for what has no person behind it (a bot, a malformed payload)."""
    message = update.get("message")
    if not isinstance(message, dict):
        return None
    sender = message.get("from") or {}
    chat = message.get("chat") or {}
    if not isinstance(sender, dict) or not isinstance(chat, dict) or sender.get("is_bot"):
        return None
    user_id, chat_id = str(sender.get("id") or ""), str(chat.get("id") or user_id_of(sender))
    if not user_id or not chat_id:
        return None
    name = str(sender.get("display_name") or sender.get("first_name") or "")
    private = str(chat.get("chat_type") or "PRIVATE").upper() == "PRIVATE"
    event = str(update.get("event_name") or "")
    text = str(message.get("text") or message.get("caption") or "").strip()
    if not private:
        text = without_mention(text)
    # An image with a caption is read as its caption; anything else that is not text gets
    # a short hint (domain.media).
    media = _MEDIA.get(event) if not (event == "message.image.received" and text) else None
    if media is None and not text:
        media = "unsupported"
    command, args = split_command(text)
    return Inbound(
        sender=Person(PLATFORM, user_id, name),
        chat=ChatRef(PLATFORM, chat_id),
        chat_kind=ChatKind.PRIVATE if private else ChatKind.GROUP,
        sent_at=_sent_at(message.get("date"), received_at),
        text=text,
        command=command,
        args=args,
        message_id=str(message.get("message_id") or "") or None,
        # In a group the bot sees only messages addressed to it.
        replies_to_bot=not private,
        media=media,
    )


def without_mention(text: str) -> str:
    """A group message reaches the bot only when it mentions it («@Quiz Bot /bc 45»): the
    mention goes, whatever the bot's name (it may hold spaces) when a command follows."""
    if not text.startswith("@"):
        return text
    if "/" in text:
        return text[text.index("/") :]
    return text.partition(" ")[2].strip()


def user_id_of(sender: dict[str, Any]) -> str:
    return str(sender.get("id") or "")


def _sent_at(value: object, fallback: datetime) -> datetime:
    """Zalo stamps messages in epoch milliseconds."""
    if isinstance(value, int | float) and value > 0:
        seconds = value / 1000 if value > 10**11 else value
        return datetime.fromtimestamp(seconds, UTC)
    return fallback

"""Sending neutral outbound messages through the Telegram Bot API."""

from __future__ import annotations

import logging
import warnings
from collections.abc import Iterable
from dataclasses import replace
from datetime import timedelta

import httpx
from telegram import (
    Bot,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputFile,
    ReplyParameters,
)
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    NetworkError,
    RetryAfter,
    TelegramError,
)
from telegram.warnings import PTBDeprecationWarning

from bot.config import Settings
from bot.domain.delivery import sends_for
from bot.domain.model.messages import (
    Attachment,
    Capabilities,
    Delivery,
    DeliveryLimits,
    DeliveryStatus,
    DeliveryUncertain,
    Outbound,
    RateLimited,
    Rendered,
    RenderedMessage,
    Send,
    StoredFile,
)
from bot.domain.model.textsplit import split_message

log = logging.getLogger(__name__)

# The largest file fetched from Telegram to pass on to another platform's chats (each chat's
# copy is stored for its link).
PASS_ON_BYTES = 5 * 1024 * 1024
# Telegram allows 4096 characters; the margin covers counting differences in entities.
TELEGRAM_TEXT_LIMIT = 4000
_GONE_MARKERS = (
    "chat not found",
    "bot was kicked",
    "user is deactivated",
    "group chat was deleted",
)


def _seconds(flood: RetryAfter) -> float:
    # PTB 22 gives seconds as an int and warns that it will become a timedelta.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        retry_after = flood.retry_after
    return retry_after.total_seconds() if isinstance(retry_after, timedelta) else float(retry_after)


def callback_data(command: str, argument: str) -> str:
    return f"{command}:{argument}"


# Telegram's limits for bulk sending: about 30 messages a second overall (kept a little
# under, as the limit is not published exactly), one a second per chat, 20 a minute per group.
TELEGRAM_LIMITS = DeliveryLimits(
    per_second=29,
    per_chat_per_second=1,
    per_group_per_minute=20,
    group_prefix="-",
    concurrency=8,
)


def _never_left(error: NetworkError) -> bool:
    """Whether the request failed before any of it reached the server (no connection)."""
    return isinstance(
        error.__cause__, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout
    )


TELEGRAM_CAPABILITIES = Capabilities(
    buttons=True,
    edits=True,
    max_text=TELEGRAM_TEXT_LIMIT,
    markup="html",
    documents=True,
    photos_by_url=False,
)


def telegram_limits(settings: Settings) -> DeliveryLimits:
    """Telegram's limits with the overall rate the settings give."""
    return replace(TELEGRAM_LIMITS, per_second=settings.telegram_messages_per_second)


class TelegramNotifier:
    capabilities = TELEGRAM_CAPABILITIES
    platform = "telegram"

    def __init__(self, bot: Bot, limits: DeliveryLimits = TELEGRAM_LIMITS) -> None:
        self.bot = bot
        self.limits = limits

    def parts(self, message: RenderedMessage) -> list[Send]:
        return sends_for(message, self.capabilities)

    async def fetch(self, file: StoredFile) -> Attachment | None:
        """A file Telegram keeps (an announcement's photo or document), to pass on to another
        platform; None when it is too big to pass on, or cannot be had."""
        try:
            kept = await self.bot.get_file(file.file_id)
            if kept.file_size is not None and kept.file_size > PASS_ON_BYTES:
                return None
            content = bytes(await kept.download_as_bytearray())
        except TelegramError as error:
            # Passing a file on is a courtesy: the chat is told where to see it instead.
            log.warning("could not fetch a Telegram file to pass on: %s", type(error).__name__)
            return None
        return Attachment(file.file_name, content, "photo" if file.photo else "document")

    async def send(self, message: RenderedMessage) -> Delivery:
        chat_id = int(message.chat.chat_id)
        try:
            await self._send_to(chat_id, message)
        except ChatMigrated as migrated:
            new_chat_id = int(migrated.new_chat_id)
            await self._send_to(new_chat_id, message)
            return Delivery(DeliveryStatus.MIGRATED, str(new_chat_id))
        except Forbidden:
            return Delivery(DeliveryStatus.CHAT_GONE)
        except BadRequest as error:
            if any(marker in error.message.lower() for marker in _GONE_MARKERS):
                return Delivery(DeliveryStatus.CHAT_GONE)
            raise
        except RetryAfter as flood:
            raise RateLimited(_seconds(flood)) from flood
        except NetworkError as error:  # TimedOut included; BadRequest and the rest are above
            if _never_left(error):
                raise  # nothing reached Telegram: the outbox may try again later
            # The request may have arrived (a reset or a timeout after it was written):
            # sending it again could deliver it twice.
            raise DeliveryUncertain(f"{type(error).__name__}: {error.message}") from error
        return Delivery(DeliveryStatus.DELIVERED)

    async def send_replies(self, messages: Iterable[RenderedMessage]) -> None:
        """Answers to an update: one failed recipient (an admin who never opened the bot,
        say) is logged and the rest still go out."""
        for message in messages:
            try:
                delivery = await self.send(message)
            except Exception:
                log.exception("could not send a reply to chat %s", message.chat.chat_id)
                continue
            if delivery.status is not DeliveryStatus.DELIVERED:
                log.warning("reply to chat %s: %s", message.chat.chat_id, delivery.status.value)

    async def _send_to(self, chat_id: int, message: Outbound) -> None:
        markup = _keyboard(message)
        if message.edit_message_id is not None:
            try:
                await self.bot.edit_message_text(
                    message.text,
                    chat_id=chat_id,
                    message_id=int(message.edit_message_id),
                    parse_mode=ParseMode.HTML,
                    reply_markup=markup,
                )
            except BadRequest as error:
                # Pressing a button twice asks for the same text again: nothing to change.
                if "not modified" not in error.message.lower():
                    raise
            return
        parts = split_message(message.text, TELEGRAM_TEXT_LIMIT) if message.text else []
        for index, part in enumerate(parts):
            first, last = index == 0, index == len(parts) - 1
            await self.bot.send_message(
                chat_id,
                part,
                parse_mode=ParseMode.HTML,
                reply_parameters=_reply_to(message) if first else None,
                reply_markup=markup if last else None,
            )
        for attachment in message.attachments:
            await self._send_attachment(chat_id, attachment)

    async def _send_attachment(self, chat_id: int, attachment: Rendered) -> None:
        if isinstance(attachment, StoredFile):
            # Telegram keeps the file: its id is enough to send it on.
            if attachment.photo:
                await self.bot.send_photo(
                    chat_id,
                    attachment.file_id,
                    caption=attachment.caption or None,
                    parse_mode=ParseMode.HTML,
                )
                return
            await self.bot.send_document(
                chat_id,
                attachment.file_id,
                caption=attachment.caption or None,
                parse_mode=ParseMode.HTML,
            )
            return
        if not isinstance(attachment, Attachment):
            raise TypeError("render charts and tables before sending them")
        upload = InputFile(attachment.content, filename=attachment.filename)
        if attachment.kind == "photo":
            await self.bot.send_photo(chat_id, upload)
        else:
            await self.bot.send_document(chat_id, upload)


def _keyboard(message: Outbound) -> InlineKeyboardMarkup | None:
    if not message.buttons:
        return None
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    button.label, callback_data=callback_data(button.command, button.argument)
                )
                for button in message.buttons
            ]
        ]
    )


def _reply_to(message: Outbound) -> ReplyParameters | None:
    if message.reply_to is None:
        return None
    return ReplyParameters(int(message.reply_to), allow_sending_without_reply=True)


async def open_broadcast_notifier(
    base_url: str, token: str, limits: DeliveryLimits = TELEGRAM_LIMITS
) -> TelegramNotifier:
    """A notifier for scheduled fan-outs, on its own plain Bot: no hidden retries, so a 429
    comes back to the outbox, which records it, pauses and resumes at its own pace."""
    bot = Bot(token, base_url=f"{base_url}/bot", base_file_url=f"{base_url}/file/bot")
    await bot.initialize()
    return TelegramNotifier(bot, limits)
